package testbed

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
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

// Held is one message of a mailbox as the server holds it.
type Held struct {
	UID    uint32
	SHA256 string // of its bytes (hex); "" when they were not asked for
	Flags  []imap.Flag
}

// Has reports whether the message has the flag.
func (h Held) Has(f imap.Flag) bool { return slices.Contains(h.Flags, f) }

// MailboxT is every message of a user's mailbox, read without changing it (no \Seen set), with
// the SHA-256 of each one's bytes when bodies is set.
func (d *Dovecot) MailboxT(t testing.TB, user, mailbox string, bodies bool) []Held {
	t.Helper()
	c := d.IMAPSClientT(t, user, nil)
	defer c.Logout()
	data, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s of %s: %v", mailbox, user, err)
	}
	if data.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	opt := &imap.FetchOptions{UID: true, Flags: true}
	if bodies {
		opt.BodySection = []*imap.FetchItemBodySection{{Peek: true}}
	}
	msgs, err := c.Fetch(all, opt).Collect()
	if err != nil {
		t.Fatalf("fetch %s of %s: %v", mailbox, user, err)
	}
	out := make([]Held, len(msgs))
	for i, m := range msgs {
		out[i] = Held{UID: uint32(m.UID), Flags: m.Flags}
		if bodies {
			if len(m.BodySection) != 1 {
				t.Fatalf("%s of %s: no body for message %d", mailbox, user, m.SeqNum)
			}
			out[i].SHA256 = SHA256(m.BodySection[0].Bytes)
		}
	}
	return out
}

// SHA256 is the hex SHA-256 of b, as Held gives it: how tests compare messages byte for byte.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
