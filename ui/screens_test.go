package ui

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"postbode/localcache"
	"postbode/types"
	"postbode/ui/internal/uitest"
)

// TestStatusErrorScreenshot renders the status line with a connection error told in words, and the
// Details dialog with the whole text.
func TestStatusErrorScreenshot(t *testing.T) {
	h := demoHarness(t, theme.VariantLight)
	h.u.apply(Batch{Events: []types.Event{
		types.ConnState{Account: "personal", State: types.StateError, Err: refusedErr()},
	}})
	h.click(0, 0)
	savePNG(t, h.u.win.Canvas().Capture(), "status-error.png")
	tapButtonIn(t, h.u.status.view(), "Details")
	savePNG(t, h.u.win.Canvas().Capture(), "status-error-details.png")
}

// TestPreferencesScreenshot renders the Preferences window in the language of the process
// (English here; TestPreferencesScreenshotInDutch runs it again in Dutch).
func TestPreferencesScreenshot(t *testing.T) {
	h := demoHarness(t, theme.VariantLight)
	p := h.openPreferences()
	savePNG(t, p.win.Canvas().Capture(), "preferences"+langSuffix()+".png")
}

func langSuffix() string { return uitest.LangSuffix() }

func inDutch(t *testing.T, run string) {
	t.Helper()
	uitest.InDutch(t, run)
}

// screenshotInDutch runs the test named run in Dutch and checks that it wrote the screenshots names.
func screenshotInDutch(t *testing.T, run string, names ...string) {
	t.Helper()
	for _, name := range names {
		os.Remove(filepath.Join(screenshotDir(t), name))
	}
	inDutch(t, run)
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(screenshotDir(t), name)); err != nil {
			t.Fatalf("no Dutch screenshot: %v", err)
		}
	}
}

func TestPreferencesScreenshotInDutch(t *testing.T) {
	screenshotInDutch(t, "TestPreferencesScreenshot", "preferences-nl.png")
}

// TestReadingScreenshots renders the message list sorted by sender with the Sort by menu open,
// and a search with operators, in the language of the process (TestReadingScreenshotsInDutch runs
// it again in Dutch).
func TestReadingScreenshots(t *testing.T) {
	h := demoHarness(t, theme.VariantLight)
	h.u.list.setSort(localcache.DefaultSort(localcache.SortSender))
	h.settle()
	test.Tap(h.u.list.sortBtn)
	savePNG(t, h.u.win.Canvas().Capture(), "sort-menu"+langSuffix()+".png")
	closeOverlays(h)
	h.search(`has:attachment after:2025-06-01`)
	h.click(0, 0)
	savePNG(t, h.u.win.Canvas().Capture(), "search-operators"+langSuffix()+".png")
	h.search(`from:anna before:2025-6-1`)
	savePNG(t, h.u.win.Canvas().Capture(), "search-bad-date"+langSuffix()+".png")
}

func TestReadingScreenshotsInDutch(t *testing.T) {
	screenshotInDutch(t, "TestReadingScreenshots", "sort-menu-nl.png", "search-operators-nl.png")
}
