package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// TestToolbarButtonsWithoutLabelsHaveTooltips: in a narrow window the toolbar drops its labels;
// resting the pointer on such a button names its action, and leaving it hides the name.
func TestToolbarButtonsWithoutLabelsHaveTooltips(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 2)
	var due []func()
	h.u.tips.later = func(d time.Duration, fn func()) func() {
		if d <= 0 {
			t.Fatal("a tooltip without a delay")
		}
		i := len(due)
		due = append(due, fn)
		return func() { due[i] = func() {} }
	}
	h.u.win.Resize(fyne.NewSize(560, 600))
	move := h.u.act.move
	if move.Text != "" {
		t.Fatalf("the Move button keeps its label %q in a narrow window", move.Text)
	}
	move.MouseIn(&desktop.MouseEvent{})
	if h.u.tips.box.Visible() {
		t.Fatal("the tooltip showed before the delay")
	}
	due[len(due)-1]()
	if !h.u.tips.box.Visible() || h.u.tips.text.Text != "Move to…" {
		t.Fatalf("tooltip %q shown %v", h.u.tips.text.Text, h.u.tips.box.Visible())
	}
	// It sits below the button, inside the window.
	d := fyne.CurrentApp().Driver()
	bp := d.AbsolutePositionForObject(move)
	if tp := h.u.tips.bg.Position(); tp.Y < bp.Y+move.Size().Height ||
		tp.X+h.u.tips.bg.Size().Width > h.u.win.Canvas().Size().Width {
		t.Fatalf("tooltip at %v size %v, button at %v", tp, h.u.tips.bg.Size(), bp)
	}
	move.MouseOut()
	if h.u.tips.box.Visible() {
		t.Fatal("the tooltip stayed after the pointer left")
	}
	// A button that shows its label needs no tooltip.
	h.u.win.Resize(fyne.NewSize(1400, 800))
	n := len(due)
	h.u.act.getMail.MouseIn(&desktop.MouseEvent{})
	if h.u.act.getMail.Text == "" || len(due) != n {
		t.Fatal("a labelled button scheduled a tooltip")
	}
}
