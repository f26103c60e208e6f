package mailfmt

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// droppedTags are removed together with their content: they are active content, embed other
// documents, or hold text that a reader never sees.
var droppedTags = setOf("script", "style", "title", "iframe", "object", "embed", "svg", "math", "form",
	"input", "meta", "link", "base", "noscript", "noembed", "noframes", "frameset", "frame", "template",
	"textarea", "select", "applet", "audio", "video", "canvas", "map", "datalist", "param", "source",
	"track", "portal", "fencedframe")

// voidTags never have content, so they never start a skipped region.
var voidTags = setOf("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
	"source", "track", "wbr", "keygen", "frame", "basefont", "bgsound", "image")

// rawTextTags make the tokenizer read up to their end tag even when written self-closing.
var rawTextTags = setOf("iframe", "noembed", "noframes", "noscript", "script", "style", "textarea", "title", "xmp", "plaintext")

// blockTags end the current block where they start and where they end.
var blockTags = setOf("address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
	"details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2",
	"h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "listing", "main", "menu",
	"nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "xmp", "plaintext")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// maxLevel caps the nesting depth reported for lists and quotes.
const maxLevel = 10

type attr struct{ key, val string }

func attrVal(attrs []attr, key string) string {
	for _, a := range attrs {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

func hasAttr(attrs []attr, key string) bool {
	for _, a := range attrs {
		if a.key == key {
			return true
		}
	}
	return false
}

type style struct {
	bold, italic, code bool
	link               string
	color              string
}

// mark is an open element that set a text colour or an alignment, popped at its end tag.
type mark struct {
	tag   string
	color string
	align Align
}

// Limits of the table model: deeper or bigger tables are flattened into text, as before tables
// were laid out, so a hostile message cannot make the reader build an unbounded grid.
const (
	maxTableDepth = 8
	maxColumns    = 64
	maxCells      = 4000
)

// tableFrame is a table being built. The blocks, lists and quotes outside it are kept here while
// its cells are converted, each into blocks of its own.
type tableFrame struct {
	grid      Grid
	open      bool // the last cell of the last row takes the blocks being converted
	cellMarks int  // len(marks) when the open cell started
	rowBg     string
	stray     []Block

	outer        []Block
	outerItem    []int
	lists        []listState
	listOverflow int
	quote        int
}

type listState struct {
	ordered bool
	next    int // number of the next item
	cur     int // number of the open item
	inItem  bool
	item    int // id of the open item, to merge its blocks
}

// htmlConv builds blocks from a token stream, keeping the state a browser would: open
// formatting, list and quote nesting, preformatted text, and elements being skipped.
type htmlConv struct {
	blocks    []Block
	blockItem []int // list item id of each block, 0 if none

	cur          *Block
	curItem      int
	pendingSpace bool
	// The last span of cur is built in spanBuf, so that long runs of text grow in amortised
	// linear time; flushSpan moves it into cur.Spans.
	spanBuf   strings.Builder
	spanStyle style
	spanOpen  bool

	bold, italic, code int
	link               string
	heading, pre       int
	quote              int
	lists              []listState
	listOverflow       int
	items              int

	skip      string // tag whose content is being dropped
	skipDepth int
	blocked   int

	marks      []mark
	linkMarks  int // len(marks) at the open link: links take only colours set on or in them
	tables     []tableFrame
	flatTables int // tables opened beyond the limits, read as text
	cells      int
}

// HTMLToRich converts an HTML body to safe rich text. Nothing in the result refers to a resource
// to load: images become "[image: alt]" text, scripts, styles, frames, objects, forms and hidden
// elements are dropped, and only http, https and mailto targets of <a href> survive, as Span.Link.
// blockedRemote counts the remote resources (images, srcset, CSS url() and @import, link and
// meta refresh targets, frame and object sources...) that were dropped.
func HTMLToRich(src string) (blocks []Block, blockedRemote int) {
	c := &htmlConv{}
	z := html.NewTokenizer(strings.NewReader(fixUTF8(src)))
	prevStart := ""
	afterPre := false
	for {
		tt := z.Next()
		justPre := afterPre
		afterPre = false
		switch tt {
		case html.ErrorToken:
			c.skip, c.flatTables = "", 0
			for len(c.tables) > 0 {
				c.endTable()
			}
			c.breakBlock()
			return c.blocks, c.blocked
		case html.TextToken:
			text := string(z.Text())
			if prevStart == "style" {
				c.blocked += cssRemoteRefs(text)
			}
			if c.skip == "" {
				c.text(text, justPre)
			}
			prevStart = ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			tag := string(name)
			var attrs []attr
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				attrs = append(attrs, attr{string(k), string(v)})
			}
			c.blocked += remoteRefs(tag, attrs)
			c.start(tag, attrs, tt == html.SelfClosingTagToken)
			prevStart = tag
			afterPre = c.skip == "" && (tag == "pre" || tag == "listing")
		case html.EndTagToken:
			name, _ := z.TagName()
			c.end(string(name))
			prevStart = ""
		default: // comments and doctypes carry nothing to show
			prevStart = ""
		}
	}
}

func (c *htmlConv) start(tag string, attrs []attr, selfClosing bool) {
	if c.skip != "" {
		if tag == c.skip && !selfClosing {
			c.skipDepth++
		}
		return
	}
	opens := !voidTags[tag] && (!selfClosing || rawTextTags[tag])
	if droppedTags[tag] || (opens && isHidden(attrs)) {
		if opens {
			c.skip, c.skipDepth = tag, 1
		}
		return
	}
	props := cssProps(attrVal(attrs, "style"))
	c.startTag(tag, attrs, props)
	if opens && !voidTags[tag] {
		m := mark{tag: tag, align: textAlign(tag, attrs, props)}
		m.color = parseColor(props["color"])
		if tag == "font" && m.color == "" {
			m.color = parseColor(attrVal(attrs, "color"))
		}
		if m.color != "" || m.align != AlignDefault {
			c.marks = append(c.marks, m)
		}
	}
}

func (c *htmlConv) startTag(tag string, attrs []attr, props map[string]string) {
	switch tag {
	case "br":
		c.lineBreak()
		return
	case "hr":
		c.breakBlock()
		c.blocks = append(c.blocks, Block{Kind: Rule})
		c.blockItem = append(c.blockItem, 0)
		return
	case "img", "image":
		c.image(attrs)
		return
	case "a":
		c.link = sanitizeLink(attrVal(attrs, "href"))
		c.linkMarks = len(c.marks)
	case "b", "strong":
		c.bold++
	case "i", "em", "cite", "dfn", "var":
		c.italic++
	case "code", "tt", "kbd", "samp":
		c.code++
	case "h1", "h2", "h3", "h4", "h5", "h6":
		c.breakBlock()
		c.heading = int(tag[1] - '0')
	case "pre", "listing", "xmp", "plaintext":
		c.breakBlock()
		c.pre++
	case "blockquote":
		c.breakBlock()
		c.quote++
	case "ul", "ol", "menu", "dir":
		c.breakBlock()
		if len(c.lists) >= 100 {
			c.listOverflow++
			return
		}
		first := 1
		if tag == "ol" {
			if n, err := strconv.Atoi(strings.TrimSpace(attrVal(attrs, "start"))); err == nil {
				first = clampInt(n)
			}
		}
		c.lists = append(c.lists, listState{ordered: tag == "ol", next: first})
	case "li":
		c.breakBlock()
		if len(c.lists) == 0 {
			c.lists = append(c.lists, listState{next: 1})
		}
		l := &c.lists[len(c.lists)-1]
		l.cur = l.next
		if n, err := strconv.Atoi(strings.TrimSpace(attrVal(attrs, "value"))); err == nil {
			l.cur = clampInt(n)
		}
		l.next = l.cur + 1
		c.items++
		l.inItem, l.item = true, c.items
	case "table":
		c.breakBlock()
		if c.flatTables > 0 || len(c.tables) >= maxTableDepth || c.cells >= maxCells {
			c.flatTables++
			return
		}
		g := Grid{Bg: bgColor(attrs, props), Align: c.curAlign()}
		switch asciiLower(strings.TrimSpace(attrVal(attrs, "align"))) {
		case "center":
			g.Align = AlignCenter
		case "right":
			g.Align = AlignRight
		case "left":
			g.Align = AlignLeft
		}
		g.Width, g.Px = cssWidth(attrVal(attrs, "width"), props["width"])
		c.tables = append(c.tables, tableFrame{grid: g,
			outer: c.blocks, outerItem: c.blockItem, lists: c.lists, listOverflow: c.listOverflow, quote: c.quote})
		c.blocks, c.blockItem, c.lists, c.listOverflow, c.quote = nil, nil, nil, 0, 0
	case "tr":
		if c.flatTables > 0 || len(c.tables) == 0 {
			c.breakBlock()
			return
		}
		c.closeCell()
		f := &c.tables[len(c.tables)-1]
		f.grid.Rows = append(f.grid.Rows, nil)
		f.rowBg = bgColor(attrs, props)
	case "td", "th":
		if c.flatTables > 0 || len(c.tables) == 0 || c.cells >= maxCells {
			if c.cur != nil && (c.spanOpen || len(c.cur.Spans) > 0) {
				c.pendingSpace = false
				c.appendStyled(" | ", style{})
			}
			return
		}
		c.closeCell()
		f := &c.tables[len(c.tables)-1]
		if len(f.grid.Rows) == 0 {
			f.grid.Rows = append(f.grid.Rows, nil)
		}
		row := &f.grid.Rows[len(f.grid.Rows)-1]
		f.open, f.cellMarks = true, len(c.marks)
		if len(*row) >= maxColumns {
			return // the rest of the row goes into its last cell
		}
		span, _ := strconv.Atoi(strings.TrimSpace(attrVal(attrs, "colspan")))
		cell := Cell{ColSpan: min(max(span, 1), maxColumns), Header: tag == "th", Bg: bgColor(attrs, props),
			Align: textAlign(tag, attrs, props)}
		if cell.Bg == "" {
			cell.Bg = f.rowBg
		}
		cell.Width, cell.Px = cssWidth(attrVal(attrs, "width"), props["width"])
		*row = append(*row, cell)
		c.cells++
	default:
		if blockTags[tag] {
			c.breakBlock()
		}
	}
}

func (c *htmlConv) end(tag string) {
	if c.skip != "" {
		if tag == c.skip {
			c.skipDepth--
			if c.skipDepth == 0 {
				c.skip = ""
			}
		}
		return
	}
	c.endTag(tag)
	if len(c.marks) > 0 {
		floor := 0
		if n := len(c.tables); n > 0 && c.tables[n-1].open {
			floor = c.tables[n-1].cellMarks
		}
		for i := len(c.marks) - 1; i >= floor; i-- {
			if c.marks[i].tag == tag {
				c.marks = c.marks[:i]
				break
			}
		}
	}
}

func (c *htmlConv) endTag(tag string) {
	switch tag {
	case "table":
		if c.flatTables > 0 {
			c.flatTables--
			c.breakBlock()
		} else if len(c.tables) > 0 {
			c.endTable()
		}
	case "td", "th", "tr":
		if c.flatTables == 0 && len(c.tables) > 0 {
			c.closeCell()
		} else if tag == "tr" {
			c.breakBlock()
		}
	case "a":
		c.link = ""
	case "b", "strong":
		c.bold = max(c.bold-1, 0)
	case "i", "em", "cite", "dfn", "var":
		c.italic = max(c.italic-1, 0)
	case "code", "tt", "kbd", "samp":
		c.code = max(c.code-1, 0)
	case "br":
		c.lineBreak() // browsers read </br> as <br>
	case "h1", "h2", "h3", "h4", "h5", "h6":
		c.breakBlock()
		c.heading = 0
	case "pre", "listing", "xmp":
		c.breakBlock()
		c.pre = max(c.pre-1, 0)
	case "blockquote":
		c.breakBlock()
		c.quote = max(c.quote-1, 0)
	case "ul", "ol", "menu", "dir":
		c.breakBlock()
		if c.listOverflow > 0 {
			c.listOverflow--
		} else if len(c.lists) > 0 {
			c.lists = c.lists[:len(c.lists)-1]
		}
	case "li":
		c.breakBlock()
		if len(c.lists) > 0 {
			c.lists[len(c.lists)-1].inItem = false
		}
	default:
		if blockTags[tag] {
			c.breakBlock()
		}
	}
}

// closeCell ends the open cell of the innermost table, moving the blocks converted since it
// started into it; content between cells is kept to show before the table, as browsers do.
func (c *htmlConv) closeCell() {
	c.breakBlock()
	f := &c.tables[len(c.tables)-1]
	if f.open {
		row := f.grid.Rows[len(f.grid.Rows)-1]
		cell := &row[len(row)-1]
		cell.Blocks = append(cell.Blocks, c.blocks...)
		f.open = false
		c.marks = c.marks[:min(f.cellMarks, len(c.marks))]
	} else {
		f.stray = append(f.stray, c.blocks...)
	}
	c.blocks, c.blockItem, c.lists, c.listOverflow, c.quote, c.heading, c.pre = nil, nil, nil, 0, 0, 0, 0
}

// endTable closes the innermost table and adds it, simplified, to the blocks around it.
func (c *htmlConv) endTable() {
	c.closeCell()
	f := c.tables[len(c.tables)-1]
	c.tables = c.tables[:len(c.tables)-1]
	c.blocks, c.blockItem, c.lists, c.listOverflow, c.quote = f.outer, f.outerItem, f.lists, f.listOverflow, f.quote
	for _, b := range append(f.stray, simplifyTable(f.grid)...) {
		c.blocks = append(c.blocks, b)
		c.blockItem = append(c.blockItem, 0)
	}
}

// simplifyTable drops a table that only lays out one column without colours (the wrapper tables of
// newsletters), keeping its cells' blocks, and empty tables. Others become a Table block.
func simplifyTable(g Grid) []Block {
	grid, bg, content := false, g.Bg != "", false
	for _, row := range g.Rows {
		n := 0
		for _, cell := range row {
			if len(cell.Blocks) > 0 {
				n++
			}
			bg = bg || cell.Bg != ""
		}
		grid = grid || n > 1
		content = content || n > 0
	}
	if !content {
		return nil
	}
	if grid || bg {
		rows := g.Rows[:0]
		for _, row := range g.Rows {
			if len(row) > 0 {
				rows = append(rows, row)
			}
		}
		g.Rows = rows
		return []Block{{Kind: Table, Table: &g}}
	}
	var out []Block
	for _, row := range g.Rows {
		for _, cell := range row {
			out = append(out, cell.Blocks...)
		}
	}
	return out
}

// cssWidth reads a width attribute or CSS width as a percentage or a number of pixels.
func cssWidth(attrWidth, cssWidth string) (percent, px int) {
	for _, v := range []string{cssWidth, attrWidth} {
		v = strings.TrimSpace(asciiLower(v))
		if p, ok := strings.CutSuffix(v, "%"); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(p), 64); err == nil && n > 0 {
				return int(min(n, 100)), 0
			}
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "px")); err == nil && n > 0 {
			return 0, min(n, 4000)
		}
	}
	return 0, 0
}

