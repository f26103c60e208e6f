package accounts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/sync/transport"
	"postbode/types"
)

// runEngine counts its runs and reports which password it was given.
type runEngine struct {
	deps    types.EngineDeps
	mu      sync.Mutex
	runs    int
	stopped int
	pw      string
}

func (e *runEngine) Run(ctx context.Context) error {
	pw, _ := e.deps.Password()
	e.mu.Lock()
	e.runs++
	e.pw = pw
	e.mu.Unlock()
	<-ctx.Done()
	e.mu.Lock()
	e.stopped++
	e.mu.Unlock()
	return ctx.Err()
}
func (e *runEngine) SyncOnce(context.Context) error { return nil }
func (e *runEngine) Wake()                          {}

func (e *runEngine) state() (runs, stopped int, pw string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs, e.stopped, e.pw
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestAddUpdateRemoveAccount(t *testing.T) {
	keyring.MockInit() // swaps a global: not parallel
	dir := t.TempDir()
	cache, err := localcache.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	var mu sync.Mutex
	engines := map[string][]*runEngine{}
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine {
		e := &runEngine{deps: d}
		mu.Lock()
		engines[d.Account.Name] = append(engines[d.Account.Name], e)
		mu.Unlock()
		return e
	}}
	latest := func(name string) *runEngine {
		mu.Lock()
		defer mu.Unlock()
		es := engines[name]
		if len(es) == 0 {
			return nil
		}
		return es[len(es)-1]
	}
	secrets := NewSecrets()
	backends := map[types.Protocol]types.Backend{types.IMAP: backend, types.POP3: backend}
	path := filepath.Join(dir, "config", "accounts.json")
	ctx, cancel := context.WithCancel(context.Background())
	if err := NewManager(&Config{}, cache, secrets, backends).AddAccount(ctx, sampleAccount("work", types.IMAP), "pw-canary-1", true); err == nil {
		t.Fatal("AddAccount without a config path succeeded")
	}
	m := NewManager(&Config{}, cache, secrets, backends, Options{ConfigPath: path})
	defer func() { cancel(); m.Wait() }()
	go func() { // the UI's pump: drain events
		for range m.Events() {
		}
	}()
	m.Start(ctx)

	const canary = "pw-canary-1"
	if err := m.AddAccount(ctx, sampleAccount("work", types.IMAP), canary, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new account's engine to run", func() bool {
		e := latest("work")
		if e == nil {
			return false
		}
		runs, _, pw := e.state()
		return runs == 1 && pw == canary
	})
	if pw, err := keyring.Get(keyringService, "work"); err != nil || pw != canary {
		t.Fatalf("keyring holds %q, %v", pw, err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || len(cfg.Accounts) != 1 || cfg.Accounts[0].Name != "work" {
		t.Fatalf("config = %+v, %v", cfg, err)
	}
	if err := m.AddAccount(ctx, sampleAccount("work", types.IMAP), canary, true); err == nil {
		t.Fatal("a second account with the same name was added")
	}
	bad := sampleAccount("bad", types.IMAP)
	bad.Incoming.Port = 0
	if err := m.AddAccount(ctx, bad, canary, true); err == nil {
		t.Fatal("an invalid account was added")
	}

	// Settings change: the old engine stops, a new one runs with the new settings.
	first := latest("work")
	upd := sampleAccount("work", types.IMAP)
	upd.Incoming.Host = "imap.example.net"
	if err := m.UpdateAccount(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if _, stopped, _ := first.state(); stopped != 1 {
		t.Fatalf("old engine stopped %d times", stopped)
	}
	waitFor(t, "the restarted engine", func() bool {
		e := latest("work")
		runs, _, _ := e.state()
		return e != first && runs == 1 && e.deps.Account.Incoming.Host == "imap.example.net"
	})
	if cfg, _ := LoadConfig(path); cfg.Accounts[0].Incoming.Host != "imap.example.net" {
		t.Fatalf("config not updated: %+v", cfg.Accounts[0])
	}

	// A new password restarts the engine with it; "do not remember" keeps it out of the keyring.
	if err := m.SetPassword(ctx, "work", "pw-canary-2", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the engine to use the new password", func() bool {
		_, _, pw := latest("work").state()
		return pw == "pw-canary-2"
	})
	if _, err := keyring.Get(keyringService, "work"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("a password not to remember is in the keyring: %v", err)
	}

	// Remove, keeping local mail: folders stay; then a second account removed with its mail.
	if _, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "work", Name: "INBOX", Role: localcache.RoleInbox}); err != nil {
		t.Fatal(err)
	}
	pop := sampleAccount("home", types.POP3)
	if err := m.AddAccount(ctx, pop, "pw-canary-3", true); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "home", Name: "INBOX", Role: localcache.RoleInbox}); err != nil {
		t.Fatal(err)
	}
	before := latest("work")
	if err := m.RemoveAccount(ctx, "work", false); err != nil {
		t.Fatal(err)
	}
	if _, stopped, _ := before.state(); stopped != 1 {
		t.Fatal("engine of the removed account still runs")
	}
	if _, ok := m.Account("work"); ok {
		t.Fatal("removed account still known")
	}
	if fs, _ := cache.Folders(ctx, "work"); len(fs) != 1 {
		t.Fatalf("local mail of work was deleted: %v", fs)
	}
	if err := m.RemoveAccount(ctx, "home", true); err != nil {
		t.Fatal(err)
	}
	if fs, _ := cache.Folders(ctx, "home"); len(fs) != 0 {
		t.Fatalf("local mail of home kept: %v", fs)
	}
	if _, err := keyring.Get(keyringService, "home"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("password of a removed account kept: %v", err)
	}
	if cfg, _ := LoadConfig(path); len(cfg.Accounts) != 0 {
		t.Fatalf("config still lists %+v", cfg.Accounts)
	}
	testkit.NoFileContains(t, dir, "pw-canary")
}

