package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/types"
)

// A search finds a word in a message whose body was never downloaded: the local results come
// first, then the server's, merged, and the coverage line says which part came from where.
func TestSearchAsksTheServerForBodiesNotDownloaded(t *testing.T) {
	testbed.RequireAvailable(t)
	d := testbed.StartT(t, testbed.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	mail := func(from, subject, body string, date time.Time) []byte {
		return []byte(fmt.Sprintf("From: %s\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d@mail.test>\r\n\r\n%s\r\n",
			from, subject, date.Format(time.RFC1123Z), date.Unix(), body))
	}
	if err := d.CreateMailbox("alice", "Projects"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(-2, 0, 0)
	if err := d.Deliver("alice", "Projects",
		mail("Ann <ann@example.org>", "Minutes from 2024", "We signed the zanzibar treaty.", old),
		mail("Cy <cy@example.org>", "The treaty again", "The zanzibar treaty, once more.", time.Now().Add(-time.Hour)),
	); err != nil {
		t.Fatal(err)
	}
	acc := types.Account{Name: "alice", Kind: types.IMAP, DisplayName: "Alice", Email: "alice@mail.test",
		Incoming: types.Server{Host: d.Host, Port: d.IMAPSPort, Security: types.SecurityTLS, User: "alice", CAFile: d.CAFile}}
	p := newProfile(t, acc, testkit.NewSecrets(accounts.ErrNoPassword, map[string]string{"alice": d.Password("alice")}))
	p.sync(t, ctx)

	h := &harness{t: t, app: test.NewTempApp(t), cache: p.cache, mgr: p.m, q: &execQueue{}}
	uictx, stop := context.WithCancel(ctx)
	defer stop()
	h.u = newUI(uictx, h.app, Deps{Manager: p.m, Cache: p.cache, Autosave: p.cache, MarkReadDelay: -1, AutosaveDelay: -1}, h.q.Exec)
	h.settle()
	h.u.search.entry.SetText("zanzibar")
	h.u.search.run("zanzibar")
	h.settle()
	res := h.u.list.scope.search
	if res == nil || res.server.state != serverDone || res.server.err != "" {
		t.Fatalf("server search: %+v", res)
	}
	if len(res.result.Messages) != 2 || res.server.found != 1 || res.result.Messages[1].Subject != "Minutes from 2024" {
		t.Fatalf("results %d (%d from the server): %+v", len(res.result.Messages), res.server.found, res.result.Messages)
	}
	if line := coverageLine(res); !containsText(h.u.list.view(), line) {
		t.Fatalf("coverage line %q not shown", line)
	}
	// A change in the cache runs the search again; the servers' answer is kept, not asked for anew.
	h.u.search.rerun()
	h.q.RunAll()
	h.settle()
	if again := h.u.list.scope.search; again == res || again.server.state != serverDone || again.server.found != 1 {
		t.Fatalf("after a rerun: %+v", again.server)
	}
	savePNG(t, h.u.win.Canvas().Capture(), "search-server"+langSuffix()+".png")
}

func TestSearchAsksTheServerInDutch(t *testing.T) {
	screenshotInDutch(t, "TestSearchAsksTheServerForBodiesNotDownloaded", "search-server-nl.png")
}
