package transport

import (
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// Conn is a connection returned by Dial. Every Read and Write gets a deadline
// of the current IO timeout, so a silent server cannot hang a caller. Deadlines
// set by the caller (SetDeadline etc.) still apply; the earlier one wins.
//
// As for any net.Conn, one goroutine may read while another writes.
type Conn struct {
	conn net.Conn  // *tls.Conn, or the TCP conn for SecurityPlain
	tls  *tls.Conn // nil for SecurityPlain

	// prefix is the synthetic greeting served before any network byte.
	// Touched only by Read, which has a single caller at a time.
	prefix []byte

	mu        sync.Mutex
	ioTimeout time.Duration
	readDL    time.Time // caller's read deadline, zero if none
	writeDL   time.Time
	reading   bool // a Read is blocked in conn.Read
	writing   bool
}

var _ net.Conn = (*Conn)(nil)

func newConn(c net.Conn, tc *tls.Conn, prefix []byte, ioTimeout time.Duration) *Conn {
	return &Conn{conn: c, tls: tc, prefix: prefix, ioTimeout: ioTimeout}
}

// effective returns the deadline for an operation starting now. Call with mu held.
func (c *Conn) effective(caller time.Time) time.Time {
	if c.ioTimeout <= 0 {
		return caller
	}
	dl := time.Now().Add(c.ioTimeout)
	if !caller.IsZero() && caller.Before(dl) {
		return caller
	}
	return dl
}

func (c *Conn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	c.mu.Lock()
	if err := c.conn.SetReadDeadline(c.effective(c.readDL)); err != nil {
		c.mu.Unlock()
		return 0, err
	}
	c.reading = true
	c.mu.Unlock()

	n, err := c.conn.Read(p)

	c.mu.Lock()
	c.reading = false
	c.mu.Unlock()
	return n, err
}

func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if err := c.conn.SetWriteDeadline(c.effective(c.writeDL)); err != nil {
		c.mu.Unlock()
		return 0, err
	}
	c.writing = true
	c.mu.Unlock()

	n, err := c.conn.Write(p)

	c.mu.Lock()
	c.writing = false
	// Drop the per-write deadline once done: a TLS Read may itself need to
	// write (a TLS 1.3 KeyUpdate answer) long after, e.g. during IDLE.
	_ = c.conn.SetWriteDeadline(c.writeDL)
	c.mu.Unlock()
	return n, err
}

// SetIOTimeout changes the per-Read/Write timeout, also for a Read or Write
// already waiting (the IMAP engine raises it before IDLE, whose reader is
// always blocked). d <= 0 removes the per-operation timeout; caller deadlines
// still apply.
func (c *Conn) SetIOTimeout(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ioTimeout = d
	if c.reading {
		_ = c.conn.SetReadDeadline(c.effective(c.readDL))
	}
	if c.writing {
		_ = c.conn.SetWriteDeadline(c.effective(c.writeDL))
	}
}

// IOTimeout returns the current per-Read/Write timeout.
func (c *Conn) IOTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ioTimeout
}

// TLSState returns the TLS connection state; ok is false for SecurityPlain.
func (c *Conn) TLSState() (tls.ConnectionState, bool) {
	if c.tls == nil {
		return tls.ConnectionState{}, false
	}
	return c.tls.ConnectionState(), true
}

func (c *Conn) Close() error         { return c.conn.Close() }
func (c *Conn) LocalAddr() net.Addr  { return c.conn.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline sets the caller's read and write deadlines; see SetReadDeadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets a deadline on top of the IO timeout; it applies to a
// pending Read too, so it can be used to interrupt one. Zero removes it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDL = t
	if c.reading {
		return c.conn.SetReadDeadline(c.effective(t))
	}
	return nil
}

// SetWriteDeadline is SetReadDeadline for writes.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDL = t
	if c.writing {
		return c.conn.SetWriteDeadline(c.effective(t))
	}
	return nil
}
