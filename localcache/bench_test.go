package localcache

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

const benchMessages = 100_000

var (
	benchOnce   sync.Once
	benchCache  *Cache
	benchFolder int64
	benchDir    string
	benchErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCache != nil {
		benchCache.Close()
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchFixture fills one folder with 100k messages (headers and body text) in conversations of
// four, once per test binary.
func benchFixture(b *testing.B) (*Cache, int64) {
	benchOnce.Do(func() {
		if benchDir, benchErr = os.MkdirTemp("", "postbode-bench-"); benchErr != nil {
			return
		}
		if benchCache, benchErr = Open(benchDir); benchErr != nil {
			return
		}
		ctx := context.Background()
		var f Folder
		if f, benchErr = benchCache.EnsureFolder(ctx, Folder{Account: "a", Name: "INBOX", Role: RoleInbox}); benchErr != nil {
			return
		}
		benchFolder = f.ID
		msgs := genMessages("a", f.ID, benchMessages, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
		threadEvery(msgs, 4)
		for i := 0; i < len(msgs); i += 1000 {
			if _, benchErr = benchCache.AddMessages(ctx, msgs[i:min(i+1000, len(msgs))]); benchErr != nil {
				return
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchCache, benchFolder
}

// BenchmarkInsert reports the insert rate in batches of 1000, as a sync writes them.
func BenchmarkInsert(b *testing.B) {
	c, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	f, _ := c.EnsureFolder(ctx, Folder{Account: "a", Name: "INBOX"})
	msgs := genMessages("a", f.ID, 1000, time.Now())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range msgs {
			msgs[j].UID = uint32(i*1000 + j + 1)
		}
		if _, err := c.AddMessages(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPutBodies reports the durable body store rate (20 KB bodies, group commit of 100).
func BenchmarkPutBodies(b *testing.B) {
	c, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	bodies := make([]Body, 100)
	b.SetBytes(100 * 20_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range bodies {
			raw := make([]byte, 20_000)
			copy(raw, fmt.Sprintf("Message-ID: <%d.%d@bench>\r\n\r\n", i, j))
			bodies[j] = Body{Account: "a", Raw: raw}
		}
		if _, err := c.PutBodies(ctx, bodies); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkNewestPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.Page(ctx, []int64{f}, nil, 50)
		if err != nil || len(page) != 50 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

// BenchmarkConversationsFirstPage100k is what opening a 100k-message folder in conversations reads
// first: 100 conversations with their counts across the account.
func BenchmarkConversationsFirstPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.ConversationPage(ctx, f, Sort{}, nil, 100)
		if err != nil || len(page) != 100 || page[0].Count != 4 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

// BenchmarkConversationsDeepPage100k pages from a mark half-way down, by sender.
func BenchmarkConversationsDeepPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	s := DefaultSort(SortSender)
	marks, _, err := c.ConversationMarks(ctx, f, s, 100)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.ConversationPage(ctx, f, s, &marks[len(marks)/2], 100)
		if err != nil || len(page) != 100 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

// BenchmarkConversationMarks100k is the list's second read (in the background): where every page of
// conversations starts, and how many there are.
func BenchmarkConversationMarks100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, total, err := c.ConversationMarks(ctx, f, Sort{}, 100)
		if err != nil || total != benchMessages/4 {
			b.Fatalf("marks: %d, %v", total, err)
		}
	}
}

// BenchmarkRethread100k is what the first Open after migration 4 does to a 100k-message index:
// every base subject written, every key checked.
func BenchmarkRethread100k(b *testing.B) {
	c, _ := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := c.index.ExecContext(ctx, `UPDATE messages SET base_subject = ''`); err != nil {
			b.Fatal(err)
		}
		if _, err := c.index.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('rethread', '1')`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := c.rethread(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelectAll100k is what Ctrl+A in a 100k folder reads.
func BenchmarkSelectAll100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ids, err := c.PageIDs(ctx, []int64{f}, nil, benchMessages)
		if err != nil || len(ids) != benchMessages {
			b.Fatalf("ids: %d, %v", len(ids), err)
		}
	}
}

func BenchmarkDeepPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	oldest := time.Date(2020, 1, 1, 0, 5, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.Page(ctx, []int64{f}, &Cursor{Date: oldest, ID: 1 << 40}, 50)
		if err != nil || len(page) != 6 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

func BenchmarkSearch100k(b *testing.B) {
	c, _ := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := c.Search(ctx, SearchQuery{Text: "keyword417", Limit: 50})
		if err != nil || len(res.Messages) != 50 {
			b.Fatalf("search: %d, %v", len(res.Messages), err)
		}
	}
}

func BenchmarkUnreadCount100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n, err := c.UnreadCount(ctx, f); err != nil || n == 0 {
			b.Fatalf("unread: %d, %v", n, err)
		}
	}
}

// BenchmarkSearchCommonWord100k matches every message: the worst case for sorting by date.
func BenchmarkSearchCommonWord100k(b *testing.B) {
	c, _ := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := c.Search(ctx, SearchQuery{Text: "number", Limit: 50})
		if err != nil || len(res.Messages) != 50 {
			b.Fatalf("search: %d, %v", len(res.Messages), err)
		}
	}
}

// BenchmarkMarkRead100k is Ctrl+A then "mark read" on an IMAP folder of 100k: the ids, the local
// change and the queued operation. Each round marks all read and then all unread again.
func BenchmarkMarkRead100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ids, err := c.PageIDs(ctx, []int64{f}, nil, benchMessages)
		if err != nil {
			b.Fatal(err)
		}
		set, clear := FlagSeen, Flags(0)
		if i%2 == 1 {
			set, clear = 0, FlagSeen
		}
		if err := c.SetFlags(ctx, ids, set, clear, true); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ops, _ := c.PendingOps(ctx, "a")
	for _, op := range ops {
		c.CompletePending(ctx, op)
	}
}

// BenchmarkMarkFolderRead100k is the same change made as the window makes it when the whole folder
// is selected: SetFolderFlags, one statement per pass and an op of the changed rows only. Each
// round marks all read and then all unread again (every row changes, the worst case).
func BenchmarkMarkFolderRead100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		set, clear := FlagSeen, Flags(0)
		if i%2 == 1 {
			set, clear = 0, FlagSeen
		}
		if _, err := c.SetFolderFlags(ctx, f, set, clear, true); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ops, _ := c.PendingOps(ctx, "a")
	for _, op := range ops {
		c.CompletePending(ctx, op)
	}
}

// BenchmarkSenderFirstPage100k: the first page of a 100k folder sorted by sender, A to Z.
func BenchmarkSenderFirstPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	s := DefaultSort(SortSender)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.PageSorted(ctx, []int64{f}, s, nil, 50)
		if err != nil || len(page) != 50 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

// BenchmarkSenderDeepPage100k: the next-to-last page of the same list, from its page mark.
func BenchmarkSenderDeepPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	s := DefaultSort(SortSender)
	marks, _, err := c.PageMarksSorted(ctx, []int64{f}, s, 50)
	if err != nil || len(marks) < 2 {
		b.Fatalf("marks: %d, %v", len(marks), err)
	}
	deep := marks[len(marks)-2]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.PageSorted(ctx, []int64{f}, s, &deep, 50)
		if err != nil || len(page) != 50 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

// BenchmarkSearchOperators100k: operators alone, one matching a sender of 50 (walks newest first
// until the limit), one matching nothing (walks every message).
func BenchmarkSearchOperators100k(b *testing.B) {
	c, _ := benchFixture(b)
	ctx := context.Background()
	for _, q := range []struct {
		name, text string
		want       int
	}{
		{"sender", `from:"Sender 7" is:unread`, 50},
		{"none", `subject:nowhere`, 0},
		{"words", `from:s17@example.org keyword417`, 50},
	} {
		b.Run(q.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := c.Search(ctx, SearchQuery{Text: q.text, Limit: 50})
				if err != nil || len(res.Messages) != q.want {
					b.Fatalf("search %q: %d, %v", q.text, len(res.Messages), err)
				}
			}
		})
	}
}

// BenchmarkStates100k is the lookup of a 100k selection that mark read, delete and their undo
// make before changing anything (where each message is, its flags).
func BenchmarkStates100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	ids, err := c.PageIDs(ctx, []int64{f}, nil, benchMessages)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if states, err := c.States(ctx, ids); err != nil || len(states) != benchMessages {
			b.Fatalf("states: %d, %v", len(states), err)
		}
	}
}

// BenchmarkUnifiedFirstPage100k: the first page of All inboxes, the 100k folder and three more.
func BenchmarkUnifiedFirstPage100k(b *testing.B) {
	c, f := benchFixture(b)
	ctx := context.Background()
	folders := []int64{f}
	for _, acc := range []string{"b", "c", "d"} {
		other, err := c.EnsureFolder(ctx, Folder{Account: acc, Name: "INBOX", Role: RoleInbox})
		if err != nil {
			b.Fatal(err)
		}
		folders = append(folders, other.ID)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page, err := c.Page(ctx, folders, nil, 50)
		if err != nil || len(page) != 50 {
			b.Fatalf("page: %d, %v", len(page), err)
		}
	}
}

// BenchmarkFolderCounts100k is the folder tree's read: every folder with its total and unread
// counts, kept by triggers, so its cost does not grow with the messages.
func BenchmarkFolderCounts100k(b *testing.B) {
	c, _ := benchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if fs, err := c.Folders(ctx, ""); err != nil || len(fs) == 0 {
			b.Fatalf("folders: %d, %v", len(fs), err)
		}
	}
}
