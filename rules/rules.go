// Package rules is the model of message filters: rules with conditions on a message's headers,
// size, attachments and account, and the actions to take on a match. It decides what to do; the
// accounts package does it, through the same requests the user's actions make.
package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Field is what a condition looks at.
type Field string

const (
	FieldFrom       Field = "from"           // the sender's name and address
	FieldToCc       Field = "to_cc"          // every To and Cc recipient
	FieldSubject    Field = "subject"        // the subject
	FieldHeader     Field = "header"         // any header, named by Condition.Header
	FieldSize       Field = "size"           // the size in KB
	FieldAttachment Field = "has_attachment" // whether the message carries attachments
	FieldAccount    Field = "account"        // the account's name
)

// Fields lists every field in the order an editor offers them.
var Fields = []Field{FieldFrom, FieldToCc, FieldSubject, FieldHeader, FieldSize, FieldAttachment, FieldAccount}

// Op compares a field with a condition's value.
type Op string

const (
	OpContains    Op = "contains"
	OpNotContains Op = "not_contains"
	OpIs          Op = "is"
	OpIsNot       Op = "is_not"
	OpStartsWith  Op = "starts_with"
	OpEndsWith    Op = "ends_with"
	OpGreater     Op = "greater" // size only
	OpLess        Op = "less"    // size only
)

// OpsFor lists the comparisons a field allows. Text is compared without regard to case; for
// has_attachment "is" means it has one and "is_not" that it has none.
func OpsFor(f Field) []Op {
	switch f {
	case FieldSize:
		return []Op{OpGreater, OpLess}
	case FieldAttachment:
		return []Op{OpIs, OpIsNot}
	case FieldAccount:
		return []Op{OpIs, OpIsNot}
	default:
		return []Op{OpContains, OpNotContains, OpIs, OpIsNot, OpStartsWith, OpEndsWith}
	}
}

// Condition is one test on a message.
type Condition struct {
	Field  Field  `json:"field"`
	Header string `json:"header,omitempty"` // the header's name, for FieldHeader
	Op     Op     `json:"op"`
	Value  string `json:"value,omitempty"` // KB for FieldSize; unused for FieldAttachment
}

// ActionKind is what an action does.
type ActionKind string

const (
	ActMove     ActionKind = "move"      // to Action.Folder
	ActCopy     ActionKind = "copy"      // to Action.Folder
	ActMarkRead ActionKind = "mark_read" //
	ActFlag     ActionKind = "flag"      //
	ActTag      ActionKind = "tag"       // adds the keyword Action.Keyword
	ActDelete   ActionKind = "delete"    // to Trash
	ActJunk     ActionKind = "junk"      // marks as junk (to the Junk folder)
	ActStop     ActionKind = "stop"      // no later rule runs on the message
)

// ActionKinds lists every action in the order an editor offers them.
var ActionKinds = []ActionKind{ActMove, ActCopy, ActMarkRead, ActFlag, ActTag, ActDelete, ActJunk, ActStop}

// Folder names a folder of an account; names survive the cache being rebuilt, ids do not.
type Folder struct {
	Account string `json:"account"`
	Name    string `json:"name"`
}

// Action is one thing a matching rule does.
type Action struct {
	Kind    ActionKind `json:"kind"`
	Folder  *Folder    `json:"folder,omitempty"`  // move and copy
	Keyword string     `json:"keyword,omitempty"` // tag
}

// Moves says whether the action takes the message out of its folder.
func (a Action) Moves() bool { return a.Kind == ActMove || a.Kind == ActDelete || a.Kind == ActJunk }

// Match says whether a rule needs all of its conditions or any one.
type Match string

const (
	MatchAll Match = "all"
	MatchAny Match = "any"
)

// Rule is a named set of conditions and the actions taken when they hold.
type Rule struct {
	Name       string      `json:"name"`
	Enabled    bool        `json:"enabled"`
	Match      Match       `json:"match"`
	Conditions []Condition `json:"conditions"`
	Actions    []Action    `json:"actions"`
}

// Set is the ordered list of rules of a profile; earlier rules run first.
type Set struct {
	Rules []Rule `json:"rules"`
}

// Parse reads and validates a rules file.
func Parse(data []byte) (Set, error) {
	var s Set
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Set{}, fmt.Errorf("rules: %w", err)
	}
	if err := s.Validate(); err != nil {
		return Set{}, err
	}
	return s, nil
}

// Marshal encodes a valid set for its file.
func (s Set) Marshal() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode rules: %w", err)
	}
	return append(data, '\n'), nil
}

// Validate checks every rule, naming the first problem of each.
func (s Set) Validate() error {
	var errs []error
	for i, r := range s.Rules {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%q): %w", i+1, r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Validate checks one rule.
func (r Rule) Validate() error {
	if strings.TrimSpace(r.Name) == "" {
		return errors.New("the rule has no name")
	}
	if r.Match != MatchAll && r.Match != MatchAny {
		return fmt.Errorf("match is %q, not %q or %q", r.Match, MatchAll, MatchAny)
	}
	if len(r.Conditions) == 0 {
		return errors.New("the rule has no conditions")
	}
	for i, c := range r.Conditions {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("condition %d: %w", i+1, err)
		}
	}
	if len(r.Actions) == 0 {
		return errors.New("the rule has no actions")
	}
	for i, a := range r.Actions {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("action %d: %w", i+1, err)
		}
	}
	return nil
}

// Validate checks one condition.
func (c Condition) Validate() error {
	known := false
	for _, f := range Fields {
		known = known || f == c.Field
	}
	if !known {
		return fmt.Errorf("unknown field %q", c.Field)
	}
	allowed := false
	for _, op := range OpsFor(c.Field) {
		allowed = allowed || op == c.Op
	}
	if !allowed {
		return fmt.Errorf("%s cannot be compared with %q", c.Field, c.Op)
	}
	switch c.Field {
	case FieldHeader:
		if !validHeaderName(c.Header) {
			return fmt.Errorf("%q is not a header name", c.Header)
		}
	case FieldSize:
		if n, err := strconv.ParseInt(c.Value, 10, 64); err != nil || n < 0 {
			return fmt.Errorf("size %q is not a whole number of KB", c.Value)
		}
	case FieldAccount:
		if c.Value == "" {
			return errors.New("no account named")
		}
	}
	return nil
}

// validHeaderName: RFC 5322 field names are printable ASCII without colon or space.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' {
			return false
		}
	}
	return true
}

// Validate checks one action.
func (a Action) Validate() error {
	switch a.Kind {
	case ActMove, ActCopy:
		if a.Folder == nil || a.Folder.Account == "" || a.Folder.Name == "" {
			return fmt.Errorf("%s needs a folder", a.Kind)
		}
	case ActTag:
		if !validKeyword(a.Keyword) {
			return fmt.Errorf("%q cannot be a tag (letters, digits and $_-. only)", a.Keyword)
		}
	case ActMarkRead, ActFlag, ActDelete, ActJunk, ActStop:
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	return nil
}

// validKeyword keeps tags to what every IMAP server takes as a keyword atom.
func validKeyword(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("$_-.", r)
		if !ok {
			return false
		}
	}
	return true
}
