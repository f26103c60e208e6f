package localcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *Cache {
	t.Helper()
	return openIn(t, t.TempDir())
}

// openIn opens the cache in dir until the test ends.
func openIn(t *testing.T, dir string) *Cache {
	t.Helper()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// reopen closes c and opens the cache in dir again, as the next start of the program would.
func reopen(t *testing.T, c *Cache, dir string) *Cache {
	t.Helper()
	c.Close()
	return openIn(t, dir)
}

func mustFolder(t *testing.T, c *Cache, account, name, role string) Folder {
	t.Helper()
	f, err := c.EnsureFolder(context.Background(), Folder{Account: account, Name: name, Role: role, Subscribed: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func genMessages(account string, folderID int64, n int, start time.Time) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{
			Account: account, FolderID: folderID, UID: uint32(i + 1), UIDValidity: 7,
			MessageID: fmt.Sprintf("<m%d@example.org>", i), Subject: fmt.Sprintf("Subject %d about topic%d", i, i%100),
			FromName: "Sender " + fmt.Sprint(i%50), FromAddr: fmt.Sprintf("s%d@example.org", i%50),
			To: "me@example.org", Date: start.Add(time.Duration(i) * time.Minute), Size: 2000,
			BodyText: fmt.Sprintf("body text number %d with keyword%d", i, i%1000),
		}
		if i%3 == 0 {
			msgs[i].Flags = FlagSeen
		}
	}
	return msgs
}

func TestFoldersOrderAndRoles(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	mustFolder(t, c, "a", "Zeta", "")
	mustFolder(t, c, "a", "Trash", RoleTrash)
	mustFolder(t, c, "a", "INBOX", RoleInbox)
	mustFolder(t, c, "a", "Sent", RoleSent)
	mustFolder(t, c, "b", "INBOX", RoleInbox)
	fs, err := c.Folders(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name)
	}
	if got, want := fmt.Sprint(names), "[INBOX Sent Trash Zeta]"; got != want {
		t.Fatalf("folders = %s, want %s", got, want)
	}
	if f, err := c.FolderByRole(ctx, "a", RoleSent); err != nil || f.Name != "Sent" {
		t.Fatalf("FolderByRole(sent) = %+v, %v", f, err)
	}
	if _, err := c.FolderByName(ctx, "a", "Nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing folder error = %v", err)
	}
	all, _ := c.Folders(ctx, "")
	if len(all) != 5 {
		t.Fatalf("all folders = %d, want 5", len(all))
	}
}

