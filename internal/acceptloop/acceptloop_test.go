package acceptloop

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestCloseEndsOpenSessions: a session blocked on a silent client ends when the loop closes,
// and Close returns only after it has.
func TestCloseEndsOpenSessions(t *testing.T) {
	ln := listen(t)
	ended := make(chan struct{})
	l := New(ln, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c) // until the connection is closed
		close(ended)
	})
	served := make(chan error, 1)
	go func() { served <- l.Serve() }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); l.Accepted() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("connection not accepted")
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	default:
		t.Fatal("Close returned before the session ended")
	}
	if err := <-served; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve = %v, want net.ErrClosed", err)
	}
}

// TestStopAcceptingLetsSessionsFinish: after StopAccepting a session runs on until its client
// hangs up, and Wait waits for it.
func TestStopAcceptingLetsSessionsFinish(t *testing.T) {
	ln := listen(t)
	got := make(chan string, 1)
	l := New(ln, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		got <- string(b)
	})
	l.Start()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); l.Accepted() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("connection not accepted")
		}
	}
	if err := l.StopAccepting(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	l.Wait()
	if s := <-got; s != "bye" {
		t.Fatalf("session read %q", s)
	}
}
