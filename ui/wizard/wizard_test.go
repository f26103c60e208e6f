package wizard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/accounts/autoconfig"
	"postbode/accounts/oauth"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/sync/smtpsend"
	"postbode/types"
	"postbode/ui/internal/uitest"
)

func TestMain(m *testing.M) {
	uitest.SetLanguage()
	os.Exit(m.Run())
}

// Shorter names for the shared window helpers.
var (
	windowObjects = uitest.WindowObjects
	windowTexts   = uitest.WindowTexts
	shown         = uitest.Shown
	findButton    = uitest.FindButton
	hasButton     = uitest.HasButton
	inView        = uitest.InView
	labelWith     = uitest.LabelWith
)

// wizardEnv runs the wizard over a started Manager with a profile folder of its own, with an
// executor and a task runner the test drains, and records what the wizard tells the main window.
type wizardEnv struct {
	*uitest.Profile
	t      *testing.T
	app    fyne.App
	q      *uitest.ExecQueue
	active atomic.Int64 // goroutines started through Deps.Spawn that have not returned

	added   []added  // OnAdded calls
	notices []string // Notice calls
	moved   []string // OnMoveToIMAP calls
}

type added struct {
	name        string
	sessionOnly bool
}

type wizardOpts struct {
	backends map[types.Protocol]types.Backend
	discover func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error)
	testSMTP func(ctx context.Context, acc types.Account, password string) error
	accounts []types.Account      // configured before the window opens, with password "pw"
	oauth    *oauth.Registry      // OAuth2 providers (nil: none)
	browser  func(*url.URL) error // what opening a link does (nil: nothing)
}

func realBackends() map[types.Protocol]types.Backend {
	return map[types.Protocol]types.Backend{
		types.IMAP: imapsync.Backend,
		types.POP3: {New: pop3sync.New, Test: pop3sync.Test},
	}
}

func newWizardEnv(t *testing.T, o wizardOpts) *wizardEnv {
	t.Helper()
	var a fyne.App = test.NewTempApp(t)
	if o.browser != nil {
		a = &browserApp{App: a, open: o.browser}
	}
	p := uitest.NewProfile(t, uitest.ProfileOpts{Backends: o.backends, Discover: o.discover, TestSMTP: o.testSMTP,
		Accounts: o.accounts, OAuth: o.oauth})
	return &wizardEnv{Profile: p, t: t, app: a, q: &uitest.ExecQueue{}}
}

// deps is what the main window would give the wizard.
func (e *wizardEnv) deps() Deps {
	return Deps{
		App:     e.app,
		Manager: e.Manager,
		Ctx:     e.Ctx,
		Exec:    e.q.Exec,
		Spawn: func(fn func(ctx context.Context)) {
			e.active.Add(1)
			go func() {
				defer e.active.Add(-1)
				fn(e.Ctx)
			}()
		},
		Notice: func(_, text string) { e.notices = append(e.notices, text) },
		OnAdded: func(name string, sessionOnly bool) {
			e.added = append(e.added, added{name, sessionOnly})
		},
		OnMoveToIMAP: func(pop string) { e.moved = append(e.moved, pop) },
	}
}

// settle runs queued UI work until no task is running and nothing is queued.
func (e *wizardEnv) settle() {
	e.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if !e.q.RunAll() && e.active.Load() == 0 && e.q.Empty() {
			return
		}
	}
	e.t.Fatal("the wizard did not settle")
}

func tapButton(t *testing.T, e *wizardEnv, w fyne.Window, label string) {
	t.Helper()
	uitest.TapButton(t, e.settle, w, label)
}

func tapLink(t *testing.T, e *wizardEnv, w fyne.Window, label string) {
	t.Helper()
	uitest.TapLink(t, e.settle, w, label)
}

func (e *wizardEnv) mustShow(w fyne.Window, want ...string) {
	e.t.Helper()
	uitest.MustShow(e.t, w, want...)
}

// fillIdentity opens the wizard and fills step 1.
func (e *wizardEnv) fillIdentity(email, password string) *Wizard {
	e.t.Helper()
	w := Open(e.deps())
	e.settle()
	test.Type(w.nameE, "Alice Tester")
	test.Type(w.emailE, email)
	test.Type(w.pwE, password)
	return w
}

