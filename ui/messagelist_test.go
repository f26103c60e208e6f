package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"postbode/localcache"
)

// slowMarks is the cache with the page marks of one folder taking until they are cancelled, as
// those of a folder of 400,000 messages take long enough for the user to move on.
type slowMarks struct {
	CacheView
	folder    int64
	started   chan struct{}
	cancelled chan error
}

func (c *slowMarks) PageMarksSorted(ctx context.Context, folderIDs []int64, s localcache.Sort, n int) ([]localcache.Cursor, int, error) {
	if !slices.Contains(folderIDs, c.folder) {
		return c.CacheView.PageMarksSorted(ctx, folderIDs, s, n)
	}
	close(c.started)
	<-ctx.Done()
	c.cancelled <- ctx.Err()
	return nil, 0, ctx.Err()
}

// Leaving a folder whose page marks are still being read cancels that read: the next folder's
// rows do not wait behind it on the reads queue.
func TestLeavingAFolderCancelsItsPageMarks(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox, _ := seedInbox(h, 30)
	projects := h.folder("work", "Projects", "")
	h.addMessages(projects, 3, func(i int) (localcache.Message, []byte) {
		return localcache.Message{Subject: fmt.Sprintf("Plan %d", i), FromAddr: "p@example.org",
			Date: h.now.Add(-time.Duration(i) * time.Hour), MessageID: fmt.Sprintf("p%d@example.org", i)}, nil
	})
	h.selectFolder("work", "Projects")
	slow := &slowMarks{CacheView: h.u.deps.Cache, folder: inbox.ID, started: make(chan struct{}),
		cancelled: make(chan error, 1)}
	h.u.deps.Cache = slow

	i := h.u.folders.indexOf("folder:" + itoa(inbox.ID))
	h.u.folders.list.Select(i) // no settle: its marks never come
	select {
	case <-slow.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the Inbox's page marks were never read")
	}
	h.selectFolder("work", "Projects") // settles only if the reads queue moved on
	select {
	case err := <-slow.cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the Inbox's marks ended with %v", err)
		}
	default:
		t.Fatal("the Inbox's page marks were not cancelled")
	}
	ml := h.u.list
	if ml.scope.key != "folder:"+itoa(projects.ID) || ml.total != 3 {
		t.Fatalf("list shows %s with %d rows", ml.scope.key, ml.total)
	}
	if rows := h.visibleRows(); len(rows) != 3 || rows[0].subject.Text != "Plan 0" {
		t.Fatalf("Projects shows %d rows", len(rows))
	}
}

// POSTBODE_TRACE writes the list's milestones: the folder shown, its marks, the rows handed to
// their widgets.
func TestTraceWritesTheListsMilestones(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox, _ := seedInbox(h, 30)
	path := filepath.Join(t.TempDir(), "trace")
	t.Setenv(TraceEnv, path)
	trace, err := openTrace()
	if err != nil {
		t.Fatal(err)
	}
	h.u.list.trace = trace
	h.selectFolder("work", "Projects")
	h.selectFolder("work", "Inbox")
	h.visibleRows()
	if err := trace.close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key := "folder:" + itoa(inbox.ID)
	var kinds []string
	var last int64
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var kind, k string
		var n int
		var at int64
		if _, err := fmt.Sscanf(l, "%s key=%s n=%d t=%d", &kind, &k, &n, &at); err != nil {
			t.Fatalf("trace line %q: %v", l, err)
		}
		if at < last {
			t.Fatalf("trace goes back in time at %q", l)
		}
		last = at
		first := kind == "row" && n == 0
		whole := (kind == "scope" || kind == "marks") && n == 30
		if k == key && (first || whole) && !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	for _, want := range []string{"scope", "marks", "row"} {
		if !slices.Contains(kinds, want) {
			t.Fatalf("the trace has no %q line for the Inbox (n=30, first row 0):\n%s", want, data)
		}
	}
}

// Without POSTBODE_TRACE the window has no trace, and tracing is a nil check.
func TestNoTraceWithoutTheVariable(t *testing.T) {
	t.Setenv(TraceEnv, "")
	trace, err := openTrace()
	if trace != nil || err != nil {
		t.Fatalf("openTrace = %v, %v", trace, err)
	}
	trace.event("row", "all", 0) // must not panic
	if err := trace.close(); err != nil {
		t.Fatal(err)
	}
}

// Rows shown near the end of a page have the next page read before any of its rows shows.
func TestRowsNearAPagesEndReadTheNextPage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 3*pageSize)
	ml := h.u.list
	if _, ok := ml.pages[1]; ok {
		t.Fatal("page 1 is read with only the top rows shown")
	}
	last := pageSize - prefetchRows/2
	ml.list.ScrollTo(last)
	h.settle()
	rows := h.visibleRows()
	if len(rows) == 0 || rows[len(rows)-1].row >= pageSize {
		t.Fatalf("the rows shown reach row %d; want them all on page 0", rows[len(rows)-1].row)
	}
	if _, ok := ml.pages[1]; !ok {
		t.Fatalf("rows %d–%d are shown and page 1 is not read", rows[0].row, rows[len(rows)-1].row)
	}
	if _, ok := ml.pages[2]; ok {
		t.Fatal("page 2 is read though no row near it shows")
	}
}

// heldPage is the cache with the read of the page after one cursor held until released.
type heldPage struct {
	CacheView
	after   localcache.Cursor
	release chan struct{}
}

func (c *heldPage) PageSorted(ctx context.Context, folderIDs []int64, s localcache.Sort, after *localcache.Cursor, n int) ([]localcache.Message, error) {
	if after != nil && after.ID == c.after.ID && after.Date.Equal(c.after.Date) {
		select {
		case <-c.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.CacheView.PageSorted(ctx, folderIDs, s, after, n)
}

// Keys that move the cursor to rows still being read keep it there when another page arrives
// first: Page Down held through a large folder went back to the last opened message each time a
// page came in, and the next key started from there.
func TestCursorAheadOfItsPageStaysWhenAnotherPageArrives(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 3*pageSize)
	ml := h.u.list
	h.click(0, 0)
	held := &heldPage{CacheView: h.u.deps.Cache, after: ml.marks[1], release: make(chan struct{})}
	h.u.deps.Cache = held
	ml.request(1)                           // page 1 is read first (as a prefetch would)…
	ml.move(2*pageSize+50-ml.cursor, false) // …while the keys went on to a row of page 2, which is held
	if ml.pending != 2*pageSize+50 {
		t.Fatalf("pending row %d", ml.pending)
	}
	h.runUntil("page 1 read", func() bool { _, ok := ml.pages[1]; return ok })
	if ml.cursor != 2*pageSize+50 {
		t.Fatalf("the cursor went back to row %d when page 1 arrived", ml.cursor)
	}
	close(held.release)
	h.settle()
	m, ok := ml.row(2*pageSize + 50)
	if !ok || ml.current != m.ID || ml.cursor != 2*pageSize+50 {
		t.Fatalf("row %d loaded %v; open message %d, cursor %d", 2*pageSize+50, ok, ml.current, ml.cursor)
	}
}
