package ui

import (
	"context"
	"errors"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// undoTime is how long the Undo notice stays; Ctrl+Z takes back the last change while it does.
const undoTime = 10 * time.Second

// undoable is the last change that can be taken back, and its notice.
type undoable struct {
	back   func(context.Context) error
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
				u.offerUndo(done, back.Run, u.noticeTime(undoTime))
			}
		})
	})
}

// offerUndo shows done with an Undo button for as long as back can take the change back.
func (u *ui) offerUndo(done string, back func(context.Context) error, d time.Duration) {
	if u.undo != nil && u.undo.notice != nil {
		u.banners.dismiss(u.undo.notice)
	}
	it := &undoable{back: back}
	it.notice = u.banners.flashBanner(&banner{kind: bannerSuccess, text: done, count: 1,
		action: &bannerAction{label: tr("Undo"), run: func() { u.runUndo(it) }}}, d)
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
		if err := it.back(ctx); err != nil {
			u.exec(func() { u.showError("", err) })
		}
	})
}

// offerUnsend offers, while a sent message waits in the outbox, to take it back into a composer.
func (u *ui) offerUnsend(id int64, hold time.Duration) {
	u.offerUndo(tr("Sending…"), func(ctx context.Context) error {
		d, err := u.deps.Sender.Unsend(ctx, id)
		if errors.Is(err, localcache.ErrOutboxSending) {
			return errors.New(tr("The message is already on its way and cannot be taken back."))
		}
		if err != nil {
			return err
		}
		u.exec(func() { u.openComposer(d) })
		return nil
	}, u.noticeTime(hold))
}
