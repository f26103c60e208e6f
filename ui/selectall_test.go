package ui

import (
	"context"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"postbode/localcache"
)

// Selecting a range whose pages were never loaded reads the ids from the index in one go.
func TestSelectAllAndRangesBeyondLoadedPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, ids := seedInbox(h, 450)
	ml := h.u.list
	if ml.total != 450 {
		t.Fatalf("list has %d rows", ml.total)
	}
	rowID := func(row int) int64 { return ids[len(ids)-1-row] } // newest first

	ml.selectRange(150, 420)
	h.settle()
	if len(ml.selected) != 271 {
		t.Fatalf("range 150..420 selected %d", len(ml.selected))
	}
	for _, row := range []int{150, 199, 200, 333, 420} {
		if !ml.selected[rowID(row)] {
			t.Fatalf("row %d not selected", row)
		}
	}
	if ml.selected[rowID(149)] || ml.selected[rowID(421)] {
		t.Fatal("a row outside the range is selected")
	}

	ml.list.TypedShortcut(&fyne.ShortcutSelectAll{})
	h.settle()
	if len(ml.selected) != 450 || !ml.selected[rowID(0)] || !ml.selected[rowID(449)] {
		t.Fatalf("Ctrl+A selected %d of 450", len(ml.selected))
	}
}

// Ctrl+A then Mark read on a folder's list names the folder (one statement here, one UID range for
// the server) rather than each of its messages, and Undo makes unread again exactly the messages
// that were. A selection short of every row, or rows changed since Ctrl+A, names the messages.
func TestSelectAllMarkReadNamesTheFolder(t *testing.T) {
	h := newHarness(t, harnessOpts{noticeTime: 5 * time.Second})
	h.startPump() // changes in the cache reload the list, as in the app
	inbox, ids := seedInbox(h, 450)
	ctx := context.Background()
	if err := h.cache.SetFlags(ctx, ids[:100], localcache.FlagSeen, 0, false); err != nil {
		t.Fatal(err)
	}
	h.settle()
	ml := h.u.list
	ml.list.TypedShortcut(&fyne.ShortcutSelectAll{})
	h.settle()
	if got := ml.wholeFolders(); !slices.Equal(got, []int64{inbox.ID}) {
		t.Fatalf("Ctrl+A on the Inbox: whole folders %v", got)
	}
	h.u.act.doMarkRead(true)
	h.runUntil("the Undo notice", func() bool { return h.u.undo != nil })
	if f, _ := h.cache.Folder(ctx, inbox.ID); f.Unread != 0 {
		t.Fatalf("%d unread after mark read", f.Unread)
	}
	ops, err := h.cache.PendingOps(ctx, "work")
	if err != nil || len(ops) != 1 {
		t.Fatalf("%d operations queued (%v)", len(ops), err)
	}
	if op, ok := ops[0].Op.(localcache.FlagsOp); !ok || op.UpTo != 450 || len(op.Items) != 350 {
		t.Fatalf("queued %+v, want the folder up to UID 450 with the 350 changed", ops[0].Op)
	}
	h.runUntil("the list reloaded after the change", func() bool { return ml.wholeFolders() == nil })
	h.u.undoLast()
	h.settle()
	for i, id := range ids {
		if read := h.message(id).Flags.Has(localcache.FlagSeen); read != (i < 100) {
			t.Fatalf("message %d read %v after the undo", i, read)
		}
	}
	if ops, _ := h.cache.PendingOps(ctx, "work"); len(ops) != 0 {
		t.Fatalf("%d operations left after undoing before the replay", len(ops))
	}

	ml.list.TypedShortcut(&fyne.ShortcutSelectAll{})
	h.settle()
	h.click(3, fyne.KeyModifierControl) // one row out
	if ml.wholeFolders() != nil {
		t.Fatal("whole folder with a row left out")
	}
	h.u.act.doMarkRead(true)
	h.runUntil("the Undo notice", func() bool { return h.u.undo != nil })
	ops, _ = h.cache.PendingOps(ctx, "work")
	if len(ops) != 1 || ops[0].Op.(localcache.FlagsOp).UpTo != 0 {
		t.Fatalf("a partial selection queued %+v", ops)
	}
	if f, _ := h.cache.Folder(ctx, inbox.ID); f.Unread != 1 {
		t.Fatalf("%d unread, want the one left out", f.Unread)
	}
}
