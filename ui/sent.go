package ui

import (
	"time"

	"postbode/types"
)

// sentBannerTime is how long "Message sent" stays in the main window (shorter in tests).
var sentBannerTime = 5 * time.Second

// showSent tells that a message left the outbox, in a banner that goes away by itself. Until this
// arrives the message waits in the outbox; a failure arrives as an Error banner instead.
func (u *ui) showSent(e types.Sent) {
	text := tr("Message sent")
	if s := oneLine(e.Subject); s != "" {
		text = tr("Message sent: {{.Subject}}", map[string]any{"Subject": s})
	}
	u.banners.flash(bannerSuccess, e.Account, text, sentBannerTime)
}
