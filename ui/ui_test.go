package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// seedInbox adds an Inbox with n messages (newest last), every message with a plain-text body.
func seedInbox(h *harness, n int) (localcache.Folder, []int64) {
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	h.folder("work", "Trash", localcache.RoleTrash)
	h.folder("work", "Projects", "")
	base := h.now.Add(-time.Duration(n) * time.Hour)
	ids := h.addMessages(inbox, n, func(i int) (localcache.Message, []byte) {
		date := base.Add(time.Duration(i) * time.Hour)
		subject := fmt.Sprintf("Message %d", i)
		m := localcache.Message{Subject: subject, FromName: fmt.Sprintf("Sender %d", i),
			FromAddr: fmt.Sprintf("sender%d@example.org", i), To: "Me Myself <me@work.example>", Date: date,
			MessageID: fmt.Sprintf("m%d@example.org", i), Snippet: "Hello from message " + fmt.Sprint(i),
			BodyText: fmt.Sprintf("hello body%d", i)}
		raw := plainMessage(m.FromName, m.FromAddr, m.To, subject, fmt.Sprintf("Hello,\n\nthis is message %d.\nSee https://example.org/%d for more.\n\n> quoted line\n", i, i), date)
		return m, raw
	})
	h.u.folders.reload()
	h.settle()
	return inbox, ids
}

func TestSelectingAFolderFillsTheList(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 30)
	// The inbox opens at start; check by selecting Projects and back.
	h.selectFolder("work", "Projects")
	if h.u.list.total != 0 || !h.u.list.empty.Visible() {
		t.Fatalf("Projects shows %d rows", h.u.list.total)
	}
	h.selectFolder("work", "Inbox")
	ml := h.u.list
	if ml.total != 30 {
		t.Fatalf("list has %d rows, want 30", ml.total)
	}
	rows := h.visibleRows()
	if len(rows) < 5 {
		t.Fatalf("only %d rows laid out", len(rows))
	}
	// Newest first: the last added message is on top.
	if rows[0].msg.ID != ids[29] || rows[0].sender.Text != "Sender 29" || rows[0].subject.Text != "Message 29" {
		t.Fatalf("first row is %q / %q", rows[0].sender.Text, rows[0].subject.Text)
	}
	if !rows[0].sender.TextStyle.Bold {
		t.Fatal("unread message is not bold")
	}
	if got := ml.info.String(); !strings.Contains(got, "30 messages") || !strings.Contains(got, "30 unread") {
		t.Fatalf("header says %q", got)
	}
	if h.u.win.Title() != "Inbox — Postbode" {
		t.Fatalf("window title %q", h.u.win.Title())
	}
	// The folder pane shows the unread count next to Inbox, and special folders first.
	var names []string
	for _, e := range h.u.folders.entries {
		names = append(names, e.name)
		if e.name == "Inbox" && e.unread != 30 {
			t.Fatalf("Inbox unread %d", e.unread)
		}
	}
	if want := []string{"work", "Inbox", "Trash", "Projects"}; !slices.Equal(names, want) {
		t.Fatalf("folder pane %v, want %v", names, want)
	}
}

