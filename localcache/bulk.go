package localcache

import (
	"context"
	"database/sql"
	"fmt"
)

// Full-text merge settings. Every commit that indexes text adds a segment to the full-text index;
// normally segments are merged four at a time as they come, which during a first sync of thousands
// of messages rewrites the index several times over. In bulk mode merging waits (up to bulkCrisis
// segments on one level) and happens once at the end: a third less CPU for indexing 10,000
// messages in the replay benchmark.
const (
	normalAutomerge   = 4
	normalCrisismerge = 16
	bulkCrisismerge   = 64
)

// BeginBulkIndex switches the full-text index to bulk mode until the returned function is called;
// calls nest (two accounts syncing at once). The end function merges what bulk mode left and must
// be called, also after a failure. A crash in bulk mode is repaired by the next Open.
func (c *Cache) BeginBulkIndex(ctx context.Context) (end func(context.Context) error, err error) {
	c.bulkMu.Lock()
	defer c.bulkMu.Unlock()
	if c.bulk == 0 {
		if err := c.setMerging(ctx, 0, bulkCrisismerge); err != nil {
			return nil, err
		}
	}
	c.bulk++
	return func(ctx context.Context) error {
		c.bulkMu.Lock()
		defer c.bulkMu.Unlock()
		if c.bulk--; c.bulk > 0 {
			return nil
		}
		if err := c.setMerging(ctx, normalAutomerge, normalCrisismerge); err != nil {
			return err
		}
		// Merge levels with many segments now rather than make the next queries read them all.
		if _, err := c.index.ExecContext(ctx, `INSERT INTO messages_fts(messages_fts, rank) VALUES('merge', 16384)`); err != nil {
			return fmt.Errorf("merge full-text index: %w", err)
		}
		return nil
	}, nil
}

func (c *Cache) setMerging(ctx context.Context, automerge, crisismerge int) error {
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages_fts(messages_fts, rank) VALUES('automerge', ?)`, automerge); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO messages_fts(messages_fts, rank) VALUES('crisismerge', ?)`, crisismerge)
		return err
	})
	if err != nil {
		return fmt.Errorf("full-text merge settings: %w", err)
	}
	return nil
}

// repairBulkMode turns merging back on when the last process ended in bulk mode.
func (c *Cache) repairBulkMode(ctx context.Context) error {
	var v int
	err := c.index.QueryRowContext(ctx, `SELECT coalesce((SELECT v FROM messages_fts_config WHERE k = 'automerge'), ?)`, normalAutomerge).Scan(&v)
	if err != nil {
		return fmt.Errorf("read full-text merge settings: %w", err)
	}
	if v == normalAutomerge {
		return nil
	}
	return c.setMerging(ctx, normalAutomerge, normalCrisismerge)
}
