package ui

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"postbode/localcache"
)

// seedConversation stores a conversation of 5 messages in the Inbox and 2 replies in Sent, and 3
// other messages in the Inbox; it returns the conversation's Inbox ids and its Sent ids.
func seedConversation(h *harness) (inThread, sent []int64) {
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	sentF := h.folder("work", "Sent", localcache.RoleSent)
	base := h.now.Add(-48 * time.Hour)
	msg := func(i int, id, parent, subject, from string, seen bool) localcache.Message {
		m := localcache.Message{MessageID: id, InReplyTo: parent, Subject: subject, FromName: from,
			FromAddr: "x@example.org", Date: base.Add(time.Duration(i) * time.Hour), UID: uint32(i + 1), ThreadKey: id}
		if parent != "" {
			m.References, m.ThreadKey = "t0@x", "t0@x"
		}
		if seen {
			m.Flags = localcache.FlagSeen
		}
		return m
	}
	thread := []localcache.Message{
		msg(0, "t0@x", "", "Boat trip", "Ann Visser", true),
		msg(2, "t2@x", "t1@me", "Re: Boat trip", "Bob de Vries", true),
		msg(4, "t4@x", "t3@me", "Re: Boat trip", "Ann Visser", false),
		msg(5, "t5@x", "t4@x", "Re: Boat trip", "Cor Jansen", true),
		msg(8, "t8@x", "t5@x", "Re: Boat trip", "Ann Visser", false),
	}
	others := []localcache.Message{
		msg(1, "o1@x", "", "Invoice March", "Energy Co", true),
		msg(6, "o6@x", "", "Team lunch", "Dirk", false),
		msg(10, "o10@x", "", "Newsletter", "Shop", true),
	}
	all := append(slices.Clone(thread), others...)
	raw := func(m localcache.Message) []byte {
		return plainMessage(m.FromName, m.FromAddr, "me@work.example", m.Subject, "About the boat trip on Saturday.", m.Date)
	}
	ids := h.addMessages(inbox, len(all), func(i int) (localcache.Message, []byte) { return all[i], raw(all[i]) })
	replies := []localcache.Message{
		msg(3, "t1@me", "t0@x", "Re: Boat trip", "Me Myself", true),
		msg(7, "t3@me", "t2@x", "Re: Boat trip", "Me Myself", true),
	}
	sent = h.addMessages(sentF, len(replies), func(i int) (localcache.Message, []byte) { return replies[i], raw(replies[i]) })
	h.u.folders.reload()
	h.settle()
	return ids[:len(thread)], sent
}

func (h *harness) key(name fyne.KeyName) {
	h.t.Helper()
	h.u.list.list.TypedKey(&fyne.KeyEvent{Name: name})
	h.settle()
}

// rowOf finds the row showing a message.
func (h *harness) rowOf(id int64) int {
	h.t.Helper()
	row, ok := h.u.list.loadedRows()[id]
	if !ok {
		h.t.Fatalf("message %d is on no row", id)
	}
	return row
}

