package localcache

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A word in most messages takes the newest-first walk instead of the full-text index's order;
// both must give the same answer.
func TestSearchCommonWordNewestFirstInEveryScope(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	in := mustFolder(t, c, "a", "INBOX", RoleInbox)
	arch := mustFolder(t, c, "a", "Archive", RoleArchive)
	other := mustFolder(t, c, "b", "INBOX", RoleInbox)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := denseMatches + 500
	var msgs []Message
	for i, m := range genMessages("a", in.ID, n, start) {
		m.BodyText += " common"
		switch i % 3 {
		case 1:
			m.FolderID = arch.ID
		case 2:
			m.Account, m.FolderID = "b", other.ID
		}
		msgs = append(msgs, m)
	}
	if _, err := c.AddMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	for _, q := range []SearchQuery{
		{Text: "common", Limit: 50},
		{Text: "common", Limit: 50, Account: "a"},
		{Text: "common", Limit: 50, FolderIDs: []int64{arch.ID}},
		{Text: "keyword7 common", Limit: 50}, // few matches: the full-text index's way
	} {
		res, err := c.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			t.Fatalf("%+v: nothing found", q)
		}
		for i, m := range res.Messages {
			if q.Account != "" && m.Account != q.Account || len(q.FolderIDs) > 0 && m.FolderID != q.FolderIDs[0] {
				t.Fatalf("%+v: result out of scope: %+v", q, m)
			}
			if i > 0 && m.Date.After(res.Messages[i-1].Date) {
				t.Fatalf("%+v: not newest first at %d", q, i)
			}
		}
		// The newest message of the scope comes first.
		var want time.Time
		for _, m := range msgs {
			if (q.Account == "" || m.Account == q.Account) && (len(q.FolderIDs) == 0 || m.FolderID == q.FolderIDs[0]) &&
				(q.Text == "common" || strings.Contains(m.BodyText, "keyword7")) /* a prefix query */ && m.Date.After(want) {
				want = m.Date
			}
		}
		if !res.Messages[0].Date.Equal(want) {
			t.Fatalf("%+v: first result dated %v, want %v", q, res.Messages[0].Date, want)
		}
	}
}

func TestUIDStatesLooksUpOnlyTheGivenUIDs(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	ids, err := c.AddMessages(ctx, genMessages("a", f.ID, 1200, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	uids := []uint32{1, 600, 1200, 5000} // over one chunk of parameters; 5000 is not cached
	for u := uint32(2); u < 600; u++ {
		uids = append(uids, u)
	}
	got, err := c.UIDStates(ctx, f.ID, uids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 601 || got[600].ID != ids[599] || got[1200].ID != ids[1199] || got[1].Flags != FlagSeen {
		t.Fatalf("%d states; 600 -> %+v, 1200 -> %+v, 1 -> %+v", len(got), got[600], got[1200], got[1])
	}
	if _, ok := got[5000]; ok {
		t.Fatal("an uncached UID was found")
	}
}
