package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts/mailmove"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/mailfile"
	"postbode/types"
	"postbode/ui/uikit"
)

// pausedFiles holds an import or export at its first report from a third of the messages on
// (an import reports a batch at a time), before the last, until release is closed, so that a test can look
// at the progress dialog while it runs.
type pausedFiles struct {
	MailFiles
	at      int // the Done it paused at
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func newPausedFiles(f MailFiles) *pausedFiles {
	return &pausedFiles{MailFiles: f, reached: make(chan struct{}), release: make(chan struct{})}
}

func (p *pausedFiles) hold(ctx context.Context, report func(mailmove.Progress)) func(mailmove.Progress) {
	return func(pr mailmove.Progress) {
		report(pr)
		if pr.Done < pr.Total && pr.Done*3 >= pr.Total {
			p.once.Do(func() {
				p.at = pr.Done
				close(p.reached)
				select {
				case <-p.release:
				case <-ctx.Done():
				}
			})
		}
	}
}

func (p *pausedFiles) Import(ctx context.Context, opt mailmove.ImportOptions) (mailmove.Summary, error) {
	opt.Progress = p.hold(ctx, opt.Progress)
	return p.MailFiles.Import(ctx, opt)
}

func (p *pausedFiles) Export(ctx context.Context, opt mailmove.ExportOptions) (mailmove.Summary, error) {
	opt.Progress = p.hold(ctx, opt.Progress)
	return p.MailFiles.Export(ctx, opt)
}

// writeMbox writes n messages to an mbox file with mailfile's writer.
func writeMbox(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := mailfile.NewMboxWriter(f)
	base := time.Date(2019, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range n {
		date := base.Add(time.Duration(i) * time.Hour)
		raw := plainMessage(fmt.Sprintf("Sender %d", i), fmt.Sprintf("sender%d@example.org", i), "me@home.example",
			fmt.Sprintf("Old message %d", i), fmt.Sprintf("From the archive, number %d.\n", i), date)
		if err := w.Write(&mailfile.Message{Raw: raw, Sender: fmt.Sprintf("sender%d@example.org", i), Date: date}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// testFiles makes the import and export dialogs choose path and folder, look for Thunderbird in
// home, and draw every progress report.
func testFiles(home, path, folder string) *fileChooser {
	return &fileChooser{
		openFile:   func(_ fyne.Window, _ string, done func(string)) { done(path) },
		openFolder: func(_ fyne.Window, _ string, done func(string)) { done(folder) },
		home:       home, getenv: func(string) string { return "" },
	}
}

func menuItem(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no %q in the %s menu", label, m.Label)
	return nil
}

// chooseIn selects option in the first Select under o that offers it.
func chooseIn(t *testing.T, o fyne.CanvasObject, option string) {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if s, ok := obj.(*widget.Select); ok {
			for _, opt := range s.Options {
				if opt == option {
					s.SetSelected(option)
					return
				}
			}
		}
	}
	t.Fatalf("no choice %q in %q", option, texts(o))
}

// radioWith is the first radio group under o that offers option.
func radioWith(o fyne.CanvasObject, option string) *widget.RadioGroup {
	for _, obj := range test.LaidOutObjects(o) {
		if r, ok := obj.(*widget.RadioGroup); ok && slices.Contains(r.Options, option) {
			return r
		}
	}
	return nil
}

func topOverlay(t *testing.T, h *harness) fyne.CanvasObject {
	t.Helper()
	over := h.u.win.Canvas().Overlays().Top()
	if over == nil {
		t.Fatal("no dialog shown")
	}
	return over
}

// File → Import mail… imports an mbox file into a new folder of a POP3 account with a progress
// dialog, says what it did, and Show folder opens the folder; the same import again finds every
// message there already. The progress and the summary are saved as screenshots
// (TestImportMboxInDutch makes the Dutch ones).
// importHarness has an IMAP account "work" with three messages and a POP3 account "home" to
// import into, and an mbox file of n messages for the file dialog to choose.
func importHarness(t *testing.T, n int) (*harness, string) {
	h := newHarness(t, harnessOpts{accounts: []string{"work", "home"}, editAccount: func(a *types.Account) {
		if a.Name == "home" {
			a.Kind = types.POP3
		}
	}})
	h.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	h.startPump()
	seedInbox(h, 3)
	src := filepath.Join(t.TempDir(), "Archive 2019.mbox")
	writeMbox(t, src, n)
	h.u.mailFiles.files = testFiles(t.TempDir(), src, "")
	return h, src
}

// openImportForm opens File → Import mail… with the mbox file chosen and account (as the dialog
// names it) as the target.
func openImportForm(t *testing.T, h *harness, src, account string) fyne.CanvasObject {
	t.Helper()
	menuItem(t, h.u.act.menu.Items[0], tr("Import mail…")).Action()
	h.settle()
	form := topOverlay(t, h)
	tapButtonIn(t, form, tr("File…"))
	chooseIn(t, form, account)
	if !containsText(form, src) {
		t.Fatalf("the chosen file is not shown: %q", texts(form))
	}
	return form
}

// waitPaused runs the UI until the import or export is held half way.
func waitPaused(t *testing.T, h *harness, paused *pausedFiles) {
	t.Helper()
	h.runUntil("half way", func() bool {
		select {
		case <-paused.reached:
			return true
		default:
			if o := h.u.win.Canvas().Overlays().Top(); o != nil && containsText(o, tr("Close")) {
				t.Fatalf("ended early: %q", texts(o))
			}
			return false
		}
	})
}

func (h *harness) folderCount(t *testing.T, account, name string) (localcache.Folder, int) {
	t.Helper()
	f, err := h.cache.FolderByName(context.Background(), account, name)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := h.cache.Page(context.Background(), []int64{f.ID}, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return f, len(msgs)
}

// File → Import mail… imports an mbox file into a new folder of a POP3 account with a progress
// dialog, says what it did, and Show folder opens the folder; the same import again finds every
// message there already. The dialog, the progress and the summary are saved as screenshots
// (TestImportMboxInDutch makes the Dutch ones).
func TestImportMbox(t *testing.T) {
	const n = 450 // three batches of the import
	h, src := importHarness(t, n)
	paused := newPausedFiles(h.u.deps.MailFiles)
	h.u.deps.MailFiles = paused

	form := openImportForm(t, h, src, "home")
	savePNG(t, h.u.win.Canvas().Capture(), "import"+langSuffix()+".png")
	tapButtonIn(t, form, tr("Import"))
	waitPaused(t, h, paused)
	half := tr("{{.Done}} of {{.Total}} messages", map[string]any{"Done": formatCount(paused.at), "Total": formatCount(n)})
	h.runUntil("progress shown", func() bool { return containsText(topOverlay(t, h), half) })
	if !containsText(topOverlay(t, h), tr("Into “{{.Folder}}”", map[string]any{"Folder": "Archive 2019"})) {
		t.Fatalf("progress: %q", texts(topOverlay(t, h)))
	}
	savePNG(t, h.u.win.Canvas().Capture(), "import-progress"+langSuffix()+".png")
	close(paused.release)
	h.settle()

	done := topOverlay(t, h)
	if !containsText(done, tr("Import finished")) || !containsText(done, trN("{{.Count}} messages", n)) {
		t.Fatalf("summary: %q", texts(done))
	}
	savePNG(t, h.u.win.Canvas().Capture(), "import-done"+langSuffix()+".png")
	archive, count := h.folderCount(t, "home", "Archive 2019")
	if count != n {
		t.Fatalf("the new folder holds %d messages, want %d", count, n)
	}
	tapButtonIn(t, done, tr("Show folder"))
	h.settle()
	if h.u.folders.selected != "folder:"+itoa(archive.ID) || h.u.list.total != n {
		t.Fatalf("Show folder opened %q with %d messages", h.u.folders.selected, h.u.list.total)
	}

	// Again: everything is there already.
	var sums []mailmove.Summary
	h.u.deps.MailFiles = recordingFiles{MailFiles: paused.MailFiles, sums: &sums}
	tapButtonIn(t, openImportForm(t, h, src, "home"), tr("Import"))
	h.settle()
	again := topOverlay(t, h)
	if len(sums) != 1 || sums[0].Messages != 0 || sums[0].Duplicates != n {
		t.Fatalf("imported again: %+v", sums)
	}
	if !containsText(again, trN("{{.Count}} messages", 0)) || !containsText(again, formatCount(n)) {
		t.Fatalf("summary of the second import: %q", texts(again))
	}
	if _, count := h.folderCount(t, "home", "Archive 2019"); count != n {
		t.Fatalf("after importing again the folder holds %d messages", count)
	}
}

func TestImportMboxInDutch(t *testing.T) {
	screenshotInDutch(t, "TestImportMbox", "import-nl.png", "import-progress-nl.png", "import-done-nl.png")
}

// Stop ends an import half way and says so; the same import again goes on where it stopped.
func TestImportStopsAndGoesOn(t *testing.T) {
	const n = 450
	h, src := importHarness(t, n)
	paused := newPausedFiles(h.u.deps.MailFiles)
	h.u.deps.MailFiles = paused
	tapButtonIn(t, openImportForm(t, h, src, "home"), tr("Import"))
	waitPaused(t, h, paused)
	tapButtonIn(t, topOverlay(t, h), tr("Stop"))
	close(paused.release)
	h.settle()
	if o := topOverlay(t, h); !containsText(o, tr("Import stopped")) {
		t.Fatalf("after Stop: %q", texts(o))
	}
	_, part := h.folderCount(t, "home", "Archive 2019")
	if part == 0 || part == n {
		t.Fatalf("stopped with %d of %d messages imported", part, n)
	}
	closeOverlays(h)

	var sums []mailmove.Summary
	h.u.deps.MailFiles = recordingFiles{MailFiles: paused.MailFiles, sums: &sums}
	tapButtonIn(t, openImportForm(t, h, src, "home"), tr("Import"))
	h.settle()
	if len(sums) != 1 || sums[0].Messages != n-part || sums[0].Duplicates != part {
		t.Fatalf("going on after %d: %+v", part, sums)
	}
	if _, count := h.folderCount(t, "home", "Archive 2019"); count != n {
		t.Fatalf("after going on the folder holds %d messages, want %d", count, n)
	}
}

// "Thunderbird's Local Folders" says where it found them and imports their folders by name, the
// Inbox into the account's inbox.
func TestImportThunderbirdLocalFolders(t *testing.T) {
	h, _ := importHarness(t, 1)
	home := h.u.mailFiles.files.home
	local := filepath.Join(home, ".thunderbird", "abcd.default-release", "Mail", "Local Folders")
	if err := os.MkdirAll(filepath.Join(local, "Archives.sbd"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".thunderbird", "profiles.ini"),
		[]byte("[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\nDefault=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeMbox(t, filepath.Join(local, "Inbox"), 5)
	writeMbox(t, filepath.Join(local, "Archives.sbd", "2024"), 7)
	inbox := h.folder("home", "INBOX", localcache.RoleInbox)
	h.settle()

	menuItem(t, h.u.act.menu.Items[0], tr("Import mail…")).Action()
	h.settle()
	form := topOverlay(t, h)
	chooseIn(t, form, "home")
	radioWith(form, tr("Thunderbird's Local Folders")).SetSelected(tr("Thunderbird's Local Folders"))
	h.settle()
	if found := tr("Found: {{.Dir}}", map[string]any{"Dir": local}); !containsText(form, found) {
		t.Fatalf("Thunderbird not found: %q", texts(form))
	}
	tapButtonIn(t, form, tr("Import"))
	h.settle()
	if o := topOverlay(t, h); !containsText(o, trN("{{.Count}} messages", 12)) {
		t.Fatalf("summary: %q", texts(o))
	}
	if _, count := h.folderCount(t, "home", inbox.Name); count != 5 {
		t.Fatalf("the inbox holds %d messages, want 5", count)
	}
	if _, count := h.folderCount(t, "home", "Archives/2024"); count != 7 {
		t.Fatalf("Archives/2024 holds %d messages, want 7", count)
	}
}

// A folder without mail fails in words, with nothing imported and nothing to show.
func TestImportFailureSaysWhy(t *testing.T) {
	h, _ := importHarness(t, 1)
	empty := t.TempDir()
	h.u.mailFiles.files.openFolder = func(_ fyne.Window, _ string, done func(string)) { done(empty) }
	menuItem(t, h.u.act.menu.Items[0], tr("Import mail…")).Action()
	h.settle()
	form := topOverlay(t, h)
	tapButtonIn(t, form, tr("Folder…"))
	chooseIn(t, form, "home")
	tapButtonIn(t, form, tr("Import"))
	h.settle()
	o := topOverlay(t, h)
	if !containsText(o, tr("Import failed")) || !containsText(o, empty) || containsText(o, tr("Show folder")) {
		t.Fatalf("after a failed import: %q", texts(o))
	}
}

// recordingFiles keeps the summaries of the imports it runs.
type recordingFiles struct {
	MailFiles
	sums *[]mailmove.Summary
}

func (r recordingFiles) Import(ctx context.Context, opt mailmove.ImportOptions) (mailmove.Summary, error) {
	sum, err := r.MailFiles.Import(ctx, opt)
	*r.sums = append(*r.sums, sum)
	return sum, err
}

// "Export folder…" in the folder pane writes the folder to an mbox file that holds every message,
// and "Save as .eml…" writes one message as it is stored.
func TestExportFolderAndMessage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	_, ids := seedInbox(h, 12)
	out := t.TempDir()
	h.u.mailFiles.files = testFiles(t.TempDir(), "", out)

	i := entryIndex(t, h.u.folders, entryFolder, "Inbox")
	menuItem(t, h.u.folders.contextMenu(i), tr("Export folder…")).Action()
	h.settle()
	form := topOverlay(t, h)
	what := tr("The folder “{{.Folder}}” of {{.Account}}", map[string]any{"Folder": "Inbox", "Account": "work"})
	if r := radioWith(form, what); r == nil || r.Selected != what {
		t.Fatalf("export dialog: %q", texts(form))
	}
	tapButtonIn(t, form, tr("Choose…"))
	savePNG(t, h.u.win.Canvas().Capture(), "export"+langSuffix()+".png")
	paused := newPausedFiles(h.u.deps.MailFiles)
	h.u.deps.MailFiles = paused
	tapButtonIn(t, form, tr("Export"))
	waitPaused(t, h, paused)
	step := tr("{{.Done}} of {{.Total}} messages", map[string]any{"Done": formatCount(paused.at), "Total": "12"})
	h.runUntil("progress shown", func() bool { return containsText(topOverlay(t, h), step) })
	savePNG(t, h.u.win.Canvas().Capture(), "export-progress"+langSuffix()+".png")
	close(paused.release)
	h.settle()
	done := topOverlay(t, h)
	if !containsText(done, tr("Export finished")) || !containsText(done, trN("{{.Count}} messages", 12)) {
		t.Fatalf("summary: %q", texts(done))
	}
	if got := len(testkit.ReadMbox(t, filepath.Join(out, "Inbox.mbox"))); got != 12 {
		t.Fatalf("the mbox file holds %d messages, want 12", got)
	}
	closeOverlays(h)

	// One message as .eml, named after its subject.
	h.selectFolder("work", "Inbox")
	h.u.list.setSelection([]int64{ids[3]})
	h.u.reader.show(ids[3])
	h.settle()
	h.u.act.doSaveEML()
	h.settle()
	tapButtonIn(t, topOverlay(t, h), tr("Export"))
	h.settle()
	got, err := os.ReadFile(filepath.Join(out, "Message 3.eml"))
	m := h.message(ids[3])
	want, _ := h.cache.Body(context.Background(), m.BodyKey)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Message 3.eml: %v, %d bytes, want %d", err, len(got), len(want))
	}
	closeOverlays(h)

	// Two selected messages from the list's context menu, into one mbox file.
	h.u.list.setSelection([]int64{ids[5], ids[7]})
	h.settle()
	menuItem(t, h.u.act.contextMenu(), tr("Export selection…")).Action()
	h.settle()
	form = topOverlay(t, h)
	if r := radioWith(form, trN("The {{.Count}} selected messages", 2)); r == nil {
		t.Fatalf("export dialog for the selection: %q", texts(form))
	}
	tapButtonIn(t, form, tr("Export"))
	h.settle()
	if got := len(testkit.ReadMbox(t, filepath.Join(out, tr("Messages")+".mbox"))); got != 2 {
		t.Fatalf("the selection's mbox file holds %d messages, want 2", got)
	}
}

// "Export account…" on an account row writes every folder as a Maildir under one directory, and
// the dialog refuses a name that is taken.
func TestExportAccountAsMaildir(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 5)
	out := t.TempDir()
	h.u.mailFiles.files = testFiles(out, "", out)
	if err := os.Mkdir(filepath.Join(out, "work"), 0o700); err != nil {
		t.Fatal(err)
	}

	menuItem(t, h.u.folders.contextMenu(entryIndex(t, h.u.folders, entryAccount, "work")), tr("Export account…")).Action()
	h.settle()
	form := topOverlay(t, h)
	radioWith(form, "Maildir").SetSelected("Maildir")
	tapButtonIn(t, form, tr("Export"))
	h.settle()
	if !containsText(topOverlay(t, h), tr("There is already a file or folder with this name there.")) {
		t.Fatalf("a taken name is not refused: %q", texts(topOverlay(t, h)))
	}
	for _, obj := range test.LaidOutObjects(form) {
		if e, ok := obj.(*widget.Entry); ok {
			e.SetText("work mail")
		}
	}
	tapButtonIn(t, form, tr("Export"))
	h.settle()
	if o := topOverlay(t, h); !containsText(o, tr("Export finished")) {
		t.Fatalf("summary: %q", texts(o))
	}
	md, err := mailfile.OpenMaildir(filepath.Join(out, "work mail", "INBOX"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if md.Len() != 5 {
		t.Fatalf("the inbox's Maildir holds %d messages, want 5", md.Len())
	}
}

func TestExportInDutch(t *testing.T) {
	screenshotInDutch(t, "TestExportFolderAndMessage", "export-nl.png", "export-progress-nl.png")
}

// "On this computer" is offered before it exists; the first import into it sets it up.
func TestImportIntoThisComputer(t *testing.T) {
	h := newHarness(t, harnessOpts{configPath: filepath.Join(t.TempDir(), "accounts.json")})
	h.startPump()
	seedInbox(h, 1)
	src := filepath.Join(t.TempDir(), "Archive 2019.mbox")
	writeMbox(t, src, 30)
	h.u.mailFiles.files = testFiles(t.TempDir(), src, "")
	tapButtonIn(t, openImportForm(t, h, src, accountLabel(types.LocalAccountName)), tr("Import"))
	h.settle()
	if _, count := h.folderCount(t, types.LocalAccountName, "Archive 2019"); count != 30 {
		t.Fatalf("the folder on this computer holds %d messages, want 30", count)
	}
	if _, ok := h.u.deps.Manager.Account(types.LocalAccountName); !ok {
		t.Error("the import did not set up the folders on this computer")
	}
}
