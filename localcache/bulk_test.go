package localcache

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

func searchIDs(t *testing.T, c *Cache, q string) []int64 {
	t.Helper()
	res, err := c.Search(context.Background(), SearchQuery{Text: q})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var ids []int64
	for _, m := range res.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestDeferredIndexIsWrittenOnceWithTheBody(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	ids, err := c.AddMessages(ctx, []Message{
		{Account: "a", FolderID: f.ID, UID: 1, Subject: "linked later", Date: time.Now(), DeferIndex: true},
		{Account: "a", FolderID: f.ID, UID: 2, Subject: "never linked", Date: time.Now(), DeferIndex: true},
		{Account: "a", FolderID: f.ID, UID: 3, Subject: "indexed now", Date: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, c, "linked"); len(got) != 0 {
		t.Fatalf("deferred messages found before their body: %v", got)
	}
	if got := searchIDs(t, c, "indexed"); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("search indexed = %v", got)
	}
	keys, err := c.PutBodies(ctx, []Body{{Account: "a", Raw: []byte("a")}, {Account: "a", Raw: []byte("c")}})
	if err != nil {
		t.Fatal(err)
	}
	// A deferred entry is inserted, an indexed one replaced: both end up with their body text.
	err = c.LinkBodies(ctx, []BodyLink{
		{MessageID: ids[0], Key: keys[0], Text: "alpha body"},
		{MessageID: ids[2], Key: keys[1], Text: "gamma body"},
		{MessageID: 9999, Key: keys[1], Text: "gone meanwhile"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]int64{"alpha": {ids[0]}, "gamma": {ids[2]}, "linked": {ids[0]}, "body": {ids[0], ids[2]}} {
		if got := searchIDs(t, c, q); len(got) != len(want) {
			t.Errorf("search %q = %v, want %v", q, got, want)
		}
	}
	// What never got a body is found by its headers after IndexPending, and only once.
	if err := c.IndexPending(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.IndexPending(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, c, "never"); len(got) != 1 || got[0] != ids[1] {
		t.Fatalf("search never = %v, want [%d]", got, ids[1])
	}
	// Adding the same UID again deferred keeps the entry it has.
	if _, err := c.AddMessages(ctx, []Message{{Account: "a", FolderID: f.ID, UID: 3, Subject: "indexed now", Date: time.Now(), DeferIndex: true}}); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, c, "gamma"); len(got) != 1 {
		t.Fatalf("re-added message lost its entry: %v", got)
	}
	var pending int
	if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE indexed = 0`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("%d messages wait for their entry (%v)", pending, err)
	}
}

func automerge(t *testing.T, c *Cache) int {
	t.Helper()
	var v int
	if err := c.index.QueryRow(`SELECT v FROM messages_fts_config WHERE k = 'automerge'`).Scan(&v); err != nil {
		return normalAutomerge // never set: FTS5's default
	}
	return v
}

func TestBulkIndexNestsAndIsRepairedAfterACrash(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	end1, err := c.BeginBulkIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	end2, err := c.BeginBulkIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := automerge(t, c); got != 0 {
		t.Fatalf("automerge in bulk mode = %d", got)
	}
	// Many small commits, as a sync makes them.
	for i := range 40 {
		msgs := genMessages("a", f.ID, 5, time.Now())
		for j := range msgs {
			msgs[j].UID = uint32(i*5 + j + 1)
		}
		if _, err := c.AddMessages(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	if err := end2(ctx); err != nil {
		t.Fatal(err)
	}
	if got := automerge(t, c); got != 0 {
		t.Fatalf("automerge after the inner end = %d, want 0 until the outer one", got)
	}
	if err := end1(ctx); err != nil {
		t.Fatal(err)
	}
	if got := automerge(t, c); got != normalAutomerge {
		t.Fatalf("automerge after bulk mode = %d", got)
	}
	if got := searchIDs(t, c, "keyword3"); len(got) != 40 {
		t.Fatalf("search after bulk mode found %d, want 40", len(got))
	}

	// A process that dies in bulk mode leaves merging off; the next Open turns it back on.
	if _, err := c.BeginBulkIndex(ctx); err != nil {
		t.Fatal(err)
	}
	c = reopen(t, c, dir)
	if got := automerge(t, c); got != normalAutomerge {
		t.Fatalf("automerge after a crash in bulk mode = %d", got)
	}
}

func TestStoreInWALModeIsConvertedAndKept(t *testing.T) {
	dir := t.TempDir()
	// A store as the first release wrote it: WAL mode, 4 KB pages.
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, storeFile)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), old, storeMigrations); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO bodies(key, account, size, stored_at, data) VALUES ('k', 'a', 3, 0, 'abc')`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mode string
	if err := c.store.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "truncate" {
		t.Fatalf("journal mode %q (%v), want truncate", mode, err)
	}
	if raw, err := c.Body(context.Background(), "k"); err != nil || string(raw) != "abc" {
		t.Fatalf("old body = %q, %v", raw, err)
	}
}
