// Package uitest holds what the tests of package ui and of the account wizard (ui/wizard) both
// need: an executor the test drains, a started Manager over a fresh profile folder, finding and
// tapping what a window shows, and screenshots in English and Dutch. Only tests import it.
package uitest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"postbode/accounts"
	"postbode/accounts/oauth"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

// ExecQueue is the tests' executor: functions for the UI goroutine wait in a queue until the test
// goroutine runs them, so widgets are only touched by one goroutine as with fyne.Do.
type ExecQueue struct {
	mu  sync.Mutex
	fns []func()
}

// Exec queues fn.
func (q *ExecQueue) Exec(fn func()) {
	q.mu.Lock()
	q.fns = append(q.fns, fn)
	q.mu.Unlock()
}

// RunAll runs what is queued and reports whether there was anything.
func (q *ExecQueue) RunAll() bool {
	q.mu.Lock()
	fns := q.fns
	q.fns = nil
	q.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	return len(fns) > 0
}

// Empty reports whether nothing is queued.
func (q *ExecQueue) Empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.fns) == 0
}

// Profile is a started Manager over a profile folder of its own, with a fake keyring.
type Profile struct {
	Dir        string
	ConfigPath string
	Cache      *localcache.Cache
	Manager    *accounts.Manager
	Store      *testkit.Secrets
	// Ctx ends when the test does.
	Ctx context.Context
}

// ProfileOpts are the Manager's backends and services.
type ProfileOpts struct {
	Backends map[types.Protocol]types.Backend
	Discover func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error)
	TestSMTP func(ctx context.Context, acc types.Account, password string) error
	Accounts []types.Account // configured before the Manager starts, with password "pw"
	OAuth    *oauth.Registry // OAuth2 providers (nil: none)
}

// NewProfile starts a Manager over a new profile folder; the test's end stops it.
func NewProfile(t *testing.T, o ProfileOpts) *Profile {
	t.Helper()
	dir := t.TempDir()
	cache, err := localcache.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	keyring := map[string]string{}
	cfgPath := filepath.Join(dir, "config", "accounts.json")
	cfg := &accounts.Config{}
	for _, acc := range o.Accounts {
		if err := cfg.Add(acc); err != nil {
			t.Fatal(err)
		}
		keyring[acc.Name] = "pw"
	}
	if err := cfg.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	store := testkit.NewSecrets(accounts.ErrNoPassword, keyring)
	mgr := accounts.NewManager(cfg, cache, store, o.Backends, accounts.Options{ConfigPath: cfgPath,
		Discover: o.Discover, TestOutgoing: o.TestSMTP, OAuth: o.OAuth})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); mgr.Wait() })
	mgr.Start(ctx)
	return &Profile{Dir: dir, ConfigPath: cfgPath, Cache: cache, Manager: mgr, Store: store, Ctx: ctx}
}

// AssertNoPasswordInFiles walks the profile: the password is in no file the app wrote.
func (p *Profile) AssertNoPasswordInFiles(t *testing.T, password string) {
	t.Helper()
	if n := testkit.NoFileContains(t, p.Dir, password); n < 2 {
		t.Fatalf("only %d files in the profile: nothing was written?", n)
	}
}
