package pop3sync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/transport"
	"postbode/types"
)

var genEnd = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// TestDovecotServesMaildirFiles pins down how Dovecot's RETR relates to the stored file, which
// the byte-identity checks below rely on: the engine stores exactly what RETR sends.
func TestDovecotServesMaildirFiles(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	files := [][]byte{
		[]byte("Subject: crlf\r\n\r\nline\r\n.dot\r\n..two\r\n.\r\n"),
		[]byte("Subject: lf\n\nline\n.dot\n"),
		[]byte("Subject: mixed\r\n\r\nline\nx\r\n"),
		[]byte("Subject: no final line end\r\n\r\nline"),
		[]byte("Subject: bare cr\r\n\r\nli\rne\r\n"),
		[]byte("Subject: long\r\n\r\n" + strings.Repeat("x", 70_000) + "\r\n"),
	}
	if err := d.Deliver("alice", "INBOX", files...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, openCache(t, t.TempDir()), dovecotAccount(d, "alice", types.SecurityTLS, types.LeaveKeep), "alice-secret-pw")
	h.mustSync()
	got := h.bodySums()
	want := map[[32]byte]int{}
	for _, f := range files {
		want[sha256.Sum256(served(f))]++
	}
	if !maps.Equal(got, want) {
		t.Fatalf("stored bodies are not the served form of the maildir files")
	}
	// The CRLF files are served unchanged: for them the relation is identity.
	for _, i := range []int{0, 4, 5} {
		if !bytes.Equal(served(files[i]), files[i]) {
			t.Fatalf("file %d: served form differs", i)
		}
	}
}

func TestDovecotDownloadIsByteIdentical(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	msgs := testbed.Generate(7, 2000, testbed.GenOptions{End: genEnd})
	var dotLines, longLines int
	for _, m := range msgs {
		if !bytes.Equal(served(m), m) {
			t.Fatal("Generate produced a message that Dovecot would not serve unchanged")
		}
		for _, l := range bytes.Split(m, []byte("\r\n")) {
			if len(l) > 0 && l[0] == '.' {
				dotLines++
			}
			if len(l) > 4096 {
				longLines++
			}
		}
	}
	if dotLines == 0 || longLines == 0 {
		t.Fatalf("test data lacks lines starting with '.' (%d) or longer than 4096 bytes (%d)", dotLines, longLines)
	}
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, openCache(t, t.TempDir()), dovecotAccount(d, "alice", types.SecurityTLS, types.LeaveKeep), "alice-secret-pw")

	start := time.Now()
	evs := h.mustSync()
	t.Logf("first poll: %d messages in %v", len(msgs), time.Since(start))

	inbox := h.inbox()
	if len(inbox) != len(msgs) {
		t.Fatalf("inbox has %d messages, want %d", len(inbox), len(msgs))
	}
	if got, want := h.bodySums(), sums(msgs); !maps.Equal(got, want) {
		t.Fatal("downloaded bodies differ from the delivered messages")
	}
	if got, want := h.bodySums(), maildirSums(t, d, "alice"); !maps.Equal(got, want) {
		t.Fatal("downloaded bodies differ from the maildir files")
	}
	uidls := map[string]bool{}
	for _, m := range inbox {
		if m.UIDL == "" || m.BodyKey == "" || m.UID != 0 || m.ThreadKey == "" {
			t.Fatalf("index entry %+v", m)
		}
		uidls[m.UIDL] = true
	}
	if len(uidls) != len(msgs) {
		t.Fatalf("%d distinct UIDLs for %d messages", len(uidls), len(msgs))
	}
	withSnippet := 0
	for _, m := range inbox {
		if m.Snippet != "" && m.Subject != "" && m.FromAddr != "" {
			withSnippet++
		}
	}
	if withSnippet < len(msgs)*9/10 {
		t.Errorf("only %d of %d messages have subject, sender and snippet", withSnippet, len(msgs))
	}
	recs, err := h.cache.UIDLs(context.Background(), h.acc.Name)
	if err != nil || len(recs) != len(msgs) {
		t.Fatalf("%d UIDL records, %v", len(recs), err)
	}

	// Events: online, progress up to the total, one NewMail with everything, offline.
	if nm := newMail(evs); len(nm) != len(msgs) || nm[0].ID == 0 {
		t.Fatalf("NewMail carried %d messages", len(nm))
	}
	var states []types.State
	var last types.SyncProgress
	for _, e := range evs {
		switch e := e.(type) {
		case types.ConnState:
			states = append(states, e.State)
		case types.SyncProgress:
			last = e
		}
	}
	if len(states) != 2 || states[0] != types.StateOnline || states[1] != types.StateWaiting {
		t.Errorf("connection states %v", states)
	}
	if last.Done != len(msgs) || last.Total != len(msgs) || last.Folder != "Inbox" {
		t.Errorf("last progress %+v", last)
	}
	folders, err := h.cache.Folders(context.Background(), h.acc.Name)
	if err != nil || len(folders) != 6 {
		t.Fatalf("local folders %+v %v", folders, err)
	}

	// A second poll finds nothing new.
	evs = h.mustSync()
	if nm := newMail(evs); len(nm) != 0 {
		t.Fatalf("second poll downloaded %d messages", len(nm))
	}
	if n := len(h.inbox()); n != len(msgs) {
		t.Fatalf("inbox has %d messages after the second poll", n)
	}

	// New mail arrives over LMTP and is downloaded by the next poll, byte-identical.
	fresh := []byte("From: Carol <carol@mail.test>\r\nTo: alice@mail.test\r\nSubject: fresh\r\n" +
		"Message-ID: <fresh@mail.test>\r\n\r\n.a dot line\r\nbye\r\n")
	if err := d.DeliverLMTP(context.Background(), "alice", fresh); err != nil {
		t.Fatal(err)
	}
	evs = h.mustSync()
	nm := newMail(evs)
	if len(nm) != 1 || nm[0].Subject != "fresh" || nm[0].MessageID != "fresh@mail.test" {
		t.Fatalf("after delivery: %+v", nm)
	}
	if got, want := h.bodySums(), maildirSums(t, d, "alice"); !maps.Equal(got, want) {
		t.Fatal("the new message differs from its maildir file")
	}
	raw, err := h.cache.Body(context.Background(), nm[0].BodyKey)
	if err != nil || !bytes.HasSuffix(raw, []byte("\r\n.a dot line\r\nbye\r\n")) {
		t.Fatalf("new body %q, %v", raw, err)
	}
}

