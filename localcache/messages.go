package localcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Flags are the system flags of a message, as bits.
type Flags uint32

const (
	FlagSeen Flags = 1 << iota
	FlagAnswered
	FlagFlagged
	FlagDeleted
	FlagDraft
)

// Has reports whether every bit of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Message is one entry of the index. The identity is (Account, FolderID, UIDValidity, UID) for IMAP and
// (Account, UIDL) for POP3; ID is the stable local id.
type Message struct {
	ID            int64
	Account       string
	FolderID      int64
	UID           uint32 // 0: none (POP3, or an IMAP message whose move is not replayed yet)
	UIDValidity   uint32
	UIDL          string
	MessageID     string
	InReplyTo     string
	References    string
	ThreadKey     string
	Subject       string
	FromName      string
	FromAddr      string
	To            string
	Cc            string
	Date          time.Time
	Size          int64
	Flags         Flags
	Keywords      string
	HasAttachment bool
	Snippet       string
	BodyKey       string // "" until the body is stored
	ModSeq        uint64

	// BodyText is written to the full-text index by AddMessages; it is not read back.
	BodyText string
	// DeferIndex tells AddMessages that LinkBodies follows soon with the body: the full-text entry
	// is then written once, whole, instead of headers now and everything again later. Whatever
	// stays without a body is indexed by its headers by IndexPending.
	DeferIndex bool

	baseSubject string // set by threader.resolve for the insert
}

// messageCols are read from "messages m" in every query.
const messageCols = `m.id, m.account, m.folder_id, coalesce(m.uid, 0), m.uidvalidity, coalesce(m.uidl, ''), m.message_id,
m.in_reply_to, m.refs, m.thread_key, m.subject, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.date, m.size, m.flags,
m.keywords, m.has_attachment, m.snippet, m.body_key, m.modseq`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var date int64
	err := row.Scan(&m.ID, &m.Account, &m.FolderID, &m.UID, &m.UIDValidity, &m.UIDL, &m.MessageID, &m.InReplyTo,
		&m.References, &m.ThreadKey, &m.Subject, &m.FromName, &m.FromAddr, &m.To, &m.Cc, &date, &m.Size, &m.Flags,
		&m.Keywords, &m.HasAttachment, &m.Snippet, &m.BodyKey, &m.ModSeq)
	m.Date = time.Unix(date, 0)
	return m, err
}

func scanMessages(rows *sql.Rows) ([]Message, error) {
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func nullUID(uid uint32) any {
	if uid == 0 {
		return nil
	}
	return uid
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AddMessages inserts messages in one transaction and returns their ids. An IMAP message whose
// (folder, UID) is already cached is updated instead (flags, envelope, body key when given).
func (c *Cache) AddMessages(ctx context.Context, msgs []Message) ([]int64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(msgs))
	err := inTx(ctx, c.index, func(tx *sql.Tx) error { return addMessages(ctx, tx, msgs, ids) })
	if err != nil {
		return nil, fmt.Errorf("add messages: %w", err)
	}
	c.notifyMessages(msgs)
	return ids, nil
}

// AddQueued inserts one message and, in the same transaction, the operation queued (made from the
// message's new id) that takes it to the server: a crash leaves both or neither, never a copy here
// that the server is not going to get.
func (c *Cache) AddQueued(ctx context.Context, msg Message, queued func(id int64) PendingOp) (int64, error) {
	ids := make([]int64, 1)
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if err := addMessages(ctx, tx, []Message{msg}, ids); err != nil {
			return err
		}
		return enqueue(ctx, tx, queued(ids[0]))
	})
	if err != nil {
		return 0, fmt.Errorf("add message: %w", err)
	}
	c.notifyMessages([]Message{msg})
	return ids[0], nil
}

