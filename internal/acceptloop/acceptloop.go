// Package acceptloop accepts connections on a listener and runs a session for each on a
// goroutine of its own, keeping track of them so that Close can end every session and wait for
// it. The demo's POP3 server and the test fakes share it; it is shipped code, as the demo is.
package acceptloop

import (
	"net"
	"sync"
)

// Loop serves one listener.
type Loop struct {
	ln      net.Listener
	session func(net.Conn)
	wg      sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	closed   bool
}

// New returns a loop that runs session for every connection ln accepts; the connection is
// closed when session returns. Nothing is accepted before Serve or Start.
func New(ln net.Listener, session func(net.Conn)) *Loop {
	return &Loop{ln: ln, session: session, conns: map[net.Conn]struct{}{}}
}

// Serve accepts connections until the listener fails or is closed, and returns that error.
func (l *Loop) Serve() error {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return err
		}
		l.mu.Lock()
		if l.closed {
			// Accepted just as the loop was stopped: Close no longer waits for it.
			l.mu.Unlock()
			c.Close()
			return net.ErrClosed
		}
		l.accepted++
		l.conns[c] = struct{}{}
		l.wg.Add(1) // under mu and before closed is set, so never after Close began waiting
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			defer func() {
				l.mu.Lock()
				delete(l.conns, c)
				l.mu.Unlock()
				c.Close()
			}()
			l.session(c)
		}()
	}
}

// Start runs Serve on a goroutine that Close and Wait wait for; the error is dropped.
func (l *Loop) Start() {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		_ = l.Serve()
	}()
}

// StopAccepting closes the listener and leaves the open sessions running.
func (l *Loop) StopAccepting() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.ln.Close()
}

// Wait waits for every session (and Start's goroutine) to end; call it after StopAccepting.
func (l *Loop) Wait() { l.wg.Wait() }

// Close stops accepting, closes every open connection and waits for the sessions to end.
func (l *Loop) Close() error {
	err := l.StopAccepting()
	l.mu.Lock()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

// Accepted counts the connections accepted so far.
func (l *Loop) Accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted
}
