package instance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// privateRuntime points the socket folder at a fresh temp dir for the test.
func privateRuntime(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "pbrt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	t.Setenv("XDG_RUNTIME_DIR", d)
	return d
}

func receive(t *testing.T, s *Server) string {
	t.Helper()
	select {
	case r := <-s.Requests():
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("the running instance got nothing")
		return ""
	}
}

func TestSecondStartHandsOver(t *testing.T) {
	privateRuntime(t)
	data := t.TempDir()
	first, err := Listen(data)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	if _, err := Listen(data); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Listen on the same profile: %v, want ErrRunning", err)
	}
	if _, err := TryLock(data); !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("TryLock while the window runs: %v, want ErrRunning naming process %d", err, os.Getpid())
	}

	ctx := context.Background()
	if err := Send(ctx, data, ""); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, first); got != "" {
		t.Errorf("show request arrived as %q", got)
	}
	url := "mailto:a@example.org?subject=Hi%20there&body=" + strings.Repeat("x", 100<<10)
	if err := Send(ctx, data, url); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, first); got != url {
		t.Errorf("mailto arrived as %.60q…", got)
	}

	// The same data folder reached through another path is the same profile.
	if _, err := Listen(filepath.Join(data, "..", filepath.Base(data))); !errors.Is(err, ErrRunning) {
		t.Errorf("Listen through a .. path: %v", err)
	}
}

func TestProfilesAreSeparate(t *testing.T) {
	privateRuntime(t)
	a, b := t.TempDir(), t.TempDir()
	pa, _ := SocketPath(a)
	pb, _ := SocketPath(b)
	if pa == pb {
		t.Fatalf("two profiles share the socket %s", pa)
	}
	sa, err := Listen(a)
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := Listen(b)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := Send(context.Background(), b, "mailto:b@example.org"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, sb); got != "mailto:b@example.org" {
		t.Errorf("profile b got %q", got)
	}
	select {
	case r := <-sa.Requests():
		t.Errorf("profile a got %q meant for b", r)
	default:
	}
}

func TestCloseReleasesAndStaleSocketIsReplaced(t *testing.T) {
	privateRuntime(t)
	data := t.TempDir()
	s, err := Listen(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-s.Requests(); ok {
		t.Error("Requests still open after Close")
	}
	// A crashed instance leaves its socket file behind: the next start must take over.
	path, _ := SocketPath(data)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left for the test: %v", err)
	}
	s, err = Listen(data)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer s.Close()
	if err := Send(context.Background(), data, ""); err != nil {
		t.Fatal(err)
	}
	receive(t, s)
}

func TestSendToAProfileHeldBySync(t *testing.T) {
	privateRuntime(t)
	dialPatience = 300 * time.Millisecond
	t.Cleanup(func() { dialPatience = 3 * time.Second })
	data := t.TempDir()
	lock, err := TryLock(data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := Listen(data); !errors.Is(err, ErrRunning) {
		t.Fatalf("Listen while a sync holds the lock: %v", err)
	}
	start := time.Now()
	err = Send(context.Background(), data, "")
	if !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("Send with no listener: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send gave up after %v", d)
	}
	lock.Close()
	if l, err := TryLock(data); err != nil {
		t.Fatalf("lock not released: %v", err)
	} else {
		l.Close()
	}
}

func TestBadRequestsDoNotStopTheServer(t *testing.T) {
	privateRuntime(t)
	data := t.TempDir()
	s, err := Listen(data)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path, _ := SocketPath(data)
	for _, junk := range []string{"not json\n", "{\"mailto\":\n", strings.Repeat("x", maxRequest+10)} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go c.Write([]byte(junk))
		answer, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if answer == "ok\n" {
			t.Errorf("junk %.20q was accepted", junk)
		}
	}
	// A client that connects and says nothing does not hold up the others.
	idle, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := Send(context.Background(), data, "mailto:ok@example.org"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, s); got != "mailto:ok@example.org" {
		t.Errorf("got %q", got)
	}
}

func TestQueueFullAnswersBusy(t *testing.T) {
	privateRuntime(t)
	data := t.TempDir()
	s, err := Listen(data)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var lastErr error
	for i := 0; i < cap(s.reqs)+1; i++ {
		lastErr = Send(context.Background(), data, "")
	}
	if lastErr == nil || !strings.Contains(lastErr.Error(), "busy") {
		t.Errorf("request past a full queue: %v", lastErr)
	}
}

func TestFallbackRuntimeDirMustBePrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", tmp)
	d, err := runtimeDir()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(d)
	if err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(d) != tmp {
		t.Fatalf("fallback dir %s: %v %v", d, fi.Mode(), err)
	}
	// Someone else's (here: an open) folder of that name is refused, never used.
	os.Chmod(d, 0o777)
	if _, err := runtimeDir(); err == nil {
		t.Error("a world-writable runtime folder was accepted")
	}
}

// The real thing across processes: a child process is the running instance; this process starts
// second, hands over, and after the child is killed (no clean shutdown) takes the profile itself.
func TestHandOverAcrossProcesses(t *testing.T) {
	rt := privateRuntime(t)
	data := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "POSTBODE_INSTANCE_CHILD="+data, "XDG_RUNTIME_DIR="+rt)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	expect := func(want string) {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			for lines.Scan() {
				if strings.HasPrefix(lines.Text(), "child:") {
					got <- lines.Text()
					return
				}
			}
			got <- "child: output ended"
		}()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("child said %q, want %q", g, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("child did not say %q", want)
		}
	}
	expect("child: listening")
	if _, err := Listen(data); !errors.Is(err, ErrRunning) {
		t.Fatalf("second start: %v", err)
	}
	if err := Send(context.Background(), data, "mailto:x@example.org?subject=from%20the%20second"); err != nil {
		t.Fatal(err)
	}
	expect("child: got mailto:x@example.org?subject=from%20the%20second")

	cmd.Process.Kill()
	cmd.Wait()
	s, err := Listen(data)
	if err != nil {
		t.Fatalf("after the first instance died: %v", err)
	}
	s.Close()
}

// runChild is the first instance of TestHandOverAcrossProcesses, in a child process.
func runChild(data string) {
	s, err := Listen(data)
	if err != nil {
		fmt.Println("child: listen:", err)
		os.Exit(1)
	}
	fmt.Println("child: listening")
	for r := range s.Requests() {
		fmt.Println("child: got " + r)
	}
}

func TestMain(m *testing.M) {
	if data := os.Getenv("POSTBODE_INSTANCE_CHILD"); data != "" {
		runChild(data)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCloseDoesNotWaitForAnIdleClient(t *testing.T) {
	privateRuntime(t)
	data := t.TempDir()
	s, err := Listen(data)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := SocketPath(data)
	idle, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(50 * time.Millisecond) // let the server take the connection
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close waited %v for a client that said nothing", d)
	}
}