// addMessages is AddMessages within tx; ids receives the messages' ids.
func addMessages(ctx context.Context, tx *sql.Tx, msgs []Message, ids []int64) error {
	ins, err := tx.PrepareContext(ctx, `
INSERT INTO messages(account, folder_id, uid, uidvalidity, uidl, message_id, in_reply_to, refs, thread_key, subject,
	from_name, from_addr, to_addrs, cc_addrs, date, size, flags, keywords, has_attachment, snippet, body_key, modseq, indexed,
	base_subject)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(folder_id, uid) WHERE uid IS NOT NULL DO UPDATE SET
	indexed = max(indexed, excluded.indexed),
	flags = excluded.flags, keywords = excluded.keywords, modseq = excluded.modseq,
	subject = excluded.subject, from_name = excluded.from_name, from_addr = excluded.from_addr,
	to_addrs = excluded.to_addrs, cc_addrs = excluded.cc_addrs, date = excluded.date, size = excluded.size,
	message_id = excluded.message_id, in_reply_to = excluded.in_reply_to, refs = excluded.refs,
	thread_key = excluded.thread_key, base_subject = excluded.base_subject, has_attachment = excluded.has_attachment,
	snippet = CASE WHEN excluded.snippet != '' THEN excluded.snippet ELSE snippet END,
	body_key = CASE WHEN excluded.body_key != '' THEN excluded.body_key ELSE body_key END
RETURNING id`)
	if err != nil {
		return err
	}
	defer ins.Close()
	fts, err := tx.PrepareContext(ctx,
		`INSERT OR REPLACE INTO messages_fts(rowid, subject, addresses, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer fts.Close()
	th, err := newThreader(ctx, tx)
	if err != nil {
		return err
	}
	defer th.Close()
	for i, m := range msgs {
		if m.Date.IsZero() {
			m.Date = time.Unix(0, 0)
		}
		if err := th.resolve(ctx, &m); err != nil {
			return err
		}
		err := ins.QueryRowContext(ctx, m.Account, m.FolderID, nullUID(m.UID), m.UIDValidity, nullString(m.UIDL),
			m.MessageID, m.InReplyTo, m.References, m.ThreadKey, m.Subject, m.FromName, m.FromAddr, m.To, m.Cc,
			m.Date.Unix(), m.Size, m.Flags, m.Keywords, m.HasAttachment, m.Snippet, m.BodyKey, m.ModSeq, !m.DeferIndex,
			m.baseSubject).Scan(&ids[i])
		if err != nil {
			return fmt.Errorf("insert message %q: %w", m.Subject, err)
		}
		if m.ThreadKey == "" {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET thread_key = ? WHERE id = ?`, threadKeyOr("", ids[i]), ids[i]); err != nil {
				return fmt.Errorf("thread of message %d: %w", ids[i], err)
			}
		}
		if m.DeferIndex {
			continue
		}
		if _, err := fts.ExecContext(ctx, ids[i], m.Subject, addressText(m), m.BodyText); err != nil {
			return fmt.Errorf("index message %d: %w", ids[i], err)
		}
	}
	return nil
}

func addressText(m Message) string {
	return strings.Join([]string{m.FromName, m.FromAddr, m.To, m.Cc}, " ")
}

func (c *Cache) notifyMessages(msgs []Message) {
	seen := map[int64]bool{}
	for _, m := range msgs {
		if !seen[m.FolderID] {
			seen[m.FolderID] = true
			c.notify(Change{Account: m.Account, FolderID: m.FolderID})
		}
	}
}

// Message returns one message by local id.
func (c *Cache) Message(ctx context.Context, id int64) (Message, error) {
	m, err := scanMessage(c.index.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages m WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// MessageByUID returns the message with that UID in the folder.
func (c *Cache) MessageByUID(ctx context.Context, folderID int64, uid uint32) (Message, error) {
	m, err := scanMessage(c.index.QueryRowContext(ctx,
		`SELECT `+messageCols+` FROM messages m WHERE folder_id = ? AND uid = ?`, folderID, uid))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("uid %d in folder %d: %w", uid, folderID, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("uid %d in folder %d: %w", uid, folderID, err)
	}
	return m, nil
}

// Page returns up to limit messages of the folders, newest first, after the cursor (nil: from the
// newest). It uses keyset paging on (date, id), so any page costs the same whatever its depth.
func (c *Cache) Page(ctx context.Context, folderIDs []int64, after *Cursor, limit int) ([]Message, error) {
	return c.PageSorted(ctx, folderIDs, Sort{}, after, limit)
}

// PageSorted is Page in the order s; the cursor comes from s.CursorOf or PageMarksSorted.
func (c *Cache) PageSorted(ctx context.Context, folderIDs []int64, s Sort, after *Cursor, limit int) ([]Message, error) {
	if len(folderIDs) == 0 {
		return nil, nil
	}
	q, args, err := pageQuery(messageCols, folderIDs, s, after, limit)
	if err != nil {
		return nil, fmt.Errorf("page folders %v: %w", folderIDs, err)
	}
	rows, err := c.index.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("page folders %v: %w", folderIDs, err)
	}
	msgs, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("page folders %v: %w", folderIDs, err)
	}
	return msgs, nil
}

