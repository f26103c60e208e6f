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

// States returns the state of each of the messages that exist, in no particular order.
func (c *Cache) States(ctx context.Context, ids []int64) ([]MessageState, error) {
	var out []MessageState
	err := forChunks(ids, nil, func(in string, args []any) error {
		rows, err := c.index.QueryContext(ctx, `SELECT id, account, folder_id, flags FROM messages WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s MessageState
			if err := rows.Scan(&s.ID, &s.Account, &s.FolderID, &s.Flags); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("message states: %w", err)
	}
	return out, nil
}