func clampInt(n int) int { return min(max(n, -1_000_000), 1_000_000) }

// isHidden reports elements a browser would not show, such as e-mail preheaders.
func isHidden(attrs []attr) bool {
	if hasAttr(attrs, "hidden") {
		return true
	}
	st := attrVal(attrs, "style")
	if st == "" {
		return false
	}
	st = strings.Join(strings.Fields(asciiLower(st)), "")
	return strings.Contains(st, "display:none")
}

func (c *htmlConv) curStyle() style {
	st := style{bold: c.bold > 0, italic: c.italic > 0, code: c.code > 0, link: c.link}
	floor := 0
	if c.link != "" {
		floor = min(c.linkMarks, len(c.marks)) // browsers draw links in the link colour
	}
	for i := len(c.marks) - 1; i >= floor; i-- {
		if c.marks[i].color != "" {
			st.color = c.marks[i].color
			break
		}
	}
	return st
}

func (c *htmlConv) curAlign() Align {
	for i := len(c.marks) - 1; i >= 0; i-- {
		if c.marks[i].align != AlignDefault {
			return c.marks[i].align
		}
	}
	return AlignDefault
}

// openBlock starts a block of the kind the current nesting calls for.
func (c *htmlConv) openBlock() {
	if c.cur != nil {
		return
	}
	b := Block{Kind: Paragraph, Align: c.curAlign()}
	c.curItem = 0
	switch {
	case c.heading > 0:
		b.Kind, b.Level = Heading, c.heading
	case c.pre > 0:
		b.Kind = Preformatted
	case len(c.lists) > 0 && c.lists[len(c.lists)-1].inItem:
		l := c.lists[len(c.lists)-1]
		b.Kind, b.Level, b.Ordered = ListItem, min(len(c.lists)+c.listOverflow, maxLevel), l.ordered
		if l.ordered {
			b.Number = l.cur
		}
		c.curItem = l.item
	case c.quote > 0:
		b.Kind, b.Level = Quote, min(c.quote, maxLevel)
	}
	c.cur = &b
}

