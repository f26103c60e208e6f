package ui

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/accounts/mailmove"
	"postbode/localcache"
	"postbode/mailfile"
	"postbode/mailfmt"
	"postbode/types"
)

// mailFileDialogs are the Import mail and Export dialogs. They see the window through services and
// the folder pane through its rows, given by hooks.
type mailFileDialogs struct {
	*services
	files *fileChooser // where they look for files; tests set their own
	hooks mailFileHooks
}

// mailFileHooks are what the dialogs read of the folder pane and ask of it.
type mailFileHooks struct {
	rows       func() []folderEntry // the folder pane's rows
	openFolder func(row int)        // select a row, which opens its folder
}

// MailFiles moves mail between the cache and the files other programs use (mbox, Maildir, .eml,
// Thunderbird's Local Folders). Deps without one show File → Import and Export disabled.
type MailFiles interface {
	Import(ctx context.Context, opt mailmove.ImportOptions) (mailmove.Summary, error)
	Export(ctx context.Context, opt mailmove.ExportOptions) (mailmove.Summary, error)
}

// CacheMailFiles is MailFiles over the program's cache and Manager (mailmove). An export
// downloads, through the Manager, the bodies that are not on this computer yet.
type CacheMailFiles struct {
	Cache   *localcache.Cache
	Manager *accounts.Manager
}

func (f CacheMailFiles) Import(ctx context.Context, opt mailmove.ImportOptions) (mailmove.Summary, error) {
	return mailmove.Import(ctx, f.Cache, f.Manager, opt)
}

func (f CacheMailFiles) Export(ctx context.Context, opt mailmove.ExportOptions) (mailmove.Summary, error) {
	if opt.Fetch == nil {
		opt.Fetch = f.Manager.FetchBody
	}
	return mailmove.Export(ctx, f.Cache, opt)
}

// fileChooser is where the import and export dialogs look: Fyne's file dialogs, and the home
// directory (Thunderbird's profiles, the first place to save). Tests set their own.
type fileChooser struct {
	openFile   func(parent fyne.Window, start string, done func(path string))
	openFolder func(parent fyne.Window, start string, done func(path string))
	home       string
	getenv     func(string) string
	every      time.Duration // the least time between two progress redraws
	saveDir    string        // where the last export went: the next one starts there
}

func newFileChooser() *fileChooser {
	home, _ := os.UserHomeDir()
	return &fileChooser{openFile: fyneOpenFile, openFolder: fyneOpenFolder, home: home, getenv: os.Getenv,
		every: 100 * time.Millisecond}
}

func fyneOpenFile(parent fyne.Window, start string, done func(string)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, parent)
			return
		}
		if r == nil {
			return
		}
		r.Close() // only the path is wanted: the import reads the file itself
		done(r.URI().Path())
	}, parent)
	startIn(d, start)
	d.Show()
}

func fyneOpenFolder(parent fyne.Window, start string, done func(string)) {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil {
			dialog.ShowError(err, parent)
			return
		}
		if l != nil {
			done(l.Path())
		}
	}, parent)
	startIn(d, start)
	d.Show()
}

// fitWidth makes a dialog w wide and as high as its content then needs: wrapped text is lower
// when wider.
func fitWidth(d dialog.Dialog, w float32) {
	d.Resize(fyne.NewSize(w, d.MinSize().Height))
	d.Resize(fyne.NewSize(w, d.MinSize().Height))
}

func startIn(d *dialog.FileDialog, dir string) {
	if dir == "" {
		return
	}
	if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
		d.SetLocation(l)
	}
}

// thunderbirdLocalFolders is the Local Folders directory mailmove's import finds ("" when none).
func (fc *fileChooser) thunderbirdLocalFolders() string {
	dir, _ := mailfile.ThunderbirdLocalFolders(runtime.GOOS, fc.home, fc.getenv)
	return dir
}

// throttle lets a progress report through when d has passed since the last one, and always the
// first and the last: a redraw per message is more than the eye needs.
type throttle struct {
	d    time.Duration
	last time.Time
}

func (t *throttle) due(final bool) bool {
	now := time.Now()
	if !final && !t.last.IsZero() && now.Sub(t.last) < t.d {
		return false
	}
	t.last = now
	return true
}

// The menu items. Import and export need MailFiles; without it they are shown disabled.

