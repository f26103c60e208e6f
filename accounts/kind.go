package accounts

import (
	"context"
	"fmt"

	"postbode/types"
)

// KindChangedError says that an account's kind in the accounts file is not the kind whose mail
// this computer keeps under its name: the file was edited outside Postbode (POP3 to IMAP, say).
// The account is not started, since an IMAP pass would take the POP3 folders kept only here for
// folders deleted on the server.
type KindChangedError struct {
	Account          string
	Kept, Configured types.Protocol
}

func (e *KindChangedError) Error() string {
	return fmt.Sprintf("account %s is set up as %s, but the mail kept here under its name is of a %s account; the change was not applied",
		e.Account, e.Configured, e.Kept)
}

// Problem makes the error a types.Diagnosed one.
func (e *KindChangedError) Problem() types.Problem { return types.ProblemKindChanged }

// checkKind remembers the account's kind the first time it runs and refuses another one later.
func (m *Manager) checkKind(ctx context.Context, acc types.Account) error {
	kept, err := m.cache.RecordAccountKind(ctx, acc.Name, string(acc.Kind))
	if err != nil {
		return err
	}
	if kept != string(acc.Kind) {
		return &KindChangedError{Account: acc.Name, Kept: types.Protocol(kept), Configured: acc.Kind}
	}
	return nil
}
