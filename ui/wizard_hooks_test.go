package ui

import (
	"strings"
	"testing"

	"postbode/localcache"
)

// TestWizardReportsToTheMainWindow: what the wizard tells the main window through its Deps shows
// there: a new account in the folder pane (with a banner when its password lasts for this session
// only), a notice as a banner, and the move of a POP3 account's mail in its window.
func TestWizardReportsToTheMainWindow(t *testing.T) {
	h := newHarness(t, harnessOpts{accounts: []string{"work"}})
	d := h.u.wizardDeps()
	h.folder("fresh@example.org", "INBOX", localcache.RoleInbox)
	d.OnAdded("fresh@example.org", true)
	d.Notice("fresh@example.org", "Sending is not set up")
	h.settle()
	banners := strings.Join(h.u.banners.texts(), "\n")
	if !strings.Contains(banners, "kept only until Postbode closes") || !strings.Contains(banners, "Sending is not set up") {
		t.Fatalf("banners %q", banners)
	}
	if !containsText(h.u.root, "fresh@example.org") {
		t.Fatalf("the folder pane does not list the new account: %q", texts(h.u.root))
	}
	d.OnMoveToIMAP("home")
	h.settle()
	if h.u.moveWin == nil || h.u.moveWin.pop != "home" {
		t.Fatal("the wizard's move to IMAP did not open the move window")
	}
	h.u.moveWin.win.Close()
}
