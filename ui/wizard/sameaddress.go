package wizard

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
	"postbode/ui/uikit"
)

// existingFor is the account the profile has for an address already, preferring one of the given
// kind.
func (w *Wizard) existingFor(email string, kind types.Protocol) (types.Account, bool) {
	var found types.Account
	ok := false
	for _, a := range w.d.Manager.Accounts() {
		if !strings.EqualFold(strings.TrimSpace(a.Email), strings.TrimSpace(email)) {
			continue
		}
		if a.Kind == kind {
			return a, true
		}
		if !ok {
			found, ok = a, true
		}
	}
	return found, ok
}

// sameAddress handles an address the profile has an account for already, before anything is
// tested: the same kind of account is not added twice, and a POP3 account's address set up again
// as IMAP offers to move the POP3 mail instead. It reports whether it took over from the caller.
func (w *Wizard) sameAddress(acc types.Account) bool {
	old, ok := w.existingFor(acc.Email, acc.Kind)
	if !ok || old.Name == w.addAnyway {
		return false
	}
	data := map[string]any{"Address": acc.Email, "Name": old.Name, "Kind": strings.ToUpper(string(old.Kind))}
	switch {
	case old.Kind == acc.Kind:
		w.setNotice(tr("{{.Address}} is already set up as the {{.Kind}} account “{{.Name}}”, so it is not added again. Its settings are under Account settings.", data), widget.DangerImportance)
		return true
	case !w.d.Manager.KeepsMailOnServer(old.Kind) && w.d.Manager.KeepsMailOnServer(acc.Kind):
		w.showMoveOffer(old, acc)
		return true
	}
	return false
}

// showMoveOffer says that the address has a POP3 account and offers to move its mail to IMAP, or
// to add the new account next to it after all.
func (w *Wizard) showMoveOffer(pop, acc types.Account) {
	w.stopDiscovery()
	w.check.Stop()
	w.setAccount(acc) // Back and Add it anyway go on with these settings
	data := map[string]any{"Address": acc.Email, "Name": pop.Name, "Kind": strings.ToUpper(string(acc.Kind))}
	title := widget.NewLabelWithStyle(tr("{{.Address}} has a POP3 account already", data), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what := uikit.Wrapped(tr("Postbode downloads the mail of {{.Address}} with POP3, as the account “{{.Name}}”: it is kept on this computer only.", data))
	move := uikit.Wrapped(tr("Move my POP3 mail to IMAP keeps that mail on the server instead, where every device you use sees it, and the new account takes the place of “{{.Name}}”.", data))
	anyway := uikit.DimWrapped(tr("Add it anyway sets up the {{.Kind}} account next to “{{.Name}}”: both then receive the same new mail.", data))
	back := w.showIdentity
	if len(w.results) > 0 && w.page == pageType {
		back = w.showType
	} else if w.page == pageManual {
		back = func() { w.showManual("") }
	}
	w.show(pageMove, tr("This address has an account already"), stepText(2),
		container.NewVBox(warningBox(title, what), move, anyway),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, back),
		w.button(tr("Add it anyway"), nil, widget.MediumImportance, func() {
			w.addAnyway = pop.Name
			w.showTest()
		}),
		w.button(tr("Move my POP3 mail to IMAP"), theme.MailForwardIcon(), widget.HighImportance, func() {
			w.close()
			w.d.OnMoveToIMAP(pop.Name)
		}))
}
