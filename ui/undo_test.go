package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"postbode/localcache"
)

// Delete, then Undo in the notice: the message is back where it was. Mark read, then Ctrl+Z (the
// Edit menu's Undo): unread again. Deleting for good offers no Undo.
func TestUndoTakesBackTheLastChange(t *testing.T) {
	h := newHarness(t, harnessOpts{noticeTime: 5 * time.Second})
	h.startPump()
	inbox, _ := seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	id := h.u.list.selectedIDs()[0]
	h.u.act.doDelete()
	h.runUntil("the Undo notice", func() bool { return containsText(h.u.banners.view(), tr("Deleted.")) })
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
	h.runUntil("the Undo notice", func() bool { return h.u.undo != nil })
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
	h.runUntil("the Undo notice", func() bool { return h.u.undo != nil })
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

// Send, then Undo in the "Sending…" notice: the message is taken back out of the outbox and
// opens again in a composer, as it was. With undo send turned off, no notice is offered.
func TestUndoSendReopensTheMessage(t *testing.T) {
	h := newHarness(t, harnessOpts{noticeTime: 5 * time.Second})
	c := h.u.openComposer(Draft{Account: "work"})
	test.Type(c.to, "bob@example.org, ")
	test.Type(c.subject, "Second thoughts")
	test.Type(c.body, "I take it back.")
	c.doSend()
	h.q.RunAll()
	h.runUntil("the undo send notice", func() bool { return containsText(h.u.banners.view(), tr("Sending…")) })
	savePNG(t, h.u.win.Canvas().Capture(), "undo-send"+langSuffix()+".png")
	if len(h.sender.sent) != 1 || h.sender.sent[0].Hold != defaultUndoSend || len(h.u.composers) != 0 {
		t.Fatalf("after Send: sent %+v, %d composers open", h.sender.sent, len(h.u.composers))
	}
	tapButtonIn(t, h.u.banners.view(), tr("Undo"))
	h.settle()
	if h.sender.sent[0].Account != "" {
		t.Fatal("Undo did not take the message back")
	}
	if len(h.u.composers) != 1 {
		t.Fatalf("%d composers open after Undo, want the message back in one", len(h.u.composers))
	}
	back := h.u.composers[0]
	if back.subject.Text != "Second thoughts" || !strings.Contains(back.body.Text, "I take it back.") || !strings.Contains(back.to.Text, "bob@example.org") {
		t.Fatalf("reopened: to %q, subject %q, body %q", back.to.Text, back.subject.Text, back.body.Text)
	}

	off := 0
	h.u.prefs.UndoSend = &off
	back.doSend()
	h.settle()
	if n := len(h.sender.sent); n != 2 || h.sender.sent[1].Hold != 0 || containsText(h.u.banners.view(), tr("Undo")) {
		t.Fatalf("with undo send off: %d sent, hold %v", n, h.sender.sent[n-1].Hold)
	}
}

func TestUndoSendInDutch(t *testing.T) {
	screenshotInDutch(t, "TestUndoSendReopensTheMessage", "undo-send-nl.png")
}
