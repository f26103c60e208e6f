package accounts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/types"
)

// serverMail is what a user's mailbox on the test bed holds: the SHA-256 of each message, and
// whether it is flagged.
func serverMail(t *testing.T, d *testbed.Dovecot, user, mailbox string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, m := range d.MailboxT(t, user, mailbox, true) {
		out[m.SHA256] = m.Has(imap.FlagFlagged)
	}
	return out
}

// aliceBed is the test bed's Dovecot with n generated messages (from seed) in alice's INBOX, and an
// empty cache; it returns the messages too.
func aliceBed(t *testing.T, seed int64, n int) (*testbed.Dovecot, *localcache.Cache, [][]byte) {
	t.Helper()
	d := testbed.StartT(t, testbed.Options{})
	msgs := testbed.Generate(seed, n, testbed.GenOptions{})
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	return d, cache, msgs
}

// Moves and copies between accounts on the real Dovecot: the target server ends up with the exact
// bytes and flags, a moved original leaves its IMAP server only after that (a copy's stays), a
// message downloaded by POP3 moves to IMAP, and a copy the target server refuses leaves the
// original where it was, with the reason reported.
func TestMoveAndCopyBetweenAccounts(t *testing.T) {
	d, cache, originals := aliceBed(t, 21, 4)
	if err := d.CreateMailbox("bob", "Gone"); err != nil {
		t.Fatal(err)
	}
	cfg := &accounts.Config{Accounts: []types.Account{
		testkit.BedAccount(d, "alice", "alice", types.IMAP),
		testkit.BedAccount(d, "bob", "bob", types.IMAP),
		testkit.BedAccount(d, "alice-pop", "alice", types.POP3),
	}}
	secrets := testkit.NewSecrets(nil, map[string]string{"alice": d.Password("alice"), "bob": d.Password("bob"), "alice-pop": d.Password("alice")})
	m := accounts.NewManager(cfg, cache, secrets, map[types.Protocol]types.Backend{
		types.IMAP: imapsync.Backend, types.POP3: {New: pop3sync.New, Test: pop3sync.Test},
	})
	events := testkit.Collect(m.Events())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	for _, name := range []string{"alice", "bob"} {
		until(t, 60*time.Second, name+" online", func() bool { return events.Count(name, types.StateOnline) > 0 })
	}
	until(t, 60*time.Second, "the POP3 download", func() bool { return events.Count("alice-pop", types.StateWaiting) > 0 })

	inbox := func(account string) (localcache.Folder, []localcache.Message) {
		f, err := cache.FolderByRole(ctx, account, localcache.RoleInbox)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := cache.Page(ctx, []int64{f.ID}, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		return f, msgs
	}
	_, alice := inbox("alice")
	bobInbox, _ := inbox("bob")
	_, pop := inbox("alice-pop")
	if len(alice) != 4 || len(pop) != 4 {
		t.Fatalf("alice has %d messages by IMAP and %d by POP3, want 4 each", len(alice), len(pop))
	}
	flaggedSum, keptSum := testbed.SHA256(mustBody(t, cache, alice[0])), testbed.SHA256(mustBody(t, cache, alice[3]))
	if err := m.Do(ctx, types.SetFlag{IDs: []int64{alice[0].ID}, Flag: localcache.FlagFlagged, On: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.Move{IDs: []int64{alice[0].ID, alice[1].ID}, To: bobInbox.ID}); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.Copy{IDs: []int64{alice[2].ID}, To: bobInbox.ID}); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.Move{IDs: []int64{pop[3].ID}, To: bobInbox.ID}); err != nil {
		t.Fatal(err)
	}
	until(t, 60*time.Second, "bob's server to hold the four copies", func() bool { return len(serverMail(t, d, "bob", "INBOX")) == 4 })
	until(t, 60*time.Second, "alice's server to lose the two moved", func() bool { return len(serverMail(t, d, "alice", "INBOX")) == 2 })

	bob := serverMail(t, d, "bob", "INBOX")
	for i, raw := range originals {
		flagged, ok := bob[testbed.SHA256(raw)]
		if !ok {
			t.Errorf("original %d is not on bob's server byte for byte", i)
		}
		if flagged != (testbed.SHA256(raw) == flaggedSum) {
			t.Errorf("original %d: flagged %v on bob's server", i, flagged)
		}
	}
	if _, err := cache.Message(ctx, pop[3].ID); err == nil {
		t.Error("the message moved from the POP3 folder is still there")
	}
	if _, err := cache.Message(ctx, alice[2].ID); err != nil {
		t.Errorf("the copied original is gone: %v", err)
	}

	// The target folder vanished on the server: the APPEND is refused, the original stays.
	gone, err := cache.FolderByName(ctx, "bob", "Gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteMailbox("bob", "Gone"); err != nil {
		t.Fatal(err)
	}
	errorsBefore := countErrors(events, "bob")
	if err := m.Do(ctx, types.Move{IDs: []int64{alice[3].ID}, To: gone.ID}); err != nil {
		t.Fatal(err)
	}
	until(t, 60*time.Second, "the refusal reported", func() bool { return countErrors(events, "bob") > errorsBefore })
	if _, err := cache.Message(ctx, alice[3].ID); err != nil {
		t.Errorf("the original of a refused move is gone here: %v", err)
	}
	if got := serverMail(t, d, "alice", "INBOX"); len(got) != 2 {
		t.Errorf("alice's server holds %d messages after the refused move, want 2", len(got))
	} else if _, ok := got[keptSum]; !ok {
		t.Error("the original of the refused move left alice's server")
	}
}

