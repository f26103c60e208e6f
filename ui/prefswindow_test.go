package ui

import (
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/types"
)

func (h *harness) openPreferences() *preferences {
	h.t.Helper()
	h.u.openPreferences()
	if h.u.prefsWin == nil {
		h.t.Fatal("no Preferences window")
	}
	return h.u.prefsWin
}

func background(a fyne.App) fyne.ThemeVariant {
	bg := a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark)
	if bg == theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight) {
		return theme.VariantLight
	}
	return theme.VariantDark
}

func TestPreferencesThemeIsSavedPerProfile(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // a desktop without a theme service
	file := filepath.Join(t.TempDir(), "config", "ui.json")
	h := newHarness(t, harnessOpts{settingsFile: file})
	if background(h.app) != theme.VariantLight {
		t.Fatal("with no theme service to ask, the window is not light")
	}
	p := h.openPreferences()
	p.themeRadio.SetSelected("Dark")
	if background(h.app) != theme.VariantDark {
		t.Fatal("choosing Dark did not make the window dark")
	}
	// Another profile keeps its own choice; this one reads it back.
	other := newHarness(t, harnessOpts{settingsFile: filepath.Join(t.TempDir(), "ui.json")})
	if other.u.prefs.Theme != themeSystem {
		t.Fatalf("another profile's theme is %q", other.u.prefs.Theme)
	}
	again := newHarness(t, harnessOpts{settingsFile: file})
	if again.u.prefs.Theme != themeDark || background(again.app) != theme.VariantDark {
		t.Fatalf("the profile's theme came back as %q", again.u.prefs.Theme)
	}
}

func TestUIStateIsSavedPerProfile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ui.json")
	h := newHarness(t, harnessOpts{settingsFile: file})
	seedInbox(h, 2)
	h.selectFolder("work", "Projects")
	h.u.win.Resize(fyne.NewSize(1000, 700))
	h.u.savePrefs()
	again := newHarness(t, harnessOpts{settingsFile: file})
	if again.u.prefs.LastFolder == 0 || again.u.prefs.Width != 1000 || again.u.prefs.Height != 700 {
		t.Fatalf("state read back: %+v", again.u.prefs)
	}
}

func TestPreferencesReadingAndNotifications(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f, _ := seedInbox(h, 1)
	ids := h.addMessages(f, 1, func(int) (localcache.Message, []byte) {
		raw := plainMessage("Shop", "shop@example.org", "me@work.example", "Receipt", "Tea\t2.50\nCake\t3.75",
			h.now.Add(-time.Hour))
		return localcache.Message{FromName: "Shop", Subject: "Receipt", Date: h.now.Add(-time.Hour)}, raw
	})
	h.selectFolder("work", "Inbox")
	h.u.reader.show(ids[0])
	h.settle()
	if monospaceBody(h) {
		t.Fatal("plain text drawn in a fixed-width font by default")
	}
	p := h.openPreferences()
	test.Tap(p.fixed)
	h.settle()
	if !h.u.prefs.PlainFixed || !monospaceBody(h) {
		t.Fatal("the fixed-width choice did not redraw the plain-text message in a fixed-width font")
	}

	p.position.SetSelected("Below the list")
	if !h.u.readerBelow || h.u.innerSplit.Horizontal {
		t.Fatal("reading pane not below the list")
	}

	test.Tap(p.notify)                           // off
	test.AssertNotificationSent(t, nil, func() { // nil: none is sent
		h.u.apply(Batch{Events: []types.Event{types.NewMail{Account: "work", Folder: "INBOX",
			Messages: []localcache.Message{{FromName: "Ann", Subject: "Hi"}}}}})
	})
	if p.undoSend.Selected != "5 seconds" || h.u.prefs.undoSendDelay() != 5*time.Second {
		t.Fatalf("undo send shows %q, delay %v; want the 5 s default", p.undoSend.Selected, h.u.prefs.undoSendDelay())
	}
	p.undoSend.SetSelected("Off: send at once")
	if h.u.prefs.undoSendDelay() != 0 || h.u.prefs.UndoSend == nil {
		t.Fatal("undo send not turned off")
	}
	p.undoSend.SetSelected("20 seconds")
	if h.u.prefs.undoSendDelay() != 20*time.Second {
		t.Fatalf("undo send delay %v, want 20 s", h.u.prefs.undoSendDelay())
	}
}

func TestPreferencesBodyWindowPerIMAPAccount(t *testing.T) {
	h := newHarness(t, harnessOpts{configPath: filepath.Join(t.TempDir(), "accounts.json")})
	p := h.openPreferences()
	sel := p.windows["work"]
	if sel == nil || sel.Selected != "The last 30 days" {
		t.Fatalf("body window choice %v", sel)
	}
	sel.SetSelected("All messages")
	h.settle()
	if acc, _ := h.mgr.Account("work"); acc.IMAP.BodyWindowDays != -1 {
		t.Fatalf("body window saved as %d", acc.IMAP.BodyWindowDays)
	}
	// The window fits a 768-pixel-high screen.
	if s := p.win.Canvas().Size(); s.Height > 700 || s.Width > 1000 {
		t.Fatalf("Preferences window %v", s)
	}
}

func monospaceBody(h *harness) bool {
	for _, o := range test.LaidOutObjects(h.u.reader.body) {
		if l, ok := o.(*widget.Label); ok && l.TextStyle.Monospace && l.Text != "" {
			return true
		}
	}
	return false
}
