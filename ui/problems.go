package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/accounts/oauth"
	"postbode/types"
)

// problem is what the status line and the banners say about an engine's error: one translated
// sentence, what to do about it, and the full technical text one click away.
type problem struct {
	kind     types.Problem
	sentence string // what went wrong, in one line
	advice   string // what the user can do
	detail   string // the error's whole text, as the engine reported it (already redacted)
}

// describeProblem sorts err into the failure taxonomy and words it for the account whose server
// is host.
func describeProblem(err error, host string) problem {
	p := problem{kind: accounts.Diagnose(err)}
	if err != nil {
		p.detail = err.Error()
	}
	data := map[string]any{"Host": host}
	if host == "" {
		data["Host"] = tr("the server")
	}
	switch p.kind {
	case types.ProblemAuth:
		p.sentence = tr("The server refused the user name or password.")
		p.advice = tr("Enter the password again under Account settings. Some providers need an app password for mail programs.")
	case types.ProblemOAuth:
		p.sentence = tr("{{.Host}} does not accept passwords from mail programs.", data)
		p.advice = tr("Your provider requires signing in through its web page (OAuth2), or an app password.")
	case types.ProblemSignIn:
		p.sentence = tr("The sign-in has ended: sign in again.")
		p.advice = tr("Your provider no longer accepts Postbode's sign-in for this account, for example after a password change or when access was removed. Sign in again to go on; nothing is lost.")
	case types.ProblemKindChanged:
		p.sentence = tr("This account's kind was changed outside Postbode; it was not applied.")
		p.advice = tr("The mail kept on this computer stays readable. Change the kind back in accounts.json, or add the new kind of account under another name and move the mail to it with Move to….")
	case types.ProblemCertificate:
		p.sentence = tr("The certificate of {{.Host}} is not trusted.", data)
		p.advice = tr("Postbode did not log in. If you expect a new certificate, check it under Account settings.")
	case types.ProblemNoEncryption:
		p.sentence = tr("{{.Host}} did not offer encryption.", data)
		p.advice = tr("Postbode did not send your password. Ask your provider, or choose SSL/TLS under Account settings.")
	case types.ProblemUnknownHost:
		p.sentence = tr("The server {{.Host}} was not found.", data)
		p.advice = tr("Check that this computer is online and the server name under Account settings.")
	case types.ProblemUnreachable:
		p.sentence = tr("Cannot connect to {{.Host}}.", data)
		p.advice = tr("The server may be down, or this computer offline. Postbode tries again by itself; Retry tries now.")
	case types.ProblemTimeout:
		p.sentence = tr("{{.Host}} did not answer in time.", data)
		p.advice = tr("The connection is slow or the server is busy. Postbode tries again by itself; Retry tries now.")
	case types.ProblemLost:
		p.sentence = tr("The connection to {{.Host}} was lost.", data)
		p.advice = tr("Postbode reconnects by itself; Retry tries now.")
	case types.ProblemDiskFull:
		p.sentence = tr("The disk is full: new mail cannot be stored.")
		p.advice = tr("Make room on this computer's disk; nothing already stored is lost.")
	case types.ProblemSecurity:
		p.sentence = tr("No secure connection to {{.Host}} could be made.", data)
		p.advice = tr("Postbode did not send your password. The server may not offer SSL/TLS on this port: check the port and security under Account settings.")
	case types.ProblemRecipient:
		p.sentence = tr("The server refused a recipient.")
		p.advice = tr("Check the addresses; the details below name the one refused. The message waits in the outbox.")
	case types.ProblemTooLarge:
		p.sentence = tr("The message is too large for the server.")
		p.advice = tr("Remove or shrink attachments and send it again.")
	case types.ProblemRefused:
		p.sentence = tr("The server refused the message.")
		p.advice = tr("The details below give the server's reason.")
	case types.ProblemBusy:
		p.sentence = tr("The server is busy; Postbode tries again later.")
		p.advice = tr("Nothing is lost: the message waits in the outbox.")
	case types.ProblemCanceled:
		p.sentence = tr("Stopped.")
	default:
		p.sentence = tr("Something went wrong with {{.Host}}.", data)
		p.advice = tr("The details below say what the server or this computer reported.")
	}
	return p
}

