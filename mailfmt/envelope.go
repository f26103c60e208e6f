package mailfmt

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	message "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // registers non-UTF-8 charsets with go-message
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
)

// ErrEmptyMessage is returned for input that holds neither a header nor a body.
var ErrEmptyMessage = errors.New("mailfmt: empty message")

// Address is one mailbox from an address header, decoded for display.
type Address struct{ Name, Email string }

// String formats the address for display: "Name <email>", or "email" when there is no name.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Email
	case a.Email == "":
		return a.Name
	}
	return a.Name + " <" + a.Email + ">"
}

// Envelope is what an index needs from a message; it is parsed from the header alone.
type Envelope struct {
	Subject    string
	From       []Address
	To         []Address
	Cc         []Address
	Bcc        []Address
	ReplyTo    []Address
	Date       time.Time // zero when absent or unparsable
	MessageID  string    // without angle brackets
	InReplyTo  string    // the first id of In-Reply-To
	References []string
	// ThreadKey is the root Message-ID of the thread: the first of References, else InReplyTo,
	// else the message's own MessageID. A message with none of these gets a stable synthetic key
	// ("nomsgid:" + a hash of From, Date and Subject) so that such messages never share a thread.
	ThreadKey string
}

// ParseEnvelope parses the header of a message. header may hold the whole message: parsing stops
// at the blank line that ends the header. A header without that blank line is accepted, and so is
// a leading mbox "From " line. Malformed fields are skipped rather than failing the whole header.
func ParseEnvelope(header []byte) (Envelope, error) {
	if len(bytes.TrimSpace(header)) == 0 {
		return Envelope{}, ErrEmptyMessage
	}
	br := bufio.NewReader(bytes.NewReader(header))
	hb, err := readHeaderBlock(br, DefaultLimits.MaxHeaderBytes)
	if err != nil {
		return Envelope{}, fmt.Errorf("mailfmt: read header: %w", err)
	}
	env, _ := envelopeFromHeader(hb.header)
	return env, nil
}

// headerBlock is a message header read leniently, with the reader positioned at the body.
type headerBlock struct {
	header    message.Header
	body      io.Reader
	fields    int
	oversized bool // the header exceeded its limit
	warnings  []string
}

// readHeaderBlock reads header lines up to the blank line, keeping at most max bytes. Lines that
// are not fields end the header (the message lacked its blank line) and are handed back as the
// start of the body, as Python's email package does. Excess header bytes are read and discarded
// so that memory stays bounded.
func readHeaderBlock(br *bufio.Reader, max int64) (headerBlock, error) {
	var (
		hb       headerBlock
		raw      []byte
		pushback []byte
	)
	for first := true; ; first = false {
		line, over, err := readLineCapped(br, int(max)-len(raw))
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errTooLarge) {
			return hb, err
		}
		if over {
			hb.oversized = true
			hb.warnings = append(hb.warnings, fmt.Sprintf("header larger than %d bytes: the rest was skipped", max))
			if err == nil {
				skipHeaderLines(br)
			}
			break
		}
		if len(line) == 0 && err != nil {
			break // end of input inside or right after the header
		}
		content := bytes.TrimRight(line, "\r\n")
		if len(content) == 0 {
			break // the blank line that ends the header
		}
		switch {
		case first && bytes.HasPrefix(line, []byte("From ")) && !isHeaderField(content):
			// An mbox separator line, not part of the message.
		case content[0] == ' ' || content[0] == '\t':
			if len(raw) == 0 {
				hb.warnings = append(hb.warnings, "header starts with a continuation line: dropped")
				break
			}
			raw = appendLine(raw, content)
		case isHeaderField(content):
			raw = appendLine(raw, content)
			hb.fields++
		default:
			pushback = line
			hb.warnings = append(hb.warnings, "header not followed by a blank line")
		}
		if pushback != nil || err != nil {
			break
		}
	}
	raw = append(raw, '\r', '\n')
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		// The lines were checked above, so this is unexpected; keep what was parsed.
		hb.warnings = append(hb.warnings, fmt.Sprintf("header: %v", err))
	}
	hb.header = message.Header{Header: h}
	if pushback != nil {
		hb.body = io.MultiReader(bytes.NewReader(pushback), br)
	} else {
		hb.body = br
	}
	return hb, nil
}

