// Package mailfmt reads stored RFC 5322 messages for display and indexing, turns HTML into a
// safe rich-text model that never references remote content, and sanitises attachment names.
package mailfmt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	message "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Limits bound the work and memory that parsing one message may take. A zero or negative field
// takes its value from DefaultLimits.
type Limits struct {
	MaxDepth       int   // nesting of multiparts and attached messages
	MaxParts       int   // MIME entities visited, containers included
	MaxHeaderBytes int64 // bytes kept from one header block
	MaxPartBytes   int64 // decoded bytes of one text part held for display (all text: 4x this)
	MaxTotalBytes  int64 // bytes read from the input; attachments are streamed, not held
}

// DefaultLimits are generous for real mail and small enough that a hostile message cannot
// exhaust memory.
var DefaultLimits = Limits{
	MaxDepth:       20,
	MaxParts:       500,
	MaxHeaderBytes: 256 << 10,
	MaxPartBytes:   8 << 20,
	MaxTotalBytes:  256 << 20,
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultLimits.MaxParts
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = DefaultLimits.MaxPartBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultLimits.MaxTotalBytes
	}
	return l
}

// Part describes one attachment (or attached message, or inline resource) of a message.
type Part struct {
	Path        string // IMAP-style part number: "1", "2.1", ...
	ContentType string // lower-case media type without parameters
	Filename    string // sanitised (see SanitizeFilename); made up from the type when absent
	ContentID   string // without angle brackets
	Size        int64  // decoded size in bytes; -1 when not known (OpenPart)
	Inline      bool   // meant to be shown within the body rather than listed
}

// Message is a parsed message ready for display.
type Message struct {
	Envelope
	Text                 string  // text/plain when present, else text converted from HTML
	Rich                 []Block // from the HTML part when present, else from Text
	HasHTML              bool
	RemoteContentBlocked int // remote resources dropped from the HTML that Rich was built from
	Attachments          []Part
	Warnings             []string
}

// textBudgetParts times MaxPartBytes is the most text one message may hold for display.
const textBudgetParts = 4

// errTooLarge is returned by the input reader once MaxTotalBytes have been read and more follow.
var errTooLarge = errors.New("mailfmt: message exceeds the size limit")

// capReader reads at most n bytes, then fails with errTooLarge if the source has more.
type capReader struct {
	r         io.Reader
	n         int64
	truncated bool
	checked   bool
	err       error // first read error of the source other than io.EOF
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		if !c.checked {
			c.checked = true
			var one [1]byte
			if k, _ := io.ReadFull(c.r, one[:]); k > 0 {
				c.truncated = true
			}
		}
		if c.truncated {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return k, err
}

// segment is one piece of readable body: text for Message.Text and blocks for Message.Rich.
type segment struct {
	text    string
	rich    []Block
	plain   bool // text came from text/plain (not converted from HTML)
	html    bool // rich came from text/html
	blocked int
}

func (s segment) empty() bool { return strings.TrimSpace(s.text) == "" && len(s.rich) == 0 }

// mergeSegments joins segments that are shown one after the other.
func mergeSegments(segs []segment) segment {
	var out segment
	out.plain = true
	var texts []string
	for _, s := range segs {
		if s.empty() {
			continue
		}
		if t := strings.TrimSpace(s.text); t != "" {
			texts = append(texts, t)
		}
		out.rich = append(out.rich, s.rich...)
		out.plain = out.plain && s.plain
		out.html = out.html || s.html
		out.blocked += s.blocked
	}
	out.text = strings.Join(texts, "\n\n")
	if len(texts) == 0 && len(out.rich) == 0 {
		out.plain = false
	}
	return out
}

// found is the part OpenPart looks for.
type found struct {
	r    io.Reader
	part Part
	err  error
}

// parser walks the MIME tree of one message.
type parser struct {
	lim         Limits
	parts       int
	stopped     bool // part limit reached
	cutPart     bool // a part ended at the end of input, which was reported already
	textBytes   int64
	warnings    []string
	attachments []Part

	target string // OpenPart mode: the part number sought
	found  *found

	// textOnly (ParseText) builds Text only: no Rich, attachments listed without decoding them.
	textOnly bool
	// outerOnly (ParseDraft) lists an attached message as one attachment: its text and its own
	// attachments belong to it, not to the message being edited.
	outerOnly bool
}

func (p *parser) warn(format string, args ...any) {
	// Errors may quote raw input: keep warnings short, valid and on one line.
	w := truncateRunes(cleanHeaderText(fmt.Sprintf(format, args...)), 200)
	for _, old := range p.warnings {
		if old == w {
			return
		}
	}
	if len(p.warnings) < 100 {
		p.warnings = append(p.warnings, w)
	}
}

func joinPath(path string, i int) string {
	if path == "" {
		return strconv.Itoa(i)
	}
	return path + "." + strconv.Itoa(i)
}

// onTargetRoute reports whether the part numbered path may contain the OpenPart target.
func (p *parser) onTargetRoute(path string) bool {
	return p.target == "" || path == "" || p.target == path || strings.HasPrefix(p.target, path+".")
}

// Parse reads a whole message and prepares it for display. It never panics: malformed input
// yields a usable Message with Warnings, limits truncate with a warning, and only an empty
// message or a failing reader is an error.
func Parse(r io.Reader, lim Limits) (msg *Message, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			msg, err = nil, fmt.Errorf("mailfmt: parse: internal error: %v", rec)
		}
	}()
	return parse(r, lim, &parser{})
}

