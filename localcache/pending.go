package localcache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// OpKind names a change made locally that an engine must replay to the server. It is stored
// with the operation and picks the decoder of its payload.
type OpKind string

// Op is one kind of queued local change: its own small payload type, in a file of its own
// (op_*.go) that registers its kind. Ops that change the cache at once also implement localOp.
type Op interface {
	Kind() OpKind
}

// localOp is an Op with a local effect: apply makes it in the cache, undo takes it back when the
// server refuses the change for good. Ops without it are corrected by the next resync.
type localOp interface {
	Op
	apply(ctx context.Context, tx *sql.Tx) error
	// undo reverts the op, which was queued for messages of folderID, and names the other folders
	// it changed.
	undo(ctx context.Context, tx *sql.Tx, account string, folderID int64) ([]Change, error)
}

// completer is an Op with a follow-up once the server has it (a move between accounts removes its
// source); CompletePending runs it in the same transaction that drops the op.
type completer interface {
	Op
	completed(ctx context.Context, tx *sql.Tx) ([]Change, error)
}

// opDecoders is the one registry from a stored kind to its payload type.
var opDecoders = map[OpKind]func([]byte) (Op, error){}

// registerOp makes kind loadable as T; each op_*.go calls it from init.
func registerOp[T Op](kind OpKind) {
	opDecoders[kind] = func(payload []byte) (Op, error) {
		var op T
		err := json.Unmarshal(payload, &op)
		return op, err
	}
}

// UnknownOp is a stored operation of a kind this build does not know; no engine can replay it.
type UnknownOp struct{ Stored OpKind }

func (o UnknownOp) Kind() OpKind { return o.Stored }

// OpItem is one message an operation touches, with what undoing the operation needs.
type OpItem struct {
	MessageID int64
	UID       uint32
	UIDL      string `json:",omitempty"`
	PrevFlags Flags
	// PrevKeywords is the message's keywords before the change (read by KeywordsOp).
	PrevKeywords string `json:",omitempty"`
}

// OpItem is the message as an operation names it (and undoing it needs).
func (m Message) OpItem() OpItem {
	return OpItem{MessageID: m.ID, UID: m.UID, UIDL: m.UIDL, PrevFlags: m.Flags}
}

// PendingOp is a queued local change: where it applies and what it is. It survives restarts until
// the engine completes or refuses it.
type PendingOp struct {
	ID         int64
	Account    string
	FolderID   int64  // the folder whose messages the op touches (zero for folder ops by name)
	FolderName string // that folder's name when queued, for when it is gone locally
	Op         Op
	Attempts   int
	LastError  string
	Created    time.Time
}

// Kind is the kind of the queued operation.
func (p PendingOp) Kind() OpKind {
	if p.Op == nil {
		return ""
	}
	return p.Op.Kind()
}

// Items lists the messages the operation touches, if it touches messages.
func (p PendingOp) Items() []OpItem {
	if m, ok := p.Op.(interface{ Messages() []OpItem }); ok {
		return m.Messages()
	}
	return nil
}

// payloadVersion is the layout of the stored payload: one JSON object holding the envelope's
// fields (V, FolderID, FolderName) next to the op's own. Records without V (version 1, written
// before ops had types of their own) use the same field names and load alike.
const payloadVersion = 2

type payloadHeader struct {
	V          int
	FolderID   int64
	FolderName string `json:",omitempty"`
}

func encodeOp(op PendingOp) ([]byte, error) {
	if op.Op == nil {
		return nil, errors.New("no operation")
	}
	head, err := json.Marshal(payloadHeader{V: payloadVersion, FolderID: op.FolderID, FolderName: op.FolderName})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(op.Op)
	if err != nil {
		return nil, err
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("%s: payload is not an object", op.Kind())
	}
	if string(body) == "{}" {
		return head, nil
	}
	// Both are objects: splice the op's fields after the header's.
	out := make([]byte, 0, len(head)+len(body))
	out = append(out, head[:len(head)-1]...)
	out = append(out, ',')
	return append(out, body[1:]...), nil
}

