package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"postbode/localcache"
)

// BenchmarkMovePOP3ToIMAP is TestMovePOP3AccountToIMAP's move (1,460 messages to upload, 600
// recognised on the server), timed from CopyAccount (the target's first sync, the duplicate
// checks, storing and queueing the copies) to the end of the engine's replay of the uploads.
// Run with -benchtime=1x; the set-up (a POP3 download of 2,000 messages) is not timed.
func BenchmarkMovePOP3ToIMAP(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		mg := migrationBed(b, 2000)
		cache, err := localcache.Open(mg.dir)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		m := mg.manager(cache)
		b.StartTimer()
		start := time.Now()
		if _, err := m.CopyAccount(ctx, "pop", "imap", nil); err != nil {
			b.Fatal(err)
		}
		queued := time.Since(start)
		b.StopTimer()
		msgs := queuedUploads(b, cache)
		b.StartTimer()
		mg.drain(b, m, cache)
		total := time.Since(start)
		b.StopTimer()
		reportRate(b, msgs, total)
		b.ReportMetric(queued.Seconds(), "s-to-queue")
		cache.Close()
		b.StartTimer()
	}
}

// BenchmarkRawAppendFloor is the floor for BenchmarkMovePOP3ToIMAP: a plain go-imap client
// appending the same messages, with their flags, one after the other, over TLS on loopback.
func BenchmarkRawAppendFloor(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		mg := migrationBed(b, 2000)
		cache, err := localcache.Open(mg.dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mg.manager(cache).CopyAccount(context.Background(), "pop", "imap", nil); err != nil {
			b.Fatal(err)
		}
		msgs := queuedUploads(b, cache)
		c := mg.d.IMAPSClientT(b, "bob", nil)
		b.StartTimer()
		start := time.Now()
		for _, u := range msgs {
			cmd := c.Append("INBOX", int64(len(u.raw)), &imap.AppendOptions{Flags: u.flags})
			if _, err := cmd.Write(u.raw); err != nil {
				b.Fatal(err)
			}
			if err := cmd.Close(); err != nil {
				b.Fatal(err)
			}
			if _, err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		total := time.Since(start)
		b.StopTimer()
		reportRate(b, msgs, total)
		c.Logout()
		cache.Close()
		b.StartTimer()
	}
}

type upload struct {
	raw   []byte
	flags []imap.Flag
}

// queuedUploads is what the IMAP account's queue will upload: bytes and flags.
func queuedUploads(b *testing.B, cache *localcache.Cache) []upload {
	ctx := context.Background()
	ops, err := cache.PendingOps(ctx, "imap")
	if err != nil {
		b.Fatal(err)
	}
	var out []upload
	for _, p := range ops {
		t, ok := p.Op.(localcache.TransferOp)
		if !ok {
			continue
		}
		raw, err := cache.Body(ctx, t.BodyKey)
		if err != nil {
			b.Fatal(err)
		}
		var flags []imap.Flag
		if t.Flags.Has(localcache.FlagSeen) {
			flags = append(flags, imap.FlagSeen)
		}
		if t.Flags.Has(localcache.FlagFlagged) {
			flags = append(flags, imap.FlagFlagged)
		}
		out = append(out, upload{raw, flags})
	}
	return out
}

func reportRate(b *testing.B, msgs []upload, d time.Duration) {
	var size int
	for _, u := range msgs {
		size += len(u.raw)
	}
	b.ReportMetric(float64(len(msgs))/d.Seconds(), "msgs/s")
	b.ReportMetric(float64(size)/1e6/d.Seconds(), "MB/s")
	b.ReportMetric(d.Seconds(), "s")
}
