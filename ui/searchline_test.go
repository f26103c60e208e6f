package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"postbode/localcache"
)

// TestLongCoverageLineIsShownWhole: the widest English coverage line of a search wraps under the
// folder title instead of being cut off, and the list starts below it.
func TestLongCoverageLineIsShownWhole(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 2)
	h.selectFolder("work", "Inbox")
	ml := h.u.list
	line := coverageLine(&searchResults{limit: 500, result: localcache.SearchResult{
		Messages: make([]localcache.Message, 500), Searched: 12430, WithoutBody: 310}})
	setDimText(ml.info, line)
	ml.box.Refresh()
	h.u.win.Resize(fyne.NewSize(1200, 760))
	var shown []string
	d := fyne.CurrentApp().Driver()
	infoTop := d.AbsolutePositionForObject(ml.info).Y
	bottom := infoTop
	for _, o := range test.LaidOutObjects(ml.info) {
		if txt, ok := o.(*canvas.Text); ok && txt.Visible() && txt.Text != "" {
			shown = append(shown, txt.Text)
			bottom = max(bottom, d.AbsolutePositionForObject(txt).Y+txt.Size().Height)
		}
	}
	if got := strings.Join(shown, " "); strings.ReplaceAll(got, "  ", " ") != line {
		t.Fatalf("coverage line drawn as %q, want %q", got, line)
	}
	if listTop := d.AbsolutePositionForObject(ml.list).Y; listTop < bottom-1 {
		t.Fatalf("the list (at %v) covers the coverage line (down to %v)", listTop, bottom)
	}
}
