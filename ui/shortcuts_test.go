package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"postbode/localcache"
)

var ctrl = fyne.KeyModifierShortcutDefault

// shortcutOn delivers a shortcut as the desktop driver does: to the focused widget when it takes
// shortcuts (a text field), else to the canvas.
func shortcutOn(c fyne.Canvas, k fyne.KeyName, m fyne.KeyModifier) {
	s := &desktop.CustomShortcut{KeyName: k, Modifier: m}
	if f, ok := c.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	c.(fyne.Shortcutable).TypedShortcut(s)
}

// keyOn delivers a key as the desktop driver does: to the focused widget, else to the canvas.
func keyOn(c fyne.Canvas, k fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: k}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if fn := c.OnTypedKey(); fn != nil {
		fn(ev)
	}
}

func TestMessageWindowKeysAndToolbar(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 3)
	h.startPump()
	h.click(0, 0)
	h.u.act.doOpenWindow()
	h.settle()
	mw := h.u.popouts[0]
	c := mw.r.win.Canvas()
	id := mw.r.id

	before := len(h.u.composers)
	shortcutOn(c, fyne.KeyR, ctrl)
	shortcutOn(c, fyne.KeyR, ctrl|fyne.KeyModifierShift)
	shortcutOn(c, fyne.KeyL, ctrl)
	if got := len(h.u.composers) - before; got != 3 {
		t.Fatalf("Ctrl+R, Ctrl+Shift+R and Ctrl+L opened %d composers, want 3", got)
	}
	if last := h.u.composers[len(h.u.composers)-1]; last.subject.Text != "Fwd: Message 2" {
		t.Fatalf("Ctrl+L opened %q", last.subject.Text)
	}

	if err := h.cache.SetFlags(t.Context(), []int64{id}, localcache.FlagSeen, 0, false); err != nil {
		t.Fatal(err)
	}
	h.settle()
	test.Tap(mw.unread)
	h.settle()
	if h.message(id).Flags.Has(localcache.FlagSeen) {
		t.Fatal("Mark as unread in the message window left it read")
	}
	test.Tap(mw.flag)
	h.settle()
	if !h.message(id).Flags.Has(localcache.FlagFlagged) {
		t.Fatal("Flag in the message window did not flag it")
	}
	test.Tap(mw.move)
	if top := c.Overlays().Top(); top == nil || !containsText(top, "Projects") {
		t.Fatal("Move in the message window shows no folder list on that window")
	}
	c.Overlays().Top().Hide()

	keyOn(c, fyne.KeyEscape)
	h.settle()
	if len(h.u.popouts) != 0 || slices.Contains(h.app.Driver().AllWindows(), mw.r.win) {
		t.Fatal("Esc did not close the message window")
	}
	h.u.openMessageWindow(ids[0])
	h.settle()
	shortcutOn(h.u.popouts[0].r.win.Canvas(), fyne.KeyW, ctrl)
	h.settle()
	if len(h.u.popouts) != 0 {
		t.Fatal("Ctrl+W did not close the message window")
	}
}

func TestComposerKeys(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.u.openComposer(Draft{Account: "work"})
	cv := c.win.Canvas()
	test.Type(c.to, "bob@example.org")
	cv.Focus(c.body)
	test.Type(c.body, "Hello")
	// Ctrl+S in the body saves a draft (the focused field hands it on).
	shortcutOn(cv, fyne.KeyS, ctrl)
	h.settle()
	if len(h.sender.drafts) != 1 || h.sender.drafts[0].Text != "Hello" {
		t.Fatalf("Ctrl+S saved %d drafts", len(h.sender.drafts))
	}
	// Esc in the body with unsaved text asks, and the question offers to save.
	test.Type(c.body, " again")
	keyOn(cv, fyne.KeyEscape)
	over := cv.Overlays().Top()
	if over == nil || !containsText(over, "Save draft") || !containsText(over, "Discard") {
		t.Fatalf("Esc asked %q", texts(over))
	}
	tapButtonIn(t, over, "Save draft")
	h.settle()
	if len(h.sender.drafts) != 2 || len(h.u.composers) != 0 {
		t.Fatalf("Save in the close prompt: %d drafts, %d composers open", len(h.sender.drafts), len(h.u.composers))
	}

	// Ctrl+Enter in the body sends.
	c = h.u.openComposer(Draft{Account: "work"})
	test.Type(c.to, "bob@example.org")
	c.win.Canvas().Focus(c.body)
	test.Type(c.body, "Sent by keyboard")
	shortcutOn(c.win.Canvas(), fyne.KeyReturn, ctrl)
	h.settle()
	if len(h.sender.sent) != 1 || h.sender.sent[0].Text != "Sent by keyboard" || len(h.u.composers) != 0 {
		t.Fatalf("Ctrl+Enter: %d sent, %d composers open", len(h.sender.sent), len(h.u.composers))
	}
}

func TestCtrlQQuits(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	var quit *fyne.MenuItem
	for _, m := range h.u.act.menu.Items {
		for _, it := range m.Items {
			if it.IsQuit {
				quit = it
			}
		}
	}
	if quit == nil || quit.Shortcut == nil || quit.Shortcut.ShortcutName() !=
		(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: ctrl}).ShortcutName() {
		t.Fatalf("no Quit item with Ctrl+Q: %+v", quit)
	}
}
