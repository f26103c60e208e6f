package testkit

import (
	"errors"
	"fmt"
	"maps"
	"sync"
)

// ErrNoPassword is what Get wraps for an account without a password, unless NewSecrets was
// given another error (tests that go through accounts pass accounts.ErrNoPassword).
var ErrNoPassword = errors.New("testkit: no password")

// Secrets is an in-memory password store with the methods of accounts.PasswordStore: a pretend
// keyring that can be switched off, and a session memory. It is safe for concurrent use.
type Secrets struct {
	missing error

	mu        sync.Mutex
	keyring   map[string]string
	memory    map[string]string
	noKeyring error
}

// NewSecrets returns a store whose keyring holds passwords (account → password; may be nil).
// Get of an account without a password returns an error wrapping missing, or ErrNoPassword when
// missing is nil.
func NewSecrets(missing error, passwords map[string]string) *Secrets {
	if missing == nil {
		missing = ErrNoPassword
	}
	kr := maps.Clone(passwords)
	if kr == nil {
		kr = map[string]string{}
	}
	return &Secrets{missing: missing, keyring: kr, memory: map[string]string{}}
}

// Get returns the password kept in memory, else the one in the keyring.
func (s *Secrets) Get(account string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pw, ok := s.memory[account]; ok {
		return pw, nil
	}
	if pw, ok := s.keyring[account]; ok {
		return pw, nil
	}
	return "", fmt.Errorf("account %s: %w", account, s.missing)
}

// Set saves the password in the keyring; while the keyring is down (KeyringDown) it keeps it in
// memory and returns an error wrapping the keyring's error, as accounts.Secrets does.
func (s *Secrets) Set(account, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noKeyring != nil {
		s.memory[account] = password
		return fmt.Errorf("%w (no secret service in this test)", s.noKeyring)
	}
	delete(s.memory, account)
	s.keyring[account] = password
	return nil
}

// Remember keeps the password in memory only.
func (s *Secrets) Remember(account, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.memory[account] = password
}

// Delete forgets the password everywhere.
func (s *Secrets) Delete(account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.memory, account)
	delete(s.keyring, account)
	return nil
}

// KeyringDown makes the keyring unavailable from now on: Set returns an error wrapping err
// (accounts.ErrNoKeyring, say). A nil err brings the keyring back.
func (s *Secrets) KeyringDown(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noKeyring = err
}

// InKeyring reports whether the keyring holds a password for the account, and which.
func (s *Secrets) InKeyring(account string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pw, ok := s.keyring[account]
	return pw, ok
}
