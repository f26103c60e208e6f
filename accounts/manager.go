package accounts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"postbode/accounts/oauth"
	"postbode/localcache"
	"postbode/rules"
	"postbode/types"
)

// PasswordSource gives an account's password.
type PasswordSource interface {
	Get(account string) (string, error)
}

// Manager runs one engine per account, fans their events into one stream, and applies requests to
// the cache at once (local first), leaving the server side to the engines.
type Manager struct {
	cache    *localcache.Cache
	secrets  PasswordSource
	backends map[types.Protocol]types.Backend
	events   chan types.Event
	sender   Sender

	mu       sync.Mutex
	accounts map[string]types.Account
	engines  map[string]types.Engine
	wg       sync.WaitGroup

	// configPath is the accounts file that AddAccount, UpdateAccount and RemoveAccount rewrite.
	configPath string
	cfgMu      sync.Mutex // one rewrite of the accounts file at a time
	// runCtx is the context Start was given (nil before Start); running holds each supervised
	// engine's stop function, so one account can be stopped or restarted alone.
	runCtx  context.Context
	running map[string]*runningEngine
	// logins counts, per account, the times an engine reported a working connection (online,
	// syncing or waiting); the supervisor compares it across a run to reset its backoff.
	logins map[string]uint64
	oauth  signIns
	// refusalWatches are the uploads (UploadAccount) running, told of the copies a server refuses.
	refusalWatches []*refusalWatch

	rulesMu    sync.Mutex
	rules      rules.Set
	filterMu   sync.Mutex    // one filter run at a time
	filterWake chan struct{} // wakes the filter runner; holds one wake-up at most

	opt Options
}

// Options tune the Manager; the zero value is what the program uses. Tests replace the clock and
// the network watcher so that they need not sleep.
type Options struct {
	// MinBackoff and MaxBackoff bound the wait before a failed engine is started again (defaults
	// DefaultMinBackoff and DefaultMaxBackoff). The wait doubles after each failed attempt, gets up
	// to a quarter more at random, and starts again from MinBackoff once an engine has logged in.
	MinBackoff, MaxBackoff time.Duration
	// After is the clock of those waits (time.After when nil).
	After func(time.Duration) <-chan time.Time
	// WatchNetwork calls changed whenever the machine's network may have changed, until ctx ends;
	// each call restarts every engine waiting to reconnect. Nil polls the addresses of the network
	// interfaces every NetworkPollInterval (WatchInterfaces).
	WatchNetwork func(ctx context.Context, changed func())
	// ConfigPath is the accounts file that AddAccount, UpdateAccount and RemoveAccount rewrite
	// ("": they refuse).
	ConfigPath string
	// Sender builds the outbox once the Manager exists (it files Sent copies and reports through
	// it); nil leaves Send requests failing with a clear error.
	Sender func(*Manager) Sender
	// Discover looks up the server settings for an address (Manager.Discover); nil uses
	// autoconfig.Discover with its defaults. Tests keep it on loopback.
	Discover func(ctx context.Context, email string) ([]DiscoveryResult, error)
	// TestOutgoing logs in to an account's outgoing server without sending anything
	// (Manager.TestOutgoing; main passes smtpsend.Test); nil leaves outgoing servers untested.
	TestOutgoing func(ctx context.Context, acc types.Account, password string) error
	// OAuth is the OAuth2 providers with their client IDs (main builds it from the build's IDs
	// and the profile's oauth.json); nil leaves OAuth2 accounts unable to sign in.
	OAuth *oauth.Registry
	// HTTPClient makes the token requests of OAuth2 accounts; nil uses one with a timeout.
	HTTPClient *http.Client
	// Rules are the filter rules to start with (LoadRules), and RulesPath the file SetRules
	// rewrites ("": it refuses).
	Rules     rules.Set
	RulesPath string
}

// Reconnect defaults.
const (
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 30 * time.Second
	NetworkPollInterval = 3 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.After == nil {
		o.After = time.After
	}
	if o.Discover == nil {
		o.Discover = defaultDiscover
	}
	if o.WatchNetwork == nil {
		o.WatchNetwork = func(ctx context.Context, changed func()) {
			WatchInterfaces(ctx, NetworkPollInterval, changed)
		}
	}
	return o
}

