package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// themedRect is a filled shape in a theme colour that follows theme changes (light/dark), which a
// bare canvas.Rectangle would not.
type themedRect struct {
	widget.BaseWidget
	colorName fyne.ThemeColorName
	alpha     uint8 // 0 keeps the theme colour's own alpha
	round     bool  // a circle or pill rather than a rounded rectangle
	rect      *canvas.Rectangle
}

func newThemedRect(name fyne.ThemeColorName, alpha uint8) *themedRect {
	r := &themedRect{colorName: name, alpha: alpha, rect: canvas.NewRectangle(color.Transparent)}
	r.ExtendBaseWidget(r)
	return r
}

func newThemedDot(name fyne.ThemeColorName) *themedRect {
	r := newThemedRect(name, 0)
	r.round = true
	return r
}

func (r *themedRect) CreateRenderer() fyne.WidgetRenderer {
	return &themedRectRenderer{r: r}
}

type themedRectRenderer struct{ r *themedRect }

func (rr *themedRectRenderer) Destroy()                     {}
func (rr *themedRectRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (rr *themedRectRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{rr.r.rect} }

func (rr *themedRectRenderer) Layout(size fyne.Size) {
	rr.r.rect.Resize(size)
	if rr.r.round {
		rr.r.rect.CornerRadius = min(size.Width, size.Height) / 2
	}
}

func (rr *themedRectRenderer) Refresh() {
	r := rr.r
	th := r.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	c := th.Color(r.colorName, v)
	if r.alpha != 0 {
		c = withAlpha(c, r.alpha)
	}
	r.rect.FillColor = c
	if !r.round {
		r.rect.CornerRadius = th.Size(theme.SizeNameSelectionRadius)
	}
	rr.Layout(r.Size())
	r.rect.Refresh()
}

// dimText is secondary text (counts, dates, captions) in the theme's placeholder colour: quieter
// than the main text but, unlike a low-importance label, easy to read.
func newDimText(text string, size fyne.ThemeSizeName) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{Text: text, Style: widget.RichTextStyle{
		ColorName: theme.ColorNamePlaceHolder, SizeName: size, Inline: true}})
	rt.Truncation = fyne.TextTruncateEllipsis
	return rt
}

func setDimText(rt *widget.RichText, text string) {
	if seg, ok := rt.Segments[0].(*widget.TextSegment); ok && seg.Text != text {
		seg.Text = text
		rt.Refresh()
	}
}
