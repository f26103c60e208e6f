package localcache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// OpKeywords adds and removes IMAP keywords ($Junk, $NotJunk, …) on messages.
const OpKeywords OpKind = "keywords"

func init() { registerOp[KeywordsOp](OpKeywords) }

// Keywords the junk actions set (RFC 5788's registry).
const (
	KeywordJunk    = "$Junk"
	KeywordNotJunk = "$NotJunk"
)

// KeywordsOp adds Add to its messages' keywords and removes Remove.
type KeywordsOp struct {
	Items  []OpItem `json:",omitempty"`
	Add    []string `json:",omitempty"`
	Remove []string `json:",omitempty"`
}

// Messages lists the messages the op touches.
func (o KeywordsOp) Messages() []OpItem { return o.Items }

func (KeywordsOp) Kind() OpKind { return OpKeywords }

// apply writes each message's new keywords, computed from those it had (PrevKeywords), in one
// statement.
func (o KeywordsOp) apply(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		ID       int64
		Keywords string
	}
	rows := make([]row, len(o.Items))
	for i, it := range o.Items {
		rows[i] = row{it.MessageID, EditKeywords(it.PrevKeywords, o.Add, o.Remove)}
	}
	list, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE messages SET keywords = k.kw FROM (SELECT json_extract(value, '$.ID') AS id,
json_extract(value, '$.Keywords') AS kw FROM json_each(?)) AS k WHERE messages.id = k.id`, string(list))
	return err
}

// undo puts back each message's keywords from before the change.
func (o KeywordsOp) undo(ctx context.Context, tx *sql.Tx, _ string, _ int64) ([]Change, error) {
	items, err := itemList(o.Items)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE messages SET keywords = coalesce(json_extract(p.value, '$.PrevKeywords'), '')
FROM json_each(?) AS p WHERE messages.id = json_extract(p.value, '$.MessageID')`, items)
	return nil, err
}

// EditKeywords adds and removes keywords in a stored keyword list (sorted, space-separated, as
// the IMAP engine stores them). IMAP compares keywords without regard to case.
func EditKeywords(have string, add, remove []string) string {
	kws := strings.Fields(have)
	kws = slices.DeleteFunc(kws, func(k string) bool {
		return slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(k, r) })
	})
	for _, a := range add {
		if !slices.ContainsFunc(kws, func(k string) bool { return strings.EqualFold(k, a) }) {
			kws = append(kws, a)
		}
	}
	slices.Sort(kws)
	return strings.Join(kws, " ")
}

// HasKeyword reports whether a stored keyword list holds kw.
func HasKeyword(have, kw string) bool {
	return slices.ContainsFunc(strings.Fields(have), func(k string) bool { return strings.EqualFold(k, kw) })
}

// SetKeywords changes keywords locally at once and, when queue is set (IMAP), records one pending
// operation per folder for the engine to replay.
func (c *Cache) SetKeywords(ctx context.Context, ids []int64, add, remove []string, queue bool) error {
	err := c.applyToMessages(ctx, ids, queue, func(g group) localOp {
		return KeywordsOp{Items: g.items, Add: add, Remove: remove}
	})
	if err != nil {
		return fmt.Errorf("set keywords %v, clear %v: %w", add, remove, err)
	}
	return nil
}