func TestAddAccountWithoutKeyringKeepsPasswordInMemory(t *testing.T) {
	keyring.MockInitWithError(errors.New("exec: \"dbus-launch\": executable file not found"))
	defer keyring.MockInit()
	dir := t.TempDir()
	cache, err := localcache.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	m := NewManager(&Config{}, cache, NewSecrets(), map[types.Protocol]types.Backend{},
		Options{ConfigPath: filepath.Join(dir, "config", "accounts.json")})
	err = m.AddAccount(context.Background(), sampleAccount("work", types.IMAP), "pw-canary-mem", true)
	if !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("AddAccount = %v, want a warning wrapping ErrNoKeyring", err)
	}
	if _, ok := m.Account("work"); !ok {
		t.Fatal("account not added")
	}
	if pw, err := m.Secret(context.Background(), "work"); err != nil || pw != "pw-canary-mem" {
		t.Fatalf("password in memory = %q, %v", pw, err)
	}
	testkit.NoFileContains(t, dir, "pw-canary")
}

func TestDiagnose(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errConnRefused())}
	ce := &transport.CertError{Host: "mail.test", Reason: transport.ReasonSelfSigned, Subject: "CN=mail.test",
		Issuer: "CN=mail.test", SHA256: "ab12"}
	cases := []struct {
		err  error
		want types.Problem
	}{
		{nil, types.ProblemNone},
		{fmt.Errorf("imap connect: %w", ce), types.ProblemCertificate},
		{fmt.Errorf("pop3: %w", transport.ErrStartTLSUnavailable), types.ProblemNoEncryption},
		{fmt.Errorf("smtp: %w", transport.ErrStartTLSRefused), types.ProblemNoEncryption},
		{errors.New("imap login as me: NO [AUTHENTICATIONFAILED] Authentication failed."), types.ProblemAuth},
		{errors.New("log in as me: -ERR [AUTH] Authentication failed."), types.ProblemAuth},
		{errors.New("authentication failed (535): 535 5.7.8 Error: authentication failed"), types.ProblemAuth},
		{errors.New("imap login: NO AUTHENTICATE failed: basic authentication is disabled"), types.ProblemOAuth},
		{errors.New("NO [ALERT] Application-specific password required"), types.ProblemOAuth},
		{fmt.Errorf("connect: %w", refused), types.ProblemUnreachable},
		{fmt.Errorf("connect: %w", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}), types.ProblemUnknownHost},
		{fmt.Errorf("connect: %w", context.DeadlineExceeded), types.ProblemTimeout},
		{fmt.Errorf("connect: %w", context.Canceled), types.ProblemCanceled},
		{errors.New("something odd"), types.ProblemOther},
	}
	for _, c := range cases {
		if got := Diagnose(c.err); got != c.want {
			t.Errorf("Diagnose(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	info, ok := CertProblem(fmt.Errorf("wrapped: %w", ce))
	if !ok || info.SHA256 != "ab12" || info.Subject != "CN=mail.test" || info.Reason != CertSelfSigned {
		t.Fatalf("CertProblem = %+v, %v", info, ok)
	}
}

// errConnRefused returns the platform's "connection refused" from a real dial to a closed port.
func errConnRefused() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	_, err = net.DialTimeout("tcp", addr, time.Second)
	var op *net.OpError
	if errors.As(err, &op) {
		var se *os.SyscallError
		if errors.As(op.Err, &se) {
			return se.Err
		}
		return op.Err
	}
	return err
}