// ParseText is Parse for indexing: Text, the envelope and the attachment list are as Parse gives
// them, but Rich is nil and attachments are not decoded (their Size is -1), which is display work.
// An HTML alternative after a plain-text one is skipped, since Text comes from the plain one.
func ParseText(r io.Reader, lim Limits) (msg *Message, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			msg, err = nil, fmt.Errorf("mailfmt: parse: internal error: %v", rec)
		}
	}()
	return parse(r, lim, &parser{textOnly: true})
}

// parseReaders are the buffered readers parse uses around the message and its body: a sync
// indexes thousands of messages in a row, and fresh 36 KB of buffers each were a quarter of what
// parsing allocated. Nothing parse returns refers to them.
var parseReaders = sync.Pool{New: func() any {
	return &[2]*bufio.Reader{bufio.NewReaderSize(nil, 32<<10), bufio.NewReader(nil)}
}}

// parse reads a message with p's mode; p is otherwise unused.
func parse(r io.Reader, lim Limits, p *parser) (*Message, error) {
	lim = lim.withDefaults()
	p.lim = lim
	src := &capReader{r: r, n: lim.MaxTotalBytes}
	readers := parseReaders.Get().(*[2]*bufio.Reader)
	defer func() {
		readers[0].Reset(nil)
		readers[1].Reset(nil)
		parseReaders.Put(readers)
	}()
	br := readers[0]
	br.Reset(src)
	hb, err := readHeaderBlock(br, lim.MaxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("mailfmt: read header: %w", err)
	}
	body := readers[1]
	body.Reset(hb.body)
	if hb.fields == 0 && !hb.oversized {
		if _, err := body.Peek(1); err != nil {
			if src.err != nil {
				return nil, fmt.Errorf("mailfmt: read message: %w", src.err)
			}
			return nil, ErrEmptyMessage
		}
	}
	if hb.fields == 0 {
		hb.warnings = append(hb.warnings, "message has no header")
	}

	for _, w := range hb.warnings {
		p.warn("%s", w)
	}
	env, ew := envelopeFromHeader(hb.header)
	for _, w := range ew {
		p.warn("%s", w)
	}
	segs := p.walk(hb.header, body, "", 0, true, false)
	if src.err != nil {
		return nil, fmt.Errorf("mailfmt: read message: %w", src.err)
	}
	if src.truncated {
		p.warn("message larger than %d bytes: the rest was not read", lim.MaxTotalBytes)
	}

	all := mergeSegments(segs)
	if p.outerOnly && len(segs) == 1 && segs[0].plain {
		// A draft's text as written: blank lines above a quote are where the writing goes on.
		all.text = segs[0].text
	}
	msg := &Message{
		Envelope:             env,
		Text:                 all.text,
		Rich:                 all.rich,
		HasHTML:              all.html,
		RemoteContentBlocked: all.blocked,
		Attachments:          p.attachments,
		Warnings:             p.warnings,
	}
	if p.textOnly {
		msg.Rich = nil // forwarded-message headers bring blocks of their own
	}
	return msg, nil
}

// OpenPart finds the part numbered path (as in Part.Path) and returns a reader of its bytes
// with the transfer encoding undone but the charset left alone, as a saved file should be. The
// reader draws from r, so it must be read before r is closed or reused. Its Size is -1; the
// reader fails rather than ends early if the message exceeds lim.MaxTotalBytes.
func OpenPart(r io.Reader, path string, lim Limits) (io.Reader, Part, error) {
	if path == "" || strings.Trim(path, "0123456789.") != "" {
		return nil, Part{}, fmt.Errorf("mailfmt: open part: bad part number %q", path)
	}
	res, err := openPart(r, path, lim)
	if err != nil {
		return nil, Part{}, err
	}
	return res.r, res.part, nil
}

