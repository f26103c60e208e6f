package accounts_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
)

// serverKeywords returns the flags of every message of a folder on the server, by Message-ID.
func serverKeywords(t *testing.T, c *imapclient.Client, folder string) map[string][]imap.Flag {
	t.Helper()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", folder, err)
	}
	out := map[string][]imap.Flag{}
	for _, m := range msgs {
		out[m.Envelope.MessageID] = m.Flags
	}
	return out
}

// Junk and Not junk through the Manager and the real engine reach Dovecot: the keyword is stored
// and the message moves to Junk (\Junk) and back.
func TestJunkReachesTheServer(t *testing.T) {
	r := startRecoveryRig(t, accounts.Options{})
	ctx := context.Background()
	msgs, err := r.cache.Page(ctx, []int64{r.inbox}, nil, 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("inbox: %d messages, %v", len(msgs), err)
	}
	spam := msgs[0]
	settled := func(what string) {
		until(t, 30*time.Second, what, func() bool {
			ops, err := r.cache.PendingOps(ctx, "alice")
			return err == nil && len(ops) == 0
		})
	}
	c, err := imapclient.DialTLS(r.d.IMAPSAddr(), &imapclient.Options{TLSConfig: r.d.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", r.d.Password("alice")).Wait(); err != nil {
		t.Fatal(err)
	}

	if err := r.m.Do(ctx, types.MarkJunk{IDs: []int64{spam.ID}, Junk: true}); err != nil {
		t.Fatal(err)
	}
	settled("Junk replayed")
	junk := serverKeywords(t, c, "Junk")
	if flags, ok := junk[spam.MessageID]; !ok || !slices.Contains(flags, imap.Flag(localcache.KeywordJunk)) {
		t.Fatalf("server Junk holds %v; want %s with $Junk", junk, spam.MessageID)
	}
	if inbox := serverKeywords(t, c, "INBOX"); len(inbox) != 2 {
		t.Fatalf("server INBOX holds %d messages, want 2", len(inbox))
	}
	// The moved message got its server UID back, so Not junk can name it there.
	until(t, 10*time.Second, "UID in Junk", func() bool {
		m, err := r.cache.Message(ctx, spam.ID)
		return err == nil && m.UID != 0
	})

	if err := r.m.Do(ctx, types.MarkJunk{IDs: []int64{spam.ID}, Junk: false}); err != nil {
		t.Fatal(err)
	}
	settled("Not junk replayed")
	inbox := serverKeywords(t, c, "INBOX")
	flags, ok := inbox[spam.MessageID]
	if !ok || !slices.Contains(flags, imap.Flag(localcache.KeywordNotJunk)) || slices.Contains(flags, imap.Flag(localcache.KeywordJunk)) {
		t.Fatalf("server INBOX holds %v; want %s with $NotJunk and without $Junk", inbox, spam.MessageID)
	}
	if junk := serverKeywords(t, c, "Junk"); len(junk) != 0 {
		t.Fatalf("server Junk still holds %v", junk)
	}
}
