package mailfmt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, raw string, lim Limits) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(raw), lim)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func hasWarning(m *Message, sub string) bool {
	for _, w := range m.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestParseMessages(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, m *Message)
	}{
		{"plain", msgPlain, func(t *testing.T, m *Message) {
			if m.Subject != "Lunch on Friday?" {
				t.Errorf("Subject = %q", m.Subject)
			}
			wantFrom := []Address{{"Alice Example", "alice@example.org"}}
			if !reflect.DeepEqual(m.From, wantFrom) {
				t.Errorf("From = %v", m.From)
			}
			wantTo := []Address{{"Bob", "bob@example.net"}, {"", "carol@example.com"}}
			if !reflect.DeepEqual(m.To, wantTo) {
				t.Errorf("To = %v", m.To)
			}
			if len(m.Cc) != 1 || m.Cc[0].Name != "Dave, the third" || m.Cc[0].Email != "dave@example.com" {
				t.Errorf("Cc = %v", m.Cc)
			}
			if len(m.ReplyTo) != 1 || m.ReplyTo[0].Email != "lists@example.org" {
				t.Errorf("ReplyTo = %v", m.ReplyTo)
			}
			if want := time.Date(2025, 1, 14, 8, 30, 0, 0, time.UTC); !m.Date.Equal(want) {
				t.Errorf("Date = %v", m.Date)
			}
			if m.MessageID != "c1@example.org" || m.InReplyTo != "b0@example.net" {
				t.Errorf("ids = %q %q", m.MessageID, m.InReplyTo)
			}
			if !reflect.DeepEqual(m.References, []string{"root@example.net", "b0@example.net"}) {
				t.Errorf("References = %q", m.References)
			}
			if m.ThreadKey != "root@example.net" {
				t.Errorf("ThreadKey = %q", m.ThreadKey)
			}
			if !strings.HasPrefix(m.Text, "Hi Bob,\n\nShall we try") || !strings.Contains(m.Text, "> Friday works for me.") {
				t.Errorf("Text = %q", m.Text)
			}
			if m.HasHTML || len(m.Attachments) != 0 || len(m.Warnings) != 0 {
				t.Errorf("HasHTML=%v attachments=%v warnings=%q", m.HasHTML, m.Attachments, m.Warnings)
			}
			var quotes []int
			var links []string
			for _, b := range m.Rich {
				if b.Kind == Quote {
					quotes = append(quotes, b.Level)
				}
				for _, s := range b.Spans {
					if s.Link != "" {
						links = append(links, s.Link)
					}
				}
			}
			if !reflect.DeepEqual(quotes, []int{1, 2}) {
				t.Errorf("quote levels = %v", quotes)
			}
			if !reflect.DeepEqual(links, []string{"https://food.example.com/menu"}) {
				t.Errorf("links = %q", links)
			}
		}},
		{"alternative", msgAlternative, func(t *testing.T, m *Message) {
			if m.Subject != "Release notes 🚀" {
				t.Errorf("Subject = %q", m.Subject)
			}
			if len(m.From) != 1 || m.From[0].Name != "Zoë Jansen" {
				t.Errorf("From = %v", m.From)
			}
			if !strings.HasPrefix(m.Text, "Release 2.0 is out.") || strings.Contains(m.Text, "<") {
				t.Errorf("Text should be the text/plain part, got %q", m.Text)
			}
			if !m.HasHTML {
				t.Error("HasHTML = false")
			}
			if len(m.Rich) < 4 || m.Rich[0].Kind != Heading || m.Rich[0].Text() != "Release 2.0" {
				t.Fatalf("Rich = %+v", m.Rich)
			}
			if got := m.Rich[1].Text(); got != "It is out, see the release notes." {
				t.Errorf("paragraph = %q", got)
			}
			if m.Rich[2].Kind != ListItem || m.Rich[3].Text() != "dark mode" {
				t.Errorf("list = %+v", m.Rich[2:])
			}
			for _, b := range m.Rich {
				if strings.Contains(b.Text(), "ignored") || strings.Contains(b.Text(), "color") {
					t.Errorf("head content leaked: %q", b.Text())
				}
			}
			if m.ThreadKey != "alt1@example.nl" {
				t.Errorf("ThreadKey = %q", m.ThreadKey)
			}
		}},
		{"mixed with attachments", msgMixed, func(t *testing.T, m *Message) {
			if m.Text != "Please find your invoice attached." {
				t.Errorf("Text = %q", m.Text)
			}
			want := []Part{
				{Path: "2", ContentType: "application/pdf", Filename: "€ rates 2025.pdf", Size: int64(len(pdfBytes))},
				{Path: "3", ContentType: "image/png", Filename: "logo.png", ContentID: "logo@example.com", Size: 8, Inline: true},
				{Path: "4", ContentType: "text/plain", Filename: "notes.txt", Size: int64(len("plain attachment"))},
			}
			if !reflect.DeepEqual(m.Attachments, want) {
				t.Errorf("Attachments =\n%+v\nwant\n%+v", m.Attachments, want)
			}
		}},
		{"nested message/rfc822", msgNested, func(t *testing.T, m *Message) {
			if len(m.Attachments) != 2 {
				t.Fatalf("Attachments = %+v", m.Attachments)
			}
			a, b := m.Attachments[0], m.Attachments[1]
			if a.Path != "2" || a.ContentType != "message/rfc822" || a.Filename != "Quarterly numbers.eml" || a.Size < 400 {
				t.Errorf("attached message = %+v", a)
			}
			if b.Path != "2.2" || b.Filename != "q4.csv" || b.Size != int64(len("quarter,revenue\r\nQ4,100")) {
				t.Errorf("inner attachment = %+v", b)
			}
			for _, want := range []string{"See the attached message.", "From: Finance <finance@example.com>", "Subject: Quarterly numbers", "Revenue is up."} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("Text lacks %q: %q", want, m.Text)
				}
			}
			if !m.HasHTML {
				t.Error("the inner HTML alternative should make HasHTML true")
			}
		}},
		{"ISO-8859-1 quoted-printable", msgLatin1, func(t *testing.T, m *Message) {
			if m.Subject != "Café crème" || m.From[0].Name != "René Dupré" {
				t.Errorf("Subject=%q From=%v", m.Subject, m.From)
			}
			if m.Text != "Un café crème, s'il vous plaît." {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"windows-1252 8bit", msgCP1252, func(t *testing.T, m *Message) {
			if m.Text != "It costs €10 “today”." {
				t.Errorf("Text = %q", m.Text)
			}
			if m.From[0].Name != "“Quoted” Sender" {
				t.Errorf("From = %v", m.From)
			}
		}},
		{"Shift_JIS base64", msgShiftJIS, func(t *testing.T, m *Message) {
			if m.Subject != "会議の件" || m.From[0].Name != "山田" {
				t.Errorf("Subject=%q From=%v", m.Subject, m.From)
			}
			if m.Text != "こんにちは世界。明日の会議です。" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"UTF-8 and encoded words", msgUTF8, func(t *testing.T, m *Message) {
			if m.Subject != "Grüße aus München 🍺" {
				t.Errorf("Subject = %q", m.Subject)
			}
			if m.From[0].Name != "Иван Петров" || m.To[0].String() != "Jürgen <juergen@example.de>" {
				t.Errorf("From=%v To=%v", m.From, m.To)
			}
			if m.Text != "Привет! Grüße 🍺" {
				t.Errorf("Text = %q", m.Text)
			}
		}},
		{"missing closing boundary", msgMissingEnd, func(t *testing.T, m *Message) {
			if m.Text != "First part is fine." {
				t.Errorf("Text = %q", m.Text)
			}
			if len(m.Attachments) != 1 || m.Attachments[0].Filename != "data.bin" || m.Attachments[0].Size != 6 {
				t.Errorf("Attachments = %+v", m.Attachments)
			}
			if !hasWarning(m, "closing boundary") {
				t.Errorf("Warnings = %q", m.Warnings)
			}
		}},
		{"bad base64", msgBadBase64, func(t *testing.T, m *Message) {
			if m.Text != "Hello world!" {
				t.Errorf("Text = %q", m.Text)
			}
			if !hasWarning(m, "base64") {
				t.Errorf("Warnings = %q", m.Warnings)
			}
		}},
		{"unknown charset", msgUnknownCharset, func(t *testing.T, m *Message) {
			if m.Text != "Readable anyway." {
				t.Errorf("Text = %q", m.Text)
			}
			if !hasWarning(m, "unknown charset x-foo") || !hasWarning(m, "subject") {
				t.Errorf("Warnings = %q", m.Warnings)
			}
			if m.Subject != "=?x-foo?Q?weird?=" {
				t.Errorf("Subject = %q", m.Subject)
			}
		}},
		{"unknown transfer encoding", msgUnknownEncoding, func(t *testing.T, m *Message) {
			if m.Text != "begin 644 hello\nend" {
				t.Errorf("Text = %q", m.Text)
			}
			if !hasWarning(m, `unknown transfer encoding "x-uuencode"`) {
				t.Errorf("Warnings = %q", m.Warnings)
			}
		}},
		{"header without blank line", msgNoBlankLine, func(t *testing.T, m *Message) {
			if m.Subject != "no separator" || m.MessageID != "nb@example.com" {
				t.Errorf("Subject=%q MessageID=%q", m.Subject, m.MessageID)
			}
			if m.Text != "This line should have been the body.\nSecond line." {
				t.Errorf("Text = %q", m.Text)
			}
			if !hasWarning(m, "blank line") {
				t.Errorf("Warnings = %q", m.Warnings)
			}
		}},
		{"header only, no final newline", msgHeaderOnly, func(t *testing.T, m *Message) {
			if m.Subject != "only a header" || m.Text != "" || len(m.Rich) != 0 {
				t.Errorf("Subject=%q Text=%q Rich=%v", m.Subject, m.Text, m.Rich)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, tc.raw, Limits{}))
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\r\n", "   "} {
		if _, err := Parse(strings.NewReader(in), DefaultLimits); !errors.Is(err, ErrEmptyMessage) {
			t.Errorf("Parse(%q) error = %v, want ErrEmptyMessage", in, err)
		}
		if _, err := ParseEnvelope([]byte(in)); !errors.Is(err, ErrEmptyMessage) {
			t.Errorf("ParseEnvelope(%q) error = %v, want ErrEmptyMessage", in, err)
		}
	}
}

type failingReader struct{ data []byte }

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestParseReaderError(t *testing.T) {
	_, err := Parse(&failingReader{data: []byte(msgMixed[:300])}, DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the reader's error", err)
	}
}

func TestParseNoHeader(t *testing.T) {
	m := mustParse(t, "just some text\nwithout any header\n", Limits{})
	if m.Text != "just some text\nwithout any header" || !hasWarning(m, "no header") {
		t.Errorf("Text=%q Warnings=%q", m.Text, m.Warnings)
	}
	if !strings.HasPrefix(m.ThreadKey, "nomsgid:") {
		t.Errorf("ThreadKey = %q", m.ThreadKey)
	}
}

func TestParseEnvelope(t *testing.T) {
	env, err := ParseEnvelope([]byte(msgPlain))
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, msgPlain, Limits{})
	if !reflect.DeepEqual(env, m.Envelope) {
		t.Errorf("ParseEnvelope = %+v\nParse.Envelope = %+v", env, m.Envelope)
	}

	// Only the header is read: a body that looks like header fields does not leak in.
	env, err = ParseEnvelope([]byte("Subject: real\r\n\r\nSubject: fake\r\nFrom: evil@example.com\r\n"))
	if err != nil || env.Subject != "real" || len(env.From) != 0 {
		t.Errorf("env = %+v, err = %v", env, err)
	}

	// A leading mbox separator line, lenient message ids, a sloppy date and broken addresses.
	raw := "From alice@example.org Tue Jan 14 09:30:00 2025\n" +
		"From: Alice <alice@example.org>, broken <<x, \"Bo\" <bo@example.org>\n" +
		"To: undisclosed-recipients:;\n" +
		"Date: Tue, 14 Jan 2025 09:30:00 +0100 (CET)\n" +
		"Message-ID: <with space@example.org>\n" +
		"In-Reply-To: parent@example.org (Bob's message)\n" +
		"Subject: tab\there\n"
	env, err = ParseEnvelope([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.From) != 2 || env.From[0].Email != "alice@example.org" || env.From[1].String() != "Bo <bo@example.org>" {
		t.Errorf("From = %v", env.From)
	}
	if len(env.To) != 0 {
		t.Errorf("To = %v", env.To)
	}
	if env.Date.IsZero() || env.Date.UTC().Hour() != 8 {
		t.Errorf("Date = %v", env.Date)
	}
	if env.MessageID != "withspace@example.org" || env.InReplyTo != "parent@example.org" {
		t.Errorf("MessageID=%q InReplyTo=%q", env.MessageID, env.InReplyTo)
	}
	if env.ThreadKey != "parent@example.org" {
		t.Errorf("ThreadKey = %q", env.ThreadKey)
	}
	if env.Subject != "tab here" {
		t.Errorf("Subject = %q", env.Subject)
	}
}

func TestThreadKeyWithoutIDsIsStableAndDistinct(t *testing.T) {
	a1, _ := ParseEnvelope([]byte("From: a@example.com\r\nSubject: one\r\n"))
	a2, _ := ParseEnvelope([]byte("From: a@example.com\r\nSubject: one\r\n"))
	b, _ := ParseEnvelope([]byte("From: a@example.com\r\nSubject: two\r\n"))
	if a1.ThreadKey != a2.ThreadKey || a1.ThreadKey == b.ThreadKey || !strings.HasPrefix(a1.ThreadKey, "nomsgid:") {
		t.Errorf("keys %q %q %q", a1.ThreadKey, a2.ThreadKey, b.ThreadKey)
	}
}

func TestAddressString(t *testing.T) {
	for _, tc := range []struct {
		a    Address
		want string
	}{
		{Address{"Ann", "ann@example.com"}, "Ann <ann@example.com>"},
		{Address{"", "ann@example.com"}, "ann@example.com"},
		{Address{"Ann", ""}, "Ann"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestParseFlowedAndRelated(t *testing.T) {
	raw := crlf(`From: a@example.com
Subject: flowed
Content-Type: multipart/related; boundary="R"

--R
Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes

This is a long line that was wrapped by the sen=
der's mailer and 
should be joined.
> quoted text that also 
> flows.
--R
Content-Type: image/gif
Content-ID: <pic>
Content-Transfer-Encoding: base64

R0lGODlhAQABAAAAACw=
--R--
`)
	raw = strings.Replace(raw, "sen=\r\nder's", "sender's", 1)
	m := mustParse(t, raw, Limits{})
	want := "This is a long line that was wrapped by the sender's mailer andshould be joined.\n> quoted text that alsoflows."
	if m.Text != want {
		t.Errorf("Text = %q\nwant   %q", m.Text, want)
	}
	if len(m.Attachments) != 1 || !m.Attachments[0].Inline || m.Attachments[0].ContentID != "pic" || m.Attachments[0].Filename != "attachment.gif" {
		t.Errorf("Attachments = %+v", m.Attachments)
	}
}

func TestParseHTMLOnly(t *testing.T) {
	raw := crlf(`From: news@example.com
Subject: html only
Content-Type: text/html; charset=utf-8

<p>Hello <a href="https://example.com/x">there</a></p><p><img src="https://tracker.example.com/p.gif" alt="logo"></p>
`)
	m := mustParse(t, raw, Limits{})
	if !m.HasHTML || m.RemoteContentBlocked != 1 {
		t.Errorf("HasHTML=%v blocked=%d", m.HasHTML, m.RemoteContentBlocked)
	}
	if m.Text != "Hello there <https://example.com/x>\n\n[image: logo]" {
		t.Errorf("Text = %q", m.Text)
	}
}

func TestParseControlCharactersRemoved(t *testing.T) {
	m := mustParse(t, "Subject: a\x1b[31mred\r\n\r\nbody \x1b]0;title\x07 text\x00\r\n", Limits{})
	if strings.ContainsAny(m.Text+m.Subject, "\x1b\x07\x00") {
		t.Errorf("control characters survived: Subject=%q Text=%q", m.Subject, m.Text)
	}
}

func TestParseLimits(t *testing.T) {
	t.Run("parts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=X\r\n\r\n")
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&b, "--X\r\nContent-Type: application/octet-stream\r\n\r\npart %d\r\n", i)
		}
		b.WriteString("--X--\r\n")
		m := mustParse(t, b.String(), Limits{MaxParts: 10})
		if len(m.Attachments) != 9 || !hasWarning(m, "more than 10 parts") {
			t.Errorf("attachments=%d warnings=%q", len(m.Attachments), m.Warnings)
		}
	})
	t.Run("depth", func(t *testing.T) {
		m := mustParse(t, nestedMultipart(2000), Limits{})
		if !hasWarning(m, "nested deeper than 20") {
			t.Errorf("Warnings = %q", m.Warnings)
		}
		m = mustParse(t, msgNested, Limits{MaxDepth: 1})
		if m.Text != "See the attached message." || !hasWarning(m, "nested deeper than 1") {
			t.Errorf("Text=%q Warnings=%q", m.Text, m.Warnings)
		}
	})
	t.Run("part bytes", func(t *testing.T) {
		m := mustParse(t, "Subject: big\r\n\r\n"+strings.Repeat("é", 100), Limits{MaxPartBytes: 51})
		if m.Text != strings.Repeat("é", 25) || !hasWarning(m, "truncated") {
			t.Errorf("Text=%q Warnings=%q", m.Text, m.Warnings)
		}
	})
	t.Run("text budget", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=X\r\n\r\n")
		for i := 0; i < 6; i++ {
			fmt.Fprintf(&b, "--X\r\nContent-Type: text/plain\r\n\r\n%s\r\n", strings.Repeat(string(rune('a'+i)), 100))
		}
		b.WriteString("--X--\r\n")
		m := mustParse(t, b.String(), Limits{MaxPartBytes: 100})
		if strings.Count(m.Text, "\n\n") != 3 || strings.Contains(m.Text, "e") || !hasWarning(m, "text beyond 400 bytes") {
			t.Errorf("Text=%q Warnings=%q", m.Text, m.Warnings)
		}
	})
	t.Run("total bytes", func(t *testing.T) {
		raw := "Subject: big\r\n\r\n" + strings.Repeat("x", 10000)
		m := mustParse(t, raw, Limits{MaxTotalBytes: 1000})
		if len(m.Text) != 1000-len("Subject: big\r\n\r\n") || !hasWarning(m, "larger than 1000 bytes") {
			t.Errorf("len(Text)=%d Warnings=%q", len(m.Text), m.Warnings)
		}
	})
	t.Run("header bytes", func(t *testing.T) {
		raw := "Subject: kept\r\nX-Junk: " + strings.Repeat("j", 5000) + "\r\nFrom: dropped@example.com\r\n\r\nbody\r\n"
		m := mustParse(t, raw, Limits{MaxHeaderBytes: 1024})
		if m.Subject != "kept" || len(m.From) != 0 || m.Text != "body" || !hasWarning(m, "header larger") {
			t.Errorf("Subject=%q From=%v Text=%q Warnings=%q", m.Subject, m.From, m.Text, m.Warnings)
		}
	})
	t.Run("endless header line", func(t *testing.T) {
		raw := "Subject: " + strings.Repeat("s", 1<<20)
		m := mustParse(t, raw, Limits{MaxHeaderBytes: 4096})
		if !hasWarning(m, "header larger") {
			t.Errorf("Warnings = %q", m.Warnings)
		}
	})
}