// NewManager wires the accounts to their backends. At most one Options may be given.
func NewManager(cfg *Config, cache *localcache.Cache, secrets PasswordSource, backends map[types.Protocol]types.Backend, opts ...Options) *Manager {
	var opt Options
	if len(opts) > 0 {
		opt = opts[0]
	}
	backends = maps.Clone(backends)
	if backends == nil {
		backends = map[types.Protocol]types.Backend{}
	}
	backends[types.Local] = types.Backend{} // folders on this computer: no server to keep in step with
	m := &Manager{
		cache: cache, secrets: secrets, backends: backends,
		events:   make(chan types.Event, 256),
		accounts: map[string]types.Account{}, engines: map[string]types.Engine{},
		running:    map[string]*runningEngine{},
		logins:     map[string]uint64{},
		oauth:      newSignIns(opt.OAuth, opt.HTTPClient, secrets),
		opt:        opt.withDefaults(),
		configPath: opt.ConfigPath,
		rules:      opt.Rules,
		filterWake: make(chan struct{}, 1),
	}
	for _, a := range cfg.Accounts {
		m.accounts[a.Name] = a.WithDefaults()
	}
	if opt.Sender != nil {
		m.sender = opt.Sender(m)
	}
	return m
}

// Events is the one stream of every engine's events.
func (m *Manager) Events() <-chan types.Event { return m.events }

// Accounts returns the configured accounts.
func (m *Manager) Accounts() []types.Account {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]types.Account, 0, len(m.accounts))
	for _, a := range m.accounts {
		out = append(out, a)
	}
	return out
}

// Account returns one account by name.
func (m *Manager) Account(name string) (types.Account, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[name]
	return a, ok
}

func (m *Manager) engine(ctx context.Context, acc types.Account) (types.Engine, error) {
	m.mu.Lock()
	e, ok := m.engines[acc.Name]
	m.mu.Unlock()
	if ok {
		return e, nil
	}
	if err := m.checkKind(ctx, acc); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.engines[acc.Name]; ok {
		return e, nil
	}
	b, ok := m.backends[acc.Kind]
	switch {
	case ok && b.New == nil && !b.KeepsMailOnServer:
		return nil, fmt.Errorf("account %s: %w", acc.Name, types.ErrNoServer)
	case !ok || b.New == nil:
		return nil, fmt.Errorf("account %s: no engine for %s", acc.Name, acc.Kind)
	}
	e = b.New(types.EngineDeps{
		Account:  acc,
		Cache:    m.cache,
		Password: func() (string, error) { return m.engineSecret(acc.Name) },
		Emit: func(ev types.Event) {
			m.observe(ev)
			m.emit(ctx, ev)
		},
	})
	m.engines[acc.Name] = e
	return e, nil
}

func (m *Manager) emit(ctx context.Context, ev types.Event) {
	ev = m.Redact(ev)
	select {
	case m.events <- ev:
	case <-ctx.Done():
	}
}

// Start runs every account's engine, and the outbox, until ctx ends. Wait returns when all have stopped.
// Accounts added later with AddAccount start at once under the same ctx.
func (m *Manager) Start(ctx context.Context) {
	m.mu.Lock()
	m.runCtx = ctx
	m.mu.Unlock()
	if m.sender != nil {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.sender.Run(ctx)
		}()
	}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		m.opt.WatchNetwork(ctx, m.networkChanged)
	}()
	go func() {
		defer m.wg.Done()
		m.runFilters(ctx)
	}()
	for _, acc := range m.Accounts() {
		m.launch(acc)
	}
}

// Wait blocks until every engine started by Start has returned.
func (m *Manager) Wait() { m.wg.Wait() }

