package mailfile

import (
	"bytes"
	"strconv"
	"strings"
)

// Thunderbird keeps a message's state in its mbox files in X-Mozilla-Status (low 16 bits of
// nsMsgMessageFlags, four hex digits), X-Mozilla-Status2 (high bits, eight hex digits) and
// X-Mozilla-Keys (space-separated tags).
const (
	mozRead      = 0x0001
	mozReplied   = 0x0002
	mozMarked    = 0x0004
	mozExpunged  = 0x0008 // deleted, waiting for the folder to be compacted
	mozForwarded = 0x1000
)

// MozillaState reads Thunderbird's status headers from a message's header. expunged reports a
// message Thunderbird deleted but had not yet removed from the file: importers skip it.
func MozillaState(raw []byte) (flags Flags, keywords []string, expunged bool) {
	var status uint64
	for _, h := range []string{"X-Mozilla-Status", "X-Mozilla-Status2"} {
		if v, ok := headerValue(raw, h); ok {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 32); err == nil {
				status |= n
			}
		}
	}
	if status&mozRead != 0 {
		flags |= Seen
	}
	if status&mozReplied != 0 {
		flags |= Answered
	}
	if status&mozMarked != 0 {
		flags |= Flagged
	}
	if status&mozForwarded != 0 {
		flags |= Forwarded
	}
	if v, ok := headerValue(raw, "X-Mozilla-Keys"); ok {
		keywords = strings.Fields(v)
	}
	return flags, keywords, status&mozExpunged != 0
}

// headerValue returns the first value of a header field (unfolded), reading the header only.
func headerValue(raw []byte, name string) (string, bool) {
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		line := raw
		if i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return "", false // end of the header
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || !strings.EqualFold(string(bytes.TrimSpace(line[:colon])), name) {
			continue
		}
		v := string(line[colon+1:])
		// Folded continuation lines start with white space.
		for len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
			j := bytes.IndexByte(raw, '\n')
			if j < 0 {
				j = len(raw) - 1
			}
			v += string(bytes.TrimRight(raw[:j+1], "\r\n"))
			raw = raw[j+1:]
		}
		return strings.TrimSpace(v), true
	}
	return "", false
}
