package mailfmt

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzLimits keep each fuzz iteration small and fast while exercising every limit.
var fuzzLimits = Limits{MaxDepth: 8, MaxParts: 64, MaxHeaderBytes: 8 << 10, MaxPartBytes: 64 << 10, MaxTotalBytes: 256 << 10}

var seedHTML = []string{
	"", "<p>x", "<img src=\"http://127.0.0.2:1/?", "<a href='https://e.example'>a</a><a href=javascript:x>b",
	"<pre>\n a\n</pre><ul><li>1<ol><li>2</ol></ul><blockquote><blockquote>q", "<table><tr><td>a<td>b</table>",
	"<svg><svg/><style>@import url(x)</style></svg>t", "<plaintext><b>raw", "<title/>hidden", "<li value=99999999999>x",
	"<h7>x</h7><h0>y</h0><br/><hr/><div hidden>z</div>",
}

var seedNames = []string{
	"", ".", "..", "../../etc/passwd", `..\..\win.ini`, "a\u202Egnp.exe", "x\x00y", "CON.txt", " . .a. . ",
	strings.Repeat("ä", 200) + ".tar.gz", "\xff\xfe.txt", "a/b\\c",
}

func checkBlocks(t *testing.T, blocks []Block) {
	t.Helper()
	checkBlocksDepth(t, blocks, 0)
}

func checkBlocksDepth(t *testing.T, blocks []Block, depth int) {
	t.Helper()
	for _, b := range blocks {
		if b.Kind < Paragraph || b.Kind > Table || b.Level < 0 || b.Level > maxLevel || b.Align < AlignDefault || b.Align > AlignRight {
			t.Fatalf("bad block %+v", b)
		}
		if (b.Kind == Table) != (b.Table != nil) {
			t.Fatalf("table block without its grid, or grid on another kind: %+v", b)
		}
		if b.Kind == Table {
			if depth >= maxTableDepth {
				t.Fatalf("tables nested deeper than %d", maxTableDepth)
			}
			if g := b.Table; g.Width < 0 || g.Width > 100 || g.Px < 0 || g.Px > 4000 || g.Align < AlignDefault || g.Align > AlignRight {
				t.Fatalf("bad table %+v", g)
			}
			for _, row := range b.Table.Rows {
				if len(row) == 0 || len(row) > maxColumns {
					t.Fatalf("row of %d cells", len(row))
				}
				for _, cell := range row {
					if cell.ColSpan < 1 || cell.ColSpan > maxColumns || cell.Width < 0 || cell.Width > 100 || cell.Px < 0 {
						t.Fatalf("bad cell %+v", cell)
					}
					checkBlocksDepth(t, cell.Blocks, depth+1)
				}
			}
		}
		for _, s := range b.Spans {
			if !utf8.ValidString(s.Text) {
				t.Fatalf("span text is not UTF-8: %q", s.Text)
			}
			if s.Link != "" && sanitizeLink(s.Link) == "" {
				t.Fatalf("unsafe link %q", s.Link)
			}
			if s.Link != "" && !strings.HasPrefix(s.Link, "http://") && !strings.HasPrefix(s.Link, "https://") && !strings.HasPrefix(s.Link, "mailto:") {
				t.Fatalf("link with a bad scheme %q", s.Link)
			}
			if s.Color != "" && parseColor(s.Color) != s.Color {
				t.Fatalf("colour %q is not #rrggbb", s.Color)
			}
			if im := s.Image; im != nil && !strings.HasPrefix(im.Src, "cid:") && sanitizeLink(im.Src) == "" {
				t.Fatalf("image source %q", im.Src)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, m := range seedMessages {
		f.Add([]byte(m))
	}
	f.Add([]byte(nestedMultipart(30)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parse(bytes.NewReader(data), fuzzLimits, &parser{}) // parse, not Parse: a panic must fail here
		tm, terr := parse(bytes.NewReader(data), fuzzLimits, &parser{textOnly: true})
		if (err == nil) != (terr == nil) {
			t.Fatalf("Parse error %v, ParseText error %v", err, terr)
		}
		if err == nil && len(m.Warnings) == 0 && len(tm.Warnings) == 0 && (m.Text != tm.Text || tm.Rich != nil) {
			t.Fatalf("ParseText differs: text %q, want %q", tm.Text, m.Text)
		}
		if err != nil {
			if m != nil {
				t.Fatal("error with a message")
			}
			if !errors.Is(err, ErrEmptyMessage) {
				t.Fatalf("unexpected error for in-memory input: %v", err)
			}
			return
		}
		for _, s := range append([]string{m.Subject, m.Text, m.MessageID, m.ThreadKey}, m.Warnings...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		if m.ThreadKey == "" {
			t.Fatal("empty ThreadKey")
		}
		checkBlocks(t, m.Rich)
		_ = RichToText(m.Rich)
		_ = Snippet(m.Text, 80)
		if len(m.Attachments) > fuzzLimits.MaxParts {
			t.Fatalf("%d attachments over the part limit", len(m.Attachments))
		}
		for _, a := range m.Attachments {
			checkSafeName(t, a.Filename, a.Filename)
			res, err := openPart(bytes.NewReader(data), a.Path, fuzzLimits)
			if err != nil {
				t.Fatalf("listed part %s cannot be opened: %v", a.Path, err)
			}
			n, _ := io.Copy(io.Discard, res.r)
			if n != a.Size && a.Size >= 0 {
				// Parse counts the same decoded bytes OpenPart yields.
				t.Fatalf("part %s: Parse said %d bytes, OpenPart gave %d", a.Path, a.Size, n)
			}
		}
	})
}

func FuzzParseEnvelope(f *testing.F) {
	for _, m := range seedMessages {
		f.Add([]byte(m))
	}
	f.Add([]byte("From: a <<b@c>, \"x\" <y@z>\r\nReferences: <a@b> junk <c@d\r\nDate: 32 Foo 99999 99:99\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, ErrEmptyMessage) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if env.ThreadKey == "" {
			t.Fatal("empty ThreadKey")
		}
		all := []string{env.Subject, env.MessageID, env.InReplyTo, env.ThreadKey}
		all = append(all, env.References...)
		for _, l := range [][]Address{env.From, env.To, env.Cc, env.Bcc, env.ReplyTo} {
			for _, a := range l {
				all = append(all, a.Name, a.Email, a.String())
			}
		}
		for _, s := range all {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00") {
				t.Fatalf("bad envelope string %q", s)
			}
		}
	})
}

func FuzzHTMLToRich(f *testing.F) {
	for _, h := range seedHTML {
		f.Add(h)
	}
	f.Add(hostileHTML("http://127.0.0.2:9"))
	for _, m := range seedMessages {
		f.Add(m) // their HTML parts, with MIME noise around them
	}
	f.Fuzz(func(t *testing.T, src string) {
		blocks, blocked := HTMLToRich(src)
		if blocked < 0 {
			t.Fatal("negative count")
		}
		checkBlocks(t, blocks)
		if !utf8.ValidString(RichToText(blocks)) {
			t.Fatal("text is not UTF-8")
		}
	})
}

func FuzzSanitizeFilename(f *testing.F) {
	for _, n := range seedNames {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		checkSafeName(t, name, SanitizeFilename(name))
	})
}
