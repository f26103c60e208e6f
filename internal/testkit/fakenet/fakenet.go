// Package fakenet runs scripted servers on 127.0.0.2 for tests: it accepts connections, runs each
// session on a goroutine of its own, keeps what clients sent, and ends every session when the test
// does. The protocol is the caller's: a session function per connection.
package fakenet

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"postbode/internal/acceptloop"
)

// Server is a listening fake server.
type Server struct {
	ln   net.Listener
	loop *acceptloop.Loop // nil until Serve

	mu   sync.Mutex
	recv bytes.Buffer
}

// New listens on 127.0.0.2; Serve starts taking connections. The server stops with the test.
// (Two steps, so that a session function may use the Server it was given to.)
func New(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.2: %v", err)
	}
	s := &Server{ln: ln}
	t.Cleanup(s.Stop)
	return s
}

// Serve runs session for every connection, on a goroutine of its own; the connection is closed
// when session returns.
func (s *Server) Serve(session func(net.Conn)) {
	s.loop = acceptloop.New(s.ln, session)
	s.loop.Start()
}

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the listening port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Record keeps bytes a client sent, for Finish to return.
func (s *Server) Record(b string) {
	s.mu.Lock()
	s.recv.WriteString(b)
	s.mu.Unlock()
}

// Stop ends every session and waits for its goroutine.
func (s *Server) Stop() {
	if s.loop == nil {
		_ = s.ln.Close()
		return
	}
	_ = s.loop.Close()
}

// Finish waits until every session ended on its own (the client hung up) and returns everything
// recorded.
func (s *Server) Finish(t testing.TB) string {
	t.Helper()
	done := make(chan struct{})
	if s.loop == nil {
		_ = s.ln.Close()
		close(done)
	} else {
		_ = s.loop.StopAccepting()
		go func() { s.loop.Wait(); close(done) }()
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("fake server session still open: the client did not hang up")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recv.String()
}

// Conns counts the connections accepted.
func (s *Server) Conns() int {
	if s.loop == nil {
		return 0
	}
	return s.loop.Accepted()
}