func openPart(r io.Reader, path string, lim Limits) (res *found, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			res, err = nil, fmt.Errorf("mailfmt: open part %s: internal error: %v", path, rec)
		}
	}()
	lim = lim.withDefaults()
	src := &capReader{r: r, n: lim.MaxTotalBytes}
	br := bufio.NewReaderSize(src, 32<<10)
	hb, err := readHeaderBlock(br, lim.MaxHeaderBytes)
	if err != nil {
		return nil, fmt.Errorf("mailfmt: open part %s: read header: %w", path, err)
	}
	p := &parser{lim: lim, target: path}
	p.walk(hb.header, bufio.NewReader(hb.body), "", 0, true, false)
	if src.err != nil {
		return nil, fmt.Errorf("mailfmt: open part %s: %w", path, src.err)
	}
	if p.found == nil {
		return nil, fmt.Errorf("mailfmt: open part %s: no such part", path)
	}
	if p.found.err != nil {
		return nil, fmt.Errorf("mailfmt: open part %s: %w", path, p.found.err)
	}
	return p.found, nil
}

// walk visits one entity. path is the entity's part number ("" for the top-level message);
// msgRoot marks the top of a message, whose non-multipart body is numbered path.1 as in IMAP.
func (p *parser) walk(h message.Header, body io.Reader, path string, depth int, msgRoot, forceAttach bool) []segment {
	if p.stopped || p.found != nil {
		return nil
	}
	p.parts++
	if p.parts > p.lim.MaxParts {
		p.stopped = true
		p.warn("more than %d parts: the rest was skipped", p.lim.MaxParts)
		return nil
	}
	where := path
	if where == "" {
		where = "message"
	} else {
		where = "part " + where
	}
	mt, params, ctErr := contentType(h)
	if ctErr != nil {
		p.warn("%s: malformed Content-Type: %v", where, ctErr)
	}

	if strings.HasPrefix(mt, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			p.warn("%s: multipart without a boundary: shown as text", where)
			mt, params = "text/plain", nil
		} else {
			if depth >= p.lim.MaxDepth {
				p.warn("%s: nested deeper than %d: skipped", where, p.lim.MaxDepth)
				return nil
			}
			return p.walkMultipart(body, mt, params, path, where, depth, forceAttach)
		}
	}

	leafPath := path
	if msgRoot {
		leafPath = joinPath(path, 1)
	}
	if mt == "message/rfc822" || mt == "message/global" {
		if depth >= p.lim.MaxDepth {
			p.warn("%s: nested deeper than %d: skipped", where, p.lim.MaxDepth)
			return nil
		}
		return p.walkMessage(h, body, leafPath, depth)
	}
	return p.leaf(h, body, leafPath, mt, params, forceAttach)
}

func (p *parser) walkMultipart(body io.Reader, mt string, params map[string]string, path, where string, depth int, forceAttach bool) []segment {
	mr := textproto.NewMultipartReader(body, params["boundary"])
	related := mt == "multipart/related"
	start := strings.Trim(params["start"], "<> ")
	alternative := mt == "multipart/alternative"
	havePlain := false
	var children [][]segment
	for i := 1; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			if i == 1 {
				p.warn("%s: no parts found (boundary never appears)", where)
			}
			break
		}
		if err != nil {
			switch {
			case errors.Is(err, errTooLarge) || strings.Contains(err.Error(), errTooLarge.Error()):
				// Reported once for the whole message.
			case i == 1:
				p.warn("%s: no parts found (boundary never appears)", where)
			case strings.Contains(err.Error(), "EOF"):
				if !p.cutPart {
					p.warn("%s: closing boundary missing", where)
				}
			default:
				p.warn("%s: malformed multipart: %v", where, err)
			}
			break
		}
		childPath := joinPath(path, i)
		if !p.onTargetRoute(childPath) {
			continue // NextPart skips the unread body
		}
		ph := message.Header{Header: part.Header}
		if p.textOnly && alternative && havePlain {
			if cmt, _, _ := contentType(ph); cmt == "text/html" {
				continue // NextPart skips the unread body
			}
		}
		attach := forceAttach
		if related {
			isRoot := i == 1
			if start != "" {
				isRoot = strings.Trim(ph.Get("Content-Id"), "<> ") == start
			}
			attach = attach || !isRoot
		}
		segs := p.walk(ph, part, childPath, depth+1, false, attach)
		if p.found != nil {
			return nil // leave the stream where the found part starts
		}
		children = append(children, segs)
		if alternative && !havePlain {
			s := mergeSegments(segs)
			havePlain = s.plain && !s.empty()
		}
		if p.stopped {
			break
		}
	}
	if p.target == path && p.target != "" {
		p.found = &found{err: errors.New("part is a multipart container, not an attachment")}
		return nil
	}
	if alternative {
		return []segment{chooseAlternative(children)}
	}
	var out []segment
	for _, c := range children {
		out = append(out, c...)
	}
	return out
}

