package imapsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/mailfmt"
)

// A queued transfer whose message the server holds already, byte for byte (a replay that stopped
// after the server stored it, before the op completed here), is not appended again: its local copy
// takes the server's UID. Another transfer of the same replay is appended as usual.
func TestTransferReplayTakesStoredCopy(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	h := newHarness(t, d, "alice", nil)
	ctx := context.Background()
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	inbox := folderByName(t, h.cache, "alice", "INBOX")
	msgs := generate(71, 2)
	keys, err := h.cache.PutBodies(ctx, []localcache.Body{{Account: "alice", Raw: msgs[0]}, {Account: "alice", Raw: msgs[1]}})
	if err != nil {
		t.Fatal(err)
	}
	entries := make([]localcache.Message, len(msgs))
	for i, raw := range msgs {
		sum, err := mailfmt.Summarize(raw)
		if err != nil {
			t.Fatal(err)
		}
		entries[i] = localcache.Message{Account: "alice", FolderID: inbox.ID, Size: int64(len(raw)), BodyKey: keys[i]}
		entries[i].SetSummary(sum)
	}
	ids, err := h.cache.AddQueuedMany(ctx, inbox, entries, func(i int, id int64) localcache.Op {
		sum := sha256.Sum256(msgs[i])
		return localcache.TransferOp{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(msgs[i])),
			AppendOp: localcache.AppendOp{BodyKey: keys[i], Items: []localcache.OpItem{{MessageID: id}}}}
	})
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, d, "alice", "INBOX", msgs[0])

	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if ops, err := h.cache.PendingOps(ctx, "alice"); err != nil || len(ops) != 0 {
		t.Fatalf("%d ops left (%v)", len(ops), err)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 2 {
		t.Fatalf("the server's INBOX: %+v (%v), want 2 messages", st, err)
	}
	for i, id := range ids {
		m, err := h.cache.Message(ctx, id)
		if err != nil || m.UID == 0 {
			t.Errorf("local copy %d: UID %d (%v)", i, m.UID, err)
		}
	}
	if n, err := h.cache.CountUIDs(ctx, inbox.ID); err != nil || n != 2 {
		t.Errorf("the cache's INBOX holds %d messages with a UID (%v), want 2", n, err)
	}
}