// readLineCapped reads one line (with its terminator) keeping at most max bytes of it. over
// reports that the line did not fit; the rest of the line is consumed and dropped.
func readLineCapped(br *bufio.Reader, max int) (line []byte, over bool, err error) {
	if max < 0 {
		max = 0
	}
	for {
		frag, err := br.ReadSlice('\n')
		if !over {
			if len(line)+len(frag) > max {
				over = true
			} else {
				line = append(line, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, over, err
	}
}

// skipHeaderLines discards the rest of an oversized header, up to its blank line.
func skipHeaderLines(br *bufio.Reader) {
	for {
		line, _, err := readLineCapped(br, 2)
		if err != nil || len(bytes.TrimRight(line, "\r\n")) == 0 {
			return
		}
	}
}

func appendLine(dst, line []byte) []byte {
	dst = append(dst, line...)
	return append(dst, '\r', '\n')
}

// isHeaderField reports whether line starts with a valid "Name:" (RFC 5322 section 2.2; spaces
// before the colon are tolerated as in the wild).
func isHeaderField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	key := bytes.TrimRight(line[:i], " \t")
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// wordDecoder decodes RFC 2047 encoded words with every charset go-message knows.
var wordDecoder = mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	if message.CharsetReader == nil {
		return nil, fmt.Errorf("unhandled charset %q", cs)
	}
	return message.CharsetReader(strings.ToLower(cs), r)
}}

// decodeWords decodes encoded words, leaving the text as it is when they are malformed.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// envelopeFromHeader extracts the envelope; the strings are the problems met on the way.
func envelopeFromHeader(mh message.Header) (Envelope, []string) {
	h := mail.Header{Header: mh}
	var env Envelope
	var warns []string

	subj, err := h.Subject()
	if err != nil {
		warns = append(warns, "subject: encoded words in an unknown charset: shown undecoded")
	}
	env.Subject = cleanHeaderText(subj)

	for _, f := range []struct {
		key string
		dst *[]Address
	}{
		{"From", &env.From}, {"To", &env.To}, {"Cc", &env.Cc}, {"Bcc", &env.Bcc}, {"Reply-To", &env.ReplyTo},
	} {
		var bad bool
		*f.dst, bad = parseAddressList(h.Get(f.key))
		if bad {
			warns = append(warns, fmt.Sprintf("%s: malformed address list, read leniently", f.key))
		}
	}

	if v := strings.TrimSpace(h.Get("Date")); v != "" {
		t, ok := parseDate(v)
		if ok {
			env.Date = t
		} else {
			warns = append(warns, fmt.Sprintf("date %q not understood", truncateRunes(v, 64)))
		}
	}

	if ids := msgIDs(h, "Message-Id"); len(ids) > 0 {
		env.MessageID = ids[0]
	}
	if ids := msgIDs(h, "In-Reply-To"); len(ids) > 0 {
		env.InReplyTo = ids[0]
	}
	env.References = msgIDs(h, "References")

	switch {
	case len(env.References) > 0:
		env.ThreadKey = env.References[0]
	case env.InReplyTo != "":
		env.ThreadKey = env.InReplyTo
	case env.MessageID != "":
		env.ThreadKey = env.MessageID
	default:
		sum := sha256.Sum256([]byte(h.Get("From") + "\x00" + h.Get("Date") + "\x00" + h.Get("Subject")))
		env.ThreadKey = "nomsgid:" + hex.EncodeToString(sum[:16])
	}
	return env, warns
}

// msgIDs reads a list of message ids with go-message, falling back to a lenient scan of
// <...> tokens (or bare tokens holding an '@') when the field breaks RFC 5322.
func msgIDs(h mail.Header, key string) []string {
	v := h.Get(key)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var ids []string
	if key == "Message-Id" {
		if id, err := h.MessageID(); err == nil && id != "" {
			ids = []string{id}
		}
	} else if l, err := h.MsgIDList(key); err == nil {
		ids = l
	}
	if ids == nil {
		ids = lenientMsgIDs(v)
	}
	out := ids[:0]
	for _, id := range ids {
		if id = cleanHeaderText(id); id != "" && !strings.ContainsAny(id, " <>") {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func lenientMsgIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			ids = append(ids, strings.Join(strings.Fields(id), ""))
		}
		v = v[i+j+1:]
	}
	if ids == nil {
		for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) {
			if strings.Contains(tok, "@") {
				ids = append(ids, tok)
			}
		}
	}
	return ids
}

