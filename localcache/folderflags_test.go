package localcache

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// Marking a whole folder read changes only its unread rows, keeps the counts, and queues one op
// that covers the folder's UIDs and lists just the rows it changed; refusing that op restores
// exactly those rows.
func TestSetFolderFlagsQueuesRangeAndUndoesChangedRows(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox := mustFolder(t, c, "a", "INBOX", RoleInbox)
	other := mustFolder(t, c, "a", "Other", "")
	ids, err := c.AddMessages(ctx, genMessages("a", inbox.ID, 9, time.Now())) // UIDs 1..9, every third read
	if err != nil {
		t.Fatal(err)
	}
	otherIDs, err := c.AddMessages(ctx, genMessages("a", other.ID, 2, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	// A flagged unread message keeps its other flag through the change and its undo.
	if err := c.SetFlags(ctx, ids[1:2], FlagFlagged, 0, false); err != nil {
		t.Fatal(err)
	}
	before := map[int64]Flags{}
	var unread []int64
	for _, id := range ids {
		m, err := c.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		before[id] = m.Flags
		if !m.Flags.Has(FlagSeen) {
			unread = append(unread, id)
		}
	}

	changed, err := c.SetFolderFlags(ctx, inbox.ID, FlagSeen, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed, unread) {
		t.Fatalf("changed %v, want the unread %v", changed, unread)
	}
	for _, id := range ids {
		if m, _ := c.Message(ctx, id); m.Flags != before[id]|FlagSeen {
			t.Errorf("message %d: flags %v, want %v", id, m.Flags, before[id]|FlagSeen)
		}
	}
	if f, _ := c.Folder(ctx, inbox.ID); f.Unread != 0 || f.Total != 9 {
		t.Errorf("inbox counts: %d unread of %d", f.Unread, f.Total)
	}
	if f, _ := c.Folder(ctx, other.ID); f.Unread != 1 {
		t.Errorf("other folder changed: %d unread, want 1 (%v)", f.Unread, otherIDs)
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != 1 {
		t.Fatalf("queued %d: %v", len(ops), err)
	}
	op, ok := ops[0].Op.(FlagsOp)
	if !ok || op.UpTo != 9 || op.Set != FlagSeen || op.Clear != 0 || ops[0].FolderID != inbox.ID {
		t.Fatalf("queued %+v", ops[0])
	}
	if len(op.Items) != len(unread) {
		t.Fatalf("op holds %d items, want the %d changed", len(op.Items), len(unread))
	}
	for i, it := range op.Items {
		if it.MessageID != unread[i] || it.PrevFlags != before[it.MessageID] || it.UID == 0 {
			t.Errorf("item %d: %+v", i, it)
		}
	}

	if err := c.RefusePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if m, _ := c.Message(ctx, id); m.Flags != before[id] {
			t.Errorf("message %d after undo: flags %v, want %v", id, m.Flags, before[id])
		}
	}
	if f, _ := c.Folder(ctx, inbox.ID); f.Unread != len(unread) {
		t.Errorf("inbox unread after undo: %d, want %d", f.Unread, len(unread))
	}
}

// Without queuing (POP3) nothing is recorded; a folder with nothing to change changes nothing and,
// for IMAP, still queues the range, so the server ends as the folder shows.
func TestSetFolderFlagsUnqueuedAndNothingToChange(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "p", "INBOX", RoleInbox)
	if _, err := c.AddMessages(ctx, genMessages("p", f.ID, 4, time.Now())); err != nil {
		t.Fatal(err)
	}
	changed, err := c.SetFolderFlags(ctx, f.ID, FlagSeen, 0, false)
	if err != nil || len(changed) != 2 {
		t.Fatalf("changed %v: %v", changed, err)
	}
	if ops, _ := c.PendingOps(ctx, "p"); len(ops) != 0 {
		t.Fatalf("queued %d without queue", len(ops))
	}
	changed, err = c.SetFolderFlags(ctx, f.ID, FlagSeen, 0, true)
	if err != nil || len(changed) != 0 {
		t.Fatalf("second pass changed %v: %v", changed, err)
	}
	ops, _ := c.PendingOps(ctx, "p")
	if len(ops) != 1 || ops[0].Op.(FlagsOp).UpTo != 4 || len(ops[0].Items()) != 0 {
		t.Fatalf("queued %+v", ops)
	}
	if _, err := c.SetFolderFlags(ctx, 999, FlagSeen, 0, true); err == nil {
		t.Fatal("no error for a missing folder")
	}
}
