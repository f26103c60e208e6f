package accounts_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/types"
)

// serverSeen is, by UID, whether each message of a user's mailbox on the test bed is \Seen.
func serverSeen(t *testing.T, d *testbed.Dovecot, user, mailbox string) map[uint32]bool {
	t.Helper()
	out := map[uint32]bool{}
	for _, m := range d.MailboxT(t, user, mailbox, false) {
		out[m.UID] = m.Has(imap.FlagSeen)
	}
	return out
}

// A whole folder marked read (MarkRead.Folders, one UID STORE of the folder's range) on the real
// Dovecot: undone before the replay the server never sees it (UIDNEXT and every flag stay), undone
// after it the server gets back exactly the unread messages; a message moved into the folder
// before the change (its UID known only during the replay) is marked too, and one another client
// marked unread meanwhile (the range covers it), but not one delivered to the server after the
// change.
func TestMarkFolderReadOnDovecot(t *testing.T) {
	d, cache, _ := aliceBed(t, 43, 40)
	if err := d.Deliver("alice", "Archive", testbed.Generate(44, 2, testbed.GenOptions{})...); err != nil {
		t.Fatal(err)
	}
	acc := testkit.BedAccount(d, "alice", "alice", types.IMAP)
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{acc}}, cache,
		testkit.NewSecrets(nil, map[string]string{"alice": d.Password("alice")}), map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	ctx := context.Background()
	sync := func() {
		t.Helper()
		if err := m.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if ops, _ := cache.PendingOps(ctx, "alice"); len(ops) != 0 {
			t.Fatalf("%d changes left unreplayed", len(ops))
		}
	}
	sync()
	inbox, err := cache.FolderByRole(ctx, "alice", localcache.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := cache.PageIDs(ctx, []int64{inbox.ID}, nil, 100)
	if err != nil || len(ids) != 40 {
		t.Fatalf("%d ids (%v)", len(ids), err)
	}
	if err := m.Do(ctx, types.MarkRead{IDs: ids[:15], Read: true}); err != nil {
		t.Fatal(err)
	}
	sync()
	before := serverSeen(t, d, "alice", "INBOX")
	if n := countTrue(before); len(before) != 40 || n != 15 {
		t.Fatalf("server INBOX: %d of %d seen", n, len(before))
	}
	unreadHere := func(want int) {
		t.Helper()
		if f, err := cache.Folder(ctx, inbox.ID); err != nil || f.Unread != want {
			t.Fatalf("local Inbox: %d unread, want %d (%v)", f.Unread, want, err)
		}
	}
	markAll := func() accounts.Undo {
		t.Helper()
		back, err := m.DoUndoable(ctx, types.MarkRead{Folders: []int64{inbox.ID}, Read: true})
		if err != nil || !back.Possible() {
			t.Fatalf("mark the folder read: %v (undo possible: %v)", err, back.Possible())
		}
		unreadHere(0)
		return back
	}

	// Undone before the replay: withdrawn.
	start, err := d.Status("alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if err := markAll().Run(ctx); err != nil {
		t.Fatal(err)
	}
	unreadHere(25)
	sync()
	if got := serverSeen(t, d, "alice", "INBOX"); !maps.Equal(got, before) {
		t.Fatalf("withdrawn change reached the server: %d of %d seen", countTrue(got), len(got))
	}
	if end, err := d.Status("alice", "INBOX"); err != nil || end.UIDNext != start.UIDNext {
		t.Fatalf("UIDNEXT %d, then %d (%v)", start.UIDNext, end.UIDNext, err)
	}

	// Undone after the replay: reversed for the 25 that were unread.
	back := markAll()
	sync()
	if got := serverSeen(t, d, "alice", "INBOX"); countTrue(got) != 40 {
		t.Fatalf("after the replay %d of %d seen on the server", countTrue(got), len(got))
	}
	if err := back.Run(ctx); err != nil {
		t.Fatal(err)
	}
	sync()
	if got := serverSeen(t, d, "alice", "INBOX"); !maps.Equal(got, before) {
		t.Fatalf("after undoing the replayed change: %d of %d seen, want 15 of 40", countTrue(got), len(got))
	}
	unreadHere(25)

	// A message moved in without a UID yet, and one delivered after the change.
	archive, err := cache.FolderByName(ctx, "alice", "Archive")
	if err != nil {
		t.Fatal(err)
	}
	archived, err := cache.PageIDs(ctx, []int64{archive.ID}, nil, 10)
	if err != nil || len(archived) != 2 {
		t.Fatalf("%d archived (%v)", len(archived), err)
	}
	if err := m.Do(ctx, types.Move{IDs: archived[:1], To: inbox.ID}); err != nil {
		t.Fatal(err)
	}
	// Another client marks a message unread that this one has read and not synced since: the
	// folder's range covers it, where a list of the messages changed here would not.
	var readUID imap.UID
	for uid, seen := range before {
		if seen {
			readUID = imap.UID(uid)
			break
		}
	}
	c := d.IMAPSClientT(t, "alice", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(readUID), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	c.Logout()
	markAll()
	if err := d.Deliver("alice", "INBOX", testbed.Generate(45, 1, testbed.GenOptions{})...); err != nil {
		t.Fatal(err)
	}
	sync()
	got := serverSeen(t, d, "alice", "INBOX")
	newest := slices.Max(slices.Collect(maps.Keys(got)))
	if len(got) != 42 || countTrue(got) != 41 || got[newest] {
		t.Fatalf("server INBOX: %d of %d seen, the newest (UID %d) seen: %v; want all but the newest", countTrue(got), len(got), newest, got[newest])
	}
	unreadHere(1)
}

func countTrue(m map[uint32]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}
