package mailfmt

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BlockKind is the kind of a rich-text block.
type BlockKind int

// The block kinds. Level is the heading level (1-6) for Heading, the nesting depth (from 1) for
// ListItem and Quote, and 0 otherwise.
const (
	Paragraph BlockKind = iota
	Heading
	ListItem
	Quote
	Preformatted
	Rule
	Table // Block.Table holds the rows; Spans is empty
)

// Align is the horizontal alignment the sender gave a block or a table cell.
type Align int

// The alignments; AlignDefault leaves it to the reader (leading).
const (
	AlignDefault Align = iota
	AlignLeft
	AlignCenter
	AlignRight
)

func (k BlockKind) String() string {
	switch k {
	case Paragraph:
		return "Paragraph"
	case Heading:
		return "Heading"
	case ListItem:
		return "ListItem"
	case Quote:
		return "Quote"
	case Preformatted:
		return "Preformatted"
	case Rule:
		return "Rule"
	case Table:
		return "Table"
	}
	return "BlockKind(" + strconv.Itoa(int(k)) + ")"
}

// Span is a run of text with one style. Link, when set, is an http, https or mailto target to
// offer on click; it is never fetched by itself. Text may hold '\n' for a line break.
type Span struct {
	Text               string
	Bold, Italic, Code bool
	Link               string
	Color              string // "#rrggbb" as the sender wrote it; the reader decides if it is readable
	Image              *Image // an image shown in place of Text (which holds its "[image: alt]")
}

// Image is an image the message shows. Src is a "cid:" reference to a part of the message, or
// an http or https URL that is only fetched after the user agrees to load remote content.
type Image struct {
	Src           string
	Alt           string
	Width, Height int // in CSS pixels as the HTML gives them; 0 when not given
}

// Remote reports whether the image is on a web server rather than in the message.
func (im *Image) Remote() bool { return !strings.HasPrefix(asciiLower(im.Src), "cid:") }

// Grid is a table: rows of cells, each cell holding blocks of its own (which may be tables).
type Grid struct {
	Rows  [][]Cell
	Bg    string // "#rrggbb" background of the table, "" when none
	Width int    // percent of the width it is in, as the HTML gives it; 0 when not given
	Px    int    // width in CSS pixels as the HTML gives it; 0 when not given
	Align Align  // where the table sits when narrower than the space it is in
}

// Cell is one table cell.
type Cell struct {
	Blocks  []Block
	ColSpan int // at least 1
	Header  bool
	Bg      string // "#rrggbb" background, "" when none
	Align   Align
	Width   int // share of the table's width in percent as the HTML gives it; 0 when not given
	Px      int // width in CSS pixels as the HTML gives it; 0 when not given
}

// Block is one paragraph-level element of a rich-text document.
type Block struct {
	Kind    BlockKind
	Level   int
	Ordered bool // ListItem: numbered rather than bulleted
	Number  int  // ListItem with Ordered: the item's number
	Align   Align
	Spans   []Span
	Table   *Grid // Kind Table
}

// Text returns the block's text without styling.
func (b Block) Text() string {
	if b.Kind == Table {
		return tableText(b.Table)
	}
	var sb strings.Builder
	for _, s := range b.Spans {
		sb.WriteString(s.Text)
	}
	return sb.String()
}

// maxLinkLen bounds a link target; longer ones are dropped rather than shown.
const maxLinkLen = 4096

// sanitizeLink returns href normalised if it is an http, https or mailto URL fit to offer as a
// click target, else "". A target holding white space is refused: browsers strip it, and it is
// the mark of an attribute left open to swallow the text after it (EFAIL).
func sanitizeLink(href string) string {
	s := strings.TrimFunc(href, func(r rune) bool { return r <= ' ' || r == 0x7f })
	if s == "" || len(s) > maxLinkLen || !utf8.ValidString(s) {
		return ""
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return ""
		}
	case "mailto":
		if u.Opaque == "" && u.Path == "" {
			return ""
		}
	default:
		return ""
	}
	return u.String()
}

