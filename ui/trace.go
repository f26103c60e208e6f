package ui

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// TraceEnv names a file the window appends one line to per milestone of the message list, for
// make bench's window rows (bench/cmd/pbbench/window.go) and anyone timing the window by hand:
//
//	scope key=folder:3 n=400000 t=…   the list was asked to show another folder (n: its rows)
//	row key=folder:3 n=0 t=…          a loaded row was handed to its widget, to be painted this frame
//	loading key=folder:3 n=12 t=…     a row whose page is not read yet got a placeholder
//	marks key=folder:3 n=400000 t=…   where every page starts is known (any row can be read)
//
// t is nanoseconds of the Unix clock, read once when the trace opens and counted on by the
// monotonic clock from there: comparable with another process's clock, and no clock step moves
// it. Without the variable the window's trace is nil and each call is one nil check.
const TraceEnv = "POSTBODE_TRACE"

type tracer struct {
	mu   sync.Mutex
	f    *os.File
	base time.Time
	err  error // the first failed write; the trace stops there rather than lie by omission
}

// openTrace opens the file of TraceEnv for appending; nil when the variable is unset.
func openTrace() (*tracer, error) {
	path := os.Getenv(TraceEnv)
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TraceEnv, err)
	}
	return &tracer{f: f, base: time.Now()}, nil
}

// event writes one line, unbuffered so that a reader of the file sees it at once.
func (t *tracer) event(kind, key string, n int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	at := t.base.UnixNano() + int64(time.Since(t.base))
	_, t.err = fmt.Fprintf(t.f, "%s key=%s n=%d t=%d\n", kind, key, n, at)
}

func (t *tracer) close() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.f.Close()
}
