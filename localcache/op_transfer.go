package localcache

import (
	"context"
	"database/sql"
	"fmt"
)

// OpTransfer copies a message from another account (or folder) into a folder of this account by
// storing its exact bytes on the server and, for a move, removes it from its source once this
// server holds a copy whose bytes were checked.
const OpTransfer OpKind = "transfer"

func init() { registerOp[TransferOp](OpTransfer) }

// TransferOp is an AppendOp of a message that came from elsewhere. The source is left alone until
// the copy is confirmed: a refused copy takes only the local copy back, and nothing is lost.
type TransferOp struct {
	AppendOp
	// SHA256 and Size describe the bytes; the server's copy must have the same SHA-256.
	SHA256 string `json:",omitempty"`
	Size   int64  `json:",omitempty"`
	// From is the source of a move (nil for a copy).
	From *TransferSource `json:",omitempty"`
}

// TransferSource is where a moved message came from.
type TransferSource struct {
	Account  string
	FolderID int64
	Items    []OpItem
	// Queue: the source account keeps its mail on a server, which must delete it too.
	Queue bool `json:",omitempty"`
}

func (TransferOp) Kind() OpKind { return OpTransfer }

// apply has nothing to do: the local copy is indexed when the op is queued.
func (TransferOp) apply(context.Context, *sql.Tx) error { return nil }

// undo drops the local copy of a refused transfer; the source still holds the message.
func (o TransferOp) undo(ctx context.Context, tx *sql.Tx, account string, folderID int64) ([]Change, error) {
	if err := (ExpungeOp{Items: o.Items}).apply(ctx, tx); err != nil {
		return nil, err
	}
	return []Change{{Account: account, FolderID: folderID}}, nil
}

// completed removes the source of a move once the copy is on the server: from this computer at
// once and, when its account keeps mail on a server, from there by a queued expunge.
func (o TransferOp) completed(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	if o.From == nil || len(o.From.Items) == 0 {
		return nil, nil
	}
	expunge := ExpungeOp{Items: o.From.Items}
	if err := expunge.apply(ctx, tx); err != nil {
		return nil, err
	}
	if o.From.Queue {
		if err := enqueue(ctx, tx, PendingOp{Account: o.From.Account, FolderID: o.From.FolderID, Op: expunge}); err != nil {
			return nil, err
		}
	}
	return []Change{{Account: o.From.Account, FolderID: o.From.FolderID}}, nil
}

// AddQueuedMany is AddQueued for a batch of messages of one folder: it indexes them and queues the
// op that takes each to the server (an AppendOp or TransferOp; op is given the message's place in
// msgs and its new id), all in one transaction, so a batch costs one commit. The bodies must be
// stored already (PutBodies).
func (c *Cache) AddQueuedMany(ctx context.Context, folder Folder, msgs []Message, op func(i int, id int64) Op) ([]int64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(msgs))
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if err := addMessages(ctx, tx, msgs, ids); err != nil {
			return err
		}
		for i, id := range ids {
			if err := enqueue(ctx, tx, PendingOp{Account: folder.Account, FolderID: folder.ID, FolderName: folder.Name, Op: op(i, id)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add %d messages to %s: %w", len(msgs), folder.Name, err)
	}
	c.notifyMessages(msgs)
	return ids, nil
}
