package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tipDelay is how long the pointer rests on a button before its tooltip shows.
const tipDelay = 600 * time.Millisecond

// tipLayer draws the tooltips of one window above its content. It is plain canvas objects, which
// take no pointer events, so the button under a tooltip keeps its hover (a pop-up would take it
// and hide the tooltip at once).
type tipLayer struct {
	box   *fyne.Container
	bg    *canvas.Rectangle
	text  *canvas.Text
	owner fyne.CanvasObject
	// later runs fn on the UI goroutine after d unless cancelled (tests run it from their queue).
	later func(d time.Duration, fn func()) (cancel func())
}

func newTipLayer() *tipLayer {
	l := &tipLayer{bg: canvas.NewRectangle(nil), text: canvas.NewText("", nil), later: uiAfter}
	l.box = container.NewWithoutLayout(l.bg, l.text)
	l.box.Hide()
	return l
}

// over puts the layer on top of a window's content.
func (l *tipLayer) over(content fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(content, l.box)
}

func (l *tipLayer) show(b *tipButton) { l.showFor(b, b.tip, b.Theme()) }

// showFor shows tip under obj, drawn with th.
func (l *tipLayer) showFor(b fyne.CanvasObject, tip string, th fyne.Theme) {
	d := fyne.CurrentApp().Driver()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	l.owner = b
	l.text.Text = tip
	l.text.TextSize = th.Size(theme.SizeNameCaptionText)
	l.text.Color = th.Color(theme.ColorNameForeground, v)
	l.bg.FillColor = th.Color(theme.ColorNameOverlayBackground, v)
	l.bg.StrokeColor = th.Color(theme.ColorNameSeparator, v)
	l.bg.StrokeWidth = 1
	l.bg.CornerRadius = th.Size(theme.SizeNameSelectionRadius)
	pad := th.Size(theme.SizeNameInnerPadding) / 2
	ts := fyne.MeasureText(l.text.Text, l.text.TextSize, l.text.TextStyle)
	size := fyne.NewSize(ts.Width+pad*2, ts.Height+pad)
	// Below the button, kept inside the window.
	pos := d.AbsolutePositionForObject(b).Subtract(d.AbsolutePositionForObject(l.box)).
		Add(fyne.NewPos(0, b.Size().Height+2))
	if limit := l.box.Size().Width - size.Width - 2; pos.X > limit {
		pos.X = max(0, limit)
	}
	if pos.Y+size.Height > l.box.Size().Height { // no room below: above it
		pos.Y = max(0, pos.Y-b.Size().Height-size.Height-4)
	}
	l.bg.Move(pos)
	l.bg.Resize(size)
	l.text.Move(pos.Add(fyne.NewPos(pad, pad/2)))
	l.text.Resize(ts)
	l.box.Show()
	l.box.Refresh()
}

func (l *tipLayer) hide(b fyne.CanvasObject) {
	if l.owner == b {
		l.owner = nil
		l.box.Hide()
	}
}

// uiAfter runs fn on the Fyne goroutine after d, unless cancelled first.
func uiAfter(d time.Duration, fn func()) func() {
	t := time.AfterFunc(d, func() { fyne.Do(fn) })
	return func() { t.Stop() }
}

// tipButton is a button that names its action in a tooltip while the pointer rests on it, when it
// shows no label of its own (the toolbar drops labels in a narrow window; some buttons are icons).
type tipButton struct {
	widget.Button
	tip     string
	layer   *tipLayer
	pending func() // cancels the tooltip that is waiting to show
}

func newTipButton(layer *tipLayer, label, tip string, icon fyne.Resource, fn func()) *tipButton {
	b := &tipButton{tip: tip, layer: layer}
	b.Text, b.Icon, b.OnTapped = label, icon, fn
	b.ExtendBaseWidget(b)
	return b
}

func (b *tipButton) MouseIn(ev *desktop.MouseEvent) {
	b.Button.MouseIn(ev)
	b.stopTimer()
	if b.layer == nil || b.tip == "" || b.Text == b.tip {
		return
	}
	cancel := b.layer.later(tipDelay, func() {
		if b.pending != nil && b.Visible() {
			b.layer.show(b)
		}
	})
	b.pending = cancel
}

func (b *tipButton) MouseOut() {
	b.Button.MouseOut()
	b.dismissTip()
}

func (b *tipButton) Tapped(ev *fyne.PointEvent) {
	b.dismissTip()
	b.Button.Tapped(ev)
}

func (b *tipButton) dismissTip() {
	b.stopTimer()
	if b.layer != nil {
		b.layer.hide(b)
	}
}

func (b *tipButton) stopTimer() {
	if b.pending != nil {
		b.pending()
		b.pending = nil
	}
}
