package localcache

import (
	"context"
	"fmt"
)

// FolderBodyKeys returns the body keys of the folder's messages with any of the given Message-IDs
// ("" included: messages without one). An import skips a message whose key (the SHA-256 of the
// account and its bytes) is among them, so that running it again adds nothing twice.
func (c *Cache) FolderBodyKeys(ctx context.Context, account string, folderID int64, messageIDs []string) (map[string]bool, error) {
	keys, err := c.bodyKeysOf(ctx, "account = ? AND folder_id = ?", []any{account, folderID}, messageIDs)
	if err != nil {
		return nil, fmt.Errorf("find bodies in folder %d: %w", folderID, err)
	}
	return keys, nil
}
