// Package pop3sync is the POP3 engine: it polls a POP3 maildrop and downloads new mail into the
// account's local Inbox, then deletes from the server what the account's policy says, never
// before the local copy is durable.
//
// Per poll: UIDL tells what is new (compared with the cache's UIDL records), LIST gives sizes,
// and each batch of messages goes RETR → PutBodies (durable group commit) → AddMessages →
// SaveUIDLs before anything is deleted; DELE follows, QUIT commits, and only a successful QUIT
// is recorded with MarkUIDLsDeleted. A crash at any point can duplicate a message, never lose
// one. Everything else about a POP3 account (folders, read state, moves) is local and done by
// the Manager.
package pop3sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// Batch bounds: a durable commit happens at least this often (Engine.batchMessages and
// batchBytes, which tests lower to make several batches of a small mailbox).
const (
	defaultBatchMessages       = 200
	defaultBatchBytes    int64 = 4 << 20
)

// bulkIndexMin is how many new messages make a download bulk work for the full-text index.
const bulkIndexMin = 1000

// Engine polls one POP3 account. Run and SyncOnce may be called from different goroutines;
// polls never overlap.
type Engine struct {
	deps types.EngineDeps
	acc  types.Account
	wake chan struct{}
	// maxMessage overrides pop3.DefaultMaxMessageBytes (tests).
	maxMessage int64
	// batchMessages and batchBytes bound a batch of downloads.
	batchMessages int
	batchBytes    int64
	// testHook, when set, is called at each step of the durable order: "after-retr",
	// "after-store", "after-index", "after-uidl" (once per batch) and "after-dele" (once, after
	// the DELE commands and before QUIT). The crash tests block in it and kill the process.
	testHook func(step string)

	mu sync.Mutex // held for a whole poll; guards everything below
	// inbox is the local Inbox, set once the local folders exist.
	inbox *localcache.Folder
	// Session memory for messages identified by content (no usable UIDL): the message
	// numbers already handled, valid while the sizes of the listing's first len(handledSizes)
	// messages stay the same (nothing before them was deleted).
	handledSizes []int64
	handled      map[int]bool
	noticed      map[string]bool // notices already shown in this session
	skip         map[string]bool // UIDLs not to fetch again in this session (too large)
}

// testDialContext, when set, replaces TCP dialing (tests map mail.test to a loopback address).
var testDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

func (e *Engine) hook(step string) {
	if e.testHook != nil {
		e.testHook(step)
	}
}

// New returns the engine for a POP3 account.
func New(d types.EngineDeps) types.Engine {
	return newEngine(d)
}

func newEngine(d types.EngineDeps) *Engine {
	if d.Emit == nil {
		d.Emit = func(types.Event) {}
	}
	return &Engine{
		deps:          d,
		acc:           d.Account.WithDefaults(),
		wake:          make(chan struct{}, 1),
		batchMessages: defaultBatchMessages,
		batchBytes:    defaultBatchBytes,
		handled:       map[int]bool{},
		noticed:       map[string]bool{},
		skip:          map[string]bool{},
	}
}

// Wake asks a running engine to poll now. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run polls at once and then every PollInterval or when woken, until ctx ends. It returns the
// error of a failed poll so that the Manager reconnects with backoff.
func (e *Engine) Run(ctx context.Context) error {
	for {
		if err := e.SyncOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		t := time.NewTimer(e.acc.POP3.PollInterval.Duration)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// SyncOnce does one poll: download what is new, then delete what the policy says.
func (e *Engine) SyncOnce(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.ensureFolders(ctx); err != nil {
		return err
	}
	err := e.poll(ctx)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("pop3 %s: %w", e.acc.Name, err)
	}
	return err
}

// localFolders are the folders every POP3 account has; they exist only here.
var localFolders = []struct{ name, role string }{
	{"Inbox", localcache.RoleInbox},
	{"Sent", localcache.RoleSent},
	{"Drafts", localcache.RoleDrafts},
	{"Trash", localcache.RoleTrash},
	{"Junk", localcache.RoleJunk},
	{"Archive", localcache.RoleArchive},
}

// ensureFolders creates the local folders once per engine. A role that already has a folder
// (perhaps under another name) is left alone.
func (e *Engine) ensureFolders(ctx context.Context) error {
	if e.inbox != nil {
		return nil
	}
	for _, lf := range localFolders {
		f, err := e.deps.Cache.FolderByRole(ctx, e.acc.Name, lf.role)
		if errors.Is(err, localcache.ErrNotFound) {
			f, err = e.deps.Cache.EnsureFolder(ctx, localcache.Folder{
				Account: e.acc.Name, Name: lf.name, Role: lf.role, Subscribed: true,
			})
		}
		if err != nil {
			return fmt.Errorf("pop3 %s: local folder %s: %w", e.acc.Name, lf.name, err)
		}
		if lf.role == localcache.RoleInbox {
			inbox := f
			e.inbox = &inbox
		}
	}
	return nil
}

func (e *Engine) emit(ev types.Event) { e.deps.Emit(ev) }

// notice shows a warning once per engine.
func (e *Engine) notice(key, text string) {
	if e.noticed[key] {
		return
	}
	e.noticed[key] = true
	e.emit(types.Notice{Account: e.acc.Name, Text: text})
}