// flushSpan moves the span being built into the current block.
func (c *htmlConv) flushSpan() {
	if !c.spanOpen {
		return
	}
	st := c.spanStyle
	c.cur.Spans = append(c.cur.Spans, Span{Text: c.spanBuf.String(), Bold: st.bold, Italic: st.italic, Code: st.code, Link: st.link, Color: st.color})
	c.spanBuf = strings.Builder{}
	c.spanOpen = false
}

// lastText returns the text of the span being built ("" when there is none).
func (c *htmlConv) lastText() string {
	if !c.spanOpen {
		return ""
	}
	return c.spanBuf.String()
}

// breakBlock ends the current block, trimming its edges; a block of white space is dropped and
// the later blocks of one list item are merged into its first.
func (c *htmlConv) breakBlock() {
	c.pendingSpace = false
	if c.cur != nil {
		c.flushSpan()
	}
	b := c.cur
	c.cur = nil
	if b == nil {
		return
	}
	cut := " \n"
	if b.Kind == Preformatted {
		cut = "\n"
	}
	for len(b.Spans) > 0 {
		if t := strings.TrimLeft(b.Spans[0].Text, cut); t != "" {
			b.Spans[0].Text = t
			break
		}
		b.Spans = b.Spans[1:]
	}
	for len(b.Spans) > 0 {
		last := len(b.Spans) - 1
		if t := strings.TrimRight(b.Spans[last].Text, " \n\t"); t != "" {
			b.Spans[last].Text = t
			break
		}
		b.Spans = b.Spans[:last]
	}
	if len(b.Spans) == 0 {
		return
	}
	if n := len(c.blocks); n > 0 && c.curItem != 0 && c.blockItem[n-1] == c.curItem && b.Kind == ListItem {
		prev := &c.blocks[n-1]
		prev.Spans = append(prev.Spans, Span{Text: "\n"})
		prev.Spans = append(prev.Spans, b.Spans...)
		return
	}
	c.blocks = append(c.blocks, *b)
	c.blockItem = append(c.blockItem, c.curItem)
}

