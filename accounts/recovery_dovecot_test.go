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

func until(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, timeout)
	return 0
}

// recoveryRig is an IMAP account on the test-bed Dovecot run by a Manager with the real engine.
type recoveryRig struct {
	d     *testbed.Dovecot
	m     *accounts.Manager
	cache *localcache.Cache
	log   *testkit.Events
	inbox int64
}

func startRecoveryRig(t *testing.T, opt accounts.Options) *recoveryRig {
	d, cache, _ := aliceBed(t, 11, 3)
	acc := testkit.BedAccount(d, "alice", "alice", types.IMAP)
	pw := testkit.NewSecrets(accounts.ErrNoPassword, map[string]string{"alice": d.Password("alice")})
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{acc}}, cache, pw,
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend}, opt)
	r := &recoveryRig{d: d, m: m, cache: cache, log: testkit.Collect(m.Events())}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	until(t, 60*time.Second, "first sync", func() bool { return r.log.Count("alice", types.StateOnline) == 1 })
	inbox, err := cache.FolderByRole(ctx, "alice", localcache.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	r.inbox = inbox.ID
	return r
}

// outage stops Dovecot until the engine reports the failure, delivers a message meanwhile and
// brings the server back; it returns the new message's subject.
func (r *recoveryRig) outage(t *testing.T, down time.Duration) string {
	t.Helper()
	errorsBefore := r.log.Count("alice", types.StateError)
	if err := r.d.Halt(); err != nil {
		t.Fatal(err)
	}
	until(t, 30*time.Second, "the engine to report the outage", func() bool {
		return r.log.Count("alice", types.StateError) > errorsBefore
	})
	subject := fmt.Sprintf("Delivered during the outage %d", time.Now().UnixNano())
	msg := fmt.Sprintf("From: bob@mail.test\r\nTo: alice@mail.test\r\nSubject: %s\r\nDate: %s\r\n"+
		"Message-ID: <%d@mail.test>\r\n\r\nhello\r\n", subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	if err := r.d.Deliver("alice", "INBOX", []byte(msg)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(down)
	if err := r.d.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	return subject
}

func (r *recoveryRig) cached(t *testing.T, subject string) bool {
	msgs, err := r.cache.Page(context.Background(), []int64{r.inbox}, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Subject == subject {
			return true
		}
	}
	return false
}

// After an outage of the real server, Retry brings the account back at once: the engine waits a
// minute between attempts here, so only the Retry can explain a recovery within 5 seconds.
func TestRetryRecoversFromServerOutage(t *testing.T) {
	r := startRecoveryRig(t, accounts.Options{MinBackoff: time.Minute, MaxBackoff: time.Minute,
		WatchNetwork: func(ctx context.Context, _ func()) { <-ctx.Done() }})
	subject := r.outage(t, 0)
	onlineBefore := r.log.Count("alice", types.StateOnline)
	start := time.Now()
	if err := r.m.Do(context.Background(), types.CheckNow{Account: "alice"}); err != nil {
		t.Fatal(err)
	}
	online := until(t, 5*time.Second, "online again after Retry", func() bool {
		return r.log.Count("alice", types.StateOnline) > onlineBefore
	})
	until(t, 5*time.Second-online, "the mail delivered during the outage in the cache", func() bool {
		return r.cached(t, subject)
	})
	t.Logf("after Retry: online in %v, new mail in the cache in %v", online, time.Since(start))
}

// Without any user action, an account is back within seconds of the server's return, even after
// several failed attempts.
func TestRecoveryWithoutRetry(t *testing.T) {
	r := startRecoveryRig(t, accounts.Options{WatchNetwork: func(ctx context.Context, _ func()) { <-ctx.Done() }})
	subject := r.outage(t, 4*time.Second) // attempts after about 1, 2 and 4 s fail meanwhile
	start := time.Now()
	until(t, 15*time.Second, "the mail delivered during the outage in the cache", func() bool {
		return r.cached(t, subject)
	})
	t.Logf("without Retry: new mail in the cache %v after the server came back", time.Since(start))
}
