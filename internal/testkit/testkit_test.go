package testkit

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"postbode/internal/acceptloop"
	"postbode/types"
)

// TestShippedProgramDoesNotImportTestkit keeps the test rigs out of the binary: nothing the main
// package depends on may be testkit or one of its subfolders, or the UI tests' helpers (uitest).
func TestShippedProgramDoesNotImportTestkit(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", "postbode").Output()
	if err != nil {
		t.Fatalf("go list -deps postbode: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "postbode/accounts") {
		t.Fatalf("go list -deps postbode lists no postbode/accounts: %q", out)
	}
	for _, p := range deps {
		if p == "postbode/internal/testkit" || strings.HasPrefix(p, "postbode/internal/testkit/") || p == "postbode/ui/internal/uitest" {
			t.Errorf("the shipped program imports %s", p)
		}
	}
}

func TestSecrets(t *testing.T) {
	missing := errors.New("no such password")
	s := NewSecrets(missing, map[string]string{"work": "pw"})
	if pw, err := s.Get("work"); err != nil || pw != "pw" {
		t.Fatalf("Get(work) = %q, %v", pw, err)
	}
	if _, err := s.Get("home"); !errors.Is(err, missing) {
		t.Fatalf("Get(home) = %v, want it to wrap %v", err, missing)
	}
	if _, err := NewSecrets(nil, nil).Get("home"); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("default missing error = %v", err)
	}

	down := errors.New("keyring down")
	s.KeyringDown(down)
	if err := s.Set("home", "mem"); !errors.Is(err, down) {
		t.Fatalf("Set with the keyring down = %v", err)
	}
	if pw, err := s.Get("home"); err != nil || pw != "mem" {
		t.Fatalf("Get(home) = %q, %v", pw, err)
	}
	if _, ok := s.InKeyring("home"); ok {
		t.Fatal("password reached the keyring while it was down")
	}
	s.KeyringDown(nil)
	if err := s.Set("home", "kr"); err != nil {
		t.Fatal(err)
	}
	if pw, ok := s.InKeyring("home"); !ok || pw != "kr" {
		t.Fatalf("keyring holds %q, %v", pw, ok)
	}
	s.Remember("home", "session")
	if pw, _ := s.Get("home"); pw != "session" {
		t.Fatalf("remembered password not preferred: %q", pw)
	}
	_ = s.Delete("home")
	if _, err := s.Get("home"); err == nil {
		t.Fatal("password survived Delete")
	}
}

func TestEvents(t *testing.T) {
	ch := make(chan types.Event)
	e := Collect(ch)
	ch <- types.ConnState{Account: "a", State: types.StateOnline}
	ch <- types.ConnState{Account: "b", State: types.StateOnline}
	ch <- types.ConnState{Account: "a", State: types.StateOnline}
	close(ch)
	// The unbuffered sends returned once received; the last Emit may still be running.
	for deadline := time.Now().Add(5 * time.Second); len(e.All()) < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := e.Count("a", types.StateOnline); n != 2 {
		t.Fatalf("Count = %d, want 2", n)
	}
	if got := e.Take(); len(got) != 3 || len(e.All()) != 0 {
		t.Fatalf("Take = %v, then %v left", got, e.All())
	}
}

func TestFilesContaining(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"a": "nothing here", "sub/b": "has the pw-canary in it"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hits, files, err := FilesContaining(dir, "other", "pw-canary")
	if err != nil || files != 2 || len(hits) != 1 || filepath.Base(hits[0]) != "b" {
		t.Fatalf("FilesContaining = %v, %d, %v", hits, files, err)
	}
	if n := NoFileContains(t, dir, "not-there"); n != 2 {
		t.Fatalf("NoFileContains read %d files, want 2", n)
	}
}

func TestLoopbackDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	loop := acceptloop.New(ln, func(net.Conn) {}) // hang up at once
	loop.Start()
	defer loop.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	dial := LoopbackDialer(map[string]string{"mail.test": "127.0.0.1"})
	ctx := context.Background()
	for _, host := range []string{"mail.test", "127.0.0.1"} {
		c, err := dial(ctx, "tcp", net.JoinHostPort(host, port))
		if err != nil {
			t.Fatalf("dial %s: %v", host, err)
		}
		c.Close()
	}
	for _, host := range []string{"example.org", "192.0.2.1"} {
		if c, err := dial(ctx, "tcp", net.JoinHostPort(host, port)); err == nil {
			c.Close()
			t.Fatalf("dial %s: not refused", host)
		}
	}
}
