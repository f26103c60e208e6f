package imapsync

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"sync"
	"testing"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

// syncTrace collects the protocol exchange of the engine's connections.
type syncTrace struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncTrace) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

var selectCmd = regexp.MustCompile(`(?m)^\S+ (?:SELECT|EXAMINE) "?([^"\r\n ]+)`)

// selects returns the folders SELECTed since the last call.
func (s *syncTrace) selects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range selectCmd.FindAllStringSubmatch(s.buf.String(), -1) {
		out = append(out, m[1])
	}
	s.buf.Reset()
	return out
}

// A one-shot resync SELECTs only the folders whose STATUS moved since their last complete pass; a
// verifying pass SELECTs every folder.
func TestResyncSelectsOnlyFoldersWhoseStatusMoved(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	if err := d.Deliver("alice", "INBOX", generate(60, 20)...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Archive", generate(61, 10)...); err != nil {
		t.Fatal(err)
	}
	trace := &syncTrace{}
	h := newHarness(t, d, "alice", func(o *options, a *types.Account) {
		o.trace = trace
		a.IMAP.BodyWindowDays = -1
	})
	ctx := context.Background()
	sync := func() []string {
		t.Helper()
		if err := h.eng.SyncOnce(ctx); err != nil {
			t.Fatalf("sync: %v", err)
		}
		return trace.selects()
	}
	all := sync()
	if len(all) < 2 {
		t.Fatalf("first sync selected %q, want every folder", all)
	}
	if got := sync(); len(got) != 0 {
		t.Errorf("resync without changes selected %q, want none", got)
	}

	// A fresh engine (a new process) has no memory of the last pass: it counts the cache.
	h.eng = newEngine(h.deps(), h.opt)
	if got := sync(); len(got) != 0 {
		t.Errorf("resync by a new engine selected %q, want none", got)
	}

	if err := d.AddFlags("alice", "Archive", 3, `\Flagged`); err != nil {
		t.Fatal(err)
	}
	if got := sync(); len(got) != 1 || got[0] != "Archive" {
		t.Errorf("after a flag change in Archive, selected %q, want Archive", got)
	}
	archive, err := h.cache.FolderByName(ctx, "alice", "Archive")
	if err != nil {
		t.Fatal(err)
	}
	uids, err := h.cache.FolderUIDs(ctx, archive.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(uids) != 10 || !uids[2].Flags.Has(localcache.FlagFlagged) {
		t.Errorf("Archive after the flag change: %+v", uids)
	}

	if err := d.Expunge("alice", "INBOX", 5); err != nil {
		t.Fatal(err)
	}
	if got := sync(); len(got) != 1 || got[0] != "INBOX" {
		t.Errorf("after an expunge in INBOX, selected %q, want INBOX", got)
	}
	inbox, err := h.cache.FolderByName(ctx, "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := h.cache.CountUIDs(ctx, inbox.ID); err != nil || n != 19 {
		t.Errorf("INBOX holds %d messages after the expunge (%v), want 19", n, err)
	}

	cn, err := h.eng.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.close()
	trace.selects()
	if err := h.eng.pass(ctx, cn, passVerify, nil); err != nil {
		t.Fatal(err)
	}
	// (A pass of a running engine ends with INBOX selected again, for the next NOOP.)
	if got := trace.selects(); len(got) < len(all) || !slices.Equal(got[:len(all)], all) {
		t.Errorf("verifying pass selected %q, want every folder (%q)", got, all)
	}
}
