package localcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Folder roles, from IMAP SPECIAL-USE or the POP3 account's local set.
const (
	RoleInbox   = "inbox"
	RoleSent    = "sent"
	RoleDrafts  = "drafts"
	RoleTrash   = "trash"
	RoleJunk    = "junk"
	RoleArchive = "archive"
)

// ErrNotFound is returned when a folder, message or body does not exist.
var ErrNotFound = errors.New("not found")

// Folder is one mailbox of an account.
type Folder struct {
	ID         int64
	Account    string
	Name       string // the server's name (IMAP) or the local name (POP3)
	Delim      string
	Role       string
	Attrs      string
	Subscribed bool
	// IMAP sync state; written only after a complete pass.
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	// ServerTotal is the server's message count from STATUS, -1 when unknown.
	ServerTotal int
	Total       int
	Unread      int
	WithBody    int // messages whose body is stored
}

const folderCols = `id, account, name, delim, role, attrs, subscribed, uidvalidity, uidnext, highestmodseq, server_total, total, unread, with_body`

func scanFolder(row interface{ Scan(...any) error }) (Folder, error) {
	var f Folder
	err := row.Scan(&f.ID, &f.Account, &f.Name, &f.Delim, &f.Role, &f.Attrs, &f.Subscribed,
		&f.UIDValidity, &f.UIDNext, &f.HighestModSeq, &f.ServerTotal, &f.Total, &f.Unread, &f.WithBody)
	return f, err
}

// EnsureFolder creates the folder or updates its name attributes (delimiter, role, attributes,
// subscription); sync state and counts are left alone.
func (c *Cache) EnsureFolder(ctx context.Context, f Folder) (Folder, error) {
	if f.Delim == "" {
		f.Delim = "/"
	}
	var out Folder
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
INSERT INTO folders(account, name, delim, role, attrs, subscribed) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT(account, name) DO UPDATE SET delim = excluded.delim, role = excluded.role,
	attrs = excluded.attrs, subscribed = excluded.subscribed`,
			f.Account, f.Name, f.Delim, f.Role, f.Attrs, f.Subscribed)
		if err != nil {
			return err
		}
		out, err = scanFolder(tx.QueryRowContext(ctx,
			`SELECT `+folderCols+` FROM folders WHERE account = ? AND name = ?`, f.Account, f.Name))
		return err
	})
	if err != nil {
		return Folder{}, fmt.Errorf("ensure folder %q of %s: %w", f.Name, f.Account, err)
	}
	c.notify(Change{Account: f.Account, FolderID: out.ID, Folders: true})
	return out, nil
}

// Folders lists an account's folders (all accounts when account is ""), inbox first, then the other
// special folders, then by name.
func (c *Cache) Folders(ctx context.Context, account string) ([]Folder, error) {
	rows, err := c.index.QueryContext(ctx, `SELECT `+folderCols+` FROM folders
WHERE ? = '' OR account = ?
ORDER BY account, CASE role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'sent' THEN 2 WHEN 'archive' THEN 3
	WHEN 'junk' THEN 4 WHEN 'trash' THEN 5 ELSE 6 END, name COLLATE NOCASE`, account, account)
	if err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	defer rows.Close()
	var out []Folder
	for rows.Next() {
		f, err := scanFolder(rows)
		if err != nil {
			return nil, fmt.Errorf("list folders: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Folder returns one folder by id.
func (c *Cache) Folder(ctx context.Context, id int64) (Folder, error) {
	return c.folderWhere(ctx, `id = ?`, id)
}

// FolderByName returns the folder with that name in the account.
func (c *Cache) FolderByName(ctx context.Context, account, name string) (Folder, error) {
	return c.folderWhere(ctx, `account = ? AND name = ?`, account, name)
}

// FolderByRole returns the account's folder with that special-use role.
func (c *Cache) FolderByRole(ctx context.Context, account, role string) (Folder, error) {
	return c.folderWhere(ctx, `account = ? AND role = ? ORDER BY id LIMIT 1`, account, role)
}

func (c *Cache) folderWhere(ctx context.Context, where string, args ...any) (Folder, error) {
	f, err := scanFolder(c.index.QueryRowContext(ctx, `SELECT `+folderCols+` FROM folders WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Folder{}, fmt.Errorf("folder: %w", ErrNotFound)
	}
	if err != nil {
		return Folder{}, fmt.Errorf("folder: %w", err)
	}
	return f, nil
}

