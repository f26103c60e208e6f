package mailfmt

import (
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
	case "td", "th":
		if c.cur != nil && (c.spanOpen || len(c.cur.Spans) > 0) {
			c.pendingSpace = false
			c.appendStyled(" | ", style{})
		}
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
	switch tag {
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
	return style{bold: c.bold > 0, italic: c.italic > 0, code: c.code > 0, link: c.link}
}

// openBlock starts a block of the kind the current nesting calls for.
func (c *htmlConv) openBlock() {
	if c.cur != nil {
		return
	}
	b := Block{Kind: Paragraph}
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
	c.cur.Spans = append(c.cur.Spans, Span{Text: c.spanBuf.String(), Bold: st.bold, Italic: st.italic, Code: st.code, Link: st.link})
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
					c.spanBuf.WriteByte(' ')
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
	if alt == "" {
		w, h := strings.TrimSpace(attrVal(attrs, "width")), strings.TrimSpace(attrVal(attrs, "height"))
		if w == "0" || w == "1" || h == "0" || h == "1" {
			return // a tracking pixel: not worth a placeholder
		}
		c.text("[image]", false)
		return
	}
	c.text("[image: "+alt+"]", false)
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
