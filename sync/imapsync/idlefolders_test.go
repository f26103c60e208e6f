package imapsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

// Mail the server delivers into another folder than INBOX (a server-side filter) arrives by IDLE
// on that folder, not at the next poll (set to an hour here). The time it took is reported.
func TestIdleOnOtherFolders(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	for _, name := range []string{"Lists", "Quiet"} {
		if err := d.CreateMailbox("alice", name); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(subject string) []byte {
		return []byte(fmt.Sprintf("From: list@example.org\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@example.org>\r\n\r\nhello\r\n",
			subject, time.Now().Format(time.RFC1123Z), subject))
	}
	// Lists has had mail, Quiet none: with one watcher, Lists is the one watched.
	if err := d.Deliver("alice", "Lists", msg("first")); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, d, "alice", func(o *options, _ *types.Account) {
		o.pollInterval, o.fullInterval = time.Hour, time.Hour
		o.idleFolders = 1
	})
	h.supervise()
	h.waitOnline(30 * time.Second)
	ctx := context.Background()
	lists, err := h.cache.FolderByName(ctx, "alice", "Lists")
	if err != nil {
		t.Fatal(err)
	}
	count := func(f localcache.Folder) int {
		msgs, err := h.cache.Page(ctx, []int64{f.ID}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(msgs)
	}
	if got := busiestFolders(mustFolders(t, h.cache), 1); len(got) != 1 || got[0].Name != "Lists" {
		t.Fatalf("watched folders: %+v", got)
	}
	time.Sleep(time.Second) // the watcher's IDLE is up
	start := time.Now()
	if err := d.Deliver("alice", "Lists", msg("second")); err != nil {
		t.Fatal(err)
	}
	for count(lists) != 2 {
		if time.Since(start) > 30*time.Second {
			t.Fatal("mail delivered to Lists did not arrive without a poll")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("mail delivered to Lists was in the cache after %v (Dovecot tells IDLE after about 0.5 s)", time.Since(start).Round(time.Millisecond))
}

func mustFolders(t *testing.T, c *localcache.Cache) []localcache.Folder {
	t.Helper()
	fs, err := c.Folders(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
