package localcache

import (
	"context"
	"testing"
	"time"
)

func TestPageMarksJumpToAnyPage(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	a := mustFolder(t, c, "acc", "INBOX", RoleInbox)
	b := mustFolder(t, c, "acc", "Other", "")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := c.AddMessages(ctx, genMessages("acc", a.ID, 237, start)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddMessages(ctx, genMessages("acc", b.ID, 5, start)); err != nil {
		t.Fatal(err)
	}
	const n = 20
	marks, total, err := c.PageMarks(ctx, []int64{a.ID}, n)
	if err != nil {
		t.Fatal(err)
	}
	if total != 237 || len(marks) != 237/n {
		t.Fatalf("total %d, %d marks", total, len(marks))
	}
	// Walking page by page and jumping by marks must give the same rows.
	var walked []Message
	var cur *Cursor
	for {
		p, err := c.Page(ctx, []int64{a.ID}, cur, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			break
		}
		walked = append(walked, p...)
		cur = CursorOf(p[len(p)-1])
	}
	for _, k := range []int{1, 5, len(marks)} {
		p, err := c.Page(ctx, []int64{a.ID}, &marks[k-1], n)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 || p[0].ID != walked[k*n].ID {
			t.Fatalf("page %d starts with %+v, want id %d", k, p, walked[k*n].ID)
		}
	}
	if marks, total, err := c.PageMarks(ctx, []int64{a.ID, b.ID}, n); err != nil || total != 242 || len(marks) != 12 {
		t.Fatalf("two folders: %d marks, total %d, %v", len(marks), total, err)
	}
	if marks, total, err := c.PageMarks(ctx, nil, n); err != nil || total != 0 || marks != nil {
		t.Fatalf("no folders: %v %d %v", marks, total, err)
	}
}
