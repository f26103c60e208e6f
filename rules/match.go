package rules

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/textproto"
	"strconv"
	"strings"
)

// Message is what conditions look at.
type Message struct {
	Account       string
	From          string // "Name <address>"
	To, Cc        string
	Subject       string
	Size          int64 // bytes
	HasAttachment bool
	// Header holds the message's header fields; nil when the header is not at hand, and then
	// header conditions do not hold.
	Header textproto.MIMEHeader
}

// ParseHeader reads the header block at the start of a raw message, decoding RFC 2047 words. A
// damaged header yields the fields read before the damage.
func ParseHeader(raw []byte) textproto.MIMEHeader {
	if end := bytes.Index(raw, []byte("\r\n\r\n")); end >= 0 {
		raw = raw[:end+4]
	} else if end := bytes.Index(raw, []byte("\n\n")); end >= 0 {
		raw = raw[:end+2]
	}
	h, _ := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(raw), strings.NewReader("\r\n\r\n")))).ReadMIMEHeader()
	if h == nil {
		h = textproto.MIMEHeader{}
	}
	var dec mime.WordDecoder // UTF-8 and Latin-1; a word in another charset stays encoded
	for k, vs := range h {
		for i, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				vs[i] = d
			}
		}
		h[k] = vs
	}
	return h
}

// Matches says whether the rule's conditions hold for msg (ignoring whether it is enabled).
func (r Rule) Matches(msg Message) bool {
	for _, c := range r.Conditions {
		ok := c.Holds(msg)
		if ok && r.Match == MatchAny {
			return true
		}
		if !ok && r.Match == MatchAll {
			return false
		}
	}
	return r.Match == MatchAll && len(r.Conditions) > 0
}

// Holds says whether one condition holds for msg.
func (c Condition) Holds(msg Message) bool {
	switch c.Field {
	case FieldFrom:
		return compareText(c.Op, msg.From, c.Value)
	case FieldToCc:
		return compareAny(c.Op, []string{msg.To, msg.Cc}, c.Value)
	case FieldSubject:
		return compareText(c.Op, msg.Subject, c.Value)
	case FieldHeader:
		if msg.Header == nil {
			return false
		}
		return compareAny(c.Op, msg.Header.Values(c.Header), c.Value)
	case FieldSize:
		kb, err := strconv.ParseInt(c.Value, 10, 64)
		if err != nil {
			return false
		}
		if c.Op == OpGreater {
			return msg.Size > kb*1024
		}
		return c.Op == OpLess && msg.Size < kb*1024
	case FieldAttachment:
		return msg.HasAttachment == (c.Op == OpIs)
	case FieldAccount:
		return (msg.Account == c.Value) == (c.Op == OpIs)
	}
	return false
}

// compareAny compares several values: a negative comparison holds when it holds for all of them
// (no recipient contains the text), a positive one when it holds for any.
func compareAny(op Op, values []string, want string) bool {
	negative := op == OpNotContains || op == OpIsNot
	for _, v := range values {
		if ok := compareText(op, v, want); ok != negative {
			return !negative
		}
	}
	return negative
}

func compareText(op Op, have, want string) bool {
	have, want = strings.ToLower(strings.TrimSpace(have)), strings.ToLower(strings.TrimSpace(want))
	switch op {
	case OpContains:
		return strings.Contains(have, want)
	case OpNotContains:
		return !strings.Contains(have, want)
	case OpIs:
		return have == want
	case OpIsNot:
		return have != want
	case OpStartsWith:
		return strings.HasPrefix(have, want)
	case OpEndsWith:
		return strings.HasSuffix(have, want)
	}
	return false
}

// Plan lists the actions the enabled rules take on msg, in the order they are to be done: every
// action that leaves the message where it is (mark read, flag, tag, copy) in rule order, then the
// first one that takes it away (move, delete, junk), as a message can end up in one place only.
// A rule with a stop action ends the search. Plan depends only on the rules and on fields an
// action cannot change, so running it again after a crash gives the same list.
func (s Set) Plan(msg Message) []Action {
	var stay []Action
	var away *Action
	for _, r := range s.Rules {
		if !r.Enabled || !r.Matches(msg) {
			continue
		}
		stop := false
		for _, a := range r.Actions {
			switch {
			case a.Kind == ActStop:
				stop = true
			case a.Moves():
				if away == nil {
					away = &a
				}
			default:
				stay = append(stay, a)
			}
		}
		if stop {
			break
		}
	}
	if away != nil {
		stay = append(stay, *away)
	}
	return stay
}

// NeedsHeader says whether an enabled rule looks at a header beyond the indexed ones.
func (s Set) NeedsHeader() bool {
	for _, r := range s.Rules {
		for _, c := range r.Conditions {
			if r.Enabled && c.Field == FieldHeader {
				return true
			}
		}
	}
	return false
}

// Active says whether any rule is enabled.
func (s Set) Active() bool {
	for _, r := range s.Rules {
		if r.Enabled {
			return true
		}
	}
	return false
}