// chooseAlternative takes Text from the last plain-text alternative and Rich from the last
// HTML one (RFC 2046 puts the preferred form last), falling back on each other.
func chooseAlternative(children [][]segment) segment {
	var textSeg, richSeg, last *segment
	for _, c := range children {
		s := mergeSegments(c)
		if s.empty() {
			continue
		}
		if s.plain {
			textSeg = &s
		}
		if s.html {
			richSeg = &s
		}
		last = &s
	}
	if last == nil {
		return segment{}
	}
	if textSeg == nil {
		textSeg = last
		if richSeg != nil {
			textSeg = richSeg
		}
	}
	if richSeg == nil {
		richSeg = textSeg
	}
	return segment{text: textSeg.text, plain: textSeg.plain, rich: richSeg.rich, html: richSeg.html, blocked: richSeg.blocked}
}

// walkMessage handles an attached message: it is listed as an attachment and its readable
// content is shown after a short header block, as mail clients show forwarded mail.
func (p *parser) walkMessage(h message.Header, body io.Reader, path string, depth int) []segment {
	part := p.attachmentPart(h, path, "message/rfc822")
	e, err := message.New(octetHeader(h), body)
	if err != nil {
		p.warn("part %s: %v", path, err)
	}
	if p.target == path {
		p.found = &found{r: e.Body, part: part}
		return nil
	}
	counted := &countReader{r: e.Body}
	br := bufio.NewReader(counted)
	hb, err := readHeaderBlock(br, p.lim.MaxHeaderBytes)
	if err != nil {
		p.warn("part %s: attached message: %v", path, err)
		return nil
	}
	for _, w := range hb.warnings {
		p.warn("part %s: %s", path, w)
	}
	env, _ := envelopeFromHeader(hb.header)
	if filenameOf(h) == "" {
		part.Filename = "message.eml"
		if env.Subject != "" {
			part.Filename = SanitizeFilename(truncateRunes(env.Subject, 100) + ".eml")
		}
	}
	idx := -1
	if p.target == "" {
		idx = len(p.attachments)
		p.attachments = append(p.attachments, part)
	}
	var inner []segment
	if !p.outerOnly {
		inner = p.walk(hb.header, bufio.NewReader(hb.body), path, depth+1, true, false)
		if p.found != nil {
			return nil
		}
	}
	if _, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, errTooLarge) {
		p.warn("part %s: %v", path, err)
	}
	if idx >= 0 {
		p.attachments[idx].Size = counted.n
	}
	if p.outerOnly {
		return nil
	}
	return append([]segment{forwardedHeader(env)}, inner...)
}

