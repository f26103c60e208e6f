package demo

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// person is a sender or recipient.
type person struct{ name, addr string }

func (p person) String() string {
	if p.name == "" {
		return p.addr
	}
	a := mail.Address{Name: p.name, Address: p.addr}
	if isCJK(p.name) {
		// B encoding is the shorter and usual form for Japanese names.
		return mime.BEncoding.Encode("UTF-8", p.name) + " <" + p.addr + ">"
	}
	return a.String()
}

func (p person) domain() string {
	if i := strings.LastIndexByte(p.addr, '@'); i >= 0 {
		return p.addr[i+1:]
	}
	return "postbode.test"
}

// file is an attachment.
type file struct {
	name, ctype string
	data        []byte
}

// letter is one message to build. Text is written with LF line endings; render makes CRLF.
type letter struct {
	key     string // stable, for threading and the Message-ID
	folder  string // IMAP mailbox, or popFolder for the POP3 maildrop
	from    person
	to, cc  []person
	subject string
	age     time.Duration // how long before the reference time it was sent
	lang    string        // nl, de, en: for the quote line of replies
	text    string
	html    string // with text, makes multipart/alternative
	files   []file
	parent  string // key of the message this answers
	unread  bool
	flagged bool
	draft   bool
	headers [][2]string // extra header fields (List-Id, List-Unsubscribe, ...)
}

// builtMsg is a rendered letter.
type builtMsg struct {
	letter
	date      time.Time
	messageID string
	refs      []string // References of this message (ancestors, oldest first)
	raw       []byte
}

type builder struct {
	rng      *rand.Rand
	seed     int64
	now      time.Time
	byID     map[string]*builtMsg
	noJitter bool // new arrivals are dated exactly now
}

func newBuilder(seed int64, now time.Time) *builder {
	return &builder{rng: rand.New(rand.NewPCG(uint64(seed), 0x706f737462)), seed: seed, now: now, byID: map[string]*builtMsg{}}
}

// build renders letters in order; a reply must come after its parent.
func (b *builder) build(letters []letter) ([]*builtMsg, error) {
	out := make([]*builtMsg, 0, len(letters))
	for _, l := range letters {
		m := &builtMsg{letter: l}
		// A few minutes of seeded jitter so that two demos with different seeds differ, while the
		// order inside a thread (always hours apart) stays.
		jitter := time.Duration(b.rng.IntN(20)) * time.Minute
		if b.noJitter {
			jitter = 0
		}
		m.date = b.now.Add(-l.age - jitter).Truncate(time.Second)
		m.messageID = fmt.Sprintf("<%s.%x@%s>", l.key, uint64(b.seed)&0xffffff, l.from.domain())
		var parent *builtMsg
		if l.parent != "" {
			parent = b.byID[l.parent]
			if parent == nil {
				return nil, fmt.Errorf("letter %s: parent %s not built yet", l.key, l.parent)
			}
			m.refs = append(append([]string(nil), parent.refs...), parent.messageID)
			if !m.date.After(parent.date) {
				m.date = parent.date.Add(17 * time.Minute)
			}
		}
		m.raw = b.render(m, parent)
		b.byID[l.key] = m
		out = append(out, m)
	}
	return out, nil
}

func (b *builder) boundary() string {
	return fmt.Sprintf("=_pbdemo_%016x", b.rng.Uint64())
}

func (b *builder) render(m *builtMsg, parent *builtMsg) []byte {
	var h bytes.Buffer
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&h, "%s: %s\r\n", name, value)
		}
	}
	field("Date", m.date.Format(time.RFC1123Z))
	field("From", m.from.String())
	field("To", joinPeople(m.to))
	field("Cc", joinPeople(m.cc))
	field("Subject", encodeHeader(m.subject))
	field("Message-ID", m.messageID)
	if parent != nil {
		field("In-Reply-To", parent.messageID)
		field("References", strings.Join(m.refs, " "))
	}
	for _, kv := range m.headers {
		field(kv[0], kv[1])
	}
	field("MIME-Version", "1.0")

	text := m.text
	if parent != nil {
		text = strings.TrimRight(text, "\n") + "\n\n" + quote(parent, m.lang)
	}
	body := textPart(text)
	if m.html != "" {
		body = b.multipart("alternative", body, htmlPart(m.html))
	}
	if len(m.files) > 0 {
		parts := []mimePart{body}
		for _, f := range m.files {
			parts = append(parts, attachmentPart(f))
		}
		body = b.multipart("mixed", parts...)
	}
	h.WriteString(body.header)
	h.WriteString("\r\n")
	h.Write(body.body)
	return h.Bytes()
}

// mimePart is a rendered entity: its header fields (CRLF-terminated) and its body.
type mimePart struct {
	header string
	body   []byte
}

func textPart(text string) mimePart {
	return mimePart{
		header: "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
		body:   qp(text),
	}
}

func htmlPart(html string) mimePart {
	return mimePart{
		header: "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
		body:   qp(html),
	}
}

func attachmentPart(f file) mimePart {
	ctype := mime.FormatMediaType(f.ctype, map[string]string{"name": f.name})
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": f.name})
	return mimePart{
		header: "Content-Type: " + ctype + "\r\nContent-Disposition: " + disp + "\r\nContent-Transfer-Encoding: base64\r\n",
		body:   base64Lines(f.data),
	}
}

func (b *builder) multipart(sub string, parts ...mimePart) mimePart {
	boundary := b.boundary()
	var body bytes.Buffer
	if sub == "mixed" {
		body.WriteString("This is a multi-part message in MIME format.\r\n")
	}
	for _, p := range parts {
		body.WriteString("\r\n--" + boundary + "\r\n")
		body.WriteString(p.header)
		body.WriteString("\r\n")
		body.Write(p.body)
	}
	body.WriteString("\r\n--" + boundary + "--\r\n")
	return mimePart{
		header: fmt.Sprintf("Content-Type: multipart/%s; boundary=\"%s\"\r\n", sub, boundary),
		body:   body.Bytes(),
	}
}

func qp(text string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(strings.TrimRight(text, "\n")+"\n", "\n", "\r\n")))
	w.Close()
	return b.Bytes()
}

func base64Lines(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.Bytes()
}

// quote is the usual reply quote: an attribution line and the parent's text with "> ".
func quote(parent *builtMsg, lang string) string {
	name := parent.from.name
	if name == "" {
		name = parent.from.addr
	}
	when := parent.date.Format("02-01-2006 15:04")
	var attribution string
	switch lang {
	case "de":
		attribution = fmt.Sprintf("Am %s schrieb %s <%s>:", when, name, parent.from.addr)
	case "en":
		attribution = fmt.Sprintf("On %s, %s <%s> wrote:", when, name, parent.from.addr)
	default:
		attribution = fmt.Sprintf("Op %s schreef %s <%s>:", when, name, parent.from.addr)
	}
	var b strings.Builder
	b.WriteString(attribution + "\n")
	for _, line := range strings.Split(strings.TrimRight(parent.text, "\n"), "\n") {
		if line == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	return b.String()
}

func joinPeople(ps []person) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// encodeHeader leaves ASCII text alone and makes RFC 2047 encoded words of anything else.
func encodeHeader(s string) string {
	ascii := true
	for _, r := range s {
		if r >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	enc := mime.QEncoding
	if isCJK(s) {
		enc = mime.BEncoding
	}
	// Fold between encoded words so that header lines stay short (RFC 5322 §2.2.3).
	return strings.ReplaceAll(enc.Encode("UTF-8", s), "?= =?", "?=\r\n =?")
}

func isCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}
