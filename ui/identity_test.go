package ui

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/smtpsend"
	"postbode/types"
)

// salesIdentity is a second address of the test account "work", with its own signature.
func salesIdentity(a *types.Account) {
	a.Signature = "Me, at work"
	a.Identities = []types.Identity{{Name: "Sales", Email: "sales@work.example", ReplyTo: "team@work.example", Signature: "The sales team"}}
}

// A reply to a message addressed to an alias goes out from that identity, with its signature
// once, its Reply-To, and the alias as envelope sender; From offers every identity.
func TestReplyToAnAliasUsesThatIdentity(t *testing.T) {
	h := newHarness(t, harnessOpts{editAccount: salesIdentity, outbox: func(c *localcache.Cache, m *accounts.Manager) accounts.Sender {
		return smtpsend.NewOutbox(c, m, testkit.NewSecrets(accounts.ErrNoPassword, nil))
	}})
	h.u.deps.Sender = ManagerSender{Manager: h.mgr}
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		raw := plainMessage("Ann", "ann@example.org", "Sales <sales@work.example>", "Price list", "Could you send me the prices?", h.now)
		return localcache.Message{Subject: "Price list", FromName: "Ann", FromAddr: "ann@example.org", Date: h.now}, raw
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	h.u.act.doReply(false)
	h.settle()
	c := h.u.composers[len(h.u.composers)-1]
	if got := c.from.Selected; got != "Sales <sales@work.example>" {
		t.Fatalf("From shows %q, want the alias the message was sent to", got)
	}
	if len(c.from.Options) != 2 {
		t.Fatalf("From offers %q", c.from.Options)
	}
	if n := strings.Count(c.body.Text, "-- \nThe sales team"); n != 1 || strings.Contains(c.body.Text, "Me, at work") {
		t.Fatalf("body %q: want the alias's signature once", c.body.Text)
	}
	savePNG(t, c.win.Canvas().Capture(), "composer-identity"+langSuffix()+".png")

	h.u.prefs.UndoSend = new(int) // send at once
	c.doSend()
	h.settle()
	items, err := h.cache.Outbox(context.Background(), "work")
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox %+v, %v", items, err)
	}
	sent, err := mailfmt.ParseDraft(items[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if sent.From.Email != "sales@work.example" || items[0].Sender != "sales@work.example" ||
		len(sent.ReplyTo) != 1 || sent.ReplyTo[0].Email != "team@work.example" || strings.Count(sent.Text, "-- \n") != 1 {
		t.Fatalf("sent from %v (envelope %s), reply-to %v, text %q", sent.From, items[0].Sender, sent.ReplyTo, sent.Text)
	}

	// Choosing the account's own address swaps the signature.
	d := h.u.identity("work")
	c2 := h.u.openComposer(Draft{Account: "work", Draft: mailfmt.Draft{From: d.Address(), Text: h.u.signed(d, "")}})
	c2.from.SetSelected("Sales <sales@work.example>")
	if !strings.HasSuffix(c2.body.Text, "-- \nThe sales team\n") {
		t.Fatalf("after choosing Sales: %q", c2.body.Text)
	}
}

func TestReplyToAnAliasInDutch(t *testing.T) {
	screenshotInDutch(t, "TestReplyToAnAliasUsesThatIdentity", "composer-identity-nl.png")
}

// Account settings list the other identities; one is added through its dialog and read back
// with the account's settings, and one is removed.
func TestAccountSettingsEditIdentities(t *testing.T) {
	h := newHarness(t, harnessOpts{editAccount: salesIdentity})
	h.u.openAccountSettings("work")
	s := h.u.accWin
	if !containsText(s.others.view(), "Sales <sales@work.example>") {
		t.Fatalf("identities shown: %q", texts(s.others.view()))
	}
	s.others.edit(-1)
	var entries []*widget.Entry
	for _, o := range test.LaidOutObjects(s.win.Canvas().Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) != 4 {
		t.Fatalf("the identity dialog has %d entries, want name, address, Reply-To, signature", len(entries))
	}
	test.Type(entries[0], "Me (private)")
	test.Type(entries[1], "me@home.example")
	test.Type(entries[3], "Cheers")
	savePNG(t, s.win.Canvas().Capture(), "identity-dialog"+langSuffix()+".png")
	tapButtonIn(t, s.win.Canvas().Overlays().Top(), tr("OK"))
	acc, err := s.read()
	if err != nil {
		t.Fatal(err)
	}
	want := []types.Identity{
		{Name: "Sales", Email: "sales@work.example", ReplyTo: "team@work.example", Signature: "The sales team"},
		{Name: "Me (private)", Email: "me@home.example", Signature: "Cheers"},
	}
	if !reflect.DeepEqual(acc.Identities, want) {
		t.Fatalf("identities read back %+v", acc.Identities)
	}
	savePNG(t, s.win.Canvas().Capture(), "account-identities"+langSuffix()+".png")
	tapButtonIn(t, s.others.rows.Objects[0], tr("Remove"))
	if acc, _ = s.read(); len(acc.Identities) != 1 || acc.Identities[0].Email != "me@home.example" {
		t.Fatalf("after Remove: %+v", acc.Identities)
	}
	s.others.edit(0)
	for _, o := range test.LaidOutObjects(s.win.Canvas().Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok && e.Text == "me@home.example" {
			e.SetText("not an address")
		}
	}
	tapButtonIn(t, s.win.Canvas().Overlays().Top(), tr("OK"))
	if _, err := s.read(); err == nil {
		t.Fatal("an identity without an address was accepted")
	}
}

func TestAccountSettingsEditIdentitiesInDutch(t *testing.T) {
	screenshotInDutch(t, "TestAccountSettingsEditIdentities", "identity-dialog-nl.png", "account-identities-nl.png")
}

// Account settings turn the junk filter on for the account.
func TestAccountSettingsJunkFilter(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.u.openAccountSettings("work")
	s := h.u.accWin
	if s.junk.Checked {
		t.Fatal("the junk filter is on by default")
	}
	test.Tap(s.junk)
	if acc, err := s.read(); err != nil || !acc.JunkFilter {
		t.Fatalf("read back JunkFilter=%v (%v)", acc.JunkFilter, err)
	}
}