// supervise restarts an engine after each failure. The wait doubles from MinBackoff up to
// MaxBackoff (with jitter, so that many clients do not return to a server at the same moment) and
// starts again from MinBackoff once the engine has logged in. A Retry or Get mail (CheckNow) and
// a change of the machine's network end the wait at once; a Retry also abandons an attempt that
// has not got through connecting yet.
func (m *Manager) supervise(ctx context.Context, name string, e types.Engine, rn *runningEngine) {
	backoff := m.opt.MinBackoff
	for ctx.Err() == nil {
		attempt, cancelAttempt := context.WithCancel(ctx)
		m.mu.Lock()
		rn.phase, rn.cancelAttempt, rn.abandoned, rn.loginsAtStart = phaseRunning, cancelAttempt, false, m.logins[name]
		select { // a kick that came with the end of the last wait belongs to that wait
		case <-rn.kick:
		default:
		}
		m.mu.Unlock()
		m.emit(ctx, types.ConnState{Account: name, State: types.StateConnecting})
		err := e.Run(attempt)
		m.mu.Lock()
		loggedIn := m.logins[name] != rn.loginsAtStart
		abandoned := rn.abandoned
		// Waiting from here on: a Retry from now until the wait begins still cuts it short.
		rn.cancelAttempt, rn.phase = nil, phaseWaiting
		m.mu.Unlock()
		cancelAttempt()
		if ctx.Err() != nil {
			m.emit(context.Background(), types.ConnState{Account: name, State: types.StateOffline})
			return
		}
		if abandoned { // a Retry while connecting: start over now
			backoff = m.opt.MinBackoff
			continue
		}
		if loggedIn {
			backoff = m.opt.MinBackoff
		}
		if err == nil {
			err = errors.New("the connection ended")
		}
		m.emit(ctx, types.ConnState{Account: name, State: types.StateError, Err: err})
		wait := jitter(backoff)
		switch Diagnose(err) {
		case types.ProblemAuth:
			m.oauth.refused(name)
		case types.ProblemSignIn:
			// Only the user can sign in again: wait for that (or a Retry), however long.
			wait = -1
		}
		woken, ok := m.backoffWait(ctx, rn, wait)
		if !ok {
			return
		}
		if woken {
			backoff = m.opt.MinBackoff
		} else {
			backoff = min(backoff*2, m.opt.MaxBackoff)
		}
	}
}

// jitter adds up to a quarter of d at random.
func jitter(d time.Duration) time.Duration {
	if d < 4 {
		return d
	}
	return d + rand.N(d/4+1)
}

// backoffWait waits d before the next attempt (rn.phase is already phaseWaiting), or until a kick
// when d is negative; woken says a kick ended it early, ok is false once ctx has ended.
func (m *Manager) backoffWait(ctx context.Context, rn *runningEngine, d time.Duration) (woken, ok bool) {
	var timer <-chan time.Time // nil: no timer
	if d >= 0 {
		timer = m.opt.After(d)
	}
	select {
	case <-ctx.Done():
		return false, false
	case <-rn.kick:
		return true, true
	case <-timer:
		return false, true
	}
}

// kick ends the reconnect wait of the account's engine ("" for every account). With retry (the
// user asked) an attempt that has not logged in yet is abandoned and started again.
func (m *Manager) kick(account string, retry bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, rn := range m.running {
		if account != "" && name != account {
			continue
		}
		switch {
		case rn.phase == phaseWaiting:
			select {
			case rn.kick <- struct{}{}:
			default:
			}
		case retry && rn.cancelAttempt != nil && m.logins[name] == rn.loginsAtStart:
			rn.abandoned = true
			rn.cancelAttempt()
		}
	}
}

// observe notes an engine's working connection, which resets its reconnect backoff, wakes an
// engine for which another queued changes, and queues new mail for the filter rules.
func (m *Manager) observe(ev types.Event) {
	if e, ok := ev.(types.Error); ok {
		m.observeRefusal(e)
		return
	}
	if q, ok := ev.(types.ChangesQueued); ok {
		m.wake(q.Account)
		return
	}
	if nm, ok := ev.(types.NewMail); ok {
		m.filterNewMail(nm)
		return
	}
	cs, ok := ev.(types.ConnState)
	if !ok {
		return
	}
	switch cs.State {
	case types.StateOnline, types.StateSyncing, types.StateWaiting:
		m.mu.Lock()
		m.logins[cs.Account]++
		m.mu.Unlock()
	}
}

// networkChanged restarts every engine waiting to reconnect, wakes the connected ones so that a
// connection left dead by the change is noticed by their next command, and the outbox.
func (m *Manager) networkChanged() {
	m.kick("", false)
	m.wake("")
	if m.sender != nil {
		m.sender.Wake()
	}
}

