package localcache

import (
	"context"
	"testing"
	"time"
)

// FolderBodyKeys finds bodies by Message-ID within one folder only, messages without a
// Message-ID included, and ignores entries without a body.
func TestFolderBodyKeys(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	a, _ := c.EnsureFolder(ctx, Folder{Account: "acc", Name: "A"})
	b, _ := c.EnsureFolder(ctx, Folder{Account: "acc", Name: "B"})
	now := time.Now()
	if _, err := c.AddMessages(ctx, []Message{
		{Account: "acc", FolderID: a.ID, MessageID: "<1@x>", BodyKey: "k1", Date: now},
		{Account: "acc", FolderID: a.ID, MessageID: "", BodyKey: "k2", Date: now},
		{Account: "acc", FolderID: a.ID, MessageID: "<3@x>", Date: now}, // header only
		{Account: "acc", FolderID: b.ID, MessageID: "<1@x>", BodyKey: "k4", Date: now},
	}); err != nil {
		t.Fatal(err)
	}
	keys, err := c.FolderBodyKeys(ctx, "acc", a.ID, []string{"<1@x>", "", "<3@x>"})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !keys["k1"] || !keys["k2"] {
		t.Fatalf("keys %v", keys)
	}
	if keys, _ := c.FolderBodyKeys(ctx, "other", a.ID, []string{"<1@x>"}); len(keys) != 0 {
		t.Fatalf("another account's keys: %v", keys)
	}
}