func mustBody(t testing.TB, c *localcache.Cache, m localcache.Message) []byte {
	t.Helper()
	raw, err := c.Body(context.Background(), m.BodyKey)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func countErrors(events *testkit.Events, account string) int {
	n := 0
	for _, ev := range events.All() {
		if e, ok := ev.(types.Error); ok && e.Account == account {
			n++
		}
	}
	return n
}

// A POP3 account's mail copied into an IMAP account on the same mailbox: the Inbox messages the
// "keep" policy left on the server are recognised and not uploaded again; local folders (nested,
// non-ASCII), Sent and Drafts reach the server byte for byte, into the special-use folders for Sent
// and Drafts; running the copy again adds nothing.
func TestCopyPOP3AccountToIMAP(t *testing.T) {
	d, cache, inbox := aliceBed(t, 31, 4)
	pop, imapAcc := testkit.BedAccount(d, "pop", "alice", types.POP3), testkit.BedAccount(d, "imap", "alice", types.IMAP)
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{pop, imapAcc}}, cache,
		testkit.NewSecrets(nil, map[string]string{"pop": d.Password("alice"), "imap": d.Password("alice")}),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend, types.POP3: {New: pop3sync.New, Test: pop3sync.Test}})
	events := testkit.Collect(m.Events())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	until(t, 60*time.Second, "the POP3 download", func() bool { return events.Count("pop", types.StateWaiting) > 0 })
	until(t, 60*time.Second, "IMAP online", func() bool { return events.Count("imap", types.StateOnline) > 0 })

	// Mail that exists only on this computer: local folders, a sent message, a draft.
	local := testbed.Generate(32, 5, testbed.GenOptions{})
	file := func(role, name string, raw []byte) {
		t.Helper()
		var f localcache.Folder
		var err error
		if role != "" {
			f, err = cache.EnsureFolder(ctx, localcache.Folder{Account: "pop", Name: name, Role: role, Subscribed: true})
		} else {
			if err = m.Do(ctx, types.CreateFolder{Account: "pop", Name: name}); err == nil || strings.Contains(err.Error(), "already exists") {
				f, err = cache.FolderByName(ctx, "pop", name)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.FileCopy(ctx, pop, f, raw, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	file("", "Projects/2024", local[0])
	file("", "Projects/2024", local[1])
	file("", "Überblick", local[2])
	file(localcache.RoleSent, "Sent", local[3])
	file(localcache.RoleDrafts, "Drafts", local[4])

	res, err := m.CopyAccount(ctx, "pop", "imap", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Copied != 5 || res.Skipped != 4 {
		t.Fatalf("copied %d, skipped %d; want 5 and 4", res.Copied, res.Skipped)
	}
	want := map[string][][]byte{"INBOX": inbox, "Projects/2024": local[:2], "Überblick": local[2:3], "Sent": local[3:4], "Drafts": local[4:5]}
	for mailbox, msgs := range want {
		until(t, 60*time.Second, mailbox+" on the server", func() bool {
			st, err := d.Status("alice", mailbox)
			return err == nil && int(st.Messages) == len(msgs)
		})
		got := serverMail(t, d, "alice", mailbox)
		for i, raw := range msgs {
			if _, ok := got[testbed.SHA256(raw)]; !ok {
				t.Errorf("%s: message %d is not on the server byte for byte", mailbox, i)
			}
		}
	}
	again, err := m.CopyAccount(ctx, "pop", "imap", nil)
	if err != nil || again.Copied != 0 {
		t.Fatalf("a second run copied %d (%v)", again.Copied, err)
	}
}

// Undoing a delete of 500 messages leaves the server as it was, whether the undo comes before the
// deletion reached the server (then it is withdrawn: the server never sees it, UIDNEXT stays) or
// after (then it is reversed); so does undoing a flag.
func TestUndoDeleteOf500(t *testing.T) {
	d, cache, _ := aliceBed(t, 41, 500)
	acc := testkit.BedAccount(d, "alice", "alice", types.IMAP)
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{acc}}, cache,
		testkit.NewSecrets(nil, map[string]string{"alice": d.Password("alice")}), map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	ctx := context.Background()
	if err := m.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	before := serverMail(t, d, "alice", "INBOX")
	if len(before) != 500 {
		t.Fatalf("INBOX holds %d", len(before))
	}
	inbox, err := cache.FolderByRole(ctx, "alice", localcache.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := cache.PageIDs(ctx, []int64{inbox.ID}, nil, 1000)
	if err != nil || len(ids) != 500 {
		t.Fatalf("%d ids (%v)", len(ids), err)
	}
	undo := func(req types.Request, replayFirst bool) {
		t.Helper()
		start, err := d.Status("alice", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		back, err := m.DoUndoable(ctx, req)
		if err != nil || !back.Possible() {
			t.Fatalf("no way back from %T: %v", req, err)
		}
		if replayFirst {
			if err := m.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := back.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if err := m.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if end, err := d.Status("alice", "INBOX"); err != nil || !replayFirst && end.UIDNext != start.UIDNext {
			t.Fatalf("a withdrawn %T reached the server: UIDNEXT %d, then %d (%v)", req, start.UIDNext, end.UIDNext, err)
		}
		after := serverMail(t, d, "alice", "INBOX")
		if len(after) != 500 || len(serverMail(t, d, "alice", "Trash")) != 0 {
			t.Fatalf("after undoing %T (replayed first: %v): INBOX %d, Trash %d", req, replayFirst, len(after), len(serverMail(t, d, "alice", "Trash")))
		}
		for sum, flagged := range before {
			if f, ok := after[sum]; !ok || f != flagged {
				t.Fatalf("after undoing %T (replayed first: %v): a message changed", req, replayFirst)
			}
		}
		if ops, _ := cache.PendingOps(ctx, "alice"); len(ops) != 0 {
			t.Fatalf("%d changes left unreplayed", len(ops))
		}
		if ids, _ = cache.PageIDs(ctx, []int64{inbox.ID}, nil, 1000); len(ids) != 500 {
			t.Fatalf("the local Inbox holds %d after the undo", len(ids))
		}
	}
	undo(types.Delete{IDs: ids}, false)
	undo(types.Delete{IDs: ids}, true)
	undo(types.SetFlag{IDs: ids[:100], Flag: localcache.FlagFlagged, On: true}, true)
	st, err := d.Status("alice", "INBOX")
	if err != nil || st.Unseen != 500 {
		t.Fatalf("unseen on the server: %+v %v", st, err)
	}
}
