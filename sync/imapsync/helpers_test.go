package imapsync

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

// testAccount is user's account on the testbed, reached as mail.test over implicit TLS.
func testAccount(d *testbed.Dovecot, user string) types.Account {
	return types.Account{
		Name: user, Kind: types.IMAP, Email: user + "@mail.test",
		Incoming: types.Server{Host: d.ServerName, Port: d.IMAPSPort, Security: types.SecurityTLS,
			User: user, CAFile: d.CAFile},
		IMAP: types.IMAPPolicy{BodyWindowDays: 30},
	}.WithDefaults()
}

// testOptions dials the testbed for mail.test and shortens the timers so tests see push and
// polling within a second.
func testOptions(d *testbed.Dovecot) *options {
	o := defaultOptions()
	o.dialContext = testkit.LoopbackDialer(map[string]string{d.ServerName: d.Host})
	o.ioTimeout = 10 * time.Second
	o.cmdTimeout = 30 * time.Second
	o.pollInterval = 300 * time.Millisecond
	o.fullInterval = time.Minute
	return o
}

type harness struct {
	t     testing.TB
	d     *testbed.Dovecot
	acc   types.Account
	cache *localcache.Cache
	rec   *testkit.Events
	opt   *options
	eng   *Engine

	observer *imapclient.Client // reads the server's state for comparisons
}

func newHarness(t testing.TB, d *testbed.Dovecot, user string, tweak func(*options, *types.Account)) *harness {
	t.Helper()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatalf("open cache: %v", err)
	}
	t.Cleanup(func() { cache.Close() })
	h := &harness{t: t, d: d, acc: testAccount(d, user), cache: cache, rec: &testkit.Events{}, opt: testOptions(d)}
	if tweak != nil {
		tweak(h.opt, &h.acc)
	}
	h.eng = newEngine(h.deps(), h.opt)
	return h
}

func (h *harness) deps() types.EngineDeps {
	pw := h.d.Password(h.acc.Name)
	return types.EngineDeps{Account: h.acc, Cache: h.cache,
		Password: func() (string, error) { return pw, nil }, Emit: h.rec.Emit}
}

// supervise runs the engine like the Manager does (restart after an error, short backoff) until
// the test ends.
func (h *harness) supervise() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			err := h.eng.Run(ctx)
			if ctx.Err() != nil {
				return
			}
			h.t.Logf("engine run ended: %v", err)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			h.t.Errorf("engine did not stop")
		}
	})
}