// cleanBodyText drops control characters other than tab and newline (terminal escapes, NULs)
// and turns a lone carriage return into a newline.
func cleanBodyText(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// TextToRich turns plain text into blocks: paragraphs split at blank lines (line breaks kept),
// lines quoted with '>' as Quote blocks of their depth, and URLs as links.
func TextToRich(text string) []Block {
	text = cleanBodyText(fixUTF8(text))
	var blocks []Block
	var cur []string
	curLevel := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		b := Block{Kind: Paragraph, Spans: linkify(strings.Join(cur, "\n"))}
		if curLevel > 0 {
			b.Kind, b.Level = Quote, curLevel
		}
		blocks = append(blocks, b)
		cur = nil
	}
	for _, line := range strings.Split(text, "\n") {
		level, rest := quoteLevel(line)
		rest = strings.TrimRight(rest, " \t")
		if strings.TrimSpace(rest) == "" {
			flush()
			continue
		}
		if level != curLevel {
			flush()
			curLevel = level
		}
		cur = append(cur, rest)
	}
	flush()
	return blocks
}

// quoteLevel counts leading '>' marks ("> > x" and ">> x" are both depth 2) and returns the rest
// of the line without the marks and one following space.
func quoteLevel(line string) (int, string) {
	level := 0
	for strings.HasPrefix(line, ">") {
		level++
		line = line[1:]
		if strings.HasPrefix(line, " >") {
			line = line[1:]
		}
	}
	if level > 0 {
		line = strings.TrimPrefix(line, " ")
	}
	return level, line
}

// linkify splits s into plain spans and link spans for the http, https and mailto URLs in it.
func linkify(s string) []Span {
	f := urlFinder{lower: asciiLower(s)}
	var spans []Span
	last := 0
	for i := 0; i < len(s); {
		j, scheme := f.next(i)
		if j < 0 {
			break
		}
		end := j
		for end < len(s) {
			c := s[end]
			if c <= ' ' || c == '<' || c == '>' || c == '"' || c == 0x7f {
				break
			}
			end++
		}
		if end-j > maxLinkLen {
			i = end // too long to be offered as a link
			continue
		}
		cand := trimURLTail(s[j:end])
		link := ""
		if len(cand) > len(scheme)+1 {
			link = sanitizeLink(cand)
		}
		if link == "" {
			i = j + len(scheme)
			continue
		}
		if j > last {
			spans = append(spans, Span{Text: s[last:j]})
		}
		spans = append(spans, Span{Text: cand, Link: link})
		last = j + len(cand)
		i = last
	}
	if last < len(s) {
		spans = append(spans, Span{Text: s[last:]})
	}
	return spans
}

var urlSchemes = []string{"https://", "http://", "mailto:"}

// urlFinder finds scheme names at word boundaries for calls with non-decreasing i. It remembers
// where each scheme next occurs, so a text with many URLs of one scheme stays linear.
type urlFinder struct {
	lower string
	pos   [3]int  // next occurrence of urlSchemes[k], or -1 when there is none
	valid [3]bool // pos[k] has been searched for
}

func (f *urlFinder) next(i int) (int, string) {
	best, bestScheme := -1, ""
	for k, sc := range urlSchemes {
		if !f.valid[k] || (f.pos[k] >= 0 && f.pos[k] < i) {
			f.pos[k], f.valid[k] = f.search(i, sc), true
		}
		if p := f.pos[k]; p >= 0 && (best < 0 || p < best) {
			best, bestScheme = p, sc
		}
	}
	return best, bestScheme
}

