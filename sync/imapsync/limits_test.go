package imapsync

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/types"
)

// measure runs fn with the heap sampled and returns fn's error, how long it took and the peak heap
// above what was in use before.
func measure(fn func() error) (err error, took time.Duration, peak uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	stop := peakHeap()
	start := time.Now()
	err = fn()
	took = time.Since(start)
	if p := stop(); p > base {
		peak = p - base
	}
	return err, took, peak
}

// TestHostileUIDSetBomb: EXISTS 4294967295 and an ESEARCH answer of 1:4294967295 are refused
// with a clear error; nothing is sized from them (a slice of that set is 16 GiB). A smaller range
// at the top of the UID space is walked batch by batch, newest first.
func TestHostileUIDSetBomb(t *testing.T) {
	for _, tc := range []struct {
		set        string
		wantErr    bool
		firstFetch string
	}{
		{set: "1:4294967295", wantErr: true},
		{set: "4294960000:4294967295", firstFetch: "UID FETCH 4294967246:4294967295 "},
	} {
		t.Run(tc.set, func(t *testing.T) {
			var mu sync.Mutex
			var fetches []string
			f := startScripted(t, "IMAP4rev1 ESEARCH", func(s *fakeSession, tag, cmd string) bool {
				up := strings.ToUpper(cmd)
				switch {
				case strings.HasPrefix(up, "LIST"):
					return s.send(`* LIST (\HasNoChildren) "/" INBOX`, tag+" OK done")
				case strings.HasPrefix(up, "STATUS"):
					return s.send(`* STATUS INBOX (MESSAGES 4294967295 UIDVALIDITY 7 UNSEEN 0)`, tag+" OK done")
				case strings.HasPrefix(up, "SELECT"):
					return s.send("* 4294967295 EXISTS", "* OK [UIDVALIDITY 7] v", tag+" OK [READ-WRITE] selected")
				case strings.HasPrefix(up, "UID SEARCH"):
					return s.send(`* ESEARCH (TAG "`+tag+`") UID ALL `+tc.set, tag+" OK done")
				case strings.HasPrefix(up, "UID FETCH"):
					mu.Lock()
					fetches = append(fetches, cmd)
					mu.Unlock()
				}
				return s.send(tag + " OK done") // no such messages after all
			})
			e, _, _ := scriptedHarness(t, f)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err, took, peak := measure(func() error { return e.SyncOnce(ctx) })
			t.Logf("after %v, peak heap +%.1f MB: %v", took.Round(time.Millisecond), float64(peak)/(1<<20), err)
			if tc.wantErr && (err == nil || !errors.Is(err, errServerData) || !strings.Contains(err.Error(), "4294967295")) {
				t.Errorf("want a clear error naming the claimed count, got %v", err)
			}
			if !tc.wantErr && err != nil {
				t.Errorf("sync: %v", err)
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			if peak > 32<<20 {
				t.Errorf("peak heap grew by %d MB", peak>>20)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.firstFetch != "" && (len(fetches) < 2 || !strings.HasPrefix(fetches[0], tc.firstFetch)) {
				t.Errorf("fetches %q, want the newest 50 first", fetches)
			}
		})
	}
}

// TestUIDRangesWalk: a large server range is compared with the cache range by range and walked
// lazily, newest first, skipping cached and locally moved UIDs.
func TestUIDRangesWalk(t *testing.T) {
	set, err := normalizeUIDs([]uidRange{{10, 12}, {1, 3}, {2, 5}, {4000000000, 4294967295}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(set); got != "[{1 5} {10 12} {4000000000 4294967295}]" {
		t.Errorf("normalized: %s", got)
	}
	if n := set.count(); n != 5+3+294967296 {
		t.Errorf("count %d", n)
	}
	for uid, want := range map[uint32]bool{1: true, 5: true, 6: false, 9: false, 10: true, 13: false,
		3999999999: false, 4000000000: true, 4294967295: true} {
		if set.contains(uid) != want {
			t.Errorf("contains(%d) = %v", uid, !want)
		}
	}
	skip := map[uint32]bool{4294967295: true, 4294967293: true, 11: true, 5: true}
	w := set.newestFirst(func(u uint32) bool { return skip[u] })
	if got := fmt.Sprint(w.take(3)); got != "[4294967294 4294967292 4294967291]" {
		t.Errorf("first batch %s", got)
	}
	if _, err := normalizeUIDs([]uidRange{{0, 3}}); err == nil {
		t.Error("UID 0 accepted")
	}
	small, _ := normalizeUIDs([]uidRange{{1, 6}})
	w = small.newestFirst(func(u uint32) bool { return u%2 == 0 })
	if got := fmt.Sprint(w.take(2), w.take(5), w.take(5)); got != "[5 3] [1] []" {
		t.Errorf("walk %s", got)
	}
}

// listingFake answers LIST with INBOX and then n folders (or until the client hangs up), STATUS
// with zero counts, and SELECT of every folder with an empty one.
func listingFake(t *testing.T, caps string, n int, onStatus func(s *fakeSession, tag, cmd string)) *scriptFake {
	return startScripted(t, caps, func(s *fakeSession, tag, cmd string) bool {
		up := strings.ToUpper(cmd)
		switch {
		case strings.HasPrefix(up, "LIST"):
			s.send(`* LIST (\HasNoChildren) "/" INBOX`)
			for i := 0; i < n; i++ {
				fmt.Fprintf(s.w, "* LIST (\\HasNoChildren) \"/\" \"folder %d\"\r\n", i)
				if i%1024 == 0 && s.w.Flush() != nil {
					return false
				}
			}
			return s.send(tag + " OK done")
		case strings.HasPrefix(up, "STATUS"):
			if onStatus != nil {
				onStatus(s, tag, cmd)
				return true
			}
			return s.send(fmt.Sprintf("* STATUS %q (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 9 UNSEEN 0)", mailboxArg(cmd)), tag+" OK done")
		case strings.HasPrefix(up, "SELECT"):
			return s.send("* 0 EXISTS", "* OK [UIDVALIDITY 9] v", "* OK [UIDNEXT 1] n", tag+" OK [READ-WRITE] selected")
		}
		return s.send(tag + " OK done")
	})
}

// TestHostileFolderFlood: a LIST of a million folders ends at the folder limit with a clear error,
// memory bounded, instead of collecting them all and pipelining a million STATUS commands.
func TestHostileFolderFlood(t *testing.T) {
	f := listingFake(t, "IMAP4rev1", 1_000_000, nil)
	e, _, _ := scriptedHarness(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err, took, peak := measure(func() error { return e.SyncOnce(ctx) })
	t.Logf("after %v, peak heap +%.1f MB: %v", took.Round(time.Millisecond), float64(peak)/(1<<20), err)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d folders", maxFolders)) {
		t.Errorf("want the folder limit named, got %v", err)
	}
	if took > 10*time.Second {
		t.Errorf("took %v", took)
	}
	if peak > 48<<20 {
		t.Errorf("peak heap grew by %d MB", peak>>20)
	}
}

// TestStatusPipelineBounded: without LIST-STATUS, STATUS commands are pipelined, but never more
// than statusWindow at a time. The fake answers only once the client has stopped sending.
func TestStatusPipelineBounded(t *testing.T) {
	var mu sync.Mutex
	most := 0
	f := listingFake(t, "IMAP4rev1", 300, func(s *fakeSession, tag, cmd string) {
		pending := []string{tag + " " + cmd}
		for {
			// More commands already on their way are read before any answer goes out.
			s.conn.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
			line, err := s.r.ReadString('\n')
			if err != nil {
				break
			}
			pending = append(pending, strings.TrimRight(line, "\r\n"))
		}
		s.conn.SetReadDeadline(time.Time{})
		mu.Lock()
		most = max(most, len(pending))
		mu.Unlock()
		for _, p := range pending {
			tg, c, _ := strings.Cut(p, " ")
			if !strings.HasPrefix(strings.ToUpper(c), "STATUS") {
				s.send(tg + " OK done")
				continue
			}
			s.send(fmt.Sprintf("* STATUS %q (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 9 UNSEEN 0)", mailboxArg(c)), tg+" OK done")
		}
	})
	e, cache, _ := scriptedHarness(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.SyncOnce(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if fs, err := cache.Folders(ctx, "alice"); err != nil || len(fs) != 301 {
		t.Errorf("%d folders, %v", len(fs), err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("at most %d STATUS commands outstanding", most)
	if most > statusWindow {
		t.Errorf("%d STATUS commands outstanding at once, limit %d", most, statusWindow)
	}
}

// TestInvalidUTF7FolderName: a mailbox name that is not valid modified UTF-7 no longer fails the
// whole LIST: INBOX and the other folders sync, the bad one is kept under its raw name and skipped
// with a reason.
func TestInvalidUTF7FolderName(t *testing.T) {
	for _, caps := range []string{"IMAP4rev1", "IMAP4rev1 LIST-EXTENDED LIST-STATUS"} {
		t.Run(caps, func(t *testing.T) {
			var mu sync.Mutex
			var selects []string
			folders := map[string]bool{"INBOX": true, "Projects": true}
			f := startScripted(t, caps, func(s *fakeSession, tag, cmd string) bool {
				up := strings.ToUpper(cmd)
				switch {
				case strings.HasPrefix(up, "LIST"):
					lines := []string{`* LIST (\HasNoChildren) "/" INBOX`, `* LIST (\HasNoChildren) "/" &Jjo`,
						`* LIST (\HasNoChildren) "/" "Projects"`}
					for _, l := range lines {
						s.send(l)
						if strings.Contains(up, "STATUS") {
							name := l[strings.LastIndex(l, " ")+1:]
							s.send("* STATUS " + name + " (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 7 UNSEEN 1)")
						}
					}
					return s.send(tag + " OK done")
				case strings.HasPrefix(up, "STATUS"):
					name := mailboxArg(cmd)
					if !folders[name] {
						return s.send(tag + " NO no such mailbox")
					}
					return s.send(fmt.Sprintf("* STATUS %q (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 7 UNSEEN 1)", name), tag+" OK done")
				case strings.HasPrefix(up, "SELECT"):
					mu.Lock()
					selects = append(selects, mailboxArg(cmd))
					mu.Unlock()
				}
				if serveOneMessage(s, tag, cmd, folders) {
					return true
				}
				return s.send(tag + " OK done")
			})
			e, cache, rec := scriptedHarness(t, f)
			ctx := context.Background()
			if err := e.SyncOnce(ctx); err != nil {
				t.Fatalf("sync: %v", err)
			}
			for _, name := range []string{"INBOX", "Projects"} {
				fo, err := cache.FolderByName(ctx, "alice", name)
				if err != nil {
					t.Fatalf("folder %s: %v", name, err)
				}
				m, err := cache.MessageByUID(ctx, fo.ID, 1)
				if err != nil || m.Subject != "hello" || m.BodyKey == "" {
					t.Errorf("%s: message %+v, %v", name, m, err)
				}
			}
			if _, err := cache.FolderByName(ctx, "alice", "&Jjo"); err != nil {
				t.Errorf("folder with the invalid name not kept under its raw name: %v", err)
			}
			reported := false
			for _, ev := range rec.All() {
				if er, ok := ev.(types.Error); ok && strings.Contains(er.Op, "&Jjo") &&
					strings.Contains(er.Err.Error(), "modified UTF-7") {
					reported = true
				}
			}
			if !reported {
				t.Errorf("no error event explains the skipped folder: %+v", rec.All())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range selects {
				if strings.Contains(s, "Jjo") {
					t.Errorf("SELECT %q sent for a name the client cannot spell", s)
				}
			}
		})
	}
}
