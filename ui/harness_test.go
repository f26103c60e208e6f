package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
	"postbode/ui/internal/uitest"
)

func TestMain(m *testing.M) {
	// The tests read English texts; the Dutch checks run in a child process started with a Dutch
	// locale, as a user's session would have it (see TestDutchFromTheSystemLocale).
	if os.Getenv("POSTBODE_TEST_LANG") == "nl" {
		if fails := dutchChecks(); len(fails) > 0 {
			fmt.Println(strings.Join(fails, "\n"))
			os.Exit(1)
		}
		fmt.Println("dutch ok")
		os.Exit(0)
	}
	// nl-screens: the screenshots of a test run again in Dutch (TestPreferencesScreenshotInDutch).
	uitest.SetLanguage()
	os.Exit(m.Run())
}

// execQueue is the tests' executor: functions for the UI goroutine wait until the test runs them.
type execQueue = uitest.ExecQueue

// testEngine is an account engine that downloads bodies on request from a map.
type testEngine struct {
	deps   types.EngineDeps
	mu     sync.Mutex
	wakes  int
	bodies map[int64][]byte
	asked  []int64
}

func (e *testEngine) Run(ctx context.Context) error      { <-ctx.Done(); return ctx.Err() }
func (e *testEngine) SyncOnce(ctx context.Context) error { return nil }
func (e *testEngine) Wake() {
	e.mu.Lock()
	e.wakes++
	e.mu.Unlock()
}

func (e *testEngine) wakeCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wakes
}

func (e *testEngine) FetchBody(ctx context.Context, id int64) error {
	e.mu.Lock()
	raw, ok := e.bodies[id]
	e.asked = append(e.asked, id)
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("no such message on the server")
	}
	c := e.deps.Cache
	keys, err := c.PutBodies(ctx, []localcache.Body{{Account: e.deps.Account.Name, Origin: "imap:INBOX", Raw: raw}})
	if err != nil {
		return err
	}
	return c.LinkBodies(ctx, []localcache.BodyLink{{MessageID: id, Key: keys[0], Text: "fetched"}})
}

// testSender records what the composer sends.
type testSender struct {
	mu     sync.Mutex
	sent   []Draft
	drafts []Draft
}

// Send records d; its id is its place in sent, counted from 1. Unsend takes it back out of sent.
func (s *testSender) Send(ctx context.Context, d Draft) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, d)
	return int64(len(s.sent)), nil
}

func (s *testSender) Unsend(ctx context.Context, id int64) (Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || int(id) > len(s.sent) || s.sent[id-1].Account == "" {
		return Draft{}, localcache.ErrNotFound
	}
	d := s.sent[id-1]
	s.sent[id-1] = Draft{} // ids stay places in sent
	return d, nil
}

// SaveDraft hands out ids 1, 2, 3… as the stored copies' ids.
func (s *testSender) SaveDraft(ctx context.Context, d Draft) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drafts = append(s.drafts, d)
	return int64(len(s.drafts)), nil
}

type harness struct {
	t       testing.TB
	app     fyne.App
	cache   *localcache.Cache
	mgr     *accounts.Manager
	u       *ui
	q       *execQueue
	engines map[string]*testEngine
	sender  *testSender
	now     time.Time
	pumpOn  bool
	// The pump's cache notifications: how many takes returned changes, how many the UI has
	// applied, and the subscription, so settle can wait for a change still held by the pump.
	pumpTaken, pumpApplied atomic.Int64
	pumpSub                *localcache.Subscription
}

type harnessOpts struct {
	accounts      []string
	cacheDir      string
	markReadDelay time.Duration
	noticeTime    time.Duration
	noSender      bool
	startDemo     func(context.Context) error
	icon          []byte
	settingsFile  string
	configPath    string // the accounts file the Manager rewrites ("": it refuses)
	autosaveDelay time.Duration
	editAccount   func(*types.Account)                                       // changes the test accounts' settings
	outbox        func(*localcache.Cache, *accounts.Manager) accounts.Sender // the Manager's outbox
}

