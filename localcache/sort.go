package localcache

import (
	"fmt"
	"strings"
	"time"
)

// SortKey is what a message list is ordered by.
type SortKey string

const (
	SortDate    SortKey = "date"
	SortSender  SortKey = "sender"
	SortSubject SortKey = "subject"
	SortSize    SortKey = "size"
	SortUnread  SortKey = "unread"  // unread messages, then read ones
	SortFlagged SortKey = "flagged" // flagged messages, then the others
)

// SortKeys lists every order, for menus.
var SortKeys = []SortKey{SortDate, SortSender, SortSubject, SortSize, SortUnread, SortFlagged}

// Sort is a message list's order. Ties are broken by date, then by local id, in the same
// direction as the key: one direction for the whole row value lets every order seek its index
// (see sortExprs), so a page deep down costs what the first does. The zero Sort is newest first.
type Sort struct {
	Key       SortKey `json:"key,omitempty"`
	Ascending bool    `json:"ascending,omitempty"`
}

// DefaultSort is the order a key starts in when chosen: newest, largest, unread and flagged
// first; sender and subject A to Z.
func DefaultSort(k SortKey) Sort {
	return Sort{Key: k, Ascending: k == SortSender || k == SortSubject}
}

// sortExprs is each key's column: the generated columns of migration 3 (CursorOf computes them
// alike in Go), each with an index on (folder_id, key, date, id).
var sortExprs = map[SortKey]string{
	SortSender:  `sort_sender`,
	SortSubject: `sort_subject`,
	SortSize:    `size`,
	SortUnread:  `sort_unread`,
	SortFlagged: `sort_flagged`,
}

// valid reports whether the sort names a known key ("" is date).
func (s Sort) valid() bool {
	_, ok := sortExprs[s.Key]
	return ok || s.Key == "" || s.Key == SortDate
}

// columns is the ORDER BY row value of the sort: (expr, date, id), or (date, id) by date.
func (s Sort) columns() []string {
	if e, ok := sortExprs[s.Key]; ok {
		return []string{e, "date", "id"}
	}
	return []string{"date", "id"}
}

// orderBy is the ORDER BY clause of the sort.
func (s Sort) orderBy() string {
	dir := " DESC"
	if s.Ascending {
		dir = " ASC"
	}
	cols := s.columns()
	for i := range cols {
		cols[i] += dir
	}
	return " ORDER BY " + strings.Join(cols, ", ")
}

// after is the keyset condition for rows after the cursor: a row-value comparison, which SQLite
// answers by seeking the sort's index.
func (s Sort) after(c *Cursor) (string, []any) {
	op := "<"
	if s.Ascending {
		op = ">"
	}
	cols := s.columns()
	marks := "?" + strings.Repeat(", ?", len(cols)-1)
	args := []any{c.Date.Unix(), c.ID}
	if len(cols) == 3 {
		args = append([]any{c.Key}, args...)
	}
	return ` AND (` + strings.Join(cols, ", ") + `) ` + op + ` (` + marks + `)`, args
}

// Cursor marks a position in a list of folders in some order: after the message with this key,
// date and id.
type Cursor struct {
	Key  any // the sort key's value (nil by date)
	Date time.Time
	ID   int64
}

// CursorOf returns the cursor just after m in the order s, for the next page. It computes the key
// as the generated columns of migration 3 do in SQL.
func (s Sort) CursorOf(m Message) *Cursor {
	c := &Cursor{Date: m.Date, ID: m.ID}
	switch s.Key {
	case SortSender:
		name := m.FromName
		if name == "" {
			name = m.FromAddr
		}
		c.Key = asciiLower(name)
	case SortSubject:
		c.Key = asciiLower(m.Subject)
	case SortSize:
		c.Key = m.Size
	case SortUnread:
		c.Key = boolKey(m.Flags&(FlagSeen|FlagDeleted) == 0)
	case SortFlagged:
		c.Key = boolKey(m.Flags.Has(FlagFlagged))
	}
	return c
}

// CursorOf returns the cursor just after m, newest first.
func CursorOf(m Message) *Cursor { return Sort{}.CursorOf(m) }

func boolKey(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// asciiLower is SQLite's lower(): without ICU it folds ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// checkSort refuses an order this build does not know (a settings file from a newer one).
func checkSort(s Sort) error {
	if !s.valid() {
		return fmt.Errorf("unknown sort order %q", s.Key)
	}
	return nil
}
