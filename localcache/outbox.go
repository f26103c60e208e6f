package localcache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Outbox states.
const (
	OutboxQueued  = "queued"  // waiting to be sent (again)
	OutboxSending = "sending" // handed to the SMTP server; on restart, check the Sent copy before resending
	OutboxFailed  = "failed"  // refused for good; kept with the reason until the user acts
)

// OutboxItem is a message waiting to be sent. It lives in the store, with the bodies, so it survives a
// rebuilt index.
type OutboxItem struct {
	ID          int64
	Account     string
	MessageID   string
	Sender      string
	Recipients  []string
	Raw         []byte
	State       string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	Created     time.Time
}

// OutboxAdd stores a message to send, durably, before any attempt.
func (c *Cache) OutboxAdd(ctx context.Context, it OutboxItem) (int64, error) {
	rcpt, err := json.Marshal(it.Recipients)
	if err != nil {
		return 0, fmt.Errorf("outbox add: %w", err)
	}
	var id int64
	err = c.store.QueryRowContext(ctx, `INSERT INTO outbox(account, message_id, sender, recipients, raw, created)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, it.Account, it.MessageID, it.Sender, string(rcpt), it.Raw, time.Now().Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("outbox add %s: %w", it.MessageID, err)
	}
	c.notify(Change{Account: it.Account, Folders: true})
	return id, nil
}

// Outbox lists the account's outbox ("" for all), oldest first.
func (c *Cache) Outbox(ctx context.Context, account string) ([]OutboxItem, error) {
	rows, err := c.store.QueryContext(ctx, `SELECT id, account, message_id, sender, recipients, raw, state, attempts,
next_attempt, last_error, created FROM outbox WHERE ? = '' OR account = ? ORDER BY id`, account, account)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var rcpt string
		var next, created int64
		if err := rows.Scan(&it.ID, &it.Account, &it.MessageID, &it.Sender, &rcpt, &it.Raw, &it.State, &it.Attempts,
			&next, &it.LastError, &created); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		if err := json.Unmarshal([]byte(rcpt), &it.Recipients); err != nil {
			return nil, fmt.Errorf("outbox item %d: %w", it.ID, err)
		}
		it.NextAttempt, it.Created = time.Unix(next, 0), time.Unix(created, 0)
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxSetState records an attempt's outcome.
func (c *Cache) OutboxSetState(ctx context.Context, id int64, state string, next time.Time, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	res, err := c.store.ExecContext(ctx, `UPDATE outbox SET state = ?, next_attempt = ?, last_error = ?,
attempts = attempts + (? != 'sending') WHERE id = ?`, state, next.Unix(), msg, state, id)
	if err != nil {
		return fmt.Errorf("outbox item %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
	}
	return nil
}

// OutboxRemove drops a sent message from the outbox.
func (c *Cache) OutboxRemove(ctx context.Context, id int64) error {
	var account string
	err := c.store.QueryRowContext(ctx, `DELETE FROM outbox WHERE id = ? RETURNING account`, id).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox remove %d: %w", id, err)
	}
	c.notify(Change{Account: account, Folders: true})
	return nil
}
