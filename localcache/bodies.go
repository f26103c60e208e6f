package localcache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Body is a raw message to keep in the store.
type Body struct {
	Account string
	// Origin says where the bytes came from ("pop3:<uidl>", "imap:<mailbox>"), for rebuilding the index.
	Origin string
	Folder string
	Raw    []byte
	// Key is BodyKey(Account, Raw) when the caller computed it already (off the store's goroutine).
	Key string
}

// BodyKey is the content address of a body within an account. Keys never come from server data.
func BodyKey(account string, raw []byte) string {
	h := sha256.New()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// PutBodies stores bodies in one transaction and returns their keys. When it returns nil the bodies are
// durable (synchronous=FULL): this is the group commit the POP3 delete order relies on. Storing the
// same bytes twice keeps one copy.
func (c *Cache) PutBodies(ctx context.Context, bodies []Body) ([]string, error) {
	keys := make([]string, len(bodies))
	now := time.Now().Unix()
	err := inTx(ctx, c.store, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO bodies(key, account, origin, folder, size, stored_at, data)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, b := range bodies {
			keys[i] = b.Key
			if keys[i] == "" {
				keys[i] = BodyKey(b.Account, b.Raw)
			}
			if _, err := st.ExecContext(ctx, keys[i], b.Account, b.Origin, b.Folder, len(b.Raw), now, b.Raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %d bodies: %w", len(bodies), err)
	}
	return keys, nil
}

// Body returns the exact stored bytes.
func (c *Cache) Body(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := c.store.QueryRowContext(ctx, `SELECT data FROM bodies WHERE key = ?`, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("body %.12s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("body %.12s: %w", key, err)
	}
	return data, nil
}

// BodyLink attaches a stored body to an index entry, with the text for search and the list snippet.
type BodyLink struct {
	MessageID     int64
	Key           string
	Text          string
	Snippet       string
	HasAttachment bool
}

// LinkBodies records stored bodies in the index and adds their text to the full-text index.
func (c *Cache) LinkBodies(ctx context.Context, links []BodyLink) error {
	if len(links) == 0 {
		return nil
	}
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = l.MessageID
	}
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		var err error
		if changes, err = foldersOf(ctx, tx, ids); err != nil {
			return err
		}
		// The old value of indexed says whether a header-only entry is to be replaced: replacing
		// an entry that is not there would still leave a tombstone for every later merge to read.
		state, err := tx.PrepareContext(ctx, `SELECT indexed FROM messages WHERE id = ?`)
		if err != nil {
			return err
		}
		defer state.Close()
		up, err := tx.PrepareContext(ctx, `UPDATE messages SET body_key = ?, snippet = ?, has_attachment = ?, indexed = 1 WHERE id = ?`)
		if err != nil {
			return err
		}
		defer up.Close()
		entry := `SELECT id, subject, from_name || ' ' || from_addr || ' ' || to_addrs || ' ' || cc_addrs, ? FROM messages WHERE id = ?`
		replace, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO messages_fts(rowid, subject, addresses, body) `+entry)
		if err != nil {
			return err
		}
		defer replace.Close()
		insert, err := tx.PrepareContext(ctx, `INSERT INTO messages_fts(rowid, subject, addresses, body) `+entry)
		if err != nil {
			return err
		}
		defer insert.Close()
		for _, l := range links {
			var wasIndexed bool
			err := state.QueryRowContext(ctx, l.MessageID).Scan(&wasIndexed)
			if errors.Is(err, sql.ErrNoRows) {
				continue // removed meanwhile
			}
			if err != nil {
				return err
			}
			if _, err := up.ExecContext(ctx, l.Key, l.Snippet, l.HasAttachment, l.MessageID); err != nil {
				return err
			}
			st := insert
			if wasIndexed {
				st = replace
			}
			if _, err := st.ExecContext(ctx, l.Text, l.MessageID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("link %d bodies: %w", len(links), err)
	}
	c.notifyAll(changes)
	return nil
}

// IndexPending gives the messages of a folder that were added with DeferIndex and never got a
// body (too large, fetch failed, interrupted) their header-only full-text entry.
func (c *Cache) IndexPending(ctx context.Context, folderID int64) error {
	// Called after every folder sync: look (partial index, no write lock) before writing.
	var pending bool
	if err := c.index.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE folder_id = ? AND indexed = 0)`,
		folderID).Scan(&pending); err != nil {
		return fmt.Errorf("index pending messages of folder %d: %w", folderID, err)
	}
	if !pending {
		return nil
	}
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages_fts(rowid, subject, addresses, body)
SELECT id, subject, from_name || ' ' || from_addr || ' ' || to_addrs || ' ' || cc_addrs, '' FROM messages
WHERE folder_id = ? AND indexed = 0`, folderID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE messages SET indexed = 1 WHERE folder_id = ? AND indexed = 0`, folderID)
		return err
	})
	if err != nil {
		return fmt.Errorf("index pending messages of folder %d: %w", folderID, err)
	}
	return nil
}

// StoredBody is one entry of the store, for rebuilding a lost index.
type StoredBody struct {
	Key, Account, Origin, Folder string
	StoredAt                     time.Time
	Raw                          []byte
}

// StoredBodies calls fn for each body stored for the account, oldest first.
func (c *Cache) StoredBodies(ctx context.Context, account string, fn func(StoredBody) error) error {
	rows, err := c.store.QueryContext(ctx,
		`SELECT key, account, origin, folder, stored_at, data FROM bodies WHERE account = ? ORDER BY id`, account)
	if err != nil {
		return fmt.Errorf("list stored bodies of %s: %w", account, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b StoredBody
		var at int64
		if err := rows.Scan(&b.Key, &b.Account, &b.Origin, &b.Folder, &at, &b.Raw); err != nil {
			return fmt.Errorf("list stored bodies of %s: %w", account, err)
		}
		b.StoredAt = time.Unix(at, 0)
		if err := fn(b); err != nil {
			return err
		}
	}
	return rows.Err()
}
