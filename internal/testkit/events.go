package testkit

import (
	"slices"
	"sync"

	"postbode/types"
)

// Events records events, as an engine's Emit or from a Manager's channel (Collect). It is safe
// for concurrent use; the zero value is ready.
type Events struct {
	mu  sync.Mutex
	evs []types.Event
}

// Collect records every event from ch until it closes, on a goroutine of its own. Reading a
// Manager's Events this way stands in for the UI's pump, which the Manager must not block on.
func Collect(ch <-chan types.Event) *Events {
	e := &Events{}
	go func() {
		for ev := range ch {
			e.Emit(ev)
		}
	}()
	return e
}

// Emit records ev; it fits types.EngineDeps.Emit.
func (e *Events) Emit(ev types.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

// All returns the events recorded so far.
func (e *Events) All() []types.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.evs)
}

// Take returns the events recorded since the last Take and forgets them.
func (e *Events) Take() []types.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.evs
	e.evs = nil
	return out
}

// Count is how many times the account entered state (types.ConnState events).
func (e *Events) Count(account string, state types.State) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.evs {
		if cs, ok := ev.(types.ConnState); ok && cs.Account == account && cs.State == state {
			n++
		}
	}
	return n
}
