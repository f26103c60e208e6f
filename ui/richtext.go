package ui

import (
	"image"
	"image/color"
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/mailfmt"
)

// maxBlockWidgets bounds the widgets one message body creates; the rest is shown as plain text.
const maxBlockWidgets = 1500

// bodyView turns the safe rich-text model of a message into widgets. Paragraphs without links,
// colours or mixed styles become selectable labels (so text can be copied); others become
// RichText, links as hyperlinks that show their target on hover and ask before following one
// whose text names another site. Tables become grids, quotes get a bar per level, as mail
// clients draw them. Images come only from pics: pictures decoded from the message's own parts,
// or remote ones after the user agreed to load them; nothing here fetches anything.
type bodyView struct {
	base     fyne.TextStyle // ordinary text (monospace for plain-text mail when the user chose it)
	openLink func(*url.URL)
	window   func() fyne.Window // where the link confirmation shows
	tips     *tipLayer          // nil: no tooltips
	pics     map[string]image.Image
	widgets  int
}

// renderBlocks renders blocks on the theme's background.
func (v *bodyView) renderBlocks(blocks []mailfmt.Block) []fyne.CanvasObject {
	return v.render(blocks, nil)
}

// render renders blocks on bg (nil: the theme's background), which decides the text colours.
func (v *bodyView) render(blocks []mailfmt.Block, bg color.Color) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var group []fyne.CanvasObject
	groupLevel := 0
	flush := func() {
		if len(group) == 0 {
			return
		}
		if groupLevel == 0 {
			out = append(out, group...)
		} else {
			out = append(out, quoteBox(groupLevel, group))
		}
		group = nil
	}
	for i, b := range blocks {
		if v.widgets >= maxBlockWidgets {
			flush()
			out = append(out, plainLabel(mailfmt.RichToText(blocks[i:]), v.base))
			return out
		}
		v.widgets++
		level := 0
		if b.Kind == mailfmt.Quote {
			level = max(1, min(b.Level, 6))
		}
		if level != groupLevel {
			flush()
			groupLevel = level
		}
		w := v.block(b, bg)
		// Consecutive list items sit closer together than paragraphs.
		if b.Kind == mailfmt.ListItem && len(group) > 0 && i > 0 && blocks[i-1].Kind == mailfmt.ListItem {
			if list, ok := group[len(group)-1].(*fyne.Container); ok && list.Layout == listItemsLayout {
				list.Add(w)
				continue
			}
			prev := group[len(group)-1]
			group[len(group)-1] = container.New(listItemsLayout, prev, w)
			continue
		}
		group = append(group, w)
	}
	flush()
	return out
}

func (v *bodyView) block(b mailfmt.Block, bg color.Color) fyne.CanvasObject {
	switch b.Kind {
	case mailfmt.Rule:
		return widget.NewSeparator()
	case mailfmt.Table:
		return v.table(b.Table, bg)
	case mailfmt.Heading:
		size := theme.SizeNameText
		if b.Level <= 1 {
			size = theme.SizeNameSubHeadingText
		}
		return v.paragraph(b.Spans, b.Align, fyne.TextStyle{Bold: true}, size, bg)
	case mailfmt.Preformatted:
		l := plainLabel(strings.TrimRight(b.Text(), "\n"), fyne.TextStyle{Monospace: true})
		l.Wrapping = fyne.TextWrapBreak
		return l
	case mailfmt.ListItem:
		marker := "•"
		if b.Ordered {
			marker = strconv.Itoa(b.Number) + "."
		}
		indent := float32(max(b.Level-1, 0)) * 20
		return container.New(&hangingIndent{indent: indent},
			widget.NewLabel(marker), v.paragraph(b.Spans, b.Align, v.base, "", bg))
	default:
		return v.paragraph(b.Spans, b.Align, v.base, "", bg)
	}
}

