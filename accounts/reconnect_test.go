package accounts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/types"
)

// step is what one Run of a scriptEngine does.
type step int

const (
	failNow       step = iota // fails at once, as a refused connection does
	loginThenFail             // reports a working connection, then loses it
	hang                      // never gets through connecting, until cancelled
	stayUp                    // logs in and stays connected until cancelled
)

// scriptEngine runs its script, one step per Run (the last step repeats).
type scriptEngine struct {
	deps   types.EngineDeps
	script []step

	mu        sync.Mutex
	runs      int
	wakes     int
	cancelled int // runs that ended because their context ended
}

func (e *scriptEngine) Run(ctx context.Context) error {
	e.mu.Lock()
	st := e.script[min(e.runs, len(e.script)-1)]
	e.runs++
	e.mu.Unlock()
	online := func() { e.deps.Emit(types.ConnState{Account: e.deps.Account.Name, State: types.StateOnline}) }
	switch st {
	case failNow:
		return errors.New("dial tcp: connection refused")
	case loginThenFail:
		online()
		return errors.New("connection reset by peer")
	case stayUp:
		online()
	}
	<-ctx.Done()
	e.mu.Lock()
	e.cancelled++
	e.mu.Unlock()
	return ctx.Err()
}

func (e *scriptEngine) SyncOnce(context.Context) error { return nil }
func (e *scriptEngine) Wake() {
	e.mu.Lock()
	e.wakes++
	e.mu.Unlock()
}

func (e *scriptEngine) counts() (runs, wakes, cancelled int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs, e.wakes, e.cancelled
}

// newScriptManager runs one scripted engine per account ("imap" and "pop") with opt.
func newScriptManager(t *testing.T, opt Options, scripts map[string][]step) (*Manager, map[string]*scriptEngine, *testkit.Events) {
	t.Helper()
	engines := map[string]*scriptEngine{}
	var mu sync.Mutex
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine {
		mu.Lock()
		defer mu.Unlock()
		e := &scriptEngine{deps: d, script: scripts[d.Account.Name]}
		if len(e.script) == 0 {
			e.script = []step{stayUp}
		}
		engines[d.Account.Name] = e
		return e
	}}
	m, _ := managerWith(t, backend, opt)
	log := testkit.Collect(m.Events()) // stands in for the UI's pump
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	waitFor(t, "both engines to start", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(engines) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	return m, engines, log
}

// noNetwork is a network that never changes.
func noNetwork(ctx context.Context, changed func()) { <-ctx.Done() }