// waitOnline waits for the engine's first StateOnline after index n of the events.
func (h *harness) waitOnline(timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, ev := range h.rec.All() {
			if cs, ok := ev.(types.ConnState); ok && cs.State == types.StateOnline {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("engine not online after %v", timeout)
}

// serverState reads every folder's UIDs and flags through c.
func serverState(c *imapclient.Client) (map[string]map[uint32]localcache.Flags, error) {
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	out := map[string]map[uint32]localcache.Flags{}
	for _, l := range list {
		if hasAttr(l.Attrs, imap.MailboxAttrNoSelect) {
			continue
		}
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			return nil, fmt.Errorf("examine %s: %w", l.Mailbox, err)
		}
		m := map[uint32]localcache.Flags{}
		if sel.NumMessages > 0 {
			msgs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
			if err != nil {
				return nil, fmt.Errorf("fetch flags of %s: %w", l.Mailbox, err)
			}
			for _, msg := range msgs {
				fl, _ := convertFlags(msg.Flags)
				m[uint32(msg.UID)] = fl
			}
		}
		out[l.Mailbox] = m
	}
	// Hold no folder open: another session renaming or deleting it would drop this one.
	if err := c.Unselect().Wait(); err != nil {
		return nil, fmt.Errorf("unselect: %w", err)
	}
	return out, nil
}

// cacheState reads every folder's UIDs and flags from the cache; UID-less rows count as an error.
func cacheState(ctx context.Context, cache *localcache.Cache, account string) (map[string]map[uint32]localcache.Flags, error) {
	folders, err := cache.Folders(ctx, account)
	if err != nil {
		return nil, err
	}
	out := map[string]map[uint32]localcache.Flags{}
	for _, f := range folders {
		uids, err := cache.FolderUIDs(ctx, f.ID)
		if err != nil {
			return nil, err
		}
		if len(uids) != f.Total {
			return nil, fmt.Errorf("folder %s: %d messages, %d with a UID", f.Name, f.Total, len(uids))
		}
		m := map[uint32]localcache.Flags{}
		for _, u := range uids {
			m[u.UID] = u.Flags
		}
		out[f.Name] = m
	}
	return out, nil
}

// diffStates describes how the cache differs from the server, "" when they match.
func diffStates(server, cache map[string]map[uint32]localcache.Flags) string {
	var diffs []string
	names := map[string]bool{}
	for n := range server {
		names[n] = true
	}
	for n := range cache {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		s, inS := server[n]
		c, inC := cache[n]
		if !inS || !inC {
			diffs = append(diffs, fmt.Sprintf("folder %q: on server %v, in cache %v", n, inS, inC))
			continue
		}
		var missing, extra, flags []string
		for uid, fl := range s {
			cf, ok := c[uid]
			if !ok {
				missing = append(missing, strconv.Itoa(int(uid)))
			} else if cf != fl {
				flags = append(flags, fmt.Sprintf("%d:%b/%b", uid, fl, cf))
			}
		}
		for uid := range c {
			if _, ok := s[uid]; !ok {
				extra = append(extra, strconv.Itoa(int(uid)))
			}
		}
		if len(missing)+len(extra)+len(flags) > 0 {
			diffs = append(diffs, fmt.Sprintf("folder %q: missing %s; extra %s; flags(server/cache) %s", n,
				short(missing), short(extra), short(flags)))
		}
	}
	return strings.Join(diffs, "\n")
}

func short(s []string) string {
	sort.Strings(s)
	if len(s) > 8 {
		return fmt.Sprintf("%v… (%d)", s[:8], len(s))
	}
	return fmt.Sprint(s)
}

// matchServer compares once, through the harness's own observing client (redialed when the
// server dropped it, as Dovecot does to a session whose selected folder is renamed or deleted).
func (h *harness) matchServer() string {
	if h.observer == nil {
		h.observer = h.d.IMAPSClientT(h.t, h.acc.Name, nil) // "another device"
	}
	srv, err := serverState(h.observer)
	if err != nil {
		h.observer.Close()
		h.observer = nil
		return err.Error()
	}
	cs, err := cacheState(context.Background(), h.cache, h.acc.Name)
	if err != nil {
		return err.Error()
	}
	return diffStates(srv, cs)
}

// eventuallyMatches waits until the cache matches the server exactly and returns how long it took.
func (h *harness) eventuallyMatches(within time.Duration, what string) time.Duration {
	h.t.Helper()
	start := time.Now()
	var diff string
	for {
		diff = h.matchServer()
		if diff == "" {
			return time.Since(start)
		}
		if time.Since(start) > within {
			fs, _ := h.cache.Folders(context.Background(), h.acc.Name)
			for _, f := range fs {
				h.t.Logf("cache folder %+v", f)
			}
			h.t.Fatalf("%s: cache does not match the server after %v:\n%s", what, within, diff)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// generate returns n generated messages dated up to now (so the body window holds some).
func generate(seed int64, n int) [][]byte {
	return testbed.Generate(seed, n, testbed.GenOptions{End: time.Now().UTC(), Span: 365 * 24 * time.Hour})
}

func folderByName(t testing.TB, cache *localcache.Cache, account, name string) localcache.Folder {
	t.Helper()
	f, err := cache.FolderByName(context.Background(), account, name)
	if err != nil {
		t.Fatalf("folder %s: %v", name, err)
	}
	return f
}

// deliver drops messages into a folder and has Dovecot index them at once, as a delivery agent
// would: written behind its back, a folder's STATUS can stay stale until it is next opened.
func deliver(t testing.TB, d *testbed.Dovecot, user, folder string, msgs ...[]byte) {
	t.Helper()
	if err := d.Deliver(user, folder, msgs...); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Status(user, folder); err != nil {
		t.Fatal(err)
	}
}
