package localcache

import (
	"context"
	"testing"
	"time"
)

// The filter queue keeps a message's progress, survives its move, ignores a second queueing and
// loses the message when it is deleted for good.
func TestFilterQueue(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "INBOX", Role: RoleInbox})
	other, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "Other"})
	ids, err := c.AddMessages(ctx, []Message{
		{Account: "a", FolderID: inbox.ID, UIDL: "1", MessageID: "one@x", Date: time.Now()},
		{Account: "a", FolderID: inbox.ID, UIDL: "2", MessageID: "two@x", Date: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.QueueFolderFilters(ctx, inbox.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFilterStep(ctx, ids[0], 2, true); err != nil {
		t.Fatal(err)
	}
	if err := c.QueueFilters(ctx, ids); err != nil { // already queued: progress kept
		t.Fatal(err)
	}
	if err := c.Move(ctx, ids[:1], other.ID, false); err != nil {
		t.Fatal(err)
	}
	q, err := c.FilterQueue(ctx, 0, 10)
	if err != nil || len(q) != 2 || q[0] != (FilterEntry{MessageID: ids[0], Step: 2, Started: true}) || q[1] != (FilterEntry{MessageID: ids[1]}) {
		t.Fatalf("queue = %+v, %v", q, err)
	}
	if q, _ := c.FilterQueue(ctx, ids[0], 10); len(q) != 1 || q[0].MessageID != ids[1] {
		t.Fatalf("queue after %d = %+v", ids[0], q)
	}
	if ok, err := c.FolderHasMessageID(ctx, other.ID, "one@x"); err != nil || !ok {
		t.Fatalf("one@x in Other: %v, %v", ok, err)
	}
	if ok, _ := c.FolderHasMessageID(ctx, inbox.ID, "one@x"); ok {
		t.Fatal("one@x still found in the inbox")
	}
	if err := c.FilterDone(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge(ctx, ids[1:], false); err != nil {
		t.Fatal(err)
	}
	if q, _ := c.FilterQueue(ctx, 0, 10); len(q) != 0 {
		t.Fatalf("queue after done and delete = %+v", q)
	}
}

// AddQueued stores a message and its operation together.
func TestAddQueued(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "Archive"})
	id, err := c.AddQueued(ctx, Message{Account: "a", FolderID: f.ID, Subject: "copy", Date: time.Now()}, func(id int64) PendingOp {
		return PendingOp{Account: "a", FolderID: f.ID, Op: AppendOp{BodyKey: "k", Items: []OpItem{{MessageID: id}}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != 1 || ops[0].Op.(AppendOp).Items[0].MessageID != id {
		t.Fatalf("ops = %+v, %v", ops, err)
	}
}
