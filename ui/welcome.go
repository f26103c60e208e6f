package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// newWelcome is the window's content while there is no account.
func newWelcome(u *ui) fyne.CanvasObject {
	res := u.app.Icon()
	if len(u.deps.Icon) > 0 {
		res = fyne.NewStaticResource("postbode.png", u.deps.Icon)
	}
	if res == nil {
		res = theme.MailComposeIcon()
	}
	icon := canvas.NewImageFromResource(res)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(96))
	title := widget.NewLabelWithStyle(tr("Welcome to Postbode"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabel(tr("Postbode reads and writes mail from IMAP and POP3 accounts. Add your account to begin."))
	intro.Wrapping = fyne.TextWrapWord
	intro.Alignment = fyne.TextAlignCenter
	add := widget.NewButtonWithIcon(tr("Add an account"), theme.AccountIcon(), func() { u.showAddAccount() })
	add.Importance = widget.HighImportance
	buttons := container.NewHBox(add)
	if u.deps.StartDemo != nil {
		demo := widget.NewButtonWithIcon(tr("Try the demo"), theme.MediaPlayIcon(), func() { u.startDemo() })
		buttons.Add(demo)
	}
	box := container.NewVBox(container.NewCenter(icon), title, intro, container.NewCenter(buttons))
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(460, box.MinSize().Height+40), box))
}

// showAddAccount opens the account setup wizard.
func (u *ui) showAddAccount() { u.openWizard() }

func (u *ui) startDemo() {
	u.tasks.spawn(func(ctx context.Context) {
		err := u.deps.StartDemo(ctx)
		u.exec(func() {
			if err != nil {
				dialog.ShowError(err, u.win)
				return
			}
			u.folders.reload()
		})
	})
}
