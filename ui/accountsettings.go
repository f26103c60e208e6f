package ui

import (
	"context"
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/types"
	"postbode/ui/wizard"
)

// accountSettings is the Account settings window: edit an account's settings (saved only after
// the connection test passes), change its password, or remove it.
type accountSettings struct {
	u   *ui
	win fyne.Window

	acc      types.Account
	pick     *widget.Select
	nameE    *widget.Entry
	emailE   *widget.Entry
	sigE     *widget.Entry // the signature, plain text
	sigAbove *widget.Check
	others   *identityList
	junk     *widget.Check // the junk filter moves what it recognises
	form     *wizard.SettingsForm
	pop3     *wizard.POP3Policy
	pop3Box  *fyne.Container
	check    *wizard.ConnCheck
	status   *widget.Label
	pwStatus *widget.Label
	// authBox is the password row, or for an OAuth2 account its sign-in row.
	authBox *fyne.Container
	save    *widget.Button
	stop    *widget.Button

	// password is a new password typed here, saved with the settings; "" tests with the stored one.
	password string
	remember bool
	busy     bool
}

// openAccountSettings shows the settings of the named account (or of the account shown in the
// main window, or the first one). Without accounts it opens the setup wizard.
func (u *ui) openAccountSettings(name string) {
	names := u.configuredAccounts()
	if len(names) == 0 {
		u.openWizard()
		return
	}
	if name == "" || !slices.Contains(names, name) {
		name = u.list.scope.account
	}
	if !slices.Contains(names, name) {
		name = names[0]
	}
	if u.accWin != nil {
		u.accWin.load(name)
		u.accWin.win.RequestFocus()
		return
	}
	s := &accountSettings{u: u}
	u.accWin = s
	s.win = u.app.NewWindow(tr("Account settings"))
	s.pick = widget.NewSelect(names, func(n string) {
		if n != s.acc.Name {
			s.load(n)
		}
	})
	s.nameE = widget.NewEntry()
	s.emailE = widget.NewEntry()
	s.sigE = widget.NewMultiLineEntry()
	s.sigE.SetMinRowsVisible(3)
	s.sigE.SetPlaceHolder(tr("Added below “-- ” to the messages you write"))
	s.sigAbove = widget.NewCheck(tr("Put the signature above the quote in replies and forwards"), nil)
	s.others = newIdentityList(s.win, func() { s.relayout() })
	s.junk = widget.NewCheck(tr("Move new mail the junk filter recognises to Junk"), nil)
	s.form = wizard.NewSettingsForm(s.win)
	s.form.DisableKind()
	s.pop3 = wizard.NewPOP3Policy()
	s.pop3Box = container.NewVBox(heading(tr("POP3 options")), s.pop3.View())
	deps := u.wizardDeps()
	s.check = wizard.NewConnCheck(&deps)
	s.check.OnTrust = func(which, sha string) {
		s.form.SetPin(which, sha)
		s.testAndSave()
	}
	s.check.OnPassword = func(pw string) {
		s.password, s.remember = pw, true
		s.showPasswordState()
		s.testAndSave()
	}
	s.check.OnDone = s.tested
	s.check.Relayout = s.relayout
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.pwStatus = widget.NewLabel("")
	s.pwStatus.Wrapping = fyne.TextWrapWord

	ident := widget.NewForm(
		widget.NewFormItem(tr("Your name"), s.nameE),
		widget.NewFormItem(tr("E-mail address"), s.emailE),
		widget.NewFormItem(tr("Signature"), s.sigE),
		widget.NewFormItem("", s.sigAbove),
	)
	s.authBox = container.NewVBox()
	copyAll := widget.NewButtonWithIcon(tr("Copy all mail to another account…"), theme.ContentCopyIcon(), func() {
		s.u.copyAccountDialog(s.win, s.acc.Name)
	})
	moves := container.NewHBox(copyAll)
	if !s.u.deps.Manager.KeepsMailOnServer(s.acc.Kind) && s.acc.Sends() {
		moves.Add(widget.NewButtonWithIcon(tr("Move this account to IMAP…"), theme.UploadIcon(), func() {
			s.u.showMoveToIMAP(s.acc.Name)
		}))
	}
	junkBox := container.NewVBox(heading(tr("Junk")), s.junk,
		dimWrapped(tr("The filter learns from the messages you mark as Junk or Not junk.")))
	body := container.NewVBox(ident, s.others.view(), junkBox, s.authBox, s.form.View(), s.pop3Box,
		widget.NewSeparator(), s.check.View(), widget.NewSeparator(), moves)

	remove := widget.NewButtonWithIcon(tr("Remove account…"), theme.DeleteIcon(), s.confirmRemove)
	remove.Importance = widget.DangerImportance
	s.stop = widget.NewButtonWithIcon(tr("Stop"), theme.MediaStopIcon(), func() {
		s.check.Stop()
		s.tested(false)
	})
	s.stop.Hide()
	s.save = widget.NewButtonWithIcon(tr("Test and save"), theme.DocumentSaveIcon(), s.testAndSave)
	s.save.Importance = widget.HighImportance
	closeBtn := widget.NewButton(tr("Close"), s.close)
	top := container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(tr("Account")), nil, s.pick), widget.NewSeparator())
	bar := container.NewHBox(remove, layout.NewSpacer(), closeBtn, s.stop, s.save)
	// The status (errors included) sits above the buttons, in view however long the form is.
	s.win.SetContent(container.NewPadded(container.NewBorder(top, container.NewVBox(widget.NewSeparator(), s.status, bar), nil, nil,
		container.NewVScroll(container.NewPadded(body)))))
	s.win.SetCloseIntercept(s.close)
	// 700 pixels high fits a 768-pixel screen with a panel; the form scrolls.
	s.win.Resize(fyne.NewSize(660, 700))
	s.load(name)
	s.win.Show()
}

