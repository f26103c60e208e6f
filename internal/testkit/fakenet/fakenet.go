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
)

// Server is a listening fake server.
type Server struct {
	ln      net.Listener
	session func(net.Conn)
	wg      sync.WaitGroup

	mu    sync.Mutex
	recv  bytes.Buffer
	conns int
	open  []net.Conn
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
	s.session = session
	s.wg.Add(1)
	go s.accept()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.open = append(s.open, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(c)
		}()
	}
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
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.open {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Finish waits until every session ended on its own (the client hung up) and returns everything
// recorded.
func (s *Server) Finish(t testing.TB) string {
	t.Helper()
	_ = s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}
