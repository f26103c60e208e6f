package localcache

import (
	"context"
	"database/sql"
)

// OpFlags sets and clears flags on messages.
const OpFlags OpKind = "flags"

func init() { registerOp[FlagsOp](OpFlags) }

// FlagsOp sets Set and clears Clear on its messages.
type FlagsOp struct {
	Items      []OpItem `json:",omitempty"`
	Set, Clear Flags    `json:",omitempty"`
}

// Messages lists the messages the op touches.
func (o FlagsOp) Messages() []OpItem { return o.Items }

func (FlagsOp) Kind() OpKind { return OpFlags }

// apply writes only the rows whose flags change: marking a folder of 400,000 read, most of which
// were read already, rewrites the few unread rows and their index entries, not every row.
func (o FlagsOp) apply(ctx context.Context, tx *sql.Tx) error {
	return execForItems(ctx, tx, o.Items, `UPDATE messages SET flags = (flags | ?1) & ~?2
WHERE id IN (SELECT value FROM json_each(?3)) AND flags != ((flags | ?1) & ~?2)`, o.Set, o.Clear)
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
