package ui

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"postbode/localcache"
)

// fillFolder adds n messages to folder, oldest first, in batches.
func fillFolder(tb testing.TB, c *localcache.Cache, f localcache.Folder, n int, start time.Time) {
	tb.Helper()
	ctx := context.Background()
	const batch = 2000
	for done := 0; done < n; done += batch {
		msgs := make([]localcache.Message, min(batch, n-done))
		for i := range msgs {
			k := done + i
			msgs[i] = localcache.Message{Account: f.Account, FolderID: f.ID, UID: uint32(k + 1),
				Subject: fmt.Sprintf("Status report %d for project %d", k, k%97), FromName: fmt.Sprintf("Colleague %d", k%311),
				FromAddr: fmt.Sprintf("c%d@example.org", k%311), Date: start.Add(time.Duration(k) * time.Minute),
				Snippet: "Short preview of the message text", Flags: localcache.Flags(k%3) & localcache.FlagSeen}
		}
		if _, err := c.AddMessages(ctx, msgs); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestLargeFolderKeepsAWindowOfPages scrolls a large folder end to end and checks that rows load
// where the list is looked at, in the right order, while only a few pages stay in memory.
func TestLargeFolderKeepsAWindowOfPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	const n = 3000
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	fillFolder(t, h.cache, inbox, n, start)
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	ml := h.u.list
	if ml.total != n || len(ml.marks) != n/pageSize {
		t.Fatalf("total %d, %d page marks", ml.total, len(ml.marks))
	}
	check := func(where string) {
		t.Helper()
		rows := h.visibleRows()
		if len(rows) == 0 {
			t.Fatalf("%s: no rows", where)
		}
		for _, r := range rows {
			if r.loading {
				t.Fatalf("%s: row %d still loading", where, r.row)
			}
			// Row i is message n-1-i (newest first).
			if want := fmt.Sprintf("Status report %d ", n-1-r.row); !strings.HasPrefix(r.msg.Subject, want) {
				t.Fatalf("%s: row %d shows %q, want %q…", where, r.row, r.msg.Subject, want)
			}
		}
		if len(ml.pages) > maxPages {
			t.Fatalf("%s: %d pages in memory", where, len(ml.pages))
		}
	}
	ml.list.ScrollToBottom()
	ml.list.Refresh()
	h.settle()
	check("bottom")
	for _, row := range []int{1500, 2200, 700, 2999, 0, 1234, 2600, 300, 1900, 100, 2800, 1000, 50, 2400} {
		ml.list.ScrollTo(row)
		h.settle()
		check(fmt.Sprintf("row %d", row))
	}
	// The end key reaches the oldest message through the marks, without walking the folder.
	h.click(0, 0)
	ml.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	h.settle()
	if h.u.reader.msg.Subject != "Status report 0 for project 0" {
		t.Fatalf("End opened %q", h.u.reader.msg.Subject)
	}
}

// BenchmarkOpenFolder100k opens a folder of 100,000 messages: the time until the first rows show,
// and the time to scroll to the end and show the oldest rows. It reports the process's memory.
func BenchmarkOpenFolder100k(b *testing.B) {
	dir := benchCache(b)
	h := newHarness(b, harnessOpts{cacheDir: dir})
	h.settle()
	ml := h.u.list
	var first, end time.Duration
	for i := 0; i < b.N; i++ {
		h.selectFolder("work", "Trash") // empty: leave the big folder
		idx := h.u.folders.indexOf("folder:" + itoa(benchFolderID(b, h)))
		t0 := time.Now()
		h.u.folders.list.Select(idx)
		// Time to first rows: until the visible rows show messages (the page marks may still load).
		for {
			h.q.RunAll()
			if rows := h.visibleRows(); len(rows) > 0 && !rows[0].loading {
				break
			}
			if time.Since(t0) > 10*time.Second {
				b.Fatal("first rows not shown")
			}
			time.Sleep(100 * time.Microsecond)
		}
		first += time.Since(t0)
		h.settle()
		if ml.total != 100_000 {
			b.Fatalf("total %d", ml.total)
		}
		t1 := time.Now()
		ml.list.ScrollToBottom()
		ml.list.Refresh()
		h.settle()
		end += time.Since(t1)
		rows := h.visibleRows()
		if last := rows[len(rows)-1]; last.loading || last.row != 99_999 {
			b.Fatalf("end not shown: last row %d loading %v", last.row, last.loading)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms/first-rows")
	b.ReportMetric(float64(end.Microseconds())/1000/float64(b.N), "ms/scroll-end")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MB-heap")
	if rss := vmRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/1024, "MB-RSS")
	}
	if len(ml.pages) > maxPages {
		b.Fatalf("%d pages held", len(ml.pages))
	}
}

func benchFolderID(b *testing.B, h *harness) int64 {
	f, err := h.cache.FolderByRole(context.Background(), "work", localcache.RoleInbox)
	if err != nil {
		b.Fatal(err)
	}
	return f.ID
}

// benchCache builds the 100k-message cache once and keeps it in the temporary directory: inserting
// 100,000 indexed messages takes half a minute, opening them takes a second.
func benchCache(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "postbode-ui-bench-100k-v1")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	c, err := localcache.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	inbox, err := c.EnsureFolder(context.Background(), localcache.Folder{Account: "work", Name: "INBOX", Role: localcache.RoleInbox})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.EnsureFolder(context.Background(), localcache.Folder{Account: "work", Name: "Trash", Role: localcache.RoleTrash}); err != nil {
		b.Fatal(err)
	}
	fillFolder(b, c, inbox, 100_000, time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	c.Close()
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

// vmRSS is the resident set size in KiB (Linux), 0 elsewhere.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