// SetFolderSyncState records the IMAP state reached by a complete pass over the folder.
func (c *Cache) SetFolderSyncState(ctx context.Context, id int64, uidValidity, uidNext uint32, highestModSeq uint64) error {
	_, err := c.index.ExecContext(ctx,
		`UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ? WHERE id = ?`,
		uidValidity, uidNext, highestModSeq, id)
	if err != nil {
		return fmt.Errorf("save sync state of folder %d: %w", id, err)
	}
	return nil
}

// SetServerTotal records the server's message count (STATUS MESSAGES), for "not fully downloaded" notes.
func (c *Cache) SetServerTotal(ctx context.Context, id int64, total int) error {
	if _, err := c.index.ExecContext(ctx, `UPDATE folders SET server_total = ? WHERE id = ?`, total, id); err != nil {
		return fmt.Errorf("save server total of folder %d: %w", id, err)
	}
	return nil
}

// ResetFolder drops the folder's cached messages after a UIDVALIDITY change and records the new
// UIDVALIDITY. Messages without a UID (local moves and appends waiting to be replayed) are kept.
func (c *Cache) ResetFolder(ctx context.Context, id int64, uidValidity uint32) error {
	var account string
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT account FROM folders WHERE id = ?`, id).Scan(&account); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE folder_id = ? AND uid IS NOT NULL`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE folders SET uidvalidity = ?, uidnext = 0, highestmodseq = 0 WHERE id = ?`, uidValidity, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("reset folder %d: %w", id, err)
	}
	c.notify(Change{Account: account, FolderID: id})
	return nil
}

// RenameFolder renames a folder in the cache.
func (c *Cache) RenameFolder(ctx context.Context, id int64, newName string) error {
	f, err := c.Folder(ctx, id)
	if err != nil {
		return err
	}
	if _, err := c.index.ExecContext(ctx, `UPDATE folders SET name = ? WHERE id = ?`, newName, id); err != nil {
		return fmt.Errorf("rename folder %q to %q: %w", f.Name, newName, err)
	}
	c.notify(Change{Account: f.Account, FolderID: id, Folders: true})
	return nil
}

// DeleteFolder removes a folder and its index entries. Stored bodies are kept.
func (c *Cache) DeleteFolder(ctx context.Context, id int64) error {
	f, err := c.Folder(ctx, id)
	if err != nil {
		return err
	}
	if _, err := c.index.ExecContext(ctx, `DELETE FROM folders WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete folder %q: %w", f.Name, err)
	}
	c.notify(Change{Account: f.Account, FolderID: id, Folders: true})
	return nil
}

// DeleteAccount removes every folder, message and pending operation of an account from the index.
// Bodies stay in the store unless deleteBodies is set.
func (c *Cache) DeleteAccount(ctx context.Context, account string, deleteBodies bool) error {
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM messages WHERE account = ?`,
			`DELETE FROM folders WHERE account = ?`,
			`DELETE FROM pending WHERE account = ?`,
			`DELETE FROM pop3_uidls WHERE account = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, account); err != nil {
				return err
			}
		}
		// Nothing of the account is left here: a new account may take its name, of any kind.
		if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key IN (?, ?)`, accountKindKey(account), listingKey(account)); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete account %s from index: %w", account, err)
	}
	if deleteBodies {
		if _, err := c.store.ExecContext(ctx, `DELETE FROM bodies WHERE account = ?`, account); err != nil {
			return fmt.Errorf("delete stored mail of %s: %w", account, err)
		}
	}
	c.notify(Change{Account: account, Folders: true})
	return nil
}