func TestSelectingAMessageShowsIt(t *testing.T) {
	h := newHarness(t, harnessOpts{markReadDelay: 20 * time.Millisecond})
	h.startPump()
	_, ids := seedInbox(h, 5)
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	r := h.u.reader
	if r.id != ids[4] {
		t.Fatalf("reader shows %d, want %d", r.id, ids[4])
	}
	if r.subject.Text != "Message 4" || r.from.Text != "Sender 4 <sender4@example.org>" ||
		!strings.Contains(r.to.Text, "me@work.example") || r.date.String() == "" {
		t.Fatalf("headers: %q %q %q %q", r.subject.Text, r.from.Text, r.to.Text, r.date.String())
	}
	if !containsText(r.body, "this is message 4.") || !containsText(r.body, "quoted line") {
		t.Fatalf("body texts %q", texts(r.body))
	}
	// The link in the text is clickable.
	found := false
	for _, obj := range test.LaidOutObjects(r.body) {
		if rt, ok := obj.(interface{ String() string }); ok && strings.Contains(rt.String(), "https://example.org/4") {
			found = true
		}
	}
	if !found {
		t.Fatal("no link rendered")
	}
	// Opening marks read after the delay.
	time.Sleep(40 * time.Millisecond)
	h.settle()
	if !h.message(ids[4]).Flags.Has(localcache.FlagSeen) {
		t.Fatal("opened message not marked read")
	}
	if rows := h.visibleRows(); rows[0].sender.TextStyle.Bold {
		t.Fatal("row still bold after reading")
	}

	// Down moves to the next (older) message.
	h.u.list.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	h.settle()
	if r.id != ids[3] || r.subject.Text != "Message 3" {
		t.Fatalf("after Down the reader shows %d %q", r.id, r.subject.Text)
	}
	h.u.list.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	h.settle()
	if r.id != ids[4] {
		t.Fatalf("after Up the reader shows %d", r.id)
	}
}

func TestMessageWithoutBodyIsDownloadedWhenOpened(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	ids := h.addMessages(inbox, 1, func(i int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Old letter", FromName: "Ann", FromAddr: "ann@example.org", Date: h.now.AddDate(-2, 0, 0)}, nil
	})
	h.engines["work"].bodies[ids[0]] = plainMessage("Ann", "ann@example.org", "me@work.example", "Old letter",
		"The text that was on the server.", h.now.AddDate(-2, 0, 0))
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")

	// Hold the download back to see the "Downloading…" state first.
	h.u.list.click(0, 0)
	for i := 0; i < 50 && h.u.reader.id == 0 || h.u.reader.subject.Text == ""; i++ {
		h.q.RunAll()
		time.Sleep(time.Millisecond)
	}
	h.settle()
	r := h.u.reader
	if r.subject.Text != "Old letter" {
		t.Fatalf("headers not shown: %q", r.subject.Text)
	}
	if !containsText(r.body, "The text that was on the server.") {
		t.Fatalf("body after download: %q (status %q)", texts(r.body), r.status.Text)
	}
	if asked := h.engines["work"].asked; len(asked) != 1 || asked[0] != ids[0] {
		t.Fatalf("engine asked for %v", asked)
	}
}

func TestDownloadingIsShownWhileTheBodyIsMissing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	ids := h.addMessages(inbox, 1, func(i int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Not here", FromAddr: "x@example.org", Date: h.now}, nil
	})
	h.u.folders.reload()
	h.settle()
	// No body on the "server": the engine fails, and the reader says so instead of spinning.
	r := h.u.reader
	h.u.list.current = ids[0]
	r.id = ids[0]
	r.render(h.message(ids[0]), nil, nil)
	if r.status.Text != "Downloading…" || !r.status.Visible() {
		t.Fatalf("status %q", r.status.Text)
	}
	h.settle()
	if !strings.Contains(r.status.Text, "could not be downloaded") {
		t.Fatalf("status after a failed download %q", r.status.Text)
	}
}

