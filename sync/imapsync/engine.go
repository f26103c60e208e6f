// Package imapsync keeps an IMAP account in step with the local cache: a first sync that makes the
// newest mail usable within seconds, CONDSTORE-aware resyncs, IDLE push for the inbox, STATUS
// polling for the other folders, and replay of changes made locally (offline or not).
//
// Connections: the main connection is owned by Run's goroutine and does passes (replay, folder
// list, folder syncs, polling); a second connection IDLEs on INBOX and syncs it when told of a
// change; a third, opened on demand, fetches a body when the user opens a message. Work on one
// folder is serialised by a per-folder lock, so two connections never interleave writes for the
// same folder.
//
// Written for go-imap v2 beta.8: QRESYNC is never enabled (an untagged VANISHED would close the
// connection), so deletions are found with UID SEARCH ALL against the cache; BODYSTRUCTURE is
// never fetched (a structure the library cannot parse closes the connection); MOVE without the
// capability is our own COPY + STORE + EXPUNGE that expunges only after the copy succeeded.
//
// Against hostile or broken servers: every command runs under a watchdog that closes the
// connection when the server is too slow (a trickling server defeats per-read timeouts), a guard
// under the client bounds line length and literal size (the decoder would otherwise buffer them
// whole), bodies are read in full or not stored, and large bodies come in partial fetches.
// Nothing is sized from a count the server announces (EXISTS, STATUS, UIDNEXT): UID sets are kept
// as ranges and walked batch by batch, a LIST beyond maxFolders is refused, at most statusWindow
// STATUS commands are in flight, and the guard repairs mailbox names that are not valid modified
// UTF-7 so that one such folder does not fail the whole LIST.
package imapsync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"postbode/localcache"
	"postbode/types"
)

// Engine is the IMAP engine of one account.
type Engine struct {
	d     types.EngineDeps
	acc   types.Account
	cache *localcache.Cache
	opt   *options

	wake  chan struct{}
	locks folderLocks

	snapMu sync.Mutex
	snaps  map[int64]snapshot // server state each folder had at its last complete sync

	listedMu sync.Mutex
	listed   map[string]bool // folder names seen in a LIST by this engine
	orphans  map[string]bool // local-only folders without a queued creation, seen once

	skipMu  sync.Mutex
	skip    map[int64]bool // messages whose body cannot be downloaded (too large), not retried
	refused map[int64]bool // folders whose last sync the server refused (reported once)

	// idleActive is the hand-off between Run and the passes: Run sets it while an idler watches
	// INBOX, and the passes then leave INBOX to it.
	idleActive atomic.Bool
	replayMu   sync.Mutex // one replay at a time (Run and SyncOnce may overlap)

	fetcher *bodyFetcher // FetchBody's on-demand connection
}

var (
	_ types.Engine      = (*Engine)(nil)
	_ types.BodyFetcher = (*Engine)(nil) // Manager.FetchBody reaches FetchBody through it
)

// Backend is the IMAP engine and connection test for the Manager.
var Backend = types.Backend{New: New, Test: Test, KeepsMailOnServer: true}

// New returns the engine for an account.
func New(d types.EngineDeps) types.Engine { return newEngine(d, defaultOptions()) }

func newEngine(d types.EngineDeps, opt *options) *Engine {
	return &Engine{
		d:       d,
		acc:     d.Account.WithDefaults(),
		cache:   d.Cache,
		opt:     opt,
		wake:    make(chan struct{}, 1),
		locks:   folderLocks{m: map[int64]chan struct{}{}},
		snaps:   map[int64]snapshot{},
		skip:    map[int64]bool{},
		refused: map[int64]bool{},
		listed:  map[string]bool{},
		orphans: map[string]bool{},
		fetcher: newBodyFetcher(d.Account.WithDefaults(), opt, d.Password),
	}
}

func (e *Engine) emit(ev types.Event) {
	if e.d.Emit != nil {
		e.d.Emit(ev)
	}
}

func (e *Engine) emitError(op string, err error) {
	e.emit(types.Error{Account: e.acc.Name, Op: op, Err: err})
}

// Wake asks a running engine to replay pending operations and check every folder now.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) connect(ctx context.Context) (*conn, error) {
	if e.d.Password == nil {
		return nil, errors.New("imap: no password source")
	}
	pw, err := e.d.Password()
	if err != nil {
		return nil, fmt.Errorf("imap password for %s: %w", e.acc.Name, err)
	}
	return connect(ctx, e.acc, pw, e.opt)
}

// SyncOnce replays pending operations and does one complete pass over every folder. A refusal that
// cost the connection (errClosedByRefusal) settled its change, so it connects again and goes on.
func (e *Engine) SyncOnce(ctx context.Context) error {
	for {
		cn, err := e.connect(ctx)
		if err != nil {
			return err
		}
		err = e.pass(ctx, cn, passOnce, nil)
		cn.close()
		if !errors.Is(err, errClosedByRefusal) {
			return err
		}
	}
}

