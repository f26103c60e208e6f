package mailmove

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/mailfile"
	"postbode/sync/imapsync"
	"postbode/types"
)

// An mbox imported into an IMAP folder on the real Dovecot: every message reaches the server once,
// byte for byte, the ones the server held already (their bodies never downloaded) included; a
// second import adds nothing.
func TestImportIntoIMAP(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	msgs := testbed.Generate(7, 60, testbed.GenOptions{AttachmentRatio: -1, End: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err := d.CreateMailbox("alice", "Old mail"); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("alice", "Old mail", msgs[:5]...); err != nil { // older than the body window
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "old.mbox")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	w := mailfile.NewMboxWriter(f)
	for _, raw := range msgs {
		if err := w.Write(&mailfile.Message{Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{testkit.BedAccount(d, "imap", "alice", types.IMAP)}}, cache,
		testkit.NewSecrets(nil, map[string]string{"imap": d.Password("alice")}),
		map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend})
	ctx := context.Background()
	opt := ImportOptions{Account: "imap", Folder: "Old mail", Source: src}
	sum, err := Import(ctx, cache, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Messages != 55 || sum.Duplicates != 5 {
		t.Errorf("first import: %+v, want 55 imported and the 5 on the server skipped", sum)
	}
	for range 5 {
		if err := m.SyncOnce(ctx, "imap"); err != nil {
			t.Fatal(err)
		}
		if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) == 0 {
			break
		}
	}
	if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) != 0 {
		t.Fatalf("%d uploads still queued", len(ops))
	}
	var want, got []string
	for _, raw := range msgs {
		want = append(want, testbed.SHA256(raw))
	}
	for _, m := range d.MailboxT(t, "alice", "Old mail", true) {
		got = append(got, m.SHA256)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the server holds %d messages, want each of the %d once, byte for byte", len(got), len(want))
	}
	again, err := Import(ctx, cache, m, opt)
	if err != nil || again.Messages != 0 || again.Duplicates != 60 {
		t.Errorf("second import: %+v, %v; want nothing imported and 60 skipped", again, err)
	}
}
