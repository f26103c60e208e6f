package testbed

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// GenOptions tunes Generate. The zero value gives the default mix.
type GenOptions struct {
	// TotalBytes is an optional size target. With n <= 0 Generate produces
	// messages until their total reaches it. With n > 0 the attachment sizes
	// are scaled (within 16 KB–8 MB per message) so the total lands near it.
	TotalBytes int64
	// AttachmentRatio is the share of messages with attachments: 0 means the
	// default 0.05, a negative value means none.
	AttachmentRatio float64
	// ReplyRatio is the share of messages that answer an earlier one in the
	// same batch: 0 means the default 0.35, a negative value means none.
	ReplyRatio float64
	// To is the recipient address; default "alice@mail.test".
	To string
	// End is the Date of the newest message and Span how far back the
	// oldest goes. Defaults: the start of the current UTC day and 365 days.
	// Set End for output that is byte-stable across days.
	End  time.Time
	Span time.Duration
}

// Generate returns n realistic messages, deterministic for the same seed,
// n and options, with CRLF line ends, oldest first. About 93 % are 2–20 KB
// text/plain or multipart/alternative with HTML, 5 % carry base64
// attachments of 50 KB–1 MB that hold most of the bytes, and 2 % are odd
// ones (one-liners, calendar invites, HTML with an inline image).
//
// What tests may rely on: Subjects and display names in Dutch, German,
// Japanese and with emoji, as RFC 2047 encoded words; threads through
// Message-ID, In-Reply-To and References; UTF-8, ISO-8859-1, 7bit, 8bit,
// quoted-printable and base64 bodies; remote images in HTML (never fetched
// by a correct client); some plain-text bodies with lines starting with "."
// (one is a lone ".") and some with a line longer than 4096 bytes, as POP3
// and LMTP dot-stuffing and long-line handling need.
func Generate(seed int64, n int, opts GenOptions) [][]byte {
	g := newGenerator(seed, opts)
	if n <= 0 && opts.TotalBytes <= 0 {
		return nil
	}
	var plans []*msgPlan
	if n > 0 {
		plans = make([]*msgPlan, n)
		for i := range plans {
			plans[i] = g.plan()
		}
		if opts.TotalBytes > 0 {
			scaleAttachments(plans, opts.TotalBytes)
		}
	}
	var msgs []*draft
	var total int64
	for i := 0; ; i++ {
		if n > 0 && i >= n {
			break
		}
		if n <= 0 && total >= opts.TotalBytes {
			break
		}
		var p *msgPlan
		if n > 0 {
			p = plans[i]
		} else {
			p = g.plan()
		}
		m := g.message(i, p)
		total += int64(m.size())
		msgs = append(msgs, m)
	}
	return g.stampDates(msgs)
}

// The mix, as probabilities; text messages take the rest.
const (
	defaultAttachmentRatio = 0.05
	oddRatio               = 0.02
	defaultReplyRatio      = 0.35
	longLineRatio          = 0.03 // of plain-text bodies sent as 7bit/8bit
	dotLineRatio           = 0.06 // likewise
	minAttach, maxAttach   = 50 << 10, 1 << 20
)

type msgKind int

const (
	kindText msgKind = iota
	kindAttach
	kindOdd
)

// msgPlan is what the sizes depend on, drawn before any content so a
// TotalBytes target can rescale attachments.
type msgPlan struct {
	kind     msgKind
	textSize int   // target size of the whole message for text kinds
	attach   []int // decoded attachment sizes
}

type generator struct {
	opts     GenOptions
	planRNG  *rand.Rand // kinds and sizes
	rng      *rand.Rand // content
	to       *mail.Address
	history  []*draft // candidates for replies
	attRatio float64
	repRatio float64
}

