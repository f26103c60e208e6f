package smtpsend

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// offlineAccount is an IMAP account whose servers are never reached in these tests.
func offlineAccount(t *testing.T) types.Account {
	port := closedPort(t)
	return types.Account{
		Name: "alice", Kind: types.IMAP, Email: "alice@mail.test",
		Incoming: types.Server{Host: "127.0.0.1", Port: port, Security: types.SecurityTLS, User: "alice"},
		Outgoing: types.Server{Host: "127.0.0.1", Port: port, Security: types.SecurityTLS, User: "alice"},
	}
}

// recorder stands in for SMTP and counts attempts.
type recorder struct {
	mu       sync.Mutex
	attempts []string // the raw messages, in order
}

func (rec *recorder) send(ctx context.Context, acc types.Account, password, from string, rcpt []string, raw []byte) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.attempts = append(rec.attempts, string(raw))
	return nil
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.attempts)
}

// TestRecoverInterruptedSending: Postbode stopped after the server accepted a message but before
// the outbox was cleaned up. On the next start the outbox never sends such a message again: with
// the Sent copy filed it was sent and is dropped; without it the user is told and decides.
func TestRecoverInterruptedSending(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	acc := offlineAccount(t)
	r := newRig(t, map[string]string{"alice": "alice-secret-pw"}, acc)
	build := func(subject, id string) ([]byte, string) {
		d := draftTo("bob@mail.test", subject)
		d.From = acc.Identity()
		d.MessageID = id
		raw, mid, err := mailfmt.Build(d)
		if err != nil {
			t.Fatal(err)
		}
		return raw, mid
	}
	add := func(raw []byte, id, state string) int64 {
		itemID, err := r.cache.OutboxAdd(ctx, localcache.OutboxItem{Account: "alice", MessageID: id,
			Sender: acc.Email, Recipients: []string{"bob@mail.test"}, Raw: raw})
		if err != nil {
			t.Fatal(err)
		}
		if state != localcache.OutboxQueued {
			if err := r.cache.OutboxSetState(ctx, itemID, state, time.Time{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		return itemID
	}

	// Sent and filed, crash before OutboxRemove.
	rawFiled, idFiled := build("filed", "filed.1@mail.test")
	filedID := add(rawFiled, idFiled, localcache.OutboxSending)
	if err := r.m.FileSent(ctx, "alice", rawFiled, idFiled); err != nil {
		t.Fatal(err)
	}
	// Handed to the server, crash before the Sent copy. The draft it was written from is still in
	// Drafts with the same Message-ID: that is not a Sent copy.
	rawLost, idLost := build("maybe sent", "maybe.2@mail.test")
	lostID := add(rawLost, idLost, localcache.OutboxSending)
	dr := draftTo("bob@mail.test", "maybe sent")
	dr.MessageID = idLost
	if err := r.m.Do(ctx, types.SaveDraft{Account: "alice", Draft: dr}); err != nil {
		t.Fatal(err)
	}
	if copies, _ := r.cache.MessagesByMessageID(ctx, "alice", idLost); len(copies) != 1 {
		t.Fatalf("draft copy: %d messages with the Message-ID, want 1", len(copies))
	}
	// A message that was merely queued goes out as usual.
	rawQueued, idQueued := build("queued", "queued.3@mail.test")
	add(rawQueued, idQueued, localcache.OutboxQueued)

	// "Restart": a new outbox on the same cache.
	ob := NewOutbox(r.cache, r.m, r.pw)
	ob.now = r.clock.Now
	rec := &recorder{}
	ob.send = rec.send
	if err := ob.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if rec.count() != 1 || rec.attempts[0] != string(rawQueued) {
		t.Fatalf("sent %d messages, want only the queued one", rec.count())
	}
	items := r.outbox(t, "alice")
	if len(items) != 1 {
		t.Fatalf("outbox after recovery: %+v, want only the unconfirmed item", items)
	}
	held := items[0]
	if held.ID != lostID || held.State != localcache.OutboxFailed || held.LastError != errMaybeSent.Error() {
		t.Fatalf("unconfirmed item: id %d (want %d), state %q, error %q", held.ID, lostID, held.State, held.LastError)
	}
	for _, it := range items {
		if it.ID == filedID {
			t.Error("the filed item is still in the outbox")
		}
	}
	var reported error
	for drained := false; !drained; {
		select {
		case ev := <-r.m.Events():
			if e, ok := ev.(types.Error); ok && e.Op == "send" {
				reported = e.Err
			}
		default:
			drained = true
		}
	}
	if !errors.Is(reported, errMaybeSent) {
		t.Errorf("the user was not told about the unconfirmed message (last send error event: %v)", reported)
	}

	// Later flushes, however late, leave the held item alone.
	r.clock.Advance(24 * time.Hour)
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 1 {
		t.Fatalf("sent %d messages after recovery, want 1", rec.count())
	}
	if it := r.onlyItem(t, "alice"); it.State != localcache.OutboxFailed || it.Attempts != held.Attempts {
		t.Fatalf("held item changed: %+v", it)
	}
}

// TestSentButNotFiledIsHeld: the server accepted the message but the Sent copy could not be
// stored: the item leaves the queue (failed, with the reason) instead of being sent again.
func TestSentButNotFiledIsHeld(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	acc := offlineAccount(t)
	r := newRig(t, map[string]string{"alice": "pw"}, acc)
	rec := &recorder{}
	r.ob.send = rec.send
	r.ob.filer = failingFiler{}
	it := r.heldAfterFailure(t, ctx, "not filed")
	if rec.count() != 1 || it.State != localcache.OutboxFailed {
		t.Fatalf("sent %d times, item %+v; want one send and a held item", rec.count(), it)
	}
}

type failingFiler struct{}

func (failingFiler) FileSent(context.Context, string, []byte, string) error {
	return errors.New("disk full")
}
