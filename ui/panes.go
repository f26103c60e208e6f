package ui

import (
	"context"

	"fyne.io/fyne/v2"

	"postbode/types"
)

// services are what any pane may use: the core, the window, the task queues, the saved settings
// and the ways to report and to change things. A pane gets these and hooks of its own kind, never
// the ui struct, so that it cannot reach into another pane: what it has to tell the others goes
// through its hooks, and the main window (newUI) wires them.
type services struct {
	ctx       context.Context
	deps      Deps
	win       fyne.Window
	exec      func(func())
	tasks     *tasks
	prefs     *settings
	showError func(account string, err error)
	do        func(types.Request)
}

func (u *ui) services() *services {
	return &services{ctx: u.ctx, deps: u.deps, win: u.win, exec: u.exec, tasks: u.tasks, prefs: u.prefs,
		showError: u.showError, do: u.do}
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
	// runFilters runs the message filters on a folder.
	runFilters func(folderID int64)
	// moveToIMAP opens the move of a POP3 account's mail to IMAP.
	moveToIMAP func(account string)
}
