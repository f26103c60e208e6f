package localcache

import (
	"context"
	"encoding/json"
	"fmt"
)

// FilterEntry is a message waiting for the filter rules: Step actions of its plan are done, and
// Started says the action at Step was begun (it may or may not have taken effect).
type FilterEntry struct {
	MessageID int64
	Step      int
	Started   bool
}

// QueueFilters puts messages in the filter queue; one already there keeps its progress.
func (c *Cache) QueueFilters(ctx context.Context, ids []int64) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("queue for filters: %w", err)
	}
	if _, err := c.index.ExecContext(ctx, `INSERT OR IGNORE INTO filter_queue(message_id)
		SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
		return fmt.Errorf("queue for filters: %w", err)
	}
	return nil
}

// QueueFolderFilters puts every message of a folder in the filter queue.
func (c *Cache) QueueFolderFilters(ctx context.Context, folderID int64) error {
	if _, err := c.index.ExecContext(ctx, `INSERT OR IGNORE INTO filter_queue(message_id)
		SELECT id FROM messages WHERE folder_id = ?`, folderID); err != nil {
		return fmt.Errorf("queue folder %d for filters: %w", folderID, err)
	}
	return nil
}

// FilterQueue returns up to limit queued messages with ids above after, oldest first.
func (c *Cache) FilterQueue(ctx context.Context, after int64, limit int) ([]FilterEntry, error) {
	rows, err := c.index.QueryContext(ctx, `SELECT message_id, step, started FROM filter_queue
		WHERE message_id > ? ORDER BY message_id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("filter queue: %w", err)
	}
	defer rows.Close()
	var out []FilterEntry
	for rows.Next() {
		var e FilterEntry
		if err := rows.Scan(&e.MessageID, &e.Step, &e.Started); err != nil {
			return nil, fmt.Errorf("filter queue: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("filter queue: %w", err)
	}
	return out, nil
}

// SetFilterStep records a queued message's progress.
func (c *Cache) SetFilterStep(ctx context.Context, id int64, step int, started bool) error {
	if _, err := c.index.ExecContext(ctx, `UPDATE filter_queue SET step = ?, started = ? WHERE message_id = ?`,
		step, started, id); err != nil {
		return fmt.Errorf("filter progress of message %d: %w", id, err)
	}
	return nil
}

// FilterDone takes a message out of the filter queue.
func (c *Cache) FilterDone(ctx context.Context, id int64) error {
	if _, err := c.index.ExecContext(ctx, `DELETE FROM filter_queue WHERE message_id = ?`, id); err != nil {
		return fmt.Errorf("filters done on message %d: %w", id, err)
	}
	return nil
}

// FolderHasMessageID says whether a folder holds a message with that Message-ID.
func (c *Cache) FolderHasMessageID(ctx context.Context, folderID int64, messageID string) (bool, error) {
	var n int
	if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM messages
		WHERE account = (SELECT account FROM folders WHERE id = ?) AND message_id = ? AND folder_id = ?`,
		folderID, messageID, folderID).Scan(&n); err != nil {
		return false, fmt.Errorf("look for %s in folder %d: %w", messageID, folderID, err)
	}
	return n > 0, nil
}