func (f *urlFinder) search(from int, sc string) int {
	for {
		p := strings.Index(f.lower[from:], sc)
		if p < 0 {
			return -1
		}
		p += from
		if p == 0 || !isWordByte(f.lower[p-1]) {
			return p
		}
		from = p + 1
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// trimURLTail drops sentence punctuation after a URL, and closing brackets without an opener.
func trimURLTail(u string) string {
	for u != "" {
		c := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?'*", c) >= 0:
		case c == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
		case c == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}

// RichToText renders blocks as plain text: blank lines between blocks, list markers, "> " quote
// prefixes, and link targets after their text when the text does not already show them.
func RichToText(blocks []Block) string {
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			if bl.Kind == ListItem && blocks[i-1].Kind == ListItem {
				b.WriteString("\n")
			} else {
				b.WriteString("\n\n")
			}
		}
		text := spansText(bl.Spans)
		switch bl.Kind {
		case Rule:
			b.WriteString("----------")
		case Table:
			b.WriteString(tableText(bl.Table))
		case ListItem:
			indent := strings.Repeat("  ", max(bl.Level, 1)-1)
			marker := "- "
			if bl.Ordered {
				marker = strconv.Itoa(bl.Number) + ". "
			}
			pad := "\n" + indent + strings.Repeat(" ", utf8.RuneCountInString(marker))
			b.WriteString(indent + marker + strings.ReplaceAll(text, "\n", pad))
		case Quote:
			prefix := strings.Repeat(">", max(bl.Level, 1)) + " "
			b.WriteString(prefix + strings.ReplaceAll(text, "\n", "\n"+prefix))
		default:
			b.WriteString(text)
		}
	}
	return b.String()
}

// tableText is a table as plain text: a row of one-line cells on one line, separated by " | ",
// other rows as their cells' paragraphs.
func tableText(g *Grid) string {
	if g == nil {
		return ""
	}
	var rows []string
	for _, row := range g.Rows {
		var cells []string
		oneLine := true
		for _, c := range row {
			t := strings.TrimSpace(RichToText(c.Blocks))
			if t == "" {
				continue
			}
			oneLine = oneLine && !strings.Contains(t, "\n")
			cells = append(cells, t)
		}
		if len(cells) == 0 {
			continue
		}
		if oneLine {
			rows = append(rows, strings.Join(cells, " | "))
		} else {
			rows = append(rows, strings.Join(cells, "\n\n"))
		}
	}
	return strings.Join(rows, "\n")
}

// spansText joins span texts, adding " <target>" after each run of spans sharing a link unless
// the run's text already shows the target.
func spansText(spans []Span) string {
	var b strings.Builder
	for i := 0; i < len(spans); {
		link := spans[i].Link
		j := i
		var run strings.Builder
		for j < len(spans) && spans[j].Link == link {
			run.WriteString(spans[j].Text)
			j++
		}
		t := run.String()
		b.WriteString(t)
		if link != "" && !linkShown(strings.TrimSpace(t), link) {
			b.WriteString(" <" + link + ">")
		}
		i = j
	}
	return b.String()
}

func linkShown(text, link string) bool {
	if text == "" {
		return false
	}
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSuffix(s, "/"))
		for _, p := range []string{"mailto:", "https://", "http://"} {
			s = strings.TrimPrefix(s, p)
		}
		return s
	}
	return norm(text) == norm(link) || strings.Contains(text, link)
}

// Snippet returns the first n runes of text for a message list: quoted lines (and the
// "... wrote:" line introducing them) are left out and white space is collapsed. It reads only as
// many lines as the snippet needs, so a long body costs no more than a short one.
func Snippet(text string, n int) string {
	if n <= 0 {
		return ""
	}
	var b strings.Builder
	count := 0
	rest := text
	for rest != "" && count < n {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, ">") || (strings.HasSuffix(t, "wrote:") && nextNonBlankQuoted(rest)) {
			continue
		}
		for w := range strings.FieldsSeq(t) {
			if count == n {
				break
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
				count++
			}
			for _, r := range w {
				if count == n {
					break
				}
				if unicode.IsControl(r) {
					continue
				}
				b.WriteRune(r)
				count++
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// nextNonBlankQuoted reports whether the first non-blank line of text is quoted.
func nextNonBlankQuoted(text string) bool {
	for text != "" {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if t := strings.TrimSpace(line); t != "" {
			return strings.HasPrefix(t, ">")
		}
	}
	return false
}

// LinkTextMisleads reports whether a link's text looks like a web address on another host than
// the link's target: the mark of phishing ("www.bank.example" leading to elsewhere).
func LinkTextMisleads(text, target string) bool {
	t := strings.TrimSpace(text)
	if t == "" || strings.ContainsAny(t, " \t\n") || strings.HasPrefix(asciiLower(t), "mailto:") {
		return false
	}
	lower := asciiLower(t)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		host, _, _ := strings.Cut(lower, "/")
		if !looksLikeHost(host) {
			return false
		}
		t = "http://" + t
	}
	shown, err := url.Parse(t)
	if err != nil || shown.Hostname() == "" {
		return false
	}
	dest, err := url.Parse(target)
	if err != nil {
		return true
	}
	if asciiLower(dest.Scheme) == "mailto" {
		return true
	}
	norm := func(h string) string { return strings.TrimPrefix(strings.TrimSuffix(asciiLower(h), "."), "www.") }
	return norm(shown.Hostname()) != norm(dest.Hostname())
}

// looksLikeHost reports a dotted name ending in a label of letters, such as "shop.example.com".
func looksLikeHost(h string) bool {
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") == ""
}
