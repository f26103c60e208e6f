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
