package testbed

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode"

	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
)

var genEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestGenerateDeterministic(t *testing.T) {
	opts := GenOptions{End: genEnd}
	a := Generate(7, 120, opts)
	b := Generate(7, 120, opts)
	if len(a) != 120 || len(b) != 120 {
		t.Fatalf("got %d and %d messages, want 120", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("message %d differs between two runs with the same seed", i)
		}
	}
	c := Generate(8, 120, opts)
	same := 0
	for i := range a {
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d messages identical across seeds 7 and 8", same)
	}
	if Generate(7, 0, opts) != nil {
		t.Error("n=0 without TotalBytes should give no messages")
	}
}

// msgStats is what one parsed message contributes to the mix.
type msgStats struct {
	size                 int
	attachments          int
	attachBytes          int // encoded size of attachment parts, roughly
	html, encodedHeaders bool
	messageID, inReplyTo string
	refs                 []string
	date                 time.Time
	subject              string
	dotLine, lonelyDot   bool
	longLine             bool
}

// inspect parses raw with go-message, reads every part to the end and
// reports what it found. It fails the test on any parse error.
func inspect(t *testing.T, i int, raw []byte) msgStats {
	t.Helper()
	st := msgStats{size: len(raw)}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Errorf("message %d does not end with CRLF", i)
	}
	if n := bytes.Count(raw, []byte("\n")); n != bytes.Count(raw, []byte("\r\n")) {
		t.Errorf("message %d has bare LF line ends", i)
	}
	hdrEnd := bytes.Index(raw, []byte("\r\n\r\n"))
	if hdrEnd < 0 {
		t.Fatalf("message %d has no header/body separator", i)
	}
	st.encodedHeaders = bytes.Contains(raw[:hdrEnd], []byte("=?"))
	for _, line := range bytes.Split(raw[:hdrEnd], []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("message %d: header line of %d bytes", i, len(line))
		}
	}

	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message %d: go-message: %v", i, err)
	}
	h := mr.Header
	if st.subject, err = h.Subject(); err != nil {
		t.Errorf("message %d: subject: %v", i, err)
	}
	if st.date, err = h.Date(); err != nil {
		t.Errorf("message %d: date: %v", i, err)
	}
	if st.messageID, err = h.MessageID(); err != nil || st.messageID == "" {
		t.Errorf("message %d: Message-ID %q: %v", i, st.messageID, err)
	}
	if irt, err := h.MsgIDList("In-Reply-To"); err == nil && len(irt) > 0 {
		st.inReplyTo = irt[0]
	}
	if st.refs, err = h.MsgIDList("References"); err != nil {
		t.Errorf("message %d: references: %v", i, err)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 {
		t.Errorf("message %d: From %v: %v", i, from, err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("message %d: next part: %v", i, err)
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("message %d: read part: %v", i, err)
		}
		switch ph := p.Header.(type) {
		case *mail.AttachmentHeader:
			name, err := ph.Filename()
			if err != nil || name == "" || strings.Contains(name, "=?") {
				t.Errorf("message %d: attachment filename %q: %v", i, name, err)
			}
			st.attachments++
			st.attachBytes += len(body) * 4 / 3
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			switch ct {
			case "text/html":
				st.html = true
			case "text/plain":
				if !utf8Valid(body) {
					t.Errorf("message %d: text part is not valid UTF-8 after charset decoding", i)
				}
				sc := bufio.NewScanner(bytes.NewReader(body))
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					line := strings.TrimSuffix(sc.Text(), "\r")
					st.lonelyDot = st.lonelyDot || line == "."
					st.dotLine = st.dotLine || strings.HasPrefix(line, ".")
					st.longLine = st.longLine || len(line) > 4096
				}
				if err := sc.Err(); err != nil {
					t.Errorf("message %d: scan text: %v", i, err)
				}
			}
		}
	}
	return st
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

