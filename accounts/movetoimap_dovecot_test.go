package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/types"
)

// bigMessage is a message of about size bytes.
func bigMessage(i, size int) []byte {
	return []byte(fmt.Sprintf("From: ann@example.org\r\nTo: alice@mail.test\r\nSubject: Report %d\r\nDate: %s\r\nMessage-ID: <report-%d@example.org>\r\n\r\n%s\r\n",
		i, time.Date(2025, 3, 1, 10, i, 0, 0, time.UTC).Format(time.RFC1123Z), i, strings.Repeat("All figures of the quarter, line by line.\r\n", size/43)))
}

// The quota of the real Dovecot: an added account's and one not added yet (the twin discovery
// finds, asked with a password), and none from a server that sets no quota.
func TestQuotaFromDovecot(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{Quota: 5 << 20})
	if err := d.Deliver("alice", "INBOX", bigMessage(1, 100<<10), bigMessage(2, 100<<10)); err != nil {
		t.Fatal(err)
	}
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	alice := testkit.BedAccount(d, "alice", "alice", types.IMAP)
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{alice}}, cache,
		testkit.NewSecrets(nil, map[string]string{"alice": d.Password("alice")}),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q, ok, err := m.Quota(ctx, alice, "")
	if err != nil || !ok {
		t.Fatalf("quota of alice: %v, %v", ok, err)
	}
	if q.Limit != 5<<20 || q.Used < 200<<10 || q.Used > 260<<10 {
		t.Errorf("alice's quota: %+v, want 5 MiB with about 200 KiB used", q)
	}
	bob := testkit.BedAccount(d, "bob-imap", "bob", types.IMAP) // not added
	q, ok, err = m.Quota(ctx, bob, d.Password("bob"))
	if err != nil || !ok || q.Limit != 5<<20 || q.Used != 0 {
		t.Errorf("bob's quota, not added: %+v, %v, %v", q, ok, err)
	}
	if _, _, err := m.Quota(ctx, bob, "wrong"); err == nil {
		t.Error("a wrong password gave a quota")
	}

	// imap_capability lists every capability when one is dropped: QUOTA must stay among them.
	noIdle := testbed.StartT(t, testbed.Options{Quota: 1 << 20, DisableIDLE: true})
	if q, ok, err := m.Quota(ctx, testkit.BedAccount(noIdle, "other", "alice", types.IMAP), noIdle.Password("alice")); !ok || err != nil || q.Limit != 1<<20 {
		t.Errorf("a server without IDLE: %+v, %v, %v", q, ok, err)
	}

	plain := testbed.StartT(t, testbed.Options{})
	if q, ok, err := m.Quota(ctx, testkit.BedAccount(plain, "other", "alice", types.IMAP), plain.Password("alice")); ok || err != nil {
		t.Errorf("a server without quota: %+v, %v, %v", q, ok, err)
	}
}

