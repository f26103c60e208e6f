package ui

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// copyAccountDialog asks which account to copy all mail of from into (IMAP accounts first: that
// is how POP3 mail reaches the server) and then copies it with a progress bar.
func (u *ui) copyAccountDialog(parent fyne.Window, from string) {
	var targets []string
	for _, a := range u.deps.Manager.Accounts() {
		if a.Name != from {
			targets = append(targets, a.Name)
		}
	}
	if len(targets) == 0 {
		dialog.ShowInformation(tr("Copy all mail"), tr("Add the account to copy the mail into first (File, Add account…)."), parent)
		return
	}
	onServer := func(name string) bool {
		a, _ := u.deps.Manager.Account(name)
		return u.deps.Manager.KeepsMailOnServer(a.Kind)
	}
	slices.SortStableFunc(targets, func(a, b string) int {
		switch {
		case onServer(a) == onServer(b):
			return 0
		case onServer(a):
			return -1
		}
		return 1
	})
	pick := widget.NewSelect(targets, nil)
	pick.SetSelected(targets[0])
	data := map[string]any{"Account": from}
	text := wrapped(tr("Every folder of {{.Account}} is copied into the account you choose: Sent and Drafts into its own, other folders by name. Mail that account holds already is skipped, and nothing of {{.Account}} changes. Into an IMAP account the mail goes to its server, and so to every device.", data))
	d := dialog.NewCustomConfirm(tr("Copy all mail"), tr("Copy"), tr("Cancel"),
		container.NewVBox(text, widget.NewForm(widget.NewFormItem(tr("Copy into"), pick))), func(ok bool) {
			if ok && pick.Selected != "" {
				u.runCopyAccount(parent, from, pick.Selected)
			}
		}, parent)
	d.Resize(fyne.NewSize(480, d.MinSize().Height))
	d.Show()
}

// runCopyAccount copies with a progress bar; Stop ends it (what is copied stays, and running it
// again goes on where it stopped).
func (u *ui) runCopyAccount(parent fyne.Window, from, to string) {
	bar := widget.NewProgressBar()
	label := widget.NewLabel(tr("Looking at what {{.Account}} holds already…", map[string]any{"Account": to}))
	ctx, cancel := context.WithCancel(u.ctx)
	d := dialog.NewCustom(tr("Copying mail"), tr("Stop"), container.NewVBox(label, bar), parent)
	d.SetOnClosed(cancel)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	shown := 0
	u.tasks.spawn(func(context.Context) {
		res, err := u.deps.Manager.CopyAccount(ctx, from, to, func(done, total int) {
			if done-shown < 25 && done != total { // a redraw per message is more than the eye needs
				return
			}
			shown = done
			u.exec(func() {
				bar.Max = float64(total)
				bar.SetValue(float64(done))
				label.SetText(tr("{{.Done}} of {{.Total}} messages", map[string]any{"Done": formatCount(done), "Total": formatCount(total)}))
			})
		})
		u.exec(func() {
			d.Hide()
			if err != nil {
				dialog.ShowError(err, parent)
				return
			}
			dialog.ShowInformation(tr("Copying mail"), tr("{{.Copied}} messages copied into {{.Account}}; {{.Skipped}} were there already.",
				map[string]any{"Copied": formatCount(res.Copied), "Skipped": formatCount(res.Skipped), "Account": to}), parent)
		})
	})
}
