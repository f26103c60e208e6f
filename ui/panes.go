package ui

import (
	"context"
	"net/url"
	"time"

	"fyne.io/fyne/v2"

	"postbode/types"
)

// services are what any pane may use: the core, the window, the task queues, the saved settings
// and the ways to report and to change things. A pane gets these and hooks of its own kind, never
// the ui struct, so that it cannot reach into another pane: what it has to tell the others goes
// through its hooks, and the main window (newUI) wires them.
type services struct {
	ctx        context.Context
	app        fyne.App
	deps       *Deps // the window's own, which tests may change after it is built
	win        fyne.Window
	tips       *tipLayer
	exec       func(func())
	tasks      *tasks
	now        func() time.Time
	prefs      *settings
	storePrefs func()
	showError  func(account string, err error)
	do         func(types.Request)
	doUndoable func(req types.Request, done string)
}

func (u *ui) services() *services {
	return &services{ctx: u.ctx, app: u.app, deps: &u.deps, win: u.win, tips: u.tips, exec: u.exec, tasks: u.tasks,
		now:   func() time.Time { return u.now() }, // tests set the clock after the window is built
		prefs: u.prefs, storePrefs: u.storePrefs, showError: u.showError, do: u.do, doUndoable: u.doUndoable}
}

// folderHooks are what the folder pane tells the rest of the window, and the one thing it asks.
type folderHooks struct {
	// opened: the user chose a folder, an account, All inboxes or (outbox) the Outbox.
	opened func(s listScope, outbox bool)
	// listed: the folder list was read again; accounts is how many accounts it shows. counted
	// follows once the selection is settled, for the counts shown elsewhere.
	listed  func(accounts int)
	counted func()
	// showing is the scope the message list shows now.
	showing func() listScope
	// runFilters runs the message filters on a folder; exportItem is the menu item that exports
	// a folder or an account.
	runFilters func(folderID int64)
	exportItem func(e folderEntry) *fyne.MenuItem
	// moveToIMAP opens the move of a POP3 account's mail to IMAP.
	moveToIMAP func(account string)
}

// listHooks are what the message list tells the rest of the window, and what it asks of it.
type listHooks struct {
	// selected: one message (id, 1), several (0, count) or none (0, 0) is selected now.
	selected func(id int64, count int)
	// changed: what the actions act on may have changed (selection, scope, rows).
	changed func()
	// titled: the list shows another folder or search, under this title.
	titled func(title string)
	// sortChanged: the order of the shown folder changed, for the View menu.
	sortChanged func()
	// counts are the number of messages and unread ones of folders, as the folder pane has them.
	counts func(folders []int64) (total, unread int)
	// folderName names a folder for a conversation's rows; folderAt is the folder under a point of
	// the window, for drag and drop.
	folderName func(id int64) string
	folderAt   func(pos fyne.Position) (folderEntry, bool)
	// searchAgain runs the shown search again after the cache changed.
	searchAgain func()
	// The actions' keyboard, context menu and "open in a window".
	key        func(*fyne.KeyEvent)
	char       func(rune)
	menu       func() *fyne.Menu
	openWindow func()
}

// readerHooks are what a reader tells the window it is in.
type readerHooks struct {
	// shown: the reader's message changed; the main window's actions follow its reader (nil in a
	// message window of its own).
	shown func()
	// openLink opens a link the user clicked in a message.
	openLink func(*url.URL)
}
