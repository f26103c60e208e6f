package localcache

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Filter is a parsed search: every part must match (AND). Words match as prefixes and phrases as
// consecutive words in subject, addresses and downloaded body text; the operators match the index.
type Filter struct {
	Words   []string
	Phrases []string // each phrase's words, joined by one space
	// From, To and Subject match as substrings (To also covers Cc).
	From, To, Subject []string
	HasAttachment     bool
	Unread, Read      bool
	Flagged           bool
	// Before is exclusive and After inclusive (after:2025-01-01 includes that day), as in most
	// mail programs; both are local midnights, zero when not given.
	Before, After time.Time
}

// QueryErrorKind says what is wrong with an operator, so that a caller can say it in its language.
type QueryErrorKind int

const (
	// QueryNoValue: an operator without a value ("from:").
	QueryNoValue QueryErrorKind = iota + 1
	// QueryBadDate: before: or after: with something that is not YYYY-MM-DD.
	QueryBadDate
	// QueryUnknownValue: has: or is: with a value they do not know.
	QueryUnknownValue
)

// ErrBadQuery is wrapped by every *QueryError.
var ErrBadQuery = errors.New("bad search query")

// QueryError is an operator ParseQuery cannot use.
type QueryError struct {
	Kind     QueryErrorKind
	Operator string // without the colon
	Value    string
}

func (e *QueryError) Error() string {
	switch e.Kind {
	case QueryNoValue:
		return fmt.Sprintf("%s: needs a value", e.Operator)
	case QueryBadDate:
		return fmt.Sprintf("%s:%s is not a date (write YYYY-MM-DD)", e.Operator, e.Value)
	default:
		return fmt.Sprintf("%s:%s is not known (%s)", e.Operator, e.Value, operatorValues[e.Operator])
	}
}

func (e *QueryError) Unwrap() error { return ErrBadQuery }

// operatorValues lists what has: and is: accept, for error messages.
var operatorValues = map[string]string{"has": "has:attachment", "is": "is:unread, is:read or is:flagged"}

// ParseQuery reads what a user typed into the search box: free words, "quoted phrases" and the
// operators from:, to:, subject:, has:attachment, is:unread, is:read, is:flagged,
// before:YYYY-MM-DD and after:YYYY-MM-DD (a value may be quoted: from:"Ann Lee"). A word with a
// colon that is no operator ("re:", a URL) is searched as words.
func ParseQuery(text string) (Filter, error) {
	var f Filter
	for _, tok := range tokenize(text) {
		if tok.quoted && tok.key == "" {
			if p := strings.Join(searchWords(tok.value), " "); p != "" {
				f.Phrases = append(f.Phrases, p)
			}
			continue
		}
		if tok.key == "" {
			f.Words = append(f.Words, searchWords(tok.value)...)
			continue
		}
		if err := f.operator(strings.ToLower(tok.key), tok.value); err != nil {
			return Filter{}, err
		}
	}
	return f, nil
}

func (f *Filter) operator(key, value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return &QueryError{Kind: QueryNoValue, Operator: key}
	}
	switch key {
	case "from":
		f.From = append(f.From, value)
	case "to":
		f.To = append(f.To, value)
	case "subject":
		f.Subject = append(f.Subject, value)
	case "has":
		switch strings.ToLower(value) {
		case "attachment", "attachments":
			f.HasAttachment = true
		default:
			return &QueryError{Kind: QueryUnknownValue, Operator: key, Value: value}
		}
	case "is":
		switch strings.ToLower(value) {
		case "unread":
			f.Unread = true
		case "read":
			f.Read = true
		case "flagged", "starred":
			f.Flagged = true
		default:
			return &QueryError{Kind: QueryUnknownValue, Operator: key, Value: value}
		}
	case "before", "after":
		d, err := time.ParseInLocation("2006-01-02", value, time.Local)
		if err != nil {
			return &QueryError{Kind: QueryBadDate, Operator: key, Value: value}
		}
		if key == "before" {
			f.Before = d
		} else {
			f.After = d
		}
	}
	return nil
}

