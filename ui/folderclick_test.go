package ui

import (
	"postbode/ui/internal/uitest"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// TestClickingEachFolderOpensIt clicks every folder row with the mouse, as the desktop driver
// delivers a click (to the topmost object under the pointer that handles any kind of tap), and
// checks that the list then shows that folder.
func TestClickingEachFolderOpensIt(t *testing.T) {
	h := newHarness(t, harnessOpts{accounts: []string{"work", "home"}})
	seedInbox(h, 3)
	for _, e := range h.u.folders.entries {
		if e.kind != entryFolder {
			continue
		}
		h.clickFolderRow(e.key())
		if h.u.folders.selected != e.key() || h.u.list.scope.key != e.key() {
			t.Fatalf("clicking %s/%s left %q selected and the list on %q", e.account, e.name,
				h.u.folders.selected, h.u.list.scope.key)
		}
	}
	// The "All inboxes" row opens every inbox.
	h.clickFolderRow("all")
	if h.u.list.scope.key != "all" {
		t.Fatalf("clicking All inboxes left the list on %q", h.u.list.scope.key)
	}
}

// TestTabReachesTheFolderListAndArrowsOpenFolders walks the focus chain with Tab until the folder
// list has the focus, then opens the next folders with the arrow keys, as in Thunderbird.
func TestTabReachesTheFolderListAndArrowsOpenFolders(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	c := h.u.win.Canvas().(test.WindowlessCanvas)
	reached := false
	for range 20 {
		c.FocusNext()
		if c.Focused() == h.u.folders.list {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatalf("Tab never focused the folder list (it stopped at %T)", c.Focused())
	}
	start := h.u.folders.selected
	h.u.folders.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	h.settle()
	if h.u.folders.selected == start || h.u.list.scope.key != h.u.folders.selected {
		t.Fatalf("Down in the folder list: selected %q (was %q), list on %q", h.u.folders.selected, start,
			h.u.list.scope.key)
	}
	h.u.folders.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	h.settle()
	if h.u.folders.selected != start {
		t.Fatalf("Up went to %q, want %q back", h.u.folders.selected, start)
	}
}

// clickFolderRow clicks the middle of the folder pane row whose entry has the key.
func (h *harness) clickFolderRow(key string) {
	h.t.Helper()
	p := h.u.folders
	i := p.indexOf(key)
	if i < 0 {
		h.t.Fatalf("no folder row %q", key)
	}
	p.list.ScrollTo(i)
	var row *folderRow
	walkVisible(h.u.win.Canvas().Content(), func(o fyne.CanvasObject) {
		if r, ok := o.(*folderRow); ok && r.index == i {
			row = r
		}
	})
	if row == nil {
		h.t.Fatalf("folder row %q is not drawn", key)
	}
	d := fyne.CurrentApp().Driver()
	pos := d.AbsolutePositionForObject(row).Add(fyne.NewPos(row.Size().Width/2, row.Size().Height/2))
	clickAt(h.u.win.Canvas(), pos)
	h.settle()
}

// clickAt delivers a left click as Fyne's desktop driver does: to the topmost object at pos that
// takes any kind of tap or focus. Fyne's test.TapCanvas looks only for Tappable objects, so it
// would miss a row that handles right clicks only and swallows left clicks.
func clickAt(c fyne.Canvas, pos fyne.Position) {
	var target fyne.CanvasObject
	var at fyne.Position
	d := fyne.CurrentApp().Driver()
	walkVisible(c.Content(), func(o fyne.CanvasObject) {
		switch o.(type) {
		case fyne.Tappable, fyne.SecondaryTappable, fyne.DoubleTappable, fyne.Focusable, desktop.Mouseable:
		default:
			return
		}
		p := d.AbsolutePositionForObject(o)
		s := o.Size()
		if pos.X >= p.X && pos.Y >= p.Y && pos.X < p.X+s.Width && pos.Y < p.Y+s.Height {
			target, at = o, pos.Subtract(p)
		}
	})
	if f, ok := target.(fyne.Focusable); ok {
		c.Focus(f)
	}
	if tp, ok := target.(fyne.Tappable); ok {
		tp.Tapped(&fyne.PointEvent{Position: at, AbsolutePosition: pos})
	}
}

// walkVisible calls fn for o and every visible object below it, parents before children, so the
// last match of a position test is the topmost object.
func walkVisible(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	for _, c := range childrenOf(o) {
		walkVisible(c, fn)
	}
}

// childrenOf lists the objects directly below o: a container's, or those its widget renderer draws.
func childrenOf(o fyne.CanvasObject) []fyne.CanvasObject { return uitest.ChildrenOf(o) }