func newGenerator(seed int64, opts GenOptions) *generator {
	g := &generator{
		opts:     opts,
		planRNG:  rand.New(rand.NewPCG(uint64(seed), 0x5eed_91a7)),
		rng:      rand.New(rand.NewPCG(uint64(seed), 0xc0_47e47)),
		attRatio: opts.AttachmentRatio,
		repRatio: opts.ReplyRatio,
	}
	if g.attRatio == 0 {
		g.attRatio = defaultAttachmentRatio
	}
	g.attRatio = max(0, min(g.attRatio, 1-oddRatio))
	if g.repRatio == 0 {
		g.repRatio = defaultReplyRatio
	}
	g.repRatio = max(0, min(g.repRatio, 1))
	to := opts.To
	if to == "" {
		to = "alice@mail.test"
	}
	local, _, _ := strings.Cut(to, "@")
	g.to = &mail.Address{Name: capitalize(local), Address: to}
	return g
}

func (g *generator) plan() *msgPlan {
	r := g.planRNG
	u := r.Float64()
	p := &msgPlan{}
	switch {
	case u < g.attRatio:
		p.kind = kindAttach
		total := logUniform(r, minAttach, maxAttach)
		parts := 1 + r.IntN(3)
		if total < 3*minAttach/2 {
			parts = 1
		}
		// Split the total: the first attachment usually dominates.
		rest := total
		for i := 0; i < parts; i++ {
			sz := rest
			if i < parts-1 {
				sz = rest * (50 + r.IntN(40)) / 100
			}
			p.attach = append(p.attach, sz)
			rest -= sz
		}
		p.textSize = logUniform(r, 1500, 6000)
	case u < g.attRatio+oddRatio:
		p.kind = kindOdd
	default:
		p.kind = kindText
		p.textSize = logUniform(r, 2100, 19500)
	}
	return p
}

// scaleAttachments resizes attachments so the batch lands near total.
func scaleAttachments(plans []*msgPlan, total int64) {
	var textBytes, attBytes int64
	for _, p := range plans {
		switch p.kind {
		case kindOdd:
			textBytes += 6 << 10 // rough mean of the odd kinds
		default:
			textBytes += int64(p.textSize)
		}
		for _, a := range p.attach {
			attBytes += int64(a) * 137 / 100 // base64 with line breaks
		}
	}
	if attBytes == 0 {
		return
	}
	f := float64(total-textBytes) / float64(attBytes)
	for _, p := range plans {
		sum := 0
		for _, a := range p.attach {
			sum += a
		}
		if sum == 0 {
			continue
		}
		want := max(16<<10, min(8<<20, int(float64(sum)*f)))
		for i, a := range p.attach {
			p.attach[i] = max(1024, a*want/sum)
		}
	}
}