func TestActionsChangeTheCache(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	_, ids := seedInbox(h, 6)
	h.selectFolder("work", "Inbox")
	a := h.u.act
	id := ids[5]

	h.click(0, 0)
	a.doMarkRead(true)
	h.settle()
	if !h.message(id).Flags.Has(localcache.FlagSeen) {
		t.Fatal("mark read")
	}
	a.doMarkRead(false)
	h.settle()
	if h.message(id).Flags.Has(localcache.FlagSeen) {
		t.Fatal("mark unread")
	}
	a.typedRune('m')
	h.settle()
	if !h.message(id).Flags.Has(localcache.FlagSeen) {
		t.Fatal("M did not toggle read")
	}
	a.typedRune('s')
	h.settle()
	if !h.message(id).Flags.Has(localcache.FlagFlagged) {
		t.Fatal("S did not flag")
	}
	if rows := h.visibleRows(); !rows[0].star.Visible() {
		t.Fatal("flag star not shown in the list")
	}
	if a.flag.Icon != iconStar || a.row.labels[7] != "Unflag" || a.markRead.Icon != iconMailUnread {
		t.Fatalf("toolbar does not offer unflag / mark unread: %q", a.row.labels)
	}
	a.doToggleFlag()
	h.settle()
	if h.message(id).Flags.Has(localcache.FlagFlagged) {
		t.Fatal("unflag")
	}

	// Move to Projects through the folder picker's callback.
	projects, _ := h.cache.FolderByName(context.Background(), "work", "Projects")
	h.u.do(types.Move{IDs: h.u.list.selectedIDs(), To: projects.ID})
	h.settle()
	if h.message(id).FolderID != projects.ID {
		t.Fatal("move")
	}
	if h.u.list.total != 5 {
		t.Fatalf("list still has %d rows after the move", h.u.list.total)
	}
	// Thunderbird opens the message that took the moved one's place.
	if h.u.reader.id != ids[4] {
		t.Fatalf("reader shows %d after the move, want %d", h.u.reader.id, ids[4])
	}

	// Delete key: to Trash.
	h.u.list.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	h.settle()
	trash, _ := h.cache.FolderByRole(context.Background(), "work", localcache.RoleTrash)
	if h.message(ids[4]).FolderID != trash.ID {
		t.Fatal("Delete did not move to Trash")
	}
	if h.u.list.total != 4 {
		t.Fatalf("%d rows after delete", h.u.list.total)
	}
	// The folder pane follows: Trash has the message.
	for _, e := range h.u.folders.entries {
		if e.name == "Trash" && e.total != 1 {
			t.Fatalf("Trash shows %d messages", e.total)
		}
	}
}

func TestMoveDialogMovesToThePickedFolder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	_, ids := seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	h.u.act.doMove()
	h.settle()
	over := h.u.win.Canvas().Overlays().Top()
	if over == nil || !containsText(over, "Projects") || !containsText(over, "Trash") {
		t.Fatal("folder picker does not list the folders")
	}
	list, move := pickerParts(t, over, "Move")
	entries := foldersOf(h.u.folders.entries, "work")
	for i, e := range entries {
		if e.name == "Projects" {
			list.Select(i)
		}
	}
	test.Tap(move)
	h.settle()
	projects, _ := h.cache.FolderByName(context.Background(), "work", "Projects")
	if h.message(ids[2]).FolderID != projects.ID {
		t.Fatal("message not moved to the picked folder")
	}
}

func TestMultiSelectAndDelete(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	_, ids := seedInbox(h, 10)
	h.selectFolder("work", "Inbox")
	ml := h.u.list
	h.click(1, 0)
	h.click(3, fyne.KeyModifierShift) // rows 1..3
	h.click(6, fyne.KeyModifierControl)
	if len(ml.selected) != 4 {
		t.Fatalf("%d selected, want 4", len(ml.selected))
	}
	if !strings.Contains(h.u.reader.phText.String(), "4 messages selected") {
		t.Fatalf("reader says %q", h.u.reader.phText.String())
	}
	var highlighted int
	for _, r := range h.visibleRows() {
		if r.selected {
			highlighted++
		}
	}
	if highlighted != 4 {
		t.Fatalf("%d rows highlighted", highlighted)
	}
	// Ctrl+click again removes one.
	h.click(6, fyne.KeyModifierControl)
	h.click(6, fyne.KeyModifierControl)
	want := []int64{ids[8], ids[7], ids[6], ids[3]} // rows 1,2,3,6 (newest first)
	h.u.act.doDelete()
	h.settle()
	trash, _ := h.cache.FolderByRole(context.Background(), "work", localcache.RoleTrash)
	for _, id := range want {
		if h.message(id).FolderID != trash.ID {
			t.Fatalf("message %d not deleted", id)
		}
	}
	if h.message(ids[9]).FolderID == trash.ID || h.message(ids[5]).FolderID == trash.ID {
		t.Fatal("an unselected message was deleted")
	}
	if ml.total != 6 || len(ml.selected) != 0 {
		t.Fatalf("after delete: %d rows, %d selected", ml.total, len(ml.selected))
	}
	// Shift+Down extends from the keyboard too.
	h.click(0, 0)
	ml.list.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	ml.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	ml.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	ml.list.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	h.settle()
	if len(ml.selected) != 3 {
		t.Fatalf("Shift+Down selected %d", len(ml.selected))
	}
}