// waitUntil runs the UI until cond holds.
func (e *wizardEnv) waitUntil(what string, d time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		e.q.RunAll()
		time.Sleep(20 * time.Millisecond)
	}
	e.settle()
}

// idleEngine is an account engine that does nothing.
type idleEngine struct{}

func (idleEngine) Run(ctx context.Context) error      { <-ctx.Done(); return ctx.Err() }
func (idleEngine) SyncOnce(ctx context.Context) error { return nil }
func (idleEngine) Wake()                              {}

const autoconfigXML = `<?xml version="1.0"?>
<clientConfig version="1.1">
 <emailProvider id="mail.test">
  <domain>mail.test</domain>
  <displayName>Test Mail</displayName>
  <incomingServer type="imap"><hostname>localhost</hostname><port>%d</port><socketType>SSL</socketType>
   <username>%%EMAILLOCALPART%%</username><authentication>password-cleartext</authentication></incomingServer>
  <incomingServer type="pop3"><hostname>localhost</hostname><port>%d</port><socketType>SSL</socketType>
   <username>%%EMAILLOCALPART%%</username><authentication>password-cleartext</authentication></incomingServer>
  <outgoingServer type="smtp"><hostname>localhost</hostname><port>%d</port><socketType>SSL</socketType>
   <username>%%EMAILLOCALPART%%</username><authentication>password-cleartext</authentication></outgoingServer>
 </emailProvider>
</clientConfig>`

// noDNS answers every lookup with "not found", so discovery stays on loopback.
type noDNS struct{}

func (noDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}
func (noDNS) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// autoconfigServer serves the XML for the test bed; tls chooses https (a trusted source) or plain
// http (an insecure one the user must confirm). It returns the discovery function for Deps.
func autoconfigServer(t *testing.T, secure bool, xml string) func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/mail/config-v1.1.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, xml)
	})
	var srv *httptest.Server
	if secure {
		srv = httptest.NewTLSServer(mux)
	} else {
		srv = httptest.NewServer(mux)
	}
	t.Cleanup(srv.Close)
	return func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error) {
		return autoconfig.Discover(ctx, email, autoconfig.Options{
			AutoconfigURLs:   func(string) []string { return []string{srv.URL + "/mail/config-v1.1.xml"} },
			ISPDBURL:         srv.URL + "/ispdb/",
			Resolver:         noDNS{},
			HTTPClient:       srv.Client(),
			NoGuess:          true,
			PerSourceTimeout: 5 * time.Second,
		})
	}
}

const canaryPW = "canary-pw-4711-secret"

func startMailServers(t *testing.T, smtp bool) (*testbed.Dovecot, *testbed.Postfix) {
	d := testbed.StartT(t, testbed.Options{Users: []testbed.User{{Name: "alice", Password: canaryPW}}})
	msgs := testbed.Generate(7, 5, testbed.GenOptions{})
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	var p *testbed.Postfix
	if smtp {
		p = testbed.StartPostfixT(t, d, testbed.PostfixOptions{})
	}
	return d, p
}

// waitForMail waits until the account's inbox in the cache holds n messages, and checks that the
// main window was told of the account.
func (e *wizardEnv) waitForMail(account string, n int) {
	e.t.Helper()
	e.waitUntil("the first sync of "+account, 30*time.Second, func() bool {
		f, err := e.Cache.FolderByRole(context.Background(), account, localcache.RoleInbox)
		return err == nil && f.Total >= n
	})
	if !slices.ContainsFunc(e.added, func(a added) bool { return a.name == account }) {
		e.t.Fatalf("the main window was not told of %s: %v", account, e.added)
	}
}