// SyncOnce runs one complete pass for the named accounts (all when none are named).
func (m *Manager) SyncOnce(ctx context.Context, names ...string) error {
	var accs []types.Account
	if len(names) == 0 {
		accs = m.Accounts()
	}
	for _, n := range names {
		a, ok := m.Account(n)
		if !ok {
			return fmt.Errorf("no account named %q", n)
		}
		accs = append(accs, a)
	}
	var errs []error
	if m.sender != nil {
		// Sending first: the Sent copies it files are then appended by the engines' pass below.
		if err := m.sender.Flush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("outbox: %w", err))
		}
	}
	for _, acc := range accs {
		e, err := m.engine(ctx, acc)
		if errors.Is(err, types.ErrNoServer) {
			continue
		}
		if err == nil {
			err = e.SyncOnce(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", acc.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Test checks that an account's incoming server accepts its settings and password, changing
// nothing; TestOutgoing does the same for its outgoing server.
func (m *Manager) Test(ctx context.Context, acc types.Account, password string) (types.TestReport, error) {
	b, ok := m.backends[acc.Kind]
	if !ok || b.Test == nil {
		return types.TestReport{}, fmt.Errorf("no connection test for %s", acc.Kind)
	}
	return b.Test(ctx, acc, password)
}

func (m *Manager) wake(account string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, e := range m.engines {
		if account == "" || name == account {
			e.Wake()
		}
	}
}

// KeepsMailOnServer says whether accounts of this kind keep their mail on the server (IMAP: local
// changes are queued for the engine to replay there) or on this computer (POP3), as the kind's
// engine declares. The UI asks this instead of comparing protocols.
func (m *Manager) KeepsMailOnServer(kind types.Protocol) bool {
	return m.backends[kind].KeepsMailOnServer
}

// Do applies a request to the cache at once and tells the engines; it never waits on the network.
func (m *Manager) Do(ctx context.Context, req types.Request) error { return m.do(ctx, req, nil) }

// do is Do with the states of the request's messages when the caller has read them already
// (DoUndoable), so that a selection of 400,000 is looked up once; nil looks them up.
func (m *Manager) do(ctx context.Context, req types.Request, known map[int64]localcache.MessageState) error {
	switch r := req.(type) {
	case types.MarkRead:
		set, clear := seenChange(r.Read)
		if _, _, err := m.markFolders(ctx, r.Folders, set, clear); err != nil {
			return err
		}
		if len(r.IDs) == 0 {
			return nil
		}
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error {
			return m.cache.SetFlags(ctx, ids, set, clear, m.KeepsMailOnServer(acc.Kind))
		})
	case types.SetFlag:
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error {
			if r.On {
				return m.cache.SetFlags(ctx, ids, r.Flag, 0, m.KeepsMailOnServer(acc.Kind))
			}
			return m.cache.SetFlags(ctx, ids, 0, r.Flag, m.KeepsMailOnServer(acc.Kind))
		})
	case types.Move:
		target, err := m.cache.Folder(ctx, r.To)
		if err != nil {
			return fmt.Errorf("target folder: %w", err)
		}
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error {
			if acc.Name != target.Account {
				return m.transfer(ctx, ids, r.To, true) // to another account: copy, then remove
			}
			return m.cache.Move(ctx, ids, r.To, m.KeepsMailOnServer(acc.Kind))
		})
	case types.Copy:
		return m.transfer(ctx, r.IDs, r.To, false)
	case types.Delete:
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error { return m.delete(ctx, acc, ids) })
	case types.MarkJunk:
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error { return m.markJunk(ctx, acc, ids, r.Junk, !r.Auto) })
	case types.Archive:
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error {
			archive, err := m.specialFolder(ctx, acc, localcache.RoleArchive, "Archive")
			if err != nil {
				return fmt.Errorf("archive: %w", err)
			}
			return m.cache.Move(ctx, ids, archive.ID, m.KeepsMailOnServer(acc.Kind))
		})
	case types.AddKeyword:
		return m.eachAccount(ctx, r.IDs, known, func(acc types.Account, ids []int64) error {
			return m.cache.SetKeywords(ctx, ids, []string{r.Keyword}, nil, m.KeepsMailOnServer(acc.Kind))
		})
	case types.CheckNow:
		// Retry and Get mail: an engine waiting to reconnect (or stuck connecting) starts over now.
		m.kick(r.Account, true)
		m.wake(r.Account)
		if m.sender != nil {
			m.sender.Wake()
		}
		return nil
	case types.CreateFolder:
		return m.createFolder(ctx, r)
	case types.RenameFolder:
		return m.renameFolder(ctx, r)
	case types.DeleteFolder:
		return m.deleteFolder(ctx, r)
	case types.Send:
		_, err := m.Send(ctx, r)
		return err
	case types.SaveDraft:
		_, err := m.saveDraft(ctx, r)
		return err
	default:
		return fmt.Errorf("unknown request %T", req)
	}
}

// seenChange is the flags marking read (or unread) sets and clears.
func seenChange(read bool) (set, clear localcache.Flags) {
	if read {
		return localcache.FlagSeen, 0
	}
	return 0, localcache.FlagSeen
}

