package oauth

import (
	"fmt"

	"github.com/emersion/go-sasl"
)

// Authenticate logs in with an access token over mech (XOAUTH2 or OAUTHBEARER) through run, the
// protocol's SASL exchange (go-imap's Authenticate, go-smtp's Auth, the POP3 client's). When the
// server refused the token, the returned error wraps the ServerError it sent, so that callers can
// tell a refused token (renew it) from other failures.
func Authenticate(mech, user, token string, run func(sasl.Client) error) error {
	c, err := NewSASLClient(mech, user, token)
	if err != nil {
		return err
	}
	if err := run(c); err != nil {
		if se, ok := SASLServerError(c); ok {
			return fmt.Errorf("%w (%w)", err, se)
		}
		return err
	}
	return nil
}
