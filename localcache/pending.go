package localcache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// OpKind names a change made locally that an engine must replay to the server.
type OpKind string

const (
	OpFlags        OpKind = "flags"         // set/clear flags on messages
	OpMove         OpKind = "move"          // move messages to ToFolderID
	OpExpunge      OpKind = "expunge"       // delete messages permanently
	OpCreateFolder OpKind = "create-folder" // Name
	OpRenameFolder OpKind = "rename-folder" // Name → NewName
	OpDeleteFolder OpKind = "delete-folder" // Name
	OpAppend       OpKind = "append"        // store BodyKey into FolderID (drafts)
)

// OpItem is one message an operation touches, with what undoing the operation needs.
type OpItem struct {
	MessageID int64
	UID       uint32
	UIDL      string `json:",omitempty"`
	PrevFlags Flags
}

// PendingOp is a queued local change. It survives restarts until the engine completes or refuses it.
type PendingOp struct {
	ID         int64  `json:"-"`
	Account    string `json:"-"`
	Kind       OpKind `json:"-"`
	FolderID   int64
	FolderName string    `json:",omitempty"`
	Items      []OpItem  `json:",omitempty"`
	Set, Clear Flags     `json:",omitempty"`
	ToFolderID int64     `json:",omitempty"`
	Name       string    `json:",omitempty"`
	NewName    string    `json:",omitempty"`
	BodyKey    string    `json:",omitempty"`
	Attempts   int       `json:"-"`
	LastError  string    `json:"-"`
	Created    time.Time `json:"-"`
}

func enqueue(ctx context.Context, tx *sql.Tx, op PendingOp) error {
	payload, err := json.Marshal(op)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO pending(account, kind, payload, created) VALUES (?, ?, ?, ?)`,
		op.Account, string(op.Kind), payload, time.Now().Unix())
	return err
}

// Enqueue records an operation that needs no local change beyond what the caller already did.
func (c *Cache) Enqueue(ctx context.Context, op PendingOp) error {
	if err := inTx(ctx, c.index, func(tx *sql.Tx) error { return enqueue(ctx, tx, op) }); err != nil {
		return fmt.Errorf("queue %s for %s: %w", op.Kind, op.Account, err)
	}
	return nil
}

// PendingOps returns the account's queued operations, oldest first.
func (c *Cache) PendingOps(ctx context.Context, account string) ([]PendingOp, error) {
	rows, err := c.index.QueryContext(ctx,
		`SELECT id, account, kind, payload, created, attempts, last_error FROM pending WHERE account = ? ORDER BY id`, account)
	if err != nil {
		return nil, fmt.Errorf("pending operations of %s: %w", account, err)
	}
	defer rows.Close()
	var out []PendingOp
	for rows.Next() {
		var (
			row     PendingOp
			payload []byte
			created int64
			kind    string
		)
		if err := rows.Scan(&row.ID, &row.Account, &kind, &payload, &created, &row.Attempts, &row.LastError); err != nil {
			return nil, fmt.Errorf("pending operations of %s: %w", account, err)
		}
		op := row
		if err := json.Unmarshal(payload, &op); err != nil {
			return nil, fmt.Errorf("pending operation %d of %s: %w", row.ID, account, err)
		}
		op.Kind, op.Created = OpKind(kind), time.Unix(created, 0)
		out = append(out, op)
	}
	return out, rows.Err()
}

// CompletePending removes an operation the server accepted.
func (c *Cache) CompletePending(ctx context.Context, id int64) error {
	if _, err := c.index.ExecContext(ctx, `DELETE FROM pending WHERE id = ?`, id); err != nil {
		return fmt.Errorf("complete pending operation %d: %w", id, err)
	}
	return nil
}

// RetryPending records a temporary failure; the operation stays queued.
func (c *Cache) RetryPending(ctx context.Context, id int64, cause error) error {
	if _, err := c.index.ExecContext(ctx, `UPDATE pending SET attempts = attempts + 1, last_error = ? WHERE id = ?`,
		cause.Error(), id); err != nil {
		return fmt.Errorf("record failure of pending operation %d: %w", id, err)
	}
	return nil
}

// RefusePending undoes the local effect of an operation the server refused for good, then drops it.
// Flag changes and moves are undone here; folder operations and expunges are corrected by the next
// resync, which fetches the server's state again.
func (c *Cache) RefusePending(ctx context.Context, op PendingOp) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		// One statement per operation: the items (id, flags and UID before the change) are handed
		// over as one JSON array.
		items, err := json.Marshal(op.Items)
		if err != nil {
			return err
		}
		const prev = `(SELECT json_extract(value, '$.MessageID') AS id, json_extract(value, '$.PrevFlags') AS flags,
nullif(json_extract(value, '$.UID'), 0) AS uid FROM json_each(?)) AS p`
		switch op.Kind {
		case OpFlags:
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET flags = p.flags FROM `+prev+` WHERE messages.id = p.id`,
				string(items)); err != nil {
				return err
			}
		case OpMove:
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET folder_id = ?, uid = p.uid FROM `+prev+` WHERE messages.id = p.id`,
				op.FolderID, string(items)); err != nil {
				return err
			}
			changes = append(changes, Change{Account: op.Account, FolderID: op.ToFolderID})
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM pending WHERE id = ?`, op.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("undo refused %s: %w", op.Kind, err)
	}
	c.notifyAll(append(changes, Change{Account: op.Account, FolderID: op.FolderID, Folders: true}))
	return nil
}