// nestedMultipart builds a message nested depth multiparts deep.
func nestedMultipart(depth int) string {
	var b strings.Builder
	b.WriteString("Subject: deep\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ncore\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

func TestOpenPart(t *testing.T) {
	tests := []struct {
		name, raw, path string
		want            []byte
		wantPart        Part
	}{
		{"pdf", msgMixed, "2", pdfBytes, Part{Path: "2", ContentType: "application/pdf", Filename: "€ rates 2025.pdf", Size: -1}},
		{"text attachment keeps its charset bytes", msgMixed, "4", []byte("plain attachment"), Part{Path: "4", ContentType: "text/plain", Filename: "notes.txt", Size: -1}},
		{"body of a single-part message", msgLatin1, "1", []byte("Un caf\xe9 cr\xe8me, s'il vous pla\xeet.\r\n"), Part{Path: "1", ContentType: "text/plain", Filename: "attachment.txt", Size: -1}},
		{"inside an attached message", msgNested, "2.2", []byte("quarter,revenue\r\nQ4,100"), Part{Path: "2.2", ContentType: "text/csv", Filename: "q4.csv", Size: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, p, err := OpenPart(strings.NewReader(tc.raw), tc.path, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("bytes = %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(p, tc.wantPart) {
				t.Errorf("part = %+v, want %+v", p, tc.wantPart)
			}
		})
	}

	t.Run("attached message as .eml", func(t *testing.T) {
		r, p, err := OpenPart(strings.NewReader(msgNested), "2", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		inner := mustParse(t, string(data), Limits{})
		if p.ContentType != "message/rfc822" || inner.Subject != "Quarterly numbers" || len(inner.Attachments) != 1 {
			t.Errorf("part=%+v inner=%+v", p, inner)
		}
	})

	for _, bad := range []struct{ raw, path, want string }{
		{msgMixed, "9", "no such part"},
		{msgMixed, "", "bad part number"},
		{msgMixed, "1/../2", "bad part number"},
		{msgNested, "2.1", "multipart container"},
	} {
		if _, _, err := OpenPart(strings.NewReader(bad.raw), bad.path, Limits{}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("OpenPart(%q) err = %v, want %q", bad.path, err, bad.want)
		}
	}
}

func TestOpenPartTooLarge(t *testing.T) {
	cut := strings.Index(msgMixed, "--MIX\r\nContent-Type: image/png") - 30 // inside the PDF's base64
	r, _, err := OpenPart(strings.NewReader(msgMixed), "2", Limits{MaxTotalBytes: int64(cut)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err == nil {
		t.Error("a part cut by the size limit must not read as complete")
	}
}

func TestSnippet(t *testing.T) {
	for _, tc := range []struct {
		text string
		n    int
		want string
	}{
		{"Hello   there,\n\n  friend", 100, "Hello there, friend"},
		{"Short reply.\n\nOn Mon, Bob wrote:\n> old\n> stuff", 100, "Short reply."},
		{"Grüße aus München", 5, "Grüße"},
		{"ab cd", 3, "ab"},
		{"anything", 0, ""},
		{"> only quotes", 10, ""},
	} {
		if got := Snippet(tc.text, tc.n); got != tc.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", tc.text, tc.n, got, tc.want)
		}
	}
}

func TestTextToRichAndBack(t *testing.T) {
	text := "Hi,\nsecond line\n\nsee https://example.com/a_(b). or mailto:x@example.com\n\n> quoted\n>> deeper\n\nhttp://"
	blocks := TextToRich(text)
	kinds := []BlockKind{}
	for _, b := range blocks {
		kinds = append(kinds, b.Kind)
	}
	if !reflect.DeepEqual(kinds, []BlockKind{Paragraph, Paragraph, Quote, Quote, Paragraph}) {
		t.Fatalf("kinds = %v", kinds)
	}
	if blocks[0].Text() != "Hi,\nsecond line" {
		t.Errorf("first = %q", blocks[0].Text())
	}
	var links []string
	for _, s := range blocks[1].Spans {
		if s.Link != "" {
			links = append(links, s.Link)
		}
	}
	if !reflect.DeepEqual(links, []string{"https://example.com/a_(b)", "mailto:x@example.com"}) {
		t.Errorf("links = %q", links)
	}
	if blocks[3].Level != 2 || blocks[3].Text() != "deeper" {
		t.Errorf("deep quote = %+v", blocks[3])
	}
	if len(blocks[4].Spans) != 1 || blocks[4].Spans[0].Link != "" {
		t.Errorf("a bare scheme is not a link: %+v", blocks[4])
	}
	want := "Hi,\nsecond line\n\nsee https://example.com/a_(b). or mailto:x@example.com\n\n> quoted\n\n>> deeper\n\nhttp://"
	if got := RichToText(blocks); got != want {
		t.Errorf("RichToText = %q\nwant %q", got, want)
	}
}

func TestRichToTextLists(t *testing.T) {
	blocks := []Block{
		{Kind: Heading, Level: 2, Spans: []Span{{Text: "Title"}}},
		{Kind: ListItem, Level: 1, Ordered: true, Number: 1, Spans: []Span{{Text: "one"}}},
		{Kind: ListItem, Level: 2, Spans: []Span{{Text: "sub\nline"}}},
		{Kind: Rule},
		{Kind: Paragraph, Spans: []Span{{Text: "click "}, {Text: "here", Link: "https://example.com/"}, {Text: " or "}, {Text: "https://example.org", Link: "https://example.org"}}},
	}
	want := "Title\n\n1. one\n  - sub\n    line\n\n----------\n\nclick here <https://example.com/> or https://example.org"
	if got := RichToText(blocks); got != want {
		t.Errorf("RichToText = %q\nwant %q", got, want)
	}
}
