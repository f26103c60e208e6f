package accounts

import (
	"context"
	"fmt"
	"testing"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// Junk moves to the Junk folder with $Junk, Not junk moves back to the inbox with $NotJunk; for
// IMAP both are queued (keywords before the move), for POP3 a local Junk folder is made.
func TestJunkAndNotJunkThroughTheManager(t *testing.T) {
	m, cache, ctx := startTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	ids := map[string][]int64{}
	for _, name := range []string{"imap", "pop"} {
		inbox, _ := cache.EnsureFolder(ctx, localcache.Folder{Account: name, Name: "INBOX", Role: localcache.RoleInbox})
		var msgs []localcache.Message
		for i := range 2 {
			msg := localcache.Message{Account: name, FolderID: inbox.ID, Subject: "offer", Date: time.Now(), Keywords: "$NotJunk"}
			if name == "imap" {
				msg.UID = uint32(i + 1)
			} else {
				msg.UIDL = fmt.Sprint("u", i)
			}
			msgs = append(msgs, msg)
		}
		got, err := cache.AddMessages(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = got
	}
	imapJunk, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "imap", Name: "Spam", Role: localcache.RoleJunk})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]int64{}, ids["imap"]...), ids["pop"]...)
	if err := m.Do(ctx, types.MarkJunk{IDs: all, Junk: true}); err != nil {
		t.Fatal(err)
	}
	popJunk, err := cache.FolderByRole(ctx, "pop", localcache.RoleJunk)
	if err != nil || popJunk.Name != "Junk" {
		t.Fatalf("POP3 Junk folder: %+v, %v", popJunk, err)
	}
	for name, junk := range map[string]localcache.Folder{"imap": imapJunk, "pop": popJunk} {
		for _, id := range ids[name] {
			msg, _ := cache.Message(ctx, id)
			if msg.FolderID != junk.ID || msg.Keywords != localcache.KeywordJunk {
				t.Fatalf("%s: junk message in folder %d with %q", name, msg.FolderID, msg.Keywords)
			}
		}
	}
	ops, _ := cache.PendingOps(ctx, "imap")
	if len(ops) != 2 || ops[0].Kind() != localcache.OpKeywords || ops[1].Kind() != localcache.OpMove {
		t.Fatalf("imap pending = %+v", ops)
	}
	if ops, _ := cache.PendingOps(ctx, "pop"); len(ops) != 0 {
		t.Fatalf("pop pending = %+v", ops)
	}

	// Not junk: back to the inbox, $NotJunk instead of $Junk.
	if err := m.Do(ctx, types.MarkJunk{IDs: all[:1], Junk: false}); err != nil {
		t.Fatal(err)
	}
	inbox, _ := cache.FolderByRole(ctx, "imap", localcache.RoleInbox)
	if msg, _ := cache.Message(ctx, all[0]); msg.FolderID != inbox.ID || msg.Keywords != localcache.KeywordNotJunk {
		t.Fatalf("not junk: folder %d with %q", msg.FolderID, msg.Keywords)
	}
	// Not junk on a message outside Junk only changes its keywords.
	if err := m.Do(ctx, types.MarkJunk{IDs: all[:1], Junk: false}); err != nil {
		t.Fatal(err)
	}
	if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) != 5 || ops[4].Kind() != localcache.OpKeywords {
		t.Fatalf("imap pending after not junk = %+v", ops)
	}
}