// appendStyled adds text to the current block, extending the last span when the style matches.
func (c *htmlConv) appendStyled(text string, st style) {
	if text == "" {
		return
	}
	c.openBlock()
	if c.spanOpen && c.spanStyle != st {
		c.flushSpan()
	}
	c.spanOpen, c.spanStyle = true, st
	c.spanBuf.WriteString(text)
}

// atBreak reports whether a collapsed space here would be redundant: at the start of a block,
// of a line, or after a space.
func (c *htmlConv) atBreak() bool {
	t := c.lastText()
	if !c.spanOpen && c.cur != nil && len(c.cur.Spans) > 0 {
		t = c.cur.Spans[len(c.cur.Spans)-1].Text // after an image
	}
	return t == "" || strings.HasSuffix(t, "\n") || strings.HasSuffix(t, " ")
}

// text adds a text token: verbatim inside pre, else with white space collapsed as a browser does.
func (c *htmlConv) text(s string, afterPreStart bool) {
	st := c.curStyle()
	if c.pre > 0 {
		s = cleanBodyText(strings.ReplaceAll(s, "\r\n", "\n"))
		if afterPreStart {
			s = strings.TrimPrefix(s, "\n")
		}
		c.appendStyled(s, st)
		return
	}
	var buf strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0':
			c.pendingSpace = true
			continue
		case r == '\u200b' || r == '\u00ad' || r == '\ufeff' || r == '\u034f' || unicode.IsControl(r):
			continue // invisible padding of newsletters
		}
		if c.pendingSpace {
			c.pendingSpace = false
			if buf.Len() > 0 {
				buf.WriteByte(' ')
			} else if !c.atBreak() {
				if st.link != "" {
					// Keep the space outside the link so it is not underlined.
					c.appendStyled(" ", style{})
				} else {
					buf.WriteByte(' ')
				}
			}
		}
		buf.WriteRune(r)
	}
	c.appendStyled(buf.String(), st)
}

