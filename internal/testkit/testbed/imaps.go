package testbed

import (
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAPSClientT logs user in over implicit TLS, trusting only the test bed's CA: a plain go-imap
// session for a test to look at (or change) the server's side. h receives unsolicited data and
// may be nil. The session is closed in t.Cleanup.
func (d *Dovecot) IMAPSClientT(t testing.TB, user string, h *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(d.IMAPSAddr(), &imapclient.Options{
		TLSConfig:             d.TLSConfig(),
		UnilateralDataHandler: h,
		Dialer:                &net.Dialer{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatalf("dial IMAPS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, d.Password(user)).Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}
