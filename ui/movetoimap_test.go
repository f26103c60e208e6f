package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/emersion/go-imap/v2"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/types"
	"postbode/ui/uikit"
)

// moveBed is a profile with the POP3 account "home" of alice on the real Dovecot, its Inbox
// downloaded and a local folder and Sent filled, and discovery that finds the same server's IMAP.
type moveBed struct {
	d     *testbed.Dovecot
	h     *harness
	inbox int // messages in the Inbox
	local int // messages in Projects and Sent
}

func newMoveBed(t *testing.T, quota int64, inbox, size int) *moveBed {
	return newMoveBedFinding(t, quota, inbox, size, true)
}

// newMoveBedFinding is newMoveBed with discovery that finds the IMAP server only when imapFound.
func newMoveBedFinding(t *testing.T, quota int64, inbox, size int, imapFound bool) *moveBed {
	t.Helper()
	d := testbed.StartT(t, testbed.Options{Quota: quota})
	var msgs [][]byte
	for i := range inbox {
		msgs = append(msgs, moveMessage("Anna <anna@example.org>", fmt.Sprintf("Invoice %d", i), i, size))
	}
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	srv := func(port int) types.Server {
		return types.Server{Host: d.Host, Port: port, Security: types.SecurityTLS, User: "alice", CAFile: d.CAFile}
	}
	pop := types.Account{Name: "home", Kind: types.POP3, Email: "alice@mail.test", DisplayName: "Alice", Incoming: srv(d.POP3SPort)}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "accounts.json")
	cfg := &accounts.Config{Accounts: []types.Account{pop}}
	if err := cfg.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	cache, err := localcache.Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	m := accounts.NewManager(cfg, cache, testkit.NewSecrets(accounts.ErrNoPassword, map[string]string{"home": d.Password("alice")}),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend, types.POP3: {New: pop3sync.New, Test: pop3sync.Test}},
		accounts.Options{ConfigPath: cfgPath, Discover: func(context.Context, string) ([]accounts.DiscoveryResult, error) {
			found := []accounts.DiscoveredServer{{Protocol: types.POP3, Server: srv(d.POP3SPort)}}
			if imapFound {
				found = append(found, accounts.DiscoveredServer{Protocol: types.IMAP, Server: srv(d.IMAPSPort)})
			}
			return []accounts.DiscoveryResult{{Incoming: found}}, nil
		}})
	ctx := context.Background()
	if err := m.SyncOnce(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	b := &moveBed{d: d, inbox: inbox}
	file := func(name, role string, n int) {
		f, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "home", Name: name, Role: role, Subscribed: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := m.FileCopy(ctx, pop, f, moveMessage("Alice <alice@mail.test>", name+" "+fmt.Sprint(i), 1000+b.local, size), "", localcache.FlagSeen); err != nil {
				t.Fatal(err)
			}
			b.local++
		}
	}
	file("Projects", "", 4)
	file("Sent", localcache.RoleSent, 3)

	h := &harness{t: t, app: test.NewTempApp(t), cache: cache, mgr: m, q: &execQueue{}}
	h.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	uictx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	h.u = newUI(uictx, h.app, Deps{Manager: m, Cache: cache, Autosave: cache, MarkReadDelay: -1, AutosaveDelay: -1}, h.q.Exec)
	h.settle()
	b.h = h
	return b
}

// moveMessage is a message of about size bytes.
func moveMessage(from, subject string, n, size int) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <move-%d@example.org>\r\n\r\n%s\r\n",
		from, subject, time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n)*time.Hour).Format(time.RFC1123Z), n,
		strings.Repeat("Thank you for your order; the details follow.\r\n", max(size/48, 1))))
}

// serverCount is how many messages a mailbox of alice holds on the server.
func (b *moveBed) serverCount(t *testing.T, mailbox string) int {
	t.Helper()
	c := b.d.IMAPSClientT(t, "alice", nil)
	defer c.Logout()
	data, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	return int(data.NumMessages)
}

// page is the move window's content.
func (b *moveBed) page() fyne.CanvasObject { return b.h.u.moveWin.win.Canvas().Content() }