func TestSearchShowsResultsAndCoverage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	inbox, ids := seedInbox(h, 12)
	// Two messages without a downloaded body only match on headers.
	h.addMessages(inbox, 2, func(i int) (localcache.Message, []byte) {
		return localcache.Message{UID: uint32(100 + i), Subject: "Headers only " + fmt.Sprint(i), FromAddr: "far@example.org", Date: h.now}, nil
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	s := h.u.search
	test.Type(s.entry, "body7")
	s.entry.OnSubmitted(s.entry.Text)
	h.settle()
	ml := h.u.list
	if ml.scope.search == nil || ml.total != 1 {
		t.Fatalf("search shows %d rows", ml.total)
	}
	if m, _ := ml.row(0); m.ID != ids[7] {
		t.Fatalf("found %d, want %d", m.ID, ids[7])
	}
	line := ml.info.String()
	if !strings.Contains(line, "Searched 14 messages; 2 not downloaded (headers only)") || !strings.Contains(line, "1 found") {
		t.Fatalf("coverage line %q", line)
	}
	// Opening a result works like in a folder.
	h.click(0, 0)
	if h.u.reader.subject.Text != "Message 7" {
		t.Fatalf("reader %q", h.u.reader.subject.Text)
	}
	// Escape goes back to the folder.
	s.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	if ml.scope.search != nil || ml.total != 14 {
		t.Fatalf("after Escape: search %v, %d rows", ml.scope.search != nil, ml.total)
	}
	// "This folder" limits the scope.
	s.scope.SetSelectedIndex(1)
	test.Type(s.entry, "headers")
	s.entry.OnSubmitted(s.entry.Text)
	h.settle()
	if ml.total != 2 || !strings.Contains(ml.title.Text, "Inbox") {
		t.Fatalf("folder search: %d rows, title %q", ml.total, ml.title.Text)
	}
}

func TestComposerSendCallsTheSender(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 1)
	c := h.u.openComposer(Draft{Account: "work"})
	test.Type(c.to, "Ann Example <ann@example.org>, bob@example.org")
	test.Type(c.cc, "carol@example.org")
	test.Type(c.subject, "Lunch")
	test.Type(c.body, "Shall we meet at noon?")
	c.addFile(mailfmt.Attachment{Name: "menu.txt", Data: []byte("soup")})
	c.doSend()
	h.settle()
	if len(h.sender.sent) != 1 {
		t.Fatalf("sent %d", len(h.sender.sent))
	}
	d := h.sender.sent[0]
	if d.Account != "work" || d.Subject != "Lunch" || d.Text != "Shall we meet at noon?" ||
		len(d.To) != 2 || d.To[0].Name != "Ann Example" || d.To[0].Email != "ann@example.org" ||
		d.To[1].Email != "bob@example.org" || len(d.Cc) != 1 || d.Cc[0].Email != "carol@example.org" ||
		len(d.Attachments) != 1 || string(d.Attachments[0].Data) != "soup" {
		t.Fatalf("sent draft %+v", d)
	}
	// Save draft keeps the window and says so.
	c2 := h.u.openComposer(Draft{Account: "work"})
	test.Type(c2.subject, "Later")
	c2.doSave()
	h.settle()
	if len(h.sender.drafts) != 1 || h.sender.drafts[0].Subject != "Later" || c2.status.Text != "Draft saved" {
		t.Fatalf("drafts %+v, status %q", h.sender.drafts, c2.status.Text)
	}
	// A bad address is refused before sending.
	c3 := h.u.openComposer(Draft{Account: "work"})
	test.Type(c3.to, "not an address")
	c3.doSend()
	h.settle()
	if len(h.sender.sent) != 1 {
		t.Fatal("a draft with a bad address was sent")
	}
}

