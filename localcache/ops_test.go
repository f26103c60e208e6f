package localcache

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Records written before ops had types of their own (payload version 1: the flat PendingOp JSON)
// load into the typed ops.
func TestPendingLoadsVersion1Records(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	items := []OpItem{{MessageID: 7, UID: 5, PrevFlags: FlagSeen}}
	legacy := []struct {
		kind, payload string
		want          PendingOp
	}{
		{"flags", `{"FolderID":3,"Items":[{"MessageID":7,"UID":5,"PrevFlags":1}],"Set":2,"Clear":1}`,
			PendingOp{FolderID: 3, Op: FlagsOp{Items: items, Set: 2, Clear: 1}}},
		{"move", `{"FolderID":3,"Items":[{"MessageID":7,"UID":5,"PrevFlags":1}],"ToFolderID":4}`,
			PendingOp{FolderID: 3, Op: MoveOp{Items: items, ToFolderID: 4}}},
		{"expunge", `{"FolderID":3,"Items":[{"MessageID":7,"UID":5,"PrevFlags":1}]}`,
			PendingOp{FolderID: 3, Op: ExpungeOp{Items: items}}},
		{"create-folder", `{"FolderID":0,"Name":"Plans"}`, PendingOp{Op: CreateFolderOp{Name: "Plans"}}},
		{"rename-folder", `{"FolderID":6,"Name":"Plans","NewName":"Old plans"}`,
			PendingOp{FolderID: 6, Op: RenameFolderOp{Name: "Plans", NewName: "Old plans"}}},
		{"delete-folder", `{"FolderID":6,"Name":"Plans"}`, PendingOp{FolderID: 6, Op: DeleteFolderOp{Name: "Plans"}}},
		{"append", `{"FolderID":2,"FolderName":"Drafts","Items":[{"MessageID":7,"UID":5,"PrevFlags":1}],"Set":5,"BodyKey":"k1"}`,
			PendingOp{FolderID: 2, FolderName: "Drafts", Op: AppendOp{BodyKey: "k1", Flags: 5, Items: items}}},
		{"teleport", `{"FolderID":1}`, PendingOp{FolderID: 1, Op: UnknownOp{Stored: "teleport"}}},
	}
	for _, l := range legacy {
		if _, err := c.index.ExecContext(ctx, `INSERT INTO pending(account, kind, payload, created) VALUES ('a', ?, ?, 0)`,
			l.kind, l.payload); err != nil {
			t.Fatal(err)
		}
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != len(legacy) {
		t.Fatalf("loaded %d of %d: %v", len(ops), len(legacy), err)
	}
	for i, op := range ops {
		want := legacy[i].want
		if op.FolderID != want.FolderID || op.FolderName != want.FolderName || !reflect.DeepEqual(op.Op, want.Op) ||
			string(op.Kind()) != legacy[i].kind {
			t.Errorf("%s: got %+v, want %+v", legacy[i].kind, op, want)
		}
	}
}

// Every registered kind round-trips through the store, in the current payload version.
func TestPendingOpsRoundTrip(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	items := []OpItem{{MessageID: 7, UID: 5, UIDL: "u7", PrevFlags: FlagSeen}}
	queued := []PendingOp{
		{Account: "a", FolderID: 3, Op: FlagsOp{Items: items, Set: FlagFlagged, UpTo: 9}},
		{Account: "a", FolderID: 3, Op: MoveOp{Items: items, ToFolderID: 4}},
		{Account: "a", FolderID: 3, Op: ExpungeOp{Items: items}},
		{Account: "a", Op: CreateFolderOp{Name: "Plans"}},
		{Account: "a", FolderID: 6, Op: RenameFolderOp{Name: "Plans", NewName: "Later"}},
		{Account: "a", FolderID: 6, Op: DeleteFolderOp{Name: "Later"}},
		{Account: "a", FolderID: 2, FolderName: "Drafts", Op: AppendOp{BodyKey: "k1", Flags: FlagDraft, Items: items}},
		{Account: "a", FolderID: 2, FolderName: "INBOX", Op: TransferOp{AppendOp: AppendOp{BodyKey: "k2", Items: items},
			SHA256: "ab", Size: 9, From: &TransferSource{Account: "b", FolderID: 8, Items: items, Queue: true}}},
		{Account: "a", FolderID: 3, Op: KeywordsOp{Items: items, Add: []string{KeywordJunk}, Remove: []string{KeywordNotJunk}}},
	}
	if len(queued) != len(opDecoders) {
		t.Fatalf("%d kinds registered, %d tested", len(opDecoders), len(queued))
	}
	for _, op := range queued {
		if err := c.Enqueue(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	var payload string
	if err := c.index.QueryRowContext(ctx, `SELECT payload FROM pending ORDER BY id LIMIT 1`).Scan(&payload); err != nil ||
		!strings.HasPrefix(payload, `{"V":2,`) {
		t.Fatalf("stored payload %s (%v)", payload, err)
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != len(queued) {
		t.Fatalf("loaded %d of %d: %v", len(ops), len(queued), err)
	}
	for i, op := range ops {
		q := queued[i]
		if op.FolderID != q.FolderID || op.FolderName != q.FolderName || !reflect.DeepEqual(op.Op, q.Op) {
			t.Errorf("%s: got %+v, want %+v", q.Kind(), op, q)
		}
	}
}

func TestPendingFromNewerVersionIsAnError(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	if _, err := c.index.ExecContext(ctx, `INSERT INTO pending(account, kind, payload, created) VALUES ('a', 'flags', '{"V":99}', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PendingOps(ctx, "a"); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Fatalf("err = %v", err)
	}
}

func TestKeywordsApplyQueueAndUndo(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	in := mustFolder(t, c, "a", "INBOX", RoleInbox)
	msgs := genMessages("a", in.ID, 3, time.Now())
	msgs[0].Keywords = "$NotJunk $label1"
	msgs[1].Keywords = "$junk"
	ids, err := c.AddMessages(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeywords(ctx, ids, []string{KeywordJunk}, []string{KeywordNotJunk}, true); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"$Junk $label1", "$junk", "$Junk"} {
		if got := c.mustMessage(t, ids[i]).Keywords; got != want {
			t.Errorf("message %d: keywords %q, want %q", i, got, want)
		}
	}
	ops, err := c.PendingOps(ctx, "a")
	if err != nil || len(ops) != 1 || ops[0].Kind() != OpKeywords || len(ops[0].Items()) != 3 {
		t.Fatalf("queued %+v (%v)", ops, err)
	}
	if err := c.RefusePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"$NotJunk $label1", "$junk", ""} {
		if got := c.mustMessage(t, ids[i]).Keywords; got != want {
			t.Errorf("undone message %d: keywords %q, want %q", i, got, want)
		}
	}
	// Without a server to tell, nothing is queued.
	if err := c.SetKeywords(ctx, ids[:1], []string{KeywordJunk}, nil, false); err != nil {
		t.Fatal(err)
	}
	if ops, _ := c.PendingOps(ctx, "a"); len(ops) != 0 {
		t.Fatalf("queued %d ops for a local change", len(ops))
	}
}

func (c *Cache) mustMessage(t *testing.T, id int64) Message {
	t.Helper()
	m, err := c.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
