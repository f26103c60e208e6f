package localcache

import (
	"context"
	"database/sql"
	"fmt"
)

// OpFlags sets and clears flags on messages.
const OpFlags OpKind = "flags"

func init() { registerOp[FlagsOp](OpFlags) }

// FlagsOp sets Set and clears Clear on its messages.
type FlagsOp struct {
	Items      []OpItem `json:",omitempty"`
	Set, Clear Flags    `json:",omitempty"`
	// UpTo, when not zero, makes the op cover every message of its folder with a UID up to it (the
	// whole folder as it was when the change was made: SetFolderFlags): the server gets one
	// `UID STORE 1:UpTo`, and Items lists only the messages whose flags the change altered here,
	// with their flags before it, for the undo. A build that does not know UpTo replays the Items.
	UpTo uint32 `json:",omitempty"`
}

// Messages lists the messages the op touches.
func (o FlagsOp) Messages() []OpItem { return o.Items }

func (FlagsOp) Kind() OpKind { return OpFlags }

// apply writes only the messages whose flags change. Their flags before the change (PrevFlags) were
// read in this transaction (groupByFolder), as KeywordsOp's are: marking a folder of 400,000 read,
// most of it read already, then hands the few unread ids to one UPDATE, not all 400,000.
func (o FlagsOp) apply(ctx context.Context, tx *sql.Tx) error {
	var changed []OpItem
	for _, it := range o.Items {
		if (it.PrevFlags|o.Set)&^o.Clear != it.PrevFlags {
			changed = append(changed, it)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return execForItems(ctx, tx, changed,
		`UPDATE messages SET flags = (flags | ?) & ~? WHERE id IN (SELECT value FROM json_each(?))`, o.Set, o.Clear)
}

// undo puts back each message's flags from before the change, writing only the rows it changed.
func (o FlagsOp) undo(ctx context.Context, tx *sql.Tx, _ string, _ int64) ([]Change, error) {
	items, err := itemList(o.Items)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE messages SET flags = p.flags FROM `+undoPrev+` WHERE messages.id = p.id AND messages.flags != p.flags`, items)
	return nil, err
}

// flagsChange is the SQL condition on a message row for "(flags | set) & ~clear changes flags"; its
// parameters are set and clear.
const flagsChange = `((flags | ?1) & ~?2) != flags`

// SetFolderFlags sets and clears flags on every message of a folder (the whole folder selected) in
// set-based SQL: one SELECT of the rows the change alters (for the undo; the one scan of the
// folder) and one UPDATE of them, however large the folder. With queue set (IMAP) it records one FlagsOp covering the folder's UIDs
// (UpTo) and holding only the altered rows. It returns the ids of the messages it changed.
func (c *Cache) SetFolderFlags(ctx context.Context, folderID int64, set, clear Flags, queue bool) ([]int64, error) {
	var changed []int64
	var account string
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		var upTo uint32
		if err := tx.QueryRowContext(ctx, `SELECT f.account, coalesce((SELECT max(uid) FROM messages WHERE folder_id = f.id AND uid IS NOT NULL), 0)
FROM folders AS f WHERE f.id = ?`, folderID).Scan(&account, &upTo); err != nil {
			return fmt.Errorf("folder %d: %w", folderID, err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(uid, 0), coalesce(uidl, ''), flags FROM messages
WHERE folder_id = ?3 AND `+flagsChange+` ORDER BY id`, set, clear, folderID)
		if err != nil {
			return err
		}
		var items []OpItem
		for rows.Next() {
			var it OpItem
			if err := rows.Scan(&it.MessageID, &it.UID, &it.UIDL, &it.PrevFlags); err != nil {
				rows.Close()
				return err
			}
			items = append(items, it)
			changed = append(changed, it.MessageID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(items) > 0 {
			// By id, as read: the folder is scanned once, not again for the UPDATE.
			if err := execForItems(ctx, tx, items, `UPDATE messages SET flags = (flags | ?) & ~? WHERE id IN (SELECT value FROM json_each(?))`,
				set, clear); err != nil {
				return err
			}
		}
		if !queue || (upTo == 0 && len(items) == 0) {
			return nil
		}
		return enqueue(ctx, tx, PendingOp{Account: account, FolderID: folderID, Op: FlagsOp{Items: items, Set: set, Clear: clear, UpTo: upTo}})
	})
	if err != nil {
		return nil, fmt.Errorf("set flags of folder %d: %w", folderID, err)
	}
	c.notify(Change{Account: account, FolderID: folderID})
	return changed, nil
}