// An IMAP account without a Junk folder gets one, created on the server before the move.
func TestJunkCreatesTheIMAPJunkFolderFirst(t *testing.T) {
	m, cache := newTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	ctx := context.Background()
	inbox, _ := cache.EnsureFolder(ctx, localcache.Folder{Account: "imap", Name: "INBOX", Role: localcache.RoleInbox})
	ids, err := cache.AddMessages(ctx, []localcache.Message{{Account: "imap", FolderID: inbox.ID, UID: 9, Date: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.MarkJunk{IDs: ids, Junk: true}); err != nil {
		t.Fatal(err)
	}
	ops, _ := cache.PendingOps(ctx, "imap")
	var kinds []localcache.OpKind
	for _, op := range ops {
		kinds = append(kinds, op.Kind())
	}
	if len(kinds) != 3 || kinds[0] != localcache.OpCreateFolder || kinds[1] != localcache.OpKeywords || kinds[2] != localcache.OpMove {
		t.Fatalf("queued %v", kinds)
	}
}

// Junk and Not junk train the account's filter: after a few of each, a new message like the junk
// scores high and one like the good mail low; before that the filter says it is not ready.
func TestJunkActionsTrainTheFilter(t *testing.T) {
	m, cache, ctx := startTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	inbox, _ := cache.EnsureFolder(ctx, localcache.Folder{Account: "pop", Name: "INBOX", Role: localcache.RoleInbox})
	add := func(from, subject, text string) int64 {
		t.Helper()
		raw := []byte(fmt.Sprintf("From: %s\r\nSubject: %s\r\n\r\n%s\r\n", from, subject, text))
		keys, err := cache.PutBodies(ctx, []localcache.Body{{Account: "pop", Raw: raw}})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := cache.AddMessages(ctx, []localcache.Message{{Account: "pop", FolderID: inbox.ID, UIDL: keys[0],
			Subject: subject, Date: time.Now(), BodyKey: keys[0], Size: int64(len(raw))}})
		if err != nil {
			t.Fatal(err)
		}
		return ids[0]
	}
	var junk, good []int64
	for i := range 6 {
		junk = append(junk, add(fmt.Sprintf("promo%d@deals.example", i), "You are a winner", "Claim your free prize now, click here, limited offer"))
		good = append(good, add("ann@example.org", fmt.Sprintf("Minutes %d", i), "The project meeting moved to Thursday; the report is attached"))
	}
	if _, ready, err := m.junkScore(ctx, mustMessage(t, cache, junk[0])); err != nil || ready {
		t.Fatalf("untrained filter ready=%v (%v)", ready, err)
	}
	if err := m.Do(ctx, types.MarkJunk{IDs: junk, Junk: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.MarkJunk{IDs: good, Junk: false}); err != nil {
		t.Fatal(err)
	}
	likeJunk := add("offers@deals.example", "Winner!", "Your free prize is waiting: click here to claim")
	likeGood := add("ann@example.org", "Minutes", "Next meeting: the project report")
	for id, want := range map[int64]string{likeJunk: "junk", likeGood: "good"} {
		score, ready, err := m.junkScore(ctx, mustMessage(t, cache, id))
		if err != nil || !ready || (want == "junk") != (score > 0.9) || (want == "good") != (score < 0.1) {
			t.Errorf("a %s-like message scores %.3f (ready %v, %v)", want, score, ready, err)
		}
	}

	// With the account's junk filter on, new mail that scores as junk goes to Junk by itself,
	// without teaching the filter its own verdict; the good message stays.
	m.mu.Lock()
	acc := m.accounts["pop"]
	acc.JunkFilter = true
	m.accounts["pop"] = acc
	m.mu.Unlock()
	before, _ := cache.JunkModel(ctx, "pop", nil)
	var news []localcache.Message
	for _, id := range []int64{likeJunk, likeGood} {
		msg, _ := cache.Message(ctx, id)
		news = append(news, msg)
	}
	m.observe(types.NewMail{Account: "pop", Folder: "INBOX", Messages: news})
	junkFolder, _ := cache.FolderByRole(ctx, "pop", localcache.RoleJunk)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if msg, _ := cache.Message(ctx, likeJunk); msg.FolderID == junkFolder.ID && junkFolder.ID != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the junk-like message did not go to Junk")
		}
		junkFolder, _ = cache.FolderByRole(ctx, "pop", localcache.RoleJunk)
	}
	if msg, _ := cache.Message(ctx, likeGood); msg.FolderID != inbox.ID {
		t.Fatal("the good message left the inbox")
	}
	if after, _ := cache.JunkModel(ctx, "pop", nil); after.Totals != before.Totals {
		t.Fatalf("the filter learnt from its own verdict: %+v, then %+v", before.Totals, after.Totals)
	}
}

func mustMessage(t *testing.T, cache *localcache.Cache, id int64) localcache.Message {
	t.Helper()
	msg, err := cache.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}