func (a *actions) importItem() *fyne.MenuItem {
	it := fyne.NewMenuItem(tr("Import mail…"), func() { a.u.mailFiles.openImport(a.u.list.scope.account) })
	it.Icon, it.Disabled = theme.UploadIcon(), a.u.deps.MailFiles == nil
	return it
}

func (a *actions) exportItem() *fyne.MenuItem {
	it := fyne.NewMenuItem(tr("Export…"), a.doExport)
	it.Icon, it.Disabled = theme.DownloadIcon(), a.u.deps.MailFiles == nil
	return it
}

// exportEntryItem is the folder pane's "Export folder…", or "Export account…" on an account row.
func (mf *mailFileDialogs) exportEntryItem(e folderEntry) *fyne.MenuItem {
	label := tr("Export folder…")
	if e.kind == entryAccount {
		label = tr("Export account…")
	}
	it := fyne.NewMenuItem(label, func() {
		if e.kind == entryAccount {
			mf.openExport([]exportScope{accountScope(e.account)}, 0, nil)
			return
		}
		mf.openExport([]exportScope{folderScope(e), accountScope(e.account)}, 0, nil)
	})
	it.Icon, it.Disabled = theme.DownloadIcon(), mf.deps.MailFiles == nil
	return it
}

// doExport is File → Export…: the selection when there is one of several, else the folder the
// list shows, else the account; the others are offered too.
func (a *actions) doExport() {
	var scopes []exportScope
	if ids := a.u.list.selectedIDs(); len(ids) > 1 {
		scopes = append(scopes, selectionScope(ids))
	}
	account := a.u.list.scope.account
	if e, ok := a.shownFolder(); ok {
		scopes = append(scopes, folderScope(e))
		account = e.account
	}
	if account == "" {
		if names := accountNames(a.u.deps.Manager, a.u.folders.folders); len(names) > 0 {
			account = names[0]
		}
	}
	if account != "" {
		scopes = append(scopes, accountScope(account))
	}
	if len(scopes) == 0 {
		return
	}
	a.u.mailFiles.openExport(scopes, 0, nil)
}

// doSaveEML saves the one selected message as an .eml file; with several selected it offers
// them as .eml files.
func (a *actions) doSaveEML() {
	ids := a.u.list.selectedIDs()
	switch {
	case len(ids) == 1:
		subject := ""
		if msgs := a.u.list.selectedMessages(); len(msgs) == 1 {
			subject = strings.TrimSpace(msgs[0].Subject)
		}
		name := mailfmt.SanitizeFilename(subject)
		if name == "" {
			name = tr("Message")
		}
		a.u.mailFiles.openExport([]exportScope{{label: tr("The message “{{.Subject}}”", map[string]any{"Subject": subject}),
			opt: mailmove.ExportOptions{IDs: ids}, name: name, one: true}}, 0, []mailfile.Format{mailfile.FormatEML})
	case len(ids) > 1:
		a.u.mailFiles.openExport([]exportScope{selectionScope(ids)}, 0, []mailfile.Format{mailfile.FormatEML})
	}
}

// doExportSelection exports the selected messages into one mbox file or Maildir.
func (a *actions) doExportSelection() {
	if ids := a.u.list.selectedIDs(); len(ids) > 0 {
		a.u.mailFiles.openExport([]exportScope{selectionScope(ids)}, 0, nil)
	}
}

// shownFolder is the folder pane's entry of the folder the list shows, if it shows one.
func (a *actions) shownFolder() (folderEntry, bool) {
	p := a.u.folders
	i := p.indexOf(p.selected)
	if i < 0 || p.entries[i].kind != entryFolder {
		return folderEntry{}, false
	}
	return p.entries[i], true
}

// openImport asks what to import and where to; account is the one chosen at first.
func (mf *mailFileDialogs) openImport(account string) {
	if mf.deps.MailFiles == nil {
		return
	}
	// Configured accounts only (mail of a removed one has nowhere to go), and the folders on this
	// computer, set up for the import when there are none yet.
	names := accountNames(mf.deps.Manager, nil)
	if len(names) > 0 && !slices.Contains(names, types.LocalAccountName) {
		names = append(names, types.LocalAccountName)
	}
	if len(names) == 0 {
		dialog.ShowInformation(tr("Import mail"), tr("Add an account to import the mail into first (File, Add account…)."), mf.win)
		return
	}
	f := &importForm{mf: mf}
	f.build(names, account)
}