func (c *htmlConv) lineBreak() {
	c.pendingSpace = false
	c.openBlock()
	if strings.HasSuffix(c.lastText(), "\n\n") {
		return
	}
	if !c.spanOpen {
		c.spanOpen, c.spanStyle = true, style{}
	}
	c.spanBuf.WriteByte('\n') // a line break takes whatever style is open
}

func (c *htmlConv) image(attrs []attr) {
	alt := strings.Join(strings.Fields(attrVal(attrs, "alt")), " ")
	alt = truncateRunes(alt, 200)
	w, h := strings.TrimSpace(attrVal(attrs, "width")), strings.TrimSpace(attrVal(attrs, "height"))
	if w == "0" || w == "1" || h == "0" || h == "1" {
		if alt == "" {
			return // a tracking pixel: not worth a placeholder
		}
		c.text("[image: "+alt+"]", false)
		return
	}
	text := "[image]"
	if alt != "" {
		text = "[image: " + alt + "]"
	}
	im := imageRef(attrVal(attrs, "src"))
	if im == nil {
		c.text(text, false)
		return
	}
	im.Alt = alt
	_, im.Width = cssWidth(w, "")
	_, im.Height = cssWidth(h, "")
	c.openBlock()
	if c.pendingSpace {
		c.pendingSpace = false
		if !c.atBreak() {
			c.appendStyled(" ", style{}) // keeps the space between words and the image
		}
	}
	c.flushSpan()
	c.cur.Spans = append(c.cur.Spans, Span{Text: text, Link: c.link, Image: im})
}