func TestComposerWithoutSenderExplains(t *testing.T) {
	h := newHarness(t, harnessOpts{noSender: true})
	c := h.u.openComposer(Draft{Account: "work"})
	test.Type(c.to, "ann@example.org")
	c.doSend()
	h.settle()
	over := c.win.Canvas().Overlays().Top()
	if over == nil || !containsText(over, "cannot send mail yet") {
		t.Fatal("no explanation when sending is not available")
	}
}

func TestAddressCompletion(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 3)
	c := h.u.openComposer(Draft{Account: "work"})
	test.Type(c.to, "bob@example.org, Sende")
	time.Sleep(200 * time.Millisecond)
	h.settle()
	if len(c.to.matches) == 0 {
		t.Fatal("no suggestions")
	}
	if !strings.HasPrefix(c.to.matches[0].Name, "Sender") {
		t.Fatalf("suggestions %+v", c.to.matches)
	}
	c.to.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !strings.HasPrefix(c.to.Text, "bob@example.org, \"Sender") && !strings.HasPrefix(c.to.Text, "bob@example.org, Sender") {
		t.Fatalf("after accepting: %q", c.to.Text)
	}
	if len(c.float.Objects) != 0 {
		t.Fatal("suggestions still shown")
	}
}

func TestReplyPrefill(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 2)
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	h.u.act.doReply(false)
	h.settle()
	c := h.u.composers[len(h.u.composers)-1]
	if c.subject.Text != "Re: Message 1" || c.to.Text != "Sender 1 <sender1@example.org>" {
		t.Fatalf("reply: subject %q to %q", c.subject.Text, c.to.Text)
	}
	body := c.body.Text
	if !strings.Contains(body, ", Sender 1 wrote:\n> Hello,\n>\n> this is message 1.\n") ||
		!strings.HasPrefix(body, "\n\nOn ") {
		t.Fatalf("quoted body %q", body)
	}
	if c.base.InReplyTo != "Message.1@example.org" || len(c.base.References) != 1 {
		t.Fatalf("threading %q %v", c.base.InReplyTo, c.base.References)
	}
	c.doSend()
	h.settle()
	if d := h.sender.sent[0]; d.InReplyTo != "Message.1@example.org" {
		t.Fatalf("sent reply loses In-Reply-To: %+v", d)
	}

	// Reply all leaves out my own address and adds the other recipients in Cc.
	inbox, _ := h.cache.FolderByRole(context.Background(), "work", localcache.RoleInbox)
	raw := []byte("From: Ann <ann@example.org>\r\nTo: me@work.example, Bob <bob@example.org>\r\nCc: carol@example.org\r\n" +
		"Subject: Re: Plans\r\nMessage-ID: <plans2@example.org>\r\nReferences: <plans1@example.org>\r\n\r\nSee you.\r\n")
	h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{UID: 50, Subject: "Re: Plans", FromName: "Ann", FromAddr: "ann@example.org", Date: h.now.Add(time.Hour)}, raw
	})
	h.settle()
	h.u.list.reload()
	h.settle()
	h.click(0, 0)
	h.u.act.doReply(true)
	c = h.u.composers[len(h.u.composers)-1]
	if c.subject.Text != "Re: Plans" || c.to.Text != "Ann <ann@example.org>" ||
		c.cc.Text != "Bob <bob@example.org>, carol@example.org" {
		t.Fatalf("reply all: subject %q to %q cc %q", c.subject.Text, c.to.Text, c.cc.Text)
	}
	if !slices.Equal(c.base.References, []string{"plans1@example.org", "plans2@example.org"}) {
		t.Fatalf("references %v", c.base.References)
	}
	// Forward.
	h.u.act.doForward()
	c = h.u.composers[len(h.u.composers)-1]
	if c.subject.Text != "Fwd: Re: Plans" || c.to.Text != "" || !strings.Contains(c.body.Text, "See you.") {
		t.Fatalf("forward: %q %q %q", c.subject.Text, c.to.Text, c.body.Text)
	}
	_ = ids
}

