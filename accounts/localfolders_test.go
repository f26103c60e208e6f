package accounts

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// "On this computer" is added to the accounts file once, runs no engine, is skipped by a sync of
// every account, takes changes locally without queuing anything, and sends nothing.
func TestLocalAccount(t *testing.T) {
	made := 0
	m, cache := managerWith(t, types.Backend{New: func(types.EngineDeps) types.Engine { made++; return &fakeEngine{} }},
		Options{ConfigPath: filepath.Join(t.TempDir(), "accounts.json")})
	ctx := context.Background()
	local, err := m.LocalAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := m.LocalAccount(ctx); err != nil || again.Name != local.Name || len(m.Accounts()) != 3 {
		t.Fatalf("second LocalAccount: %+v, %v, %d accounts", again, err, len(m.Accounts()))
	}
	if err := m.SyncOnce(ctx); err != nil {
		t.Fatalf("a sync of every account: %v", err)
	}
	if made != 2 {
		t.Errorf("%d engines made, want 2 (none for the Local account)", made)
	}
	if err := m.Do(ctx, types.CreateFolder{Account: local.Name, Name: "Receipts"}); err != nil {
		t.Fatal(err)
	}
	f, err := cache.FolderByName(ctx, local.Name, "Receipts")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := cache.AddMessages(ctx, []localcache.Message{{Account: local.Name, FolderID: f.ID, Subject: "bill", Date: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.MarkRead{IDs: ids, Read: true}); err != nil {
		t.Fatal(err)
	}
	if ops, _ := cache.PendingOps(ctx, local.Name); len(ops) != 0 {
		t.Errorf("%d changes queued for a server the Local account does not have", len(ops))
	}
	if _, err := m.Send(ctx, types.Send{Account: local.Name}); err == nil {
		t.Error("the Local account sent a message")
	}
}