func TestWizardIMAPEndToEnd(t *testing.T) {
	d, p := startMailServers(t, true)
	e := newWizardEnv(t, wizardOpts{
		backends: realBackends(),
		discover: autoconfigServer(t, true, fmt.Sprintf(autoconfigXML, d.IMAPSPort, d.POP3SPort, p.SubmissionsPort)),
		testSMTP: smtpsend.Test,
	})
	w := e.fillIdentity("alice@mail.test", canaryPW)
	w.caFile = d.CAFile // the advanced "trusted CA" setting: the test bed has its own CA
	tapButton(t, e, w.win, "Continue")
	if w.page != pageType {
		t.Fatalf("after discovery the wizard shows %q: %q", w.page, windowTexts(w.win))
	}
	e.mustShow(w.win, "your provider's configuration file: autoconfig (127.0.0.1)", "IMAP keeps your mail",
		"POP3 downloads your mail to this computer only")
	if findButton(t, w.win, "Continue").Disabled() {
		t.Fatal("settings from an https autoconfig file need no confirmation")
	}
	tapButton(t, e, w.win, "Continue")
	if w.page != pageTest || !w.tested {
		t.Fatalf("connection test did not pass: %q", windowTexts(w.win))
	}
	e.mustShow(w.win, "Incoming mail (IMAP): localhost:", "Outgoing mail (SMTP): localhost:", "Logged in.")
	tapButton(t, e, w.win, "Finish")
	if !w.closed {
		t.Fatalf("wizard still open: %q", windowTexts(w.win))
	}
	acc, ok := e.Manager.Account("alice@mail.test")
	if !ok || acc.Kind != types.IMAP || acc.Incoming.User != "alice" || acc.DisplayName != "Alice Tester" {
		t.Fatalf("account = %+v, %v", acc, ok)
	}
	if pw, _ := e.Store.InKeyring("alice@mail.test"); pw != canaryPW {
		t.Fatal("password not in the keyring")
	}
	e.waitForMail("alice@mail.test", 5)
	if len(e.added) != 1 || e.added[0] != (added{"alice@mail.test", false}) {
		t.Fatalf("the main window was told %v", e.added)
	}
	cfg, err := accounts.LoadConfig(e.ConfigPath)
	if err != nil || len(cfg.Accounts) != 1 {
		t.Fatalf("config %+v %v", cfg, err)
	}
	e.AssertNoPasswordInFiles(t, canaryPW)
}

func TestWizardPOP3EndToEnd(t *testing.T) {
	d, p := startMailServers(t, true)
	// Count connection tests: none may run before the user confirmed the unverified settings.
	var mu sync.Mutex
	var tests int
	backends := realBackends()
	for k, b := range backends {
		inner := b.Test
		b.Test = func(ctx context.Context, acc types.Account, pw string) (types.TestReport, error) {
			mu.Lock()
			tests++
			mu.Unlock()
			return inner(ctx, acc, pw)
		}
		backends[k] = b
	}
	e := newWizardEnv(t, wizardOpts{
		backends: backends,
		discover: autoconfigServer(t, false, fmt.Sprintf(autoconfigXML, d.IMAPSPort, d.POP3SPort, p.SubmissionsPort)),
		testSMTP: smtpsend.Test,
	})
	e.Store.KeyringDown(accounts.ErrNoKeyring)
	w := e.fillIdentity("alice@mail.test", canaryPW)
	w.caFile = d.CAFile
	tapButton(t, e, w.win, "Continue")
	if w.page != pageType {
		t.Fatalf("wizard shows %q", w.page)
	}
	e.mustShow(w.win, "fetched without encryption", "Check these servers before you continue", "Incoming mail (IMAP): localhost:")
	if !findButton(t, w.win, "Continue").Disabled() {
		t.Fatal("unverified settings can be used without confirmation")
	}
	mu.Lock()
	if tests != 0 {
		t.Fatal("a connection was tested before confirmation")
	}
	mu.Unlock()
	// Choose POP3: keep mail on the server for 14 days, check every 5 minutes.
	for _, o := range windowObjects(w.win) {
		if r, ok := o.(*widget.RadioGroup); ok && len(r.Options) == 1 && r.Options[0] == "POP3" {
			r.SetSelected("POP3")
		}
	}
	e.settle()
	if w.kind != types.POP3 {
		t.Fatal("POP3 not chosen")
	}
	e.mustShow(w.win, "Incoming mail (POP3): localhost:", "Keep mail on the server")
	w.pop3.keepFor.SetSelected("for 14 days")
	w.pop3.interval.SetSelected("every 5 minutes")
	for _, o := range windowObjects(w.win) {
		if c, ok := o.(*widget.Check); ok && c.Text == "These are my provider's servers" {
			test.Tap(c)
		}
	}
	e.settle()
	tapButton(t, e, w.win, "Continue")
	if w.page != pageTest || !w.tested {
		t.Fatalf("connection test did not pass: %q", windowTexts(w.win))
	}
	tapButton(t, e, w.win, "Finish")
	acc, ok := e.Manager.Account("alice@mail.test")
	if !ok || acc.Kind != types.POP3 || acc.POP3.Leave != types.LeaveDays || acc.POP3.Days != 14 ||
		acc.POP3.PollInterval.Duration != 5*time.Minute {
		t.Fatalf("account = %+v", acc)
	}
	if len(e.added) != 1 || !e.added[0].sessionOnly {
		t.Fatalf("the main window was not told that the password is kept for this session only: %v", e.added)
	}
	if pw, err := e.Store.Get("alice@mail.test"); err != nil || pw != canaryPW {
		t.Fatal("the password is not kept for the session")
	}
	e.waitForMail("alice@mail.test", 5)
	e.AssertNoPasswordInFiles(t, canaryPW)
}

