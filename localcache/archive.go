package localcache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// ArchiveAccount hands every folder and message of account to the account into (the Local one),
// under one new top folder named after the account (with a number added when into has a folder of
// that name already), and forgets what only the old account needed: its pending server changes,
// POP3 download state and remembered kind, so that its name is free again. Nothing is copied or
// deleted: the rows change owner, in one transaction of the index, after the stored bodies have.
// The special folders become plain ones: an archived Inbox is not an inbox any more. It returns the
// top folder's name.
func (c *Cache) ArchiveAccount(ctx context.Context, account, into string) (string, error) {
	// The store first: a crash between the two leaves messages whose bodies are already listed
	// under the archive, which they are read from by key all the same.
	if _, err := c.store.ExecContext(ctx, `UPDATE bodies SET account = ? WHERE account = ?`, into, account); err != nil {
		return "", fmt.Errorf("archive the stored mail of %s: %w", account, err)
	}
	var top string
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		var err error
		if top, err = freeFolderName(ctx, tx, into, account); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO folders(account, name, delim) VALUES (?, ?, '/')`, into, top); err != nil {
			return err
		}
		// A folder's path keeps its own delimiter below the new top folder.
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE folders SET account = ?, name = ? || delim || name, role = '', uidvalidity = 0, uidnext = 0,
				highestmodseq = 0, server_total = -1 WHERE account = ?`, []any{into, top, account}},
			{`UPDATE messages SET account = ? WHERE account = ?`, []any{into, account}},
			{`DELETE FROM pending WHERE account = ?`, []any{account}},
			{`DELETE FROM pop3_uidls WHERE account = ?`, []any{account}},
			{`DELETE FROM meta WHERE key IN (?, ?)`, []any{accountKindKey(account), listingKey(account)}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("archive %s into %s: %w", account, into, err)
	}
	c.notify(Change{Account: account, Folders: true})
	c.notify(Change{Account: into, Folders: true})
	return top, nil
}

// freeFolderName is name, or name with a number added, that no folder of account has at the top.
func freeFolderName(ctx context.Context, tx *sql.Tx, account, name string) (string, error) {
	try := name
	for i := 2; ; i++ {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM folders WHERE account = ? AND lower(name) = lower(?)`, account, try).Scan(&n)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return try, nil
		}
		try = fmt.Sprintf("%s %d", strings.TrimSpace(name), i)
	}
}
