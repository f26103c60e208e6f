package localcache

import (
	"context"
	"fmt"
	"time"
)

// Autosave is the content of a composer saved while it was open, in a form only the UI reads. It
// lives in the store: it exists nowhere else until it is sent or saved as a draft.
type Autosave struct {
	ID      int64
	Data    []byte
	Updated time.Time
}

// PutAutosave writes a composer's content durably (one committed transaction) and returns its id:
// id 0 adds a row, any other id replaces that row's content (and adds it again if it was removed).
func (c *Cache) PutAutosave(ctx context.Context, id int64, data []byte) (int64, error) {
	now := time.Now().Unix()
	var err error
	if id == 0 {
		err = c.store.QueryRowContext(ctx, `INSERT INTO autosave(data, updated) VALUES (?, ?) RETURNING id`,
			data, now).Scan(&id)
	} else {
		_, err = c.store.ExecContext(ctx, `INSERT INTO autosave(id, data, updated) VALUES (?, ?, ?)
ON CONFLICT(id) DO UPDATE SET data = excluded.data, updated = excluded.updated`, id, data, now)
	}
	if err != nil {
		return 0, fmt.Errorf("autosave: %w", err)
	}
	return id, nil
}

// Autosaves lists what composers left behind, oldest first.
func (c *Cache) Autosaves(ctx context.Context) ([]Autosave, error) {
	rows, err := c.store.QueryContext(ctx, `SELECT id, data, updated FROM autosave ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("autosaves: %w", err)
	}
	defer rows.Close()
	var out []Autosave
	for rows.Next() {
		var a Autosave
		var updated int64
		if err := rows.Scan(&a.ID, &a.Data, &updated); err != nil {
			return nil, fmt.Errorf("autosaves: %w", err)
		}
		a.Updated = time.Unix(updated, 0)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RemoveAutosave drops a composer's saved content once it is sent, saved as a draft or discarded.
func (c *Cache) RemoveAutosave(ctx context.Context, id int64) error {
	if _, err := c.store.ExecContext(ctx, `DELETE FROM autosave WHERE id = ?`, id); err != nil {
		return fmt.Errorf("autosave %d: remove: %w", id, err)
	}
	return nil
}
