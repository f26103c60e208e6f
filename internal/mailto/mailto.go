// Package mailto reads mailto: URLs (RFC 6068) into what a composer needs, and writes them back.
//
// A mailto: link comes from a web page or another program, so it is untrusted: only the fields a
// person can see and change in the composer are taken (to, cc, bcc, subject, body, in-reply-to),
// everything else, such as From, Reply-To or a file to attach, is left out and named in Ignored.
// Nothing here sends mail; the user still reads and sends the message.
package mailto

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits. A URL larger than MaxLen is refused; addresses past MaxAddresses are dropped (and
// counted in Dropped).
const (
	MaxLen       = 256 << 10
	MaxAddresses = 200
	// maxLine bounds one-line fields (subject, message id) like a header line (RFC 5322 2.1.1).
	maxLine = 998
)

// Address is one recipient: Email is an RFC 5322 addr-spec (a local part that needs quotes keeps
// them), Name the optional display name.
type Address struct {
	Name  string
	Email string
}

// URL is what a mailto: URL asks for.
type URL struct {
	To, Cc, Bcc []Address
	Subject     string
	Body        string // lines end in "\n"
	InReplyTo   string // a Message-ID without angle brackets
	// Ignored names the header fields that were left out, lower case, sorted, each once.
	Ignored []string
	// Invalid holds address texts that are not e-mail addresses; Dropped counts the addresses over
	// MaxAddresses.
	Invalid []string
	Dropped int
}

// ErrNotMailto is returned for a URL of another scheme.
var ErrNotMailto = errors.New("not a mailto: URL")

// IsMailto reports whether s starts with the mailto: scheme (in any case).
func IsMailto(s string) bool {
	return len(s) >= 7 && strings.EqualFold(s[:7], "mailto:")
}

// Parse reads a mailto: URL. It never fails on content: bad percent escapes are kept as text,
// invalid UTF-8 becomes U+FFFD, unknown fields are ignored. It fails only for another scheme or an
// oversized URL.
func Parse(s string) (*URL, error) {
	if !IsMailto(s) {
		return nil, ErrNotMailto
	}
	if len(s) > MaxLen {
		return nil, fmt.Errorf("mailto: URL of %d bytes is over the %d byte limit", len(s), MaxLen)
	}
	rest := s[len("mailto:"):]
	path, query, _ := strings.Cut(rest, "?")

	u := &URL{}
	p := &parser{u: u}
	p.addresses(&u.To, unescape(path))
	seenSubject, seenBody, seenReply := false, false, false
	ignored := map[string]bool{}
	for _, field := range strings.Split(query, "&") {
		if field == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(field, "=")
		name := strings.ToLower(strings.TrimSpace(unescape(rawName)))
		value := unescape(rawValue)
		switch name {
		case "to":
			p.addresses(&u.To, value)
		case "cc":
			p.addresses(&u.Cc, value)
		case "bcc":
			p.addresses(&u.Bcc, value)
		case "subject":
			// The first one counts: a second Subject cannot be shown or sent.
			if !seenSubject {
				seenSubject = true
				// Controls go first so that dropping one cannot make an encoded word.
				u.Subject = oneLine(decodeWords(oneLine(value)))
			}
		case "body":
			if !seenBody {
				seenBody = true
				u.Body = bodyText(value)
			}
		case "in-reply-to":
			if !seenReply {
				seenReply = true
				u.InReplyTo = messageID(value)
			}
		case "":
		default:
			ignored[oneLine(name)] = true
		}
	}
	for n := range ignored {
		u.Ignored = append(u.Ignored, n)
	}
	slices.Sort(u.Ignored)
	return u, nil
}

type parser struct {
	u     *URL
	count int
}

// addresses appends the addresses in a decoded to/cc/bcc value. Display names are not part of
// RFC 6068's grammar but links carry them, so they are read when present.
func (p *parser) addresses(dst *[]Address, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	var list []*mail.Address
	if l, err := mail.ParseAddressList(v); err == nil {
		list = l
	} else {
		for _, part := range splitList(v) {
			a, err := mail.ParseAddress(part)
			if err != nil {
				if len(p.u.Invalid) < MaxAddresses {
					p.u.Invalid = append(p.u.Invalid, truncate(oneLine(part), maxLine))
				}
				continue
			}
			list = append(list, a)
		}
	}
	for _, a := range list {
		if p.count >= MaxAddresses {
			p.u.Dropped++
			continue
		}
		email := addrSpec(a.Address)
		if email == "" {
			continue
		}
		p.count++
		*dst = append(*dst, Address{Name: truncate(oneLine(a.Name), maxLine), Email: email})
	}
}

// addrSpec writes an address as net/mail parsed it back as an addr-spec, quoting the local part
// when it needs it ("not@me"@example.org).
func addrSpec(addr string) string {
	s := (&mail.Address{Address: addr}).String()
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if strings.ContainsFunc(s, isControl) || len(s) > maxLine {
		return ""
	}
	return s
}

// splitList splits an address list at commas outside quotes, angle brackets and comments, so one
// bad address does not lose the others.
func splitList(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, escaped, angle, comment := false, false, 0, 0
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && (quoted || comment > 0):
			escaped = true
		case r == '"' && comment == 0:
			quoted = !quoted
		case quoted:
		case r == '(':
			comment++
		case r == ')' && comment > 0:
			comment--
		case comment > 0:
		case r == '<':
			angle++
		case r == '>' && angle > 0:
			angle--
		case r == ',' && angle == 0:
			if t := strings.TrimSpace(cur.String()); t != "" {
				out = append(out, t)
			}
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, t)
	}
	return out
}

