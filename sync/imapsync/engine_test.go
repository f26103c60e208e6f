package imapsync

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

func TestFirstSync(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	msgs := generate(1, 2000)
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Sent", generate(2, 40)...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Projects/2024", generate(3, 15)...); err != nil {
		t.Fatal(err)
	}
	c := d.IMAPSClientT(t, "alice", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		set   imap.UIDSet
		flags []imap.Flag
	}{
		{imap.UIDSet{{Start: 1, Stop: 1500}}, []imap.Flag{imap.FlagSeen}},
		{imap.UIDSet{{Start: 100, Stop: 160}}, []imap.Flag{imap.FlagFlagged}},
		{imap.UIDSet{{Start: 200, Stop: 220}}, []imap.Flag{imap.FlagAnswered, "$Forwarded"}},
		{imap.UIDSet{{Start: 1990, Stop: 2000}}, []imap.Flag{imap.FlagDraft}},
	} {
		if err := c.Store(s.set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: s.flags}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}

	h := newHarness(t, d, "alice", func(o *options, _ *types.Account) {
		// Small limits so the generated attachments (50 KB to 1 MB) take the partial-fetch path.
		o.wholeBodyMax, o.wholeLiteral, o.chunkSize = 128<<10, 512<<10, 64<<10
	})
	start := time.Now()
	if err := h.eng.SyncOnce(context.Background()); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	t.Logf("first sync of 2055 messages: %v", time.Since(start))
	if diff := h.matchServer(); diff != "" {
		t.Fatalf("cache differs from server:\n%s", diff)
	}

	ctx := context.Background()
	roles := map[string]string{"INBOX": localcache.RoleInbox, "Sent": localcache.RoleSent, "Drafts": localcache.RoleDrafts,
		"Trash": localcache.RoleTrash, "Junk": localcache.RoleJunk, "Archive": localcache.RoleArchive, "Projects/2024": ""}
	for name, role := range roles {
		if f := folderByName(t, h.cache, "alice", name); f.Role != role {
			t.Errorf("folder %s: role %q, want %q", name, f.Role, role)
		}
	}
	inbox := folderByName(t, h.cache, "alice", "INBOX")
	if inbox.UIDValidity == 0 || inbox.UIDNext != 2001 || inbox.HighestModSeq == 0 {
		t.Errorf("INBOX sync state not saved: %+v", inbox)
	}
	if inbox.Unread != 500 {
		t.Errorf("INBOX unread = %d, want 500", inbox.Unread)
	}

	// The newest 50 of INBOX and everything in the 30-day window have bodies, byte-identical.
	page, err := h.cache.Page(ctx, []int64{inbox.ID}, nil, 2000)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().AddDate(0, 0, -30)
	withBody, attach := 0, 0
	for i, m := range page {
		inWindow := !m.Date.Before(since)
		if (i < 50 || inWindow) && m.BodyKey == "" {
			t.Errorf("message %d (uid %d, %v) has no body", i, m.UID, m.Date)
			continue
		}
		if m.BodyKey == "" {
			continue
		}
		withBody++
		raw, err := h.cache.Body(ctx, m.BodyKey)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, msgs[m.UID-1]) {
			t.Errorf("uid %d: stored body differs from the delivered message", m.UID)
		}
		if m.HasAttachment {
			attach++
		}
		if m.Snippet == "" && len(raw) > 0 {
			t.Errorf("uid %d: no snippet", m.UID)
		}
	}
	if withBody < 50 || withBody > 400 {
		t.Errorf("%d bodies downloaded, want the window (about 160) and the newest 50", withBody)
	}
	t.Logf("%d bodies stored, %d with attachments", withBody, attach)
	first := page[len(page)-1]
	if first.Subject == "" || first.FromAddr == "" || first.MessageID == "" || first.ThreadKey == "" || first.Size == 0 {
		t.Errorf("envelope incomplete: %+v", first)
	}

	var progress, newMail int
	for _, ev := range h.rec.All() {
		switch ev := ev.(type) {
		case types.SyncProgress:
			if ev.Folder == "INBOX" && ev.Done == 2000 && ev.Total == 2000 {
				progress++
			}
		case types.NewMail:
			newMail++
		}
	}
	if progress != 1 {
		t.Errorf("no final progress event for INBOX")
	}
	if newMail != 0 {
		t.Errorf("first sync announced new mail")
	}

	// Bodies outside the window come on demand, whole or in pieces.
	var chunked bool
	for _, m := range page[len(page)-300:] {
		if m.BodyKey != "" || (m.Size <= 128<<10 && chunked) {
			continue
		}
		chunked = chunked || m.Size > 128<<10
		if err := h.eng.FetchBody(ctx, m.ID); err != nil {
			t.Fatalf("fetch body of uid %d: %v", m.UID, err)
		}
		got, err := h.cache.Message(ctx, m.ID)
		if err != nil || got.BodyKey == "" {
			t.Fatalf("uid %d: no body after FetchBody: %v", m.UID, err)
		}
		raw, err := h.cache.Body(ctx, got.BodyKey)
		if err != nil || !bytes.Equal(raw, msgs[m.UID-1]) {
			t.Fatalf("uid %d: on-demand body differs (%d of %d bytes, %v)", m.UID, len(raw), len(msgs[m.UID-1]), err)
		}
		if chunked {
			break
		}
	}
	if !chunked {
		t.Errorf("no large message found for the partial-fetch path")
	}
	h.eng.fetcher.close()

	// A resync with no change is one LIST (with STATUS) and changes nothing.
	start = time.Now()
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatalf("resync: %v", err)
	}
	t.Logf("resync without changes: %v", time.Since(start))
	if diff := h.matchServer(); diff != "" {
		t.Fatalf("after resync:\n%s", diff)
	}
}

