package localcache

import (
	"context"
	"fmt"
)

// MessageState is where a message is and what flags it has: what undoing a change to it needs.
type MessageState struct {
	ID       int64
	Account  string
	FolderID int64
	Flags    Flags
}

// States returns the state of each of the messages that exist, in no particular order. The ids go in
// as one JSON array: a selection of 400,000 messages is one statement, not 800 of 500 parameters.
func (c *Cache) States(ctx context.Context, ids []int64) ([]MessageState, error) {
	list, err := idList(ids)
	if err != nil {
		return nil, fmt.Errorf("message states: %w", err)
	}
	rows, err := c.index.QueryContext(ctx, `SELECT id, account, folder_id, flags FROM messages
WHERE id IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return nil, fmt.Errorf("message states: %w", err)
	}
	defer rows.Close()
	out := make([]MessageState, 0, len(ids))
	for rows.Next() {
		var s MessageState
		if err := rows.Scan(&s.ID, &s.Account, &s.FolderID, &s.Flags); err != nil {
			return nil, fmt.Errorf("message states: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("message states: %w", err)
	}
	return out, nil
}
