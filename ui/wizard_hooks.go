package ui

import (
	"postbode/types"
	"postbode/ui/wizard"
)

// wizardDeps is what the account wizard (and the connection check of Account settings) may use of
// the main window: the Manager, the app, this window's executor and task runner, and callbacks.
func (u *ui) wizardDeps() wizard.Deps {
	return wizard.Deps{
		App:     u.app,
		Manager: u.deps.Manager,
		Ctx:     u.ctx,
		Exec:    u.exec,
		Spawn:   u.tasks.spawn,
		Notice: func(account, text string) {
			u.banners.add(bannerNotice, account, text)
		},
		OnAdded:      u.accountAdded,
		OnMoveToIMAP: u.showMoveToIMAP,
		OnClose:      func() { u.wizard = nil },
	}
}

// openWizard shows the account setup window, one at a time.
func (u *ui) openWizard() {
	if u.wizard != nil {
		u.wizard.Window().RequestFocus()
		return
	}
	u.wizard = wizard.Open(u.wizardDeps())
}

// accountAdded shows a new account in the main window; its first sync reports progress in the
// status bar.
func (u *ui) accountAdded(name string, sessionOnly bool) {
	if sessionOnly {
		u.banners.add(bannerNotice, name, tr("No keyring is available, so your password is kept only until Postbode closes. Start a keyring (such as GNOME Keyring) and enter the password again under Account settings to keep it."))
	}
	u.status.setState(types.ConnState{Account: name, State: types.StateConnecting})
	u.folders.reload()
}
