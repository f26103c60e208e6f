package imapsync

import (
	"context"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
	"postbode/types"
)

// benchServer starts Dovecot with 10,000 generated messages (about 300 MB) in INBOX, indexed by
// the server before timing starts. Benchmarks only run with -bench.
func benchServer(b *testing.B) *testbed.Dovecot {
	b.Helper()
	d := testbed.StartT(b, testbed.Options{})
	msgs := generate(7, 10000)
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		b.Fatal(err)
	}
	if _, err := d.Status("alice", "INBOX"); err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkFirstSync10k: headers of 10,000 messages plus the bodies of the 30-day window
// (about 800) into an empty cache. first50-ms is when INBOX's newest 50 were readable.
func BenchmarkFirstSync10k(b *testing.B) {
	d := benchServer(b)
	var first50 time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarness(b, d, "alice", nil)
		start := time.Now()
		var seen bool
		h.eng.d.Emit = func(ev types.Event) {
			if p, ok := ev.(types.SyncProgress); ok && !seen && p.Folder == "INBOX" && p.Done >= 50 {
				seen = true
				first50 += time.Since(start)
			}
		}
		b.StartTimer()
		if err := h.eng.SyncOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		inbox, err := h.cache.FolderByName(context.Background(), "alice", "INBOX")
		if err != nil || inbox.Total != 10000 {
			b.Fatalf("INBOX after first sync: %+v, %v", inbox, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(first50.Milliseconds())/float64(b.N), "first50-ms")
}

// BenchmarkResyncNoChange10k: a complete pass (connect, LIST-STATUS, no SELECT since no folder's
// STATUS moved, log out) over an up-to-date cache of 10,000 messages.
func BenchmarkResyncNoChange10k(b *testing.B) {
	d := benchServer(b)
	h := newHarness(b, d, "alice", nil)
	ctx := context.Background()
	if err := h.eng.SyncOnce(ctx); err != nil {
		b.Fatal(err)
	}
	before, err := h.cache.FolderByName(ctx, "alice", "INBOX")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := h.eng.SyncOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after, err := h.cache.FolderByName(ctx, "alice", "INBOX")
	if err != nil || after != before {
		b.Fatalf("a resync without changes changed INBOX: %+v -> %+v (%v)", before, after, err)
	}
}
