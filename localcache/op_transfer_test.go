package localcache

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A transfer leaves its source alone until the copy is confirmed: completing it removes the source
// (and queues its deletion on the source's server), refusing it drops only the local copy, and
// completing it without its follow-up (a copy that could not be checked) keeps the source.
func TestTransferOpRemovesItsSourceOnlyWhenCompleted(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	src := mustFolder(t, c, "alice", "INBOX", RoleInbox)
	dst := mustFolder(t, c, "bob", "INBOX", RoleInbox)
	srcIDs, err := c.AddMessages(ctx, genMessages("alice", src.ID, 3, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	copyIDs, err := c.AddMessages(ctx, genMessages("bob", dst.ID, 3, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	transfer := func(i int) PendingOp {
		m, err := c.Message(ctx, srcIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		return PendingOp{Account: "bob", FolderID: dst.ID, Op: TransferOp{
			AppendOp: AppendOp{BodyKey: "k", Items: []OpItem{{MessageID: copyIDs[i]}}},
			From:     &TransferSource{Account: "alice", FolderID: src.ID, Items: []OpItem{m.OpItem()}, Queue: true}}}
	}
	for i := range 3 {
		if err := c.Enqueue(ctx, transfer(i)); err != nil {
			t.Fatal(err)
		}
	}
	ops, err := c.PendingOps(ctx, "bob")
	if err != nil || len(ops) != 3 {
		t.Fatalf("queued: %d %v", len(ops), err)
	}
	exists := func(id int64) bool {
		_, err := c.Message(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	// Confirmed: the source goes, here and (queued) on its server; the copy stays.
	if err := c.CompletePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}
	if exists(srcIDs[0]) || !exists(copyIDs[0]) {
		t.Fatal("a completed move kept its source or lost its copy")
	}
	aliceOps, _ := c.PendingOps(ctx, "alice")
	if len(aliceOps) != 1 || aliceOps[0].Kind() != OpExpunge || aliceOps[0].Items()[0].MessageID != srcIDs[0] {
		t.Fatalf("source server's deletion not queued: %+v", aliceOps)
	}
	// Refused (quota, a vanished folder): the copy goes, the source stays.
	if err := c.RefusePending(ctx, ops[1]); err != nil {
		t.Fatal(err)
	}
	if !exists(srcIDs[1]) || exists(copyIDs[1]) {
		t.Fatal("a refused move lost its source or kept its copy")
	}
	// Copied but not checked: done without the follow-up, both stay.
	if err := c.CompletePending(ctx, PendingOp{ID: ops[2].ID}); err != nil {
		t.Fatal(err)
	}
	if !exists(srcIDs[2]) || !exists(copyIDs[2]) {
		t.Fatal("an unchecked copy removed its source")
	}
	if ops, _ := c.PendingOps(ctx, "bob"); len(ops) != 0 {
		t.Fatalf("%d transfers still queued", len(ops))
	}
}
