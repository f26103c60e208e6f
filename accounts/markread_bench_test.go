package accounts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
)

// BenchmarkUndoableMarkRead100k is Ctrl+A then "Mark read" in an IMAP folder of 100,000 messages,
// 7 % unread (as the scale profile), through the Manager with its undo: the selection as 100,000
// ids, and as the folder (MarkRead.Folders). The undo, not timed, withdraws the operation, so every
// round starts alike.
func BenchmarkUndoableMarkRead100k(b *testing.B) {
	const n = 100_000
	cache, err := localcache.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer cache.Close()
	ctx := context.Background()
	f, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "a", Name: "INBOX", Role: localcache.RoleInbox})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 1000 {
		batch := make([]localcache.Message, 1000)
		for j := range batch {
			k := i + j
			batch[j] = localcache.Message{Account: "a", FolderID: f.ID, UID: uint32(k + 1), UIDValidity: 1,
				Subject: fmt.Sprintf("Subject %d", k), FromAddr: "s@example.org", Date: start.Add(time.Duration(k) * time.Minute)}
			if k%14 != 0 {
				batch[j].Flags = localcache.FlagSeen
			}
		}
		if _, err := cache.AddMessages(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	m := accounts.NewManager(&accounts.Config{Accounts: []types.Account{{Name: "a", Kind: types.IMAP, Email: "a@mail.test"}}},
		cache, nil, map[types.Protocol]types.Backend{types.IMAP: {KeepsMailOnServer: true}})
	ids, err := cache.PageIDs(ctx, []int64{f.ID}, nil, n)
	if err != nil || len(ids) != n {
		b.Fatalf("%d ids: %v", len(ids), err)
	}
	for _, c := range []struct {
		name string
		req  types.Request
	}{
		{"ids", types.MarkRead{IDs: ids, Read: true}},
		{"folder", types.MarkRead{Folders: []int64{f.ID}, Read: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				undo, err := m.DoUndoable(ctx, c.req)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := undo.Run(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
