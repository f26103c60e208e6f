package smtpsend

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/imapsync"
	"postbode/types"
)

// runEngine runs an account's IMAP engine on a cache of its own (another device) until the test
// ends, and waits until it is online.
func runEngine(t *testing.T, d *testbed.Dovecot, acc types.Account) *localcache.Cache {
	t.Helper()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	events := make(chan types.Event, 256)
	e := imapsync.New(types.EngineDeps{
		Account:  acc,
		Cache:    cache,
		Password: func() (string, error) { return d.Password(acc.Incoming.User), nil },
		Emit: func(ev types.Event) {
			select {
			case events <- ev:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	// Registered after the cache's Close, so it runs first.
	t.Cleanup(func() {
		cancel()
		<-done
	})
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if cs, ok := ev.(types.ConnState); ok && cs.State == types.StateOnline {
				return cache
			}
		case err := <-done:
			t.Fatalf("engine of %s stopped before going online: %v", acc.Name, err)
		case <-timeout:
			t.Fatalf("engine of %s not online after 20 s", acc.Name)
		}
	}
}

// localCopies returns the cache's copies of a message in the folder with that role.
func localCopies(t *testing.T, cache *localcache.Cache, account, role, messageID string) []localcache.Message {
	t.Helper()
	ctx := context.Background()
	f, err := cache.FolderByRole(ctx, account, role)
	if err != nil {
		t.Fatalf("%s has no %s folder in the cache: %v", account, role, err)
	}
	all, err := cache.MessagesByMessageID(ctx, account, messageID)
	if err != nil {
		t.Fatal(err)
	}
	var out []localcache.Message
	for _, m := range all {
		if m.FolderID == f.ID {
			out = append(out, m)
		}
	}
	return out
}

func localBody(t *testing.T, cache *localcache.Cache, m localcache.Message) []byte {
	t.Helper()
	if m.BodyKey == "" {
		t.Fatalf("message %d (%s) has no stored body", m.ID, m.MessageID)
	}
	raw, err := cache.Body(context.Background(), m.BodyKey)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func draftTo(to, subject string) mailfmt.Draft {
	return mailfmt.Draft{
		To:      []mailfmt.Address{{Name: strings.ToUpper(to[:1]) + to[1:strings.IndexByte(to, '@')], Email: to}},
		Subject: subject,
		Text:    "Hello,\n\nshall we have lunch on Friday? Reply to " + subject + ".\n\n.leading dot line\n",
	}
}

// TestSendIMAPEndToEnd: alice sends to bob through the Manager and the outbox; Postfix delivers to
// bob's INBOX, bob's other device sees it through IDLE, and alice's Sent on the server ends up with
// the exact bytes that were sent.
func TestSendIMAPEndToEnd(t *testing.T) {
	d, p := servers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	alice := imapAccount(d, p, "alice")
	r := newRig(t, map[string]string{"alice": d.Password("alice")}, alice)
	// The first pass brings the server's folders, Sent with its \Sent role among them.
	if err := r.m.SyncOnce(ctx, "alice"); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	bobCache := runEngine(t, d, imapAccount(d, p, "bob"))

	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		r.ob.Run(runCtx)
	}()
	defer func() {
		stopRun()
		<-runDone
	}()

	queued := time.Now()
	if err := r.m.Do(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", "e2e-imap")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	if time.Since(queued) > time.Second {
		t.Errorf("Do(Send) took %v: it must not wait on the network", time.Since(queued))
	}
	// Queue is durable before any attempt; the running outbox was woken and delivers it.
	var item localcache.OutboxItem
	if items := r.outbox(t, "alice"); len(items) == 1 {
		item = items[0]
	} else {
		// Already sent: the Sent copy holds the bytes.
		t.Logf("outbox already empty when checked (%d items)", len(items))
	}
	var sentAt time.Time
	for deadline := time.Now().Add(15 * time.Second); ; {
		if len(r.outbox(t, "alice")) == 0 {
			sentAt = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds the message after 15 s: %+v", r.outbox(t, "alice"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("sent %v after Do(Send)", sentAt.Sub(queued).Round(time.Millisecond))

	// The Sent copy is filed locally at once and queued for APPEND.
	sentFolder, err := r.cache.FolderByRole(ctx, "alice", localcache.RoleSent)
	if err != nil {
		t.Fatal(err)
	}
	var messageID string
	if item.ID != 0 {
		messageID = item.MessageID
	} else {
		all, err := r.cache.Page(ctx, []int64{sentFolder.ID}, nil, 10)
		if err != nil || len(all) != 1 {
			t.Fatalf("local Sent: %d messages, %v", len(all), err)
		}
		messageID = all[0].MessageID
	}
	local := localCopies(t, r.cache, "alice", localcache.RoleSent, messageID)
	if len(local) != 1 {
		t.Fatalf("local Sent holds %d copies of <%s>, want 1", len(local), messageID)
	}
	raw := localBody(t, r.cache, local[0])
	if item.ID != 0 && !bytes.Equal(raw, item.Raw) {
		t.Fatal("local Sent copy differs from the queued bytes")
	}

	// Bob's device learns of it through IDLE.
	for deadline := sentAt.Add(2 * time.Second); ; {
		got, err := bobCache.MessagesByMessageID(ctx, "bob", messageID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			t.Logf("bob's cache has it %v after the send", time.Since(sentAt).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's cache does not show <%s> within 2 s of the send", messageID)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Bob's INBOX on the server: the sent bytes behind the MTA's trace headers.
	bob := d.IMAPSClientT(t, "bob", nil)
	uids := waitServerCopies(t, bob, "INBOX", messageID, 1, 5*time.Second)
	if got := fetchRaw(t, bob, uids[0]); !bytes.HasSuffix(got, raw) {
		t.Errorf("bob's copy does not end with the sent bytes:\n%s", got)
	}

	ops, err := r.cache.PendingOps(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	appends := 0
	for _, op := range ops {
		if a, ok := op.Op.(localcache.AppendOp); ok && op.FolderID == sentFolder.ID && a.BodyKey == local[0].BodyKey {
			appends++
		}
	}
	if appends != 1 {
		t.Fatalf("pending ops %+v: want one APPEND of the Sent copy", ops)
	}

	// The Manager's pass replays the APPEND: alice's Sent on the server holds the same bytes.
	if err := r.m.SyncOnce(ctx, "alice"); err != nil {
		t.Fatalf("sync after send: %v", err)
	}
	if ops, _ := r.cache.PendingOps(ctx, "alice"); len(ops) != 0 {
		t.Errorf("pending ops left after the sync: %+v", ops)
	}
	aliceIMAP := d.IMAPSClientT(t, "alice", nil)
	uids = serverCopies(t, aliceIMAP, "Sent", messageID)
	if len(uids) != 1 {
		t.Fatalf("alice's Sent on the server holds %d copies, want 1", len(uids))
	}
	if got := fetchRaw(t, aliceIMAP, uids[0]); !bytes.Equal(got, raw) {
		t.Errorf("alice's Sent on the server differs from the sent bytes:\n--- server ---\n%s\n--- sent ---\n%s", got, raw)
	}
	if n := len(localCopies(t, r.cache, "alice", localcache.RoleSent, messageID)); n != 1 {
		t.Errorf("local Sent holds %d copies after the sync, want 1", n)
	}
}

// TestSendPOP3KeepsSentLocal: a POP3 account's sent mail is filed in its local Sent folder only.
func TestSendPOP3KeepsSentLocal(t *testing.T) {
	d, p := servers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if st, err := d.Status("carol", "Sent"); err != nil || st.Messages != 0 {
		t.Fatalf("carol's Sent on the server before: %+v, %v", st, err)
	}

	carol := pop3Account(d, p, "carol")
	r := newRig(t, map[string]string{"carol": d.Password("carol")}, carol)
	if err := r.m.Do(ctx, types.Send{Account: "carol", Draft: draftTo("bob@mail.test", "e2e-pop3")}); err != nil {
		t.Fatal(err)
	}
	item := r.onlyItem(t, "carol")
	if item.State != localcache.OutboxQueued || item.Attempts != 0 {
		t.Fatalf("queued item: %+v", item)
	}
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if items := r.outbox(t, "carol"); len(items) != 0 {
		t.Fatalf("outbox after a successful send: %+v", items)
	}

	local := localCopies(t, r.cache, "carol", localcache.RoleSent, item.MessageID)
	if len(local) != 1 {
		t.Fatalf("local Sent holds %d copies, want 1", len(local))
	}
	if !bytes.Equal(localBody(t, r.cache, local[0]), item.Raw) {
		t.Error("local Sent copy differs from the sent bytes")
	}
	if local[0].Flags&localcache.FlagSeen == 0 {
		t.Error("the Sent copy should be marked read")
	}
	if ops, err := r.cache.PendingOps(ctx, "carol"); err != nil || len(ops) != 0 {
		t.Errorf("a POP3 account must queue nothing for the server, got %+v (%v)", ops, err)
	}

	bob := d.IMAPSClientT(t, "bob", nil)
	waitServerCopies(t, bob, "INBOX", item.MessageID, 1, 5*time.Second)

	// Nothing of it on carol's server side: Sent stays empty, no folder has it.
	if st, err := d.Status("carol", "Sent"); err != nil || st.Messages != 0 {
		t.Errorf("carol's Sent on the server after: %+v, %v", st, err)
	}
	c := d.IMAPSClientT(t, "carol", nil)
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) < 2 {
		t.Fatalf("carol's folders: %+v", boxes)
	}
	for _, b := range boxes {
		if n := len(serverCopies(t, c, b.Mailbox, item.MessageID)); n != 0 {
			t.Errorf("carol's %s on the server holds %d copies", b.Mailbox, n)
		}
	}
}

// TestSendOffline: with Postfix down the message waits in the outbox, and goes out exactly once
// when the server is back and the retry is due.
func TestSendOffline(t *testing.T) {
	d, p := servers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if err := p.Halt(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.Running() {
			if err := p.Restart(context.Background()); err != nil {
				t.Errorf("restart postfix: %v", err)
			}
		}
	})

	alice := imapAccount(d, p, "alice")
	r := newRig(t, map[string]string{"alice": d.Password("alice")}, alice)
	sent := 0
	r.ob.send = func(ctx context.Context, acc types.Account, password, from string, rcpt []string, raw []byte) error {
		err := Send(ctx, acc, password, from, rcpt, raw)
		if err == nil {
			sent++
		}
		return err
	}
	if err := r.m.Do(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", "e2e-offline")}); err != nil {
		t.Fatal(err)
	}
	err := r.ob.Flush(ctx)
	if err == nil {
		t.Fatal("flush with the server down reported success")
	}
	se := sendErr(t, err)
	if se.Kind != types.ProblemUnreachable || se.Permanent {
		t.Fatalf("got %+v, want a temporary %q", se, types.ProblemUnreachable)
	}
	item := r.onlyItem(t, "alice")
	if item.State != localcache.OutboxQueued || item.Attempts != 1 || !strings.Contains(item.LastError, problemText[types.ProblemUnreachable]) {
		t.Fatalf("after the failed attempt: state %q, attempts %d, last error %q", item.State, item.Attempts, item.LastError)
	}
	if wait := item.NextAttempt.Sub(r.clock.Now()); wait < 28*time.Second || wait > 31*time.Second {
		t.Errorf("next attempt in %v, want about 30 s", wait)
	}

	// Not due yet: nothing is tried, whether the server is back or not.
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatalf("flush before due: %v", err)
	}
	if err := p.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatalf("flush before due: %v", err)
	}
	if it := r.onlyItem(t, "alice"); it.Attempts != 1 || it.State != localcache.OutboxQueued || sent != 0 {
		t.Fatalf("an attempt was made before it was due: %+v (sent %d)", it, sent)
	}

	r.clock.Advance(31 * time.Second)
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatalf("flush when due: %v", err)
	}
	if items := r.outbox(t, "alice"); len(items) != 0 {
		t.Fatalf("outbox after the retry: %+v", items)
	}
	r.clock.Advance(time.Hour)
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if sent != 1 {
		t.Fatalf("SMTP accepted the message %d times, want 1", sent)
	}
	if n := len(localCopies(t, r.cache, "alice", localcache.RoleSent, item.MessageID)); n != 1 {
		t.Errorf("local Sent holds %d copies, want 1", n)
	}

	bob := d.IMAPSClientT(t, "bob", nil)
	waitServerCopies(t, bob, "INBOX", item.MessageID, 1, 5*time.Second)
	time.Sleep(time.Second) // a second copy, had there been one, would be delivered by now
	if n := len(serverCopies(t, bob, "INBOX", item.MessageID)); n != 1 {
		t.Fatalf("bob received %d copies, want exactly 1", n)
	}
}

// TestUndoSendSendsNothing: a message held for undo send and taken back within the delay never
// reaches the server; one not taken back goes out once the delay has passed, not before.
func TestUndoSendSendsNothing(t *testing.T) {
	d, p := servers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	alice := imapAccount(d, p, "alice")
	r := newRig(t, map[string]string{"alice": d.Password("alice")}, alice)
	var sent []string
	r.ob.send = func(ctx context.Context, acc types.Account, password, from string, rcpt []string, raw []byte) error {
		err := Send(ctx, acc, password, from, rcpt, raw)
		if err == nil {
			sent = append(sent, sentSubject(raw))
		}
		return err
	}
	hold := 5 * time.Second
	if _, err := r.m.Send(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", "undo-send kept"), Hold: hold}); err != nil {
		t.Fatal(err)
	}
	taken, err := r.m.Send(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", "undo-send taken back"), Hold: hold})
	if err != nil {
		t.Fatal(err)
	}
	items := r.outbox(t, "alice")
	if len(items) != 2 {
		t.Fatalf("outbox holds %d items, want 2", len(items))
	}
	kept, takenBack := items[0].MessageID, items[1].MessageID

	if err := r.ob.Flush(ctx); err != nil || len(sent) != 0 {
		t.Fatalf("flush within the delay: %v; sent %q", err, sent)
	}
	account, back, err := r.m.Unsend(ctx, taken)
	if err != nil || account != "alice" || back.Subject != "undo-send taken back" || len(back.To) != 1 || back.To[0].Email != "bob@mail.test" {
		t.Fatalf("unsend = %q, %+v, %v", account, back, err)
	}
	if _, _, err := r.m.Unsend(ctx, taken); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("second unsend: %v", err)
	}

	r.clock.Advance(hold + time.Second)
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0] != "undo-send kept" {
		t.Fatalf("sent %q, want only the message not taken back", sent)
	}
	bob := d.IMAPSClientT(t, "bob", nil)
	waitServerCopies(t, bob, "INBOX", kept, 1, 5*time.Second)
	time.Sleep(time.Second) // had the other gone out, it would be delivered by now
	if n := len(serverCopies(t, bob, "INBOX", takenBack)); n != 0 {
		t.Fatalf("bob received %d copies of the message taken back", n)
	}
}