func (b *moveBed) expect(t *testing.T, text string) {
	t.Helper()
	if !containsText(b.page(), text) {
		t.Fatalf("the move window does not say %q: %q", text, texts(b.page()))
	}
}

// The "Move this account to IMAP", on the real Dovecot: the account row's menu opens it;
// discovery finds the IMAP server, which accepts the POP3 password, and the IMAP account is set up;
// the plan lists each folder with its count and size and where it goes, what the server holds
// already and the quota; Pause stops the upload and Resume finishes it; the end page says where
// the mail is. The server then holds every message once, and a second move uploads nothing.
func TestMoveToIMAP(t *testing.T) {
	b := newMoveBed(t, 8<<20, 40, 6000)
	h := b.h
	ctx := context.Background()

	var row int
	for i, e := range h.u.folders.entries {
		if e.kind == entryAccount && e.account == "home" {
			row = i
		}
	}
	menu := h.u.folders.contextMenu(row)
	var moveItem *fyne.MenuItem
	for _, it := range menu.Items {
		if it.Label == tr("Move this account to IMAP…") {
			moveItem = it
		}
	}
	if moveItem == nil {
		t.Fatal("the POP3 account's menu has no Move this account to IMAP…")
	}
	moveItem.Action()
	h.settle()
	b.expect(t, tr("Set up the IMAP account"))
	b.expect(t, "home-imap")
	savePNG(t, h.u.moveWin.win.Canvas().Capture(), "move-to-imap-setup"+langSuffix()+".png")
	tapButtonIn(t, b.page(), tr("Set up and continue"))
	h.settle()
	if acc, ok := h.mgr.Account("home-imap"); !ok || acc.Kind != types.IMAP || acc.Incoming.Port != b.d.IMAPSPort {
		t.Fatalf("the IMAP account set up: %+v, %v", acc, ok)
	}

	b.expect(t, tr("What will be uploaded"))
	p := h.u.moveWin.plan
	if p.Messages != b.inbox+b.local || p.Held != b.inbox || !p.HasQuota || p.Quota.Limit != 8<<20 || !p.Fits() {
		t.Fatalf("plan: %+v", p)
	}
	b.expect(t, "Projects")
	b.expect(t, tr("The server allows {{.Limit}}; {{.Used}} of it is in use, so {{.Free}} is free.",
		map[string]any{"Limit": formatSize(p.Quota.Limit), "Used": formatSize(p.Quota.Used), "Free": formatSize(p.Quota.Limit - p.Quota.Used)}))
	b.expect(t, trN("{{.Count}} of them ({{.Size}}) are on the server already and are not uploaded again.", b.inbox,
		map[string]any{"Count": formatCount(b.inbox), "Size": formatSize(p.HeldBytes)}))
	savePNG(t, h.u.moveWin.win.Canvas().Capture(), "move-to-imap-plan"+langSuffix()+".png")

	// Pause at once: the upload stops before it has begun, and says how to go on.
	tapButtonIn(t, b.page(), tr("Start upload"))
	tapButtonIn(t, b.page(), tr("Pause"))
	h.settle()
	b.expect(t, tr("Paused. What is uploaded stays on the server; Resume goes on where it stopped, and nothing is uploaded twice."))
	// The page as it looks during an upload, for the screenshot: the figures of a larger move.
	mw := h.u.moveWin
	mw.since = time.Now().Add(-12 * time.Second)
	mw.last = accounts.UploadProgress{Phase: accounts.PhaseUpload}
	mw.plan.HeldBytes = mw.plan.Bytes - 187<<20
	mw.progress(accounts.UploadProgress{Phase: accounts.PhaseUpload, Done: 1240, Total: 3873})
	mw.pause.SetText(tr("Pause"))
	mw.pause.SetIcon(theme.MediaPauseIcon())
	savePNG(t, mw.win.Canvas().Capture(), "move-to-imap-progress"+langSuffix()+".png")
	mw.plan = p
	mw.pause.SetText(tr("Resume"))

	tapButtonIn(t, b.page(), tr("Resume"))
	h.settle()
	res := mw.result
	b.expect(t, tr("Your mail is on the IMAP server"))
	b.expect(t, tr("The POP3 account {{.Account}} is unchanged: its mail stays on this computer.", map[string]any{"Account": "home"}))
	if res.Copied != b.local || res.Skipped != b.inbox || res.Refused != 0 {
		t.Errorf("the move: %+v; want %d copied and %d skipped", res, b.local, b.inbox)
	}
	savePNG(t, mw.win.Canvas().Capture(), "move-to-imap-done"+langSuffix()+".png")
	if got := b.serverCount(t, "INBOX"); got != b.inbox {
		t.Errorf("the server's INBOX holds %d, want %d", got, b.inbox)
	}
	if got := b.serverCount(t, "Projects"); got != 4 {
		t.Errorf("the server's Projects holds %d, want 4", got)
	}
	if got := b.serverCount(t, "Sent"); got != 3 {
		t.Errorf("the server's Sent holds %d, want 3", got)
	}
	mw.win.Close()
	h.settle()

	// Again: the IMAP account is found, everything is there already, nothing is uploaded.
	h.u.showMoveToIMAP("home")
	h.settle()
	if h.u.moveWin.plan.Held != b.inbox+b.local {
		t.Errorf("the second plan holds %d already, want %d", h.u.moveWin.plan.Held, b.inbox+b.local)
	}
	tapButtonIn(t, b.page(), tr("Start upload"))
	h.settle()
	res = h.u.moveWin.result
	if res.Copied != 0 || res.Skipped != b.inbox+b.local {
		t.Errorf("the second move: %+v", res)
	}
	if got := b.serverCount(t, "Projects"); got != 4 {
		t.Errorf("after a second move the server's Projects holds %d, want 4", got)
	}
	if n, err := h.cache.PendingCount(ctx, "home-imap"); err != nil || n != 0 {
		t.Errorf("%d changes still queued (%v)", n, err)
	}

	// Finish: the IMAP account stays, the POP3 account's mail becomes a folder on this computer.
	tapButtonIn(t, b.page(), tr("Finish: use the IMAP account"))
	h.settle()
	b.expect(t, tr("{{.Imap}} is now the account for this address.", map[string]any{"Imap": "home-imap"}))
	savePNG(t, h.u.moveWin.win.Canvas().Capture(), "move-to-imap-finished"+langSuffix()+".png")
	if _, still := h.mgr.Account("home"); still {
		t.Error("the POP3 account is still there after Finish")
	}
	if _, ok := h.mgr.Account("home-imap"); !ok {
		t.Error("the IMAP account is gone after Finish")
	}
	folders, err := h.cache.Folders(ctx, types.LocalAccountName)
	if err != nil || len(folders) == 0 {
		t.Fatalf("no folders on this computer after Finish (%v)", err)
	}
	kept := 0
	for _, f := range folders {
		kept += f.Total
	}
	if kept != b.inbox+b.local {
		t.Errorf("%d messages kept on this computer, want %d", kept, b.inbox+b.local)
	}
}