func TestGenerateMix(t *testing.T) {
	const n = 1000
	msgs := Generate(1, n, GenOptions{End: genEnd})
	if len(msgs) != n {
		t.Fatalf("got %d messages, want %d", len(msgs), n)
	}
	var (
		total, attachBytes                                    int64
		withAttach, textInRange, html, encoded, replies, long int
		dot, lonely, dutch, german, japanese, emoji           int
		prev                                                  time.Time
	)
	ids := map[string]int{}
	for i, raw := range msgs {
		st := inspect(t, i, raw)
		total += int64(st.size)
		attachBytes += int64(st.attachBytes)
		if st.attachments > 0 {
			withAttach++
			if st.attachBytes < 50<<10 || st.attachBytes > 1500<<10 {
				t.Errorf("message %d: %d attachment bytes, want 50 KB–1 MB decoded", i, st.attachBytes)
			}
		} else if st.size >= 2000 && st.size <= 20500 {
			textInRange++
		}
		if st.html {
			html++
		}
		if st.encodedHeaders {
			encoded++
		}
		if st.longLine {
			long++
		}
		if st.dotLine {
			dot++
		}
		if st.lonelyDot {
			lonely++
		}
		if _, dup := ids[st.messageID]; dup {
			t.Errorf("message %d: duplicate Message-ID %s", i, st.messageID)
		}
		ids[st.messageID] = i
		if st.inReplyTo != "" {
			replies++
			parent, ok := ids[st.inReplyTo]
			if !ok || parent >= i {
				t.Errorf("message %d replies to %s, which is not an earlier message", i, st.inReplyTo)
			}
			if len(st.refs) == 0 || st.refs[len(st.refs)-1] != st.inReplyTo {
				t.Errorf("message %d: References %v should end with In-Reply-To %s", i, st.refs, st.inReplyTo)
			}
			if !strings.Contains(st.subject, ": ") {
				t.Errorf("message %d: reply subject %q has no prefix", i, st.subject)
			}
		}
		if st.date.Before(prev) {
			t.Errorf("message %d: date %v before previous %v", i, st.date, prev)
		}
		prev = st.date
		if st.date.Before(genEnd.AddDate(-1, 0, -1)) || st.date.After(genEnd) {
			t.Errorf("message %d: date %v outside the year before %v", i, st.date, genEnd)
		}
		s := st.subject
		dutch += b2i(strings.ContainsAny(s, "ë€–é") || strings.Contains(s, "Vergadering") || strings.Contains(s, "oma"))
		german += b2i(strings.ContainsAny(s, "äöüÄÖÜß"))
		japanese += b2i(strings.IndexFunc(s, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) }) >= 0)
		emoji += b2i(strings.IndexFunc(s, func(r rune) bool { return r >= 0x1F300 }) >= 0)
	}
	if !prev.Equal(genEnd) {
		t.Errorf("newest message dated %v, want %v", prev, genEnd)
	}
	t.Logf("%d messages, %.1f MB; attachments %d (%.0f%% of bytes); text 2–20 KB %d; html %d; encoded headers %d; replies %d; long lines %d; dot lines %d (lone %d); subjects nl %d de %d ja %d emoji %d",
		n, float64(total)/1e6, withAttach, 100*float64(attachBytes)/float64(total), textInRange, html, encoded, replies, long, dot, lonely, dutch, german, japanese, emoji)

	within := func(what string, got, lo, hi int) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s: %d of %d, want %d–%d", what, got, n, lo, hi)
		}
	}
	within("messages with attachments", withAttach, 30, 75)
	within("text messages of 2–20 KB", textInRange, 880, 970)
	within("multipart/alternative with HTML", html, 300, 800)
	within("messages with RFC 2047 encoded headers", encoded, 250, 1000)
	within("replies", replies, 250, 450)
	within("messages with lines over 4096 bytes", long, 2, 40)
	within("messages with lines starting with '.'", dot, 5, 80)
	within("messages with a lone '.' line", lonely, 5, 80)
	within("Dutch subjects", dutch, 30, 1000)
	within("German subjects", german, 30, 1000)
	within("Japanese subjects", japanese, 30, 1000)
	within("subjects with emoji", emoji, 10, 1000)
	if attachBytes*2 < total {
		t.Errorf("attachments hold %d of %d bytes, want most", attachBytes, total)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestGenerateTotalBytes(t *testing.T) {
	const target = 4 << 20
	msgs := Generate(3, 0, GenOptions{TotalBytes: target, End: genEnd})
	var total int64
	for _, m := range msgs {
		total += int64(len(m))
	}
	if total < target || total > target+1500<<10 {
		t.Errorf("open-ended generation: %d bytes in %d messages, want just over %d", total, len(msgs), target)
	}

	msgs = Generate(3, 300, GenOptions{TotalBytes: 30 << 20, End: genEnd})
	total = 0
	for _, m := range msgs {
		total += int64(len(m))
	}
	if len(msgs) != 300 || total < 24<<20 || total > 36<<20 {
		t.Errorf("scaled generation: %d bytes in %d messages, want about %d in 300", total, len(msgs), 30<<20)
	}

	none := Generate(3, 200, GenOptions{AttachmentRatio: -1, ReplyRatio: -1, End: genEnd})
	for i, m := range none {
		if bytes.Contains(m, []byte("Content-Disposition: attachment")) || bytes.Contains(m, []byte("\r\nIn-Reply-To:")) {
			t.Fatalf("message %d has an attachment or is a reply despite negative ratios", i)
		}
	}
}