// Run keeps the account in sync until ctx ends or a connection fails.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer e.fetcher.close()

	cn, err := e.connect(ctx)
	if err != nil {
		return err
	}
	defer cn.close()
	e.emit(types.ConnState{Account: e.acc.Name, State: types.StateSyncing})
	e.idleActive.Store(false)
	defer e.idleActive.Store(false)
	if err := e.pass(ctx, cn, passFull, nil); err != nil {
		return err
	}
	e.emit(types.ConnState{Account: e.acc.Name, State: types.StateOnline})

	nudge := make(chan struct{}, 1) // the IDLE side saw messages leave INBOX: poll the others now
	idleErr := make(chan error, 1)
	canIdle := !e.opt.noIdle && cn.caps.Has(imap.CapIdle)
	startIdle := func() {
		e.idleActive.Store(true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			idleErr <- (&idler{e: e, nudge: nudge}).run(ctx)
		}()
	}
	if canIdle {
		startIdle()
		e.watchOtherFolders(ctx, &wg, nudge)
	}

	poll := time.NewTicker(e.opt.pollInterval)
	defer poll.Stop()
	full := time.NewTicker(e.opt.fullInterval)
	defer full.Stop()
	fullPasses := 0
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err = <-idleErr:
			var setup *idleSetupError
			if errors.As(err, &setup) && ctx.Err() == nil {
				// No second connection (a per-user connection limit, most likely): poll INBOX
				// with NOOP on this one and try again at the next full pass.
				e.idleActive.Store(false)
				e.emit(types.Notice{Account: e.acc.Name,
					Text: "No separate connection for push e-mail; checking for new mail every minute instead."})
				continue
			}
			if err == nil {
				err = errors.New("imap idle connection ended")
			}
			return err
		case <-cn.cl.Closed():
			return fmt.Errorf("imap connection lost: %w", cn.wrap(errors.New("closed by server")))
		case <-full.C:
			// Now and then, SELECT every folder in case the server's STATUS missed a change.
			kind := passFull
			if fullPasses++; fullPasses%e.opt.verifyEvery == 0 {
				kind = passVerify
			}
			err = e.pass(ctx, cn, kind, nil)
			if err == nil && canIdle && !e.idleActive.Load() {
				startIdle()
			}
		case <-nudge:
			err = e.pass(ctx, cn, passPoll, nil)
		case <-e.wake:
			// Woken after each local change: replay it and look at what STATUS says changed.
			// A full pass (a SELECT per folder) is left to its timer.
			err = e.pollPass(ctx, cn)
		case <-poll.C:
			err = e.pollPass(ctx, cn)
		}
		if err != nil {
			return err
		}
	}
}

// pollPass is a NOOP, then a pass over the folders whose STATUS changed. The NOOP comes first:
// the server reports changes to the selected folder (INBOX, on servers without IDLE) only when
// asked, and until then answers STATUS for it from the session's stale view.
func (e *Engine) pollPass(ctx context.Context, cn *conn) error {
	dirty, err := e.noop(cn)
	if err != nil {
		return err
	}
	return e.pass(ctx, cn, passPoll, dirty)
}

// idleSetupError is a failure to start the IDLE connection at all (as opposed to losing it).
type idleSetupError struct{ err error }

func (e *idleSetupError) Error() string { return e.err.Error() }
func (e *idleSetupError) Unwrap() error { return e.err }

func (e *Engine) noop(cn *conn) ([]string, error) {
	stop := cn.watch(cn.opt.cmdTimeout)
	err := cn.cl.Noop().Wait()
	stop()
	if err != nil {
		return nil, fmt.Errorf("imap noop: %w", cn.wrap(err))
	}
	if cn.takeEvents() != 0 && cn.selected != "" {
		return []string{cn.selected}, nil
	}
	return nil, nil
}

// folderLocks serialises work on one folder across connections. Waiting honours the context.
type folderLocks struct {
	mu sync.Mutex
	m  map[int64]chan struct{}
}

func (l *folderLocks) get(id int64) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := l.m[id]
	if !ok {
		ch = make(chan struct{}, 1)
		l.m[id] = ch
	}
	return ch
}

// lock takes the locks of the folders in ascending id order (no deadlock between two callers).
func (l *folderLocks) lock(ctx context.Context, ids ...int64) (unlock func(), err error) {
	ids = uniqueSorted(ids)
	var held []chan struct{}
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			<-held[i]
		}
	}
	for _, id := range ids {
		ch := l.get(id)
		select {
		case ch <- struct{}{}:
			held = append(held, ch)
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

func uniqueSorted(ids []int64) []int64 {
	out := append([]int64(nil), ids...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	n := 0
	for i, id := range out {
		if id == 0 || (i > 0 && id == out[i-1]) {
			continue
		}
		out[n] = id
		n++
	}
	return out[:n]
}

// snapshot is a folder's server state as of the SELECT of its last complete sync.
type snapshot struct {
	uidValidity uint32
	uidNext     uint32
	modSeq      uint64
	messages    uint32
	unseen      int64 // -1: unknown
}

func (e *Engine) snapshot(id int64) (snapshot, bool) {
	e.snapMu.Lock()
	defer e.snapMu.Unlock()
	s, ok := e.snaps[id]
	return s, ok
}

func (e *Engine) setSnapshot(id int64, s snapshot) {
	e.snapMu.Lock()
	defer e.snapMu.Unlock()
	e.snaps[id] = s
}

func (e *Engine) dropSnapshot(id int64) {
	e.snapMu.Lock()
	defer e.snapMu.Unlock()
	delete(e.snaps, id)
}

func (e *Engine) skipBody(id int64) bool {
	e.skipMu.Lock()
	defer e.skipMu.Unlock()
	return e.skip[id]
}

func (e *Engine) unmarkSkip(id int64) {
	e.skipMu.Lock()
	defer e.skipMu.Unlock()
	delete(e.skip, id)
}

func (e *Engine) markSkip(id int64) {
	e.skipMu.Lock()
	defer e.skipMu.Unlock()
	e.skip[id] = true
}