func TestDovecotSTARTTLSAndDeletePolicy(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	msgs := testbed.Generate(3, 30, testbed.GenOptions{End: genEnd, AttachmentRatio: -1})
	if err := d.Deliver("bob", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	acc := dovecotAccount(d, "bob", types.SecurityStartTLS, types.LeaveDelete)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	rep, err := Test(ctx, acc, "bob-secret-pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.TLS, "STARTTLS, TLS 1.") || rep.Greeting == "" || !strings.HasSuffix(rep.Server, ":"+strconv.Itoa(d.POP3Port)) {
		t.Errorf("report %+v", rep)
	}
	hasUIDL := false
	for _, c := range rep.Capabilities {
		hasUIDL = hasUIDL || c == "UIDL"
	}
	if !hasUIDL {
		t.Errorf("capabilities %q", rep.Capabilities)
	}
	if _, err := Test(ctx, acc, "wrong"); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
	if n := len(maildirSums(t, d, "bob")); n != len(msgs) {
		t.Fatalf("Test changed the maildrop: %d messages left", n)
	}

	h := newHarness(t, openCache(t, t.TempDir()), acc, "bob-secret-pw")
	h.mustSync()
	if got, want := h.bodySums(), sums(msgs); !maps.Equal(got, want) {
		t.Fatal("bodies differ")
	}
	if n := len(maildirSums(t, d, "bob")); n != 0 {
		t.Fatalf("%d messages left on the server under the delete policy", n)
	}
	recs, _ := h.cache.UIDLs(ctx, h.acc.Name)
	for u, r := range recs {
		if r.DeletedAt.IsZero() {
			t.Fatalf("record %s not marked deleted", u)
		}
	}
	// The next poll sees an empty maildrop and forgets the records of deleted messages.
	h.mustSync()
	if recs, _ := h.cache.UIDLs(ctx, h.acc.Name); len(recs) != 0 {
		t.Fatalf("%d records kept", len(recs))
	}
	if n := len(h.inbox()); n != len(msgs) {
		t.Fatalf("inbox has %d", n)
	}
}

func TestDovecotBadCertificateFailsClosed(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	acc := dovecotAccount(d, "alice", types.SecurityTLS, types.LeaveKeep)
	acc.Incoming.CAFile = "" // the testbed CA is not trusted then
	h := newHarness(t, openCache(t, t.TempDir()), acc, "alice-secret-pw")
	err := h.sync()
	var ce *transport.CertError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a certificate error", err)
	}
	if f, err := h.cache.FolderByRole(context.Background(), acc.Name, localcache.RoleInbox); err != nil || f.Name != "Inbox" {
		t.Fatalf("local folders are made even offline: %+v %v", f, err)
	}
}
