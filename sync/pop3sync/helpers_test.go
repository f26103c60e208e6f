package pop3sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/internal/testkit/pop3test"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

func TestMain(m *testing.M) {
	// mail.test is the Dovecot testbed on 127.0.0.1, fake.mail.test a fake server on 127.0.0.2.
	testDialContext = testkit.LoopbackDialer(map[string]string{"mail.test": "127.0.0.1", "fake.mail.test": "127.0.0.2"})
	os.Exit(m.Run())
}

func newMail(evs []types.Event) []localcache.Message {
	var out []localcache.Message
	for _, e := range evs {
		if nm, ok := e.(types.NewMail); ok {
			out = append(out, nm.Messages...)
		}
	}
	return out
}

func notices(evs []types.Event) []string {
	var out []string
	for _, e := range evs {
		if n, ok := e.(types.Notice); ok {
			out = append(out, n.Text)
		}
	}
	return out
}

func openCache(t testing.TB, dir string) *localcache.Cache {
	t.Helper()
	c, err := localcache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type harness struct {
	t     testing.TB
	cache *localcache.Cache
	acc   types.Account
	ev    *testkit.Events
	eng   *Engine
}

func newHarness(t testing.TB, cache *localcache.Cache, acc types.Account, password string) *harness {
	h := &harness{t: t, cache: cache, acc: acc.WithDefaults(), ev: &testkit.Events{}}
	h.eng = newEngine(types.EngineDeps{
		Account:  acc,
		Cache:    cache,
		Password: func() (string, error) { return password, nil },
		Emit:     h.ev.Emit,
	})
	h.eng.batchMessages = testBatch
	return h
}

func (h *harness) sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return h.eng.SyncOnce(ctx)
}

func (h *harness) mustSync() []types.Event {
	h.t.Helper()
	if err := h.sync(); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
	return h.ev.Take()
}

// inbox returns every message of the account's local Inbox.
func (h *harness) inbox() []localcache.Message {
	h.t.Helper()
	ctx := context.Background()
	f, err := h.cache.FolderByRole(ctx, h.acc.Name, localcache.RoleInbox)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []localcache.Message
	var cur *localcache.Cursor
	for {
		page, err := h.cache.Page(ctx, []int64{f.ID}, cur, 1000)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out
		}
		cur = localcache.CursorOf(page[len(page)-1])
	}
}

// bodySums counts the SHA-256 of every body indexed in the Inbox.
func (h *harness) bodySums() map[[32]byte]int {
	h.t.Helper()
	out := map[[32]byte]int{}
	for _, m := range h.inbox() {
		raw, err := h.cache.Body(context.Background(), m.BodyKey)
		if err != nil {
			h.t.Fatalf("body of %q: %v", m.Subject, err)
		}
		out[sha256.Sum256(raw)]++
	}
	return out
}

// storedSums is the SHA-256 of every body in the store for the account, indexed or not.
func storedSums(t testing.TB, cache *localcache.Cache, account string) map[[32]byte]bool {
	t.Helper()
	out := map[[32]byte]bool{}
	err := cache.StoredBodies(context.Background(), account, func(b localcache.StoredBody) error {
		out[sha256.Sum256(b.Raw)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dovecotAccount(d *testbed.Dovecot, user string, sec types.Security, leave string) types.Account {
	port := d.POP3SPort
	if sec != types.SecurityTLS {
		port = d.POP3Port
	}
	return types.Account{
		Name: "pop-" + user, Kind: types.POP3, Email: user + "@mail.test",
		Incoming: types.Server{Host: "mail.test", Port: port, Security: sec, User: user, CAFile: d.CAFile},
		POP3:     types.POP3Policy{Leave: leave},
	}
}

func fakeAccount(s *pop3test.Server, sec types.Security, leave string) types.Account {
	return types.Account{
		Name: "fake", Kind: types.POP3, Email: "alice@mail.test",
		Incoming: types.Server{Host: "fake.mail.test", Port: s.Port(), Security: sec, User: "alice"},
		POP3:     types.POP3Policy{Leave: leave},
	}
}

// served is what Dovecot's RETR sends for a maildir file: bare LF becomes CRLF and a missing
// final line end is added (found by experiment; see TestDovecotServesMaildirFiles).
func served(file []byte) []byte {
	var b bytes.Buffer
	for i, c := range file {
		if c == '\n' && (i == 0 || file[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(c)
	}
	if len(file) > 0 && file[len(file)-1] != '\n' {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// maildirSums is the SHA-256 of the served form of every message file of user's INBOX.
func maildirSums(t testing.TB, d *testbed.Dovecot, user string) map[[32]byte]int {
	t.Helper()
	out := map[[32]byte]int{}
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(d.MaildirPath(user), sub)
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[sha256.Sum256(served(b))]++
		}
	}
	return out
}

func sums(msgs [][]byte) map[[32]byte]int {
	out := map[[32]byte]int{}
	for _, m := range msgs {
		out[sha256.Sum256(m)]++
	}
	return out
}