func forwardedHeader(env Envelope) segment {
	var lines []string
	rich := []Block{{Kind: Rule}}
	add := func(label, value string) {
		if value == "" {
			return
		}
		lines = append(lines, label+": "+value)
		rich = append(rich, Block{Kind: Paragraph, Spans: []Span{{Text: label + ": ", Bold: true}, {Text: value}}})
	}
	add("From", joinAddresses(env.From))
	if !env.Date.IsZero() {
		add("Date", env.Date.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	}
	add("Subject", env.Subject)
	add("To", joinAddresses(env.To))
	add("Cc", joinAddresses(env.Cc))
	text := "---------- Attached message ----------\n" + strings.Join(lines, "\n")
	return segment{text: text, rich: rich, plain: true}
}

func joinAddresses(as []Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// leaf handles a non-multipart entity: readable text becomes a segment, anything else an
// attachment whose decoded size is counted without keeping its bytes.
func (p *parser) leaf(h message.Header, body io.Reader, path, mt string, params map[string]string, forceAttach bool) []segment {
	disp, _ := disposition(h)
	rawName := filenameOf(h)
	isBody := (mt == "text/plain" || mt == "text/html") && disp != "attachment" && rawName == "" && !forceAttach

	if p.target != "" {
		if p.target != path {
			return nil
		}
		// An unknown transfer encoding leaves the raw bytes, as Parse counted them.
		e, _ := message.New(octetHeader(h), body)
		part := p.attachmentPart(h, path, mt)
		part.Size = -1
		p.found = &found{r: e.Body, part: part}
		return nil
	}

	if !isBody && p.textOnly {
		part := p.attachmentPart(h, path, mt)
		part.Size = -1
		if _, err := io.Copy(io.Discard, body); err != nil {
			p.readWarning(path, err)
		}
		p.attachments = append(p.attachments, part)
		return nil
	}
	if !isBody {
		part := p.attachmentPart(h, path, mt)
		e, err := message.New(octetHeader(h), body)
		if err != nil {
			p.warn("part %s: %v: size is of the raw bytes", path, err)
		}
		n, err := io.Copy(io.Discard, e.Body)
		if err != nil {
			p.readWarning(path, err)
		}
		part.Size = n
		p.attachments = append(p.attachments, part)
		return nil
	}

	cs := strings.ToLower(strings.TrimSpace(params["charset"]))
	hh := h.Copy()
	ctParams := map[string]string{}
	if cs != "" {
		ctParams["charset"] = cs
	}
	hh.SetContentType(mt, ctParams)
	e, err := message.New(hh, body)
	switch {
	case message.IsUnknownCharset(err):
		p.warn("part %s: unknown charset %s: shown as raw bytes", path, cs)
	case message.IsUnknownEncoding(err):
		p.warn("part %s: unknown transfer encoding %q: shown undecoded", path, strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	case err != nil:
		p.warn("part %s: %v", path, err)
	}
	if e == nil {
		return nil
	}
	// Text is held in memory (and grows when converted), so all text parts together get a
	// budget of a few parts' worth.
	budget := min(p.lim.MaxPartBytes, textBudgetParts*p.lim.MaxPartBytes-p.textBytes)
	if budget <= 0 {
		p.warn("part %s: text beyond %d bytes in all: skipped", path, textBudgetParts*p.lim.MaxPartBytes)
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, budget+1))
	if err != nil {
		p.readWarning(path, err)
	}
	if int64(len(data)) > budget {
		data = data[:budget]
		if i := lastRuneStart(data); !utf8.FullRune(data[i:]) {
			data = data[:i] // do not leave half a character at the cut
		}
		p.warn("part %s: longer than %d bytes: truncated", path, budget)
	}
	p.textBytes += int64(len(data))
	text := cleanBodyText(fixUTF8(string(data)))
	if mt == "text/html" {
		blocks, blocked := HTMLToRich(text)
		seg := segment{text: RichToText(blocks), rich: blocks, html: true, blocked: blocked}
		if p.textOnly {
			seg.rich = nil
		}
		return []segment{seg}
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	if p.textOnly {
		return []segment{{text: text, plain: true}}
	}
	return []segment{{text: text, rich: TextToRich(text), plain: true}}
}

func lastRuneStart(b []byte) int {
	i := len(b) - 1
	for i > 0 && !utf8.RuneStart(b[i]) {
		i--
	}
	return max(i, 0)
}

// readWarning turns a body read error into a warning; the size limit is reported once for the
// message and a missing boundary by the enclosing multipart.
func (p *parser) readWarning(path string, err error) {
	switch {
	case errors.Is(err, errTooLarge):
	case errors.Is(err, io.ErrUnexpectedEOF):
		p.cutPart = true
		p.warn("part %s: ends without its closing boundary", path)
	default:
		p.warn("part %s: %v: shown as far as it could be decoded", path, err)
	}
}

func (p *parser) attachmentPart(h message.Header, path, mt string) Part {
	disp, _ := disposition(h)
	cid := strings.TrimSpace(strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>"))
	name := filenameOf(h)
	fn := SanitizeFilename(name)
	if name == "" || fn == "attachment" {
		fn = "attachment" + extensionFor(mt)
	}
	return Part{
		Path:        path,
		ContentType: mt,
		Filename:    fn,
		ContentID:   cleanHeaderText(cid),
		Size:        0,
		Inline:      disp == "inline" || (disp == "" && cid != ""),
	}
}

// octetHeader copies h with its type set to application/octet-stream, so that go-message undoes
// the transfer encoding but not the charset.
func octetHeader(h message.Header) message.Header {
	hh := h.Copy()
	hh.SetContentType("application/octet-stream", nil)
	return hh
}

// contentType parses Content-Type leniently: with RFC 2045's default of text/plain, and with
// parameters salvaged when go's strict parser refuses them (the boundary matters most).
func contentType(h message.Header) (string, map[string]string, error) {
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}, nil
	}
	mt, params, err := parseParams(v)
	if !strings.Contains(mt, "/") || strings.ContainsAny(mt, " \t\"") {
		if err == nil {
			err = fmt.Errorf("no media type in %q", truncateRunes(v, 64))
		}
		return "text/plain", params, err
	}
	return mt, params, err
}

func disposition(h message.Header) (string, map[string]string) {
	v := h.Get("Content-Disposition")
	if strings.TrimSpace(v) == "" {
		return "", map[string]string{}
	}
	d, params, _ := parseParams(v)
	return d, params
}

// parseParams parses a "value; key=val" header with the standard library (RFC 2231 included),
// then decodes RFC 2047 words in the values as mailers often put them there.
func parseParams(v string) (string, map[string]string, error) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		mt, params = lenientParams(v)
	}
	for k, val := range params {
		params[k] = cleanHeaderText(decodeWords(val))
	}
	return strings.ToLower(strings.TrimSpace(mt)), params, err
}

