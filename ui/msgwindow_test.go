package ui

import (
	"context"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"postbode/localcache"
)

func TestMessageOpensInAWindowOfItsOwn(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 5)
	h.startPump() // the window follows its message through the cache's change notifications
	h.click(0, 0) // the newest: Message 4
	if h.u.reader.subject.Text != "Message 4" {
		t.Fatalf("pane shows %q", h.u.reader.subject.Text)
	}
	// Enter opens it in a window of its own, titled with the subject, with the body shown.
	h.u.act.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	if len(h.u.popouts) != 1 {
		t.Fatalf("%d message windows open", len(h.u.popouts))
	}
	mw := h.u.popouts[0]
	r := mw.r
	if r.id != ids[4] || r.win.Title() != "Message 4" || r.subject.Text != "Message 4" {
		t.Fatalf("window shows id %d, title %q, subject %q", r.id, r.win.Title(), r.subject.Text)
	}
	if !containsText(r.body, "this is message 4") {
		t.Fatalf("window body %q", texts(r.body))
	}
	// Reply from the window opens a composer for that message.
	before := len(h.u.composers)
	test.Tap(mw.reply)
	if len(h.u.composers) != before+1 || h.u.composers[len(h.u.composers)-1].subject.Text != "Re: Message 4" {
		t.Fatal("reply from the message window")
	}
	// Deleting from the window closes it; the message goes to Trash.
	test.Tap(mw.del)
	h.settle()
	if len(h.u.popouts) != 0 || slices.Contains(h.app.Driver().AllWindows(), r.win) {
		t.Fatalf("message window still open after the message was deleted (%d)", len(h.u.popouts))
	}
	trash, _ := h.cache.FolderByRole(context.Background(), "work", localcache.RoleTrash)
	if h.message(ids[4]).FolderID != trash.ID {
		t.Fatalf("message not in Trash after Delete in its window")
	}
	if h.u.list.total != 4 {
		t.Fatalf("Inbox lists %d after the delete, want 4", h.u.list.total)
	}

	// A message expunged elsewhere closes its window too.
	h.click(0, 0)
	h.u.act.doOpenWindow()
	h.settle()
	if len(h.u.popouts) != 1 {
		t.Fatalf("%d message windows open", len(h.u.popouts))
	}
	gone := h.u.popouts[0]
	if err := h.cache.Expunge(context.Background(), []int64{gone.r.id}, false); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if len(h.u.popouts) != 0 {
		t.Fatal("message window still open after its message was expunged")
	}
}
