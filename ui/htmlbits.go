package ui

import (
	"image/color"
	"math"
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/mailfmt"
)

// htmlColorPrefix names a theme colour that is a message's own "#rrggbb" (see htmlTheme).
const htmlColorPrefix = "postbode-html-"

// htmlTheme is the app's theme plus the colours a message uses, named by htmlColorPrefix, so
// RichText segments (which take theme colour names) can show them.
type htmlTheme struct{}

func (htmlTheme) current() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

func (t htmlTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if hex, ok := strings.CutPrefix(string(n), htmlColorPrefix); ok {
		if c := parseHex(hex); c != nil {
			return c
		}
	}
	return t.current().Color(n, v)
}

func (t htmlTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.current().Font(s) }
func (t htmlTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.current().Icon(n) }
func (t htmlTheme) Size(n fyne.ThemeSizeName) float32       { return t.current().Size(n) }

// parseHex reads "#rrggbb" as mailfmt writes colours; nil for "" or anything else.
func parseHex(hex string) color.Color {
	if len(hex) != 7 || hex[0] != '#' {
		return nil
	}
	n, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return nil
	}
	return color.NRGBA{R: uint8(n >> 16), G: uint8(n >> 8), B: uint8(n), A: 0xff}
}

// luminance is the WCAG relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG contrast ratio of two colours, from 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Text whose colour contrasts less than this with its background is shown in the theme's
// colour instead (WCAG's minimum for large text): a message's grey on white stays, its dark
// blue in a dark theme does not.
const minTextContrast = 3

// textColor is the colour to draw a span in: its own when readable on bg, else the theme's text
// colour, or black or white on a background of the message's own that the theme's colour does
// not suit. bg nil is the theme's background.
func textColor(hex string, bg color.Color) fyne.ThemeColorName {
	own, th, v, _ := ownColor(hex, bg)
	if own != "" {
		return own
	}
	if bg == nil || contrast(th.Color(theme.ColorNameForeground, v), bg) >= 4.5 {
		return theme.ColorNameForeground
	}
	if contrast(color.Black, bg) >= contrast(color.White, bg) {
		return htmlColorPrefix + "#000000"
	}
	return htmlColorPrefix + "#ffffff"
}

// ownColor is the message's colour hex when it reads well on bg (nil: the theme's background,
// which under is then), with the theme and variant the choice was made in; "" when it does not.
func ownColor(hex string, bg color.Color) (own fyne.ThemeColorName, th fyne.Theme, v fyne.ThemeVariant, under color.Color) {
	app := fyne.CurrentApp()
	th, v = app.Settings().Theme(), app.Settings().ThemeVariant()
	under = bg
	if under == nil {
		under = th.Color(theme.ColorNameBackground, v)
	}
	if c := parseHex(hex); c != nil && contrast(c, under) >= minTextContrast {
		own = fyne.ThemeColorName(htmlColorPrefix + hex)
	}
	return own, th, v, under
}

// hyperlinkColor is the colour to draw a link in on bg: its own when readable, else the
// theme's link colour when that is readable, else black or white.
func hyperlinkColor(hex string, bg color.Color) fyne.ThemeColorName {
	own, th, v, under := ownColor(hex, bg)
	if own != "" {
		return own
	}
	if contrast(th.Color(theme.ColorNameHyperlink, v), under) >= minTextContrast {
		return theme.ColorNameHyperlink
	}
	return textColor("", bg)
}

// linkTheme draws the links of one paragraph in the colour the message gave them.
type linkTheme struct {
	htmlTheme
	link fyne.ThemeColorName
}

func (t linkTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameHyperlink {
		n = t.link
	}
	return t.htmlTheme.Color(n, v)
}

