package imapsync

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
)

// Mailbox names that are not valid modified UTF-7 (RFC 3501 5.1.3, such as "&Jjo") make go-imap
// v2 beta.8 fail the whole response, and with it the connection: one such folder would keep the
// account from syncing at all. The guard therefore repairs the name in LIST, LSUB and STATUS lines
// before the decoder sees it: the raw name is re-encoded so that it decodes to itself, and a LIST
// line gets attrRawName so the engine knows the folder by a name it cannot send back (go-imap
// encodes every name it sends), shows it, and does not try to open it.

// attrRawName marks a folder listed under a name that was not valid modified UTF-7.
const attrRawName imap.MailboxAttr = `\X-Postbode-Raw-Name`

// errRawName is why a folder with such a name is not synced.
var errRawName = errors.New("imap: the server's name for this folder is not valid modified UTF-7 " +
	"(RFC 3501 5.1.3), so it cannot be opened")

// mutf7 is modified BASE64 (RFC 3501 5.1.3), padded with '=' like go-imap's decoder expects.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")

// namePrefixes start the response lines whose mailbox name is repaired.
var namePrefixes = []string{"* LIST ", "* LSUB ", "* STATUS "}

// namePrefix reports whether a line starting with head is, or may still be, one whose mailbox
// name is repaired: match when head holds a whole prefix, more when it could still become one.
func namePrefix(head []byte) (match, more bool) {
	for _, p := range namePrefixes {
		n := min(len(head), len(p))
		if !strings.EqualFold(string(head[:n]), p[:n]) {
			continue
		}
		if len(head) >= len(p) {
			return true, false
		}
		more = true
	}
	return false, more
}

// repairNameLine returns a LIST, LSUB or STATUS line (with its line break) whose mailbox name the
// decoder would refuse, with the name re-encoded (and, for LIST and LSUB, attrRawName added).
// It returns nil when the line needs no repair or is not one it understands.
func repairNameLine(line []byte) []byte {
	nl, ok := parseNameLine(line)
	if !ok || strings.EqualFold(nl.name, "INBOX") {
		return nil
	}
	if _, ok := decodeMUTF7(nl.name); ok {
		return nil
	}
	out := make([]byte, 0, len(line)+len(attrRawName)+16)
	if nl.attrsEnd >= 0 {
		out = append(out, line[:nl.attrsEnd]...)
		if line[nl.attrsEnd-1] != '(' {
			out = append(out, ' ')
		}
		out = append(out, attrRawName...)
		out = append(out, line[nl.attrsEnd:nl.start]...)
	} else {
		out = append(out, line[:nl.start]...)
	}
	out = appendQuoted(out, encodeMUTF7(strings.ToValidUTF8(nl.name, "\uFFFD")))
	return append(out, line[nl.end:]...)
}

// nameLine is where a LIST, LSUB or STATUS line keeps its mailbox name.
type nameLine struct {
	name       string // as the decoder reads it, before modified UTF-7 decoding
	start, end int    // the name's token
	attrsEnd   int    // the ')' ending the attributes of LIST and LSUB, -1 for STATUS
}

func parseNameLine(line []byte) (nameLine, bool) {
	p := lineParser{b: line}
	nl := nameLine{attrsEnd: -1}
	switch {
	case p.word("* LIST ") || p.word("* LSUB "):
		if !p.char('(') {
			return nl, false
		}
		j := bytes.IndexByte(line[p.i:], ')')
		if j < 0 {
			return nl, false
		}
		nl.attrsEnd = p.i + j
		p.i = nl.attrsEnd + 1
		if !p.char(' ') || !p.delim() || !p.char(' ') {
			return nl, false
		}
	case p.word("* STATUS "):
	default:
		return nl, false
	}
	nl.start = p.i
	name, ok := p.astring()
	nl.name, nl.end = name, p.i
	return nl, ok
}

// lineParser reads the few tokens repairNameLine needs, the way go-imap's decoder reads them.
type lineParser struct {
	b []byte
	i int
}

func (p *lineParser) word(w string) bool {
	if len(p.b)-p.i < len(w) || !strings.EqualFold(string(p.b[p.i:p.i+len(w)]), w) {
		return false
	}
	p.i += len(w)
	return true
}

