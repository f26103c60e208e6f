package localcache

import (
	"context"
	"fmt"
	"strconv"
)

// SizeKey names a message by its Message-ID and size ("" when it has no Message-ID): how a copy is
// recognised when its bytes are not here (an IMAP message whose body was never downloaded).
func SizeKey(messageID string, size int64) string {
	if messageID == "" {
		return ""
	}
	return messageID + "\x00" + strconv.FormatInt(size, 10)
}

// FolderHolds returns what the folder holds of the messages with the given Message-IDs ("" included:
// messages without one): the body key of each whose body is stored, and the SizeKey of each with a
// Message-ID, body or not. An import skips a message whose key (the SHA-256 of the account and its
// bytes) or SizeKey is among them, so that running it again adds nothing twice.
func (c *Cache) FolderHolds(ctx context.Context, account string, folderID int64, messageIDs []string) (map[string]bool, error) {
	held := map[string]bool{}
	err := forChunks(messageIDs, []any{account, folderID}, func(in string, args []any) error {
		rows, err := c.index.QueryContext(ctx, `SELECT body_key, message_id, size FROM messages
WHERE account = ? AND folder_id = ? AND message_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				key, msgID string
				size       int64
			)
			if err := rows.Scan(&key, &msgID, &size); err != nil {
				return err
			}
			if key != "" {
				held[key] = true
			}
			if k := SizeKey(msgID, size); k != "" {
				held[k] = true
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find what folder %d holds: %w", folderID, err)
	}
	return held, nil
}
