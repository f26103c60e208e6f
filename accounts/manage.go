package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"postbode/types"
)

// PasswordStore is a PasswordSource that can also save and forget passwords; *Secrets is one.
type PasswordStore interface {
	PasswordSource
	// Set saves the password in the OS keyring; without one it keeps it in memory and returns an
	// error wrapping ErrNoKeyring.
	Set(account, password string) error
	// Remember keeps the password in memory for this session only.
	Remember(account, password string)
	// Delete forgets the password everywhere.
	Delete(account string) error
}

// runningEngine is one supervised engine: cancel stops it, done closes once it has returned.
type runningEngine struct {
	cancel context.CancelFunc
	done   chan struct{}
	kick   chan struct{} // ends a reconnect wait early; filled only while phase is waiting

	// Guarded by Manager.mu.
	phase         supervisorPhase
	cancelAttempt context.CancelFunc // ends the current Run; nil between runs
	loginsAtStart uint64             // Manager.logins of the account when the current Run began
	abandoned     bool               // the current Run was cancelled by a Retry
}

type supervisorPhase int

const (
	phaseRunning supervisorPhase = iota // in Run, or about to be
	phaseWaiting                        // waiting to reconnect after a failure
)

// launch supervises the account's engine under the context Start was given; before Start (or
// after it ended) it does nothing, and an engine already running is left alone.
func (m *Manager) launch(acc types.Account) {
	m.mu.Lock()
	parent := m.runCtx
	_, already := m.running[acc.Name]
	m.mu.Unlock()
	if parent == nil || parent.Err() != nil || already {
		return
	}
	ctx, cancel := context.WithCancel(parent)
	e, err := m.engine(ctx, acc)
	if errors.Is(err, types.ErrNoServer) {
		cancel()
		return
	}
	if err != nil {
		cancel()
		m.emit(parent, types.ConnState{Account: acc.Name, State: types.StateError, Err: err})
		return
	}
	rn := &runningEngine{cancel: cancel, done: make(chan struct{}), kick: make(chan struct{}, 1)}
	m.mu.Lock()
	if _, already := m.running[acc.Name]; already {
		m.mu.Unlock()
		cancel()
		return
	}
	m.running[acc.Name] = rn
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(rn.done)
		m.supervise(ctx, acc.Name, e, rn)
	}()
}

// stopEngine stops the account's engine and waits (as long as ctx allows) until it has returned,
// so that it no longer writes to the cache. The engine is forgotten: the next use makes a new one
// with the account's current settings.
func (m *Manager) stopEngine(ctx context.Context, name string) error {
	m.mu.Lock()
	rn := m.running[name]
	delete(m.running, name)
	delete(m.engines, name)
	m.mu.Unlock()
	if rn == nil {
		return nil
	}
	rn.cancel()
	select {
	case <-rn.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop the engine of %s: %w", name, ctx.Err())
	}
}

func (m *Manager) passwordStore() (PasswordStore, error) {
	s, ok := m.secrets.(PasswordStore)
	if !ok {
		return nil, errors.New("passwords cannot be saved here")
	}
	return s, nil
}

func (m *Manager) path() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.configPath == "" {
		return "", errors.New("accounts cannot be changed here: no accounts file is set")
	}
	return m.configPath, nil
}

// storePassword saves the password (remember) or keeps it for this session only. A keyring that
// is not available leaves it in memory and returns an error wrapping ErrNoKeyring.
func storePassword(s PasswordStore, name, password string, remember bool) error {
	if remember {
		return s.Set(name, password)
	}
	// A password saved earlier under this name must not outlive the user's "do not remember".
	_ = s.Delete(name)
	s.Remember(name, password)
	return nil
}

