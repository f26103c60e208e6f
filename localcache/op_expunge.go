package localcache

import (
	"context"
	"database/sql"
)

// OpExpunge deletes messages permanently.
const OpExpunge OpKind = "expunge"

func init() { registerOp[ExpungeOp](OpExpunge) }

// ExpungeOp deletes its messages for good.
type ExpungeOp struct {
	Items []OpItem `json:",omitempty"`
}

// Messages lists the messages the op touches.
func (o ExpungeOp) Messages() []OpItem { return o.Items }

func (ExpungeOp) Kind() OpKind { return OpExpunge }

// apply removes the messages from the index; bodies stay in the store.
func (o ExpungeOp) apply(ctx context.Context, tx *sql.Tx) error {
	return execForItems(ctx, tx, o.Items, `DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))`)
}

// undo has nothing to put back: the rows are gone, and the next resync fetches the server's state.
func (ExpungeOp) undo(context.Context, *sql.Tx, string, int64) ([]Change, error) { return nil, nil }
