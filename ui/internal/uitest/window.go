package uitest

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// ChildrenOf lists what a container or widget draws.
func ChildrenOf(o fyne.CanvasObject) []fyne.CanvasObject {
	switch v := o.(type) {
	case *fyne.Container:
		return v.Objects
	case fyne.Widget:
		return test.WidgetRenderer(v).Objects()
	}
	return nil
}

// WindowObjects lists what a window shows, dialogs included.
func WindowObjects(w fyne.Window) []fyne.CanvasObject {
	objs := test.LaidOutObjects(w.Canvas().Content())
	for _, o := range w.Canvas().Overlays().List() {
		objs = append(objs, test.LaidOutObjects(o)...)
	}
	return objs
}

// Shown reports whether target and every parent of it is visible (LaidOutObjects also walks
// hidden ones).
func Shown(w fyne.Window, target fyne.CanvasObject) bool {
	var walk func(o fyne.CanvasObject) (found, vis bool)
	walk = func(o fyne.CanvasObject) (bool, bool) {
		if o == target {
			return true, o.Visible()
		}
		for _, ch := range ChildrenOf(o) {
			if f, v := walk(ch); f {
				return true, v && o.Visible()
			}
		}
		return false, false
	}
	roots := []fyne.CanvasObject{w.Canvas().Content()}
	roots = append(roots, w.Canvas().Overlays().List()...)
	for _, r := range roots {
		if f, v := walk(r); f {
			return v
		}
	}
	return false
}

// FindButton is the shown button with this label.
func FindButton(t *testing.T, w fyne.Window, label string) *widget.Button {
	t.Helper()
	for _, o := range WindowObjects(w) {
		if b, ok := o.(*widget.Button); ok && b.Text == label && Shown(w, b) {
			return b
		}
	}
	t.Fatalf("no button %q in %q", label, WindowTexts(w))
	return nil
}

// HasButton reports whether a button with this label is shown.
func HasButton(w fyne.Window, label string) bool {
	for _, o := range WindowObjects(w) {
		if b, ok := o.(*widget.Button); ok && b.Text == label && Shown(w, b) {
			return true
		}
	}
	return false
}

// TapButton taps the shown, enabled button with this label, then settles.
func TapButton(t *testing.T, settle func(), w fyne.Window, label string) {
	t.Helper()
	b := FindButton(t, w, label)
	if b.Disabled() {
		t.Fatalf("button %q is disabled; window shows %q", label, WindowTexts(w))
	}
	test.Tap(b)
	settle()
}

// TapLink taps the shown link with this text, then settles.
func TapLink(t *testing.T, settle func(), w fyne.Window, label string) {
	t.Helper()
	for _, o := range WindowObjects(w) {
		if l, ok := o.(*widget.Hyperlink); ok && l.Text == label && Shown(w, l) {
			// A link reacts only to taps on its text.
			test.TapAt(l, fyne.NewPos(l.MinSize().Width/2, l.Size().Height/2))
			settle()
			return
		}
	}
	t.Fatalf("no link %q", label)
}

// WindowTexts lists the texts a window shows.
func WindowTexts(w fyne.Window) []string {
	var shown []fyne.CanvasObject
	for _, o := range WindowObjects(w) {
		if Shown(w, o) {
			shown = append(shown, o)
		}
	}
	return textsOf(shown)
}

// Texts lists the texts of the labels, buttons, checks and rich texts laid out under o, hidden
// ones included.
func Texts(o fyne.CanvasObject) []string { return textsOf(test.LaidOutObjects(o)) }

func textsOf(objs []fyne.CanvasObject) []string {
	var out []string
	for _, o := range objs {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.Button:
			out = append(out, x.Text)
		case *widget.Check:
			out = append(out, x.Text)
		case *widget.RichText:
			out = append(out, x.String())
		case *canvas.Text:
			out = append(out, x.Text)
		}
	}
	return out
}

// AnyContains reports whether one of texts contains want.
func AnyContains(texts []string, want string) bool {
	for _, s := range texts {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

// WindowShows reports whether some text the window shows contains want.
func WindowShows(w fyne.Window, want string) bool { return AnyContains(WindowTexts(w), want) }

// MustShow fails the test unless the window shows every text of want.
func MustShow(t *testing.T, w fyne.Window, want ...string) {
	t.Helper()
	for _, s := range want {
		if !WindowShows(w, s) {
			t.Fatalf("window does not show %q; it shows %q", s, WindowTexts(w))
		}
	}
}

// LabelWith finds the shown label whose text contains want.
func LabelWith(t *testing.T, w fyne.Window, want string) *widget.Label {
	t.Helper()
	for _, o := range WindowObjects(w) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, want) && Shown(w, l) {
			return l
		}
	}
	t.Fatalf("no label with %q in %q", want, WindowTexts(w))
	return nil
}

// InView reports whether target is drawn whole inside the window: shown, inside the canvas, and
// inside every scroll container around it (not scrolled out of sight).
func InView(w fyne.Window, target fyne.CanvasObject) bool {
	type rect struct{ min, max fyne.Position }
	inside := func(p, end fyne.Position, c rect) bool {
		const slack = 0.5
		return p.X >= c.min.X-slack && p.Y >= c.min.Y-slack && end.X <= c.max.X+slack && end.Y <= c.max.Y+slack
	}
	var walk func(o fyne.CanvasObject, origin fyne.Position, clip rect) (found, ok bool)
	walk = func(o fyne.CanvasObject, origin fyne.Position, clip rect) (bool, bool) {
		pos := origin.Add(o.Position())
		end := pos.Add(o.Size())
		if o == target {
			return true, o.Visible() && o.Size().Height > 0 && inside(pos, end, clip)
		}
		if _, ok := o.(*container.Scroll); ok {
			clip = rect{
				fyne.NewPos(max(clip.min.X, pos.X), max(clip.min.Y, pos.Y)),
				fyne.NewPos(min(clip.max.X, end.X), min(clip.max.Y, end.Y)),
			}
		}
		for _, ch := range ChildrenOf(o) {
			if f, v := walk(ch, pos, clip); f {
				return true, v && o.Visible()
			}
		}
		return false, false
	}
	size := w.Canvas().Size()
	found, ok := walk(w.Canvas().Content(), fyne.Position{}, rect{max: fyne.NewPos(size.Width, size.Height)})
	return found && ok
}
