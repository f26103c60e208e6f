package localcache

import (
	"context"
	"testing"
	"time"
)

// TestBulkChangesSpanFolders: one change over thousands of messages in two folders is applied to
// all of them, counted right, queued as one operation per folder in the order given, and ids that
// no longer exist are left out.
func TestBulkChangesSpanFolders(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox := mustFolder(t, c, "a", "INBOX", RoleInbox)
	other := mustFolder(t, c, "a", "Lists", "")
	trash := mustFolder(t, c, "a", "Trash", RoleTrash)
	ids1, err := c.AddMessages(ctx, genMessages("a", inbox.ID, 3000, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	ids2, err := c.AddMessages(ctx, genMessages("a", other.ID, 2000, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]int64{}, ids1...), ids2...)
	all = append(all, 999_999) // gone meanwhile
	if err := c.SetFlags(ctx, all, FlagSeen, 0, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Folder{inbox, other} {
		if n, _ := c.UnreadCount(ctx, f.ID); n != 0 {
			t.Fatalf("folder %s: %d unread after marking all read", f.Name, n)
		}
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || len(ops[0].Items()) != 3000 || len(ops[1].Items()) != 2000 ||
		ops[0].Items()[0].MessageID != ids1[0] || ops[0].Items()[2999].MessageID != ids1[2999] {
		t.Fatalf("queued %d operations", len(ops))
	}
	if err := c.Move(ctx, ids2, trash.ID, false); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Folder(ctx, trash.ID); f.Total != 2000 {
		t.Fatalf("Trash holds %d after moving 2000", f.Total)
	}
	if err := c.Expunge(ctx, ids1, false); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Folder(ctx, inbox.ID); f.Total != 0 {
		t.Fatalf("INBOX holds %d after deleting all", f.Total)
	}
}

// TestStatesOfManyMessages: the states of a selection larger than one statement's parameters come
// back whole, with their folder, account and flags; ids that no longer exist are left out.
func TestStatesOfManyMessages(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox := mustFolder(t, c, "a", "INBOX", RoleInbox)
	other := mustFolder(t, c, "b", "INBOX", RoleInbox)
	ids1, err := c.AddMessages(ctx, genMessages("a", inbox.ID, 1500, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	ids2, err := c.AddMessages(ctx, genMessages("b", other.ID, 10, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	states, err := c.States(ctx, append(append([]int64{999_999}, ids1...), ids2...))
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1510 {
		t.Fatalf("%d states for 1510 messages", len(states))
	}
	byID := map[int64]MessageState{}
	for _, s := range states {
		byID[s.ID] = s
	}
	if s := byID[ids1[0]]; s.Account != "a" || s.FolderID != inbox.ID || !s.Flags.Has(FlagSeen) {
		t.Fatalf("state of the first message: %+v", s)
	}
	if s := byID[ids1[1]]; s.Flags.Has(FlagSeen) {
		t.Fatalf("state of the second message: %+v", s)
	}
	if s := byID[ids2[9]]; s.Account != "b" || s.FolderID != other.ID {
		t.Fatalf("state of the last message: %+v", s)
	}
	if states, err := c.States(ctx, nil); err != nil || len(states) != 0 {
		t.Fatalf("states of nothing: %v, %v", states, err)
	}
}

// TestMarkReadOfMostlyReadMessages: marking a selection read where most are read already changes
// only the unread ones (the counts follow), and refusing the operation puts every message's own
// flags back: the read ones stay read, the unread ones are unread again.
func TestMarkReadOfMostlyReadMessages(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox := mustFolder(t, c, "a", "INBOX", RoleInbox)
	ids, err := c.AddMessages(ctx, genMessages("a", inbox.ID, 30, time.Now())) // every third is read
	if err != nil {
		t.Fatal(err)
	}
	before, err := c.States(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetFlags(ctx, ids, FlagSeen, 0, true); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Folder(ctx, inbox.ID); f.Unread != 0 || f.Total != 30 {
		t.Fatalf("after mark read: %d unread of %d", f.Unread, f.Total)
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != 1 || len(ops[0].Items()) != 30 {
		t.Fatalf("queued: %d operations, %v", len(ops), err)
	}
	if err := c.RefusePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}
	after, err := c.States(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	flags := map[int64]Flags{}
	for _, s := range after {
		flags[s.ID] = s.Flags
	}
	for _, s := range before {
		if flags[s.ID] != s.Flags {
			t.Fatalf("message %d: flags %v after the undo, %v before", s.ID, flags[s.ID], s.Flags)
		}
	}
	if f, _ := c.Folder(ctx, inbox.ID); f.Unread != 20 {
		t.Fatalf("after the undo: %d unread, want 20", f.Unread)
	}
}
