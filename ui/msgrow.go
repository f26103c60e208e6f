package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// msgRow is one message in the list, drawn as two lines like Geary's and Thunderbird's card view:
// sender and date, then subject and a preview; unread in bold with a dot, flag and attachment marks.
// It handles its own clicks so that Ctrl and Shift can be read from the mouse-down event.
type msgRow struct {
	widget.BaseWidget
	ml   *messageList
	row  int
	mods fyne.KeyModifier

	msg      localcache.Message
	thread   rowThread
	loading  bool
	selected bool
	cursor   bool
	date     string

	bg      *canvas.Rectangle
	focus   *canvas.Rectangle
	dot     *canvas.Circle
	sender  *canvas.Text
	when    *canvas.Text
	subject *canvas.Text
	preview *canvas.Text
	clip    *widget.Icon
	star    *widget.Icon
	// A conversation's row: an arrow to expand it and its count; toggleW and badgeAt are where
	// a click on them lands (Layout sets them).
	arrow   *widget.Icon
	badgeBg *canvas.Rectangle
	badge   *canvas.Text
	toggleW float32
	badgeAt [2]fyne.Position
}

var (
	_ fyne.Tappable          = (*msgRow)(nil)
	_ fyne.SecondaryTappable = (*msgRow)(nil)
	_ desktop.Mouseable      = (*msgRow)(nil)
)

func newMsgRow(ml *messageList) *msgRow {
	r := &msgRow{
		ml:      ml,
		bg:      canvas.NewRectangle(color.Transparent),
		focus:   canvas.NewRectangle(color.Transparent),
		dot:     canvas.NewCircle(color.Transparent),
		sender:  canvas.NewText("", color.Black),
		when:    canvas.NewText("", color.Black),
		subject: canvas.NewText("", color.Black),
		preview: canvas.NewText("", color.Black),
		clip:    widget.NewIcon(theme.MailAttachmentIcon()),
		star:    widget.NewIcon(iconStar),
		arrow:   widget.NewIcon(theme.MenuExpandIcon()),
		badgeBg: canvas.NewRectangle(color.Transparent),
		badge:   canvas.NewText("", color.Black),
	}
	r.arrow.Hide()
	r.badgeBg.Hide()
	r.badge.Hide()
	r.when.Alignment = fyne.TextAlignTrailing
	r.clip.Hide()
	r.star.Hide()
	r.ExtendBaseWidget(r)
	return r
}

func (r *msgRow) set(m localcache.Message, t rowThread, selected, cursor bool, now time.Time) {
	r.msg, r.thread, r.loading, r.selected, r.cursor = m, t, false, selected, cursor
	r.date = listDate(m.Date, now)
	if t.folder != "" {
		r.date = t.folder + " · " + r.date
	}
	r.Refresh()
}

func (r *msgRow) setLoading() {
	r.msg, r.thread, r.loading, r.selected, r.cursor = localcache.Message{}, rowThread{}, true, false, false
	r.Refresh()
}

func (r *msgRow) MouseDown(ev *desktop.MouseEvent) { r.mods = ev.Modifier }
func (r *msgRow) MouseUp(*desktop.MouseEvent)      {}

// doubleClickTime is how soon a second click counts as a double-click (Fyne's own is 300 ms).
const doubleClickTime = 400 * time.Millisecond

// Tapped selects the row; a second plain click on it soon after opens it, as a double-click does.
// (A DoubleTapped method would make Fyne hold every single click back for the double-click time.)
func (r *msgRow) Tapped(ev *fyne.PointEvent) {
	mods := r.mods
	r.mods = 0
	if r.onToggle(ev.Position) {
		r.ml.toggleThread(r.row)
		return
	}
	r.ml.click(r.row, mods)
	now := time.Now()
	if mods == 0 && r.ml.lastTapRow == r.row && now.Sub(r.ml.lastTap) < doubleClickTime {
		r.ml.lastTap = time.Time{}
		r.ml.hooks.openWindow()
		return
	}
	r.ml.lastTap, r.ml.lastTapRow = now, r.row
}

// onToggle reports whether a click at pos is on a conversation's arrow or count.
func (r *msgRow) onToggle(pos fyne.Position) bool {
	if r.thread.count < 2 {
		return false
	}
	a, b := r.badgeAt[0], r.badgeAt[1]
	return pos.X < r.toggleW || (pos.X >= a.X && pos.X <= b.X && pos.Y >= a.Y && pos.Y <= b.Y)
}

