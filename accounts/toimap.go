package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"postbode/types"
)

// ErrNoIMAPFound is what IMAPTwin returns when discovery finds no IMAP server for the address.
var ErrNoIMAPFound = errors.New("no IMAP server found for the address")

// IMAPTwin returns the IMAP account a POP3 account's mail moves into: an IMAP account of this
// profile with the same address (the same address added twice, once by each protocol; found is
// then true), or else a new one, not added yet, from the settings discovery finds for the address
// (the wizard's Discover), with the POP3 account's user name, outgoing server, identities and
// signature, and a name of its own. The user name is kept because the move assumes what the
// issue's users have: one mailbox, reached by POP3 and IMAP with the same credentials.
func (m *Manager) IMAPTwin(ctx context.Context, pop string) (acc types.Account, found bool, err error) {
	src, ok := m.Account(pop)
	if !ok {
		return acc, false, fmt.Errorf("no account named %q", pop)
	}
	if !m.downloadsMail(src) {
		return acc, false, fmt.Errorf("%s is a %s account, not a POP3 one", src.Name, src.Kind)
	}
	for _, a := range m.Accounts() {
		if m.KeepsMailOnServer(a.Kind) && strings.EqualFold(a.Email, src.Email) {
			return a, true, nil
		}
	}
	results, err := m.Discover(ctx, src.Email)
	var none *NoSettingsFoundError
	if errors.As(err, &none) {
		return acc, false, fmt.Errorf("%s: %w: %w", src.Email, ErrNoIMAPFound, err)
	}
	if err != nil {
		return acc, false, fmt.Errorf("find the IMAP settings of %s: %w", src.Email, err)
	}
	for _, r := range results {
		for _, in := range r.Incoming {
			if in.Protocol != types.IMAP || r.InsecureSource {
				continue
			}
			acc = src
			acc.Kind, acc.POP3 = types.IMAP, types.POP3Policy{}
			acc.Incoming = in.Server
			acc.Incoming.User = src.Incoming.User
			if !strings.EqualFold(acc.Incoming.Host, src.Incoming.Host) {
				acc.Incoming.CAFile = "" // a certificate trusted for one host only
			} else {
				acc.Incoming.CAFile = src.Incoming.CAFile
			}
			acc.Name = m.freeName(src.Name + "-imap")
			return acc.WithDefaults(), false, nil
		}
	}
	return acc, false, fmt.Errorf("%s: %w", src.Email, ErrNoIMAPFound)
}

// downloadsMail reports whether the account downloads its mail to this computer (POP3): the one
// kind that moves to IMAP. Neither an IMAP account nor the folders on this computer do.
func (m *Manager) downloadsMail(acc types.Account) bool {
	return acc.Sends() && !m.KeepsMailOnServer(acc.Kind)
}

// freeName is base, or base with a number added, that no account has.
func (m *Manager) freeName(base string) string {
	name := base
	for i := 2; ; i++ {
		if _, taken := m.Account(name); !taken {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}
