// Package ui is every window and widget of Postbode; it is the only package that imports Fyne.
//
// Threading: widgets are touched only on the Fyne goroutine. Blocking work (SQLite, parsing, Manager
// requests, body downloads) runs on the tasks queues and hands results back through ui.exec (fyne.Do in
// the app); engine events and cache change notifications arrive through the Pump, one exec per batch.
package ui

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"postbode/accounts"
	"postbode/mailfmt"
	"postbode/types"
)

// AppID identifies Postbode to the desktop (preferences, notifications); it matches FyneApp.toml.
const AppID = "nl.postbode.mail"

// Deps is what the UI works with: it reads the cache and posts requests to the Manager.
type Deps struct {
	Manager *accounts.Manager
	Cache   CacheView
	// Autosave keeps unsent composer text across a crash or restart; nil keeps none.
	Autosave AutosaveStore
	Version  string

	// Sender sends mail and saves drafts; nil makes Send and Save draft explain that sending is
	// not available yet.
	Sender Sender
	// StartDemo sets up the demo account; nil hides "Try the demo" on the welcome screen.
	StartDemo func(ctx context.Context) error
	// Icon is the application icon as PNG; nil uses a generic mail icon.
	Icon []byte
	// MarkReadDelay is how long a message stays open before it is marked read: 0 means one
	// second, a negative value never marks read on opening.
	MarkReadDelay time.Duration
	// NoticeTime is how long notices that go away by themselves ("Message sent", the Undo
	// notice) stay: 0 means their defaults (five and ten seconds).
	NoticeTime time.Duration
	// AutosaveDelay is how long a composer waits after the last change before it saves what was
	// written: 0 means 30 seconds, a negative value saves only when Postbode loses the focus.
	AutosaveDelay time.Duration

	// SettingsFile keeps the window's choices and state (theme, splits, last folder) for this
	// profile; "" keeps them for the session only.
	SettingsFile string

	// Images loads a message's remote images once the user agrees to it; nil uses webfetch with
	// its default limits.
	Images ImageFetcher

	// MailFiles imports and exports mail files (CacheMailFiles); nil disables Import and Export.
	MailFiles MailFiles

	// Mailto is a mailto: URL from the command line: a composer filled from it opens at start.
	Mailto string
	// Raise delivers what later starts of Postbode on this profile ask: "" shows the window, a
	// mailto: URL opens a composer. nil: nothing to listen to.
	Raise <-chan string
}

// Sender delivers what the composer produces.
type Sender interface {
	// Send queues d, held for d.Hold, and returns its outbox id for Unsend.
	Send(ctx context.Context, d Draft) (int64, error)
	// Unsend takes a queued message back as a draft (undo send); one already being sent gives
	// localcache.ErrOutboxSending.
	Unsend(ctx context.Context, id int64) (Draft, error)
	// SaveDraft stores d (replacing d.Replaces) and returns the local id of the stored copy.
	SaveDraft(ctx context.Context, d Draft) (int64, error)
}

// Draft is a message being written, as the composer hands it to a Sender: the message, the account
// it is sent from, and the saved draft it replaces.
type Draft struct {
	Account string // the sending account's name
	mailfmt.Draft
	Replaces int64         // local id of the saved draft this one replaces (0: none)
	Hold     time.Duration // how long a sent message waits in the outbox, to be taken back
}

// Run opens the main window and blocks until it is closed or ctx ends.
func Run(ctx context.Context, d Deps) error {
	if d.Manager == nil || d.Cache == nil {
		return errors.New("ui: Manager and Cache are required")
	}
	loadTranslations()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	a := app.NewWithID(AppID)
	icon := theme.MailComposeIcon()
	if len(d.Icon) > 0 {
		icon = fyne.NewStaticResource("postbode.png", d.Icon)
	}
	a.SetIcon(icon)

	// Once the window is gone, results still arriving from background work are dropped rather
	// than run against a stopped driver.
	var stopped atomic.Bool
	exec := func(fn func()) {
		if stopped.Load() {
			return
		}
		fyne.Do(func() {
			if !stopped.Load() {
				fn()
			}
		})
	}
	trace, err := openTrace()
	if err != nil {
		return err
	}
	defer trace.close()
	u := newUI(ctx, a, d, exec)
	u.list.trace = trace
	u.win.SetMaster()
	u.win.SetOnClosed(func() {
		u.savePrefs()
		stopped.Store(true)
	})
	quit := func() {
		u.savePrefs()
		stopped.Store(true)
		a.Quit()
	}
	var sysTray *tray
	if host, ok := a.(desktop.App); ok && trayAvailable() {
		sysTray = u.installTray(host, icon, quit)
	}

	sub := d.Cache.Subscribe()
	defer sub.Close()
	pump := NewPump(d.Manager, sub, func(b Batch) {
		u.apply(b)
		if sysTray != nil && len(b.Changes) > 0 {
			sysTray.refresh()
		}
	})
	pump.Exec = exec
	go pump.Run(ctx)
	if d.Raise != nil {
		go func() {
			for {
				select {
				case req, ok := <-d.Raise:
					if !ok {
						return
					}
					exec(func() { u.raise(req) })
				case <-ctx.Done():
					return
				}
			}
		}()
	}

	closed := make(chan struct{})
	defer close(closed)
	go func() {
		select {
		case <-ctx.Done():
		case <-closed:
			return
		}
		// SIGINT and SIGTERM end ctx, and Fyne's driver catches them too and quits by itself. A
		// second Quit after its loop has shut GLFW down runs inline and panics, so the window is
		// only closed here if Fyne has not done so within a moment; the settings are kept first.
		fyne.Do(u.savePrefs)
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			fyne.Do(quit)
		}
	}()
	u.win.Show()
	if d.Mailto != "" {
		u.openMailto(d.Mailto) // over the main window
	}
	a.Run()
	stopped.Store(true)
	return nil
}

// ManagerSender sends and saves drafts through the account Manager (the outbox and Drafts folder).
type ManagerSender struct{ Manager *accounts.Manager }

func (s ManagerSender) Send(ctx context.Context, d Draft) (int64, error) {
	return s.Manager.Send(ctx, types.Send{Account: d.Account, Draft: d.Draft, Replaces: d.Replaces, Hold: d.Hold})
}

func (s ManagerSender) Unsend(ctx context.Context, id int64) (Draft, error) {
	account, d, err := s.Manager.Unsend(ctx, id)
	return Draft{Account: account, Draft: d}, err
}

func (s ManagerSender) SaveDraft(ctx context.Context, d Draft) (int64, error) {
	return s.Manager.SaveDraftID(ctx, types.SaveDraft{Account: d.Account, Draft: d.Draft, Replaces: d.Replaces})
}