// A Retry (CheckNow for the account) or Get mail (CheckNow for all) during a long reconnect wait
// starts the engine again at once.
func TestRetryCutsReconnectWaitShort(t *testing.T) {
	opt := Options{MinBackoff: time.Hour, MaxBackoff: time.Hour, WatchNetwork: noNetwork}
	m, engines, log := newScriptManager(t, opt, map[string][]step{
		"imap": {failNow, failNow, failNow, stayUp},
	})
	e := engines["imap"]
	ctx := context.Background()
	for i, req := range []types.CheckNow{{Account: "imap"}, {}, {Account: "imap"}} {
		waitFor(t, "the engine to fail and wait", func() bool { return log.Count("imap", types.StateError) == i+1 })
		if runs, _, _ := e.counts(); runs != i+1 {
			t.Fatalf("before request %d the engine ran %d times", i, runs)
		}
		start := time.Now()
		if err := m.Do(ctx, req); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the engine to run again", func() bool { runs, _, _ := e.counts(); return runs == i+2 })
		t.Logf("%+v restarted the engine after %v", req, time.Since(start))
	}
	waitFor(t, "the engine to be online", func() bool { return log.Count("imap", types.StateOnline) == 1 })
	// Once connected, a check only wakes the engine: it is not restarted.
	if err := m.Do(ctx, types.CheckNow{Account: "imap"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the wake", func() bool { _, wakes, _ := e.counts(); return wakes >= 4 })
	time.Sleep(50 * time.Millisecond)
	if runs, _, cancelled := e.counts(); runs != 4 || cancelled != 0 {
		t.Fatalf("a check of a connected engine restarted it: runs %d, cancelled %d", runs, cancelled)
	}
	if runs, _, _ := engines["pop"].counts(); runs != 1 {
		t.Fatalf("the healthy account was restarted: %d runs", runs)
	}
}

// A Retry while the engine is still trying to connect (a dial hanging on a dead network) gives
// up that attempt and starts a new one.
func TestRetryRestartsHangingConnect(t *testing.T) {
	opt := Options{MinBackoff: time.Hour, WatchNetwork: noNetwork}
	m, engines, _ := newScriptManager(t, opt, map[string][]step{"imap": {hang, stayUp}})
	e := engines["imap"]
	waitFor(t, "the first run", func() bool { runs, _, _ := e.counts(); return runs == 1 })
	if err := m.Do(context.Background(), types.CheckNow{Account: "imap"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a second run", func() bool { runs, _, cancelled := e.counts(); return runs == 2 && cancelled == 1 })
}

// fakeClock records the waits the supervisors ask for; each fires when the test says so.
type fakeClock struct {
	waits chan time.Duration
	fire  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{waits: make(chan time.Duration, 100), fire: make(chan time.Time)}
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits <- d
	return c.fire
}

func (c *fakeClock) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnect wait")
		return 0
	}
}

// The wait doubles up to a cap of MaxBackoff (plus jitter) and starts again from MinBackoff after
// the engine logged in, however briefly it stayed up.
func TestReconnectBackoffIsCappedAndResetByLogin(t *testing.T) {
	clock := newFakeClock()
	opt := Options{MinBackoff: time.Second, MaxBackoff: 30 * time.Second, After: clock.After, WatchNetwork: noNetwork}
	script := make([]step, 0, 12)
	for range 9 {
		script = append(script, failNow)
	}
	script = append(script, loginThenFail, failNow, stayUp)
	_, engines, _ := newScriptManager(t, opt, map[string][]step{"imap": script})
	var waits []time.Duration
	for range 11 {
		d := clock.next(t)
		waits = append(waits, d)
		clock.fire <- time.Now()
	}
	t.Logf("waits: %v", waits)
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30, 30, 1, 2}
	for i, d := range waits {
		base := want[i] * time.Second
		if d < base || d > base+base/4 {
			t.Fatalf("wait %d is %v, want %v plus at most a quarter (all: %v)", i+1, d, base, waits)
		}
	}
	waitFor(t, "the last run", func() bool { runs, _, _ := engines["imap"].counts(); return runs == 12 })
}

// A change of the machine's network starts every waiting engine at once.
func TestNetworkChangeRestartsWaitingEngines(t *testing.T) {
	changes := make(chan func(), 1)
	watch := func(ctx context.Context, changed func()) {
		changes <- changed
		<-ctx.Done()
	}
	opt := Options{MinBackoff: time.Hour, WatchNetwork: watch}
	_, engines, log := newScriptManager(t, opt, map[string][]step{
		"imap": {failNow, stayUp},
		"pop":  {failNow, stayUp},
	})
	var changed func()
	select {
	case changed = <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("the Manager does not watch the network")
	}
	waitFor(t, "both engines to wait", func() bool {
		return log.Count("imap", types.StateError) == 1 && log.Count("pop", types.StateError) == 1
	})
	changed()
	waitFor(t, "both engines online", func() bool {
		return log.Count("imap", types.StateOnline) == 1 && log.Count("pop", types.StateOnline) == 1
	})
	for name, e := range engines {
		if runs, _, _ := e.counts(); runs != 2 {
			t.Fatalf("%s ran %d times", name, runs)
		}
	}
}

// WatchInterfaces stops when its context ends and reports nothing while nothing changes.
func TestWatchInterfacesStops(t *testing.T) {
	if _, err := interfaceFingerprint(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	calls := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		WatchInterfaces(ctx, 10*time.Millisecond, func() { calls++ })
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WatchInterfaces did not return")
	}
	if calls > 1 {
		t.Fatalf("%d changes reported on a quiet machine", calls)
	}
}
