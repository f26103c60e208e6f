package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
	"postbode/ui/wizard"
	"postbode/webfetch"
)

// ui is the main window and everything in it. Its fields are used on the Fyne goroutine only.
type ui struct {
	ctx   context.Context
	app   fyne.App
	win   fyne.Window
	deps  Deps
	exec  func(func())
	tasks *tasks
	now   func() time.Time
	prefs *settings // saved in the profile
	tips  *tipLayer // the main window's tooltips

	svc       *services // what the panes and dialogs are given of the window
	folders   *folderPane
	mailFiles *mailFileDialogs // Import mail and Export
	list      *messageList
	reader    *reader
	status    *statusBar
	banners   *bannerStack
	search    *searchBar
	act       *actions

	root         *fyne.Container // welcome screen or the three panes
	mainView     fyne.CanvasObject
	outerSplit   *container.Split
	innerSplit   *container.Split
	readerBelow  bool
	showingPanes bool

	composers  []*composer
	popouts    []*messageWindow // messages open in windows of their own
	wizard     *wizard.Wizard   // the open "Add an account" window, if any
	accWin     *accountSettings // the open Account settings window, if any
	prefsWin   *preferences     // the open Preferences window, if any
	filtersWin *filtersWindow   // the open message filters editor, if any
	moveWin    *moveToIMAP      // the open "Move this account to IMAP" window, if any
	undo       *undoable        // the last change that can be taken back, while its notice shows
	outbox     *outboxView      // in place of the list and reader while the Outbox is open
}

// newUI builds the main window. exec runs a function on the Fyne goroutine (fyne.Do; tests pass a
// queue they drain themselves).
func newUI(ctx context.Context, a fyne.App, d Deps, exec func(func())) *ui {
	loadTranslations()
	if d.Autosave == nil {
		d.Autosave = noAutosave{}
	}
	if d.Images == nil {
		d.Images = webfetch.New(webfetch.Options{})
	}
	u := &ui{ctx: ctx, app: a, deps: d, exec: exec, tasks: newTasks(ctx), now: time.Now, tips: newTipLayer()}
	u.win = a.NewWindow("Postbode")
	prefs, prefsErr := loadSettings(d.SettingsFile)
	u.prefs = prefs
	u.readerBelow = prefs.ReaderBelow
	u.applyTheme()

	u.banners = newBannerStack(u)
	u.status = newStatusBar(u)
	u.svc = u.services()
	u.reader = newReader(u.svc, readerHooks{shown: func() { u.act.update() }, openLink: u.openLink})
	u.list = newMessageList(u.svc, listHooks{
		selected: func(id int64, count int) {
			switch {
			case id != 0:
				u.reader.show(id)
			case count > 1:
				u.reader.showMany(count)
			default:
				u.reader.clear()
			}
		},
		changed: func() { u.act.update() },
		titled:  u.setTitle,
		sortChanged: func() {
			if u.act != nil { // the list sorts once before the actions exist
				u.act.refreshSortMenu()
			}
		},
		counts:      func(folders []int64) (int, int) { return u.folders.counts(folders) },
		folderName:  func(id int64) string { return u.folders.folderName(id) },
		folderAt:    func(pos fyne.Position) (folderEntry, bool) { return u.folders.folderAt(pos) },
		searchAgain: func() { u.search.rerun() },
		key:         func(ev *fyne.KeyEvent) { u.act.typedKey(ev) },
		char:        func(r rune) { u.act.typedRune(r) },
		menu:        func() *fyne.Menu { return u.act.contextMenu() },
		openWindow:  func() { u.act.doOpenWindow() },
	})
	u.folders = newFolderPane(u.svc, folderHooks{
		opened: func(s listScope, outbox bool) {
			u.search.clear()
			u.list.setScope(s)
			u.showOutbox(outbox)
		},
		listed: func(accounts int) {
			if u.outbox != nil {
				u.outbox.reload()
			}
			u.showPanes(accounts > 0)
		},
		counted:    func() { u.list.countsChanged() },
		showing:    func() listScope { return u.list.scope },
		runFilters: u.runFilters,
		exportItem: func(e folderEntry) *fyne.MenuItem { return u.mailFiles.exportEntryItem(e) },
		moveToIMAP: u.showMoveToIMAP,
	})
	u.mailFiles = &mailFileDialogs{services: u.svc, files: newFileChooser(), hooks: mailFileHooks{
		rows: func() []folderEntry { return u.folders.entries },
		openFolder: func(row int) {
			u.folders.list.Select(row)
			u.folders.list.ScrollTo(row)
		},
	}}
	u.search = newSearchBar(u)
	u.act = newActions(u)

	u.mainView = u.buildMainView()
	u.root = container.NewStack()
	u.win.SetContent(u.tips.over(u.root))
	u.win.SetMainMenu(u.act.mainMenu())
	u.act.installShortcuts(u.win.Canvas())
	u.win.Resize(fyne.NewSize(orDefault(prefs.Width, 1200), orDefault(prefs.Height, 760)))
	u.win.SetOnClosed(u.savePrefs)
	u.showPanes(len(u.deps.Manager.Accounts()) > 0)
	u.folders.reload()
	u.showError("", prefsErr)
	// Fyne tells when the application, not one window, loses the focus: every composer saves then.
	a.Lifecycle().SetOnExitedForeground(func() {
		u.exec(func() {
			for _, c := range u.composers {
				c.autosave()
			}
		})
	})
	u.restoreComposers()
	return u
}

