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

// ErrOutboxSending is returned for a message that can no longer be taken back: it is being handed
// to the server (or was, before a crash).
var ErrOutboxSending = errors.New("the message is already being sent")

// OutboxAdd stores a message to send, durably, before any attempt. It is not sent before
// it.NextAttempt (zero: at once), and until then OutboxWithdraw can take it back.
func (c *Cache) OutboxAdd(ctx context.Context, it OutboxItem) (int64, error) {
	rcpt, err := json.Marshal(it.Recipients)
	if err != nil {
		return 0, fmt.Errorf("outbox add: %w", err)
	}
	var next int64
	if !it.NextAttempt.IsZero() {
		next = it.NextAttempt.Unix()
	}
	var id int64
	err = c.store.QueryRowContext(ctx, `INSERT INTO outbox(account, message_id, sender, recipients, raw, next_attempt, created)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, it.Account, it.MessageID, it.Sender, string(rcpt), it.Raw, next, time.Now().Unix()).Scan(&id)
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

// OutboxClaim marks a queued message "sending", durably, before it is handed to the server. It
// reports false when the message is not queued any more (taken back, or claimed already), so a
// message withdrawn at the last moment is never sent.
func (c *Cache) OutboxClaim(ctx context.Context, id int64) (bool, error) {
	res, err := c.store.ExecContext(ctx, `UPDATE outbox SET state = 'sending', next_attempt = 0, last_error = ''
WHERE id = ? AND state = 'queued'`, id)
	if err != nil {
		return false, fmt.Errorf("outbox claim %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("outbox claim %d: %w", id, err)
	}
	return n == 1, nil
}

// OutboxWithdraw takes a message back out of the outbox and returns it, if it is queued or has
// failed; one being sent gives ErrOutboxSending, one gone already ErrNotFound.
func (c *Cache) OutboxWithdraw(ctx context.Context, id int64) (OutboxItem, error) {
	it := OutboxItem{ID: id}
	var rcpt string
	err := c.store.QueryRowContext(ctx, `DELETE FROM outbox WHERE id = ? AND state != 'sending'
RETURNING account, message_id, sender, recipients, raw`, id).Scan(&it.Account, &it.MessageID, &it.Sender, &rcpt, &it.Raw)
	if errors.Is(err, sql.ErrNoRows) {
		var state string
		switch err := c.store.QueryRowContext(ctx, `SELECT state FROM outbox WHERE id = ?`, id).Scan(&state); {
		case errors.Is(err, sql.ErrNoRows):
			return it, fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
		case err != nil:
			return it, fmt.Errorf("outbox item %d: %w", id, err)
		}
		return it, fmt.Errorf("outbox item %d: %w", id, ErrOutboxSending)
	}
	if err != nil {
		return it, fmt.Errorf("outbox withdraw %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(rcpt), &it.Recipients); err != nil {
		return it, fmt.Errorf("outbox item %d: %w", id, err)
	}
	c.notify(Change{Account: it.Account, Folders: true})
	return it, nil
}

// OutboxCount counts the messages waiting in the outbox and, of those, the ones that failed.
func (c *Cache) OutboxCount(ctx context.Context) (waiting, failed int, err error) {
	err = c.store.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'failed') FROM outbox`).Scan(&waiting, &failed)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox count: %w", err)
	}
	return waiting, failed, nil
}

// OutboxSendNow makes a queued or failed message due at once; the user asked to (try) again.
func (c *Cache) OutboxSendNow(ctx context.Context, id int64) error {
	var account string
	err := c.store.QueryRowContext(ctx, `UPDATE outbox SET state = 'queued', next_attempt = 0
WHERE id = ? AND state != 'sending' RETURNING account`, id).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("outbox send now %d: %w", id, err)
	}
	c.notify(Change{Account: account, Folders: true})
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
