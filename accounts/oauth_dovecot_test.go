package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"postbode/accounts"
	"postbode/accounts/oauth"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/sync/smtpsend"
	"postbode/types"
)

// oauthRig is a profile whose accounts sign in to the test bed's Dovecot and Postfix with OAuth2
// tokens of a real OpenID provider on loopback, run by a Manager with the real engines and outbox.
type oauthRig struct {
	t       *testing.T
	oidc    *testbed.OIDC
	d       *testbed.Dovecot
	p       *testbed.Postfix
	m       *accounts.Manager
	cache   *localcache.Cache
	profile string

	events *testkit.Events

	mu     sync.Mutex
	tokens []string // every token the test saw, for the canary
}

func startOAuthRig(t *testing.T, accessTTL time.Duration) *oauthRig {
	keyring.MockInit()
	oidc := testbed.StartOIDCT(t, testbed.OIDCOptions{AccessTTL: accessTTL})
	d := testbed.StartT(t, testbed.Options{OAuth2: oidc})
	p := testbed.StartPostfixT(t, d, testbed.PostfixOptions{})
	r := &oauthRig{t: t, oidc: oidc, d: d, p: p, profile: t.TempDir()}
	prof := accounts.ProfileIn(r.profile)
	if err := prof.Ensure(); err != nil {
		t.Fatal(err)
	}
	// The provider is data: the profile's oauth.json names the test bed's, serving mail.test.
	if err := os.WriteFile(prof.OAuthFile(), oidc.ProviderFile("testbed", "mail.test"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := oauth.NewRegistry(prof.OAuthFile())
	if err != nil {
		t.Fatal(err)
	}
	r.cache, err = localcache.Open(prof.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cache.Close() })
	backends := map[types.Protocol]types.Backend{
		types.IMAP: imapsync.Backend,
		types.POP3: {New: pop3sync.New, Test: pop3sync.Test},
	}
	r.m = accounts.NewManager(&accounts.Config{}, r.cache, accounts.NewSecrets(), backends, accounts.Options{
		ConfigPath: prof.AccountsFile(), OAuth: reg, TestOutgoing: smtpsend.Test,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Sender: func(m *accounts.Manager) accounts.Sender {
			return smtpsend.NewOutbox(r.cache, m, m.LoginSecrets())
		},
	})
	r.events = testkit.Collect(r.m.Events())
	return r
}

// browser plays the user's browser: it follows the sign-in address to the provider, which
// signs the user in at once and redirects to Postbode's loopback listener.
func (r *oauthRig) browser(url string) error {
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			r.t.Errorf("browser: %v", err)
			return
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "return to Postbode") {
			r.t.Errorf("browser: the sign-in ended with %d %q", resp.StatusCode, page)
		}
	}()
	return nil
}

// add signs an account in the way the wizard does (provider from the address, sign-in, connection
// tests with the access token) and adds it with the refresh token.
func (r *oauthRig) add(ctx context.Context, acc types.Account) {
	t := r.t
	p, ok := r.m.OAuthProviderFor(acc.Email, accounts.DiscoveryResult{})
	if !ok || p.ID != "testbed" {
		t.Fatalf("provider for %s = %+v, %v", acc.Email, p, ok)
	}
	acc.Auth.Method, acc.Auth.Provider = types.AuthOAuth2, p.ID
	tok, err := r.m.SignIn(ctx, acc, r.browser)
	if err != nil {
		t.Fatalf("sign in %s: %v", acc.Name, err)
	}
	r.mu.Lock()
	r.tokens = append(r.tokens, tok.Access, tok.Refresh)
	r.mu.Unlock()
	if _, err := r.m.Test(ctx, acc, tok.Access); err != nil {
		t.Fatalf("incoming test of %s: %v", acc.Name, err)
	}
	if err := r.m.TestOutgoing(ctx, acc, tok.Access); err != nil {
		t.Fatalf("outgoing test of %s: %v", acc.Name, err)
	}
	if err := r.m.AddAccount(ctx, acc, tok.Refresh, true); err != nil {
		t.Fatalf("add %s: %v", acc.Name, err)
	}
}

