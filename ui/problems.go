package ui

import (
	"context"
	"fmt"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
	"postbode/ui/uikit"
)

// problem is what the status line and the banners say about an engine's error (uikit.Problem).
type problem = uikit.Problem

// describeProblem sorts err into the failure taxonomy and words it for the account whose server
// is host (the wording is shared with the account wizard).
func describeProblem(err error, host string) problem { return uikit.DescribeProblem(err, host) }

// describeSignInError words a failed browser sign-in.
func describeSignInError(err error) problem { return uikit.DescribeSignInError(err) }

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
	detail := widget.NewLabel(p.Detail)
	detail.Wrapping = fyne.TextWrapBreak
	detail.Selectable = true
	copyButton := widget.NewButtonWithIcon(tr("Copy"), theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(p.Detail)
	})
	copyButton.Importance = widget.LowImportance
	items := []fyne.CanvasObject{heading(p.Sentence)}
	if p.Advice != "" {
		items = append(items, wrapped(p.Advice))
	}
	items = append(items, widget.NewSeparator(), dimWrapped(tr("What was reported:")), detail,
		container.NewHBox(copyButton))
	d := dialog.NewCustom(title, tr("Close"), container.NewVBox(items...), u.win)
	if account != "" && p.NeedsSettings() {
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
	if p.Kind == types.ProblemSignIn {
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
