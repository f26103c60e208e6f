package ui

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
)

// identityList edits an account's other identities in Account settings: the addresses it also
// sends from. Changes are kept with the other settings by "Test and save".
type identityList struct {
	win      fyne.Window
	relayout func() // the window's layout after rows came or went
	items    []types.Identity
	rows     *fyne.Container
	box      *fyne.Container
}

func newIdentityList(win fyne.Window, relayout func()) *identityList {
	l := &identityList{win: win, relayout: relayout, rows: container.NewVBox()}
	add := widget.NewButtonWithIcon(tr("Add identity…"), theme.ContentAddIcon(), func() { l.edit(-1) })
	l.box = container.NewVBox(heading(tr("Other identities")),
		dimWrapped(tr("Other addresses this account sends from, such as an alias. A reply goes out from the address the message was sent to.")),
		l.rows, container.NewHBox(add))
	return l
}

func (l *identityList) view() fyne.CanvasObject { return l.box }

// set shows ids (a copy is edited).
func (l *identityList) set(ids []types.Identity) {
	l.items = slices.Clone(ids)
	l.rows.RemoveAll()
	for i, id := range l.items {
		edit := widget.NewButtonWithIcon(tr("Edit…"), theme.DocumentCreateIcon(), func() { l.edit(i) })
		remove := widget.NewButtonWithIcon(tr("Remove"), theme.DeleteIcon(), func() {
			l.set(slices.Delete(slices.Clone(l.items), i, i+1))
		})
		text := id.Address().String()
		if id.ReplyTo != "" {
			text += "  " + tr("(replies to {{.Address}})", map[string]any{"Address": id.ReplyTo})
		}
		label := widget.NewLabel(text)
		label.Truncation = fyne.TextTruncateEllipsis
		l.rows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(edit, remove), label))
	}
	l.relayout()
}

// edit asks for an identity's fields: the one at i, or a new one for i < 0.
func (l *identityList) edit(i int) {
	var id types.Identity
	if i >= 0 {
		id = l.items[i]
	}
	name, email, replyTo := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	name.SetText(id.Name)
	email.SetText(id.Email)
	email.SetPlaceHolder("you@example.org")
	replyTo.SetText(id.ReplyTo)
	replyTo.SetPlaceHolder(tr("Optional"))
	sig := widget.NewMultiLineEntry()
	sig.SetMinRowsVisible(3)
	sig.SetText(id.Signature)
	above := widget.NewCheck(tr("Put the signature above the quote in replies and forwards"), nil)
	above.SetChecked(id.SignatureAbove)
	form := widget.NewForm(
		widget.NewFormItem(tr("Your name"), name),
		widget.NewFormItem(tr("E-mail address"), email),
		widget.NewFormItem(tr("Reply-To"), replyTo),
		widget.NewFormItem(tr("Signature"), sig),
		widget.NewFormItem("", above))
	title := tr("Edit identity")
	if i < 0 {
		title = tr("Add identity")
	}
	d := dialog.NewCustomConfirm(title, tr("OK"), tr("Cancel"), form, func(ok bool) {
		if !ok {
			return
		}
		next := types.Identity{Name: strings.TrimSpace(name.Text), Email: strings.TrimSpace(email.Text),
			ReplyTo: strings.TrimSpace(replyTo.Text), Signature: strings.TrimRight(sig.Text, " \n"), SignatureAbove: above.Checked}
		items := slices.Clone(l.items)
		if i < 0 {
			items = append(items, next)
		} else {
			items[i] = next
		}
		l.set(items)
	}, l.win)
	d.Resize(fyne.NewSize(560, 420))
	d.Show()
	l.win.Canvas().Focus(email)
}

// read returns the identities, or says what to correct.
func (l *identityList) read() ([]types.Identity, error) {
	for _, id := range l.items {
		if !strings.Contains(id.Email, "@") {
			return nil, errors.New(tr("Enter the whole e-mail address of each identity, such as you@example.org."))
		}
		if id.ReplyTo != "" && !strings.Contains(id.ReplyTo, "@") {
			return nil, errors.New(tr("The Reply-To of {{.Address}} is not an e-mail address.", map[string]any{"Address": id.Email}))
		}
	}
	return slices.Clone(l.items), nil
}