func TestConversationsToggleExpandCollapseAndKeyboard(t *testing.T) {
	settingsFile := filepath.Join(t.TempDir(), "ui.json")
	h := newHarness(t, harnessOpts{settingsFile: settingsFile})
	h.startPump()
	thread, sent := seedConversation(h)
	newest := thread[len(thread)-1]
	h.selectFolder("work", "Inbox")
	ml := h.u.list
	if ml.length() != 8 || !ml.threadBtn.Visible() {
		t.Fatalf("%d rows before the toggle, toggle shown %v", ml.length(), ml.threadBtn.Visible())
	}

	test.Tap(ml.threadBtn)
	h.settle()
	if !ml.scope.threads || ml.length() != 4 {
		t.Fatalf("conversations %v, %d rows; want 4", ml.scope.threads, ml.length())
	}
	if got := ml.info.String(); got != "4 conversations · 3 unread" {
		t.Errorf("header %q", got)
	}
	// Newest first: the conversation's row is its newest Inbox message, unread because some of
	// it is, with the count of all 7 (Sent included).
	row := h.rowOf(newest)
	if row != 1 {
		t.Fatalf("conversation on row %d, want 1", row)
	}
	m, _ := ml.row(row)
	if th := ml.threadOf(row, m); th.count != 7 || th.open || m.Flags.Has(localcache.FlagSeen) {
		t.Fatalf("conversation row: %+v, flags %v", th, m.Flags)
	}
	rows := h.visibleRows()
	if rows[1].thread.count != 7 || !rows[1].badge.Visible() || rows[1].badge.Text != "7" || !rows[1].arrow.Visible() {
		t.Fatalf("row shows count %q (visible %v), arrow %v", rows[1].badge.Text, rows[1].badge.Visible(), rows[1].arrow.Visible())
	}

	// Right opens it: its 6 other messages below it, Sent's among them; Down walks into them and
	// the reader shows each.
	h.click(row, 0)
	if h.u.reader.id != newest {
		t.Fatalf("reader shows %d, want %d", h.u.reader.id, newest)
	}
	h.key(fyne.KeyRight)
	if ml.length() != 10 || len(ml.open) != 1 {
		t.Fatalf("expanded: %d rows, %d open", ml.length(), len(ml.open))
	}
	var members []int64
	for i := row + 1; i <= row+6; i++ {
		m, ok := ml.row(i)
		if !ok || !ml.threadOf(i, m).member {
			t.Fatalf("row %d is no member: %+v", i, m)
		}
		members = append(members, m.ID)
		if slices.Contains(sent, m.ID) && ml.threadOf(i, m).folder != "Sent" {
			t.Errorf("row %d from Sent says folder %q", i, ml.threadOf(i, m).folder)
		}
	}
	for _, id := range append(slices.Clone(thread[:len(thread)-1]), sent...) {
		if !slices.Contains(members, id) {
			t.Fatalf("message %d missing from the expanded conversation %v", id, members)
		}
	}
	if r, _ := ml.row(row + 6); r.ID != thread[0] {
		t.Errorf("oldest message last: row %d is %d", row+6, r.ID)
	}
	if r, _ := ml.row(row + 7); r.Subject != "Team lunch" {
		t.Errorf("after the conversation: %q", r.Subject)
	}
	if n := len(h.visibleRows()); n != 10 {
		t.Errorf("the list lays out %d rows, want 10", n)
	}
	h.key(fyne.KeyDown)
	if h.u.reader.id != members[0] || ml.cursor != row+1 {
		t.Fatalf("Down: reader %d cursor %d, want %d on row %d", h.u.reader.id, ml.cursor, members[0], row+1)
	}

	// Left from a message of the conversation closes it and goes back to its row.
	h.key(fyne.KeyLeft)
	if ml.length() != 4 || ml.cursor != row || h.u.reader.id != newest {
		t.Fatalf("Left: %d rows, cursor %d, reader %d", ml.length(), ml.cursor, h.u.reader.id)
	}

	// A click on the count opens and closes it too, without selecting anything else.
	r := h.visibleRows()[row]
	r.Tapped(&fyne.PointEvent{Position: r.badgeAt[0].AddXY(2, 2)})
	h.settle()
	if ml.length() != 10 {
		t.Fatalf("click on the count: %d rows", ml.length())
	}
	r = h.visibleRows()[row]
	if !r.thread.open {
		t.Fatal("the row does not show it is expanded")
	}
	r.Tapped(&fyne.PointEvent{Position: fyne.NewPos(2, r.Size().Height-4)})
	h.settle()
	if ml.length() != 4 {
		t.Fatalf("click on the arrow: %d rows", ml.length())
	}

	// An action on the collapsed conversation applies to all its Inbox messages, not Sent's.
	h.click(row, 0)
	h.u.act.doMarkRead(true)
	h.settle()
	for _, id := range thread {
		if !h.message(id).Flags.Has(localcache.FlagSeen) {
			t.Errorf("message %d of the conversation not marked read", id)
		}
	}
	if got := ml.info.String(); got != "4 conversations · 1 unread" {
		t.Errorf("header after marking read %q", got)
	}
	h.u.act.doMarkRead(false)
	h.settle()
	for _, id := range sent {
		if h.message(id).Flags.Has(localcache.FlagSeen) != true {
			t.Errorf("Sent message %d changed by an action on the Inbox's conversation", id)
		}
	}
	if h.message(thread[0]).Flags.Has(localcache.FlagSeen) {
		t.Error("mark unread did not reach the conversation's oldest message")
	}

	// Remembered per folder: Sent is a plain list, the Inbox comes back as conversations, and
	// so does the next start.
	h.selectFolder("work", "Sent")
	if ml.scope.threads || ml.length() != 2 {
		t.Fatalf("Sent: conversations %v, %d rows", ml.scope.threads, ml.length())
	}
	h.selectFolder("work", "Inbox")
	if !ml.scope.threads || ml.length() != 4 {
		t.Fatalf("Inbox again: conversations %v, %d rows", ml.scope.threads, ml.length())
	}
	prefs, err := loadSettings(settingsFile)
	if err != nil || !prefs.threadsFor(ml.scope.key) {
		t.Fatalf("settings file: %v, %+v", err, prefs.Threads)
	}
	// The View menu says so and turns it off.
	if !h.u.act.threads.Checked {
		t.Error("View → Conversations not checked")
	}
	h.u.act.threads.Action()
	h.settle()
	if ml.scope.threads || ml.length() != 8 {
		t.Fatalf("off again: conversations %v, %d rows", ml.scope.threads, ml.length())
	}
}