// markFolders sets and clears flags on every message of the folders, a folder at a time in
// set-based SQL, and wakes their accounts' engines; it returns the messages it changed and the
// accounts of the folders where it changed some.
func (m *Manager) markFolders(ctx context.Context, folders []int64, set, clear localcache.Flags) (changed []int64, accounts []string, err error) {
	for _, id := range folders {
		f, err := m.cache.Folder(ctx, id)
		if err != nil {
			return changed, accounts, fmt.Errorf("mark folder: %w", err)
		}
		acc, ok := m.Account(f.Account)
		if !ok {
			return changed, accounts, fmt.Errorf("no account named %q", f.Account)
		}
		ids, err := m.cache.SetFolderFlags(ctx, id, set, clear, m.KeepsMailOnServer(acc.Kind))
		changed = append(changed, ids...)
		if len(ids) > 0 {
			accounts = append(accounts, f.Account)
		}
		if err != nil {
			return changed, accounts, err
		}
		m.wake(f.Account)
	}
	return changed, accounts, nil
}

// eachAccount splits message ids by account, runs fn for each and wakes that account's engine.
func (m *Manager) eachAccount(ctx context.Context, ids []int64, known map[int64]localcache.MessageState, fn func(types.Account, []int64) error) error {
	states := known
	if states == nil {
		var err error
		if states, err = m.states(ctx, ids); err != nil {
			return err
		}
	}
	byAccount := map[string][]int64{}
	var order []string
	for _, id := range ids {
		account := states[id].Account
		if _, seen := byAccount[account]; !seen {
			order = append(order, account)
		}
		byAccount[account] = append(byAccount[account], id)
	}
	for _, name := range order {
		acc, ok := m.Account(name)
		if !ok {
			return fmt.Errorf("no account named %q", name)
		}
		if err := fn(acc, byAccount[name]); err != nil {
			return err
		}
		m.wake(name)
	}
	return nil
}

// states looks up where each of ids is in one query (not one per message: a selection can hold
// 400,000), failing as the lookup of one message would when one of them no longer exists.
func (m *Manager) states(ctx context.Context, ids []int64) (map[int64]localcache.MessageState, error) {
	list, err := m.cache.States(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]localcache.MessageState, len(list))
	for _, s := range list {
		out[s.ID] = s
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			return nil, fmt.Errorf("message %d: %w", id, localcache.ErrNotFound)
		}
	}
	return out, nil
}

// delete moves to Trash, or deletes for good what is already in Trash (or when there is no Trash).
func (m *Manager) delete(ctx context.Context, acc types.Account, ids []int64) error {
	trash, err := m.cache.FolderByRole(ctx, acc.Name, localcache.RoleTrash)
	hasTrash := err == nil
	if err != nil && !errors.Is(err, localcache.ErrNotFound) {
		return err
	}
	states, err := m.states(ctx, ids)
	if err != nil {
		return err
	}
	var toTrash, forGood []int64
	for _, id := range ids {
		if hasTrash && states[id].FolderID != trash.ID {
			toTrash = append(toTrash, id)
		} else {
			forGood = append(forGood, id)
		}
	}
	if len(toTrash) > 0 {
		if err := m.cache.Move(ctx, toTrash, trash.ID, m.KeepsMailOnServer(acc.Kind)); err != nil {
			return err
		}
	}
	if len(forGood) > 0 {
		if err := m.cache.Expunge(ctx, forGood, m.replaysDeletion(acc)); err != nil {
			return err
		}
	}
	return nil
}

// markJunk sets $Junk (or $NotJunk) and moves the messages to the Junk folder (or those in Junk
// back to the inbox). The keywords are queued first, so the server stores them in the folder
// the messages are in and they travel with the move.
func (m *Manager) markJunk(ctx context.Context, acc types.Account, ids []int64, junk, train bool) error {
	queue := m.KeepsMailOnServer(acc.Kind)
	set, clear := []string{localcache.KeywordJunk}, []string{localcache.KeywordNotJunk}
	if !junk {
		set, clear = clear, set
	}
	junkFolder, err := m.junkFolder(ctx, acc, junk)
	if err != nil {
		return err
	}
	if err := m.cache.SetKeywords(ctx, ids, set, clear, queue); err != nil {
		return err
	}
	if train {
		if err := m.trainJunk(ctx, acc.Name, ids, junk); err != nil {
			return err
		}
	}
	to := junkFolder
	var move []int64
	if !junk {
		inbox, err := m.cache.FolderByRole(ctx, acc.Name, localcache.RoleInbox)
		if err != nil {
			return fmt.Errorf("not junk: the inbox of %s: %w", acc.Name, err)
		}
		to = inbox
	}
	states, err := m.states(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		folder := states[id].FolderID
		// Junk moves everything into Junk; Not junk moves only what is in Junk.
		if junk && folder != junkFolder.ID || !junk && junkFolder.ID != 0 && folder == junkFolder.ID {
			move = append(move, id)
		}
	}
	if len(move) == 0 {
		return nil
	}
	return m.cache.Move(ctx, move, to.ID, queue)
}

