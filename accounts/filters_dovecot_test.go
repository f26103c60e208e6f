package accounts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/rules"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/types"
)

// shopMail is one message from the shop and one from a friend, with subjects unique to the test.
func shopMail(tag string) (shop, friend []byte, shopSubject, friendSubject string) {
	mk := func(from, subject string) []byte {
		return fmt.Appendf(nil, "From: %s\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s.%d@mail.test>\r\n\r\nhello\r\n",
			from, subject, time.Now().Format(time.RFC1123Z), strings.ReplaceAll(subject, " ", "."), time.Now().UnixNano())
	}
	shopSubject, friendSubject = "Offers "+tag, "Dinner "+tag
	return mk("Shop <news@shop.example>", shopSubject), mk("bob@mail.test", friendSubject), shopSubject, friendSubject
}

// moveShopMail is a rule moving mail from the shop into the account's Shop folder.
func moveShopMail(account string) rules.Set {
	return rules.Set{Rules: []rules.Rule{{Name: "Shop", Enabled: true, Match: rules.MatchAll,
		Conditions: []rules.Condition{{Field: rules.FieldFrom, Op: rules.OpContains, Value: "@shop.example"}},
		Actions:    []rules.Action{{Kind: rules.ActMove, Folder: &rules.Folder{Account: account, Name: "Shop"}}}}}}
}

// subjectsIn lists the subjects of a folder in the cache ("INBOX": the inbox, whatever its name).
func subjectsIn(t *testing.T, cache *localcache.Cache, account, folder string) []string {
	t.Helper()
	f, err := cache.FolderByName(context.Background(), account, folder)
	if folder == "INBOX" {
		f, err = cache.FolderByRole(context.Background(), account, localcache.RoleInbox)
	}
	if err != nil {
		return nil
	}
	msgs, err := cache.Page(context.Background(), []int64{f.ID}, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Subject)
	}
	return out
}

func holds(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// serverSubjects lists the subjects in a mailbox of alice on the test bed, through doveadm.
func serverSubjects(t *testing.T, d *testbed.Dovecot, mailbox string) string {
	t.Helper()
	out, err := d.Doveadm(context.Background(), "-f", "flow", "fetch", "-u", "alice", "hdr.subject", "mailbox", mailbox)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// A rule moving mail from a sender into a folder works on new mail of a POP3 inbox (the folder
// is local) and of an IMAP inbox pushed by IDLE (the move reaches the server); mail from others
// stays in the inbox.
func TestFilterMovesNewMailOnDovecot(t *testing.T) {
	t.Run("pop3", func(t *testing.T) {
		d, cache, _ := aliceBed(t, 31, 2)
		shop, friend, shopSubject, friendSubject := shopMail("pop3")
		if err := d.Deliver("alice", "INBOX", shop, friend); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "alice", Name: "Shop"}); err != nil {
			t.Fatal(err)
		}
		m := startFilterManager(t, d, cache, types.POP3)
		testkit.Collect(m.Events())
		until(t, 60*time.Second, "the shop's mail in Shop", func() bool { return holds(subjectsIn(t, cache, "alice", "Shop"), shopSubject) })
		until(t, 10*time.Second, "the friend's mail in the inbox", func() bool {
			return holds(subjectsIn(t, cache, "alice", "INBOX"), friendSubject)
		})
		if in := subjectsIn(t, cache, "alice", "INBOX"); holds(in, shopSubject) || len(in) != 3 {
			t.Fatalf("inbox holds %q", in)
		}
		until(t, 10*time.Second, "the filter queue to empty", func() bool {
			q, err := cache.FilterQueue(ctx, 0, 10)
			return err == nil && len(q) == 0
		})
	})
	t.Run("imap", func(t *testing.T) {
		d, cache, _ := aliceBed(t, 32, 2)
		if err := d.CreateMailbox("alice", "Shop"); err != nil {
			t.Fatal(err)
		}
		m := startFilterManager(t, d, cache, types.IMAP)
		log := testkit.Collect(m.Events())
		until(t, 60*time.Second, "first sync", func() bool { return log.Count("alice", types.StateOnline) >= 1 })
		shop, friend, shopSubject, friendSubject := shopMail("imap")
		if err := d.Deliver("alice", "INBOX", shop, friend); err != nil {
			t.Fatal(err)
		}
		until(t, 60*time.Second, "the shop's mail in Shop on the server", func() bool {
			return strings.Contains(serverSubjects(t, d, "Shop"), shopSubject)
		})
		if in := serverSubjects(t, d, "INBOX"); strings.Contains(in, shopSubject) || !strings.Contains(in, friendSubject) {
			t.Fatalf("the server's INBOX holds %s", in)
		}
		until(t, 10*time.Second, "the shop's mail in Shop here", func() bool { return holds(subjectsIn(t, cache, "alice", "Shop"), shopSubject) })
		if in := subjectsIn(t, cache, "alice", "INBOX"); holds(in, shopSubject) || !holds(in, friendSubject) {
			t.Fatalf("inbox holds %q", in)
		}
	})
}

// startFilterManager runs alice's account of kind with moveShopMail until the test ends; the
// caller reads its events.
func startFilterManager(t *testing.T, d *testbed.Dovecot, cache *localcache.Cache, kind types.Protocol) *accounts.Manager {
	t.Helper()
	acc := testkit.BedAccount(d, "alice", "alice", kind)
	pw := testkit.NewSecrets(accounts.ErrNoPassword, map[string]string{"alice": d.Password("alice")})
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{acc}}, cache, pw,
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend, types.POP3: {New: pop3sync.New, Test: pop3sync.Test}},
		accounts.Options{Rules: moveShopMail("alice"), WatchNetwork: func(ctx context.Context, _ func()) { <-ctx.Done() }})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	return m
}