func TestConnectionTest(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	h := newHarness(t, d, "alice", nil)
	rep, err := testWith(context.Background(), h.acc, d.Password("alice"), h.opt)
	if err != nil {
		t.Fatalf("test: %v", err)
	}
	if !strings.HasPrefix(rep.Greeting, "* OK") || !strings.Contains(rep.TLS, "TLS 1.") ||
		!strings.Contains(strings.Join(rep.Capabilities, " "), "IDLE") {
		t.Errorf("report: %+v", rep)
	}
	_, err = testWith(context.Background(), h.acc, "wrong", h.opt)
	if err == nil || !isRefusal(err) {
		t.Errorf("wrong password: err = %v, want a refusal", err)
	}
	if strings.Contains(err.Error(), d.Password("alice")) {
		t.Errorf("error mentions the password")
	}
}

// TestLiveChanges: another client changes the mailbox while the engine runs; within a second the
// cache matches the server exactly.
func TestLiveChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts testbed.Options
	}{
		{"idle+condstore", testbed.Options{}},
		{"no idle, no condstore", testbed.Options{DisableIDLE: true, DisableCondstore: true}},
	} {
		t.Run(tc.name, func(t *testing.T) { testLiveChanges(t, tc.opts) })
	}
}

func testLiveChanges(t *testing.T, opts testbed.Options) {
	d := testbed.StartT(t, opts)
	if err := d.Deliver("alice", "INBOX", generate(10, 200)...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Archive", generate(11, 10)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, "alice", nil)
	h.supervise()
	h.waitOnline(30 * time.Second)
	c := d.IMAPSClientT(t, "alice", nil)
	h.eventuallyMatches(5*time.Second, "initial sync")

	sel := func(name string) {
		t.Helper()
		if _, err := c.Select(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	store := func(uids imap.UIDSet, op imap.StoreFlagsOp, flags ...imap.Flag) {
		t.Helper()
		if err := c.Store(uids, &imap.StoreFlags{Op: op, Silent: true, Flags: flags}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
	appendMsg := func(folder string, raw []byte, flags ...imap.Flag) {
		t.Helper()
		cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	var worst time.Duration
	step := func(what string, do func()) {
		t.Helper()
		do()
		took := h.eventuallyMatches(time.Second, what)
		worst = max(worst, took)
		t.Logf("%-28s reached the cache in %v", what, took.Round(time.Millisecond))
	}
	extra := generate(12, 3)

	sel("INBOX")
	step("flag", func() { store(imap.UIDSetNum(5), imap.StoreFlagsAdd, imap.FlagFlagged) })
	step("mark read", func() { store(imap.UIDSetNum(6, 7), imap.StoreFlagsAdd, imap.FlagSeen) })
	step("mark unread", func() { store(imap.UIDSetNum(6), imap.StoreFlagsDel, imap.FlagSeen) })
	step("move to Archive", func() {
		if _, err := c.Move(imap.UIDSetNum(10, 11), "Archive").Wait(); err != nil {
			t.Fatal(err)
		}
	})
	step("expunge", func() {
		store(imap.UIDSetNum(12), imap.StoreFlagsAdd, imap.FlagDeleted)
		if err := c.UIDExpunge(imap.UIDSetNum(12)).Close(); err != nil {
			t.Fatal(err)
		}
	})
	step("append to INBOX", func() { appendMsg("INBOX", extra[0]) })
	step("append to Sent", func() { appendMsg("Sent", extra[1], imap.FlagSeen) })
	sel("Archive")
	step("flag in Archive", func() { store(imap.UIDSetNum(1, 2), imap.StoreFlagsAdd, imap.FlagFlagged, imap.FlagSeen) })
	step("delivery over LMTP", func() {
		if err := d.DeliverLMTP(context.Background(), "alice", extra[2]); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("slowest change: %v", worst.Round(time.Millisecond))

	// The event follows the cache update by a moment.
	newMail := 0
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		newMail = 0
		for _, ev := range h.rec.All() {
			if nm, ok := ev.(types.NewMail); ok && nm.Folder == "INBOX" {
				newMail += len(nm.Messages)
				for _, m := range nm.Messages {
					if m.ID == 0 || m.Subject == "" {
						t.Errorf("new mail event without a stored message: %+v", m)
					}
				}
			}
		}
		if newMail >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if newMail != 2 {
		t.Errorf("NewMail announced %d INBOX messages, want 2 (the append and the delivery)", newMail)
	}
}

// uidsToIDs maps UIDs of a folder to local message ids.
func uidsToIDs(t *testing.T, h *harness, folder string, uids ...uint32) []int64 {
	t.Helper()
	f := folderByName(t, h.cache, h.acc.Name, folder)
	var ids []int64
	for _, u := range uids {
		m, err := h.cache.MessageByUID(context.Background(), f.ID, u)
		if err != nil {
			t.Fatalf("%s uid %d: %v", folder, u, err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// TestOfflineReplay: changes made while the server is down are replayed when it is back; the
// server then matches the cache, moved messages keep their local ids, and a refused change is
// undone locally and reported.
func TestOfflineReplay(t *testing.T) {
	t.Run("MOVE and UIDPLUS", func(t *testing.T) { testOfflineReplay(t, nil) })
	// COPY + STORE + EXPUNGE, plain EXPUNGE, STATUS per folder, plain SEARCH, roles by name.
	t.Run("fallbacks", func(t *testing.T) {
		testOfflineReplay(t, []string{"MOVE", "UIDPLUS", "LIST-STATUS", "ESEARCH", "SPECIAL-USE"})
	})
}

func testOfflineReplay(t *testing.T, dropCaps []string) {
	d := testbed.StartT(t, testbed.Options{})
	if err := d.Deliver("alice", "INBOX", generate(20, 100)...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Archive", generate(21, 5)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, "alice", func(o *options, _ *types.Account) { o.dropCaps = dropCaps })
	ctx := context.Background()
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SyncOnce(ctx); err == nil {
		t.Fatal("sync with the server down succeeded")
	}

	archive := folderByName(t, h.cache, "alice", "Archive")
	trash := folderByName(t, h.cache, "alice", "Trash")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.cache.SetFlags(ctx, uidsToIDs(t, h, "INBOX", 1, 2, 3), localcache.FlagSeen, 0, true))
	must(h.cache.SetFlags(ctx, uidsToIDs(t, h, "INBOX", 4), localcache.FlagFlagged|localcache.FlagAnswered, 0, true))
	moved := uidsToIDs(t, h, "INBOX", 5, 6)
	must(h.cache.Move(ctx, moved, archive.ID, true))
	must(h.cache.SetFlags(ctx, moved[:1], localcache.FlagFlagged, 0, true)) // flagged after the move
	must(h.cache.Expunge(ctx, uidsToIDs(t, h, "INBOX", 7), true))
	toTrash := uidsToIDs(t, h, "INBOX", 8)
	must(h.cache.Move(ctx, toTrash, trash.ID, true))
	must(h.cache.Expunge(ctx, toTrash, true)) // deleted for good from Trash before any replay
	newFolder, err := h.cache.EnsureFolder(ctx, localcache.Folder{Account: "alice", Name: "Offline/New", Subscribed: true})
	must(err)
	must(h.cache.Enqueue(ctx, localcache.PendingOp{Account: "alice", Op: localcache.CreateFolderOp{Name: "Offline/New"}}))
	must(h.cache.Move(ctx, uidsToIDs(t, h, "INBOX", 9), newFolder.ID, true))
	// A folder that exists only locally, with no queued creation: the server refuses the move.
	nowhere, err := h.cache.EnsureFolder(ctx, localcache.Folder{Account: "alice", Name: "Nowhere", Subscribed: true})
	must(err)
	refused := uidsToIDs(t, h, "INBOX", 10)
	must(h.cache.Move(ctx, refused, nowhere.ID, true))

	if err := d.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatalf("sync after restart: %v", err)
	}
	if _, err := h.cache.FolderByName(ctx, "alice", "Nowhere"); err != nil {
		t.Errorf("a local-only folder must survive one pass (its creation may be about to be queued): %v", err)
	}
	// A second pass removes the folder that exists only here.
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatalf("second sync after restart: %v", err)
	}
	ops, err := h.cache.PendingOps(ctx, "alice")
	must(err)
	if len(ops) != 0 {
		t.Errorf("%d operations still queued: %+v", len(ops), ops)
	}
	c := d.IMAPSClientT(t, "alice", nil)
	if diff := h.matchServer(); diff != "" {
		t.Fatalf("server and cache differ after replay:\n%s", diff)
	}
	srv, err := serverState(c)
	must(err)
	if len(srv["INBOX"]) != 95 || len(srv["Archive"]) != 7 || len(srv["Trash"]) != 0 || len(srv["Offline/New"]) != 1 {
		t.Errorf("server folders: INBOX %d, Archive %d, Trash %d, Offline/New %d; want 95, 7, 0, 1",
			len(srv["INBOX"]), len(srv["Archive"]), len(srv["Trash"]), len(srv["Offline/New"]))
	}
	for i, id := range moved {
		m, err := h.cache.Message(ctx, id)
		if err != nil || m.FolderID != archive.ID || m.UID == 0 {
			t.Errorf("moved message %d: %+v, %v; want it in Archive with a UID (COPYUID)", id, m, err)
			continue
		}
		if i == 0 && !m.Flags.Has(localcache.FlagFlagged) {
			t.Errorf("flag set after an offline move was lost")
		}
	}
	back, err := h.cache.Message(ctx, refused[0])
	if err != nil || back.UID != 10 || back.FolderID != folderByName(t, h.cache, "alice", "INBOX").ID {
		t.Errorf("refused move not undone: %+v, %v", back, err)
	}
	var refusals int
	for _, ev := range h.rec.All() {
		if e, ok := ev.(types.Error); ok && strings.HasPrefix(e.Op, "replay") {
			refusals++
		}
	}
	if refusals != 1 {
		t.Errorf("%d refusals reported, want 1", refusals)
	}
	if _, err := h.cache.FolderByName(ctx, "alice", "Nowhere"); err == nil {
		t.Errorf("folder that exists only locally survived the resync")
	}
}

// TestReconnect: connections are killed in the middle of the first sync's FETCH and later while
// idling; run by the Manager, the engine reconnects and ends up consistent, and every stored body
// is the complete message.
func TestReconnect(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	msgs := generate(30, 1500)
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, "alice", func(o *options, a *types.Account) {
		o.headerBatches = []int{50, 200}
		a.IMAP.BodyWindowDays = -1
	})
	backends := map[types.Protocol]types.Backend{types.IMAP: {
		New:               func(deps types.EngineDeps) types.Engine { return newEngine(deps, h.opt) },
		KeepsMailOnServer: true,
	}}
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{h.acc}}, h.cache,
		testkit.NewSecrets(accounts.ErrNoPassword, map[string]string{"alice": d.Password("alice")}), backends)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); m.Wait() }()
	progress := make(chan types.SyncProgress, 1000)
	go func() {
		for ev := range m.Events() {
			h.rec.Emit(ev)
			if p, ok := ev.(types.SyncProgress); ok {
				select {
				case progress <- p:
				default:
				}
			}
		}
	}()
	m.Start(ctx)

	// Kill while the first sync is fetching headers.
	for p := range progress {
		if p.Folder == "INBOX" && p.Done >= 250 {
			if p.Done == p.Total {
				t.Fatalf("first sync finished before the connection could be killed")
			}
			break
		}
	}
	if err := d.KillConnections("alice"); err != nil {
		t.Fatal(err)
	}
	took := h.eventuallyMatches(60*time.Second, "after a kill during the first sync")
	t.Logf("consistent again %v after the kill", took.Round(time.Millisecond))

	// Kill while idling, then change things while the engine is away.
	time.Sleep(300 * time.Millisecond)
	if err := d.KillConnections("alice"); err != nil {
		t.Fatal(err)
	}
	c := d.IMAPSClientT(t, "alice", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(1, 2, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
		Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.DeliverLMTP(ctx, "alice", generate(31, 1)[0]); err != nil {
		t.Fatal(err)
	}
	h.eventuallyMatches(30*time.Second, "after a kill during IDLE")

	var errorsSeen int
	for _, ev := range h.rec.All() {
		if cs, ok := ev.(types.ConnState); ok && cs.State == types.StateError {
			errorsSeen++
		}
	}
	if errorsSeen < 2 {
		t.Errorf("%d connection errors reported, want at least 2", errorsSeen)
	}

	// Every body in the store is a whole message.
	inbox := folderByName(t, h.cache, "alice", "INBOX")
	page, err := h.cache.Page(ctx, []int64{inbox.ID}, nil, 5000)
	if err != nil {
		t.Fatal(err)
	}
	bodies := 0
	for _, msg := range page {
		if msg.BodyKey == "" || msg.UID > uint32(len(msgs)) {
			continue
		}
		raw, err := h.cache.Body(ctx, msg.BodyKey)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, msgs[msg.UID-1]) {
			t.Fatalf("uid %d: stored body is not the message (%d of %d bytes)", msg.UID, len(raw), len(msgs[msg.UID-1]))
		}
		bodies++
	}
	t.Logf("%d complete bodies stored", bodies)
}

// TestFolderChanges: UIDVALIDITY changes, folders created, renamed and deleted on either side.
func TestFolderChanges(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	if err := d.Deliver("alice", "INBOX", generate(40, 10)...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Projects", generate(41, 20)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, "alice", nil)
	h.supervise()
	h.waitOnline(30 * time.Second)
	h.eventuallyMatches(5*time.Second, "initial sync")
	ctx := context.Background()
	projects := folderByName(t, h.cache, "alice", "Projects")

	// (Special folders are auto-created by Dovecot, which races with deleting and creating them.)
	if err := d.RecreateMailbox("alice", "Projects"); err != nil {
		t.Fatal(err)
	}
	deliver(t, d, "alice", "Projects", generate(42, 5)...)
	h.eventuallyMatches(2*time.Second, "folder recreated with a new UIDVALIDITY")
	after := folderByName(t, h.cache, "alice", "Projects")
	if after.UIDValidity == projects.UIDValidity || after.Total != 5 {
		t.Errorf("folder after UIDVALIDITY change: %+v (before %+v)", after, projects)
	}

	if err := d.RecreateMailbox("alice", "INBOX"); err != nil { // also kicks the engine's sessions
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "INBOX", generate(43, 3)...); err != nil {
		t.Fatal(err)
	}
	h.eventuallyMatches(10*time.Second, "INBOX recreated")

	deliver(t, d, "alice", "Server/Made", generate(44, 3)...)
	h.eventuallyMatches(2*time.Second, "folder created on the server")

	// Created, renamed and deleted here, as the Manager records them.
	if _, err := h.cache.EnsureFolder(ctx, localcache.Folder{Account: "alice", Name: "Local/One", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.Enqueue(ctx, localcache.PendingOp{Account: "alice", Op: localcache.CreateFolderOp{Name: "Local/One"}}); err != nil {
		t.Fatal(err)
	}
	h.eng.Wake()
	h.eventuallyMatches(2*time.Second, "folder created locally")

	made := folderByName(t, h.cache, "alice", "Server/Made")
	if err := h.cache.RenameFolder(ctx, made.ID, "Server/Renamed"); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.Enqueue(ctx, localcache.PendingOp{Account: "alice",
		FolderID: made.ID, Op: localcache.RenameFolderOp{Name: "Server/Made", NewName: "Server/Renamed"}}); err != nil {
		t.Fatal(err)
	}
	h.eng.Wake()
	h.eventuallyMatches(2*time.Second, "folder renamed locally")
	if f := folderByName(t, h.cache, "alice", "Server/Renamed"); f.ID != made.ID || f.Total != 3 {
		t.Errorf("renamed folder lost its identity or messages: %+v", f)
	}

	one := folderByName(t, h.cache, "alice", "Local/One")
	if err := h.cache.Enqueue(ctx, localcache.PendingOp{Account: "alice",
		FolderID: one.ID, Op: localcache.DeleteFolderOp{Name: one.Name}}); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.DeleteFolder(ctx, one.ID); err != nil {
		t.Fatal(err)
	}
	h.eng.Wake()
	h.eventuallyMatches(2*time.Second, "folder deleted locally")

	if err := d.DeleteMailbox("alice", "Server/Renamed"); err != nil {
		t.Fatal(err)
	}
	h.eventuallyMatches(2*time.Second, "folder deleted on the server")
}

// TestStaleOpsAfterUIDValidityChange: changes queued while disconnected against a folder whose UIDVALIDITY
// then changed are not replayed (their UIDs could name other messages); they are undone and
// reported, and the folder is fetched again.
func TestStaleOpsAfterUIDValidityChange(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	if err := d.Deliver("alice", "Projects", generate(50, 5)...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, "alice", nil)
	ctx := context.Background()
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// Queued while the engine is not connected.
	if err := h.cache.Expunge(ctx, uidsToIDs(t, h, "Projects", 1), true); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.SetFlags(ctx, uidsToIDs(t, h, "Projects", 2), localcache.FlagFlagged, 0, true); err != nil {
		t.Fatal(err)
	}
	old := folderByName(t, h.cache, "alice", "Projects").UIDValidity
	if err := d.SetUIDValidity("alice", "Projects", old+1000); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := h.matchServer(); diff != "" {
		t.Fatalf("after the UIDVALIDITY change:\n%s", diff)
	}
	srv, err := serverState(h.observer)
	if err != nil {
		t.Fatal(err)
	}
	if len(srv["Projects"]) != 5 || srv["Projects"][2]&localcache.FlagFlagged != 0 {
		t.Errorf("stale changes reached the server: %v", srv["Projects"])
	}
	if f := folderByName(t, h.cache, "alice", "Projects"); f.UIDValidity != old+1000 {
		t.Errorf("UIDVALIDITY %d, want %d", f.UIDValidity, old+1000)
	}
	refused := 0
	for _, ev := range h.rec.All() {
		if e, ok := ev.(types.Error); ok && errors.Is(e.Err, errStaleOp) {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d stale changes reported, want 2", refused)
	}
}