func testAccount(name string) types.Account {
	return types.Account{
		Name: name, Kind: types.IMAP, Email: "me@" + name + ".example", DisplayName: "Me Myself",
		Incoming: types.Server{Host: "mail." + name + ".example", Port: 993, Security: types.SecurityTLS, User: "me"},
		Outgoing: types.Server{Host: "mail." + name + ".example", Port: 465, Security: types.SecurityTLS, User: "me"},
	}
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	dir := o.cacheDir
	if dir == "" {
		dir = t.TempDir()
	}
	cache, err := localcache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	if o.accounts == nil {
		o.accounts = []string{"work"}
	}
	cfg := &accounts.Config{}
	for _, name := range o.accounts {
		acc := testAccount(name)
		if o.editAccount != nil {
			o.editAccount(&acc)
		}
		if err := cfg.Add(acc); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, app: a, cache: cache, q: &execQueue{}, engines: map[string]*testEngine{},
		now: time.Date(2025, 6, 14, 15, 30, 0, 0, time.Local)}
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine {
		e := &testEngine{deps: d, bodies: map[int64][]byte{}}
		h.engines[d.Account.Name] = e
		return e
	}, KeepsMailOnServer: true}
	pop3 := backend // an account made POP3 by editAccount keeps its mail on this computer
	pop3.KeepsMailOnServer = false
	h.mgr = accounts.NewManager(cfg, cache, testkit.NewSecrets(accounts.ErrNoPassword, nil), map[types.Protocol]types.Backend{types.IMAP: backend, types.POP3: pop3},
		accounts.Options{ConfigPath: o.configPath, RulesPath: filepath.Join(dir, "rules.json"), Sender: func(m *accounts.Manager) accounts.Sender {
			if o.outbox == nil {
				return nil
			}
			return o.outbox(cache, m)
		}})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	deps := Deps{Manager: h.mgr, Cache: cache, Version: "0.1.0-test", MarkReadDelay: o.markReadDelay, NoticeTime: o.noticeTime,
		StartDemo: o.startDemo, Icon: o.icon, SettingsFile: o.settingsFile, AutosaveDelay: o.autosaveDelay, Autosave: cache,
		MailFiles: CacheMailFiles{Cache: cache, Manager: h.mgr}}
	if deps.MarkReadDelay == 0 {
		deps.MarkReadDelay = -1 // tests that want it set it
	}
	if deps.NoticeTime == 0 {
		// settle waits for the timers of notices that go away by themselves; tests that look
		// at a notice while it is shown set a longer time.
		deps.NoticeTime = 50 * time.Millisecond
	}
	if !o.noSender {
		h.sender = &testSender{}
		deps.Sender = h.sender
	}
	h.u = newUI(ctx, a, deps, h.q.Exec)
	h.u.now = func() time.Time { return h.now }
	h.u.win.Resize(fyne.NewSize(1200, 760))
	// Engines exist once the Manager is asked for them; make them now so tests can reach them.
	for _, name := range o.accounts {
		h.mgr.SyncOnce(ctx, name)
	}
	h.settle()
	return h
}

// startPump connects the cache's change notifications and the Manager's events to the UI as the
// app does, through the test executor.
func (h *harness) startPump() {
	sub := h.cache.Subscribe()
	h.t.Cleanup(sub.Close)
	p := NewPump(h.mgr, sub, func(b Batch) {
		// The pump is blocked until this returns, so every take so far is in this batch.
		h.pumpApplied.Store(h.pumpTaken.Load())
		h.u.apply(b)
	})
	p.Take = func() []localcache.Change {
		chs := sub.Take()
		if len(chs) > 0 {
			h.pumpTaken.Add(1)
		}
		return chs
	}
	p.Exec = h.q.Exec
	h.pumpSub = sub
	p.Interval = 5 * time.Millisecond
	go p.Run(h.u.ctx)
	h.pumpOn = true
}