// importForm is the Import mail dialog before the import starts.
type importForm struct {
	mf      *mailFileDialogs
	d       *dialog.CustomDialog
	from    *widget.RadioGroup
	path    string
	pathL   *widget.Label
	tb      string // Thunderbird's Local Folders; "" when no profile has them
	tbL     *widget.Label
	account *widget.Select // shows names as the folder pane does
	names   []string       // the accounts, in the order of account's options
	folder  *widget.Select
	folders []string // the account's folder names, after folder's first option
	newName string   // the folder a single mbox file becomes; "" for other sources
	start   *widget.Button
}

func (f *importForm) build(names []string, account string) {
	mf := f.mf
	files, thunderbird := tr("Mail files"), tr("Thunderbird's Local Folders")
	f.pathL = widget.NewLabel(tr("No file or folder chosen yet."))
	f.pathL.Truncation = fyne.TextTruncateEllipsis
	chooseFile := widget.NewButtonWithIcon(tr("File…"), theme.FileIcon(), func() {
		mf.files.openFile(mf.win, f.startDir(), f.setPath)
	})
	chooseDir := widget.NewButtonWithIcon(tr("Folder…"), theme.FolderOpenIcon(), func() {
		mf.files.openFolder(mf.win, f.startDir(), f.setPath)
	})
	fileRow := container.NewBorder(nil, nil, nil, container.NewHBox(chooseFile, chooseDir), f.pathL)
	f.tbL = widget.NewLabel(tr("Looking for Thunderbird…"))
	f.tbL.Wrapping = fyne.TextWrapWord
	f.tbL.Hide()
	f.from = widget.NewRadioGroup([]string{files, thunderbird}, func(s string) {
		if s == thunderbird {
			fileRow.Hide()
			f.tbL.Show()
		} else {
			f.tbL.Hide()
			fileRow.Show()
		}
		f.fillFolders(f.folderName())
		f.check()
	})
	f.from.Required = true
	f.names = names
	labels := make([]string, len(names))
	for i, n := range names {
		labels[i] = accountLabel(n)
	}
	f.account = widget.NewSelect(labels, func(string) { f.fillFolders("") })
	f.folder = widget.NewSelect(nil, nil)
	if account == "" || !slices.Contains(names, account) {
		account = names[0]
	}
	f.account.Selected = accountLabel(account)
	f.fillFolders("")
	form := widget.NewForm(
		widget.NewFormItem(tr("Import from"), f.from),
		widget.NewFormItem("", container.NewStack(fileRow, f.tbL)),
		widget.NewFormItem(tr("Into account"), f.account),
		widget.NewFormItem(tr("Into folder"), f.folder),
	)
	// The format names are names, not words: kept out of the translations.
	note := wrapped(tr("An mbox file, a {{.Format}}, an .eml file or a folder of them; a folder with subfolders keeps its tree. Messages the folder holds already are skipped, so an import that was stopped goes on where it stopped when you run it again.",
		map[string]any{"Format": "Maildir"}))
	f.start = widget.NewButton(tr("Import"), f.run)
	f.start.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("Cancel"), func() { f.d.Hide() })
	f.d = dialog.NewCustomWithoutButtons(tr("Import mail"), container.NewVBox(form, note), mf.win)
	f.d.SetButtons([]fyne.CanvasObject{cancel, f.start})
	f.from.SetSelected(files)
	fitWidth(f.d, 560)
	f.d.Show()
	mf.tasks.spawn(func(context.Context) {
		dir := mf.files.thunderbirdLocalFolders()
		mf.exec(func() {
			f.tb = dir
			if dir == "" {
				f.tbL.SetText(tr("No Thunderbird profile with Local Folders was found on this computer."))
			} else {
				f.tbL.SetText(tr("Found: {{.Dir}}", map[string]any{"Dir": dir}))
			}
			f.check()
		})
	})
}

// startDir is where the file dialogs open: beside the chosen source, else the home directory.
func (f *importForm) startDir() string {
	if f.path != "" {
		return filepath.Dir(f.path)
	}
	return f.mf.files.home
}

func (f *importForm) setPath(path string) {
	f.path = path
	f.pathL.SetText(path)
	f.newName = ""
	if !isDir(path) && !strings.EqualFold(filepath.Ext(path), ".eml") && mailfile.LooksLikeMbox(path) {
		f.newName = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) // as mailmove names it
	}
	f.fillFolders(f.folderName())
	f.check()
}