// A move into an account whose server is too small: the plan says it will not fit, the server
// refuses what goes over its quota, the upload's error says so in the server's words, the refused
// copies are gone from the target here and the source holds all its mail still.
func TestUploadRefusedOverQuota(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{Quota: 300 << 10})
	var msgs [][]byte
	for i := range 8 {
		msgs = append(msgs, bigMessage(i, 60<<10))
	}
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{
		testkit.BedAccount(d, "alice", "alice", types.IMAP), testkit.BedAccount(d, "bob", "bob", types.IMAP)}}, cache,
		testkit.NewSecrets(nil, map[string]string{"alice": d.Password("alice"), "bob": d.Password("bob")}),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	events := testkit.Collect(m.Events())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := m.SyncOnce(ctx, "alice"); err != nil {
		t.Fatal(err)
	}

	plan, err := m.PlanMove(ctx, "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if !plan.HasQuota || plan.Quota.Limit != 300<<10 || plan.Fits() || plan.Messages != 8 || plan.Held != 0 {
		t.Errorf("plan: %+v; want 8 messages that do not fit in 300 KiB", plan)
	}

	var last [2]accounts.UploadProgress // by phase; UploadAccount reports from two goroutines
	var mu sync.Mutex
	res, err := m.UploadAccount(ctx, "alice", "bob", func(p accounts.UploadProgress) {
		mu.Lock()
		defer mu.Unlock()
		last[p.Phase] = p
	})
	if last[accounts.PhaseCopy] != (accounts.UploadProgress{Phase: accounts.PhaseCopy, Done: 8, Total: 8}) ||
		last[accounts.PhaseUpload] != (accounts.UploadProgress{Phase: accounts.PhaseUpload, Done: 8, Total: 8}) {
		t.Errorf("last progress reported: %+v", last)
	}
	var refused *accounts.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("upload over quota: %+v, %v; want a RefusedError", res, err)
	}
	t.Logf("%+v: %v", res, err)
	if !refused.OverQuota() || !strings.Contains(err.Error(), "Quota exceeded") || !strings.Contains(err.Error(), "OVERQUOTA") {
		t.Errorf("the error does not give the server's reason: %v", err)
	}
	if refused.Count != res.Refused || res.Refused < 4 || res.Refused == 8 || res.Copied != 8 {
		t.Errorf("copied %d, refused %d (%d); want 8 copied and some but not all refused", res.Copied, res.Refused, refused.Count)
	}
	if p := accounts.Diagnose(err); p != types.ProblemOverQuota {
		t.Errorf("the error is diagnosed as %q", p)
	}
	reported := 0
	for _, ev := range events.All() {
		if e, ok := ev.(types.Error); ok && e.Account == "bob" && strings.Contains(e.Err.Error(), "Quota exceeded") &&
			accounts.Diagnose(e.Err) == types.ProblemOverQuota {
			reported++
		}
	}
	if reported != res.Refused {
		t.Errorf("%d refusals reported to the user, want %d", reported, res.Refused)
	}
	if left, err := cache.PendingOps(ctx, "bob"); err != nil || len(left) != 0 {
		t.Errorf("%d changes still queued for bob (%v)", len(left), err)
	}
	bobInbox, err := cache.FolderByRole(ctx, "bob", localcache.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	if here, err := cache.PageIDs(ctx, []int64{bobInbox.ID}, nil, 20); err != nil || len(here) != 8-res.Refused {
		t.Errorf("bob's Inbox holds %d here (%v), want the %d the server took", len(here), err, 8-res.Refused)
	}
	if got := len(serverMessages(t, d, "bob", "INBOX")); got != 8-res.Refused {
		t.Errorf("bob's server holds %d, want %d", got, 8-res.Refused)
	}
	if got := len(serverMessages(t, d, "alice", "INBOX")); got != 8 {
		t.Errorf("alice's server holds %d after the move, want all 8", got)
	}
	aliceInbox, err := cache.FolderByRole(ctx, "alice", localcache.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	if here, err := cache.PageIDs(ctx, []int64{aliceInbox.ID}, nil, 20); err != nil || len(here) != 8 {
		t.Errorf("alice's Inbox holds %d here (%v), want 8", len(here), err)
	}
}

// The plan of the move (migrationBed): every folder of the POP3 account with its count
// and size, Sent and Drafts into the server's special-use folders, the Inbox messages the server
// still holds counted as there already; no quota from a server that sets none.
func TestPlanMovePOP3ToIMAP(t *testing.T) {
	mg := migrationBed(t, 200)
	cache, err := localcache.Open(mg.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	m := mg.manager(cache)
	plan, err := m.PlanMove(context.Background(), "pop", "imap")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]accounts.PlannedFolder{}
	for _, f := range plan.Folders {
		got[f.Name] = f
	}
	for name, want := range map[string]struct {
		target string
		n      int
	}{"Inbox": {"INBOX", 200}, "Sent": {"Sent", 28}, "Drafts": {"Drafts", 2}, "Projects/2024": {"Projects/2024", 12}, "Überblick": {"Überblick", 10}} {
		f := got[name]
		if f.Target != want.target || f.Messages != want.n || f.Bytes <= 0 {
			t.Errorf("folder %s in the plan: %+v; want %d messages into %s", name, f, want.n, want.target)
		}
	}
	if plan.Messages != 260 || plan.Held != 60 || got["Inbox"].Held != 60 || plan.HasQuota || !plan.Fits() {
		t.Errorf("plan: %d messages, %d held (Inbox %d), quota %v; want 260, 60 held in the Inbox, no quota",
			plan.Messages, plan.Held, got["Inbox"].Held, plan.HasQuota)
	}
	if plan.Upload() <= 0 || plan.Upload() >= plan.Bytes {
		t.Errorf("upload %d of %d bytes", plan.Upload(), plan.Bytes)
	}
}
