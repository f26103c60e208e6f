package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"postbode/localcache"
)

// search types text into the search field and submits it.
func (h *harness) search(text string) {
	h.t.Helper()
	h.u.search.entry.SetText("")
	test.Type(h.u.search.entry, text)
	h.u.search.entry.OnSubmitted(h.u.search.entry.Text)
	h.settle()
}

func TestSearchBoxTakesOperators(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 6)
	h.selectFolder("work", "Inbox")
	ctx := context.Background()
	if err := h.cache.SetFlags(ctx, []int64{ids[1], ids[4]}, localcache.FlagFlagged, 0, false); err != nil {
		t.Fatal(err)
	}
	h.search(`is:flagged from:"Sender 4"`)
	ml := h.u.list
	if ml.total != 1 || ml.scope.search.result.Messages[0].ID != ids[4] {
		t.Fatalf("is:flagged from:\"Sender 4\" shows %d rows: %+v", ml.total, ml.scope.search.result.Messages)
	}
	if want := "1 found · Searched 6 messages"; !containsText(ml.info, want) {
		t.Fatalf("coverage line %q, want %q", ml.info.String(), want)
	}
	h.search("is:flagged body1")
	if ml.total != 1 || ml.scope.search.result.Messages[0].ID != ids[1] {
		t.Fatalf("is:flagged body1 shows %d rows", ml.total)
	}
	// A date still being typed says what is wrong in the coverage line, in no dialog.
	h.search("before:2025-06")
	if want := "before:2025-06 is not a date: write it as YYYY-MM-DD"; ml.info.String() != want || ml.total != 0 {
		t.Fatalf("bad date: info %q with %d rows, want %q", ml.info.String(), ml.total, want)
	}
	if len(h.u.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("a bad date opened a dialog")
	}
}