func TestPagingCoversEveryMessageOnceNewestFirst(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	msgs := genMessages("a", f.ID, 237, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// Equal dates must still page without gaps or repeats.
	for i := 100; i < 120; i++ {
		msgs[i].Date = msgs[100].Date
	}
	if _, err := c.AddMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var cur *Cursor
	var last time.Time
	for pages := 0; ; pages++ {
		page, err := c.Page(ctx, []int64{f.ID}, cur, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if seen[m.ID] {
				t.Fatalf("message %d returned twice", m.ID)
			}
			if !last.IsZero() && m.Date.After(last) {
				t.Fatalf("not newest first: %v after %v", m.Date, last)
			}
			seen[m.ID], last = true, m.Date
		}
		cur = CursorOf(page[len(page)-1])
	}
	if len(seen) != len(msgs) {
		t.Fatalf("paged %d messages, want %d", len(seen), len(msgs))
	}
}

func TestCountsFollowFlagsMovesAndDeletes(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox := mustFolder(t, c, "a", "INBOX", RoleInbox)
	arch := mustFolder(t, c, "a", "Archive", RoleArchive)
	ids, err := c.AddMessages(ctx, genMessages("a", inbox.ID, 9, time.Now())) // 3 seen, 6 unread
	if err != nil {
		t.Fatal(err)
	}
	unread := func(id int64) int {
		n, err := c.UnreadCount(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := unread(inbox.ID); n != 6 {
		t.Fatalf("unread = %d, want 6", n)
	}
	if err := c.SetFlags(ctx, ids[1:3], FlagSeen, 0, true); err != nil {
		t.Fatal(err)
	}
	if n := unread(inbox.ID); n != 4 {
		t.Fatalf("unread after mark read = %d, want 4", n)
	}
	if err := c.Move(ctx, ids[4:6], arch.ID, true); err != nil {
		t.Fatal(err)
	}
	if a, i := unread(arch.ID), unread(inbox.ID); a != 2 || i != 2 {
		t.Fatalf("unread after move: archive %d inbox %d, want 2 2", a, i)
	}
	if err := c.Expunge(ctx, ids[7:8], true); err != nil {
		t.Fatal(err)
	}
	if n := unread(inbox.ID); n != 1 {
		t.Fatalf("unread after delete = %d, want 1", n)
	}
	f, _ := c.Folder(ctx, inbox.ID)
	if f.Total != 6 {
		t.Fatalf("inbox total = %d, want 6", f.Total)
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || ops[0].Kind() != OpFlags || ops[1].Kind() != OpMove || ops[2].Kind() != OpExpunge {
		t.Fatalf("pending ops = %+v", ops)
	}
	if ops[1].Op.(MoveOp).ToFolderID != arch.ID || len(ops[1].Items()) != 2 || ops[1].Items()[0].UID != 5 {
		t.Fatalf("move op = %+v", ops[1])
	}
}

func TestRefusedOperationsAreUndone(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	inbox := mustFolder(t, c, "a", "INBOX", RoleInbox)
	arch := mustFolder(t, c, "a", "Archive", RoleArchive)
	ids, _ := c.AddMessages(ctx, genMessages("a", inbox.ID, 3, time.Now()))
	if err := c.SetFlags(ctx, ids, FlagFlagged, 0, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Move(ctx, ids[1:2], arch.ID, true); err != nil {
		t.Fatal(err)
	}
	ops, _ := c.PendingOps(ctx, "a")
	for i := len(ops) - 1; i >= 0; i-- {
		if err := c.RefusePending(ctx, ops[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		m, _ := c.Message(ctx, id)
		if m.Flags.Has(FlagFlagged) || m.FolderID != inbox.ID || m.UID == 0 {
			t.Fatalf("message %d not restored: %+v", id, m)
		}
	}
	if ops, _ := c.PendingOps(ctx, "a"); len(ops) != 0 {
		t.Fatalf("pending after refusal: %d", len(ops))
	}
}

func TestPendingSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "INBOX", Role: RoleInbox})
	ids, _ := c.AddMessages(ctx, genMessages("a", f.ID, 2, time.Now()))
	if err := c.SetFlags(ctx, ids, FlagSeen, 0, true); err != nil {
		t.Fatal(err)
	}
	c = reopen(t, c, dir)
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != 1 || ops[0].Op.(FlagsOp).Set != FlagSeen {
		t.Fatalf("after reopen: %+v %v", ops, err)
	}
	if err := c.RetryPending(ctx, ops[0].ID, errors.New("connection reset")); err != nil {
		t.Fatal(err)
	}
	ops, _ = c.PendingOps(ctx, "a")
	if ops[0].Attempts != 1 || ops[0].LastError != "connection reset" {
		t.Fatalf("retry not recorded: %+v", ops[0])
	}
	if err := c.CompletePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}
	if ops, _ := c.PendingOps(ctx, "a"); len(ops) != 0 {
		t.Fatal("completed op still queued")
	}
}

func TestUpsertByUIDAndServerState(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	msgs := genMessages("a", f.ID, 5, time.Now())
	ids, _ := c.AddMessages(ctx, msgs)
	msgs[0].Flags = FlagSeen | FlagFlagged
	again, err := c.AddMessages(ctx, msgs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if again[0] != ids[0] {
		t.Fatalf("upsert made a new id %d, want %d", again[0], ids[0])
	}
	if err := c.ApplyServerFlags(ctx, f.ID, []FlagUpdate{{UID: 2, Flags: FlagAnswered, ModSeq: 9}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveUIDs(ctx, f.ID, []uint32{3, 99}); err != nil {
		t.Fatal(err)
	}
	st, err := c.FolderUIDs(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountUIDs(ctx, f.ID); err != nil || n != len(st) {
		t.Fatalf("CountUIDs = %d, %v; want %d", n, err, len(st))
	}
	got := fmt.Sprint(st)
	want := fmt.Sprintf("[{%d 1 5 0 false} {%d 2 2 9 false} {%d 4 1 0 false} {%d 5 0 0 false}]", ids[0], ids[1], ids[3], ids[4])
	if got != want {
		t.Fatalf("uid state = %s, want %s", got, want)
	}
	if err := c.SetFolderSyncState(ctx, f.ID, 7, 6, 9); err != nil {
		t.Fatal(err)
	}
	if err := c.ResetFolder(ctx, f.ID, 8); err != nil {
		t.Fatal(err)
	}
	f, _ = c.Folder(ctx, f.ID)
	if f.Total != 0 || f.UIDValidity != 8 || f.UIDNext != 0 {
		t.Fatalf("after reset: %+v", f)
	}
}

func TestSearchFindsSubjectAddressAndBody(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	ids, _ := c.AddMessages(ctx, []Message{
		{Account: "a", FolderID: f.ID, UID: 1, Subject: "Vergadering dinsdag", FromAddr: "jan@voorbeeld.nl", Date: time.Now()},
		{Account: "a", FolderID: f.ID, UID: 2, Subject: "Invoice", FromName: "Zoë Café", Date: time.Now()},
		{Account: "a", FolderID: f.ID, UID: 3, Subject: "Other", Date: time.Now()},
	})
	key, _ := c.PutBodies(ctx, []Body{{Account: "a", Raw: []byte("Subject: Other\r\n\r\nthe quarterly numbers")}})
	if err := c.LinkBodies(ctx, []BodyLink{{MessageID: ids[2], Key: key[0], Text: "the quarterly numbers", Snippet: "the quarterly"}}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		"vergader": ids[0], "jan@voorbeeld.nl": ids[0], "zoe cafe": ids[1], "quarterly": ids[2],
		`"OR" NEAR(`: -1, "   ": -1,
	} {
		res, err := c.Search(ctx, SearchQuery{Text: q})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if want == -1 {
			if len(res.Messages) != 0 {
				t.Fatalf("search %q found %d", q, len(res.Messages))
			}
			continue
		}
		if len(res.Messages) != 1 || res.Messages[0].ID != want {
			t.Fatalf("search %q = %+v, want id %d", q, res.Messages, want)
		}
		if res.Searched != 3 || res.WithoutBody != 2 {
			t.Fatalf("search coverage = %d/%d, want 3/2", res.Searched, res.WithoutBody)
		}
	}
	// Deleted messages leave the full-text index too.
	if err := c.Expunge(ctx, ids[2:], false); err != nil {
		t.Fatal(err)
	}
	if res, _ := c.Search(ctx, SearchQuery{Text: "quarterly"}); len(res.Messages) != 0 {
		t.Fatal("expunged message still found")
	}
}

func TestBodiesAreExactAndDeduplicated(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	raw := []byte("From: a@b\r\nSubject: x\r\n\r\n.line with dot\r\n\x00binary\xff\r\n")
	keys, err := c.PutBodies(ctx, []Body{{Account: "a", Origin: "pop3:u1", Folder: "INBOX", Raw: raw}, {Account: "a", Raw: raw}})
	if err != nil {
		t.Fatal(err)
	}
	if keys[0] != keys[1] {
		t.Fatal("same bytes got two keys")
	}
	got, err := c.Body(ctx, keys[0])
	if err != nil || string(got) != string(raw) {
		t.Fatalf("body = %q, %v", got, err)
	}
	if _, err := c.Body(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing body error = %v", err)
	}
	var n int
	if err := c.StoredBodies(ctx, "a", func(b StoredBody) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("stored bodies = %d, %v", n, err)
	}
}

func TestDamagedIndexIsSetAsideAndBodiesKept(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := c.PutBodies(ctx, []Body{{Account: "pop", Origin: "pop3:abc", Folder: "INBOX", Raw: []byte("Subject: kept\r\n\r\nhi")}})
	c.Close()
	// Overwrite the index with garbage, as a crash on a broken disk might.
	if err := os.WriteFile(filepath.Join(dir, indexFile), []byte("this is not a database, but it is long enough to look like one........"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, indexFile+"-wal"))
	c, err = Open(dir)
	if err != nil {
		t.Fatalf("open after damage: %v", err)
	}
	defer c.Close()
	rebuilt, why := c.Rebuilt()
	if !rebuilt || why == "" {
		t.Fatalf("Rebuilt = %v %q", rebuilt, why)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, indexFile+".damaged-*"))
	if len(aside) == 0 {
		t.Fatal("damaged index was not kept")
	}
	if got, err := c.Body(ctx, keys[0]); err != nil || string(got) != "Subject: kept\r\n\r\nhi" {
		t.Fatalf("body after rebuild = %q, %v", got, err)
	}
	if _, err := c.EnsureFolder(ctx, Folder{Account: "pop", Name: "INBOX"}); err != nil {
		t.Fatalf("new index unusable: %v", err)
	}
}

func TestOutboxRoundTrip(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	id, err := c.OutboxAdd(ctx, OutboxItem{Account: "a", MessageID: "<x@y>", Sender: "a@y", Recipients: []string{"b@y", "c@y"}, Raw: []byte("raw")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutboxAdd(ctx, OutboxItem{Account: "a", MessageID: "<x@y>", Raw: []byte("again")}); err == nil {
		t.Fatal("same Message-ID queued twice")
	}
	next := time.Now().Add(time.Minute).Truncate(time.Second)
	if err := c.OutboxSetState(ctx, id, OutboxQueued, next, errors.New("421 try later")); err != nil {
		t.Fatal(err)
	}
	items, err := c.Outbox(ctx, "a")
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox = %+v, %v", items, err)
	}
	it := items[0]
	if it.Attempts != 1 || it.LastError != "421 try later" || !it.NextAttempt.Equal(next) || len(it.Recipients) != 2 {
		t.Fatalf("outbox item = %+v", it)
	}
	if err := c.OutboxRemove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if items, _ := c.Outbox(ctx, ""); len(items) != 0 {
		t.Fatal("outbox not empty")
	}
}

func TestUIDLState(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	if err := c.SaveUIDLs(ctx, "p", []string{"u1", "u2", "u1"}, now); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkUIDLsDeleted(ctx, "p", []string{"u2"}, now); err != nil {
		t.Fatal(err)
	}
	got, err := c.UIDLs(ctx, "p")
	if err != nil || len(got) != 2 || !got["u1"].DeletedAt.IsZero() || !got["u2"].DeletedAt.Equal(now) {
		t.Fatalf("uidls = %+v, %v", got, err)
	}
	if err := c.ForgetUIDLs(ctx, "p", []string{"u2"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UIDLs(ctx, "p"); len(got) != 1 {
		t.Fatalf("after forget: %+v", got)
	}
}

func TestSubscriptionCoalesces(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	sub := c.Subscribe()
	defer sub.Close()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	for i := 0; i < 3; i++ {
		if _, err := c.AddMessages(ctx, genMessages("a", f.ID, 1, time.Now())[:1]); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-sub.C:
	case <-time.After(time.Second):
		t.Fatal("no notification")
	}
	changes := sub.Take()
	if len(changes) != 2 { // the folder list change and the folder's content change, each once
		t.Fatalf("changes = %+v", changes)
	}
	if len(sub.Take()) != 0 {
		t.Fatal("changes delivered twice")
	}
}

func TestDamageFoundInBackgroundRebuildsAtNextStart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "INBOX", Role: RoleInbox})
	if _, err := c.AddMessages(ctx, genMessages("a", f.ID, 3000, time.Now())); err != nil {
		t.Fatal(err)
	}
	c.Close() // checkpoints the WAL into index.db
	damageIndex(t, dir)

	c, err = Open(dir) // the cheap check passes: the window would open at once
	if err != nil {
		t.Fatalf("open with damaged pages: %v", err)
	}
	c.StartIntegrityCheck(0)
	c.WaitIntegrityCheck()
	c.Close()
	if _, err := os.Stat(filepath.Join(dir, damagedMarker)); err != nil {
		t.Fatalf("background check left no marker: %v", err)
	}

	c, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rebuilt, why := c.Rebuilt(); !rebuilt || !strings.Contains(why, "integrity check") {
		t.Fatalf("Rebuilt = %v %q", rebuilt, why)
	}
	if _, err := os.Stat(filepath.Join(dir, damagedMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("marker still there: %v", err)
	}
	if fs, _ := c.Folders(ctx, ""); len(fs) != 0 {
		t.Fatalf("new index not empty: %+v", fs)
	}
}

// damageIndex overwrites pages in the middle of index.db, past the schema, as a failing disk might.
func damageIndex(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, indexFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 16384)
	for i := range garbage {
		garbage[i] = byte(i*7 + 13)
	}
	if _, err := file.WriteAt(garbage, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	file.Close()
}

// A check that passed is not run again within IntegrityCheckInterval: it reads the whole index.
func TestIntegrityCheckOncePerInterval(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "INBOX", Role: RoleInbox})
	if _, err := c.AddMessages(ctx, genMessages("a", f.ID, 3000, time.Now())); err != nil {
		t.Fatal(err)
	}
	c.StartIntegrityCheck(0)
	c.WaitIntegrityCheck()
	c.Close()
	damageIndex(t, dir)
	c, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.StartIntegrityCheck(0)
	c.WaitIntegrityCheck()
	c.Close()
	if _, err := os.Stat(filepath.Join(dir, damagedMarker)); err == nil {
		t.Fatal("the index was checked again an instant after a check passed")
	}
}
