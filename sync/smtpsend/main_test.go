package smtpsend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/types"
)

// sizeLimit is the shared Postfix's message_size_limit: small, so the "too large" case needs only a
// few hundred kilobytes.
const sizeLimit = 256 << 10

// fixture is one Dovecot and one Postfix shared by the tests of this package (starting Postfix costs
// about two seconds). Tests run one after another; a test that halts Postfix restarts it.
var fixture struct {
	once sync.Once
	d    *testbed.Dovecot
	p    *testbed.Postfix
	err  error
}

// users: alice and bob use IMAP, carol POP3; each test uses fresh Message-IDs.
var users = []testbed.User{
	{Name: "alice", Password: "alice-secret-pw"},
	{Name: "bob", Password: "bob-secret-pw"},
	{Name: "carol", Password: "carol-secret-pw"},
}

func TestMain(m *testing.M) {
	// mail.test is the fake servers' 127.0.0.2; the real servers are dialed at 127.0.0.1.
	dialContext = testkit.LoopbackDialer(map[string]string{"mail.test": "127.0.0.2"})
	code := m.Run()
	if fixture.p != nil {
		if err := fixture.p.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	if fixture.d != nil {
		if err := fixture.d.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// servers returns the shared Dovecot and Postfix, starting them on first use. It skips the test
// when this machine cannot run them (fails it under CI=true).
func servers(t *testing.T) (*testbed.Dovecot, *testbed.Postfix) {
	t.Helper()
	testbed.RequireAvailable(t)
	testbed.RequirePostfix(t)
	fixture.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		fixture.d, fixture.err = testbed.Start(ctx, testbed.Options{Users: users})
		if fixture.err != nil {
			return
		}
		fixture.p, fixture.err = testbed.StartPostfix(ctx, fixture.d, testbed.PostfixOptions{MessageSizeLimit: sizeLimit})
	})
	if fixture.err != nil {
		t.Fatalf("start servers: %v", fixture.err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postfix log tail:\n%s", fixture.p.LogTail(30))
			t.Logf("dovecot log tail:\n%s", fixture.d.LogTail(30))
		}
	})
	return fixture.d, fixture.p
}

// imapAccount is a user's IMAP account on the testbed, sending through the implicit-TLS port.
func imapAccount(d *testbed.Dovecot, p *testbed.Postfix, user string) types.Account {
	return types.Account{
		Name: user, Kind: types.IMAP, DisplayName: user, Email: user + "@mail.test",
		Incoming: types.Server{Host: d.Host, Port: d.IMAPSPort, Security: types.SecurityTLS, User: user, CAFile: d.CAFile},
		Outgoing: types.Server{Host: p.Host, Port: p.SubmissionsPort, Security: types.SecurityTLS, User: user, CAFile: d.CAFile},
	}
}

// pop3Account is a user's POP3 account on the testbed, sending through the STARTTLS port.
func pop3Account(d *testbed.Dovecot, p *testbed.Postfix, user string) types.Account {
	return types.Account{
		Name: user, Kind: types.POP3, DisplayName: user, Email: user + "@mail.test",
		Incoming: types.Server{Host: d.Host, Port: d.POP3SPort, Security: types.SecurityTLS, User: user, CAFile: d.CAFile},
		Outgoing: types.Server{Host: p.Host, Port: p.SubmissionPort, Security: types.SecurityStartTLS, User: user + "@mail.test", CAFile: d.CAFile},
	}
}

// clock is the outbox's injectable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// rig is one device: a cache, a Manager with the IMAP engine, and the outbox on a test clock.
type rig struct {
	cache *localcache.Cache
	m     *accounts.Manager
	ob    *Outbox
	clock *clock
	pw    *testkit.Secrets
}

func newRig(t *testing.T, passwords map[string]string, accs ...types.Account) *rig {
	t.Helper()
	pw := testkit.NewSecrets(accounts.ErrNoPassword, passwords)
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	var ob *Outbox
	m := accounts.NewManager(&accounts.Config{Accounts: accs}, cache, pw,
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend},
		accounts.Options{Sender: func(m *accounts.Manager) accounts.Sender { ob = NewOutbox(cache, m, pw); return ob }})
	c := &clock{now: time.Now()}
	ob.now = c.Now
	return &rig{cache: cache, m: m, ob: ob, clock: c, pw: pw}
}

func (r *rig) outbox(t *testing.T, account string) []localcache.OutboxItem {
	t.Helper()
	items, err := r.cache.Outbox(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// onlyItem returns the account's single outbox item.
func (r *rig) onlyItem(t *testing.T, account string) localcache.OutboxItem {
	t.Helper()
	items := r.outbox(t, account)
	if len(items) != 1 {
		t.Fatalf("outbox of %s holds %d items, want 1: %+v", account, len(items), items)
	}
	return items[0]
}

// serverCopies returns the UIDs of messages with that Message-ID in a folder on the server.
func serverCopies(t *testing.T, c *imapclient.Client, folder, messageID string) []imap.UID {
	t.Helper()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{
		Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: messageID}},
	}, nil).Wait()
	if err != nil {
		t.Fatalf("search %s: %v", folder, err)
	}
	return data.AllUIDs()
}

// waitServerCopies polls until the folder holds want copies of the message, or fails after within.
func waitServerCopies(t *testing.T, c *imapclient.Client, folder, messageID string, want int, within time.Duration) []imap.UID {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		uids := serverCopies(t, c, folder, messageID)
		if len(uids) == want {
			return uids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d copies of <%s> after %v, want %d", folder, len(uids), messageID, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetchRaw returns the exact bytes of a message in the selected folder.
func fetchRaw(t *testing.T, c *imapclient.Client, uid imap.UID) []byte {
	t.Helper()
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatalf("fetch %d: %v", uid, err)
	}
	if len(msgs) != 1 {
		t.Fatalf("fetch %d: %d messages", uid, len(msgs))
	}
	return msgs[0].FindBodySection(section)
}

// sendErr returns err as a *SendError or fails the test.
func sendErr(t *testing.T, err error) *SendError {
	t.Helper()
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want a *SendError", err, err)
	}
	return se
}

// heldAfterFailure queues a message from alice, makes one delivery round that must fail and, a day
// later, another that must leave the held message alone; it returns the outbox item.
func (r *rig) heldAfterFailure(t *testing.T, ctx context.Context, subject string) localcache.OutboxItem {
	t.Helper()
	if err := r.m.Do(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", subject)}); err != nil {
		t.Fatal(err)
	}
	if err := r.ob.Flush(ctx); err == nil {
		t.Fatal("the first delivery round reported success")
	}
	r.clock.Advance(24 * time.Hour)
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return r.onlyItem(t, "alice")
}
