package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/theme"

	"postbode/localcache"
	"postbode/ui/uikit"
)

// "Copy all mail to another account…" in Account settings copies every folder into the chosen
// account and says what it did; run again, it finds everything there. The choice and the result
// are saved as screenshots (TestCopyAllMailInDutch makes the Dutch ones).
func TestCopyAllMail(t *testing.T) {
	h := newHarness(t, harnessOpts{accounts: []string{"work", "home"}})
	h.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	h.startPump()
	seedInbox(h, 3)
	homeInbox := h.folder("home", "INBOX", localcache.RoleInbox)
	h.u.openAccountSettings("work")
	h.settle()
	win := h.u.accWin.win
	tapButtonIn(t, win.Canvas().Content(), tr("Copy all mail to another account…"))
	h.settle()
	over := win.Canvas().Overlays().Top()
	if over == nil || !containsText(over, "home") {
		t.Fatalf("no choice of the target: %q", texts(over))
	}
	savePNG(t, win.Canvas().Capture(), "copy-all-mail"+langSuffix()+".png")
	tapButtonIn(t, over, tr("Copy"))
	h.settle()
	done := win.Canvas().Overlays().Top()
	want := tr("{{.Copied}} messages copied into {{.Account}}; {{.Skipped}} were there already.",
		map[string]any{"Copied": "3", "Skipped": "0", "Account": "home"})
	if done == nil || !containsText(done, want) {
		t.Fatalf("after copying: %q", texts(done))
	}
	savePNG(t, win.Canvas().Capture(), "copy-all-mail-done"+langSuffix()+".png")
	copies, err := h.cache.Page(context.Background(), []int64{homeInbox.ID}, nil, 10)
	if err != nil || len(copies) != 3 {
		t.Fatalf("home's Inbox holds %d (%v)", len(copies), err)
	}
}

func TestCopyAllMailInDutch(t *testing.T) {
	screenshotInDutch(t, "TestCopyAllMail", "copy-all-mail-nl.png", "copy-all-mail-done-nl.png")
}