// configuredAccounts lists the Manager's accounts by name, leaving out the folders on this
// computer, which have no settings.
func (u *ui) configuredAccounts() []string {
	var names []string
	for _, a := range u.deps.Manager.Accounts() {
		if a.Sends() {
			names = append(names, a.Name)
		}
	}
	slices.Sort(names)
	return names
}

// relayout lays the window out again after parts were shown, hidden or replaced.
func (s *accountSettings) relayout() { s.win.Content().Refresh() }

// setStatus shows text above the buttons ("" hides it).
func (s *accountSettings) setStatus(text string, imp widget.Importance) {
	s.status.Importance = imp
	s.status.SetText(text)
	if text == "" {
		s.status.Hide()
	} else {
		s.status.Show()
	}
	s.relayout()
}

func (s *accountSettings) close() {
	s.check.Stop()
	s.win.Close()
	if s.u.accWin == s {
		s.u.accWin = nil
	}
}

// load shows an account's current settings.
func (s *accountSettings) load(name string) {
	acc, ok := s.u.deps.Manager.Account(name)
	if !ok {
		return
	}
	s.check.Clear()
	s.acc, s.password = acc, ""
	s.pick.Options = s.u.configuredAccounts()
	s.pick.SetSelected(name)
	s.nameE.SetText(acc.DisplayName)
	s.emailE.SetText(acc.Email)
	s.sigE.SetText(acc.Signature)
	s.sigAbove.SetChecked(acc.SignatureAbove)
	s.others.set(acc.Identities)
	s.junk.SetChecked(acc.JunkFilter)
	s.form.Set(acc)
	s.pop3.Set(acc.POP3)
	if !s.u.deps.Manager.KeepsMailOnServer(acc.Kind) {
		s.pop3Box.Show()
	} else {
		s.pop3Box.Hide()
	}
	s.setStatus("", widget.MediumImportance)
	s.showAuth()
	s.showPasswordState()
	s.relayout()
}

// showAuth shows how the account signs in: its password, or its OAuth2 sign-in with "Sign in
// again" and "Sign out".
func (s *accountSettings) showAuth() {
	if !s.acc.OAuth2() {
		s.authBox.Objects = []fyne.CanvasObject{heading(tr("Password")), container.NewBorder(nil, nil, nil,
			widget.NewButtonWithIcon(tr("Change password…"), theme.AccountIcon(), s.askPassword), s.pwStatus)}
		s.authBox.Refresh()
		return
	}
	provider := s.acc.Auth.Provider
	if p, ok := s.u.deps.Manager.OAuthProvider(s.acc); ok {
		provider = p.Name
	}
	name := s.acc.Name
	again := widget.NewButtonWithIcon(tr("Sign in again"), theme.LoginIcon(), func() { s.u.signInAgain(name) })
	out := widget.NewButtonWithIcon(tr("Sign out"), theme.LogoutIcon(), s.confirmSignOut)
	note := wrapped(tr("Signed in with {{.Provider}}; the sign-in is kept in the system keyring, or for this session when there is none.", map[string]any{"Provider": provider}))
	s.authBox.Objects = []fyne.CanvasObject{heading(tr("Sign-in")), container.NewBorder(nil, nil, nil, container.NewHBox(again, out), note)}
	s.authBox.Refresh()
}

