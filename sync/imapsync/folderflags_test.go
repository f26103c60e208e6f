package imapsync

import (
	"context"
	"regexp"
	"testing"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

var storeCmd = regexp.MustCompile(`(?m)^\S+ UID STORE (\S+) (\S+) \(([^)]*)\)`)

// A whole folder marked read (SetFolderFlags) reaches the server as one UID STORE of the folder's
// range, however few of its messages changed here, and the cache then matches the server.
func TestWholeFolderFlagsReplayAsOneRange(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	if err := d.Deliver("alice", "INBOX", generate(70, 50)...); err != nil {
		t.Fatal(err)
	}
	trace := &syncTrace{}
	h := newHarness(t, d, "alice", func(o *options, _ *types.Account) { o.trace = trace })
	ctx := context.Background()
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.SetFlags(ctx, uidsToIDs(t, h, "INBOX", 1, 2, 3, 10, 20), localcache.FlagSeen, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	trace.mu.Lock()
	trace.buf.Reset()
	trace.mu.Unlock()

	inbox := folderByName(t, h.cache, "alice", "INBOX")
	changed, err := h.cache.SetFolderFlags(ctx, inbox.ID, localcache.FlagSeen, 0, true)
	if err != nil || len(changed) != 45 {
		t.Fatalf("changed %d: %v", len(changed), err)
	}
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	trace.mu.Lock()
	stores := storeCmd.FindAllStringSubmatch(trace.buf.String(), -1)
	trace.mu.Unlock()
	if len(stores) != 1 || stores[0][1] != "1:50" || stores[0][2] != "+FLAGS.SILENT" || stores[0][3] != `\Seen` {
		t.Fatalf("stores sent: %q, want one UID STORE 1:50 +FLAGS.SILENT (\\Seen)", stores)
	}
	if diff := h.matchServer(); diff != "" {
		t.Fatalf("server and cache differ:\n%s", diff)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Unseen != 0 {
		t.Fatalf("server INBOX: %+v, %v", st, err)
	}
}