// fillFolders offers the source's own folder names (a new folder named after an mbox file), then
// the account's folders; selected names the one to choose ("" the source's names).
func (f *importForm) fillFolders(selected string) {
	fresh := tr("Named as in the source")
	if f.from != nil && f.from.Selected == tr("Mail files") && f.newName != "" {
		fresh = tr("A new folder “{{.Name}}”", map[string]any{"Name": f.newName})
	}
	options := []string{fresh}
	f.folders = []string{""}
	for _, e := range foldersOf(f.mf.hooks.rows(), f.accountName()) {
		options = append(options, strings.Repeat("    ", e.depth)+e.name)
		f.folders = append(f.folders, e.folder.Name)
	}
	f.folder.SetOptions(options)
	chosen := 0
	for i, name := range f.folders {
		if name != "" && name == selected {
			chosen = i
		}
	}
	f.folder.SetSelectedIndex(chosen)
}

// folderName is the name of the target folder chosen ("": named after the source).
func (f *importForm) folderName() string {
	if i := f.folder.SelectedIndex(); i > 0 && i < len(f.folders) {
		return f.folders[i]
	}
	return ""
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// check enables Import once there is something to import.
func (f *importForm) check() {
	if f.start == nil {
		return
	}
	ok := f.path != ""
	if f.from.Selected == tr("Thunderbird's Local Folders") {
		ok = f.tb != ""
	}
	setEnabled(f.start, ok && f.accountName() != "")
}

// accountName is the account chosen ("" when none is).
func (f *importForm) accountName() string {
	if i := f.account.SelectedIndex(); i >= 0 {
		return f.names[i]
	}
	return ""
}

func (f *importForm) run() {
	opt := mailmove.ImportOptions{Account: f.accountName(), Folder: f.folderName(),
		Home: f.mf.files.home, Getenv: f.mf.files.getenv}
	if f.from.Selected == tr("Thunderbird's Local Folders") {
		opt.Thunderbird = true
	} else {
		opt.Source = f.path
	}
	f.d.Hide()
	f.mf.runImport(opt)
}

// moveProgress is the dialog shown while mail is imported or exported: the folder, a bar, and
// messages and megabytes done; its Stop button cancels the run.
type moveProgress struct {
	d      *dialog.CustomDialog
	where  *widget.Label
	bar    *widget.ProgressBar
	count  *widget.Label
	into   bool // "Into folder" (import) or "From folder" (export)
	cancel context.CancelFunc
	names  func(string) string // a folder's name as the folder pane shows it
}

func (mf *mailFileDialogs) newMoveProgress(title string, into bool) (*moveProgress, context.Context) {
	ctx, cancel := context.WithCancel(mf.ctx)
	p := &moveProgress{where: widget.NewLabel(""), bar: widget.NewProgressBar(), count: widget.NewLabel(tr("Counting the messages…")),
		into: into, cancel: cancel, names: mf.folderTitle}
	p.where.Truncation = fyne.TextTruncateEllipsis
	p.d = dialog.NewCustom(title, tr("Stop"), container.NewVBox(p.where, p.bar, p.count), mf.win)
	p.d.SetOnClosed(cancel)
	p.d.Resize(fyne.NewSize(460, p.d.MinSize().Height))
	p.d.Show()
	return p, ctx
}

// report returns the Progress callback for mailmove: throttled, and drawn through exec.
func (mf *mailFileDialogs) progressReporter(p *moveProgress, seen func(mailmove.Progress)) func(mailmove.Progress) {
	t := &throttle{d: mf.files.every}
	return func(pr mailmove.Progress) {
		if seen != nil {
			seen(pr)
		}
		if t.due(pr.Done == pr.Total) {
			mf.exec(func() { p.show(pr) })
		}
	}
}

func (p *moveProgress) show(pr mailmove.Progress) {
	name := p.names(pr.Folder)
	where := tr("From “{{.Folder}}”", map[string]any{"Folder": name})
	if p.into {
		where = tr("Into “{{.Folder}}”", map[string]any{"Folder": name})
	}
	p.where.SetText(where)
	p.bar.Max = float64(max(pr.Total, 1))
	p.bar.SetValue(float64(pr.Done))
	p.count.SetText(tr("{{.Done}} of {{.Total}} messages", map[string]any{"Done": formatCount(pr.Done), "Total": formatCount(pr.Total)}) +
		" · " + formatSize(pr.Bytes))
}

// folderTitle is a folder's name as people know it: the special folders' names ("Inbox" for
// INBOX) in the language of the window, other folders by their path.
func (mf *mailFileDialogs) folderTitle(name string) string {
	for _, e := range mf.hooks.rows() {
		if e.kind == entryFolder && e.folder.Name == name && e.folder.Role != "" {
			return roleName(e.folder.Role)
		}
	}
	return name
}

// runImport imports off the UI goroutine with a progress dialog, then says what it did.
func (mf *mailFileDialogs) runImport(opt mailmove.ImportOptions) {
	p, ctx := mf.newMoveProgress(tr("Importing mail"), true)
	var first string // the first folder imported into: Show folder opens it
	opt.Progress = mf.progressReporter(p, func(pr mailmove.Progress) {
		if first == "" {
			first = pr.Folder
		}
	})
	mf.tasks.spawn(func(context.Context) {
		var sum mailmove.Summary
		var err error
		if opt.Account == types.LocalAccountName {
			_, err = mf.deps.Manager.LocalAccount(ctx) // the first import there sets it up
		}
		if err == nil {
			sum, err = mf.deps.MailFiles.Import(ctx, opt)
		}
		stopped := ctx.Err() != nil
		mf.exec(func() {
			p.d.Hide()
			if stopped && mf.ctx.Err() != nil {
				return // the program is closing
			}
			mf.importSummary(opt.Account, first, sum, err, stopped)
		})
	})
}

// importSummary says what an import did; Show folder opens the folder imported into.
func (mf *mailFileDialogs) importSummary(account, folder string, sum mailmove.Summary, err error, stopped bool) {
	title, text := tr("Import finished"), ""
	switch {
	case stopped:
		title, text = tr("Import stopped"), tr("What was imported stays. Import the same again to go on where it stopped: messages already there are skipped.")
	case err != nil:
		title, text = tr("Import failed"), tr("The import stopped: {{.Err}}", map[string]any{"Err": err.Error()})
	}
	rows := widget.NewForm(
		widget.NewFormItem(tr("Imported"), widget.NewLabel(trN("{{.Count}} messages", sum.Messages)+" ("+formatSize(sum.Bytes)+")")),
		widget.NewFormItem(tr("There already, skipped"), widget.NewLabel(formatCount(sum.Duplicates))),
		widget.NewFormItem(tr("Marked as deleted, skipped"), widget.NewLabel(formatCount(sum.Deleted))),
		widget.NewFormItem(tr("Too large, skipped"), widget.NewLabel(formatCount(sum.TooLarge))),
	)
	content := container.NewVBox()
	if text != "" {
		content.Add(wrapped(text))
	}
	if err == nil || stopped || sum.Messages+sum.Duplicates > 0 {
		content.Add(rows)
	}
	d := dialog.NewCustomWithoutButtons(title, content, mf.win)
	closeB := widget.NewButton(tr("Close"), func() { d.Hide() })
	buttons := []fyne.CanvasObject{closeB}
	if folder != "" && sum.Messages+sum.Duplicates > 0 {
		show := widget.NewButtonWithIcon(tr("Show folder"), theme.FolderOpenIcon(), func() {
			d.Hide()
			mf.showFolder(account, folder)
		})
		show.Importance = widget.HighImportance
		buttons = append(buttons, show)
	}
	d.SetButtons(buttons)
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	d.Show()
}

// showFolder selects a folder in the folder pane, which opens it in the list.
func (mf *mailFileDialogs) showFolder(account, name string) {
	for i, e := range mf.hooks.rows() {
		if e.kind == entryFolder && e.account == account && e.folder.Name == name {
			mf.hooks.openFolder(i)
			return
		}
	}
}

// exportScope is one thing the export dialog can write: a folder, an account, the selection or
// one message (one).
type exportScope struct {
	label string
	opt   mailmove.ExportOptions // Account, Folder or IDs
	name  string                 // what the file or folder written is called by default
	one   bool
}

func folderScope(e folderEntry) exportScope {
	return exportScope{label: tr("The folder “{{.Folder}}” of {{.Account}}", map[string]any{"Folder": e.name, "Account": e.account}),
		opt: mailmove.ExportOptions{Account: e.account, Folder: e.folder.Name}, name: fileName(e.name)}
}

func accountScope(account string) exportScope {
	return exportScope{label: tr("Every folder of {{.Account}}", map[string]any{"Account": account}),
		opt: mailmove.ExportOptions{Account: account}, name: fileName(account)}
}

func selectionScope(ids []int64) exportScope {
	return exportScope{label: trN("The {{.Count}} selected messages", len(ids)),
		opt: mailmove.ExportOptions{IDs: ids}, name: tr("Messages")}
}

// fileName makes a folder's or account's name a file name.
func fileName(s string) string {
	if n := mailfmt.SanitizeFilename(strings.TrimSpace(s)); n != "" {
		return n
	}
	return tr("Messages")
}

// formatLabels are the formats' names in the dialog: names of file formats, not translated.
var formatLabels = map[mailfile.Format]string{mailfile.FormatMbox: "mbox", mailfile.FormatMaildir: "Maildir", mailfile.FormatEML: ".eml"}

// openExport asks what to export (scopes, chosen first), in which format (formats; nil: mbox and
// Maildir) and where, then exports with a progress dialog.
func (mf *mailFileDialogs) openExport(scopes []exportScope, chosen int, formats []mailfile.Format) {
	if mf.deps.MailFiles == nil || len(scopes) == 0 {
		return
	}
	if formats == nil {
		formats = []mailfile.Format{mailfile.FormatMbox, mailfile.FormatMaildir}
	}
	dir := mf.files.saveDir
	if dir == "" {
		dir = mf.files.home
	}
	f := &exportForm{mf: mf, scopes: scopes, formats: formats, dir: dir}
	f.build(chosen)
}

// exportForm is the Export dialog before the export starts.
type exportForm struct {
	mf      *mailFileDialogs
	d       *dialog.CustomDialog
	scopes  []exportScope
	formats []mailfile.Format
	what    *widget.RadioGroup
	format  *widget.RadioGroup
	dir     string
	dirL    *widget.Label
	name    *widget.Entry
	named   string // the name the dialog filled in; one the user typed is kept
	problem *widget.Label
}

func (f *exportForm) build(chosen int) {
	mf := f.mf
	var labels, formats []string
	for _, s := range f.scopes {
		labels = append(labels, s.label)
	}
	for _, ft := range f.formats {
		formats = append(formats, formatLabels[ft])
	}
	f.what = widget.NewRadioGroup(labels, func(string) { f.rename() })
	f.what.Required = true
	f.format = widget.NewRadioGroup(formats, func(string) { f.rename() })
	f.format.Required = true
	f.format.Horizontal = true
	f.dirL = widget.NewLabel(f.dir)
	f.dirL.Truncation = fyne.TextTruncateEllipsis
	choose := widget.NewButtonWithIcon(tr("Choose…"), theme.FolderOpenIcon(), func() {
		mf.files.openFolder(mf.win, f.dir, func(dir string) {
			f.dir = dir
			f.dirL.SetText(dir)
			f.validate()
		})
	})
	f.name = widget.NewEntry()
	f.name.OnChanged = func(string) { f.validate() }
	f.problem = widget.NewLabel("")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()
	items := []*widget.FormItem{widget.NewFormItem(tr("Export"), f.what)}
	if len(f.formats) > 1 {
		items = append(items, widget.NewFormItem(tr("Format"), f.format))
	}
	items = append(items,
		widget.NewFormItem(tr("Save in"), container.NewBorder(nil, nil, nil, choose, f.dirL)),
		widget.NewFormItem(tr("Name"), f.name))
	start := widget.NewButton(tr("Export"), f.run)
	start.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("Cancel"), func() { f.d.Hide() })
	note := wrapped(tr("mbox is one file per folder, which Thunderbird and most other programs read; {{.Format}} is a folder with a file per message. Nothing existing is overwritten.",
		map[string]any{"Format": "Maildir"}))
	content := container.NewVBox(widget.NewForm(items...), f.problem)
	if len(f.formats) > 1 {
		content.Add(note)
	}
	title := tr("Export")
	if len(f.formats) == 1 && f.formats[0] == mailfile.FormatEML {
		title = tr("Save as .eml")
	}
	f.d = dialog.NewCustomWithoutButtons(title, content, mf.win)
	f.d.SetButtons([]fyne.CanvasObject{cancel, start})
	f.format.SetSelected(formats[0])
	f.what.SetSelected(labels[min(max(chosen, 0), len(labels)-1)])
	fitWidth(f.d, 560)
	f.d.Show()
}