// unescape decodes %XX escapes into bytes and the result as UTF-8 (RFC 6068 section 2). '+' is a
// plus sign, not a space, in mailto: URLs. A '%' that does not start an escape is kept as is.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// decodeWords decodes RFC 2047 encoded words, which RFC 6068 section 2 allows in a subject.
// Charsets the standard library does not know are left encoded.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return strings.ToValidUTF8(d, "\uFFFD")
}

// isControl matches characters that must not reach a header: C0 and C1 controls, DEL, and the
// bidirectional embeddings, overrides and isolates that can make a subject or an address read
// differently than it is (the plain direction marks stay: right-to-left text needs them).
func isControl(r rune) bool {
	return unicode.IsControl(r) || '\u202A' <= r && r <= '\u202E' || '\u2066' <= r && r <= '\u2069'
}

// oneLine makes a header value: line breaks and tabs become spaces, other controls are dropped,
// and it is bounded in length.
func oneLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case isControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return truncate(strings.TrimSpace(b.String()), maxLine)
}

// bodyText normalises line ends to "\n" and drops controls other than tab and line feed.
func bodyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

// messageID takes the first Message-ID of an In-Reply-To value, without its angle brackets.
func messageID(s string) string {
	s = strings.TrimSpace(oneLine(s))
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	if strings.ContainsAny(s, "<> \t") || !strings.Contains(s, "@") {
		return ""
	}
	return s
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// String writes the URL back as a mailto: URL that Parse reads as the same recipients, subject,
// body and In-Reply-To.
func (u *URL) String() string {
	var b strings.Builder
	b.WriteString("mailto:")
	b.WriteString(escape(formatList(u.To)))
	sep := byte('?')
	field := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(escape(value))
	}
	field("cc", formatList(u.Cc))
	field("bcc", formatList(u.Bcc))
	subject := u.Subject
	if strings.Contains(subject, "=?") {
		// Text that looks like an encoded word would be decoded on reading: encode it whole.
		subject = "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?="
	}
	field("subject", subject)
	field("body", strings.ReplaceAll(u.Body, "\n", "\r\n"))
	if u.InReplyTo != "" {
		field("in-reply-to", "<"+u.InReplyTo+">")
	}
	return b.String()
}

func formatList(as []Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		if a.Name == "" {
			parts = append(parts, a.Email)
			continue
		}
		// mail.Address.String would quote the local part a second time; write the name alone.
		name := (&mail.Address{Name: a.Name, Address: "x@x"}).String()
		parts = append(parts, strings.TrimSuffix(name, "<x@x>")+"<"+a.Email+">")
	}
	return strings.Join(parts, ", ")
}

// escape percent-encodes everything but RFC 3986 unreserved characters and '@', so the result
// survives shells, browsers and desktop launchers.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~@", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
