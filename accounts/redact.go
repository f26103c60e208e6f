package accounts

import (
	"slices"

	scrub "postbode/internal/redact"
	"postbode/types"
)

// Redact returns ev with the account's credentials, and whatever looks like an encoded credential,
// removed from the text of its error: the last line of defence for server replies that echo a
// password or an AUTH string, whichever engine let them through. Errors keep their chain, so
// errors.Is and errors.As still work on the result.
func (m *Manager) Redact(ev types.Event) types.Event {
	switch e := ev.(type) {
	case types.ConnState:
		if e.Err != nil {
			e.Err = m.redactErr(e.Account, e.Err)
		}
		return e
	case types.Error:
		if e.Err != nil {
			e.Err = m.redactErr(e.Account, e.Err)
		}
		return e
	}
	return ev
}

// redactErr removes the account's password and the encoded forms of its logins (incoming and
// outgoing user names may differ) from err's text.
func (m *Manager) redactErr(account string, err error) error {
	var password string
	if m.secrets != nil {
		password, _ = m.secrets.Get(account)
	}
	var users []string
	if acc, ok := m.Account(account); ok {
		for _, u := range []string{acc.Incoming.User, acc.Email, acc.Outgoing.User} {
			if u != "" && !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
	}
	if len(users) == 0 {
		users = []string{""}
	}
	for _, u := range users {
		err = scrub.Error(err, scrub.Secrets{User: u, Password: password})
	}
	return err
}
