package ui

import (
	"time"

	"postbode/types"
)

// defaultSentBannerTime is how long "Message sent" stays unless Deps.SentBannerTime says otherwise.
const defaultSentBannerTime = 5 * time.Second

// showSent tells that a message left the outbox, in a banner that goes away by itself. Until this
// arrives the message waits in the outbox; a failure arrives as an Error banner instead.
func (u *ui) showSent(e types.Sent) {
	text := tr("Message sent")
	if s := oneLine(e.Subject); s != "" {
		text = tr("Message sent: {{.Subject}}", map[string]any{"Subject": s})
	}
	d := u.deps.SentBannerTime
	if d == 0 {
		d = defaultSentBannerTime
	}
	u.banners.flash(bannerSuccess, e.Account, text, d)
}
