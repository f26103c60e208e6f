package uikit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ThemedRect is a filled shape in a theme colour that follows theme changes (light/dark), which a
// bare canvas.Rectangle would not.
type ThemedRect struct {
	widget.BaseWidget
	colorName fyne.ThemeColorName
	alpha     uint8 // 0 keeps the theme colour's own alpha
	round     bool  // a circle or pill rather than a rounded rectangle
	rect      *canvas.Rectangle
}

// NewThemedRect is a rounded rectangle in a theme colour; alpha 0 keeps the colour's own.
func NewThemedRect(name fyne.ThemeColorName, alpha uint8) *ThemedRect {
	r := &ThemedRect{colorName: name, alpha: alpha, rect: canvas.NewRectangle(color.Transparent)}
	r.ExtendBaseWidget(r)
	return r
}

// NewThemedDot is a circle (or pill) in a theme colour.
func NewThemedDot(name fyne.ThemeColorName) *ThemedRect {
	r := NewThemedRect(name, 0)
	r.round = true
	return r
}

func (r *ThemedRect) CreateRenderer() fyne.WidgetRenderer {
	return &rectRenderer{r: r}
}

type rectRenderer struct{ r *ThemedRect }

func (rr *rectRenderer) Destroy()                     {}
func (rr *rectRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (rr *rectRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{rr.r.rect} }

func (rr *rectRenderer) Layout(size fyne.Size) {
	rr.r.rect.Resize(size)
	if rr.r.round {
		rr.r.rect.CornerRadius = min(size.Width, size.Height) / 2
	}
}

func (rr *rectRenderer) Refresh() {
	r := rr.r
	th := r.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	c := th.Color(r.colorName, v)
	if r.alpha != 0 {
		c = WithAlpha(c, r.alpha)
	}
	r.rect.FillColor = c
	if !r.round {
		r.rect.CornerRadius = th.Size(theme.SizeNameSelectionRadius)
	}
	rr.Layout(r.Size())
	r.rect.Refresh()
}

// NewDimText is secondary text (counts, dates, captions) in the theme's placeholder colour: quieter
// than the main text but, unlike a low-importance label, easy to read.
func NewDimText(text string, size fyne.ThemeSizeName) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{Text: text, Style: widget.RichTextStyle{
		ColorName: theme.ColorNamePlaceHolder, SizeName: size, Inline: true}})
	rt.Truncation = fyne.TextTruncateEllipsis
	return rt
}

// SetDimText changes the text of a NewDimText.
func SetDimText(rt *widget.RichText, text string) {
	if seg, ok := rt.Segments[0].(*widget.TextSegment); ok && seg.Text != text {
		seg.Text = text
		rt.Refresh()
	}
}

// WithAlpha is c with its alpha replaced.
func WithAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}
