package ui

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// tasks runs the UI's blocking work (SQLite queries, parsing, Manager requests, network fetches) off
// the UI goroutine and counts what is outstanding, so tests can wait until the UI has settled.
// Results come back to the UI through exec.
type tasks struct {
	ctx    context.Context
	active atomic.Int64
	reads  *queue // queries for views; keyed jobs replace stale ones
	writes *queue // user requests to the Manager, strictly in order
}

func newTasks(ctx context.Context) *tasks {
	t := &tasks{ctx: ctx}
	t.reads = newQueue(t)
	t.writes = newQueue(t)
	go t.reads.run(ctx)
	go t.writes.run(ctx)
	return t
}

// idle reports whether no job, timer or goroutine started through t is pending.
func (t *tasks) idle() bool { return t.active.Load() == 0 }

// after runs fn on a timer; the returned stop cancels it.
func (t *tasks) after(d time.Duration, fn func()) (stop func()) {
	t.active.Add(1)
	var once sync.Once
	done := func() { once.Do(func() { t.active.Add(-1) }) }
	tm := time.AfterFunc(d, func() {
		defer done()
		fn()
	})
	return func() {
		if tm.Stop() {
			done()
		}
	}
}

// spawn runs fn on its own goroutine (for work that may wait on the network).
func (t *tasks) spawn(fn func(ctx context.Context)) {
	t.active.Add(1)
	go func() {
		defer t.active.Add(-1)
		fn(t.ctx)
	}()
}

type job struct {
	key string
	fn  func(ctx context.Context)
}

// queue runs jobs one at a time in order.
type queue struct {
	t    *tasks
	mu   sync.Mutex
	jobs []job
	wake chan struct{}
}

func newQueue(t *tasks) *queue { return &queue{t: t, wake: make(chan struct{}, 1)} }

// post adds a job. A job with a non-empty key replaces a queued (not yet started) job with the same
// key, so a burst of "reload the folder list" requests costs one query.
func (q *queue) post(key string, fn func(ctx context.Context)) {
	q.mu.Lock()
	if key != "" {
		for i := range q.jobs {
			if q.jobs[i].key == key {
				q.jobs[i].fn = fn
				q.mu.Unlock()
				return
			}
		}
	}
	q.t.active.Add(1)
	q.jobs = append(q.jobs, job{key, fn})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) run(ctx context.Context) {
	for {
		q.mu.Lock()
		if len(q.jobs) == 0 {
			q.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			}
			continue
		}
		j := q.jobs[0]
		q.jobs = q.jobs[1:]
		q.mu.Unlock()
		if ctx.Err() == nil {
			j.fn(ctx)
		}
		q.t.active.Add(-1)
	}
}