func (r *oauthRig) account(name string, kind types.Protocol, mech string) types.Account {
	port := r.d.IMAPSPort
	if kind == types.POP3 {
		port = r.d.POP3SPort
	}
	return types.Account{
		Name: name, Kind: kind, Email: "alice@mail.test", Auth: types.Auth{Mechanism: mech},
		Incoming: types.Server{Host: r.d.Host, Port: port, Security: types.SecurityTLS, User: "alice", CAFile: r.d.CAFile},
		Outgoing: types.Server{Host: r.p.Host, Port: r.p.SubmissionsPort, Security: types.SecurityTLS, User: "alice", CAFile: r.d.CAFile},
	}
}

// count is how many events of the account match.
func (r *oauthRig) count(account string, match func(types.Event) bool) int {
	n := 0
	for _, ev := range r.events.All() {
		if ev.AccountName() == account && match(ev) {
			n++
		}
	}
	return n
}

func isState(s types.State) func(types.Event) bool {
	return func(ev types.Event) bool { cs, ok := ev.(types.ConnState); return ok && cs.State == s }
}

func isProblem(p types.Problem) func(types.Event) bool {
	return func(ev types.Event) bool {
		cs, ok := ev.(types.ConnState)
		return ok && cs.State == types.StateError && accounts.Diagnose(cs.Err) == p
	}
}

func isSent(ev types.Event) bool { _, ok := ev.(types.Sent); return ok }

// has waits until the account's Inbox in the cache holds a message with the subject.
func (r *oauthRig) has(account, subject string) {
	r.t.Helper()
	until(r.t, 30*time.Second, fmt.Sprintf("%q in %s", subject, account), func() bool {
		inbox, err := r.cache.FolderByRole(context.Background(), account, localcache.RoleInbox)
		if err != nil {
			return false
		}
		msgs, err := r.cache.Page(context.Background(), []int64{inbox.ID}, nil, 200)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Subject == subject {
				return true
			}
		}
		return false
	})
}