func decodeOp(kind OpKind, payload []byte, into *PendingOp) error {
	var head payloadHeader
	if err := json.Unmarshal(payload, &head); err != nil {
		return err
	}
	if head.V > payloadVersion {
		return fmt.Errorf("stored by a newer version (payload version %d)", head.V)
	}
	into.FolderID, into.FolderName = head.FolderID, head.FolderName
	decode, ok := opDecoders[kind]
	if !ok {
		into.Op = UnknownOp{Stored: kind}
		return nil
	}
	op, err := decode(payload)
	into.Op = op
	return err
}

func enqueue(ctx context.Context, tx *sql.Tx, op PendingOp) error {
	payload, err := encodeOp(op)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO pending(account, kind, payload, created) VALUES (?, ?, ?, ?)`,
		op.Account, string(op.Kind()), payload, time.Now().Unix())
	return err
}

// Enqueue records an operation that needs no local change beyond what the caller already did.
func (c *Cache) Enqueue(ctx context.Context, op PendingOp) error {
	if err := inTx(ctx, c.index, func(tx *sql.Tx) error { return enqueue(ctx, tx, op) }); err != nil {
		return fmt.Errorf("queue %s for %s: %w", op.Kind(), op.Account, err)
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
			op      PendingOp
			payload []byte
			created int64
			kind    string
		)
		if err := rows.Scan(&op.ID, &op.Account, &kind, &payload, &created, &op.Attempts, &op.LastError); err != nil {
			return nil, fmt.Errorf("pending operations of %s: %w", account, err)
		}
		if err := decodeOp(OpKind(kind), payload, &op); err != nil {
			return nil, fmt.Errorf("pending operation %d of %s: %w", op.ID, account, err)
		}
		op.Created = time.Unix(created, 0)
		out = append(out, op)
	}
	return out, rows.Err()
}

// PendingCount is how many operations are queued for the account.
func (c *Cache) PendingCount(ctx context.Context, account string) (int, error) {
	var n int
	if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM pending WHERE account = ?`, account).Scan(&n); err != nil {
		return 0, fmt.Errorf("pending operations of %s: %w", account, err)
	}
	return n, nil
}