// AddAccount validates the account, adds it to the accounts file, stores its password (in the OS
// keyring when remember is set, else in memory for this session) and, once Start has run, starts
// its engine at once so that the first synchronisation begins.
//
// When the keyring is not available the account is added all the same, the password is kept in
// memory for this session, and the returned error wraps ErrNoKeyring: a warning to show, not a
// failure.
func (m *Manager) AddAccount(ctx context.Context, acc types.Account, password string, remember bool) error {
	acc = acc.WithDefaults()
	if err := acc.Validate(); err != nil {
		return err
	}
	var store PasswordStore
	if password != "" {
		var err error
		if store, err = m.passwordStore(); err != nil {
			return err
		}
	}
	path, err := m.path()
	if err != nil {
		return err
	}
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	if _, dup := m.Account(acc.Name); dup {
		return fmt.Errorf("an account named %q already exists", acc.Name)
	}
	if kept, err := m.cache.AccountKind(ctx, acc.Name); err != nil {
		return err
	} else if kept != "" && kept != string(acc.Kind) {
		return fmt.Errorf("the mail of an earlier %s account named %q is kept on this computer; choose another name", strings.ToUpper(kept), acc.Name)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	if err := cfg.Add(acc); err != nil {
		return err
	}
	if err := cfg.Save(path); err != nil {
		return err
	}
	var warn error
	if password != "" {
		warn = storePassword(store, acc.Name, password, remember)
	}
	m.mu.Lock()
	m.accounts[acc.Name] = acc
	m.mu.Unlock()
	m.launch(acc)
	return warn
}

// UpdateAccount replaces an account's settings (found by name) in the accounts file and restarts
// its engine with them.
func (m *Manager) UpdateAccount(ctx context.Context, acc types.Account) error {
	acc = acc.WithDefaults()
	if err := acc.Validate(); err != nil {
		return err
	}
	path, err := m.path()
	if err != nil {
		return err
	}
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	old, ok := m.Account(acc.Name)
	if !ok {
		return fmt.Errorf("no account named %q", acc.Name)
	}
	if old.Kind != acc.Kind {
		return fmt.Errorf("account %s: changing %s to %s is a move of its mail, not a setting; add the %s account and move the mail to it",
			acc.Name, strings.ToUpper(string(old.Kind)), strings.ToUpper(string(acc.Kind)), strings.ToUpper(string(acc.Kind)))
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	replaced := false
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == acc.Name {
			cfg.Accounts[i], replaced = acc, true
		}
	}
	if !replaced {
		cfg.Accounts = append(cfg.Accounts, acc)
	}
	if err := cfg.Save(path); err != nil {
		return err
	}
	m.oauth.forget(acc.Name) // the provider or servers may have changed
	if err := m.stopEngine(ctx, acc.Name); err != nil {
		return err
	}
	m.mu.Lock()
	m.accounts[acc.Name] = acc
	m.mu.Unlock()
	m.launch(acc)
	return nil
}

// SetPassword stores a new password for an account (as AddAccount does) and restarts its engine so
// that it logs in with it now rather than after its reconnect backoff.
func (m *Manager) SetPassword(ctx context.Context, name, password string, remember bool) error {
	store, err := m.passwordStore()
	if err != nil {
		return err
	}
	acc, ok := m.Account(name)
	if !ok {
		return fmt.Errorf("no account named %q", name)
	}
	if password == "" {
		return errors.New("the password is empty")
	}
	warn := storePassword(store, name, password, remember)
	m.oauth.forget(name) // an OAuth2 account's new refresh token
	if err := m.stopEngine(ctx, name); err != nil {
		return err
	}
	m.launch(acc)
	return warn
}

// RemoveAccount stops the account's engine, removes it from the accounts file and forgets its
// password. With deleteLocalMail its folders, messages and stored mail are deleted from this
// computer; without, they stay readable (for POP3 accounts they may exist nowhere else).
func (m *Manager) RemoveAccount(ctx context.Context, name string, deleteLocalMail bool) error {
	path, err := m.path()
	if err != nil {
		return err
	}
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	if _, ok := m.Account(name); !ok {
		return fmt.Errorf("no account named %q", name)
	}
	m.oauth.forget(name)
	if err := m.stopEngine(ctx, name); err != nil {
		return err
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	if _, onDisk := cfg.Find(name); onDisk {
		if err := cfg.Remove(name); err != nil {
			return err
		}
		if err := cfg.Save(path); err != nil {
			return err
		}
	}
	m.mu.Lock()
	delete(m.accounts, name)
	m.mu.Unlock()
	var errs []error
	if store, err := m.passwordStore(); err == nil {
		if err := store.Delete(name); err != nil {
			errs = append(errs, err)
		}
	}
	if deleteLocalMail {
		if err := m.cache.DeleteAccount(ctx, name, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
