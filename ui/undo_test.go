package ui

import (
	"testing"
	"time"

	"postbode/localcache"
)

// Delete, then Undo in the notice: the message is back where it was. Mark read, then Ctrl+Z (the
// Edit menu's Undo): unread again. Deleting for good offers no Undo.
func TestUndoTakesBackTheLastChange(t *testing.T) {
	h := newHarness(t, harnessOpts{noticeTime: 5 * time.Second})
	// The notice goes away by itself: run the UI until what the test waits for, not until idle.
	runUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(4 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 4 s", what)
			}
			h.q.runAll()
		}
	}
	h.startPump()
	inbox, _ := seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	id := h.u.list.selectedIDs()[0]
	h.u.act.doDelete()
	runUntil("the Undo notice", func() bool { return containsText(h.u.banners.view(), tr("Deleted.")) })
	if h.message(id).FolderID == inbox.ID {
		t.Fatal("not deleted")
	}
	tapButtonIn(t, h.u.banners.view(), tr("Undo"))
	h.settle()
	if h.message(id).FolderID != inbox.ID {
		t.Fatal("Undo did not bring the message back")
	}

	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	id = h.u.list.selectedIDs()[0]
	h.u.act.doMarkRead(true)
	runUntil("the Undo notice", func() bool { return h.u.undo != nil })
	if !h.message(id).Flags.Has(localcache.FlagSeen) {
		t.Fatal("not marked read")
	}
	h.u.undoLast()
	h.settle()
	if h.message(id).Flags.Has(localcache.FlagSeen) {
		t.Fatal("Ctrl+Z did not take back mark read")
	}
	if h.u.undo != nil {
		t.Fatal("the undo stays offered after it ran")
	}

	// From Trash a delete is for good: nothing to offer.
	h.u.act.doDelete() // the selected message goes to Trash
	runUntil("the Undo notice", func() bool { return h.u.undo != nil })
	h.u.banners.dismiss(h.u.undo.notice)
	h.u.undo = nil
	h.settle()
	h.selectFolder("work", "Trash")
	h.click(0, 0)
	h.u.act.doDelete()
	h.settle()
	if h.u.undo != nil || containsText(h.u.banners.view(), tr("Undo")) {
		t.Fatal("Undo offered for a deletion for good")
	}
}