func TestMoveToIMAPInDutch(t *testing.T) {
	screenshotInDutch(t, "TestMoveToIMAP", "move-to-imap-setup-nl.png", "move-to-imap-plan-nl.png", "move-to-imap-progress-nl.png",
		"move-to-imap-done-nl.png", "move-to-imap-finished-nl.png")
}

// A move that does not fit: a wrong password is refused before the IMAP account is added; the plan warns, the server refuses what goes over its quota, and the
// progress page says so in the server's words; the POP3 account keeps all its mail.
func TestMoveToIMAPOverQuota(t *testing.T) {
	b := newMoveBed(t, 200<<10, 2, 30000)
	h := b.h
	h.u.showMoveToIMAP("home")
	h.settle()
	// A password the server refuses: said on the page, and nothing is added.
	var pw *widget.Entry
	for _, o := range test.LaidOutObjects(b.page()) {
		if e, ok := o.(*widget.Entry); ok && e.Password {
			pw = e
		}
	}
	if pw == nil || pw.Text != b.d.Password("alice") {
		t.Fatalf("no password field holding the POP3 password: %v", pw)
	}
	pw.SetText("not-the-password")
	tapButtonIn(t, b.page(), tr("Set up and continue"))
	h.settle()
	b.expect(t, tr("The server refused the user name or password."))
	if _, added := h.mgr.Account("home-imap"); added {
		t.Fatal("the IMAP account was added with a password the server refused")
	}
	pw.SetText(b.d.Password("alice"))
	tapButtonIn(t, b.page(), tr("Set up and continue"))
	h.settle()
	if p := h.u.moveWin.plan; p.Fits() || !p.HasQuota {
		t.Fatalf("plan: %+v; want one that does not fit", p)
	}
	b.expect(t, tr("This does not fit: the server will refuse what goes over its quota. Make room on the server or ask your provider for more space first; what does not fit stays in {{.Account}}.",
		map[string]any{"Account": "home"}))
	savePNG(t, h.u.moveWin.win.Canvas().Capture(), "move-to-imap-no-room"+langSuffix()+".png")
	tapButtonIn(t, b.page(), tr("Start upload"))
	h.settle()
	b.expect(t, tr("The upload stopped."))
	r := h.u.moveWin.result
	b.expect(t, trN("The server has no room for {{.Count}} messages: its storage quota is full. They are still in {{.Account}}; make room on the server, then press Resume.",
		r.Refused, map[string]any{"Count": formatCount(r.Refused), "Account": "home"}))
	b.expect(t, "Quota exceeded")
	b.expect(t, tr("Resume"))
	savePNG(t, h.u.moveWin.win.Canvas().Capture(), "move-to-imap-refused"+langSuffix()+".png")
	if r.Refused == 0 || r.Refused == b.local {
		t.Errorf("refused %d of %d", r.Refused, b.local)
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"Projects", 4}, {"Sent", 3}} {
		folder, err := h.cache.FolderByName(context.Background(), "home", f.name)
		if err != nil {
			t.Fatal(err)
		}
		if ids, err := h.cache.PageIDs(context.Background(), []int64{folder.ID}, nil, 10); err != nil || len(ids) != f.n {
			t.Errorf("home's %s holds %d (%v) after the refusal, want %d", f.name, len(ids), err, f.n)
		}
	}
}

