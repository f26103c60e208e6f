package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/mailfmt"
)

// outboxView shows, in place of the message list and reader, the messages waiting to be sent
// and the ones that could not be, with why; each can be edited, sent now or deleted.
type outboxView struct {
	u     *ui
	items []outboxEntry
	rows  *fyne.Container
	empty *widget.Label
	box   fyne.CanvasObject
}

// outboxEntry is an outbox item as the view shows it.
type outboxEntry struct {
	localcache.OutboxItem
	to, subject string
}

func newOutboxView(u *ui) *outboxView {
	v := &outboxView{u: u, empty: widget.NewLabel(tr("No messages are waiting to be sent.")), rows: container.NewVBox()}
	title := widget.NewLabelWithStyle(tr("Outbox"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.box = container.NewBorder(container.NewVBox(title, dimWrapped(tr("Messages of every account that are waiting to be sent. Postbode tries again by itself; a message that was refused waits for you."))),
		nil, nil, nil, container.NewStack(container.NewVScroll(v.rows), container.NewCenter(v.empty)))
	return v
}

func (v *outboxView) view() fyne.CanvasObject { return v.box }

// reload reads the outbox again (after any change to it).
func (v *outboxView) reload() {
	v.u.tasks.reads.post("outbox", func(ctx context.Context) {
		items, err := v.u.deps.Cache.Outbox(ctx, "")
		entries := make([]outboxEntry, len(items))
		for i, it := range items {
			entries[i] = outboxEntry{OutboxItem: it, to: strings.Join(it.Recipients, ", ")}
			if env, perr := mailfmt.ParseEnvelope(it.Raw); perr == nil {
				entries[i].subject = env.Subject
			}
			entries[i].Raw = nil // not kept on screen
		}
		v.u.exec(func() {
			if v.u.outbox != v {
				return
			}
			if err != nil {
				v.u.showError("", err)
				return
			}
			v.items = entries
			v.rows.RemoveAll()
			for _, it := range entries {
				v.rows.Add(v.row(it))
			}
			v.empty.Hidden = len(entries) > 0
			v.empty.Refresh()
		})
	})
}

// status says where a message stands: waiting (until when), being sent, or refused and why.
func (v *outboxView) status(it outboxEntry) string {
	now := v.u.now()
	at := map[string]any{"Time": listDate(it.NextAttempt, now), "Reason": it.LastError}
	switch {
	case it.State == localcache.OutboxSending:
		return tr("Being sent now")
	case it.State == localcache.OutboxFailed:
		return tr("Not sent: {{.Reason}}", at)
	case it.LastError != "":
		return tr("Not sent yet, trying again at {{.Time}}: {{.Reason}}", at)
	case it.NextAttempt.After(now):
		return tr("Waiting to be sent at {{.Time}}", at)
	}
	return tr("Waiting to be sent")
}

// edit takes the message out of the outbox into a composer.
func (v *outboxView) edit(id int64) {
	v.u.tasks.writes.post("", func(ctx context.Context) {
		d, err := v.u.takeBack(ctx, id)
		v.u.exec(func() {
			if err != nil {
				v.u.showError("", err)
				return
			}
			v.u.openComposer(d)
		})
	})
}

func (v *outboxView) sendNow(id int64) {
	v.u.tasks.writes.post("", func(ctx context.Context) {
		if err := v.u.deps.Manager.SendNow(ctx, id); err != nil {
			v.u.exec(func() { v.u.showError("", err) })
		}
	})
}

// remove deletes the message without sending it, once the user confirms.
func (v *outboxView) remove(it outboxEntry) {
	dialog.ShowConfirm(tr("Delete message"), tr("Delete “{{.Subject}}” without sending it?", map[string]any{"Subject": it.subject}),
		func(ok bool) {
			if !ok {
				return
			}
			v.u.tasks.writes.post("", func(ctx context.Context) {
				if _, err := v.u.takeBack(ctx, it.ID); err != nil {
					v.u.exec(func() { v.u.showError("", err) })
				}
			})
		}, v.u.win)
}

// takeBack withdraws a message from the outbox as a draft, in words the user understands when it
// is too late.
func (u *ui) takeBack(ctx context.Context, id int64) (Draft, error) {
	d, err := u.deps.Sender.Unsend(ctx, id)
	if errors.Is(err, localcache.ErrOutboxSending) {
		return d, errors.New(tr("The message is already on its way and cannot be taken back."))
	}
	return d, err
}

// showOutbox puts the outbox in place of the message list and reader, or takes it away.
func (u *ui) showOutbox(on bool) {
	switch {
	case on && u.outbox == nil:
		u.outbox = newOutboxView(u)
		u.outerSplit.Trailing = u.outbox.view()
		u.outbox.reload()
	case !on && u.outbox != nil:
		u.outbox = nil
		u.outerSplit.Trailing = u.innerSplit
	default:
		return
	}
	u.outerSplit.Refresh()
}

// row draws one message: recipients and subject, where it stands, and what can be done with it
// (nothing while it is being handed to the server).
func (v *outboxView) row(it outboxEntry) fyne.CanvasObject {
	subject := it.subject
	if subject == "" {
		subject = tr("(no subject)")
	}
	title := widget.NewLabelWithStyle(tr("To {{.To}}: {{.Subject}}", map[string]any{"To": it.to, "Subject": subject}),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	status := widget.NewLabel(v.status(it))
	status.Wrapping = fyne.TextWrapWord
	if it.State == localcache.OutboxFailed {
		status.Importance = widget.DangerImportance
	}
	buttons := []fyne.CanvasObject{
		widget.NewButtonWithIcon(tr("Edit"), theme.DocumentCreateIcon(), func() { v.edit(it.ID) }),
		widget.NewButtonWithIcon(tr("Send now"), theme.MailSendIcon(), func() { v.sendNow(it.ID) }),
		widget.NewButtonWithIcon(tr("Delete"), theme.DeleteIcon(), func() { v.remove(it) }),
	}
	if it.State == localcache.OutboxSending {
		for _, b := range buttons {
			b.(*widget.Button).Disable()
		}
	}
	return container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(buttons...), title), status, widget.NewSeparator())
}
