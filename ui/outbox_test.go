package ui

import (
	"context"
	"errors"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/smtpsend"
	"postbode/types"
)

// The Outbox appears in the folder pane while messages wait to be sent, shows each with where it
// stands (a refused one with the server's reason), and lets the user send one now, take one back
// into a composer, or delete one; once empty it goes away.
func TestOutboxShowsWaitingAndRefusedMessages(t *testing.T) {
	h := newHarness(t, harnessOpts{outbox: func(c *localcache.Cache, m *accounts.Manager) accounts.Sender {
		return smtpsend.NewOutbox(c, m, testkit.NewSecrets(accounts.ErrNoPassword, nil))
	}})
	h.startPump()
	seedInbox(h, 1)
	h.u.deps.Sender = ManagerSender{Manager: h.mgr}
	ctx := context.Background()
	send := func(subject string, hold time.Duration) int64 {
		t.Helper()
		id, err := h.mgr.Send(ctx, types.Send{Account: "work", Hold: hold, Draft: mailfmt.Draft{
			To: []mailfmt.Address{{Email: "bob@example.org"}}, Subject: subject, Text: "Hello"}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	later := send("Later", time.Hour)
	refused := send("Refused", time.Hour)
	if err := h.cache.OutboxSetState(ctx, refused, localcache.OutboxFailed, time.Time{},
		errors.New("550 5.1.1 bob@example.org: mailbox unavailable")); err != nil {
		t.Fatal(err)
	}
	h.u.folders.reload()
	h.settle()
	i := h.u.folders.indexOf("outbox")
	if i < 0 {
		t.Fatal("no Outbox in the folder pane")
	}
	if e := h.u.folders.entries[i]; e.unread != 2 || e.failed != 1 {
		t.Fatalf("Outbox entry counts %d waiting, %d failed; want 2, 1", e.unread, e.failed)
	}
	h.u.folders.list.Select(i)
	h.settle()
	if h.u.outbox == nil || len(h.u.outbox.items) != 2 {
		t.Fatal("the Outbox is not shown")
	}
	to := func(subject string) string {
		return tr("To {{.To}}: {{.Subject}}", map[string]any{"To": "bob@example.org", "Subject": subject})
	}
	for _, want := range []string{to("Later"), to("Refused"),
		tr("Not sent: {{.Reason}}", map[string]any{"Reason": "550 5.1.1 bob@example.org: mailbox unavailable"})} {
		if !containsText(h.u.outbox.view(), want) {
			t.Errorf("the Outbox does not show %q: %q", want, texts(h.u.outbox.view()))
		}
	}
	savePNG(t, h.u.win.Canvas().Capture(), "outbox"+langSuffix()+".png")

	// Send now: the refused message is due again at once.
	tapButtonIn(t, h.u.outbox.rows.Objects[1], tr("Send now"))
	h.settle()
	if items, _ := h.cache.Outbox(ctx, "work"); items[1].State != localcache.OutboxQueued || items[1].NextAttempt.After(time.Now()) {
		t.Fatalf("after Send now: %+v", items[1])
	}
	// Edit: the waiting message comes back into a composer and leaves the outbox.
	tapButtonIn(t, h.u.outbox.rows.Objects[0], tr("Edit"))
	h.settle()
	if len(h.u.composers) != 1 || h.u.composers[0].subject.Text != "Later" {
		t.Fatalf("%d composers after Edit", len(h.u.composers))
	}
	if _, _, err := h.mgr.Unsend(ctx, later); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("the edited message is still in the outbox: %v", err)
	}
	h.u.composers[0].win.Close()
	// Delete, confirmed: the outbox is empty and goes away; the pane opens the inbox.
	tapButtonIn(t, h.u.outbox.rows.Objects[0], tr("Delete"))
	tapButtonIn(t, h.u.win.Canvas().Overlays().Top(), tr("Yes"))
	h.settle()
	if items, _ := h.cache.Outbox(ctx, ""); len(items) != 0 {
		t.Fatalf("outbox after Delete: %+v", items)
	}
	if h.u.folders.indexOf("outbox") >= 0 || h.u.outbox != nil {
		t.Fatal("the empty Outbox is still shown")
	}
}

func TestOutboxInDutch(t *testing.T) {
	screenshotInDutch(t, "TestOutboxShowsWaitingAndRefusedMessages", "outbox-nl.png")
}
