package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// Dragging messages from the list onto a folder row moves them there (the selection when the
// dragged row is in it); let go anywhere else, nothing happens.
func TestDragMessagesOntoAFolder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	inbox, ids := seedInbox(h, 4)
	projects := h.folder("work", "Projects", "")
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.u.win.Resize(fyne.NewSize(1200, 760))
	rowAt := func(i int) *msgRow {
		t.Helper()
		for _, o := range test.LaidOutObjects(h.u.list.view()) {
			if r, ok := o.(*msgRow); ok && r.Visible() && r.row == i && !r.loading {
				return r
			}
		}
		t.Fatalf("no row %d shown", i)
		return nil
	}
	// Where a folder's row is drawn: the list's rows, as high as their template, a padding apart.
	folderPos := func(name string) fyne.Position {
		t.Helper()
		p := h.u.folders
		for i, e := range p.entries {
			if e.name == name {
				rowH := newFolderRow().MinSize().Height
				y := float32(i)*(rowH+theme.Padding()) + rowH/2
				return h.app.Driver().AbsolutePositionForObject(p.list).Add(fyne.NewPos(20, y))
			}
		}
		t.Fatalf("no folder row %q", name)
		return fyne.Position{}
	}
	drag := func(r *msgRow, to fyne.Position) {
		r.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: to.Subtract(fyne.NewPos(0, 30))}})
		r.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: to}})
	}

	// Nowhere: the reader pane.
	r := rowAt(0)
	drag(r, fyne.NewPos(1000, 400))
	r.DragEnd()
	h.settle()
	if h.message(ids[3]).FolderID != inbox.ID {
		t.Fatal("a drop outside the folder pane moved the message")
	}

	// Two selected messages onto Projects.
	h.click(0, 0)
	h.click(1, fyne.KeyModifierControl)
	r = rowAt(1)
	drag(r, folderPos("Projects"))
	if got := h.u.list.drag.label.Text; got != "Move 2 to Projects" {
		t.Fatalf("while dragging: %q", got)
	}
	savePNG(t, h.u.win.Canvas().Capture(), "drag-to-folder"+langSuffix()+".png")
	r.DragEnd()
	h.settle()
	for _, id := range ids[2:] {
		if h.message(id).FolderID != projects.ID {
			t.Fatalf("message %d not moved to Projects", id)
		}
	}
	if h.message(ids[1]).FolderID != inbox.ID || h.u.list.drag != nil {
		t.Fatal("a message not dragged moved, or the drag was kept")
	}
}