// paragraph renders a block's spans: runs of text as text, images that are available as
// pictures (on a line of their own, in the block's alignment), others as their "[image]" text.
func (v *bodyView) paragraph(spans []mailfmt.Span, align mailfmt.Align, base fyne.TextStyle, size fyne.ThemeSizeName, bg color.Color) fyne.CanvasObject {
	var parts []fyne.CanvasObject
	var run []mailfmt.Span
	var pics []fyne.CanvasObject
	flushRun := func() {
		if len(run) > 0 && strings.TrimSpace(spanText(run)) != "" {
			parts = append(parts, v.spans(run, align, base, size, bg))
		}
		run = nil
	}
	flushPics := func() {
		if len(pics) > 0 {
			parts = append(parts, alignRow(align, pics))
		}
		pics = nil
	}
	for _, s := range spans {
		if s.Image != nil {
			if pic := v.pics[s.Image.Src]; pic != nil {
				flushRun()
				pics = append(pics, v.picture(s, pic))
				continue
			}
		}
		if len(pics) > 0 && strings.TrimSpace(s.Text) == "" {
			continue // the space between two pictures
		}
		flushPics()
		run = append(run, s)
	}
	// Small pictures before a line of text sit beside it, as a receipt's thumbnails do.
	if len(pics) == 0 && strings.TrimSpace(spanText(run)) != "" && len(parts) == 1 && len(spans) > 0 && spans[0].Image != nil {
		if row, ok := parts[0].(*fyne.Container); ok && row.MinSize().Height <= maxBesideHeight {
			text := v.spans(run, align, base, size, bg)
			return container.New(&besideLayout{}, row, text)
		}
	}
	flushRun()
	flushPics()
	switch len(parts) {
	case 0:
		return v.spans(spans, align, base, size, bg)
	case 1:
		return parts[0]
	}
	return container.New(&tightVBox{}, parts...)
}

func spanText(spans []mailfmt.Span) string {
	var sb strings.Builder
	for _, s := range spans {
		sb.WriteString(s.Text)
	}
	return sb.String()
}

// spans renders a run of text: a selectable label when it is one plain run in the theme's
// colours, else RichText.
func (v *bodyView) spans(spans []mailfmt.Span, align mailfmt.Align, base fyne.TextStyle, size fyne.ThemeSizeName, bg color.Color) fyne.CanvasObject {
	plain := size == ""
	colors := make([]fyne.ThemeColorName, len(spans))
	for i, s := range spans {
		colors[i] = textColor(s.Color, bg)
		if s.Link != "" || s.Bold || s.Italic || s.Code || colors[i] != theme.ColorNameForeground {
			plain = false
		}
	}
	if plain {
		l := plainLabel(strings.Trim(spanText(spans), "\n"), base)
		l.Alignment = textAlign(align)
		return l
	}
	if size == "" {
		size = theme.SizeNameText
	}
	segs := make([]widget.RichTextSegment, 0, len(spans)+1)
	var linkColor fyne.ThemeColorName
	for i, s := range spans {
		if s.Link != "" {
			if u, err := url.Parse(s.Link); err == nil && linkAllowed(u) {
				segs = append(segs, v.newLink(s.Text, u))
				if linkColor == "" {
					linkColor = hyperlinkColor(s.Color, bg)
				}
				continue
			}
		}
		style := widget.RichTextStyleInline
		style.ColorName, style.SizeName = colors[i], size
		style.TextStyle = fyne.TextStyle{Bold: s.Bold || base.Bold, Italic: s.Italic || base.Italic,
			Monospace: s.Code || base.Monospace}
		segs = append(segs, &widget.TextSegment{Text: s.Text, Style: style})
	}
	rt := widget.NewRichText(segs...)
	rt.Wrapping = fyne.TextWrapWord
	var obj fyne.CanvasObject = rt
	if linkColor != "" && linkColor != theme.ColorNameHyperlink {
		obj = container.NewThemeOverride(rt, linkTheme{link: linkColor})
	}
	if align == mailfmt.AlignCenter || align == mailfmt.AlignRight {
		// RichText aligns the pieces of a line one by one (a gap opens before a link), so the
		// paragraph is placed as a whole instead.
		obj = container.New(&alignLayout{align: align, natural: naturalWidth(spans, base, size)}, obj)
	}
	return obj
}

