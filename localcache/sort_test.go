package localcache

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tiedMessages makes messages with many ties in every key: few senders (some by address only,
// some with the same name in other cases, some not ASCII), few subjects, sizes and dates.
func tiedMessages(account string, folderID int64, n int) []Message {
	names := []string{"Ann", "ann", "", "Émile", "Bob", "bob", "Zoë"}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{Account: account, FolderID: folderID, UID: uint32(i + 1),
			FromName: names[i%len(names)], FromAddr: fmt.Sprintf("s%d@example.org", i%3),
			Subject: []string{"Lunch", "lunch", "Report", "", "Ünicode"}[i%5], Date: start.Add(time.Duration(i%11) * time.Hour),
			Size: int64(1000 * (i % 4)), Flags: []Flags{0, FlagSeen, FlagFlagged, FlagSeen | FlagFlagged, FlagDeleted}[i%5]}
	}
	return msgs
}

// compareIn orders two messages as s does, by the key CursorOf computes.
func compareIn(s Sort, a, b Message) int { return s.compare(*s.CursorOf(a), *s.CursorOf(b)) }

func TestPagingInEveryOrderReturnsEveryMessageOnceInOrder(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	a := mustFolder(t, c, "a", "INBOX", RoleInbox)
	b := mustFolder(t, c, "a", "Archive", RoleArchive)
	const n = 403
	ids, err := c.AddMessages(ctx, append(tiedMessages("a", a.ID, n), tiedMessages("a", b.ID, 97)...))
	if err != nil {
		t.Fatal(err)
	}
	for _, folders := range [][]int64{{a.ID}, {a.ID, b.ID}} {
		for _, key := range SortKeys {
			for _, asc := range []bool{false, true} {
				s := Sort{Key: key, Ascending: asc}
				name := fmt.Sprintf("%v %s asc=%v", folders, key, asc)
				for _, size := range []int{1, 7, 50} {
					var got []Message
					var cur *Cursor
					for {
						p, err := c.PageSorted(ctx, folders, s, cur, size)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if len(p) == 0 {
							break
						}
						got = append(got, p...)
						cur = s.CursorOf(p[len(p)-1])
					}
					want := n
					if len(folders) == 2 {
						want = len(ids)
					}
					seen := map[int64]bool{}
					for i, m := range got {
						if seen[m.ID] {
							t.Fatalf("%s, pages of %d: message %d twice", name, size, m.ID)
						}
						seen[m.ID] = true
						if i > 0 && compareIn(s, got[i-1], m) >= 0 {
							t.Fatalf("%s, pages of %d: out of order at %d: %+v then %+v", name, size, i, got[i-1], m)
						}
					}
					if len(got) != want {
						t.Fatalf("%s, pages of %d: %d messages, want %d", name, size, len(got), want)
					}
					// The marks start each page where the walk did.
					marks, total, err := c.PageMarksSorted(ctx, folders, s, size)
					if err != nil || total != want {
						t.Fatalf("%s: marks: %v, total %d", name, err, total)
					}
					for k, mk := range marks {
						p, err := c.PageSorted(ctx, folders, s, &mk, 1)
						if err != nil {
							t.Fatal(err)
						}
						if next := (k + 1) * size; next < want && (len(p) != 1 || p[0].ID != got[next].ID) {
							t.Fatalf("%s: page %d from its mark starts at %v, want %d", name, k+1, p, got[next].ID)
						}
					}
					// The ids alone, merged page by page or read in one (a long read), in the same order.
					for _, limit := range []int{want, maxMergedLimit + 1} {
						idsOnly, err := c.PageIDsSorted(ctx, folders, s, nil, limit)
						if err != nil || len(idsOnly) != want {
							t.Fatalf("%s: ids: %v, %d", name, err, len(idsOnly))
						}
						for i, id := range idsOnly {
							if id != got[i].ID {
								t.Fatalf("%s: ids (limit %d) differ at %d", name, limit, i)
							}
						}
					}
				}
			}
		}
	}
	if _, err := c.PageSorted(ctx, []int64{a.ID}, Sort{Key: "colour"}, nil, 5); err == nil {
		t.Fatal("an unknown order was accepted")
	}
}

// Every order seeks its own index, on the first page and after a cursor: no scan of the folder.
func TestEveryOrderUsesItsIndex(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	for _, key := range SortKeys {
		for _, after := range []*Cursor{nil, DefaultSort(key).CursorOf(Message{ID: 5, Subject: "x", Date: time.Now()})} {
			q, args, err := pageQuery(messageCols, []int64{1}, DefaultSort(key), after, 50)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := c.index.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			text := strings.Join(plan, "; ")
			want := "messages_by_" + string(key)
			if key == SortDate {
				want = "messages_page"
			}
			if !strings.Contains(text, want) || strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("%s (cursor %v): plan %q, want a walk of %s", key, after != nil, text, want)
			}
			if after != nil && !strings.Contains(text, "(folder_id=? AND ") {
				t.Errorf("%s: the cursor does not seek: %q", key, text)
			}
		}
	}
}

// An index of schema version 2 gets the sort columns and indexes in place: its messages stay (a
// failed migration would set the index aside and start it again empty).
func TestSortMigrationKeepsAVersion2Index(t *testing.T) {
	dir := t.TempDir()
	old, err := openDB(filepath.Join(dir, indexFile), indexOptions, indexMigrations[:2])
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`INSERT INTO folders(id, account, name, role) VALUES (1, 'a', 'INBOX', 'inbox')`,
		`INSERT INTO messages(account, folder_id, uid, subject, from_name, from_addr, date, flags)
VALUES ('a', 1, 1, 'b', 'Zed', 'z@x', 10, 1), ('a', 1, 2, 'a', '', 'Amy@x', 20, 4), ('a', 1, 3, 'c', 'bob', 'b@x', 30, 0)`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	c := openIn(t, dir)
	if rebuilt, why := c.Rebuilt(); rebuilt {
		t.Fatalf("the index was rebuilt: %s", why)
	}
	for s, want := range map[Sort]string{
		DefaultSort(SortSender):  "Amy@x bob Zed",
		DefaultSort(SortSubject): "a b c",
		DefaultSort(SortUnread):  "c a b", // unread first, newest first among them; b is read
		DefaultSort(SortFlagged): "a c b",
	} {
		msgs, err := c.PageSorted(context.Background(), []int64{1}, s, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			switch {
			case s.Key != SortSender:
				got = append(got, m.Subject)
			case m.FromName == "":
				got = append(got, m.FromAddr)
			default:
				got = append(got, m.FromName)
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%+v: %q, want %q", s, strings.Join(got, " "), want)
		}
	}
}