// operators are the keys ParseQuery knows; anything else before a colon is a word.
var operators = map[string]bool{"from": true, "to": true, "subject": true, "has": true, "is": true,
	"before": true, "after": true}

type queryToken struct {
	key, value string
	quoted     bool
}

// tokenize splits text at spaces outside quotes. An unclosed quote runs to the end of the text, so
// half-typed input still searches.
func tokenize(text string) []queryToken {
	var out []queryToken
	rs := []rune(text)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		var tok queryToken
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '"' && rs[i] != ':' {
			i++
		}
		if i < len(rs) && rs[i] == ':' && operators[strings.ToLower(string(rs[start:i]))] {
			tok.key = string(rs[start:i])
			i++
			start = i
		} else {
			i = start
		}
		if i < len(rs) && rs[i] == '"' {
			end := i + 1
			for end < len(rs) && rs[end] != '"' {
				end++
			}
			tok.value, tok.quoted = string(rs[i+1:end]), true
			i = min(end+1, len(rs))
		} else {
			// Never empty unless after a key ("from: ann"): a token starts at a non-space, and a
			// quote is taken above.
			for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '"' {
				i++
			}
			tok.value = string(rs[start:i])
		}
		out = append(out, tok)
	}
	return out
}

// searchWords splits text into the words the full-text index holds.
func searchWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '@' && r != '.' && r != '_' && r != '-'
	}) {
		if w = strings.Trim(w, ".-_@"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// Empty reports whether the filter matches nothing in particular.
func (f Filter) Empty() bool {
	return len(f.Words) == 0 && len(f.Phrases) == 0 && len(f.From) == 0 && len(f.To) == 0 &&
		len(f.Subject) == 0 && !f.HasAttachment && !f.Unread && !f.Read && !f.Flagged &&
		f.Before.IsZero() && f.After.IsZero()
}

// ftsMatch is the FTS5 query of the words and phrases, "" when there are none. Quoting each word
// keeps FTS5 operators and punctuation in user input from being parsed as syntax.
func (f Filter) ftsMatch() string {
	var parts []string
	for _, w := range f.Words {
		parts = append(parts, ftsString(w)+"*")
	}
	for _, p := range f.Phrases {
		parts = append(parts, ftsString(p))
	}
	return strings.Join(parts, " ")
}

func ftsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// conditions is the filter's operators as SQL over "messages m", each starting with " AND ".
func (f Filter) conditions() (string, []any) {
	var sb strings.Builder
	var args []any
	like := func(cols []string, values []string) {
		for _, v := range values {
			pat := "%" + escapeLike(v) + "%"
			sb.WriteString(" AND (")
			for i, col := range cols {
				if i > 0 {
					sb.WriteString(" OR ")
				}
				sb.WriteString(col + ` LIKE ? ESCAPE '\'`)
				args = append(args, pat)
			}
			sb.WriteString(")")
		}
	}
	like([]string{"m.from_name", "m.from_addr"}, f.From)
	like([]string{"m.to_addrs", "m.cc_addrs"}, f.To)
	like([]string{"m.subject"}, f.Subject)
	if f.HasAttachment {
		sb.WriteString(" AND m.has_attachment != 0")
	}
	if f.Unread {
		sb.WriteString(" AND (m.flags & 9) = 0") // neither seen nor deleted, as the folder counts
	}
	if f.Read {
		sb.WriteString(" AND (m.flags & 1) != 0")
	}
	if f.Flagged {
		sb.WriteString(" AND (m.flags & 4) != 0")
	}
	if !f.Before.IsZero() {
		sb.WriteString(" AND m.date < ?")
		args = append(args, f.Before.Unix())
	}
	if !f.After.IsZero() {
		sb.WriteString(" AND m.date >= ?")
		args = append(args, f.After.Unix())
	}
	return sb.String(), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