func TestStatusLineBannersAndNotifications(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 1)
	u := h.u
	u.apply(Batch{Events: []types.Event{
		types.ConnState{Account: "work", State: types.StateConnecting},
		types.SyncProgress{Account: "work", Folder: "INBOX", Done: 1200, Total: 10000},
	}})
	if !containsText(u.status.view(), "work: Connecting…") {
		t.Fatalf("status %q", texts(u.status.view()))
	}
	if !u.status.prog.Visible() || u.status.prog.Value != 1200 ||
		!strings.Contains(u.status.progText.String(), "1,200 of 10,000") {
		t.Fatalf("progress %v %q", u.status.prog.Value, u.status.progText.String())
	}
	u.apply(Batch{Events: []types.Event{
		types.SyncProgress{Account: "work", Folder: "INBOX", Done: 10000, Total: 10000},
		types.ConnState{Account: "work", State: types.StateError, Err: errors.New("server said no")},
		types.Error{Account: "work", Op: "move", Err: errors.New("mailbox is read-only")},
		types.Notice{Account: "work", Text: "This POP3 server has no UIDL"},
	}})
	if u.status.prog.Visible() {
		t.Fatal("progress still shown after the sync")
	}
	if !containsText(u.status.view(), "work: Something went wrong with mail.work.example.") ||
		!containsText(u.status.view(), "Retry") || !containsText(u.status.view(), "Details") {
		t.Fatalf("status %q", texts(u.status.view()))
	}
	if got := u.banners.texts(); len(got) != 2 || got[0] != "move failed: mailbox is read-only" || got[1] != "This POP3 server has no UIDL" {
		t.Fatalf("banners %q", got)
	}
	// Retry asks the engine to check now.
	before := h.engines["work"].wakeCount()
	for _, obj := range test.LaidOutObjects(u.status.view()) {
		if b, ok := obj.(interface {
			Tapped(*fyne.PointEvent)
		}); ok && containsText(obj, "Retry") {
			b.Tapped(nil)
			break
		}
	}
	h.settle()
	if h.engines["work"].wakeCount() == before {
		t.Fatal("Retry did not wake the engine")
	}
	// Dismissing a banner removes it.
	u.banners.dismiss(u.banners.items[0])
	if len(u.banners.items) != 1 {
		t.Fatal("dismiss")
	}

	// New mail: one notification with sender and subject; a summary for several.
	one := localcache.Message{FromName: "Ann", Subject: "Hello there"}
	test.AssertNotificationSent(t, fyne.NewNotification("Ann", "Hello there"), func() {
		u.apply(Batch{Events: []types.Event{types.NewMail{Account: "work", Folder: "INBOX", Messages: []localcache.Message{one}}}})
	})
	many := []localcache.Message{one, {FromName: "Bob", Subject: "x"}, {FromName: "Ann", Subject: "y"}}
	test.AssertNotificationSent(t, fyne.NewNotification("3 new messages", "From Ann, Bob and others"), func() {
		u.apply(Batch{Events: []types.Event{types.NewMail{Account: "work", Folder: "INBOX", Messages: many}}})
	})
}

