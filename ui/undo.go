package ui

import (
	"context"
	"time"

	"postbode/accounts"
	"postbode/types"
)

// undoTime is how long the Undo notice stays; Ctrl+Z takes back the last change while it does.
const undoTime = 10 * time.Second

// undoable is the last change that can be taken back, and its notice.
type undoable struct {
	back   accounts.Undo
	notice *banner
}

// doUndoable makes a change and offers to take it back: it asks the Manager how (before the
// change), makes it, and shows done with an Undo button for a while.
func (u *ui) doUndoable(req types.Request, done string) {
	u.tasks.writes.post("", func(ctx context.Context) {
		back, err := u.deps.Manager.DoUndoable(ctx, req)
		u.exec(func() {
			if err != nil {
				u.showError("", err)
				return
			}
			if back.Possible() {
				u.offerUndo(done, back)
			}
		})
	})
}

func (u *ui) offerUndo(done string, back accounts.Undo) {
	if u.undo != nil && u.undo.notice != nil {
		u.banners.dismiss(u.undo.notice)
	}
	it := &undoable{back: back}
	it.notice = u.banners.flashBanner(&banner{kind: bannerSuccess, text: done, count: 1,
		action: &bannerAction{label: tr("Undo"), run: func() { u.runUndo(it) }}}, u.noticeTime(undoTime))
	u.undo = it
}

// undoLast takes back the last change while its notice is shown (Ctrl+Z).
func (u *ui) undoLast() {
	if it := u.undo; it != nil && it.notice != nil && u.banners.showing(it.notice) {
		u.banners.dismiss(it.notice)
		u.runUndo(it)
	}
}

func (u *ui) runUndo(it *undoable) {
	if u.undo == it {
		u.undo = nil
	}
	u.tasks.writes.post("", func(ctx context.Context) {
		if err := it.back.Run(ctx); err != nil {
			u.exec(func() { u.showError("", err) })
		}
	})
}