// PendingSince lists the operations queued after the one with id after, by account.
func (c *Cache) PendingSince(ctx context.Context, after int64) (map[string][]int64, error) {
	rows, err := c.index.QueryContext(ctx, `SELECT id, account FROM pending WHERE id > ? ORDER BY id`, after)
	if err != nil {
		return nil, fmt.Errorf("pending operations since %d: %w", after, err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var id int64
		var account string
		if err := rows.Scan(&id, &account); err != nil {
			return nil, err
		}
		out[account] = append(out[account], id)
	}
	return out, rows.Err()
}

// LastPendingID is the id of the newest queued operation (0: none); operations queued later have
// greater ids.
func (c *Cache) LastPendingID(ctx context.Context) (int64, error) {
	var id int64
	if err := c.index.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM pending`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last pending operation: %w", err)
	}
	return id, nil
}

// CompletePending removes an operation the server accepted, with its follow-up if it has one.
func (c *Cache) CompletePending(ctx context.Context, op PendingOp) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if done, ok := op.Op.(completer); ok {
			var err error
			if changes, err = done.completed(ctx, tx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE id = ?`, op.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("complete pending %s %d: %w", op.Kind(), op.ID, err)
	}
	c.notifyAll(changes)
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
// Ops with a local effect (localOp) undo it here; folder operations and expunges are corrected by
// the next resync, which fetches the server's state again.
func (c *Cache) RefusePending(ctx context.Context, op PendingOp) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if l, ok := op.Op.(localOp); ok {
			var err error
			if changes, err = l.undo(ctx, tx, op.Account, op.FolderID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM pending WHERE id = ?`, op.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("undo refused %s: %w", op.Kind(), err)
	}
	c.notifyAll(append(changes, Change{Account: op.Account, FolderID: op.FolderID, Folders: true}))
	return nil
}

// undoPrev is the FROM clause that hands an op's items (id, flags and UID before the change) to
// one UPDATE as one JSON array: one statement per undo, however many messages.
const undoPrev = `(SELECT json_extract(value, '$.MessageID') AS id, json_extract(value, '$.PrevFlags') AS flags,
nullif(json_extract(value, '$.UID'), 0) AS uid FROM json_each(?)) AS p`

func itemList(items []OpItem) (string, error) {
	b, err := json.Marshal(items)
	return string(b), err
}

// applyPerFolder applies one local op per folder group and, when queue is set, records it for the
// engine to replay; it returns the folders changed.
func applyPerFolder(ctx context.Context, tx *sql.Tx, groups []group, queue bool, build func(group) localOp) ([]Change, error) {
	var changes []Change
	for _, g := range groups {
		op := build(g)
		if op == nil {
			continue
		}
		if err := op.apply(ctx, tx); err != nil {
			return nil, err
		}
		changes = append(changes, Change{Account: g.account, FolderID: g.folderID})
		if queue {
			if err := enqueue(ctx, tx, PendingOp{Account: g.account, FolderID: g.folderID, Op: op}); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
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
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.account, m.folder_id, coalesce(m.uid, 0), coalesce(m.uidl, ''), m.flags,
m.keywords FROM json_each(?) AS j JOIN messages AS m ON m.id = j.value ORDER BY j.key`, list)
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
		if err := rows.Scan(&it.MessageID, &account, &folderID, &it.UID, &it.UIDL, &it.PrevFlags, &it.PrevKeywords); err != nil {
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

// itemIDs lists the message ids of items as one JSON array, for `json_each(?)`.
func itemIDs(items []OpItem) (string, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.MessageID
	}
	return idList(ids)
}

// execForItems runs one statement for all the messages of items; query takes their ids as its last
// parameter, a JSON array for json_each.
func execForItems(ctx context.Context, tx *sql.Tx, items []OpItem, query string, args ...any) error {
	list, err := itemIDs(items)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, query, append(args, list)...)
	return err
}

// SetFlags changes flags locally at once and, when queue is set (IMAP), records one pending operation per
// folder for the engine to replay.
func (c *Cache) SetFlags(ctx context.Context, ids []int64, set, clear Flags, queue bool) error {
	err := c.applyToMessages(ctx, ids, queue, func(g group) localOp {
		return FlagsOp{Items: g.items, Set: set, Clear: clear}
	})
	if err != nil {
		return fmt.Errorf("set flags: %w", err)
	}
	return nil
}

// applyToMessages applies the op build makes for each folder's messages among ids in one
// transaction, queues it when queue is set, and announces the changed folders.
func (c *Cache) applyToMessages(ctx context.Context, ids []int64, queue bool, build func(group) localOp) error {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		groups, err := groupByFolder(ctx, tx, ids)
		if err != nil {
			return err
		}
		changes, err = applyPerFolder(ctx, tx, groups, queue, build)
		return err
	})
	if err != nil {
		return err
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
		}
		changes, err = applyPerFolder(ctx, tx, groups, queue, func(g group) localOp {
			if g.folderID == toFolderID {
				return nil
			}
			return MoveOp{Items: g.items, ToFolderID: toFolderID}
		})
		changes = append(changes, Change{Account: toAccount, FolderID: toFolderID})
		return err
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
	err := c.applyToMessages(ctx, ids, queue, func(g group) localOp { return ExpungeOp{Items: g.items} })
	if err != nil {
		return fmt.Errorf("delete messages: %w", err)
	}
	return nil
}