// PageIDs is Page for the ids alone, read from the index without the rows (selecting a range of
// 100,000 messages).
func (c *Cache) PageIDs(ctx context.Context, folderIDs []int64, after *Cursor, limit int) ([]int64, error) {
	return c.PageIDsSorted(ctx, folderIDs, Sort{}, after, limit)
}

// PageIDsSorted is PageIDs in the order s.
func (c *Cache) PageIDsSorted(ctx context.Context, folderIDs []int64, s Sort, after *Cursor, limit int) ([]int64, error) {
	if len(folderIDs) == 0 {
		return nil, nil
	}
	q, args, err := pageQuery("m.id", folderIDs, s, after, limit)
	if err != nil {
		return nil, fmt.Errorf("page ids of folders %v: %w", folderIDs, err)
	}
	rows, err := c.index.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("page ids of folders %v: %w", folderIDs, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("page ids of folders %v: %w", folderIDs, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func pageQuery(cols string, folderIDs []int64, s Sort, after *Cursor, limit int) (string, []any, error) {
	if err := checkSort(s); err != nil {
		return "", nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	cond, cargs := "", []any(nil)
	if after != nil {
		cond, cargs = s.after(after)
	}
	if len(folderIDs) == 1 || len(folderIDs) > maxMergedFolders || limit > maxMergedLimit {
		in, args := folderList(folderIDs)
		q := `SELECT ` + cols + ` FROM messages m WHERE folder_id IN (` + in + `)` + cond + s.orderBy() + ` LIMIT ?`
		return q, append(append(args, cargs...), limit), nil
	}
	// A page of several folders (All inboxes): each folder's page is a seek of its own index, and
	// only those pages are sorted together. One query over the IN list would sort every message of
	// the folders for the first page (130 ms for 100k by sender; 4 ms this way).
	parts := make([]string, len(folderIDs))
	var args []any
	for i, id := range folderIDs {
		parts[i] = `SELECT id FROM (SELECT id FROM messages WHERE folder_id = ?` + cond + s.orderBy() + ` LIMIT ?)`
		args = append(append(append(args, id), cargs...), limit)
	}
	q := `SELECT ` + cols + ` FROM messages m WHERE m.id IN (` + strings.Join(parts, " UNION ALL ") + `)` + s.orderBy() + ` LIMIT ?`
	return q, append(args, limit), nil
}

// pageQuery merges per-folder pages for at most maxMergedFolders folders (SQLite allows 500 terms
// in a compound SELECT) and pages of at most maxMergedLimit rows; a longer read (selecting 100,000
// ids) would only sort the same rows twice.
const (
	maxMergedFolders = 64
	maxMergedLimit   = 1000
)

// folderList is "?, ?, …" for an IN list of the folders, with their ids as arguments.
func folderList(folderIDs []int64) (string, []any) {
	args := make([]any, len(folderIDs), len(folderIDs)+5)
	for i, id := range folderIDs {
		args[i] = id
	}
	return "?" + strings.Repeat(", ?", len(folderIDs)-1), args
}

// UIDState is a cached message's UID, flags and local id, for comparing against the server.
type UIDState struct {
	ID      int64
	UID     uint32
	Flags   Flags
	ModSeq  uint64
	HasBody bool
}

// FolderUIDs returns every cached message with a UID in the folder, by UID ascending.
func (c *Cache) FolderUIDs(ctx context.Context, folderID int64) ([]UIDState, error) {
	var out []UIDState
	err := c.scanUIDStates(ctx, folderID, `SELECT id, uid, flags, modseq, body_key != '' FROM messages
WHERE folder_id = ? AND uid IS NOT NULL ORDER BY uid`, []any{folderID}, func(s UIDState) { out = append(out, s) })
	return out, err
}

// UIDStates returns the cached messages of the folder with the given UIDs, by UID; UIDs not
// cached are left out.
func (c *Cache) UIDStates(ctx context.Context, folderID int64, uids []uint32) (map[uint32]UIDState, error) {
	out := make(map[uint32]UIDState, len(uids))
	err := forChunks(uids, []any{folderID}, func(in string, args []any) error {
		return c.scanUIDStates(ctx, folderID, `SELECT id, uid, flags, modseq, body_key != '' FROM messages
WHERE folder_id = ? AND uid IN (`+in+`)`, args, func(s UIDState) { out[s.UID] = s })
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Cache) scanUIDStates(ctx context.Context, folderID int64, query string, args []any, fn func(UIDState)) error {
	rows, err := c.index.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("uids of folder %d: %w", folderID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s UIDState
		if err := rows.Scan(&s.ID, &s.UID, &s.Flags, &s.ModSeq, &s.HasBody); err != nil {
			return fmt.Errorf("uids of folder %d: %w", folderID, err)
		}
		fn(s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("uids of folder %d: %w", folderID, err)
	}
	return nil
}

// CountUIDs counts the folder's cached messages that have a UID (from the index alone).
func (c *Cache) CountUIDs(ctx context.Context, folderID int64) (int, error) {
	var n int
	if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE folder_id = ? AND uid IS NOT NULL`, folderID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count uids of folder %d: %w", folderID, err)
	}
	return n, nil
}

// FlagUpdate is a flag state the server reported for a UID.
type FlagUpdate struct {
	UID      uint32
	Flags    Flags
	Keywords string
	ModSeq   uint64
}

// ApplyServerFlags stores flags reported by the server; unknown UIDs are ignored.
func (c *Cache) ApplyServerFlags(ctx context.Context, folderID int64, updates []FlagUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	var account string
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT account FROM folders WHERE id = ?`, folderID).Scan(&account); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx,
			`UPDATE messages SET flags = ?, keywords = ?, modseq = max(modseq, ?) WHERE folder_id = ? AND uid = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, u := range updates {
			if _, err := st.ExecContext(ctx, u.Flags, u.Keywords, u.ModSeq, folderID, u.UID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply server flags to folder %d: %w", folderID, err)
	}
	c.notify(Change{Account: account, FolderID: folderID})
	return nil
}

// RemoveUIDs drops messages the server expunged.
func (c *Cache) RemoveUIDs(ctx context.Context, folderID int64, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	var account string
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT account FROM folders WHERE id = ?`, folderID).Scan(&account); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `DELETE FROM messages WHERE folder_id = ? AND uid = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, uid := range uids {
			if _, err := st.ExecContext(ctx, folderID, uid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove expunged uids from folder %d: %w", folderID, err)
	}
	c.notify(Change{Account: account, FolderID: folderID})
	return nil
}

// SetUID records the UID a message got on the server (after a replayed move or append).
func (c *Cache) SetUID(ctx context.Context, id int64, uid, uidValidity uint32) error {
	if _, err := c.index.ExecContext(ctx, `UPDATE messages SET uid = ?, uidvalidity = ? WHERE id = ?`,
		uid, uidValidity, id); err != nil {
		return fmt.Errorf("set uid of message %d: %w", id, err)
	}
	return nil
}

// RemoveMessages drops index entries by local id (their bodies stay in the store).
func (c *Cache) RemoveMessages(ctx context.Context, ids []int64) error {
	changed, err := c.forEachID(ctx, ids, `DELETE FROM messages WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("remove messages: %w", err)
	}
	c.notifyAll(changed)
	return nil
}

// forEachID runs one statement per id in a transaction and returns the changed folders.
func (c *Cache) forEachID(ctx context.Context, ids []int64, stmt string, extra ...any) ([]Change, error) {
	var changes []Change
	err := inTx(ctx, c.index, func(tx *sql.Tx) error {
		var err error
		changes, err = foldersOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, stmt)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			if _, err := st.ExecContext(ctx, append(append([]any{}, extra...), id)...); err != nil {
				return err
			}
		}
		return nil
	})
	return changes, err
}

func foldersOf(ctx context.Context, tx *sql.Tx, ids []int64) ([]Change, error) {
	seen := map[int64]bool{}
	var out []Change
	for _, id := range ids {
		var ch Change
		err := tx.QueryRowContext(ctx, `SELECT account, folder_id FROM messages WHERE id = ?`, id).Scan(&ch.Account, &ch.FolderID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !seen[ch.FolderID] {
			seen[ch.FolderID] = true
			out = append(out, ch)
		}
	}
	return out, nil
}

// UnreadCount returns the folder's unread count (kept by triggers: one row read).
func (c *Cache) UnreadCount(ctx context.Context, folderID int64) (int, error) {
	var n int
	if err := c.index.QueryRowContext(ctx, `SELECT unread FROM folders WHERE id = ?`, folderID).Scan(&n); err != nil {
		return 0, fmt.Errorf("unread count of folder %d: %w", folderID, err)
	}
	return n, nil
}

// MessagesByMessageID finds an account's messages with that Message-ID header (sent-copy and
// duplicate detection).
func (c *Cache) MessagesByMessageID(ctx context.Context, account, messageID string) ([]Message, error) {
	rows, err := c.index.QueryContext(ctx,
		`SELECT `+messageCols+` FROM messages m WHERE account = ? AND message_id = ?`, account, messageID)
	if err != nil {
		return nil, fmt.Errorf("find message-id %q: %w", messageID, err)
	}
	msgs, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("find message-id %q: %w", messageID, err)
	}
	return msgs, nil
}

// IndexedBodyKeys returns the body keys of the account's messages with any of the given
// Message-IDs: what is in the index already of messages about to be added again.
func (c *Cache) IndexedBodyKeys(ctx context.Context, account string, messageIDs []string) (map[string]bool, error) {
	keys, err := c.bodyKeysOf(ctx, "account = ?", []any{account}, messageIDs)
	if err != nil {
		return nil, fmt.Errorf("find indexed bodies: %w", err)
	}
	return keys, nil
}

// bodyKeysOf returns the body keys of the messages matching where (with args) whose Message-ID is
// one of messageIDs.
func (c *Cache) bodyKeysOf(ctx context.Context, where string, args []any, messageIDs []string) (map[string]bool, error) {
	keys := map[string]bool{}
	err := forChunks(messageIDs, args, func(in string, args []any) error {
		rows, err := c.index.QueryContext(ctx, `SELECT body_key FROM messages WHERE `+where+` AND body_key != ''
AND message_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			keys[k] = true
		}
		return rows.Err()
	})
	return keys, err
}

// forChunks calls fn for successive parts of vals with "?, ?, …" for an IN list and the part's
// values after lead as arguments, so that no statement takes too many parameters.
func forChunks[T any](vals []T, lead []any, fn func(in string, args []any) error) error {
	const chunk = 500
	for len(vals) > 0 {
		part := vals[:min(chunk, len(vals))]
		vals = vals[len(part):]
		args := slices.Clone(lead)
		for _, v := range part {
			args = append(args, v)
		}
		if err := fn("?"+strings.Repeat(", ?", len(part)-1), args); err != nil {
			return err
		}
	}
	return nil
}

// MessagesWithoutBody lists messages of the folder dated after since that have no stored body,
// newest first, for downloading a recent window.
func (c *Cache) MessagesWithoutBody(ctx context.Context, folderID int64, since time.Time, limit int) ([]Message, error) {
	rows, err := c.index.QueryContext(ctx, `SELECT `+messageCols+` FROM messages m
WHERE folder_id = ? AND body_key = '' AND uid IS NOT NULL AND date >= ? ORDER BY date DESC, id DESC LIMIT ?`,
		folderID, since.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("messages without body in folder %d: %w", folderID, err)
	}
	msgs, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("messages without body in folder %d: %w", folderID, err)
	}
	return msgs, nil
}