// A new message in an expanded conversation shows in it after the reload; Select all on the
// collapsed list selects every message of the folder.
func TestConversationsFollowChangesAndSelectAll(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	thread, _ := seedConversation(h)
	h.selectFolder("work", "Inbox")
	ml := h.u.list
	ml.setThreads(true)
	h.settle()
	savePNG(t, h.u.win.Canvas().Capture(), "conversations-collapsed"+langSuffix()+".png")
	row := h.rowOf(thread[len(thread)-1])
	h.click(row, 0)
	h.key(fyne.KeyRight)
	h.key(fyne.KeyDown)
	savePNG(t, h.u.win.Canvas().Capture(), "conversations-expanded"+langSuffix()+".png")
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	late := h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{MessageID: "t9@x", InReplyTo: "t8@x", References: "t0@x t8@x", ThreadKey: "t0@x",
			Subject: "Re: Boat trip", FromName: "Cor Jansen", Date: h.now.Add(-time.Hour), UID: 50}, nil
	})
	h.settle()
	if got := h.rowOf(late[0]); got != 0 || len(ml.open) != 1 || ml.length() != 4+7 {
		t.Fatalf("after a new reply: its row %d, %d open, %d rows", got, len(ml.open), ml.length())
	}
	if m, _ := ml.row(0); ml.threadOf(0, m).count != 8 {
		t.Fatalf("count after a new reply: %d", ml.threadOf(0, m).count)
	}
	h.key(fyne.KeyLeft)
	ml.list.TypedShortcut(&fyne.ShortcutSelectAll{})
	h.settle()
	ids := ml.selectedIDs()
	if len(ids) != 9 {
		t.Fatalf("Select all: %d messages (%v), want the Inbox's 9", len(ids), ids)
	}
	if got := fmt.Sprint(h.u.reader.id); got != "0" {
		t.Errorf("reader shows %s with 4 rows selected", got)
	}
}

func TestConversationsInDutch(t *testing.T) {
	screenshotInDutch(t, "TestConversationsFollowChangesAndSelectAll", "conversations-collapsed-nl.png", "conversations-expanded-nl.png")
}
