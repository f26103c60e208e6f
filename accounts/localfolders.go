package accounts

import (
	"context"
	"errors"
	"fmt"

	"postbode/types"
)

// LocalAccount returns the account "On this computer" (types.Local), adding it to the accounts
// file the first time it is needed: the home of local folders, imports and archives, for users of
// any kind of account.
func (m *Manager) LocalAccount(ctx context.Context) (types.Account, error) {
	if acc, ok := m.Account(types.LocalAccountName); ok {
		if acc.Sends() {
			return acc, fmt.Errorf("the account %q is not the one for folders on this computer; rename it to have local folders", acc.Name)
		}
		return acc, nil
	}
	acc := types.Account{Name: types.LocalAccountName, Kind: types.Local}
	if err := m.AddAccount(ctx, acc, "", false); err != nil {
		return acc, fmt.Errorf("set up the folders on this computer: %w", err)
	}
	return acc, nil
}

// ErrUploadsWaiting is FinishMoveToIMAP's refusal while copies still wait to reach the server.
var ErrUploadsWaiting = errors.New("copies are still waiting to be uploaded")

// FinishMoveToIMAP ends the move of a POP3 account's mail to an IMAP account (CopyAccount, once
// the IMAP account holds every message): the IMAP account stays as the account for the address,
// and the POP3 account is removed, its folders and mail kept in a folder named after it under
// "On this computer" until the user deletes them. Nothing is deleted, here or on any server. It
// refuses while the IMAP account has changes waiting for its server (the copies not uploaded yet)
// or the POP3 account has messages waiting in the outbox, and returns the archive folder's name.
func (m *Manager) FinishMoveToIMAP(ctx context.Context, pop, imap string) (string, error) {
	src, ok := m.Account(pop)
	if !ok {
		return "", fmt.Errorf("no account named %q", pop)
	}
	dst, ok := m.Account(imap)
	if !ok {
		return "", fmt.Errorf("no account named %q", imap)
	}
	if !m.downloadsMail(src) {
		return "", fmt.Errorf("%s is not a POP3 account", src.Name)
	}
	if !m.KeepsMailOnServer(dst.Kind) {
		return "", fmt.Errorf("%s is not an IMAP account", dst.Name)
	}
	if ops, err := m.cache.PendingOps(ctx, dst.Name); err != nil {
		return "", err
	} else if len(ops) > 0 {
		return "", fmt.Errorf("%s: %d %w; finish once they are on the server", dst.Name, len(ops), ErrUploadsWaiting)
	}
	if out, err := m.cache.Outbox(ctx, src.Name); err != nil {
		return "", err
	} else if len(out) > 0 {
		return "", fmt.Errorf("%d messages from %s wait in the outbox: send or delete them first", len(out), src.Name)
	}
	local, err := m.LocalAccount(ctx)
	if err != nil {
		return "", err
	}
	removed := m.RemoveAccount(ctx, src.Name, false)
	if _, still := m.Account(src.Name); still {
		return "", fmt.Errorf("remove %s: %w", src.Name, removed)
	}
	archive, err := m.cache.ArchiveAccount(ctx, src.Name, local.Name)
	if err != nil {
		// The account is gone from the file but its mail is still here under its name, readable
		// as any removed account's; running this again is not possible, so say where it is.
		return "", fmt.Errorf("%s was removed but its mail could not be moved under %s (it stays readable under %s): %w",
			src.Name, local.Name, src.Name, err)
	}
	if removed != nil {
		return archive, fmt.Errorf("%w: %w", ErrPasswordKept, removed)
	}
	return archive, nil
}

// ErrPasswordKept is FinishMoveToIMAP's warning when the move is finished but the keyring would not
// let the POP3 account's password go.
var ErrPasswordKept = errors.New("the move is finished, but the POP3 account's password is still in the keyring")