func (f *exportForm) scope() exportScope {
	for i, s := range f.scopes {
		if s.label == f.what.Selected {
			return f.scopes[i]
		}
	}
	return f.scopes[0]
}

func (f *exportForm) formatChosen() mailfile.Format {
	for _, ft := range f.formats {
		if formatLabels[ft] == f.format.Selected {
			return ft
		}
	}
	return f.formats[0]
}

// rename fills in the name for what and how is exported, unless the user typed one.
func (f *exportForm) rename() {
	if f.name == nil || (f.name.Text != "" && f.name.Text != f.named) {
		return
	}
	s, ft := f.scope(), f.formatChosen()
	name := s.name
	tree := s.opt.Folder == "" && len(s.opt.IDs) == 0 // a whole account: a directory in any format
	switch {
	case s.one:
		name += ".eml"
	case ft == mailfile.FormatMbox && !tree:
		name += ".mbox"
	}
	f.named = name
	f.name.SetText(name)
}

// out is the path to write, or a reason there is none.
func (f *exportForm) out() (string, string) {
	name := strings.TrimSpace(f.name.Text)
	switch {
	case name == "":
		return "", tr("Enter a name.")
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return "", tr("A name cannot contain “/” or “\\”.")
	case f.dir == "":
		return "", tr("Choose a folder to save in.")
	}
	path := filepath.Join(f.dir, name)
	if _, err := os.Lstat(path); err == nil {
		return "", tr("There is already a file or folder with this name there.")
	}
	return path, ""
}

