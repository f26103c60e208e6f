package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
)

// messageWindow is a message open in a window of its own.
type messageWindow struct {
	r                        *reader
	reply, replyAll, forward *widget.Button
	del                      *widget.Button
}

// openMessageWindow shows a message in a window of its own (Enter, or "Open in new window"), with
// reply, forward and delete at hand. It follows the message: marked read after the same delay as
// in the pane, refreshed when its body arrives, closed when it is deleted from the window or
// expunged.
func (u *ui) openMessageWindow(id int64) {
	if id == 0 {
		return
	}
	w := u.app.NewWindow(tr("Message"))
	r := newReader(u)
	r.win = w
	mw := &messageWindow{r: r}
	btn := func(label string, icon fyne.Resource, fn func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, fn)
		b.Importance = widget.LowImportance
		return b
	}
	mw.reply = btn(tr("Reply"), theme.MailReplyIcon(), func() { u.replyTo(r, false) })
	mw.replyAll = btn(tr("Reply all"), theme.MailReplyAllIcon(), func() { u.replyTo(r, true) })
	mw.forward = btn(tr("Forward"), theme.MailForwardIcon(), func() { u.forwardFrom(r) })
	mw.del = btn(tr("Delete"), theme.DeleteIcon(), func() {
		if r.id != 0 {
			u.do(accounts.Delete{IDs: []int64{r.id}})
		}
		w.Close()
	})
	bar := container.NewHBox(mw.reply, mw.replyAll, mw.forward, newToolbarSep(), mw.del)
	w.SetContent(container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, r.view()))
	w.Resize(fyne.NewSize(760, 640))
	u.popouts = append(u.popouts, mw)
	w.SetOnClosed(func() {
		r.stopTimer()
		for i, p := range u.popouts {
			if p == mw {
				u.popouts = append(u.popouts[:i], u.popouts[i+1:]...)
				break
			}
		}
	})
	r.show(id)
	w.Show()
}