// fakeIMAP is a plaintext IMAP server that never offers STARTTLS; it records what it was sent.
func fakeIMAP(t *testing.T) (port int, received func() string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	var got strings.Builder
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprint(c, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					line := sc.Text()
					mu.Lock()
					got.WriteString(line + "\n")
					mu.Unlock()
					tag, _, _ := strings.Cut(line, " ")
					fmt.Fprintf(c, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n%s OK done\r\n", tag)
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, func() string {
		mu.Lock()
		defer mu.Unlock()
		return got.String()
	}
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// manualIMAP fills the manual page with an IMAP server on 127.0.0.1.
func (e *wizardEnv) manualIMAP(w *Wizard, port int, security types.Security, caFile, user string) {
	e.t.Helper()
	if w.page != pageManual {
		e.t.Fatalf("wizard shows %q, not the manual settings", w.page)
	}
	w.form.kind.SetSelected("IMAP")
	w.form.in.host.SetText("127.0.0.1")
	w.form.in.security.SetSelected(securityLabel(security))
	w.form.in.port.SetText(fmt.Sprint(port))
	w.form.in.user.SetText(user)
	w.form.out.host.SetText("127.0.0.1")
	w.form.out.user.SetText(user)
	w.form.caFile.SetText(caFile)
	tapButton(e.t, e, w.win, "Test settings")
}

func TestWizardConnectionFailures(t *testing.T) {
	d, _ := startMailServers(t, false)
	noDiscovery := func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error) {
		return nil, &accounts.NoSettingsFoundError{Address: email}
	}
	newEnv := func(t *testing.T) *wizardEnv {
		return newWizardEnv(t, wizardOpts{backends: realBackends(), discover: noDiscovery})
	}

	t.Run("not found leads to manual settings", func(t *testing.T) {
		e := newEnv(t)
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapButton(t, e, w.win, "Continue")
		if w.page != pageManual {
			t.Fatalf("wizard shows %q", w.page)
		}
		e.mustShow(w.win, "No settings were found for mail.test")
		// Unencrypted connections only to local hosts.
		w.form.in.host.SetText("mail.example.org")
		w.form.in.security.SetSelected(securityLabel(types.SecurityPlain))
		w.form.out.host.SetText("mail.example.org")
		tapButton(t, e, w.win, "Test settings")
		e.mustShow(w.win, "Unencrypted connections are allowed only to a server on this computer or your local network")
		if w.page != pageManual {
			t.Fatal("plaintext to a remote host was accepted")
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		e := newEnv(t)
		w := e.fillIdentity("alice@mail.test", "not-the-password")
		tapLink(t, e, w.win, "Configure manually")
		e.manualIMAP(w, d.IMAPSPort, types.SecurityTLS, d.CAFile, "alice")
		e.mustShow(w.win, "The server refused the user name or password.", "app password")
		if w.tested || !findButton(t, w.win, "Finish").Disabled() {
			t.Fatal("a refused login can be finished")
		}
		var pw *widget.Entry
		for _, o := range windowObjects(w.win) {
			if en, ok := o.(*widget.Entry); ok && en.Password && en != w.pwE && shown(w.win, en) {
				pw = en
			}
		}
		if pw == nil {
			t.Fatal("no password field next to the refusal")
		}
		test.Type(pw, canaryPW)
		tapButton(t, e, w.win, "Try again")
		if !w.tested {
			t.Fatalf("the right password did not pass: %q", windowTexts(w.win))
		}
		e.mustShow(w.win, "Not tested here")
	})

	t.Run("untrusted certificate, then pinned", func(t *testing.T) {
		e := newEnv(t)
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapLink(t, e, w.win, "Configure manually")
		e.manualIMAP(w, d.IMAPSPort, types.SecurityTLS, "", "alice") // the test bed's CA is not trusted
		e.mustShow(w.win, "The certificate of 127.0.0.1 is not trusted.", "issued by an authority this computer does not know",
			"Postbode testbed CA", "Trust it only if you know this server")
		cert, ok := accounts.CertProblem(w.check.results[ServerIncoming])
		if !ok {
			t.Fatal("no certificate problem recorded")
		}
		e.mustShow(w.win, fingerprint(cert.SHA256), cert.Subject)
		tapButton(t, e, w.win, "Trust this certificate for this account")
		if !w.tested {
			t.Fatalf("the pinned certificate did not pass: %q", windowTexts(w.win))
		}
		tapButton(t, e, w.win, "Finish")
		acc, ok := e.Manager.Account("alice@mail.test")
		if !ok || acc.Incoming.PinSHA256 != cert.SHA256 {
			t.Fatalf("pin not saved: %+v", acc.Incoming)
		}
		e.AssertNoPasswordInFiles(t, canaryPW)
	})

	t.Run("STARTTLS stripped", func(t *testing.T) {
		e := newEnv(t)
		port, received := fakeIMAP(t)
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapLink(t, e, w.win, "Configure manually")
		e.manualIMAP(w, port, types.SecurityStartTLS, "", "alice")
		e.mustShow(w.win, "127.0.0.1 did not offer encryption.",
			"This server did not offer encryption; Postbode will not send your password.")
		if got := received(); strings.Contains(got, canaryPW) || strings.Contains(strings.ToUpper(got), "LOGIN") {
			t.Fatalf("credentials sent to a server without encryption: %q", got)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		e := newEnv(t)
		port := closedPort(t)
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapLink(t, e, w.win, "Configure manually")
		e.manualIMAP(w, port, types.SecurityTLS, "", "alice")
		e.mustShow(w.win, fmt.Sprintf("Could not connect to 127.0.0.1 on port %d.", port), "a firewall may block the port")
		// Manual settings stay one click away.
		tapButton(t, e, w.win, "Edit settings")
		if w.page != pageManual || w.form.in.port.Text != fmt.Sprint(port) {
			t.Fatalf("edit settings shows %q with port %q", w.page, w.form.in.port.Text)
		}
	})
}

func TestWizardTrustAndConfirmRules(t *testing.T) {
	cases := map[string]bool{
		"autoconfig (autoconfig.example.org)": false,
		"ISPDB":                               false,
		"ISPDB via MX (google.com)":           false,
		"DNS SRV":                             true,
		"guessed and probed":                  true,
		"something new":                       true,
	}
	for src, want := range cases {
		if got := needsConfirmation(accounts.DiscoveryResult{Source: src}); got != want {
			t.Errorf("needsConfirmation(%q) = %v", src, got)
		}
	}
	if !needsConfirmation(accounts.DiscoveryResult{Source: "autoconfig (autoconfig.example.org, unencrypted http)", InsecureSource: true}) {
		t.Error("an http source needs no confirmation")
	}
	// A plaintext server from a config file is never used.
	w := &Wizard{}
	w.acc.Email = "me@example.org"
	r := accounts.DiscoveryResult{Incoming: []accounts.DiscoveredServer{
		{Protocol: types.IMAP, Server: types.Server{Host: "plain.example.org", Port: 143, Security: types.SecurityPlain}},
		{Protocol: types.IMAP, Server: types.Server{Host: "imap.example.org", Port: 993, Security: types.SecurityTLS}},
	}}
	if a := w.accountFrom(r, types.IMAP); a.Incoming.Host != "imap.example.org" || a.Incoming.User != "me@example.org" {
		t.Fatalf("accountFrom = %+v", a.Incoming)
	}
	r.Incoming = r.Incoming[:1]
	if a := w.accountFrom(r, types.IMAP); a.Incoming.Host != "" {
		t.Fatalf("a plaintext server was taken from discovery: %+v", a.Incoming)
	}
	// OAuth-only providers are explained.
	e := errors.New("imap login as me: NO [AUTHENTICATIONFAILED] AUTHENTICATE failed: basic authentication is disabled")
	if got := problemTitle(types.Server{Host: "outlook.example"}, e); got != "outlook.example does not accept passwords from mail programs." {
		t.Fatalf("OAuth title %q", got)
	}
	if !strings.Contains(problemAdvice(e), "app password") {
		t.Fatal("OAuth advice does not mention app passwords")
	}
	for in, want := range map[string]bool{"127.0.0.1": true, "localhost": true, "192.168.1.10": true, "nas": true,
		"mail.example.org": false, "8.8.8.8": false} {
		if localHost(in) != want {
			t.Errorf("localHost(%q) != %v", in, want)
		}
	}
}

// fakeBackends accept every login unless screenTest says otherwise (by the incoming host's first
// label: "selfsigned", "down", …), and run engines that do nothing.
func fakeBackends() map[types.Protocol]types.Backend {
	b := types.Backend{New: func(d types.EngineDeps) types.Engine { return idleEngine{} }, Test: screenTest}
	return map[types.Protocol]types.Backend{types.IMAP: b, types.POP3: b}
}

func notFoundDiscovery(ctx context.Context, email string) ([]accounts.DiscoveryResult, error) {
	return nil, &accounts.NoSettingsFoundError{Address: email}
}

// manualServers fills the manual page: incoming IMAP over TLS, outgoing SMTP (host "" for none).
func (e *wizardEnv) manualServers(w *Wizard, inHost string, inPort int, outHost string, outPort int) {
	e.t.Helper()
	if w.page != pageManual {
		e.t.Fatalf("wizard shows %q, not the manual settings", w.page)
	}
	w.form.kind.SetSelected("IMAP")
	w.form.in.host.SetText(inHost)
	w.form.in.security.SetSelected(securityLabel(types.SecurityTLS))
	w.form.in.port.SetText(fmt.Sprint(inPort))
	w.form.out.host.SetText(outHost)
	w.form.out.security.SetSelected(securityLabel(types.SecurityTLS))
	w.form.out.port.SetText(fmt.Sprint(outPort))
}

// An outgoing server that does not answer does not keep the user from adding an account whose
// incoming server works: "Finish anyway" saves it with the settings as typed.
func TestWizardSMTPDownFinishAnyway(t *testing.T) {
	e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery, testSMTP: smtpsend.Test})
	w := e.fillIdentity("alice@mail.test", canaryPW)
	tapButton(t, e, w.win, "Continue")
	port := closedPort(t)
	e.manualServers(w, "127.0.0.1", 993, "127.0.0.1", port)
	tapButton(t, e, w.win, "Test settings")
	if w.page != pageTest {
		t.Fatalf("wizard shows %q: %q", w.page, windowTexts(w.win))
	}
	e.mustShow(w.win, fmt.Sprintf("Could not connect to 127.0.0.1 on port %d.", port))
	if hasButton(w.win, "Finish") && !findButton(t, w.win, "Finish").Disabled() {
		t.Fatal("Finish is offered as if everything worked")
	}
	anyway := findButton(t, w.win, "Finish anyway")
	if anyway.Disabled() {
		t.Fatal("Finish anyway is disabled")
	}
	note := labelWith(t, w.win, "sending is tested again")
	if !inView(w.win, note) || !inView(w.win, anyway) {
		t.Fatalf("the explanation or the button is out of view: %v %v", note.Position(), w.win.Canvas().Size())
	}
	tapButton(t, e, w.win, "Finish anyway")
	if !w.closed {
		t.Fatalf("wizard still open: %q", windowTexts(w.win))
	}
	acc, ok := e.Manager.Account("alice@mail.test")
	if !ok || acc.Outgoing.Host != "127.0.0.1" || acc.Outgoing.Port != port || acc.Incoming.Host != "127.0.0.1" {
		t.Fatalf("account = %+v, %v", acc, ok)
	}
}

// An empty outgoing server is no reason to refuse the settings: the account can receive mail, and
// the user is told, next to the buttons, that sending is not set up.
func TestWizardBlankSMTP(t *testing.T) {
	e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery, testSMTP: smtpsend.Test})
	w := e.fillIdentity("alice@mail.test", canaryPW)
	tapButton(t, e, w.win, "Continue")
	w.form.advanced.Open(0) // a long form: the end of it is out of view
	e.settle()
	e.manualServers(w, "127.0.0.1", 99999, "", 465)
	// A mistake is shown where the user looks: next to the button, not below the form.
	tapButton(t, e, w.win, "Test settings")
	if w.page != pageManual {
		t.Fatal("a wrong port was accepted")
	}
	if l := labelWith(t, w.win, "port must be a number"); !inView(w.win, l) {
		t.Fatalf("the error is out of view at %v in a %v window", l.Position(), w.win.Canvas().Size())
	}
	w.form.in.port.SetText("993")
	tapButton(t, e, w.win, "Test settings")
	if w.page != pageTest {
		t.Fatalf("a blank outgoing server was refused: %q", windowTexts(w.win))
	}
	if l := labelWith(t, w.win, "No outgoing (SMTP) server"); !inView(w.win, l) {
		t.Fatal("the note about sending is out of view")
	}
	tapButton(t, e, w.win, "Finish anyway")
	acc, ok := e.Manager.Account("alice@mail.test")
	if !ok || acc.Outgoing != (types.Server{}) {
		t.Fatalf("account = %+v, %v", acc, ok)
	}
	if b := strings.Join(e.notices, "\n"); !strings.Contains(b, "Account settings") {
		t.Fatalf("the main window does not say how to set up sending: %q", b)
	}
}

