package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// TestPumpAppliesBatchesThroughTheExecutor runs the pump with a recording executor (no Fyne): every
// apply happens inside an executor call, events keep their order, progress is coalesced, and a
// burst becomes a few batches rather than one call per event.
func TestPumpAppliesBatchesThroughTheExecutor(t *testing.T) {
	events := make(chan types.Event, 512)
	changed := make(chan struct{}, 1)
	var mu sync.Mutex
	pendingChanges := []localcache.Change{}
	take := func() []localcache.Change {
		mu.Lock()
		defer mu.Unlock()
		out := pendingChanges
		pendingChanges = nil
		return out
	}

	var (
		execCalls int
		inExec    bool
		batches   []Batch
		applied   = make(chan struct{}, 100)
	)
	exec := func(fn func()) {
		// A real executor runs fn later on another goroutine; do the same to catch any assumption
		// that it runs inline.
		go func() {
			mu.Lock()
			execCalls++
			inExec = true
			fn()
			inExec = false
			mu.Unlock()
			applied <- struct{}{}
		}()
	}
	apply := func(b Batch) {
		if !inExec {
			t.Error("apply ran outside the executor")
		}
		batches = append(batches, b)
	}
	p := &Pump{Events: events, Changed: changed, Take: take, Exec: exec, Apply: apply, Interval: 40 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx)
		close(done)
	}()

	// A burst: 300 progress reports for one folder, connection states and a notice, then changes.
	events <- types.ConnState{Account: "a", State: types.StateConnecting}
	for i := 1; i <= 300; i++ {
		events <- types.SyncProgress{Account: "a", Folder: "INBOX", Done: i, Total: 300}
	}
	events <- types.ConnState{Account: "a", State: types.StateOnline}
	events <- types.Notice{Account: "a", Text: "no UIDL"}
	mu.Lock()
	pendingChanges = append(pendingChanges, localcache.Change{Account: "a", FolderID: 1}, localcache.Change{Account: "a", FolderID: 2})
	mu.Unlock()
	changed <- struct{}{}

	deadline := time.After(5 * time.Second)
	for {
		mu.Lock()
		var evs, chs int
		var last types.SyncProgress
		for _, b := range batches {
			evs += len(b.Events)
			chs += len(b.Changes)
			for _, ev := range b.Events {
				if p, ok := ev.(types.SyncProgress); ok {
					last = p
				}
			}
		}
		n := len(batches)
		calls := execCalls
		mu.Unlock()
		if chs == 2 && last.Done == 300 {
			if calls != n {
				t.Fatalf("%d executor calls for %d batches", calls, n)
			}
			if n > 10 || evs > 20 {
				t.Fatalf("burst of 303 events became %d batches with %d events (progress not coalesced)", n, evs)
			}
			break
		}
		select {
		case <-applied:
		case <-deadline:
			t.Fatalf("not everything applied: %d batches", n)
		}
	}
	// Order is kept: Connecting before Online before the Notice.
	mu.Lock()
	var order []string
	for _, b := range batches {
		for _, ev := range b.Events {
			switch e := ev.(type) {
			case types.ConnState:
				order = append(order, string(e.State))
			case types.Notice:
				order = append(order, "notice")
			}
		}
	}
	mu.Unlock()
	if len(order) != 3 || order[0] != "connecting" || order[1] != "online" || order[2] != "notice" {
		t.Fatalf("event order %v", order)
	}

	// Batches are at least Interval apart.
	start := time.Now()
	events <- types.Notice{Account: "a", Text: "one"}
	<-applied
	events <- types.Notice{Account: "a", Text: "two"}
	<-applied
	if gap := time.Since(start); gap < 35*time.Millisecond {
		t.Fatalf("two batches %v apart, want at least the interval", gap)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("pump did not stop with its context")
	}
}

// TestPumpStopsWhenTheUIIsGone checks that a pump whose executor never runs (the app has quit)
// still returns when its context ends.
func TestPumpStopsWhenTheUIIsGone(t *testing.T) {
	events := make(chan types.Event, 1)
	p := &Pump{Events: events, Exec: func(func()) {}, Apply: func(Batch) {}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx)
		close(done)
	}()
	events <- types.Notice{Account: "a", Text: "x"}
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("pump blocked on an executor that never runs")
	}
}