// confirmSignOut ends the account's sign-in (revoked at the provider where it allows that); the
// account and its mail stay, waiting for "Sign in again".
func (s *accountSettings) confirmSignOut() {
	name := s.acc.Name
	dialog.ShowConfirm(tr("Sign out"), tr("Sign out of {{.Account}}? Its mail stays on this computer; Postbode stops receiving and sending for it until you sign in again.", map[string]any{"Account": name}), func(ok bool) {
		if !ok {
			return
		}
		s.u.tasks.spawn(func(ctx context.Context) {
			err := s.u.deps.Manager.SignOut(ctx, name)
			s.u.exec(func() {
				if err != nil {
					s.setStatus(tr("Signed out here, but the provider was not told: {{.Err}}", map[string]any{"Err": err.Error()}), widget.WarningImportance)
					return
				}
				s.setStatus(tr("Signed out. Choose Sign in again to use the account."), widget.SuccessImportance)
			})
		})
	}, s.win)
}

func (s *accountSettings) showPasswordState() {
	if s.password != "" {
		s.pwStatus.SetText(tr("A new password is saved together with the settings."))
		return
	}
	s.pwStatus.SetText(tr("Stored in the system keyring, or for this session when there is none."))
}

// askPassword asks for a new password; it is tested and saved with "Test and save".
func (s *accountSettings) askPassword() {
	pw := widget.NewPasswordEntry()
	remember := widget.NewCheck(tr("Remember password"), nil)
	remember.SetChecked(true)
	content := container.NewVBox(widget.NewForm(widget.NewFormItem(tr("New password"), pw)), remember)
	d := dialog.NewCustomConfirm(tr("Change password"), tr("Use this password"), tr("Cancel"), content, func(ok bool) {
		if ok && pw.Text != "" {
			s.password, s.remember = pw.Text, remember.Checked
			s.showPasswordState()
			s.setStatus(tr("Choose Test and save to check and keep the new password."), widget.MediumImportance)
		}
	}, s.win)
	d.Resize(fyne.NewSize(420, 220))
	d.Show()
	s.win.Canvas().Focus(pw)
}

// read returns the account as edited, or says what to correct.
func (s *accountSettings) read() (types.Account, error) {
	acc, err := s.form.Read(s.acc)
	if err != nil {
		return acc, err
	}
	acc.DisplayName = strings.TrimSpace(s.nameE.Text)
	acc.Email = strings.TrimSpace(s.emailE.Text)
	acc.Signature, acc.SignatureAbove = strings.TrimRight(s.sigE.Text, " \n"), s.sigAbove.Checked
	if !strings.Contains(acc.Email, "@") {
		return acc, errors.New(tr("Enter your whole e-mail address, such as you@example.org."))
	}
	if acc.Identities, err = s.others.read(); err != nil {
		return acc, err
	}
	acc.JunkFilter = s.junk.Checked
	if !s.u.deps.Manager.KeepsMailOnServer(acc.Kind) {
		acc.POP3 = s.pop3.Read()
	}
	return acc, nil
}

// testAndSave runs the connection test with the edited settings; they are saved when it passes.
func (s *accountSettings) testAndSave() {
	acc, err := s.read()
	if err != nil {
		s.setStatus(err.Error(), widget.DangerImportance)
		return
	}
	s.setStatus("", widget.MediumImportance)
	s.busy = true
	s.save.Disable()
	s.stop.Show()
	s.relayout()
	if s.password != "" {
		s.check.Run(acc, s.password)
		return
	}
	name := acc.Name
	s.u.tasks.spawn(func(ctx context.Context) {
		pw, err := s.u.deps.Manager.Secret(ctx, name) // a password, or an OAuth2 access token
		s.u.exec(func() {
			if s.acc.Name != name || !s.busy {
				return
			}
			switch {
			case err != nil && acc.OAuth2():
				s.tested(false)
				s.setStatus(tr("The sign-in has ended: sign in again."), widget.WarningImportance)
				return
			case err != nil:
				s.tested(false)
				s.setStatus(tr("No password is known for this account. Choose Change password… and enter it."), widget.WarningImportance)
				return
			}
			s.check.Run(acc, pw)
		})
	})
}