// Edit settings after a long test page shows the settings from the top, laid out in the window.
func TestWizardEditSettingsShowsForm(t *testing.T) {
	e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery, testSMTP: screenSMTP})
	w := e.fillIdentity("alice@mail.test", canaryPW)
	tapButton(t, e, w.win, "Continue")
	e.manualServers(w, "selfsigned.home.example", 993, "selfsigned.home.example", 465)
	w.form.kind.SetSelected("POP3")
	w.form.in.port.SetText("995")
	w.form.caFile.SetText("/etc/ssl/home-ca.pem") // the settings open with Advanced shown: a long form
	tapButton(t, e, w.win, "Test settings")
	e.mustShow(w.win, "is not trusted")
	root := w.win.Content()
	var scroll *container.Scroll // the page's, not an entry's
	for _, o := range windowObjects(w.win) {
		if s, ok := o.(*container.Scroll); ok && (scroll == nil || s.Size().Height > scroll.Size().Height) {
			scroll = s
		}
	}
	if scroll == nil {
		t.Fatal("no scroll container")
	}
	scroll.ScrollToOffset(fyne.NewPos(0, 10000))
	e.settle()
	if scroll.Offset.Y <= 0 {
		t.Fatalf("the test page does not scroll (content %v in %v)", scroll.Content.MinSize(), scroll.Size())
	}
	tapButton(t, e, w.win, "Edit settings")
	if w.page != pageManual || w.win.Content() != root {
		t.Fatalf("edit settings shows %q", w.page)
	}
	if size := w.win.Canvas().Size(); size.Width != 640 || size.Height != 680 {
		t.Fatalf("the window grew to %v", size)
	}
	if !inView(w.win, w.form.kind) || !inView(w.win, w.form.in.host) {
		t.Fatalf("the settings are not shown from the top (offset %v)", scroll.Offset)
	}
	if !inView(w.win, findButton(t, w.win, "Test settings")) {
		t.Fatal("Test settings is out of view")
	}
}

