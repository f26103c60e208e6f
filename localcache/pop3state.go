package localcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UIDLRecord is what the cache knows about one POP3 message on the server.
type UIDLRecord struct {
	UIDL         string
	DownloadedAt time.Time
	DeletedAt    time.Time // zero while the message is (believed to be) on the server
}

// SaveUIDLs records downloaded UIDLs durably. The POP3 engine calls it only after the bodies are stored
// and indexed, and deletes from the server only after it returned.
func (c *Cache) SaveUIDLs(ctx context.Context, account string, uidls []string, at time.Time) error {
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx,
			`INSERT INTO pop3_uidls(account, uidl, downloaded_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, u := range uidls {
			if _, err := st.ExecContext(ctx, account, u, at.Unix()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %d uidls of %s: %w", len(uidls), account, err)
	}
	return nil
}

// MarkUIDLsDeleted records that the server deleted these messages (after a successful QUIT).
func (c *Cache) MarkUIDLsDeleted(ctx context.Context, account string, uidls []string, at time.Time) error {
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		for _, u := range uidls {
			if _, err := tx.ExecContext(ctx, `UPDATE pop3_uidls SET deleted_at = ? WHERE account = ? AND uidl = ?`,
				at.Unix(), account, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark %d uidls of %s deleted: %w", len(uidls), account, err)
	}
	return nil
}

// UIDLs returns every UIDL the account has downloaded.
func (c *Cache) UIDLs(ctx context.Context, account string) (map[string]UIDLRecord, error) {
	// Sized first: growing a map of 10,000 names step by step cost as much as reading them.
	var n int
	if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM pop3_uidls WHERE account = ?`, account).Scan(&n); err != nil {
		return nil, fmt.Errorf("uidls of %s: %w", account, err)
	}
	rows, err := c.index.QueryContext(ctx,
		`SELECT uidl, downloaded_at, deleted_at FROM pop3_uidls WHERE account = ?`, account)
	if err != nil {
		return nil, fmt.Errorf("uidls of %s: %w", account, err)
	}
	defer rows.Close()
	out := make(map[string]UIDLRecord, n)
	for rows.Next() {
		var r UIDLRecord
		var down, del int64
		if err := rows.Scan(&r.UIDL, &down, &del); err != nil {
			return nil, fmt.Errorf("uidls of %s: %w", account, err)
		}
		r.DownloadedAt = time.Unix(down, 0)
		if del != 0 {
			r.DeletedAt = time.Unix(del, 0)
		}
		out[r.UIDL] = r
	}
	return out, rows.Err()
}

// ForgetUIDLs drops records of messages no longer on the server, so the table does not grow forever.
func (c *Cache) ForgetUIDLs(ctx context.Context, account string, uidls []string) error {
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		for _, u := range uidls {
			if _, err := tx.ExecContext(ctx, `DELETE FROM pop3_uidls WHERE account = ? AND uidl = ?`, account, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget uidls of %s: %w", account, err)
	}
	return nil
}

// A POP3 poll that finds nothing to do remembers the server's listing (a digest of its UIDLs) with
// a fingerprint of the account's UIDL records. The next poll that gets the same listing while the
// records are unchanged has nothing to do either, and skips reading 10,000 records into memory.
func listingKey(account string) string { return "pop3-listing/" + account }

// recordsFingerprint sums up the account's UIDL records: any record added, deleted or marked
// deleted changes it.
func (c *Cache) recordsFingerprint(ctx context.Context, account string) (string, error) {
	var n, latest, deleted int64
	err := c.index.QueryRowContext(ctx, `SELECT count(*), coalesce(max(downloaded_at), 0), coalesce(sum(deleted_at != 0), 0)
FROM pop3_uidls WHERE account = ?`, account).Scan(&n, &latest, &deleted)
	if err != nil {
		return "", fmt.Errorf("uidl records of %s: %w", account, err)
	}
	return fmt.Sprintf("%d %d %d", n, latest, deleted), nil
}

// RememberListing stores the listing digest of a poll that found nothing to do ("": the last
// poll had something to do, and no listing is remembered).
func (c *Cache) RememberListing(ctx context.Context, account, digest string) error {
	if digest == "" {
		if _, err := c.index.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, listingKey(account)); err != nil {
			return fmt.Errorf("forget the listing of %s: %w", account, err)
		}
		return nil
	}
	fp, err := c.recordsFingerprint(ctx, account)
	if err != nil {
		return err
	}
	_, err = c.index.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value`, listingKey(account), digest+" "+fp)
	if err != nil {
		return fmt.Errorf("remember the listing of %s: %w", account, err)
	}
	return nil
}

// ListingSeen reports whether digest is the listing RememberListing stored for the account and
// its UIDL records have not changed since.
func (c *Cache) ListingSeen(ctx context.Context, account, digest string) (bool, error) {
	var stored string
	err := c.index.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, listingKey(account)).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("the last listing of %s: %w", account, err)
	}
	fp, err := c.recordsFingerprint(ctx, account)
	if err != nil {
		return false, err
	}
	return stored == digest+" "+fp, nil
}
