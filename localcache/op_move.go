package localcache

import (
	"context"
	"database/sql"
)

// OpMove moves messages to another folder of the same account.
const OpMove OpKind = "move"

func init() { registerOp[MoveOp](OpMove) }

// MoveOp moves its messages to ToFolderID.
type MoveOp struct {
	Items      []OpItem `json:",omitempty"`
	ToFolderID int64    `json:",omitempty"`
}

// Messages lists the messages the op touches.
func (o MoveOp) Messages() []OpItem { return o.Items }

func (MoveOp) Kind() OpKind { return OpMove }

// apply moves the rows; a moved IMAP message has no UID until the move is replayed.
func (o MoveOp) apply(ctx context.Context, tx *sql.Tx) error {
	return execForItems(ctx, tx, o.Items,
		`UPDATE messages SET folder_id = ?, uid = NULL WHERE id IN (SELECT value FROM json_each(?))`, o.ToFolderID)
}

// undo moves the messages back to folderID with their old UIDs.
func (o MoveOp) undo(ctx context.Context, tx *sql.Tx, account string, folderID int64) ([]Change, error) {
	items, err := itemList(o.Items)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET folder_id = ?, uid = p.uid FROM `+undoPrev+` WHERE messages.id = p.id`,
		folderID, items); err != nil {
		return nil, err
	}
	return []Change{{Account: account, FolderID: o.ToFolderID}}, nil
}