// group is the messages of one folder among the ids of a local change.
type group struct {
	account  string
	folderID int64
	items    []OpItem
}

// groupByFolder looks up the messages among ids (those that still exist), in the order given, in
// one query: a change of 100,000 messages costs one statement here, not 100,000.
func groupByFolder(ctx context.Context, tx *sql.Tx, ids []int64) ([]group, error) {
	list, err := idList(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.account, m.folder_id, coalesce(m.uid, 0), coalesce(m.uidl, ''), m.flags
FROM json_each(?) AS j JOIN messages AS m ON m.id = j.value ORDER BY j.key`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var groups []group
	index := map[int64]int{}
	for rows.Next() {
		var account string
		var folderID int64
		var it OpItem
		if err := rows.Scan(&it.MessageID, &account, &folderID, &it.UID, &it.UIDL, &it.PrevFlags); err != nil {
			return nil, err
		}
		i, ok := index[folderID]
		if !ok {
			i = len(groups)
			index[folderID] = i
			groups = append(groups, group{account: account, folderID: folderID})
		}
		groups[i].items = append(groups[i].items, it)
	}
	return groups, rows.Err()
}

// idList is ids as one JSON array, for `json_each(?)`: one parameter however many ids there are.
func idList(ids []int64) (string, error) {
	b, err := json.Marshal(ids)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "[]", nil
	}
	return string(b), nil
}

// ids lists the message ids of the group, for idList.
func (g group) ids() []int64 {
	out := make([]int64, len(g.items))
	for i, it := range g.items {
		out[i] = it.MessageID
	}
	return out
}

// execForGroup runs one statement for all the messages of a group; query takes the group's ids
// as its last parameter, a JSON array for json_each.
func execForGroup(ctx context.Context, tx *sql.Tx, g group, query string, args ...any) error {
	list, err := idList(g.ids())
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, query, append(args, list)...)
	return err
}

// SetFlags changes flags locally at once and, when queue is set (IMAP), records one pending operation per
// folder for the engine to replay.
func (c *Cache) SetFlags(ctx context.Context, ids []int64, set, clear Flags, queue bool) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		groups, err := groupByFolder(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if err := execForGroup(ctx, tx, g,
				`UPDATE messages SET flags = (flags | ?) & ~? WHERE id IN (SELECT value FROM json_each(?))`,
				set, clear); err != nil {
				return err
			}
			changes = append(changes, Change{Account: g.account, FolderID: g.folderID})
			if queue {
				if err := enqueue(ctx, tx, PendingOp{Account: g.account, Kind: OpFlags, FolderID: g.folderID,
					Items: g.items, Set: set, Clear: clear}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set flags: %w", err)
	}
	c.notifyAll(changes)
	return nil
}

// Move moves messages to another folder of the same account locally at once; with queue set it records
// the move for the engine. A moved IMAP message has no UID until the move is replayed.
func (c *Cache) Move(ctx context.Context, ids []int64, toFolderID int64, queue bool) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		var toAccount string
		if err := tx.QueryRowContext(ctx, `SELECT account FROM folders WHERE id = ?`, toFolderID).Scan(&toAccount); err != nil {
			return fmt.Errorf("target folder %d: %w", toFolderID, err)
		}
		groups, err := groupByFolder(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.account != toAccount {
				return fmt.Errorf("cannot move between accounts (%s to %s)", g.account, toAccount)
			}
			if g.folderID == toFolderID {
				continue
			}
			if err := execForGroup(ctx, tx, g,
				`UPDATE messages SET folder_id = ?, uid = NULL WHERE id IN (SELECT value FROM json_each(?))`,
				toFolderID); err != nil {
				return err
			}
			changes = append(changes, Change{Account: g.account, FolderID: g.folderID})
			if queue {
				if err := enqueue(ctx, tx, PendingOp{Account: g.account, Kind: OpMove, FolderID: g.folderID,
					Items: g.items, ToFolderID: toFolderID}); err != nil {
					return err
				}
			}
		}
		changes = append(changes, Change{Account: toAccount, FolderID: toFolderID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("move messages: %w", err)
	}
	c.notifyAll(changes)
	return nil
}

// Expunge deletes messages from the index at once; with queue set it records the permanent deletion
// for the engine. Bodies stay in the store.
func (c *Cache) Expunge(ctx context.Context, ids []int64, queue bool) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		groups, err := groupByFolder(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if err := execForGroup(ctx, tx, g, `DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))`); err != nil {
				return err
			}
			changes = append(changes, Change{Account: g.account, FolderID: g.folderID})
			if queue {
				if err := enqueue(ctx, tx, PendingOp{Account: g.account, Kind: OpExpunge, FolderID: g.folderID,
					Items: g.items}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete messages: %w", err)
	}
	c.notifyAll(changes)
	return nil
}