func (r *oauthRig) deliver(subject string) {
	r.t.Helper()
	msg := fmt.Sprintf("From: bob@mail.test\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\n"+
		"Message-ID: <%d@mail.test>\r\n\r\nhello\r\n", subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	if err := r.d.DeliverLMTP(context.Background(), "alice", []byte(msg)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *oauthRig) send(ctx context.Context, account, subject string) {
	r.t.Helper()
	before := r.count(account, isSent)
	err := r.m.Do(ctx, types.Send{Account: account, Draft: mailfmt.Draft{
		From: mailfmt.Address{Email: "alice@mail.test"}, To: []mailfmt.Address{{Email: "bob@mail.test"}},
		Subject: subject, Text: "sent with an OAuth2 token",
	}})
	if err != nil {
		r.t.Fatal(err)
	}
	until(r.t, 30*time.Second, "the outbox to send "+subject, func() bool { return r.count(account, isSent) > before })
}

// canary: no token the test saw is in any file of the profile or in any event's text.
func (r *oauthRig) canary() {
	r.t.Helper()
	r.mu.Lock()
	tokens := append([]string(nil), r.tokens...)
	r.mu.Unlock()
	if testkit.NoFileContains(r.t, r.profile, tokens...) == 0 {
		r.t.Fatal("the profile has no files")
	}
	for _, ev := range r.events.All() {
		text := fmt.Sprintf("%+v", ev)
		for _, tok := range tokens {
			if strings.Contains(text, tok) {
				r.t.Fatalf("a token is in an event: %.80q", text)
			}
		}
	}
}

// TestOAuth2EndToEnd adds an IMAP and a POP3 account through the wizard's calls (the test is the
// browser), then syncs, receives by IDLE, downloads by POP3 and sends by SMTP with OAuth2 tokens
// that expire every few seconds, survives a revoked sign-in with one visible "sign in again" and no
// storm of token requests, and resumes after signing in again. Once with XOAUTH2, once with
// OAUTHBEARER.
func TestOAuth2EndToEnd(t *testing.T) {
	for _, mech := range []string{types.MechXOAUTH2, types.MechOAUTHBEARER} {
		t.Run(mech, func(t *testing.T) { oauthEndToEnd(t, mech) })
	}
}

func oauthEndToEnd(t *testing.T, mech string) {
	const ttl = 3 * time.Second
	r := startOAuthRig(t, ttl)
	if err := r.d.Deliver("alice", "INBOX", testbed.Generate(5, 3, testbed.GenOptions{})...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); r.m.Wait() })
	r.add(ctx, r.account("imap", types.IMAP, mech))
	r.add(ctx, r.account("pop", types.POP3, mech))
	r.m.Start(ctx)
	until(t, 60*time.Second, "the IMAP account online", func() bool { return r.count("imap", isState(types.StateOnline)) > 0 })
	until(t, 60*time.Second, "the POP3 account checked", func() bool { return r.count("pop", isState(types.StateWaiting)) > 0 })
	r.deliver("By IDLE")
	r.has("imap", "By IDLE")
	r.send(ctx, "imap", "Sent with a fresh token")

	// Tokens expire every ttl: the IDLE session goes on, and new logins (a dropped connection,
	// the outbox, a POP3 check) take a renewed token without the user.
	start, requests := time.Now(), r.oidc.TokenRequests()
	for i := range 3 {
		time.Sleep(ttl + 500*time.Millisecond)
		if err := r.d.KillConnections("alice"); err != nil {
			t.Fatal(err)
		}
		subject := fmt.Sprintf("After expiry %d", i)
		r.deliver(subject)
		r.has("imap", subject)
		r.send(ctx, "imap", "Sent after expiry "+subject)
		if err := r.m.SyncOnce(ctx, "pop"); err != nil {
			t.Fatalf("POP3 check after expiry %d: %v", i, err)
		}
		r.has("pop", subject)
	}
	// One source per account (IMAP and POP3) refreshes at most once per lifetime that ended.
	lifetimes := int(time.Since(start)/ttl) + 1
	if got := r.oidc.TokenRequests() - requests; got > 2*lifetimes {
		t.Errorf("%d token requests in %d token lifetimes of two accounts", got, lifetimes)
	} else {
		t.Logf("%d token requests in %v (%d lifetimes, two accounts)", got, time.Since(start).Round(time.Second), lifetimes)
	}

	// The provider revokes the sign-in: once the access token runs out the account says "sign in
	// again" once and waits for the user, asking the provider nothing more.
	r.oidc.Revoke()
	time.Sleep(ttl + 500*time.Millisecond)
	if err := r.d.KillConnections("alice"); err != nil {
		t.Fatal(err)
	}
	until(t, 30*time.Second, "sign in again", func() bool { return r.count("imap", isProblem(types.ProblemSignIn)) > 0 })
	requests = r.oidc.TokenRequests()
	time.Sleep(3 * time.Second) // 15 reconnect waits of MaxBackoff, had the Manager kept trying
	if n := r.count("imap", isProblem(types.ProblemSignIn)); n != 1 {
		t.Errorf("the account said 'sign in again' %d times", n)
	}
	if got := r.oidc.TokenRequests() - requests; got > 1 { // the POP3 account may find out now
		t.Errorf("%d token requests after the refused refresh", got)
	}
	r.deliver("While signed out")

	// Signing in again resumes the account with nothing lost.
	if err := r.m.SignInAgain(ctx, "imap", r.browser, true); err != nil {
		t.Fatal(err)
	}
	r.has("imap", "While signed out")
	r.send(ctx, "imap", "Sent after signing in again")
	r.canary()
}

// A provider that is configured without a client ID is refused before a browser opens.
func TestOAuth2SignInNeedsClientID(t *testing.T) {
	reg, err := oauth.NewRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	m := accounts.NewManager(&accounts.Config{}, nil, accounts.NewSecrets(), nil, accounts.Options{OAuth: reg})
	acc := types.Account{Name: "o", Kind: types.IMAP, Email: "someone@outlook.com",
		Auth: types.Auth{Method: types.AuthOAuth2, Provider: "microsoft"}}
	opened := false
	_, err = m.SignIn(context.Background(), acc, func(string) error { opened = true; return nil })
	if !errors.Is(err, oauth.ErrNotConfigured) || opened {
		t.Fatalf("SignIn without a client ID: %v (browser opened: %v)", err, opened)
	}
}
