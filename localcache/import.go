package localcache

import (
	"context"
	"fmt"
)

// FolderBodyKeys returns the body keys of the folder's messages with any of the given Message-IDs
// ("" included: messages without one). An import skips a message whose key (the SHA-256 of the
// account and its bytes) is among them, so that running it again adds nothing twice.
func (c *Cache) FolderBodyKeys(ctx context.Context, account string, folderID int64, messageIDs []string) (map[string]bool, error) {
	keys := map[string]bool{}
	err := forChunks(messageIDs, []any{account, folderID}, func(in string, args []any) error {
		rows, err := c.index.QueryContext(ctx, `SELECT body_key FROM messages WHERE account = ? AND folder_id = ?
AND body_key != '' AND message_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			keys[k] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find bodies in folder %d: %w", folderID, err)
	}
	return keys, nil
}
