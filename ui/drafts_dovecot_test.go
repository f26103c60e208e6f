package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/imapsync"
	"postbode/sync/smtpsend"
	"postbode/types"
)

// profile is one device: its own cache and Manager with the real IMAP engine and outbox.
type profile struct {
	cache *localcache.Cache
	m     *accounts.Manager
	ob    *smtpsend.Outbox
}

func newProfile(t *testing.T, acc types.Account, pw *testkit.Secrets) profile {
	t.Helper()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	var p profile
	p.cache = cache
	p.m = accounts.NewManager(&accounts.Config{Accounts: []types.Account{acc}}, cache, pw,
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend},
		accounts.Options{Sender: func(m *accounts.Manager) accounts.Sender {
			p.ob = smtpsend.NewOutbox(cache, m, pw)
			return p.ob
		}})
	return p
}

func (p profile) sync(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := p.m.SyncOnce(ctx, "alice"); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// folderMessages lists what the profile's cache holds in the folder with that role.
func (p profile) folderMessages(t *testing.T, ctx context.Context, role string) []localcache.Message {
	t.Helper()
	f, err := p.cache.FolderByRole(ctx, "alice", role)
	if err != nil {
		t.Fatalf("no %s folder: %v", role, err)
	}
	msgs, err := p.cache.Page(ctx, []int64{f.ID}, nil, 50)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestDraftAcrossProfilesOnDovecot: a draft with two attachments saved on one device reaches the
// server's Drafts; a second device syncing the same account opens it in its composer (the UI's
// own path), edits it and sends it through Postfix. The server's Drafts ends with no copy, Sent
// with one, whose reply headers, attachments and edited text survived.
func TestDraftAcrossProfilesOnDovecot(t *testing.T) {
	testbed.RequireAvailable(t)
	testbed.RequirePostfix(t)
	d := testbed.StartT(t, testbed.Options{})
	pf := testbed.StartPostfixT(t, d, testbed.PostfixOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	acc := types.Account{
		Name: "alice", Kind: types.IMAP, DisplayName: "Alice", Email: "alice@mail.test",
		Signature: testSignature,
		Incoming:  types.Server{Host: d.Host, Port: d.IMAPSPort, Security: types.SecurityTLS, User: "alice", CAFile: d.CAFile},
		Outgoing:  types.Server{Host: pf.Host, Port: pf.SubmissionsPort, Security: types.SecurityTLS, User: "alice", CAFile: d.CAFile},
	}
	pw := testkit.NewSecrets(accounts.ErrNoPassword, map[string]string{"alice": d.Password("alice")})

	// Device one saves the draft; its sync APPENDs it to the server's Drafts.
	one := newProfile(t, acc, pw)
	one.sync(t, ctx)
	draft, _ := storedDraft(t)
	draft.To = []mailfmt.Address{{Name: "Bob", Email: "bob@mail.test"}}
	draft.Cc, draft.Bcc = nil, nil
	if _, err := one.m.SaveDraftID(ctx, types.SaveDraft{Account: "alice", Draft: draft}); err != nil {
		t.Fatal(err)
	}
	one.sync(t, ctx)
	if st, err := d.Status("alice", "Drafts"); err != nil || st.Messages != 1 {
		t.Fatalf("server Drafts after saving: %+v (%v)", st, err)
	}

	// Device two syncs the account and opens the draft in its composer.
	two := newProfile(t, acc, pw)
	two.sync(t, ctx)
	onTwo := two.folderMessages(t, ctx, localcache.RoleDrafts)
	if len(onTwo) != 1 {
		t.Fatalf("device two's Drafts holds %d messages", len(onTwo))
	}
	h := &harness{t: t, app: test.NewTempApp(t), cache: two.cache, mgr: two.m, q: &execQueue{}}
	uictx, stop := context.WithCancel(ctx)
	defer stop()
	h.u = newUI(uictx, h.app, Deps{Manager: two.m, Cache: two.cache, Autosave: two.cache, Sender: ManagerSender{Manager: two.m},
		MarkReadDelay: -1, AutosaveDelay: -1}, h.q.Exec)
	h.settle()
	h.u.editDraft(onTwo[0].ID)
	h.settle()
	if len(h.u.composers) != 1 {
		t.Fatalf("%d composers", len(h.u.composers))
	}
	c := h.u.composers[0]
	if c.base.Replaces != onTwo[0].ID || c.subject.Text != draft.Subject || c.to.Text != "Bob <bob@mail.test>" ||
		len(c.files) != 2 || c.base.InReplyTo != draft.InReplyTo || c.body.Text != draft.Text {
		t.Fatalf("reopened: replaces %d, subject %q, to %q, %d files, in-reply-to %q, body %q",
			c.base.Replaces, c.subject.Text, c.to.Text, len(c.files), c.base.InReplyTo, c.body.Text)
	}
	c.win.Canvas().Focus(c.body)
	test.Type(c.body, "Bewerkt op het tweede apparaat. ")
	c.doSend()
	h.settle()
	if len(h.u.composers) != 0 {
		t.Fatal("the composer stayed open after sending")
	}
	if err := two.ob.Flush(ctx); err != nil {
		t.Fatalf("outbox: %v", err)
	}
	if items, _ := two.cache.Outbox(ctx, "alice"); len(items) != 0 {
		t.Fatalf("outbox still holds %+v", items)
	}
	two.sync(t, ctx) // replays the draft's removal and the Sent copy's APPEND

	if st, err := d.Status("alice", "Drafts"); err != nil || st.Messages != 0 {
		t.Fatalf("server Drafts after sending: %+v (%v)", st, err)
	}
	if st, err := d.Status("alice", "Sent"); err != nil || st.Messages != 1 {
		t.Fatalf("server Sent after sending: %+v (%v)", st, err)
	}
	// Device one sees the same: no draft, and the sent message as the server holds it.
	one.sync(t, ctx)
	if left := one.folderMessages(t, ctx, localcache.RoleDrafts); len(left) != 0 {
		t.Fatalf("device one's Drafts still holds %d", len(left))
	}
	sent := one.folderMessages(t, ctx, localcache.RoleSent)
	if len(sent) != 1 {
		t.Fatalf("device one's Sent holds %d", len(sent))
	}
	if sent[0].BodyKey == "" {
		if err := one.m.FetchBody(ctx, sent[0].ID); err != nil {
			t.Fatal(err)
		}
		sent = one.folderMessages(t, ctx, localcache.RoleSent)
	}
	raw, err := one.cache.Body(ctx, sent[0].BodyKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mailfmt.ParseDraft(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.InReplyTo != draft.InReplyTo || strings.Join(got.References, " ") != strings.Join(draft.References, " ") {
		t.Errorf("reply headers on the server: %q %q", got.InReplyTo, got.References)
	}
	if len(got.Attachments) != 2 || !bytes.Equal(got.Attachments[1].Data, draft.Attachments[1].Data) {
		t.Errorf("attachments on the server: %+v", got.Attachments)
	}
	if !strings.HasPrefix(got.Text, "Bewerkt op het tweede apparaat. Dag Zoë") ||
		strings.Count(got.Text, mailfmt.SignatureSeparator) != 1 || got.From.Email != "alice@mail.test" {
		t.Errorf("sent %q from %v", got.Text, got.From)
	}
}
