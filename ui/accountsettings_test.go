package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
	"postbode/ui/internal/uitest"
	"postbode/ui/uikit"
)

// settingsEnv is a main window over a started Manager with a profile folder of its own.
type settingsEnv struct {
	*harness
	*uitest.Profile
}

func newSettingsEnv(t *testing.T, o uitest.ProfileOpts) *settingsEnv {
	t.Helper()
	p := uitest.NewProfile(t, o)
	a := test.NewTempApp(t)
	h := &harness{t: t, app: a, cache: p.Cache, mgr: p.Manager, q: &execQueue{}, engines: map[string]*testEngine{},
		now: time.Now()}
	h.u = newUI(p.Ctx, a, Deps{Manager: p.Manager, Cache: p.Cache, Version: "test", MarkReadDelay: -1}, h.q.Exec)
	h.u.win.Resize(fyne.NewSize(1100, 700))
	h.startPump()
	h.settle()
	return &settingsEnv{harness: h, Profile: p}
}

// idleBackends accept every login and run engines that do nothing.
func idleBackends() map[types.Protocol]types.Backend {
	b := types.Backend{New: func(d types.EngineDeps) types.Engine { return &testEngine{deps: d} },
		Test: func(context.Context, types.Account, string) (types.TestReport, error) { return types.TestReport{}, nil }}
	return map[types.Protocol]types.Backend{types.IMAP: b, types.POP3: b}
}

// entryWithText is the shown entry holding text, or nil.
func entryWithText(w fyne.Window, text string) *widget.Entry {
	for _, o := range uitest.WindowObjects(w) {
		if en, ok := o.(*widget.Entry); ok && en.Text == text && uitest.Shown(w, en) {
			return en
		}
	}
	return nil
}

func tapButton(t *testing.T, h *harness, w fyne.Window, label string) {
	t.Helper()
	uitest.TapButton(t, h.settle, w, label)
}

func TestAccountSettingsEditPasswordAndRemove(t *testing.T) {
	var mu sync.Mutex
	var tested []types.Account
	var testedPW []string
	backend := types.Backend{
		New: func(d types.EngineDeps) types.Engine { return &testEngine{deps: d} },
		Test: func(ctx context.Context, acc types.Account, pw string) (types.TestReport, error) {
			mu.Lock()
			defer mu.Unlock()
			tested = append(tested, acc)
			testedPW = append(testedPW, pw)
			return types.TestReport{TLS: "TLS 1.3"}, nil
		},
	}
	imapAcc := testAccount("work")
	popAcc := testAccount("home")
	popAcc.Kind = types.POP3
	popAcc.Incoming.Port = 995
	imapBackend := backend
	imapBackend.KeepsMailOnServer = true
	e := newSettingsEnv(t, uitest.ProfileOpts{
		Backends: map[types.Protocol]types.Backend{types.IMAP: imapBackend, types.POP3: backend},
		Accounts: []types.Account{imapAcc, popAcc},
	})
	e.folder("home", "INBOX", localcache.RoleInbox)
	e.folder("work", "INBOX", localcache.RoleInbox)
	e.u.openAccountSettings("work")
	e.settle()
	s := e.u.accWin
	if s == nil || s.acc.Name != "work" {
		t.Fatal("settings window does not show the account")
	}
	host := entryWithText(s.win, "mail.work.example")
	if host == nil {
		t.Fatalf("no entry with the incoming server: %q", uitest.WindowTexts(s.win))
	}
	// Edit and save: the test runs with the stored password, then the file is rewritten.
	host.SetText("imap.work.example")
	tapButton(t, e.harness, s.win, "Test and save")
	uitest.MustShow(t, s.win, "Saved.")
	if acc, _ := e.mgr.Account("work"); acc.Incoming.Host != "imap.work.example" {
		t.Fatalf("not saved: %+v", acc.Incoming)
	}
	if cfg, _ := accounts.LoadConfig(e.ConfigPath); cfg.Accounts[0].Incoming.Host != "imap.work.example" {
		t.Fatalf("config not rewritten: %+v", cfg.Accounts[0].Incoming)
	}
	mu.Lock()
	if len(testedPW) != 1 || testedPW[0] != "pw" || tested[0].Incoming.Host != "imap.work.example" {
		t.Fatalf("tests run: %v", tested)
	}
	mu.Unlock()

	// A new password is tested and stored.
	tapButton(t, e.harness, s.win, "Change password…")
	for _, o := range uitest.WindowObjects(s.win) {
		if en, ok := o.(*widget.Entry); ok && en.Password {
			test.Type(en, "new-secret")
		}
	}
	tapButton(t, e.harness, s.win, "Use this password")
	tapButton(t, e.harness, s.win, "Test and save")
	if pw, _ := e.Store.Get("work"); pw != "new-secret" {
		t.Fatalf("password not changed: %q", pw)
	}

	// Removing a POP3 account with its mail asks twice; "keep the mail" at the second question
	// removes the account but keeps the mail.
	s.pick.SetSelected("home")
	e.settle()
	if s.acc.Name != "home" || !s.pop3Box.Visible() {
		t.Fatal("POP3 account not shown with its options")
	}
	tapButton(t, e.harness, s.win, "Remove account…")
	uitest.MustShow(t, s.win, "may exist nowhere else")
	for _, o := range uitest.WindowObjects(s.win) {
		if c, ok := o.(*widget.Check); ok && strings.HasPrefix(c.Text, "Also delete") {
			test.Tap(c)
		}
	}
	tapButton(t, e.harness, s.win, "Remove account")
	uitest.MustShow(t, s.win, "this computer may hold the only copy")
	tapButton(t, e.harness, s.win, "Delete mail for good")
	if _, ok := e.mgr.Account("home"); ok {
		t.Fatal("account not removed")
	}
	if fs, _ := e.cache.Folders(context.Background(), "home"); len(fs) != 0 {
		t.Fatalf("local mail kept: %v", fs)
	}
	if _, err := e.Store.Get("home"); err == nil {
		t.Fatal("password of the removed account kept")
	}

	// Removing the IMAP account without deleting mail keeps its folders readable.
	if s.acc.Name != "work" {
		t.Fatalf("settings show %q after the removal", s.acc.Name)
	}
	tapButton(t, e.harness, s.win, "Remove account…")
	tapButton(t, e.harness, s.win, "Remove account")
	if fs, _ := e.cache.Folders(context.Background(), "work"); len(fs) != 1 {
		t.Fatalf("local mail of work deleted: %v", fs)
	}
	if e.u.accWin != nil {
		t.Fatal("the settings window stays open without accounts")
	}
	if cfg, _ := accounts.LoadConfig(e.ConfigPath); len(cfg.Accounts) != 0 {
		t.Fatalf("config still lists %+v", cfg.Accounts)
	}
}

