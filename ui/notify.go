package ui

import (
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"postbode/accounts"
	"postbode/localcache"
)

// notifyNewMail sends one desktop notification per batch: the sender and subject of a single new
// message, or a summary when several arrived.
func (u *ui) notifyNewMail(events []accounts.NewMail) {
	var msgs []localcache.Message
	for _, e := range events {
		for _, m := range e.Messages {
			if !m.Flags.Has(localcache.FlagSeen) {
				msgs = append(msgs, m)
			}
		}
	}
	if n := newMailNotification(msgs); n != nil {
		u.app.SendNotification(n)
	}
}

func newMailNotification(msgs []localcache.Message) *fyne.Notification {
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		m := msgs[0]
		return fyne.NewNotification(senderName(m, false), subjectText(m, false))
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if n := senderName(m, false); !seen[n] && len(names) < 3 {
			seen[n] = true
			names = append(names, n)
		}
	}
	from := strings.Join(names, ", ")
	if len(seen) < len(msgs) || len(names) == 3 {
		from = tr("From {{.Names}} and others", map[string]any{"Names": from})
	} else {
		from = tr("From {{.Names}}", map[string]any{"Names": from})
	}
	return fyne.NewNotification(trN("{{.Count}} new messages", len(msgs)), from)
}

// openLink follows a link the user clicked in a message: mailto opens the composer, web links go
// to the browser.
func (u *ui) openLink(link *url.URL) {
	if strings.EqualFold(link.Scheme, "mailto") {
		u.openMailto(link.String()) // the same RFC 6068 reading as a mailto: link from the desktop
		return
	}
	if err := u.app.OpenURL(link); err != nil {
		dialog.ShowError(err, u.win)
	}
}