// tested saves the settings when the test passed.
func (s *accountSettings) tested(ok bool) {
	s.stop.Hide()
	defer s.relayout()
	if !ok {
		s.busy = false
		s.save.Enable()
		if acc, err := s.read(); err == nil {
			if p := s.check.Failure(acc); p != "" {
				s.setStatus(tr("Not saved: {{.Problem}} The box above says what to do.", map[string]any{"Problem": p}), widget.DangerImportance)
			}
		}
		return
	}
	acc, err := s.read()
	if err != nil {
		s.busy = false
		s.save.Enable()
		return
	}
	password, remember := s.password, s.remember
	s.u.tasks.spawn(func(ctx context.Context) {
		err := s.u.deps.Manager.UpdateAccount(ctx, acc)
		var warn error
		if err == nil && password != "" {
			if warn = s.u.deps.Manager.SetPassword(ctx, acc.Name, password, remember); warn != nil && !errors.Is(warn, accounts.ErrNoKeyring) {
				err, warn = warn, nil
			}
		}
		s.u.exec(func() {
			s.busy = false
			s.save.Enable()
			if err != nil {
				s.setStatus(tr("The settings could not be saved: {{.Err}}", map[string]any{"Err": err.Error()}), widget.DangerImportance)
				return
			}
			s.acc, s.password = acc, ""
			s.showPasswordState()
			s.setStatus(tr("Saved. Postbode reconnects with the new settings."), widget.SuccessImportance)
			if warn != nil {
				s.u.accountAdded(acc.Name, true)
			}
			s.relayout()
		})
	})
}

// confirmRemove asks whether to remove the account and whether to delete its local mail; deleting
// a POP3 account's mail, which exists nowhere else, takes a second confirmation.
func (s *accountSettings) confirmRemove() {
	acc := s.acc
	var keepText, deleteText string
	if !s.u.deps.Manager.KeepsMailOnServer(acc.Kind) {
		keepText = tr("Its downloaded mail stays on this computer and can still be read. It may exist nowhere else.")
		deleteText = tr("Also delete its downloaded mail from this computer")
	} else {
		keepText = tr("Its mail stays on the server. The copies on this computer stay readable until you delete them.")
		deleteText = tr("Also delete its mail from this computer (the server keeps it)")
	}
	del := widget.NewCheck(deleteText, nil)
	content := container.NewVBox(wrapped(keepText), del)
	d := dialog.NewCustomConfirm(tr("Remove the account {{.Name}}?", map[string]any{"Name": acc.Name}),
		tr("Remove account"), tr("Cancel"), content, func(ok bool) {
			if !ok {
				return
			}
			if del.Checked && !s.u.deps.Manager.KeepsMailOnServer(acc.Kind) {
				s.confirmDeletePOP3Mail(acc)
				return
			}
			s.remove(acc, del.Checked)
		}, s.win)
	d.Resize(fyne.NewSize(460, 240))
	d.Show()
}

func (s *accountSettings) confirmDeletePOP3Mail(acc types.Account) {
	text := wrapped(tr("The mail of {{.Name}} was downloaded with POP3: this computer may hold the only copy. Deleting it cannot be undone.", map[string]any{"Name": acc.Name}))
	d := dialog.NewCustomConfirm(tr("Delete the downloaded mail for good?"), tr("Delete mail for good"), tr("Keep the mail"), text, func(ok bool) {
		s.remove(acc, ok)
	}, s.win)
	d.Resize(fyne.NewSize(460, 220))
	d.Show()
}

func (s *accountSettings) remove(acc types.Account, deleteMail bool) {
	s.check.Stop()
	s.u.tasks.spawn(func(ctx context.Context) {
		err := s.u.deps.Manager.RemoveAccount(ctx, acc.Name, deleteMail)
		s.u.exec(func() {
			if err != nil {
				s.u.showError(acc.Name, err)
			}
			s.u.status.setState(types.ConnState{Account: acc.Name, State: types.StateOffline})
			s.u.folders.reload()
			if names := s.u.configuredAccounts(); len(names) > 0 {
				s.load(names[0])
				return
			}
			s.close()
		})
	})
}