func TestWelcomeScreenWithoutAccounts(t *testing.T) {
	started := make(chan struct{}, 1)
	var h *harness
	h = newHarness(t, harnessOpts{accounts: []string{}, startDemo: func(ctx context.Context) error {
		// The demo creates an account's folders in the cache.
		h.folder("demo", "INBOX", localcache.RoleInbox)
		started <- struct{}{}
		return nil
	}})
	root := h.u.root
	if !containsText(root, "Welcome to Postbode") || !containsText(root, "Add an account") || !containsText(root, "Try the demo") {
		t.Fatalf("welcome screen texts %q", texts(root))
	}
	h.u.showAddAccount()
	if h.u.wizard == nil || !containsText(h.u.wizard.Window().Content(), "Set up your mail account") {
		t.Fatal("Add an account does not open the setup wizard")
	}
	h.u.wizard.Close()
	if h.u.wizard != nil {
		t.Fatal("the closed wizard is still kept")
	}
	h.u.startDemo()
	h.settle()
	select {
	case <-started:
	default:
		t.Fatal("StartDemo not called")
	}
	if !h.u.showingPanes || len(h.u.folders.entries) != 2 || h.u.folders.entries[0].name != "demo" {
		t.Fatal("the demo account is not shown after starting the demo")
	}
}

func TestReaderBelowAndPreferences(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 2)
	h.u.setReaderBelow(true)
	if h.u.innerSplit.Horizontal {
		t.Fatal("reader not below")
	}
	h.u.innerSplit.SetOffset(0.3)
	h.u.savePrefs()
	if !h.u.prefs.ReaderBelow || h.u.prefs.SplitBelow != 0.3 {
		t.Fatal("layout not remembered")
	}
	if w := h.u.prefs.Width; w != 1200 {
		t.Fatalf("window width remembered as %v", w)
	}
}

func TestKeyboardShortcuts(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	_, ids := seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	ctrl := fyne.KeyModifierShortcutDefault
	find := func(key fyne.KeyName, mod fyne.KeyModifier) *fyne.MenuItem {
		t.Helper()
		for _, m := range h.u.act.menu.Items {
			for _, it := range m.Items {
				if s, ok := it.Shortcut.(*desktop.CustomShortcut); ok && s.KeyName == key && s.Modifier == mod {
					return it
				}
			}
		}
		t.Fatalf("no menu item for %v+%v", mod, key)
		return nil
	}
	last := func() *composer { return h.u.composers[len(h.u.composers)-1] }
	find(fyne.KeyN, ctrl).Action()
	if len(h.u.composers) != 1 || last().to.Text != "" || last().subject.Text != "" {
		t.Fatal("Ctrl+N did not open an empty composer")
	}
	find(fyne.KeyR, ctrl).Action()
	if last().subject.Text != "Re: Message 2" || last().cc.Text != "" {
		t.Fatalf("Ctrl+R: %q", last().subject.Text)
	}
	find(fyne.KeyR, ctrl|fyne.KeyModifierShift).Action()
	if len(h.u.composers) != 3 || last().subject.Text != "Re: Message 2" {
		t.Fatal("Ctrl+Shift+R did not reply to all")
	}
	find(fyne.KeyL, ctrl).Action()
	if last().subject.Text != "Fwd: Message 2" {
		t.Fatalf("Ctrl+L: %q", last().subject.Text)
	}
	wakes := func() int {
		e := h.engines["work"]
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.wakes
	}
	before := wakes()
	find(fyne.KeyT, ctrl).Action()
	h.settle()
	if wakes() == before {
		t.Fatal("Ctrl+T did not get mail")
	}
	c := h.u.win.Canvas()
	before = wakes()
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF5})
	h.settle()
	if wakes() == before {
		t.Fatal("F5 did not get mail")
	}
	find(fyne.KeyF, ctrl).Action()
	if c.Focused() != h.u.search.entry {
		t.Fatal("Ctrl+F did not focus the search field")
	}
	c.Unfocus()
	c.(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: ctrl})
	if c.Focused() != h.u.search.entry {
		t.Fatal("Ctrl+K did not focus the search field")
	}
	c.Unfocus()
	c.OnTypedRune()('s')
	h.settle()
	if !h.message(ids[2]).Flags.Has(localcache.FlagFlagged) {
		t.Fatal("S without focus did not flag")
	}
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	h.settle()
	trash, _ := h.cache.FolderByRole(context.Background(), "work", localcache.RoleTrash)
	if h.message(ids[2]).FolderID != trash.ID {
		t.Fatal("Delete without focus did not delete")
	}
}