// TappedSecondary opens the context menu, selecting the row first unless it is part of the selection.
func (r *msgRow) TappedSecondary(ev *fyne.PointEvent) {
	if r.loading {
		return
	}
	if !r.ml.selected[r.msg.ID] {
		r.ml.click(r.row, 0)
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(r.ml.hooks.menu(), c, ev.AbsolutePosition)
}

func (r *msgRow) CreateRenderer() fyne.WidgetRenderer { return &msgRowRenderer{r: r} }

type msgRowRenderer struct{ r *msgRow }

func (rr *msgRowRenderer) Destroy() {}

func (rr *msgRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	return []fyne.CanvasObject{r.bg, r.focus, r.dot, r.sender, r.when, r.subject, r.preview, r.clip, r.star,
		r.arrow, r.badgeBg, r.badge}
}

func (rr *msgRowRenderer) metrics() (textSize, lineH, inner, gap float32) {
	th := rr.r.Theme()
	textSize = th.Size(theme.SizeNameText)
	lineH = fyne.MeasureText("Ag", textSize, fyne.TextStyle{Bold: true}).Height
	inner = th.Size(theme.SizeNameInnerPadding)
	gap = th.Size(theme.SizeNamePadding) / 2
	return
}

func (rr *msgRowRenderer) MinSize() fyne.Size {
	_, lineH, inner, gap := rr.metrics()
	return fyne.NewSize(160, inner*1.5+2*lineH+gap)
}

func (rr *msgRowRenderer) Layout(size fyne.Size) {
	r := rr.r
	textSize, lineH, inner, gap := rr.metrics()
	r.bg.Resize(size)
	r.focus.Resize(fyne.NewSize(3, size.Height-inner))
	r.focus.Move(fyne.NewPos(1, inner/2))

	// A message shown under its conversation is indented.
	gutter, indent := inner*2.2, float32(0)
	if r.thread.member {
		indent = inner * 1.5
	}
	dotSize := textSize * 0.55
	top := inner * 0.75
	r.dot.Resize(fyne.NewSquareSize(dotSize))
	r.dot.Move(fyne.NewPos(indent+(gutter-dotSize)/2, top+(lineH-dotSize)/2))
	r.toggleW = gutter
	gutter += indent

	// Keep clear of the list's overlay scroll bar on the right.
	right := size.Width - inner - rr.r.Theme().Size(theme.SizeNameScrollBarSmall)*2
	// Line 1: sender ... date.
	dw := fyne.MeasureText(r.date, r.when.TextSize, r.when.TextStyle).Width
	r.when.Text = r.date
	r.when.Resize(fyne.NewSize(dw, lineH))
	r.when.Move(fyne.NewPos(right-dw, top))
	senderW := right - dw - inner - gutter
	if r.badge.Visible() {
		bs := fyne.MeasureText(r.badge.Text, r.badge.TextSize, r.badge.TextStyle)
		bw, bh := bs.Width+inner, bs.Height
		bx, by := right-dw-gap*2-bw, top+(lineH-bh)/2
		r.badgeBg.Resize(fyne.NewSize(bw, bh))
		r.badgeBg.Move(fyne.NewPos(bx, by))
		r.badge.Resize(bs)
		r.badge.Move(fyne.NewPos(bx+inner/2, by))
		r.badgeAt = [2]fyne.Position{fyne.NewPos(bx-gap, 0), fyne.NewPos(bx+bw+gap, top+lineH+gap)}
		senderW -= bw + gap*2
	}
	r.sender.Text = ellipsize(senderName(r.msg, r.loading), senderW, textSize, r.sender.TextStyle)
	r.sender.Resize(fyne.NewSize(senderW, lineH))
	r.sender.Move(fyne.NewPos(gutter, top))

	// Line 2: subject — preview ... attachment, star.
	y2 := top + lineH + gap
	iconSize := lineH * 0.8
	r.arrow.Resize(fyne.NewSquareSize(iconSize))
	r.arrow.Move(fyne.NewPos((r.toggleW-iconSize)/2, y2+(lineH-iconSize)/2))
	marks := right
	for _, ic := range []*widget.Icon{r.star, r.clip} {
		ic.Resize(fyne.NewSquareSize(iconSize))
		if ic.Visible() {
			ic.Move(fyne.NewPos(marks-iconSize, y2+(lineH-iconSize)/2))
			marks -= iconSize + gap*2
		}
	}
	avail := marks - gutter - gap
	subj := ellipsize(subjectText(r.msg, r.loading), avail, textSize, r.subject.TextStyle)
	r.subject.Text = subj
	sw := fyne.MeasureText(subj, textSize, r.subject.TextStyle).Width
	r.subject.Resize(fyne.NewSize(sw, lineH))
	r.subject.Move(fyne.NewPos(gutter, y2))
	r.preview.Text = ""
	if rest := avail - sw - inner; rest > textSize*3 && r.msg.Snippet != "" {
		r.preview.Text = ellipsize("  "+oneLine(r.msg.Snippet), rest, textSize, r.preview.TextStyle)
	}
	r.preview.Resize(fyne.NewSize(max(0, avail-sw), lineH))
	r.preview.Move(fyne.NewPos(gutter+sw, y2))
}

func senderName(m localcache.Message, loading bool) string {
	if loading {
		return "…"
	}
	if m.FromName != "" {
		return oneLine(m.FromName)
	}
	if m.FromAddr != "" {
		return m.FromAddr
	}
	return tr("(unknown sender)")
}

func subjectText(m localcache.Message, loading bool) string {
	if loading {
		return ""
	}
	if s := oneLine(m.Subject); s != "" {
		return s
	}
	return tr("(no subject)")
}

func (rr *msgRowRenderer) Refresh() {
	r := rr.r
	th := r.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	dim := th.Color(theme.ColorNamePlaceHolder, v)
	textSize := th.Size(theme.SizeNameText)

	unread := !r.loading && !r.msg.Flags.Has(localcache.FlagSeen)
	for _, t := range []*canvas.Text{r.sender, r.subject} {
		t.TextSize = textSize
		t.TextStyle.Bold = unread
		t.Color = fg
	}
	if r.loading || r.msg.Flags.Has(localcache.FlagDeleted) {
		r.sender.Color, r.subject.Color = dim, dim
	}
	r.preview.TextSize = textSize
	r.preview.Color = dim
	r.when.TextSize = th.Size(theme.SizeNameCaptionText) + 1
	r.when.TextStyle.Bold = unread
	r.when.Color = dim
	if unread {
		r.when.Color = th.Color(theme.ColorNamePrimary, v)
		r.dot.FillColor = th.Color(theme.ColorNamePrimary, v)
	} else {
		r.dot.FillColor = color.Transparent
	}
	r.bg.CornerRadius = th.Size(theme.SizeNameSelectionRadius)
	if r.selected {
		r.bg.FillColor = th.Color(theme.ColorNameSelection, v)
	} else {
		r.bg.FillColor = color.Transparent
	}
	if r.cursor {
		r.focus.FillColor = th.Color(theme.ColorNamePrimary, v)
	} else {
		r.focus.FillColor = color.Transparent
	}
	if r.msg.Flags.Has(localcache.FlagFlagged) && !r.loading {
		r.star.Show()
	} else {
		r.star.Hide()
	}
	if r.msg.HasAttachment && !r.loading {
		r.clip.Show()
	} else {
		r.clip.Hide()
	}
	rr.refreshThread(th, v)
	rr.Layout(r.Size())
	for _, o := range rr.Objects() {
		if _, ok := o.(*widget.Icon); !ok {
			o.Refresh()
		}
	}
}

// refreshThread shows a conversation's arrow (pointing down when expanded) and its count.
func (rr *msgRowRenderer) refreshThread(th fyne.Theme, v fyne.ThemeVariant) {
	r := rr.r
	if r.thread.count < 2 {
		r.arrow.Hide()
		r.badge.Hide()
		r.badgeBg.Hide()
		return
	}
	icon := theme.MenuExpandIcon()
	if r.thread.open {
		icon = theme.MenuDropDownIcon()
	}
	if r.arrow.Resource != icon {
		r.arrow.SetResource(icon)
	}
	r.arrow.Show()
	r.badge.Text = formatCount(r.thread.count)
	r.badge.TextSize = th.Size(theme.SizeNameCaptionText)
	r.badge.TextStyle.Bold = true
	r.badge.Color = th.Color(theme.ColorNameForeground, v)
	r.badgeBg.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.badgeBg.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	r.badgeBg.StrokeWidth = 1
	r.badgeBg.CornerRadius = th.Size(theme.SizeNameSelectionRadius) * 2
	r.badge.Show()
	r.badgeBg.Show()
}
