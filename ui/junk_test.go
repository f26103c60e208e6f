package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"postbode/localcache"
	"postbode/types"
)

// J moves the selection to Junk with $Junk; Shift+J in Junk moves it back with $NotJunk. Both
// are also on the Message menu and the context menu.
func TestJunkKeysAndMenus(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.startPump()
	inbox, ids := seedInbox(h, 4)
	junk := h.folder("work", "Junk", localcache.RoleJunk)
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.click(0, 0) // the newest: ids[3]
	h.u.act.typedRune('j')
	h.settle()
	m := h.message(ids[3])
	if m.FolderID != junk.ID || !localcache.HasKeyword(m.Keywords, localcache.KeywordJunk) {
		t.Fatalf("after J: folder %d, keywords %q", m.FolderID, m.Keywords)
	}
	if h.u.list.total != 3 {
		t.Fatalf("the inbox still lists %d messages", h.u.list.total)
	}
	h.selectFolder("work", "Junk")
	h.click(0, 0)
	h.u.act.typedRune('J')
	h.settle()
	m = h.message(ids[3])
	if m.FolderID != inbox.ID || localcache.HasKeyword(m.Keywords, localcache.KeywordJunk) ||
		!localcache.HasKeyword(m.Keywords, localcache.KeywordNotJunk) {
		t.Fatalf("after Shift+J: folder %d, keywords %q", m.FolderID, m.Keywords)
	}

	labels := func(items []string) map[string]bool {
		out := map[string]bool{}
		for _, l := range items {
			out[l] = true
		}
		return out
	}
	var ctx, msgMenu []string
	for _, it := range h.u.act.contextMenu().Items {
		ctx = append(ctx, it.Label)
	}
	for _, menu := range h.u.act.mainMenu().Items {
		if menu.Label == "Message" {
			for _, it := range menu.Items {
				msgMenu = append(msgMenu, it.Label)
			}
		}
	}
	for name, items := range map[string][]string{"context menu": ctx, "Message menu": msgMenu} {
		if l := labels(items); !l["Junk"] || !l["Not junk"] {
			t.Errorf("%s has %q", name, items)
		}
	}
	// From the context menu, as a user would.
	h.selectFolder("work", "Inbox")
	h.click(1, 0)
	id := h.u.list.selectedIDs()[0]
	for _, it := range h.u.act.contextMenu().Items {
		if it.Label == "Junk" {
			it.Action()
		}
	}
	h.settle()
	if h.message(id).FolderID != junk.ID {
		t.Fatal("the context menu's Junk did not move the message")
	}
}

// A archives the selection into the account's Archive folder, made when there is none, and is
// on the Message and context menus; Undo brings the message back.
func TestArchiveKeyMenusAndUndo(t *testing.T) {
	h := newHarness(t, harnessOpts{noticeTime: 5 * time.Second})
	h.startPump()
	inbox, ids := seedInbox(h, 3)
	h.selectFolder("work", "Inbox")
	h.click(0, 0) // the newest: ids[2]
	h.u.act.typedRune('a')
	h.runUntil("the Undo offered for Archive", func() bool { return h.u.undo != nil })
	archive, err := h.cache.FolderByRole(context.Background(), "work", localcache.RoleArchive)
	if err != nil {
		t.Fatalf("no Archive folder made: %v", err)
	}
	if h.message(ids[2]).FolderID != archive.ID {
		t.Fatal("A did not archive the message")
	}
	h.u.undoLast()
	h.settle()
	if h.message(ids[2]).FolderID != inbox.ID {
		t.Fatal("Undo did not bring the archived message back")
	}
	for name, items := range map[string][]*fyne.MenuItem{"context menu": h.u.act.contextMenu().Items, "Message menu": h.u.act.messageItems} {
		found := false
		for _, it := range items {
			found = found || it.Label == tr("Archive")
		}
		if !found {
			t.Errorf("no Archive in the %s", name)
		}
	}
}

// Once Junk and Not junk have trained the filter, the reader shows a message's junk score beside
// its date.
func TestReaderShowsTheJunkScore(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 12)
	ctx := context.Background()
	h.u.reader.show(ids[11])
	h.settle()
	if strings.Contains(h.u.reader.date.String(), "junk score") {
		t.Fatal("a score shown before any training")
	}
	if err := h.mgr.Do(ctx, types.MarkJunk{IDs: ids[:5], Junk: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.mgr.Do(ctx, types.MarkJunk{IDs: ids[5:10], Junk: false}); err != nil {
		t.Fatal(err)
	}
	h.u.reader.show(ids[11])
	h.settle()
	if !strings.Contains(h.u.reader.date.String(), "junk score") {
		t.Fatalf("date line %q", h.u.reader.date.String())
	}
}
