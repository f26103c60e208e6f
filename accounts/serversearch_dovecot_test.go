package accounts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/types"
)

// A word in a message whose body was never downloaded (older than the body window) is found by
// the server's SEARCH, not by the local one; operators go to the server too, and a query the
// index answers whole is not sent.
func TestSearchServerFindsWordsInBodiesNotDownloaded(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	mail := func(from, subject, body string, date time.Time) []byte {
		return []byte(fmt.Sprintf("From: %s\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d.%s@mail.test>\r\n\r\n%s\r\n",
			from, subject, date.Format(time.RFC1123Z), date.Unix(), from[:3], body))
	}
	old := time.Now().AddDate(-2, 0, 0)
	// Not INBOX, whose newest messages get their bodies whatever their date.
	if err := d.CreateMailbox("alice", "Projects"); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Projects",
		mail("ann@example.org", "Minutes", "We signed the zanzibar treaty.", old),
		mail("bob@example.org", "Lunch", "Nothing to see here.", old.Add(time.Hour)),
		mail("cy@example.org", "Again", "The zanzibar treaty, once more.", time.Now().Add(-time.Hour)),
	); err != nil {
		t.Fatal(err)
	}
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{testkit.BedAccount(d, "alice", "alice", types.IMAP)}}, cache,
		testkit.NewSecrets(nil, map[string]string{"alice": d.Password("alice")}),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	q := localcache.SearchQuery{Text: "zanzibar", Limit: 100}
	until(t, 60*time.Second, "the recent message's body", func() bool {
		res, err := cache.Search(ctx, q)
		return err == nil && len(res.Messages) == 1
	})
	local, _ := cache.Search(ctx, q)
	if local.Messages[0].Subject != "Again" || local.WithoutBody != 2 {
		t.Fatalf("local search found %q with %d bodies missing", local.Messages[0].Subject, local.WithoutBody)
	}

	found, err := m.SearchServer(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if found.Folders != 1 || len(found.Messages) != 1 || found.Messages[0].Subject != "Minutes" {
		t.Fatalf("server search: %d folders, %+v", found.Folders, found.Messages)
	}
	for text, want := range map[string]int{"zanzibar from:ann": 1, "zanzibar from:bob": 0, `"signed the zanzibar"`: 1, "treaty lunch": 0} {
		found, err := m.SearchServer(ctx, localcache.SearchQuery{Text: text, Limit: 100})
		if err != nil || len(found.Messages) != want {
			t.Errorf("server search %q: %d found (%v), want %d", text, len(found.Messages), err, want)
		}
	}
	if found, err := m.SearchServer(ctx, localcache.SearchQuery{Text: "from:ann"}); err != nil || found.Folders != 0 {
		t.Fatalf("an operator-only query went to the server: %+v, %v", found, err)
	}
}