func TestAccountSettingsFit768Pixels(t *testing.T) {
	acc := testAccount("work")
	e := newSettingsEnv(t, uitest.ProfileOpts{Backends: idleBackends(), Accounts: []types.Account{acc}})
	e.u.openAccountSettings("work")
	e.settle()
	s := e.u.accWin
	if size := s.win.Canvas().Size(); size.Height > 700 {
		t.Fatalf("the settings window opens %v", size)
	}
	s.win.Resize(fyne.NewSize(1024, 768))
	e.settle()
	if size := s.win.Canvas().Size(); size.Height > 768 {
		t.Fatalf("window %v", size)
	}
	for _, label := range []string{"Test and save", "Close", "Remove account…"} {
		if !uitest.InView(s.win, uitest.FindButton(t, s.win, label)) {
			t.Fatalf("%s is out of view", label)
		}
	}
}

// TestAccountSettingsScreenshots renders the Account settings window of a POP3 account and the
// question before removing it.
func TestAccountSettingsScreenshots(t *testing.T) {
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine { return &testEngine{deps: d} },
		Test: func(context.Context, types.Account, string) (types.TestReport, error) {
			return types.TestReport{TLS: "TLS 1.3 TLS_AES_128_GCM_SHA256"}, nil
		}}
	imapBackend := backend
	imapBackend.KeepsMailOnServer = true
	backends := map[types.Protocol]types.Backend{types.IMAP: imapBackend, types.POP3: backend}
	smtpOK := func(context.Context, types.Account, string) error { return nil }
	shot := func(w fyne.Window, name string) {
		t.Helper()
		savePNG(t, w.Canvas().Capture(), "wizard-"+name+".png")
	}
	// Account settings with a POP3 account, and the question before removing it.
	pop := testAccount("home")
	pop.Kind, pop.Incoming.Port = types.POP3, 995
	pop.Incoming.Host = "pop.home.example"
	pop.Incoming.PinSHA256 = "3f9a1c07d2e84b6f5a90c3e1d7b2468f0e5c9a7b3d1f2e4c6a8b0d9f1e3c5a7b"
	pop.POP3 = types.POP3Policy{Leave: types.LeaveDays, Days: 30}
	s := newSettingsEnv(t, uitest.ProfileOpts{Backends: backends, TestSMTP: smtpOK, Accounts: []types.Account{pop, testAccount("work")}})
	s.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	s.u.openAccountSettings("home")
	s.settle()
	if !uitest.HasButton(s.u.accWin.win, tr("Move this account to IMAP…")) {
		t.Error("a POP3 account's settings offer no Move this account to IMAP…")
	}
	tapButton(t, s.harness, s.u.accWin.win, "Test and save")
	shot(s.u.accWin.win, "settings")
	tapButton(t, s.harness, s.u.accWin.win, "Remove account…")
	shot(s.u.accWin.win, "remove")
}
