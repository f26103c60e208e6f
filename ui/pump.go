package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
)

// Batch is what the pump hands to the UI at once: engine events in arrival order (progress reports
// coalesced to the latest per folder) and the folders whose cached contents changed.
type Batch struct {
	Events  []types.Event
	Changes []localcache.Change
}

func (b *Batch) empty() bool { return len(b.Events) == 0 && len(b.Changes) == 0 }

func (b *Batch) addEvent(ev types.Event) {
	if p, ok := ev.(types.SyncProgress); ok {
		for i, old := range b.Events {
			if q, ok := old.(types.SyncProgress); ok && q.Account == p.Account && q.Folder == p.Folder {
				b.Events[i] = p
				return
			}
		}
	}
	b.Events = append(b.Events, ev)
}

func (b *Batch) addChanges(chs []localcache.Change) {
next:
	for _, ch := range chs {
		for _, old := range b.Changes {
			if old == ch {
				continue next
			}
		}
		b.Changes = append(b.Changes, ch)
	}
}

// Pump drains the Manager's events and the cache's change notifications and applies them to the UI
// in batches: one Exec call per batch, at most one batch per Interval, each applied before the next
// is gathered (so a busy UI slows the pump, never the engines: events keep being drained and merged).
type Pump struct {
	Events <-chan types.Event
	// Changed signals waiting cache changes and Take collects them (a localcache.Subscription).
	Changed <-chan struct{}
	Take    func() []localcache.Change
	// Exec runs a function on the UI goroutine; nil means fyne.Do.
	Exec  func(func())
	Apply func(Batch)
	// Interval is the shortest time between two batches; 0 means 100 ms.
	Interval time.Duration
}

// NewPump connects a Manager and a cache subscription to apply.
func NewPump(m *accounts.Manager, sub *localcache.Subscription, apply func(Batch)) *Pump {
	return &Pump{Events: m.Events(), Changed: sub.C, Take: sub.Take, Apply: apply}
}

// Run pumps until ctx ends or both sources are closed.
func (p *Pump) Run(ctx context.Context) {
	exec := p.Exec
	if exec == nil {
		exec = fyne.Do
	}
	interval := p.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	events, changed := p.Events, p.Changed
	var (
		pending   Batch
		lastApply time.Time
		timer     *time.Timer
		due       <-chan time.Time
	)
	for events != nil || changed != nil || !pending.empty() {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				break
			}
			pending.addEvent(ev)
		case _, ok := <-changed:
			if !ok {
				changed = nil
				break
			}
			if p.Take != nil {
				pending.addChanges(p.Take())
			}
		case <-due:
			due = nil
		}
		// Take whatever else is already waiting, without blocking.
	drain:
		for range 1024 {
			select {
			case ev, ok := <-events:
				if !ok {
					events = nil
					break drain
				}
				pending.addEvent(ev)
			default:
				break drain
			}
		}
		if pending.empty() || due != nil {
			continue
		}
		if wait := interval - time.Since(lastApply); wait > 0 && (events != nil || changed != nil) {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			due = timer.C
			continue
		}
		batch := pending
		pending = Batch{}
		done := make(chan struct{})
		exec(func() {
			defer close(done)
			p.Apply(batch)
		})
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
		lastApply = time.Now()
	}
}