// settle runs queued UI work until the background tasks, the pump and the queue have been idle
// for a while.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	quietSince := time.Time{}
	quiet := 0 * time.Millisecond
	if h.pumpOn {
		quiet = 40 * time.Millisecond
	}
	for time.Now().Before(deadline) {
		ran := h.q.RunAll()
		if !ran && h.u.tasks.idle() && h.q.Empty() && h.pumpIdle() {
			if quietSince.IsZero() {
				quietSince = time.Now()
			}
			if time.Since(quietSince) >= quiet {
				return
			}
		} else {
			quietSince = time.Time{}
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.t.Fatal("UI did not settle")
}

// runUntil runs the UI's queued work until cond holds (4 s at most), for what settle would wait
// past: a notice that goes away by itself is idle work too.
func (h *harness) runUntil(what string, cond func() bool) {
	h.t.Helper()
	for deadline := time.Now().Add(4 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: not within 4 s", what)
		}
		h.q.RunAll()
	}
}

// pumpIdle says the pump holds no cache change the UI has not applied yet; its 5 ms interval can
// stretch past settle's quiet time on a loaded machine.
func (h *harness) pumpIdle() bool {
	if h.pumpSub == nil {
		return true
	}
	return len(h.pumpSub.C) == 0 && h.pumpTaken.Load() == h.pumpApplied.Load()
}

func (h *harness) folder(account, name, role string) localcache.Folder {
	h.t.Helper()
	f, err := h.cache.EnsureFolder(context.Background(), localcache.Folder{Account: account, Name: name, Role: role, Subscribed: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

// addMessages stores messages; with raw set, each gets that body (formatted with its index).
func (h *harness) addMessages(f localcache.Folder, n int, mk func(i int) (localcache.Message, []byte)) []int64 {
	h.t.Helper()
	ctx := context.Background()
	msgs := make([]localcache.Message, n)
	var bodies []localcache.Body
	var withBody []int
	for i := range msgs {
		m, raw := mk(i)
		m.Account, m.FolderID = f.Account, f.ID
		if m.UID == 0 {
			m.UID = uint32(i + 1)
		}
		if raw != nil {
			bodies = append(bodies, localcache.Body{Account: f.Account, Origin: "imap:" + f.Name, Raw: raw})
			withBody = append(withBody, i)
		}
		msgs[i] = m
	}
	if len(bodies) > 0 {
		keys, err := h.cache.PutBodies(ctx, bodies)
		if err != nil {
			h.t.Fatal(err)
		}
		for j, i := range withBody {
			msgs[i].BodyKey = keys[j]
		}
	}
	ids, err := h.cache.AddMessages(ctx, msgs)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func plainMessage(from, fromAddr, to, subject, text string, date time.Time) []byte {
	return []byte("From: " + from + " <" + fromAddr + ">\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nDate: " + date.Format(time.RFC1123Z) + "\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") +
		"@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(text, "\n", "\r\n"))
}

// selectFolder clicks a folder in the folder pane by its shown name (within account, if given).
func (h *harness) selectFolder(account, name string) {
	h.t.Helper()
	for i, e := range h.u.folders.entries {
		if e.name == name && (account == "" || e.account == account) && e.kind != entryAccount {
			h.u.folders.list.Select(i)
			h.settle()
			return
		}
	}
	h.t.Fatalf("no folder %q in %s", name, account)
}

// click clicks a message row with modifiers.
func (h *harness) click(row int, mods fyne.KeyModifier) {
	h.t.Helper()
	h.u.list.click(row, mods)
	h.settle()
}

func (h *harness) message(id int64) localcache.Message {
	h.t.Helper()
	m, err := h.cache.Message(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// texts collects the text of every label, rich text and canvas text under o.
func texts(o fyne.CanvasObject) []string { return uitest.Texts(o) }

func containsText(o fyne.CanvasObject, want string) bool {
	return uitest.AnyContains(uitest.Texts(o), want)
}

// visibleRows returns the message rows the list has laid out, in row order.
func (h *harness) visibleRows() []*msgRow {
	var rows []*msgRow
	for _, obj := range test.LaidOutObjects(h.u.list.list) {
		if r, ok := obj.(*msgRow); ok && r.Visible() {
			rows = append(rows, r)
		}
	}
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].row < rows[j-1].row; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
	return rows
}