// junkFolder finds the account's Junk folder: by role, else one named Junk. With create set a
// missing one is made (locally for POP3; IMAP queues its creation before the move that needs it).
func (m *Manager) junkFolder(ctx context.Context, acc types.Account, create bool) (localcache.Folder, error) {
	f, err := m.cache.FolderByRole(ctx, acc.Name, localcache.RoleJunk)
	if !errors.Is(err, localcache.ErrNotFound) {
		return f, err // found, or the cache failed
	}
	// A server without special-use folders may still have one by that name (or the one made here).
	if f, err = m.cache.FolderByName(ctx, acc.Name, "Junk"); !errors.Is(err, localcache.ErrNotFound) {
		return f, err
	}
	if !create {
		return localcache.Folder{}, nil // Not junk has nothing to move out
	}
	f, err = m.cache.EnsureFolder(ctx, localcache.Folder{Account: acc.Name, Name: "Junk", Role: localcache.RoleJunk, Subscribed: true})
	if err != nil {
		return f, err
	}
	if m.KeepsMailOnServer(acc.Kind) {
		if err := m.cache.Enqueue(ctx, localcache.PendingOp{Account: acc.Name, Op: localcache.CreateFolderOp{Name: "Junk"}}); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (m *Manager) createFolder(ctx context.Context, r types.CreateFolder) error {
	acc, ok := m.Account(r.Account)
	if !ok {
		return fmt.Errorf("no account named %q", r.Account)
	}
	if _, err := m.cache.FolderByName(ctx, acc.Name, r.Name); err == nil {
		return fmt.Errorf("folder %q already exists", r.Name)
	}
	if _, err := m.cache.EnsureFolder(ctx, localcache.Folder{Account: acc.Name, Name: r.Name, Subscribed: true}); err != nil {
		return err
	}
	if m.KeepsMailOnServer(acc.Kind) {
		if err := m.cache.Enqueue(ctx, localcache.PendingOp{Account: acc.Name, Op: localcache.CreateFolderOp{Name: r.Name}}); err != nil {
			return err
		}
		m.wake(acc.Name)
	}
	return nil
}

func (m *Manager) renameFolder(ctx context.Context, r types.RenameFolder) error {
	f, err := m.cache.Folder(ctx, r.FolderID)
	if err != nil {
		return err
	}
	if f.Role != "" {
		return fmt.Errorf("folder %q is a special folder and cannot be renamed", f.Name)
	}
	acc, _ := m.Account(f.Account)
	if err := m.cache.RenameFolder(ctx, f.ID, r.NewName); err != nil {
		return err
	}
	if m.KeepsMailOnServer(acc.Kind) {
		if err := m.cache.Enqueue(ctx, localcache.PendingOp{Account: f.Account, FolderID: f.ID,
			Op: localcache.RenameFolderOp{Name: f.Name, NewName: r.NewName}}); err != nil {
			return err
		}
		m.wake(f.Account)
	}
	return nil
}

func (m *Manager) deleteFolder(ctx context.Context, r types.DeleteFolder) error {
	f, err := m.cache.Folder(ctx, r.FolderID)
	if err != nil {
		return err
	}
	if f.Role != "" {
		return fmt.Errorf("folder %q is a special folder and cannot be deleted", f.Name)
	}
	acc, _ := m.Account(f.Account)
	if m.KeepsMailOnServer(acc.Kind) {
		if err := m.cache.Enqueue(ctx, localcache.PendingOp{Account: f.Account, FolderID: f.ID,
			Op: localcache.DeleteFolderOp{Name: f.Name}}); err != nil {
			return err
		}
	}
	if err := m.cache.DeleteFolder(ctx, f.ID); err != nil {
		return err
	}
	m.wake(f.Account)
	return nil
}
