package localcache

import (
	"context"
	"testing"
	"time"
)

// FolderHolds finds bodies by Message-ID within one folder only, messages without a Message-ID
// included, and a message without a body by its Message-ID and size.
func TestFolderHolds(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	a, _ := c.EnsureFolder(ctx, Folder{Account: "acc", Name: "A"})
	b, _ := c.EnsureFolder(ctx, Folder{Account: "acc", Name: "B"})
	now := time.Now()
	if _, err := c.AddMessages(ctx, []Message{
		{Account: "acc", FolderID: a.ID, MessageID: "<1@x>", BodyKey: "k1", Date: now},
		{Account: "acc", FolderID: a.ID, MessageID: "", BodyKey: "k2", Date: now},
		{Account: "acc", FolderID: a.ID, MessageID: "<3@x>", Size: 300, Date: now}, // header only
		{Account: "acc", FolderID: b.ID, MessageID: "<1@x>", BodyKey: "k4", Date: now},
	}); err != nil {
		t.Fatal(err)
	}
	keys, err := c.FolderHolds(ctx, "acc", a.ID, []string{"<1@x>", "", "<3@x>"})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 || !keys["k1"] || !keys["k2"] || !keys[SizeKey("<1@x>", 0)] || !keys[SizeKey("<3@x>", 300)] {
		t.Fatalf("keys %v", keys)
	}
	if keys, _ := c.FolderHolds(ctx, "other", a.ID, []string{"<1@x>"}); len(keys) != 0 {
		t.Fatalf("another account's keys: %v", keys)
	}
}