// imageRef is the image an <img src> shows: a part of the message (cid:) or a remote http or
// https image, nil for anything else (data: URLs included: they are not decoded).
func imageRef(src string) *Image {
	s := strings.TrimSpace(src)
	if len(s) > maxLinkLen {
		return nil
	}
	if id, ok := strings.CutPrefix(asciiLower(s), "cid:"); ok && id != "" {
		id, err := url.PathUnescape(s[len("cid:"):])
		if err != nil || strings.ContainsFunc(id, unicode.IsControl) {
			return nil
		}
		return &Image{Src: "cid:" + strings.Trim(id, "<>")}
	}
	if l := sanitizeLink(s); l != "" && !strings.HasPrefix(l, "mailto:") {
		return &Image{Src: l}
	}
	return nil
}

// urlAttrs name attributes whose value a browser would fetch.
var urlAttrs = setOf("src", "lowsrc", "dynsrc", "background", "poster", "longdesc", "codebase", "archive",
	"manifest", "xlink:href", "ping", "profile", "icon", "imagesrcset", "srcset", "attributionsrc")

// remoteRefs counts the remote resources a browser would load for one tag.
func remoteRefs(tag string, attrs []attr) int {
	n := 0
	refresh := tag == "meta" && strings.EqualFold(strings.TrimSpace(attrVal(attrs, "http-equiv")), "refresh")
	for _, a := range attrs {
		switch {
		case a.key == "srcset" || a.key == "imagesrcset":
			for _, cand := range strings.Split(a.val, ",") {
				if f := strings.Fields(cand); len(f) > 0 && isRemoteRef(f[0]) {
					n++
					break
				}
			}
		case urlAttrs[a.key]:
			if isRemoteRef(a.val) {
				n++
			}
		case a.key == "data" && tag == "object", a.key == "href" && tag != "a" && tag != "area":
			if isRemoteRef(a.val) {
				n++
			}
		case a.key == "style":
			n += cssRemoteRefs(a.val)
		case a.key == "content" && refresh:
			if strings.Contains(asciiLower(a.val), "url") {
				n++
			}
		}
	}
	return n
}

// isRemoteRef reports whether a URL reference would make a browser fetch something.
func isRemoteRef(v string) bool {
	t := asciiLower(strings.TrimSpace(v))
	if t == "" {
		return false
	}
	for _, p := range []string{"cid:", "data:", "#", "about:", "javascript:", "mid:"} {
		if strings.HasPrefix(t, p) {
			return false
		}
	}
	return true
}

// cssRemoteRefs counts url(), image-set() and @import references in CSS text.
func cssRemoteRefs(css string) int {
	lower := asciiLower(css)
	n := 0
	for rest := lower; ; {
		i := strings.Index(rest, "url(")
		if i < 0 {
			break
		}
		rest = rest[i+4:]
		arg := rest
		if j := strings.IndexByte(arg, ')'); j >= 0 {
			arg = arg[:j]
		}
		if isRemoteRef(strings.Trim(strings.TrimSpace(arg), `"'`)) {
			n++
		}
	}
	for rest := lower; ; {
		i := strings.Index(rest, "@import")
		if i < 0 {
			break
		}
		rest = rest[i+len("@import"):]
		if !strings.HasPrefix(strings.TrimSpace(rest), "url(") {
			n++ // @import "x.css": not counted as url() above
		}
	}
	return n + strings.Count(lower, "image-set(")
}
