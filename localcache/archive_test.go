package localcache

import (
	"context"
	"testing"
	"time"
)

// An account handed to the Local one keeps every message and body under one new top folder; its
// special folders become plain ones, its server state and remembered kind go, and a second
// archive of the same name gets a number.
func TestArchiveAccount(t *testing.T) {
	ctx := context.Background()
	c := openTest(t)
	inbox := mustFolder(t, c, "work", "Inbox", RoleInbox)
	sub := mustFolder(t, c, "work", "Projects/Zoë", "")
	mustFolder(t, c, "On this computer", "work", "")
	for _, f := range []Folder{inbox, sub} {
		if _, err := c.AddMessages(ctx, genMessages("work", f.ID, 5, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RecordAccountKind(ctx, "work", "pop3"); err != nil {
		t.Fatal(err)
	}
	top, err := c.ArchiveAccount(ctx, "work", "On this computer")
	if err != nil {
		t.Fatal(err)
	}
	if top != "work 2" {
		t.Errorf("archive folder %q, want %q (a folder work exists already)", top, "work 2")
	}
	left, _ := c.Folders(ctx, "work")
	kind, _ := c.AccountKind(ctx, "work")
	if len(left) != 0 || kind != "" {
		t.Errorf("after the archive: %d folders and kind %q remain under work", len(left), kind)
	}
	got := map[string]Folder{}
	folders, err := c.Folders(ctx, "On this computer")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range folders {
		got[f.Name] = f
	}
	for name, want := range map[string]int{"work 2/Inbox": 5, "work 2/Projects/Zoë": 5, "work 2": 0, "work": 0} {
		f, ok := got[name]
		if !ok || f.Total != want || f.Role != "" {
			t.Errorf("folder %q: %+v (found %v), want %d messages and no role", name, f, ok, want)
		}
	}
	page, err := c.Page(ctx, []int64{inbox.ID}, nil, 10)
	if err != nil || len(page) != 5 || page[0].Account != "On this computer" {
		t.Fatalf("the archived inbox's messages: %d, %v", len(page), err)
	}
}