func (p *lineParser) char(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// delim reads a hierarchy delimiter: a quoted string or NIL.
func (p *lineParser) delim() bool {
	if _, ok := p.quoted(); ok {
		return true
	}
	return p.word("NIL")
}

func (p *lineParser) quoted() (string, bool) {
	if !p.char('"') {
		return "", false
	}
	var sb strings.Builder
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch c {
		case '"':
			return sb.String(), true
		case '\\':
			if p.i == len(p.b) {
				return "", false
			}
			c = p.b[p.i]
			p.i++
		case '\r', '\n':
			return "", false
		}
		sb.WriteByte(c)
	}
	return "", false
}

// astring reads a quoted string or an atom (literals are left alone: the guard does not hold
// lines that announce one).
func (p *lineParser) astring() (string, bool) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for p.i < len(p.b) && isAStringChar(p.b[p.i]) {
		p.i++
	}
	return string(p.b[start:p.i]), p.i > start
}

// isAStringChar is go-imap's ASTRING-CHAR test.
func isAStringChar(c byte) bool {
	switch c {
	case '(', ')', '{', ' ', '%', '*', '"', '\\':
		return false
	}
	return !unicode.IsControl(rune(c))
}

func appendQuoted(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return append(out, '"')
}

// decodeMUTF7 decodes a modified UTF-7 mailbox name, accepting exactly what go-imap v2 beta.8's
// decoder accepts (raw UTF-8 included): a name it refuses would fail the whole response.
func decodeMUTF7(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	var sb strings.Builder
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || (c > 0x7e && c < utf8.RuneSelf) {
			return "", false
		}
		if c != '&' {
			sb.WriteByte(c)
			ascii = true
			continue
		}
		start := i + 1
		for i++; i < len(s) && s[i] != '-'; i++ {
			if s[i] == '\r' || s[i] == '\n' {
				return "", false
			}
		}
		switch {
		case i == len(s): // "&..." never shifted back
			return "", false
		case i == start: // "&-" is "&"
			sb.WriteByte('&')
			ascii = true
		default:
			if !ascii { // "&...-&...-" should have been one run
				return "", false
			}
			text, ok := decodeMUTF7Run(s[start:i])
			if !ok {
				return "", false
			}
			sb.WriteString(text)
			ascii = false
		}
	}
	return sb.String(), true
}

// decodeMUTF7Run decodes the modified BASE64 of UTF-16 between "&" and "-".
func decodeMUTF7Run(run string) (string, bool) {
	if run[len(run)-1] == '=' {
		return "", false
	}
	switch len(run) % 4 {
	case 1:
		return "", false
	case 2:
		run += "=="
	case 3:
		run += "="
	}
	b, err := mutf7.DecodeString(run)
	if err != nil || len(b) == 0 || len(b)%2 == 1 {
		return "", false
	}
	var sb strings.Builder
	for i := 0; i < len(b); i += 2 {
		r := rune(b[i])<<8 | rune(b[i+1])
		if utf16.IsSurrogate(r) {
			if i += 2; i == len(b) {
				return "", false
			}
			if r = utf16.DecodeRune(r, rune(b[i])<<8|rune(b[i+1])); r == utf8.RuneError {
				return "", false
			}
		} else if r >= 0x20 && r <= 0x7e {
			return "", false // printable ASCII must not be encoded
		}
		sb.WriteRune(r)
	}
	return sb.String(), true
}

// encodeMUTF7 encodes a UTF-8 name as modified UTF-7, as go-imap does.
func encodeMUTF7(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c <= 0x7e {
			sb.WriteByte(c)
			if c == '&' {
				sb.WriteByte('-')
			}
			i++
			continue
		}
		start := i
		for i++; i < len(s) && (s[i] < 0x20 || s[i] > 0x7e); i++ {
		}
		var u []byte
		for _, r := range s[start:i] {
			for _, c := range utf16.Encode([]rune{r}) {
				u = append(u, byte(c>>8), byte(c))
			}
		}
		sb.WriteByte('&')
		sb.WriteString(strings.TrimRight(mutf7.EncodeToString(u), "="))
		sb.WriteByte('-')
	}
	return sb.String()
}
