package ui

import (
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/mailfmt"
)

// maxBlockWidgets bounds the widgets one message body creates; the rest is shown as plain text.
const maxBlockWidgets = 1500

// renderBlocks turns the safe rich-text model of a message into widgets. Paragraphs without links
// or mixed styles become selectable labels (so text can be copied); paragraphs with links become
// RichText with hyperlink segments that call openLink. Quotes are grouped with a bar per level, as
// mail clients draw them. No image segment is ever created: mailfmt has already dropped every
// image, and nothing here turns a URL into anything but a link the user may click. base is the
// style of ordinary text (monospace for plain-text mail when the user chose a fixed-width font).
func renderBlocks(blocks []mailfmt.Block, base fyne.TextStyle, openLink func(*url.URL)) []fyne.CanvasObject {
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
		if i >= maxBlockWidgets {
			flush()
			out = append(out, plainLabel(mailfmt.RichToText(blocks[i:]), base))
			return out
		}
		level := 0
		if b.Kind == mailfmt.Quote {
			level = max(1, min(b.Level, 6))
		}
		if level != groupLevel {
			flush()
			groupLevel = level
		}
		w := blockWidget(b, base, openLink)
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

func blockWidget(b mailfmt.Block, base fyne.TextStyle, openLink func(*url.URL)) fyne.CanvasObject {
	switch b.Kind {
	case mailfmt.Rule:
		return widget.NewSeparator()
	case mailfmt.Heading:
		l := plainLabel(strings.TrimSpace(b.Text()), fyne.TextStyle{Bold: true})
		switch {
		case b.Level <= 1:
			l.SizeName = theme.SizeNameSubHeadingText
		default:
			l.SizeName = theme.SizeNameText
		}
		return l
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
			widget.NewLabel(marker), spansWidget(b.Spans, base, openLink))
	default:
		return spansWidget(b.Spans, base, openLink)
	}
}

// spansWidget renders a paragraph: a selectable label when it is one plain run, else RichText.
func spansWidget(spans []mailfmt.Span, base fyne.TextStyle, openLink func(*url.URL)) fyne.CanvasObject {
	plain := true
	for _, s := range spans {
		if s.Link != "" || s.Bold || s.Italic || s.Code {
			plain = false
			break
		}
	}
	if plain {
		var sb strings.Builder
		for _, s := range spans {
			sb.WriteString(s.Text)
		}
		return plainLabel(strings.Trim(sb.String(), "\n"), base)
	}
	segs := make([]widget.RichTextSegment, 0, len(spans))
	for _, s := range spans {
		if s.Link != "" {
			if u, err := url.Parse(s.Link); err == nil && linkAllowed(u) {
				link := u
				segs = append(segs, &widget.HyperlinkSegment{Text: s.Text, URL: link,
					OnTapped: func() { openLink(link) }})
				continue
			}
		}
		style := widget.RichTextStyleInline
		style.TextStyle = fyne.TextStyle{Bold: s.Bold || base.Bold, Italic: s.Italic || base.Italic,
			Monospace: s.Code || base.Monospace}
		segs = append(segs, &widget.TextSegment{Text: s.Text, Style: style})
	}
	rt := widget.NewRichText(segs...)
	rt.Wrapping = fyne.TextWrapWord
	return rt
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
