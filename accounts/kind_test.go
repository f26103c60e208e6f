package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

// A POP3 account turned into an IMAP one by editing accounts.json is not started (an IMAP pass
// would take its local folders for folders deleted on the server): the account reports why and
// its mail stays. The settings window and the CLI cannot change a kind either, and a new account
// cannot take the name of an old one whose mail is kept, unless that mail was deleted.
func TestKindChangedOutsideIsNotApplied(t *testing.T) {
	dir := t.TempDir()
	cache, err := localcache.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	var started atomic.Int32
	backend := types.Backend{New: func(types.EngineDeps) types.Engine { started.Add(1); return &fakeEngine{} }}
	backends := map[types.Protocol]types.Backend{types.IMAP: backend, types.POP3: backend}
	cfgPath := filepath.Join(dir, "config", "accounts.json")
	run := func(kind types.Protocol) (*Manager, *testkit.Events, func()) {
		cfg := &Config{}
		if err := cfg.Add(sampleAccount("mail", kind)); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Save(cfgPath); err != nil {
			t.Fatal(err)
		}
		m := NewManager(cfg, cache, testkit.NewSecrets(ErrNoPassword, map[string]string{"mail": "pw"}), backends, Options{ConfigPath: cfgPath})
		events := testkit.Collect(m.Events())
		ctx, cancel := context.WithCancel(context.Background())
		m.Start(ctx)
		return m, events, func() { cancel(); m.Wait() }
	}
	_, _, stop := run(types.POP3)
	waitFor(t, "the POP3 engine", func() bool { return started.Load() == 1 })
	stop()

	m, events, stop := run(types.IMAP) // accounts.json edited by hand
	defer stop()
	waitFor(t, "the refusal", func() bool {
		for _, ev := range events.All() {
			if cs, ok := ev.(types.ConnState); ok && cs.State == types.StateError && Diagnose(cs.Err) == types.ProblemKindChanged {
				return true
			}
		}
		return false
	})
	if started.Load() != 1 {
		t.Fatal("an engine was started for the changed kind")
	}
	ctx := context.Background()
	pop := sampleAccount("mail", types.POP3)
	if err := m.UpdateAccount(ctx, pop); err == nil || !strings.Contains(err.Error(), "is a move of its mail") {
		t.Fatalf("UpdateAccount changing the kind: %v", err)
	}
	if err := m.RemoveAccount(ctx, "mail", false); err != nil {
		t.Fatal(err)
	}
	if err := m.AddAccount(ctx, sampleAccount("mail", types.IMAP), "pw", true); err == nil || !strings.Contains(err.Error(), "choose another name") {
		t.Fatalf("AddAccount over kept POP3 mail: %v", err)
	}
	if err := cache.DeleteAccount(ctx, "mail", true); err != nil {
		t.Fatal(err)
	}
	if err := m.AddAccount(ctx, sampleAccount("mail", types.IMAP), "pw", true); err != nil && !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("AddAccount after the old mail was deleted: %v", err)
	}
}