// parseAddressList parses an address header with go-message; when the list as a whole is
// malformed, it retries item by item and finally guesses "name <email>" from the text. bad
// reports that the lenient path was needed.
func parseAddressList(v string) (addrs []Address, bad bool) {
	if strings.TrimSpace(v) == "" {
		return nil, false
	}
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			addrs = append(addrs, Address{Name: cleanHeaderText(a.Name), Email: cleanHeaderText(a.Address)})
		}
		return addrs, false
	}
	for _, piece := range splitAddressList(v) {
		if strings.TrimSpace(piece) == "" {
			continue
		}
		if a, err := mail.ParseAddress(piece); err == nil {
			addrs = append(addrs, Address{Name: cleanHeaderText(a.Name), Email: cleanHeaderText(a.Address)})
			continue
		}
		if a, ok := guessAddress(piece); ok {
			addrs = append(addrs, a)
		}
	}
	return addrs, true
}

// splitAddressList splits on commas outside quotes, comments and angle brackets.
func splitAddressList(v string) []string {
	var out []string
	var quoted, escaped bool
	depth, start := 0, 0
	// Positions of the next '>' and ',' are cached so that many '<' stay linear.
	nextGT, nextComma := -1, -1
	next := func(cached *int, from int, c byte) int {
		if *cached != len(v) && *cached < from {
			if k := strings.IndexByte(v[from:], c); k >= 0 {
				*cached = from + k
			} else {
				*cached = len(v)
			}
		}
		return *cached
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '<':
			// Skip an angle address, unless it is left open before the next comma.
			if j := next(&nextGT, i, '>'); j < len(v) && j < next(&nextComma, i, ',') {
				i = j
			}
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// guessAddress makes the best of a malformed mailbox: "Name <email>" or a bare token with '@'.
func guessAddress(s string) (Address, bool) {
	s = decodeWords(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			email := cleanHeaderText(s[i+1 : i+j])
			name := cleanHeaderText(strings.Trim(strings.TrimSpace(s[:i]), `"' `))
			if strings.Contains(email, "@") && !strings.ContainsAny(email, " \t") {
				return Address{Name: name, Email: email}, true
			}
		}
	}
	for _, tok := range strings.Fields(s) {
		tok = strings.Trim(tok, `<>"'(),;`)
		if strings.Contains(tok, "@") {
			return Address{Email: cleanHeaderText(tok)}, true
		}
	}
	return Address{}, false
}

// dateLayouts are tried when net/mail cannot read a Date field.
var dateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC, time.UnixDate, time.RFC3339,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04 -0700", "2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05", "Mon Jan 2 15:04:05 2006 -0700", "2006-01-02 15:04:05 -0700",
}

func parseDate(v string) (time.Time, bool) {
	if t, err := netmail.ParseDate(v); err == nil {
		return t, true
	}
	// Drop a trailing comment such as "(CEST)" and repeated spaces.
	if i := strings.IndexByte(v, '('); i > 0 {
		v = v[:i]
	}
	v = strings.Join(strings.Fields(v), " ")
	if t, err := netmail.ParseDate(v); err == nil {
		return t, true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// cleanHeaderText makes a decoded header value safe to show on one line: valid UTF-8, no
// control characters, surrounding space trimmed.
func cleanHeaderText(s string) string {
	s = fixUTF8(s)
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return strings.TrimSpace(s)
}

// fixUTF8 returns s as valid UTF-8. Text with no valid multi-byte sequence at all is taken to be
// windows-1252 (the usual undeclared charset); otherwise bad bytes become U+FFFD.
func fixUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	hasMultibyte := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError && size > 1 {
			hasMultibyte = true
			break
		}
		i += size
	}
	if !hasMultibyte {
		if d, err := charmap.Windows1252.NewDecoder().String(s); err == nil && utf8.ValidString(d) {
			return d
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