func (f *exportForm) validate() {
	_, problem := f.out()
	f.problem.SetText(problem)
	f.problem.Hidden = problem == "" || problem == tr("Enter a name.")
	f.problem.Refresh()
}

func (f *exportForm) run() {
	path, problem := f.out()
	if problem != "" {
		f.problem.SetText(problem)
		f.problem.Show()
		return
	}
	opt := f.scope().opt
	opt.Format, opt.Out = f.formatChosen(), path
	f.mf.files.saveDir = f.dir
	f.d.Hide()
	f.mf.runExport(opt)
}

// runExport exports off the UI goroutine with a progress dialog, then says what it did.
func (mf *mailFileDialogs) runExport(opt mailmove.ExportOptions) {
	p, ctx := mf.newMoveProgress(tr("Exporting mail"), false)
	opt.Progress = mf.progressReporter(p, nil)
	mf.tasks.spawn(func(context.Context) {
		sum, err := mf.deps.MailFiles.Export(ctx, opt)
		stopped := ctx.Err() != nil
		mf.exec(func() {
			p.d.Hide()
			if stopped && mf.ctx.Err() != nil {
				return
			}
			mf.exportSummary(opt.Out, sum, err, stopped)
		})
	})
}

func (mf *mailFileDialogs) exportSummary(path string, sum mailmove.Summary, err error, stopped bool) {
	title, text := tr("Export finished"), ""
	switch {
	case stopped:
		title, text = tr("Export stopped"), tr("The export was stopped before the end, so what was written is not complete.")
	case err != nil:
		title, text = tr("Export failed"), tr("The export stopped: {{.Err}}", map[string]any{"Err": err.Error()})
	}
	content := container.NewVBox()
	if text != "" {
		content.Add(wrapped(text))
	}
	if err == nil || stopped {
		items := []*widget.FormItem{
			widget.NewFormItem(tr("Exported"), widget.NewLabel(trN("{{.Count}} messages", sum.Messages)+" ("+formatSize(sum.Bytes)+")")),
		}
		if sum.NotDownloaded > 0 {
			items = append(items, widget.NewFormItem(tr("Left out, not downloaded"), widget.NewLabel(formatCount(sum.NotDownloaded))))
		}
		where := widget.NewLabel(path)
		where.Wrapping = fyne.TextWrapBreak
		items = append(items, widget.NewFormItem(tr("Saved as"), where))
		content.Add(widget.NewForm(items...))
	}
	d := dialog.NewCustom(title, tr("Close"), content, mf.win)
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	d.Show()
}