// follow opens a link the user clicked, first asking when its text names another site than
// the one it leads to.
func (v *bodyView) follow(text string, u *url.URL) {
	if !mailfmt.LinkTextMisleads(text, u.String()) {
		v.openLink(u)
		return
	}
	d := dialog.NewConfirm(tr("Open link?"),
		tr("The link text shows {{.Shown}}, but the link leads to {{.Target}}. Open it anyway?",
			map[string]any{"Shown": strings.TrimSpace(text), "Target": u.String()}),
		func(ok bool) {
			if ok {
				v.openLink(u)
			}
		}, v.window())
	d.SetConfirmText(tr("Open"))
	d.Show()
}

// linkSegment is a hyperlink that shows its target in a tooltip while the pointer rests on it:
// Fyne's hyperlink visual with a hover area over it (taps go through to the hyperlink).
type linkSegment struct {
	widget.HyperlinkSegment
	v *bodyView
}

func (v *bodyView) newLink(text string, u *url.URL) *linkSegment {
	s := &linkSegment{v: v}
	s.Text, s.URL = text, u
	s.OnTapped = func() { v.follow(text, u) }
	return s
}

func (s *linkSegment) Visual() fyne.CanvasObject {
	c := s.HyperlinkSegment.Visual().(*fyne.Container)
	c.Objects = append(c.Objects, newLinkHover(s.v.tips, s.URL))
	c.Layout = &overlayLayout{inner: c.Layout}
	return c
}

func (s *linkSegment) Update(o fyne.CanvasObject) {
	s.HyperlinkSegment.Update(o)
	if c, ok := o.(*fyne.Container); ok && len(c.Objects) > 1 {
		if h, ok := c.Objects[1].(*linkHover); ok {
			h.tip = linkTip(s.URL)
		}
	}
}

// overlayLayout lays out the hyperlink as Fyne does and puts the hover area on it.
type overlayLayout struct{ inner fyne.Layout }

func (o *overlayLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	o.inner.Layout(objs, size)
	objs[1].Move(objs[0].Position())
	objs[1].Resize(objs[0].Size())
}

func (o *overlayLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return o.inner.MinSize(objs) }

// linkTip is a link target as a tooltip shows it: whole unless very long.
func linkTip(u *url.URL) string {
	s := u.String()
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}

// linkHover shows a link's target in a tooltip. It takes hover, not taps.
type linkHover struct {
	widget.BaseWidget
	self    fyne.CanvasObject // the widget on screen (a linkPicture embeds its linkHover)
	tips    *tipLayer
	tip     string
	pending func()
	inside  bool // the pointer is on the link
}

func newLinkHover(tips *tipLayer, u *url.URL) *linkHover {
	h := &linkHover{tips: tips, tip: linkTip(u)}
	h.self = h
	h.ExtendBaseWidget(h)
	return h
}

func (h *linkHover) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

func (h *linkHover) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (h *linkHover) MouseIn(*desktop.MouseEvent) {
	h.stop()
	h.inside = true
	if h.tips == nil {
		return
	}
	h.pending = h.tips.later(tipDelay, func() {
		if h.inside && h.Visible() {
			h.tips.showFor(h.self, h.tip, fyne.CurrentApp().Settings().Theme())
		}
	})
}

func (h *linkHover) MouseMoved(*desktop.MouseEvent) {}

func (h *linkHover) MouseOut() {
	h.stop()
	h.inside = false
	if h.tips != nil {
		h.tips.hide(h.self)
	}
}

func (h *linkHover) stop() {
	if h.pending != nil {
		h.pending()
		h.pending = nil
	}
}

// linkPicture is a picture inside a link: it opens the link on a tap and shows its target on
// hover.
type linkPicture struct {
	linkHover
	img   fyne.CanvasObject
	onTap func()
}

func newLinkPicture(v *bodyView, img fyne.CanvasObject, alt string, u *url.URL) *linkPicture {
	p := &linkPicture{img: img, onTap: func() { v.follow(alt, u) }}
	p.tips, p.tip, p.self = v.tips, linkTip(u), p
	p.ExtendBaseWidget(p)
	return p
}

func (p *linkPicture) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.img) }

func (p *linkPicture) Tapped(*fyne.PointEvent) {
	p.MouseOut()
	p.onTap()
}
