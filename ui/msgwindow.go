package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/types"
)

// messageWindow is a message open in a window of its own.
type messageWindow struct {
	r                        *reader
	reply, replyAll, forward *tipButton
	unread, flag, move, del  *tipButton
}

// openMessageWindow shows a message in a window of its own (Enter, or "Open in new window"), with
// reply, forward and delete at hand. It follows the message: marked read after the same delay as
// in the pane, refreshed when its body arrives, closed when it is deleted from the window or
// expunged.
func (u *ui) openMessageWindow(id int64) {
	if id == 0 {
		return
	}
	if u.inDrafts(id) {
		u.editDraft(id) // a draft opens to be written on
		return
	}
	w := u.app.NewWindow(tr("Message"))
	r := newReader(u.svc, readerHooks{openLink: u.openLink})
	r.win = w
	mw := &messageWindow{r: r}
	tips := newTipLayer()
	r.tips = tips
	btn := func(label string, icon fyne.Resource, fn func()) *tipButton {
		b := newTipButton(tips, label, label, icon, fn)
		b.Importance = widget.LowImportance
		return b
	}
	mw.reply = btn(tr("Reply"), theme.MailReplyIcon(), func() { u.replyTo(r, false) })
	mw.replyAll = btn(tr("Reply all"), theme.MailReplyAllIcon(), func() { u.replyTo(r, true) })
	mw.forward = btn(tr("Forward"), theme.MailForwardIcon(), func() { u.forwardFrom(r) })
	mw.unread = btn(tr("Mark as unread"), iconMailUnread, func() {
		if r.id != 0 {
			r.stopTimer() // else the read timer would mark it read again
			u.do(types.MarkRead{IDs: []int64{r.id}, Read: false})
		}
	})
	mw.flag = btn(tr("Flag / unflag"), iconStarOutline, func() {
		if r.id != 0 {
			u.do(types.SetFlag{IDs: []int64{r.id}, Flag: localcache.FlagFlagged, On: !r.msg.Flags.Has(localcache.FlagFlagged)})
		}
	})
	mw.move = btn(tr("Move to…"), iconMoveTo, func() {
		if id, account := r.id, r.msg.Account; id != 0 {
			u.pickFolder(w, account, false, func(f localcache.Folder) { u.do(types.Move{IDs: []int64{id}, To: f.ID}) })
		}
	})
	mw.del = btn(tr("Delete"), theme.DeleteIcon(), func() {
		if r.id != 0 {
			u.do(types.Delete{IDs: []int64{r.id}})
		}
		w.Close()
	})
	bar := container.NewHBox(mw.reply, mw.replyAll, mw.forward, newToolbarSep(), mw.unread, mw.flag, mw.move,
		newToolbarSep(), mw.del)
	mw.installShortcuts(u, w)
	w.SetContent(tips.over(container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, r.view())))
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

// installShortcuts gives the window the main window's keys for one message: Esc and Ctrl+W close
// it, Ctrl+R, Ctrl+Shift+R, Ctrl+L and Ctrl+Shift+L reply, reply to all, forward and forward as
// an attachment, Delete deletes.
func (mw *messageWindow) installShortcuts(u *ui, w fyne.Window) {
	c := w.Canvas()
	ctrl := fyne.KeyModifierShortcutDefault
	add := func(k fyne.KeyName, m fyne.KeyModifier, fn func()) {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: m}, func(fyne.Shortcut) { fn() })
	}
	add(fyne.KeyW, ctrl, w.Close)
	add(fyne.KeyR, ctrl, mw.reply.OnTapped)
	add(fyne.KeyR, ctrl|fyne.KeyModifierShift, mw.replyAll.OnTapped)
	add(fyne.KeyL, ctrl, mw.forward.OnTapped)
	add(fyne.KeyL, ctrl|fyne.KeyModifierShift, func() { u.forwardAttachedFrom(mw.r) })
	add(fyne.KeyU, ctrl, func() { u.showSource(mw.r) })
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyEscape:
			w.Close()
		case fyne.KeyDelete:
			mw.del.OnTapped()
		}
	})
}
