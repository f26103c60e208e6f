package ui

import (
	"testing"

	"fyne.io/fyne/v2"
)

// Selecting a range whose pages were never loaded reads the ids from the index in one go.
func TestSelectAllAndRangesBeyondLoadedPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 450)
	ml := h.u.list
	if ml.total != 450 {
		t.Fatalf("list has %d rows", ml.total)
	}
	rowID := func(row int) int64 { return ids[len(ids)-1-row] } // newest first

	ml.selectRange(150, 420)
	h.settle()
	if len(ml.selected) != 271 {
		t.Fatalf("range 150..420 selected %d", len(ml.selected))
	}
	for _, row := range []int{150, 199, 200, 333, 420} {
		if !ml.selected[rowID(row)] {
			t.Fatalf("row %d not selected", row)
		}
	}
	if ml.selected[rowID(149)] || ml.selected[rowID(421)] {
		t.Fatal("a row outside the range is selected")
	}

	ml.list.TypedShortcut(&fyne.ShortcutSelectAll{})
	h.settle()
	if len(ml.selected) != 450 || !ml.selected[rowID(0)] || !ml.selected[rowID(449)] {
		t.Fatalf("Ctrl+A selected %d of 450", len(ml.selected))
	}
}
