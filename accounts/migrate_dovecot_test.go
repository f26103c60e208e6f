package accounts_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
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

// stored is one message as a mailbox should hold it: its bytes' SHA-256 and its state.
type stored struct {
	sum           string
	seen, flagged bool
}

// migration is a profile with a POP3 account full of mail, ready to be moved to an IMAP account
// ("imap") of the same mailbox, and what the server must hold afterwards, by mailbox.
type migration struct {
	d       *testbed.Dovecot
	dir     string // the profile's cache
	pop     types.Account
	imap    types.Account
	secrets map[string]string
	want    map[string][]stored
}

// migrationBed builds the mailbox: inbox messages in the POP3 Inbox (downloaded under the
// "keep" policy, then 70 % removed from the server by another client, so 30 % are still there),
// three local folders (one nested, one with a non-ASCII name), a local Sent and two Drafts; about
// half of it read and a tenth flagged, here only.
func migrationBed(t testing.TB, inbox int) *migration {
	t.Helper()
	d := testbed.StartT(t, testbed.Options{})
	msgs := testbed.Generate(51, inbox, testbed.GenOptions{AttachmentRatio: -1, End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	mg := &migration{d: d, dir: t.TempDir(),
		pop: testkit.BedAccount(d, "pop", "alice", types.POP3), imap: testkit.BedAccount(d, "imap", "alice", types.IMAP),
		secrets: map[string]string{"pop": d.Password("alice"), "imap": d.Password("alice")},
		want:    map[string][]stored{}}
	cache, err := localcache.Open(mg.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	m := mg.manager(cache)
	ctx := context.Background()
	if err := m.SyncOnce(ctx, "pop"); err != nil {
		t.Fatal(err)
	}
	var gone []uint32
	for i := range msgs {
		if i%10 >= 3 {
			gone = append(gone, uint32(i+1))
		}
	}
	for chunk := range slices.Chunk(gone, 500) {
		if err := d.Expunge("alice", "INBOX", chunk...); err != nil {
			t.Fatal(err)
		}
	}

	// The state the user gave the Inbox here: read, flagged, by position.
	popInbox, err := cache.FolderByRole(ctx, "pop", localcache.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := cache.PageIDs(ctx, []int64{popInbox.ID}, nil, inbox+1)
	if err != nil || len(ids) != inbox {
		t.Fatalf("the POP3 Inbox holds %d messages (%v), want %d", len(ids), err, inbox)
	}
	var read, flagged []int64
	for i, id := range ids {
		if i%2 == 0 {
			read = append(read, id)
		}
		if i%10 == 1 {
			flagged = append(flagged, id)
		}
	}
	if err := m.Do(ctx, types.SetFlag{IDs: read, Flag: localcache.FlagSeen, On: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.SetFlag{IDs: flagged, Flag: localcache.FlagFlagged, On: true}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		msg, err := cache.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		mg.want["INBOX"] = append(mg.want["INBOX"], stored{testbed.SHA256(mustBody(t, cache, msg)), msg.Flags.Has(localcache.FlagSeen), msg.Flags.Has(localcache.FlagFlagged)})
	}

	// Mail that exists only on this computer.
	local := testbed.Generate(52, 60, testbed.GenOptions{AttachmentRatio: -1, End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	file := func(role, name string, raws [][]byte) {
		t.Helper()
		var f localcache.Folder
		var err error
		if role != "" {
			f, err = cache.EnsureFolder(ctx, localcache.Folder{Account: "pop", Name: name, Role: role, Subscribed: true})
		} else if err = m.Do(ctx, types.CreateFolder{Account: "pop", Name: name}); err == nil {
			f, err = cache.FolderByName(ctx, "pop", name)
		}
		if err != nil {
			t.Fatalf("folder %s: %v", name, err)
		}
		for i, raw := range raws {
			flags := localcache.Flags(0)
			if role != localcache.RoleDrafts && i%3 != 0 {
				flags |= localcache.FlagSeen
			}
			if i%4 == 0 {
				flags |= localcache.FlagFlagged
			}
			if _, err := m.FileCopy(ctx, mg.pop, f, raw, "", flags); err != nil {
				t.Fatal(err)
			}
			mg.want[name] = append(mg.want[name], stored{testbed.SHA256(raw), flags.Has(localcache.FlagSeen), flags.Has(localcache.FlagFlagged)})
		}
	}
	file("", "Projects", local[0:8])
	file("", "Projects/2024", local[8:20])
	file("", "Überblick", local[20:30])
	file(localcache.RoleSent, "Sent", local[30:58])
	file(localcache.RoleDrafts, "Drafts", local[58:60])
	return mg
}

func (mg *migration) manager(cache *localcache.Cache, opts ...accounts.Options) *accounts.Manager {
	return accounts.NewManager(&accounts.Config{Accounts: []types.Account{mg.pop, mg.imap}}, cache,
		testkit.NewSecrets(nil, mg.secrets),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend, types.POP3: {New: pop3sync.New, Test: pop3sync.Test}},
		opts...)
}

// move runs the copy into the IMAP account and the engine's replay of it to the end.
func (mg *migration) move(t testing.TB, cache *localcache.Cache) accounts.CopyResult {
	t.Helper()
	ctx := context.Background()
	m := mg.manager(cache)
	res, err := m.CopyAccount(ctx, "pop", "imap", nil)
	if err != nil {
		t.Fatal(err)
	}
	mg.drain(t, m, cache)
	return res
}

// drain replays what is queued for the IMAP account until nothing is.
func (mg *migration) drain(t testing.TB, m *accounts.Manager, cache *localcache.Cache) {
	t.Helper()
	ctx := context.Background()
	for range 5 {
		if err := m.SyncOnce(ctx, "imap"); err != nil {
			t.Fatal(err)
		}
		if ops, err := cache.PendingOps(ctx, "imap"); err != nil || len(ops) == 0 {
			return
		}
	}
	ops, _ := cache.PendingOps(ctx, "imap")
	t.Fatalf("%d changes still queued for the IMAP account after five passes; the first: %+v", len(ops), ops[0])
}

// check compares the server's mailboxes with what the move must give: every message exactly
// once, byte for byte, with its read and flag state.
func (mg *migration) check(t *testing.T) {
	t.Helper()
	for _, mailbox := range slices.Sorted(maps.Keys(mg.want)) {
		got := serverMessages(t, mg.d, "alice", mailbox)
		want := mg.want[mailbox]
		if len(got) != len(want) {
			t.Errorf("%s holds %d messages on the server, want %d", mailbox, len(got), len(want))
		}
		bySum := map[string][]stored{}
		for _, s := range got {
			bySum[s.sum] = append(bySum[s.sum], s)
		}
		bad := 0
		for i, w := range want {
			g := bySum[w.sum]
			switch {
			case len(g) != 1:
				t.Errorf("%s: message %d is on the server %d times byte for byte", mailbox, i, len(g))
				bad++
			case g[0] != w:
				t.Errorf("%s: message %d is on the server as %+v, want %+v", mailbox, i, g[0], w)
				bad++
			}
			if bad > 10 {
				t.Fatalf("%s: too many wrong", mailbox)
			}
		}
	}
}

// serverMessages is every message of a mailbox as the server holds it.
func serverMessages(t *testing.T, d *testbed.Dovecot, user, mailbox string) []stored {
	t.Helper()
	var out []stored
	for _, m := range d.MailboxT(t, user, mailbox, true) {
		out = append(out, stored{m.SHA256, m.Has(imap.FlagSeen), m.Has(imap.FlagFlagged)})
	}
	return out
}

// secondDevice checks that another profile, syncing only the IMAP account, sees every folder with
// its messages and their state.
func (mg *migration) secondDevice(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{mg.imap}}, cache,
		testkit.NewSecrets(nil, mg.secrets), map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	if err := m.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for mailbox, want := range mg.want {
		f, err := cache.FolderByName(ctx, "imap", mailbox)
		if err != nil {
			t.Errorf("the second device has no folder %s: %v", mailbox, err)
			continue
		}
		var seen, flagged, n int
		after := (*localcache.Cursor)(nil)
		for {
			page, err := cache.Page(ctx, []int64{f.ID}, after, 500)
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range page {
				n++
				seen += b2i(msg.Flags.Has(localcache.FlagSeen))
				flagged += b2i(msg.Flags.Has(localcache.FlagFlagged))
			}
			if len(page) < 500 {
				break
			}
			after = localcache.CursorOf(page[len(page)-1])
		}
		var wantSeen, wantFlagged int
		for _, w := range want {
			wantSeen += b2i(w.seen)
			wantFlagged += b2i(w.flagged)
		}
		if got, exp := fmt.Sprint(n, seen, flagged), fmt.Sprint(len(want), wantSeen, wantFlagged); got != exp {
			t.Errorf("the second device's %s: messages, read, flagged = %s, want %s", mailbox, got, exp)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The move: a POP3 account with 2,000 messages in its Inbox (30 % still on the server),
// local folders (nested, non-ASCII), a local Sent and two Drafts, moved into an IMAP account of
// the same mailbox. The server then holds every message exactly once, byte for byte, in the right
// folder, read and flagged as here; a second profile sees it all; running the move again adds
// nothing.
func TestMovePOP3AccountToIMAP(t *testing.T) {
	mg := migrationBed(t, 2000)
	cache, err := localcache.Open(mg.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	start := time.Now()
	res := mg.move(t, cache)
	t.Logf("moved in %v: %+v", time.Since(start).Round(time.Millisecond), res)
	if res.Copied != 1400+60 || res.Skipped != 600 {
		t.Errorf("copied %d and skipped %d, want %d and 600", res.Copied, res.Skipped, 1400+60)
	}
	mg.check(t)
	mg.secondDevice(t)
	again := mg.move(t, cache)
	if again.Copied != 0 {
		t.Errorf("a second run copied %d messages", again.Copied)
	}
	mg.check(t)
	mg.finish(t, cache)
	mg.check(t)
}

// finish ends the move as the user does once the server holds everything: the POP3 account goes,
// its mail stays, whole, in a folder named after it under "On this computer".
func (mg *migration) finish(t *testing.T, cache *localcache.Cache) {
	t.Helper()
	ctx := context.Background()
	before, err := cache.Folders(ctx, "pop")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range before {
		total += f.Total
	}
	path := filepath.Join(t.TempDir(), "accounts.json")
	if err := (&accounts.Config{Accounts: []types.Account{mg.pop, mg.imap}}).Save(path); err != nil {
		t.Fatal(err)
	}
	m := mg.manager(cache, accounts.Options{ConfigPath: path})
	archive, err := m.FinishMoveToIMAP(ctx, "pop", "imap")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Account("pop"); ok {
		t.Error("the POP3 account is still there after the move was finished")
	}
	cfg, err := accounts.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []types.Protocol
	for _, a := range cfg.Accounts {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Equal(kinds, []types.Protocol{types.IMAP, types.Local}) {
		t.Errorf("accounts file after the move: kinds %v, want the IMAP account and the one on this computer", kinds)
	}
	left, _ := cache.Folders(ctx, "pop")
	kept, err := cache.Folders(ctx, types.LocalAccountName)
	if err != nil {
		t.Fatal(err)
	}
	archived := 0
	for _, f := range kept {
		archived += f.Total
		if f.Role != "" {
			t.Errorf("archived folder %q kept the role %q", f.Name, f.Role)
		}
		if f.Name != archive && !strings.HasPrefix(f.Name, archive+f.Delim) {
			t.Errorf("folder %q is not under the archive %q", f.Name, archive)
		}
	}
	if archive != "pop" || len(left) != 0 || archived != total || len(kept) != len(before)+1 {
		t.Errorf("archive %q: %d folders left under pop; %d of %d messages in %d folders (want %d)",
			archive, len(left), archived, total, len(kept), len(before)+1)
	}
}