// lenientParams splits "value; a=b; c="d"" without judging it. Keys ending in '*' carry RFC 2231
// charset”value encoding, which is undone when it is percent-encoded UTF-8 or ASCII.
func lenientParams(v string) (string, map[string]string) {
	params := map[string]string{}
	fields := splitParams(v)
	if len(fields) == 0 {
		return "", params
	}
	for _, f := range fields[1:] {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
		}
		if strings.HasSuffix(k, "*") {
			k = strings.TrimSuffix(k, "*")
			if parts := strings.SplitN(val, "'", 3); len(parts) == 3 {
				if dec, err := url.PathUnescape(parts[2]); err == nil {
					val = dec
				}
			}
		}
		if _, dup := params[k]; k != "" && !dup {
			params[k] = val
		}
	}
	return strings.TrimSpace(fields[0]), params
}

// splitParams splits on ';' outside double quotes.
func splitParams(v string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// filenameOf returns the part's file name from Content-Disposition, else from Content-Type's
// name parameter, decoded but not yet sanitised.
func filenameOf(h message.Header) string {
	ah := mail.AttachmentHeader{Header: h}
	if name, err := ah.Filename(); err == nil && name != "" {
		return cleanHeaderText(name)
	}
	if _, params := disposition(h); params["filename"] != "" {
		return params["filename"]
	}
	_, params, _ := contentType(h)
	return params["name"]
}

var extensions = map[string]string{
	"application/pdf": ".pdf", "application/zip": ".zip", "application/json": ".json",
	"application/pgp-signature": ".asc", "application/pgp-encrypted": ".asc", "application/pgp-keys": ".asc",
	"application/pkcs7-signature": ".p7s", "application/x-pkcs7-signature": ".p7s",
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "image/svg+xml": ".svg",
	"text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "text/csv": ".csv", "text/vcard": ".vcf",
	"message/rfc822": ".eml", "message/delivery-status": ".txt", "text/rfc822-headers": ".txt",
	"audio/mpeg": ".mp3", "video/mp4": ".mp4",
}

func extensionFor(mt string) string { return extensions[mt] }

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// unflow undoes RFC 3676 format=flowed: soft line breaks (a trailing space) are joined, space
// stuffing is removed, and quote depth is kept as "> " prefixes.
func unflow(text string, delsp bool) string {
	lines := strings.Split(text, "\n")
	var out []string
	var cur strings.Builder
	curDepth, open := 0, false
	flush := func() {
		if open {
			out = append(out, strings.Repeat(">", curDepth)+sep(curDepth)+cur.String())
			cur.Reset()
			open = false
		}
	}
	for _, l := range lines {
		depth := 0
		for depth < len(l) && l[depth] == '>' {
			depth++
		}
		l = l[depth:]
		l = strings.TrimPrefix(l, " ") // space stuffing
		if open && depth != curDepth {
			flush()
		}
		curDepth = depth
		open = true
		soft := strings.HasSuffix(l, " ") && l != "-- "
		if soft && delsp {
			l = l[:len(l)-1]
		}
		cur.WriteString(l)
		if !soft {
			flush()
		}
	}
	flush()
	return strings.Join(out, "\n")
}

func sep(depth int) string {
	if depth > 0 {
		return " "
	}
	return ""
}