func TestWizardSmallThings(t *testing.T) {
	t.Run("a local address", func(t *testing.T) {
		e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery})
		w := e.fillIdentity("alice@localhost", canaryPW)
		tapButton(t, e, w.win, "Continue")
		if w.page != pageManual {
			t.Fatalf("alice@localhost was refused: %q", windowTexts(w.win))
		}
		w.showIdentity()
		w.emailE.SetText("alice")
		tapButton(t, e, w.win, "Continue")
		if w.page != pageIdentity {
			t.Fatal("an address without a domain was accepted")
		}
	})

	t.Run("outgoing user name follows until edited", func(t *testing.T) {
		e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery})
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapButton(t, e, w.win, "Continue")
		test.Type(w.form.in.user, "x")
		if w.form.in.user.Text == "alice@mail.test" || w.form.out.user.Text != w.form.in.user.Text {
			t.Fatalf("outgoing user %q, incoming %q", w.form.out.user.Text, w.form.in.user.Text)
		}
		w.form.in.user.SetText("alice")
		if w.form.out.user.Text != "alice" {
			t.Fatalf("outgoing user %q", w.form.out.user.Text)
		}
		test.Type(w.form.out.user, "smtp-")
		w.form.in.user.SetText("bob")
		if w.form.out.user.Text != "smtp-alice" {
			t.Fatalf("an edited outgoing user name was overwritten: %q", w.form.out.user.Text)
		}
	})

	t.Run("browse for a CA file", func(t *testing.T) {
		e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery})
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapButton(t, e, w.win, "Continue")
		w.form.advanced.Open(0)
		e.settle()
		before := len(w.win.Canvas().Overlays().List())
		tapButton(t, e, w.win, "Browse…")
		if len(w.win.Canvas().Overlays().List()) != before+1 {
			t.Fatal("no file dialog")
		}
		f := caFileFilter()
		for name, want := range map[string]bool{"/etc/ssl/ca.pem": true, "/x/ROOT.CRT": true, "/x/key.txt": false} {
			if f.Matches(storage.NewFileURI(name)) != want {
				t.Errorf("filter(%s) != %v", name, want)
			}
		}
		w.form.chooseCAFile(storage.NewFileURI("/etc/ssl/my ca.pem"))
		if w.form.caFile.Text != "/etc/ssl/my ca.pem" {
			t.Fatalf("CA file %q", w.form.caFile.Text)
		}
	})

	t.Run("account name", func(t *testing.T) {
		e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery})
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapButton(t, e, w.win, "Continue")
		e.manualServers(w, "imap.mail.test", 993, "smtp.mail.test", 465)
		tapButton(t, e, w.win, "Test settings")
		if w.accNameE.Text != "alice@mail.test" || !shown(w.win, w.accNameE) {
			t.Fatalf("account name %q", w.accNameE.Text)
		}
		w.accNameE.SetText("Work/mail")
		tapButton(t, e, w.win, "Finish")
		if l := labelWith(t, w.win, "account name"); !inView(w.win, l) {
			t.Fatal("the error is out of view")
		}
		w.accNameE.SetText("Work mail")
		tapButton(t, e, w.win, "Finish")
		if acc, ok := e.Manager.Account("Work mail"); !ok || acc.Email != "alice@mail.test" {
			t.Fatalf("account = %+v, %v", acc, ok)
		}
	})

	t.Run("trust button at 768 pixels", func(t *testing.T) {
		e := newWizardEnv(t, wizardOpts{backends: fakeBackends(), discover: notFoundDiscovery,
			testSMTP: func(context.Context, types.Account, string) error { return nil }})
		w := e.fillIdentity("alice@mail.test", canaryPW)
		tapButton(t, e, w.win, "Continue")
		e.manualServers(w, "selfsigned.home.example", 993, "smtp.home.example", 465)
		w.win.Resize(fyne.NewSize(1024, 768))
		tapButton(t, e, w.win, "Test settings")
		e.settle()
		if size := w.win.Canvas().Size(); size.Height > 768 {
			t.Fatalf("window %v", size)
		}
		if b := findButton(t, w.win, "Trust this certificate for this account"); !inView(w.win, b) {
			t.Fatalf("the Trust button is out of view at %v", b.Position())
		}
	})

}

// keepsMailOnServer is a test backend that declares itself an IMAP one: mail stays on the server.
func keepsMailOnServer(b types.Backend) types.Backend {
	b.KeepsMailOnServer = true
	return b
}

func TestPOP3KeepPolicySaysServersMayMarkRead(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, NewPOP3Policy().View())
	uitest.MustShow(t, w, "mark mail as read once Postbode has downloaded it")
}
