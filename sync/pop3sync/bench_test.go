package pop3sync

import (
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
	"postbode/types"
)

const benchMessages = 10_000

// BenchmarkDownload10k downloads 10,000 messages of the default mix (about 315 MB, 5 % with
// attachments) from Dovecot over POP3S into an empty cache: RETR, durable store, parse, index.
func BenchmarkDownload10k(b *testing.B) {
	d := testbed.StartT(b, testbed.Options{})
	msgs := testbed.Generate(42, benchMessages, testbed.GenOptions{End: genEnd})
	var total int64
	for _, m := range msgs {
		total += int64(len(m))
	}
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		b.Fatal(err)
	}
	msgs = nil
	acc := dovecotAccount(d, "alice", types.SecurityTLS, types.LeaveKeep)
	b.SetBytes(total)
	b.ResetTimer()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarness(b, openCache(b, b.TempDir()), acc, "alice-secret-pw")
		b.StartTimer()
		start := time.Now()
		evs := h.mustSync()
		elapsed += time.Since(start)
		b.StopTimer()
		if n := len(newMail(evs)); n != benchMessages {
			b.Fatalf("downloaded %d", n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchMessages*b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkRepollEmpty is a poll of a 10,000-message maildrop that has nothing new: log in,
// STAT, LIST, UIDL, compare with the cache, QUIT.
func BenchmarkRepollEmpty(b *testing.B) {
	d := testbed.StartT(b, testbed.Options{})
	if err := d.Deliver("alice", "INBOX", testbed.Generate(43, benchMessages, testbed.GenOptions{End: genEnd, AttachmentRatio: -1})...); err != nil {
		b.Fatal(err)
	}
	acc := dovecotAccount(d, "alice", types.SecurityTLS, types.LeaveKeep)
	h := newHarness(b, openCache(b, b.TempDir()), acc, "alice-secret-pw")
	if n := len(newMail(h.mustSync())); n != benchMessages {
		b.Fatalf("setup downloaded %d", n)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := len(newMail(h.mustSync())); n != 0 {
			b.Fatalf("re-poll downloaded %d", n)
		}
	}
}