// needsSettings tells whether the fix is in the account's settings rather than in trying again.
func (p problem) needsSettings() bool {
	switch p.kind {
	case types.ProblemAuth, types.ProblemOAuth, types.ProblemCertificate, types.ProblemNoEncryption,
		types.ProblemUnknownHost:
		return true
	}
	return false
}

// accountProblem describes an error of an account's engine, naming its incoming server.
func (u *ui) accountProblem(account string, err error) problem {
	host := ""
	if acc, ok := u.deps.Manager.Account(account); ok {
		host = acc.Incoming.Host
	}
	return describeProblem(err, host)
}

// showProblemDetails shows the whole story of an error: the sentence, the advice and the text the
// engine reported, selectable and with a Copy button for a bug report or a help desk.
func (u *ui) showProblemDetails(account string, p problem) {
	title := tr("Problem")
	if account != "" {
		title = tr("Problem with {{.Account}}", map[string]any{"Account": account})
	}
	detail := widget.NewLabel(p.detail)
	detail.Wrapping = fyne.TextWrapBreak
	detail.Selectable = true
	copyButton := widget.NewButtonWithIcon(tr("Copy"), theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(p.detail)
	})
	copyButton.Importance = widget.LowImportance
	items := []fyne.CanvasObject{heading(p.sentence)}
	if p.advice != "" {
		items = append(items, wrapped(p.advice))
	}
	items = append(items, widget.NewSeparator(), dimWrapped(tr("What was reported:")), detail,
		container.NewHBox(copyButton))
	d := dialog.NewCustom(title, tr("Close"), container.NewVBox(items...), u.win)
	if account != "" && p.needsSettings() {
		d.SetButtons([]fyne.CanvasObject{
			widget.NewButton(tr("Close"), d.Hide),
			widget.NewButtonWithIcon(tr("Account settings…"), theme.SettingsIcon(), func() {
				d.Hide()
				u.openAccountSettings(account)
			}),
		})
	}
	d.Resize(fyne.NewSize(min(560, u.win.Canvas().Size().Width-40), d.MinSize().Height))
	d.Show()
}

// fixButton is the one action that mends an account's problem where trying again cannot: "Sign in
// again" for an OAuth2 sign-in that ended, else Retry. done runs after it was pressed.
func (u *ui) fixButton(account string, p problem, done func()) *widget.Button {
	if p.kind == types.ProblemSignIn {
		return widget.NewButtonWithIcon(tr("Sign in again"), theme.LoginIcon(), func() {
			u.signInAgain(account)
			done()
		})
	}
	return widget.NewButtonWithIcon(tr("Retry"), theme.ViewRefreshIcon(), func() {
		u.do(types.CheckNow{Account: account})
		done()
	})
}

// signInAgain opens the provider's sign-in page for an OAuth2 account whose sign-in ended and
// restarts the account once the browser comes back.
func (u *ui) signInAgain(account string) {
	u.banners.add(bannerNotice, account, tr("Finish signing in in your browser; Postbode waits for it."))
	u.tasks.spawn(func(ctx context.Context) {
		err := u.deps.Manager.SignInAgain(ctx, account, u.openSignIn, true)
		u.exec(func() {
			if err != nil {
				u.banners.addProblem(account, describeSignInError(err))
				return
			}
			u.banners.add(bannerSuccess, account, tr("Signed in again."))
		})
	})
}

// openSignIn shows a provider's sign-in page in the system browser (called from a task).
func (u *ui) openSignIn(address string) error {
	link, err := url.Parse(address)
	if err != nil {
		return fmt.Errorf("sign-in address: %w", err)
	}
	return u.app.OpenURL(link)
}

// describeSignInError words a failed browser sign-in.
func describeSignInError(err error) problem {
	p := problem{kind: types.ProblemSignIn, detail: err.Error()}
	switch {
	case errors.Is(err, oauth.ErrCancelled):
		p.sentence = tr("The sign-in was cancelled.")
	case errors.Is(err, oauth.ErrTimedOut):
		p.sentence = tr("The browser did not come back in time.")
		p.advice = tr("Finish signing in within five minutes of opening the page.")
	case errors.Is(err, oauth.ErrNotConfigured):
		p.sentence = tr("This copy of Postbode cannot sign in with this provider.")
		p.advice = tr("It was built without a client ID for the provider. The README explains how to add one.")
	default:
		p.sentence = tr("The sign-in did not work.")
		p.advice = tr("The details below say what the provider or this computer reported.")
	}
	return p
}
