package ui

import (
	"time"

	"postbode/types"
)

// defaultSentBannerTime is how long "Message sent" stays unless Deps.NoticeTime says otherwise.
const defaultSentBannerTime = 5 * time.Second

// noticeTime is how long a notice that goes away by itself stays: Deps.NoticeTime, or def.
func (u *ui) noticeTime(def time.Duration) time.Duration {
	if u.deps.NoticeTime != 0 {
		return u.deps.NoticeTime
	}
	return def
}

// showSent tells that a message left the outbox, in a banner that goes away by itself. Until this
// arrives the message waits in the outbox; a failure arrives as an Error banner instead.
func (u *ui) showSent(e types.Sent) {
	text := tr("Message sent")
	if s := oneLine(e.Subject); s != "" {
		text = tr("Message sent: {{.Subject}}", map[string]any{"Subject": s})
	}
	u.banners.flash(bannerSuccess, e.Account, text, u.noticeTime(defaultSentBannerTime))
}