func TestMoveToIMAPOverQuotaInDutch(t *testing.T) {
	screenshotInDutch(t, "TestMoveToIMAPOverQuota", "move-to-imap-no-room-nl.png", "move-to-imap-refused-nl.png")
}

// A provider without IMAP: the window says so and what to do instead, and sets nothing up.
func TestMoveToIMAPWithoutIMAPServer(t *testing.T) {
	b := newMoveBedFinding(t, 0, 1, 500, false)
	b.h.u.showMoveToIMAP("home")
	b.h.settle()
	b.expect(t, tr("Postbode found no IMAP server for {{.Address}}. If your provider offers IMAP, add the IMAP account yourself (File, Add account…; when Postbode says the address has a POP3 account already, choose Add it anyway), then choose Move this account to IMAP… again: it finds that account.",
		map[string]any{"Address": "alice@mail.test"}))
	if n := len(b.h.mgr.Accounts()); n != 1 {
		t.Errorf("%d accounts after the lookup, want the POP3 one only", n)
	}
}

// A copy refused for want of room is worded as such in the main window's banners, whatever
// uploaded it (the move, Copy to…, a draft).
func TestOverQuotaIsWorded(t *testing.T) {
	err := fmt.Errorf("%w: %w", types.ErrRefused, fmt.Errorf("%w: append to \"INBOX\": imap: NO [OVERQUOTA] Quota exceeded", types.ErrOverQuota))
	p := describeProblem(err, "mail.example.org")
	if want := tr("{{.Host}} has no room left: the account's storage quota is full.", map[string]any{"Host": "mail.example.org"}); p.Sentence != want {
		t.Errorf("sentence %q, want %q", p.Sentence, want)
	}
	if !strings.Contains(p.Detail, "Quota exceeded") {
		t.Errorf("the details leave out the server's words: %q", p.Detail)
	}
}