func (u *ui) buildMainView() fyne.CanvasObject {
	u.innerSplit = u.newInnerSplit()
	u.outerSplit = container.NewHSplit(u.folders.view(), u.innerSplit)
	u.outerSplit.SetOffset(orDefault(u.prefs.SplitFolders, 0.2))
	top := container.NewVBox(u.act.toolbar(), widget.NewSeparator(), u.banners.view())
	bottom := container.NewVBox(widget.NewSeparator(), u.status.view())
	return container.NewBorder(top, bottom, nil, nil, u.outerSplit)
}

func (u *ui) newInnerSplit() *container.Split {
	var s *container.Split
	if u.readerBelow {
		s = container.NewVSplit(u.list.view(), u.reader.view())
		s.SetOffset(orDefault(u.prefs.SplitBelow, 0.4))
	} else {
		s = container.NewHSplit(u.list.view(), u.reader.view())
		s.SetOffset(orDefault(u.prefs.SplitList, 0.42))
	}
	return s
}

// setReaderBelow moves the reader under the message list or back to its right.
func (u *ui) setReaderBelow(below bool) {
	if below == u.readerBelow {
		return
	}
	u.saveSplits()
	u.readerBelow = below
	u.prefs.ReaderBelow = below
	u.innerSplit = u.newInnerSplit()
	if u.outbox == nil {
		u.outerSplit.Trailing = u.innerSplit
		u.outerSplit.Refresh()
	}
	u.act.refreshMenu()
}

// showPanes switches between the welcome screen and the three panes.
func (u *ui) showPanes(panes bool) {
	if panes == u.showingPanes && len(u.root.Objects) > 0 {
		return
	}
	u.showingPanes = panes
	if panes {
		u.root.Objects = []fyne.CanvasObject{u.mainView}
	} else {
		u.root.Objects = []fyne.CanvasObject{newWelcome(u)}
	}
	u.root.Refresh()
}

func (u *ui) saveSplits() {
	u.prefs.SplitFolders = u.outerSplit.Offset
	if u.readerBelow {
		u.prefs.SplitBelow = u.innerSplit.Offset
	} else {
		u.prefs.SplitList = u.innerSplit.Offset
	}
}

// savePrefs records the window's size and splits and writes the settings file.
func (u *ui) savePrefs() {
	size := u.win.Canvas().Size()
	if size.Width > 100 && size.Height > 100 {
		u.prefs.Width, u.prefs.Height = size.Width, size.Height
	}
	u.saveSplits()
	u.storePrefs()
	u.keepComposers()
}

// storePrefs writes the settings file; a failure is shown, the choices stay for this session.
func (u *ui) storePrefs() {
	if err := u.prefs.save(); err != nil {
		u.showError("", err)
	}
}

// accountNames lists the accounts to show: the configured ones and any the cache holds mail for.
func accountNames(m *accounts.Manager, folders []localcache.Folder) []string {
	var names []string
	for _, a := range m.Accounts() {
		names = append(names, a.Name)
	}
	for _, f := range folders {
		if !slices.Contains(names, f.Account) {
			names = append(names, f.Account)
		}
	}
	slices.Sort(names)
	// As in other mail programs, the folders on this computer come after the accounts.
	if i := slices.Index(names, types.LocalAccountName); i >= 0 {
		names = append(slices.Delete(names, i, i+1), types.LocalAccountName)
	}
	return names
}

// apply is the pump's sink: one call per batch of events and cache changes.
func (u *ui) apply(b Batch) {
	var newMail []types.NewMail
	for _, ev := range b.Events {
		switch e := ev.(type) {
		case types.ConnState:
			u.status.setState(e)
			u.folders.setState(e)
		case types.SyncProgress:
			u.status.setProgress(e)
		case types.NewMail:
			newMail = append(newMail, e)
		case types.Error:
			u.banners.addProblem(e.Account, errorText(e, u.accountProblem(e.Account, e.Err)))
		case types.Notice:
			u.banners.add(bannerNotice, e.Account, e.Text)
		case types.Sent:
			u.showSent(e)
		}
	}
	if len(newMail) > 0 {
		u.notifyNewMail(newMail)
	}
	if len(b.Changes) > 0 {
		u.folders.reload()
		u.list.changed(b.Changes)
		u.reader.changed(b.Changes)
		for _, mw := range u.popouts {
			mw.r.changed(b.Changes)
		}
	}
}

// errorText words an engine's failed operation: the problem's sentence when the error is of a
// known kind, else what the server or the cache said.
func errorText(e types.Error, p problem) problem {
	msg := p.Sentence
	if p.Kind == types.ProblemOther {
		msg = p.Detail
	}
	if e.Op != "" {
		msg = tr("{{.Op}} failed: {{.Err}}", map[string]any{"Op": e.Op, "Err": msg})
	}
	p.Sentence = msg
	return p
}

// showError reports a failed user action in a banner (never only in a log).
func (u *ui) showError(account string, err error) {
	if err == nil || u.ctx.Err() != nil {
		return
	}
	p := describeProblem(err, "")
	if account != "" {
		p = u.accountProblem(account, err)
	}
	if p.Kind == types.ProblemOther {
		p.Sentence = p.Detail
	}
	u.banners.addProblem(account, p)
}

// do posts a request to the Manager off the UI goroutine; failures are shown in a banner.
func (u *ui) do(req types.Request) {
	u.tasks.writes.post("", func(ctx context.Context) {
		if err := u.deps.Manager.Do(ctx, req); err != nil {
			u.exec(func() { u.showError("", err) })
		}
	})
}

// setTitle names the window after what the message list shows.
func (u *ui) setTitle(what string) {
	if what == "" {
		u.win.SetTitle("Postbode")
		return
	}
	u.win.SetTitle(what + " — Postbode")
}
