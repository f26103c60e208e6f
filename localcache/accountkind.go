package localcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The kind of account whose mail the cache holds under a name is remembered, so that a kind
// changed outside the program (accounts.json edited from POP3 to IMAP) is noticed before an IMAP
// pass treats the local-only POP3 folders as deleted on the server.
func accountKindKey(account string) string { return "account-kind/" + account }

// RecordAccountKind remembers kind for the account unless a kind is remembered already, and
// returns the one remembered.
func (c *Cache) RecordAccountKind(ctx context.Context, account, kind string) (string, error) {
	var recorded string
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)`, accountKindKey(account), kind); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, accountKindKey(account)).Scan(&recorded)
	})
	if err != nil {
		return "", fmt.Errorf("record the kind of %s: %w", account, err)
	}
	return recorded, nil
}

// AccountKind is the kind remembered for the account ("" when none is).
func (c *Cache) AccountKind(ctx context.Context, account string) (string, error) {
	var kind string
	err := c.index.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, accountKindKey(account)).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("the kind of %s: %w", account, err)
	}
	return kind, nil
}