func TestFirstFoldersArrivingLaterAreOpened(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	// A new account: the window shows it before its first synchronisation brings folders.
	if len(h.u.folders.entries) != 1 || h.u.folders.entries[0].kind != entryAccount {
		t.Fatalf("entries %+v", h.u.folders.entries)
	}
	seedInbox(h, 2)
	h.settle()
	if h.u.list.scope.title != "Inbox" || h.u.list.total != 2 {
		t.Fatalf("after the first sync the list shows %q with %d rows", h.u.list.scope.title, h.u.list.total)
	}
}

func TestClosingAComposerAsksBeforeDiscarding(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.u.openComposer(Draft{Account: "work"})
	c.close()
	if len(h.u.composers) != 0 {
		t.Fatal("an untouched composer did not close")
	}
	c = h.u.openComposer(Draft{Account: "work"})
	test.Type(c.body, "Half a thought")
	c.close()
	over := c.win.Canvas().Overlays().Top()
	if len(h.u.composers) != 1 || over == nil || !containsText(over, "has not been sent") {
		t.Fatal("closing with text did not ask")
	}
	c.doSave()
	h.settle()
	c.close()
	if len(h.u.composers) != 0 {
		t.Fatal("a saved draft still asked before closing")
	}
}

func TestArrowKeysReachTheListWithoutFocus(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	h.u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown})
	h.settle()
	if h.u.reader.id != ids[2] {
		t.Fatalf("Down opened %d, want the newest %d", h.u.reader.id, ids[2])
	}
}

// The folder picker lists every account's folders; copying into another account's folder leaves
// the original and puts an exact copy there.
func TestCopyToAnotherAccount(t *testing.T) {
	h := newHarness(t, harnessOpts{accounts: []string{"work", "home"}})
	h.startPump()
	_, ids := seedInbox(h, 3)
	homeInbox := h.folder("home", "INBOX", localcache.RoleInbox)
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	h.u.act.doCopy()
	h.settle()
	over := h.u.win.Canvas().Overlays().Top()
	if over == nil || !containsText(over, "Copy to…") || !containsText(over, "home › Inbox") {
		t.Fatalf("the picker does not offer the other account's folders: %q", texts(over))
	}
	list, copyButton := pickerParts(t, over, "Copy")
	for i := 0; i < list.Length(); i++ {
		list.Select(i) // the last of them is home's Inbox: the other account comes after this one
	}
	test.Tap(copyButton)
	h.settle()
	original := h.message(ids[2])
	copies, err := h.cache.Page(context.Background(), []int64{homeInbox.ID}, nil, 10)
	if err != nil || len(copies) != 1 || copies[0].Subject != original.Subject {
		t.Fatalf("home's Inbox holds %+v (%v)", copies, err)
	}
	if original.FolderID == homeInbox.ID {
		t.Fatal("the original moved")
	}
}

// pickerParts finds the folder picker's list and its button labelled verb.
func pickerParts(t *testing.T, over fyne.CanvasObject, verb string) (*widget.List, *widget.Button) {
	t.Helper()
	var list *widget.List
	var button *widget.Button
	for _, obj := range test.LaidOutObjects(over) {
		switch w := obj.(type) {
		case *widget.List:
			list = w
		case *widget.Button:
			if w.Text == verb {
				button = w
			}
		}
	}
	if list == nil || button == nil {
		t.Fatalf("picker has no list or %s button", verb)
	}
	return list, button
}
