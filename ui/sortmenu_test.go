package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// tapSortItem opens the Sort by menu from its button and chooses the item labelled label.
func (h *harness) tapSortItem(label string) {
	h.t.Helper()
	test.Tap(h.u.list.sortBtn)
	var shown bool
	if over := h.u.win.Canvas().Overlays().Top(); over != nil {
		for _, obj := range test.LaidOutObjects(over) {
			if _, ok := obj.(*widget.PopUpMenu); ok {
				shown = true
			}
		}
	}
	if !shown {
		h.t.Fatal("the sort button opens no menu")
	}
	closeOverlays(h)
	for _, it := range h.u.list.sortMenu().Items {
		if it.Label == label {
			it.Action()
			h.settle()
			return
		}
	}
	h.t.Fatalf("no sort menu item %q", label)
}

// seedSortable fills a folder with n messages whose senders, sizes and dates all differ in
// different orders.
func seedSortable(h *harness, n int) localcache.Folder {
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	base := h.now.Add(-time.Duration(n) * time.Hour)
	h.addMessages(inbox, n, func(i int) (localcache.Message, []byte) {
		return localcache.Message{Subject: fmt.Sprintf("Message %03d", i), FromName: fmt.Sprintf("Sender %c", 'A'+(i*7)%26),
			FromAddr: "x@example.org", Date: base.Add(time.Duration(i) * time.Hour), Size: int64(1000 + (i*13)%n)}, nil
	})
	h.u.folders.reload()
	h.settle()
	return inbox
}

func TestSortMenuOrdersTheListAndIsRememberedPerFolder(t *testing.T) {
	settingsFile := filepath.Join(t.TempDir(), "ui.json")
	h := newHarness(t, harnessOpts{settingsFile: settingsFile})
	inbox := seedSortable(h, 250) // more than two pages
	h.folder("work", "Archive", localcache.RoleArchive)
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	if got := h.u.list.sortBtn.Text; got != "Date" {
		t.Fatalf("sort button says %q, want Date", got)
	}
	h.tapSortItem("Sender")
	if got := h.u.list.sortBtn.Text; got != "Sender" {
		t.Fatalf("sort button says %q, want Sender", got)
	}
	// Every row, across pages loaded from their marks, in sender order.
	ml := h.u.list
	for p := 0; p*pageSize < ml.total; p++ {
		ml.request(p)
		h.settle()
	}
	want, err := h.cache.PageIDsSorted(context.Background(), []int64{inbox.ID}, localcache.DefaultSort(localcache.SortSender), nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range want {
		if m, ok := ml.row(i); !ok || m.ID != id {
			t.Fatalf("row %d: %+v, want message %d", i, m, id)
		}
	}
	if m, _ := ml.row(0); m.FromName != "Sender A" {
		t.Fatalf("first row from %q", m.FromName)
	}
	h.tapSortItem("Descending")
	if m, _ := ml.row(0); m.FromName != "Sender Z" {
		t.Fatalf("descending: first row from %q", m.FromName)
	}
	h.tapSortItem("Size")
	first, _ := ml.row(0)
	second, _ := ml.row(1)
	if first.Size < second.Size {
		t.Fatalf("by size: %d before %d", first.Size, second.Size)
	}

	// Another folder keeps its own order; coming back finds the one chosen here.
	h.selectFolder("work", "Archive")
	if got := ml.sortBtn.Text; got != "Date" {
		t.Fatalf("Archive sorted by %q", got)
	}
	h.selectFolder("work", "Inbox")
	if ml.scope.sort != localcache.DefaultSort(localcache.SortSize) {
		t.Fatalf("Inbox order %+v after coming back", ml.scope.sort)
	}
	// And so does the next start.
	prefs, err := loadSettings(settingsFile)
	if err != nil || prefs.sortFor("folder:"+itoa(inbox.ID)) != localcache.DefaultSort(localcache.SortSize) {
		t.Fatalf("settings file: %v, %+v", err, prefs.Sorts)
	}
	// Search results have no order to choose.
	h.search("message")
	if ml.sortBtn.Visible() {
		t.Fatal("the sort button shows over search results")
	}
}

// View → Sort by offers the same choices, checked as the list is sorted.
func TestViewMenuSortBy(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedSortable(h, 5)
	h.selectFolder("work", "Inbox")
	a := h.u.act
	a.mainMenu()
	checked := func() []string {
		var out []string
		for _, it := range a.sortBy.ChildMenu.Items {
			if it.Checked {
				out = append(out, it.Label)
			}
		}
		return out
	}
	if got := checked(); len(got) != 2 || got[0] != "Date" || got[1] != "Descending" || a.sortBy.Disabled {
		t.Fatalf("View → Sort by checks %q (disabled %v)", got, a.sortBy.Disabled)
	}
	for _, it := range a.sortBy.ChildMenu.Items {
		if it.Label == "Subject" {
			it.Action()
		}
	}
	h.settle()
	if got := checked(); len(got) != 2 || got[0] != "Subject" || got[1] != "Ascending" {
		t.Fatalf("after choosing Subject: %q", got)
	}
	if h.u.list.sortBtn.Text != "Subject" {
		t.Fatalf("the header says %q", h.u.list.sortBtn.Text)
	}
	h.search("message")
	if !a.sortBy.Disabled {
		t.Fatal("Sort by is offered for search results")
	}
}