// naturalWidth is how wide spans are unwrapped: the longest of their lines, with RichText's
// padding.
func naturalWidth(spans []mailfmt.Span, base fyne.TextStyle, size fyne.ThemeSizeName) float32 {
	th := fyne.CurrentApp().Settings().Theme()
	textSize := th.Size(size)
	var widest, line float32
	for _, s := range spans {
		st := fyne.TextStyle{Bold: s.Bold || base.Bold, Italic: s.Italic || base.Italic, Monospace: s.Code || base.Monospace}
		parts := strings.Split(s.Text, "\n")
		for i, p := range parts {
			if i > 0 {
				widest, line = max(widest, line), 0
			}
			line += fyne.MeasureText(p, textSize, st).Width
		}
	}
	return max(widest, line) + 2*th.Size(theme.SizeNameInnerPadding) + 2
}

// alignLayout places a paragraph that fits on one line at the centre or the right; a longer
// one takes the whole width and wraps.
type alignLayout struct {
	align   mailfmt.Align
	natural float32
}

func (a *alignLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (a *alignLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(a.natural, size.Width)
	x := size.Width - w
	if a.align == mailfmt.AlignCenter {
		x /= 2
	}
	objs[0].Move(fyne.NewPos(x, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
}

func textAlign(a mailfmt.Align) fyne.TextAlign {
	switch a {
	case mailfmt.AlignCenter:
		return fyne.TextAlignCenter
	case mailfmt.AlignRight:
		return fyne.TextAlignTrailing
	}
	return fyne.TextAlignLeading
}

// alignRow lays pictures side by side in the block's alignment.
func alignRow(a mailfmt.Align, objs []fyne.CanvasObject) fyne.CanvasObject {
	row := container.New(&tightHBox{}, objs...)
	switch a {
	case mailfmt.AlignCenter:
		return container.NewHBox(layout.NewSpacer(), row, layout.NewSpacer())
	case mailfmt.AlignRight:
		return container.NewHBox(layout.NewSpacer(), row)
	}
	return container.NewHBox(row)
}

// maxBesideHeight is the tallest picture that text may sit beside.
const maxBesideHeight = 120

// besideLayout puts pictures on the left and text in the rest of the width, centred on each
// other's height.
type besideLayout struct{}

func (besideLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	p, t := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(p.Width+t.Width, max(p.Height, t.Height))
}

func (besideLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	p := objs[0].MinSize()
	objs[0].Resize(p)
	objs[0].Move(fyne.NewPos(0, (size.Height-p.Height)/2))
	objs[1].Resize(fyne.NewSize(size.Width-p.Width, objs[1].MinSize().Height))
	t := objs[1].MinSize() // at its width, wrapped
	objs[1].Resize(fyne.NewSize(size.Width-p.Width, t.Height))
	objs[1].Move(fyne.NewPos(p.Width, (size.Height-t.Height)/2))
}

// maxPictureWidth keeps a picture within the width newsletters are made for.
const maxPictureWidth = 640

// picture shows an image at the size the HTML gives it (or its own), no wider than
// maxPictureWidth; a linked picture opens its link like a text link.
func (v *bodyView) picture(s mailfmt.Span, pic image.Image) fyne.CanvasObject {
	img := canvas.NewImageFromImage(pic)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(pictureSize(s.Image, pic))
	if s.Link != "" {
		if u, err := url.Parse(s.Link); err == nil && linkAllowed(u) {
			return newLinkPicture(v, img, s.Image.Alt, u)
		}
	}
	return img
}

// pictureSize is the size a picture is shown at: as the HTML gives it, else its own, scaled
// down to maxPictureWidth.
func pictureSize(im *mailfmt.Image, pic image.Image) fyne.Size {
	b := pic.Bounds()
	w, h := float32(im.Width), float32(im.Height)
	switch {
	case w > 0 && h > 0:
	case w > 0:
		h = w * float32(b.Dy()) / float32(max(b.Dx(), 1))
	case h > 0:
		w = h * float32(b.Dx()) / float32(max(b.Dy(), 1))
	default:
		w, h = float32(b.Dx()), float32(b.Dy())
	}
	if w > maxPictureWidth {
		h, w = h*maxPictureWidth/w, maxPictureWidth
	}
	return fyne.NewSize(max(w, 1), max(h, 1))
}

// cellPadding is the space inside a table cell on the left and on the right.
const cellPadding = 4

// natural is how wide blocks would be laid out without wrapping, so that a table without a
// width can be as narrow as its content, as browsers draw it; 0 for blocks without a
// width of their own (rules, preformatted text counts its lines).
func (v *bodyView) natural(blocks []mailfmt.Block) float32 {
	var w float32
	for _, b := range blocks {
		switch b.Kind {
		case mailfmt.Table:
			w = max(w, v.naturalTable(b.Table))
		case mailfmt.Rule:
		case mailfmt.Heading:
			size := theme.SizeNameText
			if b.Level <= 1 {
				size = theme.SizeNameSubHeadingText
			}
			w = max(w, v.naturalSpans(b.Spans, fyne.TextStyle{Bold: true}, size))
		case mailfmt.Preformatted:
			w = max(w, naturalWidth(b.Spans, fyne.TextStyle{Monospace: true}, theme.SizeNameText))
		case mailfmt.ListItem:
			w = max(w, v.naturalSpans(b.Spans, v.base, theme.SizeNameText)+float32(b.Level)*20+20)
		default:
			w = max(w, v.naturalSpans(b.Spans, v.base, theme.SizeNameText))
		}
	}
	return w
}

// naturalSpans is naturalWidth with the pictures that are shown counted at their width.
func (v *bodyView) naturalSpans(spans []mailfmt.Span, base fyne.TextStyle, size fyne.ThemeSizeName) float32 {
	var text []mailfmt.Span
	var pics float32
	for _, s := range spans {
		if s.Image != nil {
			if pic := v.pics[s.Image.Src]; pic != nil {
				pics += pictureSize(s.Image, pic).Width
				continue
			}
		}
		text = append(text, s)
	}
	w := pics
	if len(text) > 0 {
		w = max(w, naturalWidth(text, base, size))
	}
	return w
}

func (v *bodyView) naturalTable(g *mailfmt.Grid) float32 {
	if g.Px > 0 {
		return float32(g.Px)
	}
	// The widest cell of each column, and rows whose cells span columns as a whole.
	var cols []float32
	var w float32
	for _, row := range g.Rows {
		var rw float32
		col := 0
		for _, c := range row {
			n := v.naturalCell(c)
			rw += n
			if c.ColSpan <= 1 {
				for len(cols) <= col {
					cols = append(cols, 0)
				}
				cols[col] = max(cols[col], n)
			}
			col += max(c.ColSpan, 1)
		}
		w = max(w, rw)
	}
	var sum float32
	for _, c := range cols {
		sum += c
	}
	return max(w, sum)
}

// naturalCell is a cell's unwrapped width with its padding; a header cell's text is bold.
func (v *bodyView) naturalCell(c mailfmt.Cell) float32 {
	blocks := c.Blocks
	if c.Header {
		blocks = boldBlocks(blocks)
	}
	return v.natural(blocks) + 2*cellPadding
}

// table lays a table out as a grid; cell and table backgrounds are painted, and the text in
// them takes colours readable on them.
func (v *bodyView) table(g *mailfmt.Grid, bg color.Color) fyne.CanvasObject {
	tl := &tableLayout{}
	var natural []float32
	if c := parseHex(g.Bg); c != nil {
		bg = c
	}
	var objs []fyne.CanvasObject
	for r, row := range g.Rows {
		col := 0
		for _, cell := range row {
			span := max(cell.ColSpan, 1)
			tl.cells = append(tl.cells, tableCell{row: r, col: col, span: span})
			for len(tl.pct) < col+span {
				tl.pct, tl.px, natural = append(tl.pct, 0), append(tl.px, 0), append(natural, 0)
			}
			if span == 1 {
				tl.pct[col] = max(tl.pct[col], cell.Width)
				tl.px[col] = max(tl.px[col], cell.Px)
				natural[col] = max(natural[col], v.naturalCell(cell))
			}
			cellBg := bg
			if c := parseHex(cell.Bg); c != nil {
				cellBg = c
			}
			blocks := cell.Blocks
			if cell.Header {
				blocks = boldBlocks(blocks)
			}
			content := container.New(&tightVBox{}, v.render(blocks, cellBg)...)
			var obj fyne.CanvasObject = container.New(layout.NewCustomPaddedLayout(2, 2, cellPadding, cellPadding), content)
			if cell.Bg != "" {
				obj = container.NewStack(canvas.NewRectangle(cellBg), obj)
			}
			objs = append(objs, obj)
			col += span
		}
		tl.rows = r + 1
	}
	tl.cols, tl.natural = len(tl.pct), natural
	var grid fyne.CanvasObject = container.New(tl, objs...)
	if g.Bg != "" {
		grid = container.NewStack(canvas.NewRectangle(bg), grid)
	}
	box := &tableBox{align: g.Align, pct: g.Width, px: g.Px}
	if g.Width == 0 && g.Px == 0 {
		box.natural = v.naturalTable(g)
	}
	return container.New(box, grid)
}

// tableBox gives a table the width the HTML asks for (percent, pixels, or as narrow as its
// content when it asks for none), within the width there is, and places it by its alignment.
type tableBox struct {
	align   mailfmt.Align
	pct, px int
	natural float32
}

func (t *tableBox) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (t *tableBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := size.Width
	switch {
	case t.pct > 0:
		w = size.Width * float32(t.pct) / 100
	case t.px > 0:
		w = min(float32(t.px), size.Width)
	case t.natural > 0:
		w = min(t.natural, size.Width)
	}
	w = max(w, min(objs[0].MinSize().Width, size.Width))
	x := float32(0)
	switch t.align {
	case mailfmt.AlignCenter:
		x = (size.Width - w) / 2
	case mailfmt.AlignRight:
		x = size.Width - w
	}
	objs[0].Move(fyne.NewPos(x, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
}

// boldBlocks makes the text of a header cell bold, as browsers draw <th>.
func boldBlocks(blocks []mailfmt.Block) []mailfmt.Block {
	out := make([]mailfmt.Block, len(blocks))
	for i, b := range blocks {
		out[i] = b
		if b.Kind == mailfmt.Table {
			continue
		}
		out[i].Spans = make([]mailfmt.Span, len(b.Spans))
		for j, s := range b.Spans {
			s.Bold = true
			out[i].Spans[j] = s
		}
	}
	return out
}

type tableCell struct{ row, col, span int }

// tableLayout places cells in rows and columns. A column is as wide as the HTML asks (percent
// or pixels), never narrower than its widest content that cannot wrap (pictures); the width
// left is shared by the other columns. A row is as tall as its tallest cell at its width.
type tableLayout struct {
	cells      []tableCell
	rows, cols int
	pct, px    []int
	natural    []float32 // unwrapped width of each column's content; nil: share alike
}

func (t *tableLayout) minWidths(objs []fyne.CanvasObject) []float32 {
	minW := make([]float32, t.cols)
	for i, c := range t.cells {
		if c.span == 1 {
			minW[c.col] = max(minW[c.col], objs[i].MinSize().Width)
		}
	}
	return minW
}

func (t *tableLayout) colWidths(objs []fyne.CanvasObject, width float32) []float32 {
	minW := t.minWidths(objs)
	w := make([]float32, t.cols)
	isFlex := func(i int) bool { return t.pct[i] == 0 && t.px[i] == 0 }
	var fixed, flexNatural float32
	flex := 0
	for i := range w {
		switch {
		case t.pct[i] > 0:
			w[i] = width * float32(t.pct[i]) / 100
		case t.px[i] > 0:
			w[i] = float32(t.px[i])
		default:
			flex++
			if i < len(t.natural) {
				flexNatural += t.natural[i]
			}
			continue
		}
		w[i] = max(w[i], minW[i])
		fixed += w[i]
	}
	// Columns without a width share what is left as their content would: a column of prices
	// stays narrow beside one of descriptions.
	left := max(width-fixed, 0)
	var sum float32
	for i := range w {
		if isFlex(i) {
			share := 1 / float32(flex)
			if flexNatural > 0 {
				share = t.natural[i] / flexNatural
			}
			w[i] = max(minW[i], left*share)
		}
		sum += w[i]
	}
	switch {
	case sum < width && flex == 0 && sum > 0:
		for i := range w {
			w[i] *= width / sum
		}
	case sum > width:
		var give float32
		for i := range w {
			give += w[i] - minW[i]
		}
		if give > 0 {
			f := min(1, (sum-width)/give)
			for i := range w {
				w[i] -= (w[i] - minW[i]) * f
			}
		}
	}
	return w
}

func (t *tableLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := t.colWidths(objs, size.Width)
	x := make([]float32, t.cols+1)
	for i, cw := range w {
		x[i+1] = x[i] + cw
	}
	widths := make([]float32, len(t.cells))
	heights := make([]float32, t.rows)
	for i, c := range t.cells {
		widths[i] = x[min(c.col+c.span, t.cols)] - x[c.col]
		objs[i].Resize(fyne.NewSize(widths[i], objs[i].MinSize().Height))
		heights[c.row] = max(heights[c.row], objs[i].MinSize().Height) // after wrapping at its width
	}
	y := make([]float32, t.rows+1)
	for r, h := range heights {
		y[r+1] = y[r] + h
	}
	for i, c := range t.cells {
		objs[i].Move(fyne.NewPos(x[c.col], y[c.row]))
		objs[i].Resize(fyne.NewSize(widths[i], heights[c.row]))
	}
}

func (t *tableLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var width float32
	for _, mw := range t.minWidths(objs) {
		width += mw
	}
	heights := make([]float32, t.rows)
	for i, c := range t.cells {
		heights[c.row] = max(heights[c.row], objs[i].MinSize().Height)
	}
	var height float32
	for _, h := range heights {
		height += h
	}
	return fyne.NewSize(width, height)
}

// tightHBox lays pictures side by side without padding, as a browser draws adjacent images.
type tightHBox struct{}

func (tightHBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s = fyne.NewSize(s.Width+m.Width, max(s.Height, m.Height))
	}
	return s
}

func (tightHBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var x float32
	for _, o := range objs {
		m := o.MinSize()
		o.Move(fyne.NewPos(x, (size.Height-m.Height)/2))
		o.Resize(m)
		x += m.Width
	}
}

// linkAllowed keeps links to what mailfmt allows: web pages and mail addresses.
func linkAllowed(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

func plainLabel(text string, style fyne.TextStyle) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, style)
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	return l
}

// quoteBox draws quoted text with one bar per quote level.
func quoteBox(level int, content []fyne.CanvasObject) fyne.CanvasObject {
	bars := make([]fyne.CanvasObject, level)
	for i := range bars {
		bars[i] = newThemedDot(theme.ColorNamePrimary)
	}
	return container.New(&quoteLayout{level: level},
		append(bars, container.NewVBox(content...))...)
}

// quoteLayout puts level bars on the left and the quoted content beside them.
type quoteLayout struct{ level int }

const quoteStep = 12

func (q *quoteLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	content := objs[len(objs)-1].MinSize()
	return content.AddWidthHeight(float32(q.level*quoteStep)+theme.Padding(), 0)
}

func (q *quoteLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	for i := 0; i < q.level; i++ {
		objs[i].Move(fyne.NewPos(float32(i*quoteStep)+pad, pad))
		objs[i].Resize(fyne.NewSize(3, size.Height-2*pad))
	}
	x := float32(q.level*quoteStep) + pad
	objs[q.level].Move(fyne.NewPos(x, 0))
	objs[q.level].Resize(fyne.NewSize(size.Width-x, size.Height))
}

// listItemsLayout stacks list items with less space between them than between paragraphs.
var listItemsLayout fyne.Layout = &tightVBox{}

// hangingIndent lays out a list marker and its text, the text wrapping under itself.
type hangingIndent struct{ indent float32 }

func (h *hangingIndent) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m, t := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(h.indent+m.Width+t.Width, max(m.Height, t.Height))
}

func (h *hangingIndent) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	m := objs[0].MinSize()
	objs[0].Move(fyne.NewPos(h.indent, 0))
	objs[0].Resize(m)
	x := h.indent + m.Width - theme.InnerPadding()
	objs[1].Move(fyne.NewPos(x, 0))
	objs[1].Resize(fyne.NewSize(size.Width-x, size.Height))
}
