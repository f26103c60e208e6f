package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/zalando/go-keyring"
)

const keyringService = "Postbode"

// ErrNoKeyring says the OS keyring is not available: the password is kept in memory for this session
// only and never written to disk.
var ErrNoKeyring = errors.New("no keyring available (Secret Service, Keychain or Credential Manager): " +
	"the password is kept in memory for this session only and not saved")

// ErrNoPassword says no password is known for the account.
var ErrNoPassword = errors.New("no password stored for this account")

// Secrets stores passwords in the OS keyring, falling back to memory when there is none.
type Secrets struct {
	mu     sync.Mutex
	memory map[string]string
}

// NewSecrets returns a password store backed by the OS keyring.
func NewSecrets() *Secrets { return &Secrets{memory: map[string]string{}} }

// errNoSessionBus is why there is no keyring on Linux and the BSDs without a D-Bus session.
var errNoSessionBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")

// keyringReachable says whether go-keyring can be asked at all. On Linux and the BSDs the keyring
// is the Secret Service on the D-Bus session bus. Without a bus address godbus would run
// dbus-launch, which needs X11 and leaves a dbus-daemon running after every command, so then there
// is no keyring: the caller keeps the password in memory. A variable so that tests using go-keyring's
// mock (which needs no bus) can say yes.
var keyringReachable = func() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return nil
	}
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return nil
	}
	// godbus also finds a session without the variable where systemd or dbus-launch left it.
	run := filepath.Join("/run/user", fmt.Sprint(os.Getuid()))
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(run, name)); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}

// Set stores the account's password. It returns ErrNoKeyring (with the cause) when the keyring is
// unavailable; the password is then usable for this session only.
func (s *Secrets) Set(account, password string) error {
	err := keyringReachable()
	if err == nil {
		err = keyring.Set(keyringService, account, password)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.memory[account] = password
		return fmt.Errorf("%w (%v)", ErrNoKeyring, redact(err, password))
	}
	delete(s.memory, account)
	return nil
}

// Get returns the account's password from memory (this session) or the keyring.
func (s *Secrets) Get(account string) (string, error) {
	s.mu.Lock()
	pw, ok := s.memory[account]
	s.mu.Unlock()
	if ok {
		return pw, nil
	}
	if err := keyringReachable(); err != nil {
		return "", fmt.Errorf("account %s: %w (%v)", account, ErrNoPassword, err)
	}
	pw, err := keyring.Get(keyringService, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("account %s: %w", account, ErrNoPassword)
	}
	if err != nil {
		return "", fmt.Errorf("account %s: %w (%v)", account, ErrNoPassword, err)
	}
	return pw, nil
}

// Delete forgets the account's password everywhere.
func (s *Secrets) Delete(account string) error {
	s.mu.Lock()
	delete(s.memory, account)
	s.mu.Unlock()
	if keyringReachable() != nil {
		return nil // no keyring in this session: nothing to remove
	}
	err := keyring.Delete(keyringService, account)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("remove password of %s from keyring: %w", account, err)
	}
	return nil
}

// redact keeps a password out of an error text, whatever a keyring backend put in it.
func redact(err error, password string) string {
	if password == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), password, "[password]")
}

// Remember keeps a password in memory for this session only (e.g. one read from stdin).
func (s *Secrets) Remember(account, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.memory[account] = password
}
