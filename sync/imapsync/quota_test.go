package imapsync

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"postbode/types"
)

// Quota from servers that answer GETQUOTAROOT in other ways than Dovecot (tested in accounts):
// a NO is no quota known, not an error; several roots give the one with a storage limit; a root
// with only a message limit gives none; a server without QUOTA is not asked.
func TestQuotaAnswers(t *testing.T) {
	for _, c := range []struct {
		name, caps string
		answer     []string // untagged lines before the tagged OK; nil: the server answers NO
		want       types.Quota
		ok         bool
	}{
		{name: "refused", caps: "IMAP4rev1 QUOTA"},
		{name: "two roots", caps: "IMAP4rev1 QUOTA", answer: []string{
			`* QUOTAROOT INBOX "" "shared"`, `* QUOTA "" (MESSAGE 10 5000)`, `* QUOTA "shared" (STORAGE 512 2048)`},
			want: types.Quota{Used: 512 << 10, Limit: 2 << 20}, ok: true},
		{name: "messages only", caps: "IMAP4rev1 QUOTA", answer: []string{`* QUOTAROOT INBOX ""`, `* QUOTA "" (MESSAGE 10 5000)`}},
		{name: "no root", caps: "IMAP4rev1 QUOTA", answer: []string{`* QUOTAROOT INBOX`}},
		{name: "no QUOTA", caps: "IMAP4rev1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var asked atomic.Bool // set by the server's goroutine
			f := startScripted(t, c.caps, func(s *fakeSession, tag, cmd string) bool {
				if !strings.HasPrefix(strings.ToUpper(cmd), "GETQUOTAROOT") {
					return s.send(tag + " BAD unexpected")
				}
				asked.Store(true)
				if c.answer == nil {
					return s.send(tag + " NO [NOPERM] not for you")
				}
				return s.send(append(c.answer, tag+" OK done")...)
			})
			e, _, _ := scriptedHarness(t, f)
			q, ok, err := e.Quota(context.Background())
			if err != nil || ok != c.ok || q != c.want {
				t.Errorf("Quota = %+v, %v, %v; want %+v, %v", q, ok, err, c.want, c.ok)
			}
			if asked.Load() != strings.Contains(c.caps, "QUOTA") {
				t.Errorf("asked %v with capabilities %q", asked.Load(), c.caps)
			}
		})
	}
}