func logUniform(r *rand.Rand, lo, hi int) int {
	return int(math.Exp(math.Log(float64(lo)) + r.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
}

// draft is a message whose Date headers are still placeholders: dates are
// spread once the number of messages is known.
type draft struct {
	buf       []byte
	messageID string
	refs      []string // References of this message, oldest first
	subject   string   // without Re: prefixes
	lang      *language
	from      *person
	quote     []string // first lines of the plain text, for quoting
}

func (m *draft) size() int { return len(m.buf) }

// Date placeholders in the header, overwritten in place by stampDates:
// RFC1123Z dates are always 31 bytes. dateTag is the sender's local time,
// recvTag the receiving server's (UTC) a moment later.
const (
	dateTag = "\x00DATE--------------------------"
	recvTag = "\x00RECV--------------------------"
)

func (g *generator) stampDates(msgs []*draft) [][]byte {
	end := g.opts.End
	if end.IsZero() {
		end = time.Now().UTC().Truncate(24 * time.Hour)
	}
	span := g.opts.Span
	if span <= 0 {
		span = 365 * 24 * time.Hour
	}
	start := end.Add(-span)
	out := make([][]byte, len(msgs))
	step := span / time.Duration(max(1, len(msgs)))
	for i, m := range msgs {
		// Evenly spread, jittered within the slot, newest exactly at end.
		t := start.Add(step * time.Duration(i+1))
		if i < len(msgs)-1 && step > time.Second {
			t = t.Add(-time.Duration(g.rng.Int64N(int64(step) / 2)))
		}
		t = t.Truncate(time.Second)
		local := t.In(m.from.zone(t)).Format(time.RFC1123Z)
		recv := t.Add(time.Duration(2+i%5) * time.Second).UTC().Format(time.RFC1123Z)
		out[i] = stamp(stamp(m.buf, dateTag, local), recvTag, recv)
	}
	return out
}

// stamp replaces every tag in the header of msg by val, in place when the
// lengths match (always, but for years beyond 9999).
func stamp(msg []byte, tag, val string) []byte {
	hdr := msg
	if end := bytes.Index(msg, []byte("\r\n\r\n")); end >= 0 {
		hdr = msg[:end]
	}
	if len(tag) != len(val) {
		return append(bytes.ReplaceAll(hdr, []byte(tag), []byte(val)), msg[len(hdr):]...)
	}
	b := hdr
	for {
		i := bytes.Index(b, []byte(tag))
		if i < 0 {
			return msg
		}
		copy(b[i:], val)
		b = b[i+len(tag):]
	}
}

func (g *generator) message(i int, p *msgPlan) *draft {
	r := g.rng
	m := &draft{}
	var parent *draft
	if len(g.history) > 0 && p.kind != kindOdd && r.Float64() < g.repRatio {
		// Answer something recent, as real threads do.
		lo := max(0, len(g.history)-40)
		parent = g.history[lo+r.IntN(len(g.history)-lo)]
	}
	if parent != nil {
		m.lang = parent.lang
		m.subject = parent.subject
		m.refs = append(append([]string(nil), lastN(parent.refs, 9)...), parent.messageID)
	} else {
		m.lang = pickLang(r)
		m.subject = m.lang.subject(r)
	}
	m.from = m.lang.people[r.IntN(len(m.lang.people))]
	if parent != nil && parent.from == m.from && len(m.lang.people) > 1 {
		m.from = m.lang.people[(indexOf(m.lang.people, m.from)+1)%len(m.lang.people)]
	}
	m.messageID = fmt.Sprintf("<%08x.%d.%s@%s>", r.Uint32(), i, randToken(r, 6), m.from.domain())

	var h headerWriter
	est := p.textSize + 8<<10
	for _, a := range p.attach {
		est += a*78/57 + 1024
	}
	h.buf.Grow(est)
	g.writeTrace(&h, m)
	h.add("From", m.from.address().String())
	h.add("To", g.to.String())
	if r.IntN(6) == 0 {
		cc := m.lang.people[r.IntN(len(m.lang.people))]
		h.add("Cc", cc.address().String())
	}
	subject := m.subject
	if parent != nil {
		subject = m.lang.replyPrefix(r) + subject
	}
	h.add("Subject", encodeHeader(subject, m.lang, r))
	h.add("Date", dateTag)
	h.add("Message-ID", m.messageID)
	if parent != nil {
		h.add("In-Reply-To", parent.messageID)
		h.add("References", strings.Join(m.refs, " "))
	}
	h.add(m.from.mailerHeader(), m.from.mailer)
	h.add("MIME-Version", "1.0")

	greeting, paras := m.lang.letter(r, g.to.Name)
	var quote []string
	if parent != nil {
		quote = parent.quote
	}
	switch p.kind {
	case kindOdd:
		g.writeOdd(&h, m, r)
	case kindAttach:
		budget := p.textSize - h.len()
		body := textBody{greeting: greeting, paras: fillParas(r, m.lang, paras, budget/2), sig: m.from.signature(), quote: quote}
		boundary := randBoundary(r)
		h.add("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}))
		h.buf.WriteString("\r\n")
		h.buf.WriteString("This is a multi-part message in MIME format.\r\n")
		h.buf.WriteString("--" + boundary + "\r\n")
		if r.IntN(2) == 0 {
			g.writePlain(&h.buf, m, body, r)
		} else {
			g.writeAlternative(&h.buf, m, body, r, false)
		}
		for _, size := range p.attach {
			h.buf.WriteString("\r\n--" + boundary + "\r\n")
			writeAttachment(&h.buf, m.lang, size, r)
		}
		h.buf.WriteString("\r\n--" + boundary + "--\r\n")
		m.quote = body.lines(6)
	default:
		budget := p.textSize - h.len()
		alt := r.IntN(100) < 55
		if alt {
			budget = budget * 2 / 5 // the HTML twin takes the rest
		}
		body := textBody{greeting: greeting, paras: fillParas(r, m.lang, paras, budget), sig: m.from.signature(), quote: quote}
		if alt {
			g.writeAlternative(&h.buf, m, body, r, true)
		} else {
			g.writePlain(&h.buf, m, body, r)
		}
		m.quote = body.lines(6)
	}
	m.buf = h.buf.Bytes()
	g.history = append(g.history, m)
	return m
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func indexOf(ps []*person, p *person) int {
	for i, q := range ps {
		if q == p {
			return i
		}
	}
	return 0
}

// writeTrace adds the headers a message collects on its way: Return-Path,
// Received and, for some senders, a DKIM signature. Addresses are from the
// documentation ranges.
func (g *generator) writeTrace(h *headerWriter, m *draft) {
	r := g.rng
	h.add("Return-Path", "<"+m.from.email+">")
	ip := fmt.Sprintf("%s.%d", []string{"192.0.2", "198.51.100", "203.0.113"}[r.IntN(3)], 1+r.IntN(250))
	mx := fmt.Sprintf("mx%d.%s", 1+r.IntN(3), m.from.domain())
	h.add("Received", fmt.Sprintf("from %s (%s [%s]) by mail.test (Postfix) with ESMTPS id %s for <%s>; %s",
		mx, mx, ip, strings.ToUpper(randToken(r, 10)), g.to.Address, recvTag))
	h.add("Received", fmt.Sprintf("from [10.%d.%d.%d] by mx.%s with ESMTPSA id %s; %s",
		r.IntN(256), r.IntN(256), 1+r.IntN(250), m.from.domain(), randToken(r, 12), dateTag))
	if r.IntN(2) == 0 {
		h.add("DKIM-Signature", fmt.Sprintf("v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=s%d; h=from:to:subject:date:message-id:mime-version; bh=%s=; b=%s",
			m.from.domain(), 2020+r.IntN(6), randB64(r, 43), strings.Join([]string{randB64(r, 70), randB64(r, 70), randB64(r, 70), randB64(r, 70), randB64(r, 62)}, " ")))
	}
}

// textBody is the content shared by a plain-text part and its HTML twin.
type textBody struct {
	greeting string
	paras    []string
	sig      []string
	quote    []string
	// Set on some 7bit/8bit plain-text parts only.
	longLine string
	dotLines bool
}

func (b textBody) lines(n int) []string {
	var out []string
	for _, p := range b.paras {
		for _, l := range wrap(p, 72) {
			if len(out) == n {
				return out
			}
			out = append(out, l)
		}
	}
	return out
}

// plain renders the body as text with LF line ends.
func (b textBody) plain(width int) string {
	var s strings.Builder
	s.WriteString(b.greeting + "\n\n")
	for i, p := range b.paras {
		for _, l := range wrap(p, width) {
			s.WriteString(l + "\n")
		}
		s.WriteString("\n")
		if b.dotLines && i == 0 {
			// Lines a POP3 or SMTP server must dot-stuff, the lone "."
			// being the one that ends a transfer if it is not.
			s.WriteString(".\n.hidden-file aanpassen\n...en verder\n..\n\n")
		}
		if b.longLine != "" && i == len(b.paras)/2 {
			s.WriteString(b.longLine + "\n\n")
		}
	}
	s.WriteString("-- \n")
	for _, l := range b.sig {
		s.WriteString(l + "\n")
	}
	if len(b.quote) > 0 {
		s.WriteString("\n")
		for _, l := range b.quote {
			s.WriteString("> " + l + "\n")
		}
	}
	return s.String()
}

func (b textBody) html(lang *language, newsletter bool, r *rand.Rand) string {
	var s strings.Builder
	s.WriteString("<!DOCTYPE html>\n<html lang=\"" + lang.code + "\">\n<head>\n<meta charset=\"utf-8\">\n")
	s.WriteString("<style>body{font-family:Arial,sans-serif;font-size:14px;color:#222}p{margin:0 0 12px}</style>\n</head>\n<body>\n")
	if newsletter {
		// Remote content a safe client must never load.
		fmt.Fprintf(&s, "<img src=\"https://img.example.com/banner-%d.png\" alt=\"banner\" width=\"600\" height=\"120\">\n", r.IntN(1000))
		s.WriteString("<table width=\"100%\" cellpadding=\"8\"><tr><td>\n")
	}
	s.WriteString("<p>" + htmlEscape(b.greeting) + "</p>\n")
	for _, p := range b.paras {
		s.WriteString("<p>")
		for i, l := range wrap(htmlEscape(p), 76) {
			if i > 0 {
				s.WriteString("\n")
			}
			s.WriteString(l)
		}
		s.WriteString("</p>\n")
	}
	if newsletter {
		fmt.Fprintf(&s, "<p><a href=\"https://www.example.com/deal?id=%d&amp;utm_source=mail\">%s</a></p>\n", r.IntN(1e6), htmlEscape(lang.words[r.IntN(len(lang.words))]))
		s.WriteString("</td></tr></table>\n")
		fmt.Fprintf(&s, "<img src=\"https://track.example.net/open.gif?u=%s\" width=\"1\" height=\"1\" alt=\"\">\n", randToken(r, 16))
	}
	s.WriteString("<div class=\"signature\">-- <br>\n" + htmlEscape(strings.Join(b.sig, "\n")) + "</div>\n")
	if len(b.quote) > 0 {
		s.WriteString("<blockquote type=\"cite\">\n" + htmlEscape(strings.Join(b.quote, "\n")) + "\n</blockquote>\n")
	}
	s.WriteString("</body>\n</html>\n")
	return strings.ReplaceAll(s.String(), "\n", "\r\n")
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "\n", "<br>\n")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }

// writePlain writes a text/plain entity (headers and body) to w; at the top
// level its header fields join the message header.
func (g *generator) writePlain(w *bytes.Buffer, m *draft, body textBody, r *rand.Rand) {
	text := body.plain(72)
	charset, cte := pickTextEncoding(m.lang, text, r)
	if cte == "7bit" || cte == "8bit" {
		if r.Float64() < dotLineRatio {
			body.dotLines = true
		}
		if r.Float64() < longLineRatio {
			body.longLine = longLine(r)
		}
		text = body.plain(72)
	}
	w.WriteString("Content-Type: text/plain; charset=" + charset)
	if r.IntN(3) == 0 {
		w.WriteString("; format=flowed")
	}
	w.WriteString("\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n")
	encodeText(w, text, charset, cte)
}

// writeAlternative writes a multipart/alternative entity: plain text, then
// HTML.
func (g *generator) writeAlternative(w *bytes.Buffer, m *draft, body textBody, r *rand.Rand, top bool) {
	boundary := randBoundary(r)
	w.WriteString("Content-Type: " + mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}) + "\r\n\r\n")
	if top {
		w.WriteString("This is a multi-part message in MIME format.\r\n")
	}
	w.WriteString("--" + boundary + "\r\n")
	text := body.plain(72)
	charset, cte := pickTextEncoding(m.lang, text, r)
	w.WriteString("Content-Type: text/plain; charset=" + charset + "\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n")
	encodeText(w, text, charset, cte)
	w.WriteString("\r\n--" + boundary + "\r\n")
	html := body.html(m.lang, r.IntN(6) == 0, r)
	hcte := "quoted-printable"
	if m.lang.code == "ja" || r.IntN(5) == 0 {
		hcte = "base64"
	}
	w.WriteString("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: " + hcte + "\r\n\r\n")
	encodeText(w, html, "utf-8", hcte)
	w.WriteString("\r\n--" + boundary + "--\r\n")
}

// writeOdd writes one of the rarer shapes, body included.
func (g *generator) writeOdd(h *headerWriter, m *draft, r *rand.Rand) {
	switch r.IntN(3) {
	case 0: // a one-liner
		h.add("Content-Type", "text/plain; charset=utf-8")
		h.add("Content-Transfer-Encoding", "8bit")
		h.buf.WriteString("\r\n")
		line := m.lang.oneLiner(r)
		h.buf.WriteString(line + "\r\n\r\n" + m.from.first + "\r\n")
		m.quote = []string{line}
	case 1: // a calendar invitation
		boundary := randBoundary(r)
		h.add("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
		h.buf.WriteString("\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		h.buf.WriteString(m.subject + "\r\n" + m.lang.oneLiner(r) + "\r\n")
		h.buf.WriteString("\r\n--" + boundary + "\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		start := fmt.Sprintf("2025%02d%02dT%02d0000Z", 1+r.IntN(12), 1+r.IntN(28), 8+r.IntN(9))
		fmt.Fprintf(&h.buf, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Postbode testbed//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"+
			"UID:%s\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nSUMMARY:%s\r\nORGANIZER;CN=%s:mailto:%s\r\nATTENDEE;RSVP=TRUE:mailto:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			randToken(r, 20), start, start, icsEscape(m.subject), icsEscape(m.from.name), m.from.email, g.to.Address)
		h.buf.WriteString("\r\n--" + boundary + "--\r\n")
		m.quote = []string{m.subject}
	default: // HTML with an inline image, as newsletters and signatures do
		outer, inner := randBoundary(r), randBoundary(r)
		cid := randToken(r, 12) + "@" + m.from.domain()
		h.add("Content-Type", mime.FormatMediaType("multipart/related", map[string]string{"boundary": outer, "type": "multipart/alternative"}))
		h.buf.WriteString("\r\n--" + outer + "\r\n")
		h.buf.WriteString("Content-Type: " + mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": inner}) + "\r\n\r\n")
		line := m.lang.oneLiner(r)
		h.buf.WriteString("--" + inner + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + line + "\r\n")
		h.buf.WriteString("\r\n--" + inner + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		encodeText(&h.buf, "<html><body><p>"+htmlEscape(line)+"</p><img src=\"cid:"+cid+"\" alt=\"logo\"></body></html>\r\n", "utf-8", "quoted-printable")
		h.buf.WriteString("\r\n--" + inner + "--\r\n")
		h.buf.WriteString("\r\n--" + outer + "\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <" + cid + ">\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n\r\n")
		writeBase64(&h.buf, fakeFile(r, "png", 2000+r.IntN(12000)))
		h.buf.WriteString("\r\n--" + outer + "--\r\n")
		m.quote = []string{line}
	}
}

func icsEscape(s string) string {
	return strings.NewReplacer("\\", "\\\\", ";", "\\;", ",", "\\,", "\n", "\\n").Replace(s)
}

// pickTextEncoding chooses charset and transfer encoding as mail programs
// do: ASCII as 7bit, Latin text often as ISO-8859-1 or quoted-printable,
// Japanese as base64.
func pickTextEncoding(lang *language, text string, r *rand.Rand) (charset, cte string) {
	if isASCII(text) {
		return "us-ascii", "7bit"
	}
	if lang.code == "ja" {
		if r.IntN(3) == 0 {
			return "utf-8", "8bit"
		}
		return "utf-8", "base64"
	}
	charset = "utf-8"
	if (lang.code == "de" || lang.code == "nl") && latin1OK(text) && r.IntN(4) == 0 {
		charset = "iso-8859-1"
	}
	if r.IntN(5) < 3 {
		return charset, "quoted-printable"
	}
	return charset, "8bit"
}

// encodeText writes LF-separated text in the given charset and transfer
// encoding, with CRLF line ends.
func encodeText(w *bytes.Buffer, text, charset, cte string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	data := []byte(text)
	if charset == "iso-8859-1" {
		data = toLatin1(text)
	}
	switch cte {
	case "quoted-printable":
		qp := quotedprintable.NewWriter(w)
		qp.Write(data)
		qp.Close()
		if !bytes.HasSuffix(w.Bytes(), []byte("\r\n")) {
			w.WriteString("\r\n")
		}
	case "base64":
		writeBase64(w, data)
	default:
		w.Write(data)
	}
}

func writeBase64(w *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding
	w.Grow(len(data)/57*78 + 80)
	var line [76]byte
	for len(data) > 0 {
		chunk := min(len(data), 57) // 57 bytes make one 76-character line
		enc.Encode(line[:], data[:chunk])
		w.Write(line[:enc.EncodedLen(chunk)])
		w.WriteString("\r\n")
		data = data[chunk:]
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func latin1OK(s string) bool {
	for _, c := range s {
		if c > 0xff {
			return false
		}
	}
	return true
}

func toLatin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, c := range s {
		if c > 0xff {
			c = '?'
		}
		b = append(b, byte(c))
	}
	return b
}

// encodeHeader turns a header text into RFC 2047 encoded words when it is
// not ASCII: Q for Latin scripts (sometimes in ISO-8859-1), B for Japanese
// and emoji, like common mail programs.
func encodeHeader(s string, lang *language, r *rand.Rand) string {
	if isASCII(s) {
		return s
	}
	if lang.code == "ja" || !latin1OK(s) {
		return mime.BEncoding.Encode("utf-8", s)
	}
	if r.IntN(3) == 0 {
		return mime.QEncoding.Encode("iso-8859-1", string(toLatin1(s)))
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// headerWriter collects header fields, folded at 78 columns where there is
// whitespace to fold at.
type headerWriter struct{ buf bytes.Buffer }

func (h *headerWriter) len() int { return h.buf.Len() }

func (h *headerWriter) add(name, value string) {
	line := name + ": "
	col := len(line)
	h.buf.WriteString(line)
	words := strings.Split(value, " ")
	for i, word := range words {
		if i > 0 {
			if col+1+len(word) > 78 {
				h.buf.WriteString("\r\n ")
				col = 1
			} else {
				h.buf.WriteByte(' ')
				col++
			}
		}
		h.buf.WriteString(word)
		col += len(word)
	}
	h.buf.WriteString("\r\n")
}

// wrap breaks text at spaces into lines of at most width bytes; Japanese
// text, which has no spaces, is broken by characters.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			lines = append(lines, cur.String())
			cur.Reset()
		}
	}
	for _, word := range strings.Fields(text) {
		for len(word) > width {
			// No spaces to break at: cut on a rune boundary.
			cut := width
			for cut > 0 && !utf8.RuneStart(word[cut]) {
				cut--
			}
			flush()
			lines = append(lines, word[:cut])
			word = word[cut:]
		}
		if cur.Len() > 0 && cur.Len()+1+len(word) > width {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	flush()
	return lines
}

// fillParas adds paragraphs until the text is about budget bytes.
func fillParas(r *rand.Rand, lang *language, paras []string, budget int) []string {
	size := 0
	for _, p := range paras {
		size += len(p) + 2
	}
	for size < budget {
		p := lang.paragraph(r)
		paras = append(paras, p)
		size += len(p) + 2
	}
	return paras
}

// longLine is a line of 4–9 KB without spaces to break at, as pasted logs,
// URLs and some HTML-to-text converters produce.
func longLine(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("https://portal.example.com/track?session=")
	n := 4200 + r.IntN(5000)
	for b.Len() < n {
		fmt.Fprintf(&b, "&k%d=%s", r.IntN(1000), randToken(r, 8+r.IntN(24)))
	}
	return b.String()
}

const tokenChars = "abcdefghijklmnopqrstuvwxyz0123456789"

func randToken(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[r.IntN(len(tokenChars))]
	}
	return string(b)
}

func randB64(r *rand.Rand, n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randBoundary(r *rand.Rand) string {
	return "----=_Part_" + randToken(r, 8) + "_" + randToken(r, 16)
}

// attachmentKinds are plausible attachments: magic bytes, then noise.
var attachmentKinds = []struct {
	ext, ctype string
	names      map[string][]string // by language
}{
	{"pdf", "application/pdf", map[string][]string{
		"en": {"Invoice 2025-0412.pdf", "Q3 report (final).pdf"},
		"nl": {"Offerte verbouwing.pdf", "Factuur_2025-0412.pdf", "notulen ALV – concept.pdf"},
		"de": {"Rechnung Nr. 4711.pdf", "Jahresübersicht_Änderungen.pdf"},
		"ja": {"見積書.pdf", "議事録_第3回.pdf"},
	}},
	{"jpg", "image/jpeg", map[string][]string{
		"en": {"IMG_2041.JPG", "holiday beach.jpg"},
		"nl": {"foto's verjaardag.jpg", "IMG_20250612_141502.jpg"},
		"de": {"Grüße aus München.jpg", "DSC01234.JPG"},
		"ja": {"写真.jpg", "IMG_0042.jpg"},
	}},
	{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", map[string][]string{
		"en": {"Contract draft v3.docx"},
		"nl": {"Huurcontract – definitief.docx"},
		"de": {"Vertragsentwurf für Müller.docx"},
		"ja": {"契約書ドラフト.docx"},
	}},
	{"zip", "application/zip", map[string][]string{
		"en": {"photos.zip"}, "nl": {"bijlagen.zip"}, "de": {"Unterlagen.zip"}, "ja": {"資料一式.zip"},
	}},
}

func writeAttachment(w *bytes.Buffer, lang *language, size int, r *rand.Rand) {
	k := attachmentKinds[r.IntN(len(attachmentKinds))]
	names := k.names[lang.code]
	name := names[r.IntN(len(names))]
	if isASCII(name) || r.IntN(2) == 0 {
		// RFC 2231 parameters (filename*=utf-8''...) for non-ASCII names.
		w.WriteString("Content-Type: " + mime.FormatMediaType(k.ctype, map[string]string{"name": name}) + "\r\n")
		w.WriteString("Content-Disposition: " + mime.FormatMediaType("attachment", map[string]string{"filename": name}) + "\r\n")
	} else {
		// Encoded words inside quotes: not standard, yet what many mail
		// programs send.
		enc := mime.BEncoding.Encode("utf-8", name)
		w.WriteString("Content-Type: " + k.ctype + ";\r\n name=\"" + enc + "\"\r\n")
		w.WriteString("Content-Disposition: attachment;\r\n filename=\"" + enc + "\"\r\n")
	}
	w.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	writeBase64(w, fakeFile(r, k.ext, size))
}

// fakeFile returns size bytes that start like a file of type ext and
// continue as incompressible noise.
func fakeFile(r *rand.Rand, ext string, size int) []byte {
	var magic []byte
	switch ext {
	case "pdf":
		magic = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	case "jpg":
		magic = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00")
	case "png":
		magic = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	case "docx", "zip":
		magic = []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00")
	}
	b := make([]byte, max(size, len(magic))+8)
	for i := len(magic); i < len(b)-8; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	copy(b, magic)
	return b[:len(b)-8]
}
