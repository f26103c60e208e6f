package imapsync

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// Errors raised by the stream guard; the connection is unusable afterwards.
var (
	errLineTooLong    = errors.New("imap: server sent an over-long line")
	errLiteralTooLong = errors.New("imap: server announced an over-large literal")
)

// guardConn sits between the transport connection and imapclient and bounds what a hostile server
// can make the client hold in memory. imapclient's decoder accumulates atoms, quoted strings and
// non-FETCH literals without limit, so an endless line or a huge literal would grow memory until the
// (long) response deadline. The guard follows just enough IMAP syntax to tell lines from literal
// bodies: it caps the length of each line outside literals and the size a literal may announce, and
// fails the connection when either is exceeded. It also keeps the first line (the greeting) for
// connection tests, and repairs mailbox names the decoder would refuse (see repairNameLine): a
// LIST, LSUB or STATUS line is held back until it ends.
type guardConn struct {
	net.Conn
	maxLine    int
	maxLiteral int64

	// Read state; imapclient reads from a single goroutine.
	lineLen  int
	litLeft  int64
	tail     [24]byte // last bytes of the current line, to spot "{123}" before CRLF
	tailLen  int
	err      error
	greeting []byte
	greeted  bool
	head     []byte // start of the current line, to name the message of a refused literal
	afterLit bool   // the current line goes on after a literal: its start is not a response's
	holding  int    // holdNone, holdDeciding or holdKeeping
	hold     []byte // the current line, while held back
	ready    []byte // bytes for the decoder that come before anything read later

	mu          sync.Mutex
	greetingOut string
	refusedUID  uint32 // UID on the line whose literal was refused, 0 if none or unknown
	failure     error  // why the guard failed the connection
}

// Failure returns why the guard failed the connection, or nil.
func (g *guardConn) Failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failure
}

// What the guard does with the line being read.
const (
	holdNone     = iota // passes it on
	holdDeciding        // holds its start until it knows whether it names a mailbox
	holdKeeping         // holds it to its end, to repair its mailbox name
)

// bufKeep is the capacity a drained buffer keeps; a larger one is let go.
const bufKeep = 64 << 10

func newGuardConn(c net.Conn, maxLine int, maxLiteral int64) *guardConn {
	return &guardConn{Conn: c, maxLine: maxLine, maxLiteral: maxLiteral}
}

func (g *guardConn) Read(p []byte) (int, error) {
	for {
		if len(g.ready) > 0 {
			n := copy(p, g.ready)
			g.ready = g.ready[n:]
			if len(g.ready) == 0 && cap(g.ready) > bufKeep {
				g.ready = nil
			}
			return n, nil
		}
		if g.err != nil {
			return 0, g.err
		}
		n, err := g.Conn.Read(p)
		kept, serr := g.scan(p[:n])
		if serr != nil {
			g.err = serr
			g.mu.Lock()
			g.failure = serr
			g.mu.Unlock()
			// The bytes read so far are dropped: the decoder sees only the failure.
			_ = g.Conn.Close()
			return 0, serr
		}
		if err != nil && g.holding != holdNone {
			g.ready = append(g.ready, g.hold...) // the line will not end: pass on what there is
			g.dropHold()
		}
		switch {
		case err != nil && len(g.ready) > 0:
			g.err = err // once what is ready has been read
			if kept > 0 {
				return kept, nil
			}
		case kept > 0 || err != nil:
			return kept, err
		}
		// Everything read is held back: read on.
	}
}

// RefusedUID returns the UID named on the FETCH line whose literal was refused, or 0.
func (g *guardConn) RefusedUID() uint32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refusedUID
}

// Greeting returns the server's first line, without CRLF and capped in length.
func (g *guardConn) Greeting() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.greetingOut
}

// scan checks the bytes Read just put in b and moves to its front those the decoder may have now,
// returning how many. Bytes held back wait in g.hold; once released, they and everything after
// them wait in g.ready.
func (g *guardConn) scan(b []byte) (int, error) {
	w := 0 // b[:w] is passed on; w never passes i
	emit := func(out []byte, i int) {
		if len(g.ready) == 0 && w+len(out) <= i {
			w += copy(b[w:], out)
		} else {
			g.ready = append(g.ready, out...)
		}
	}
	put := func(c byte) {
		if len(g.ready) == 0 {
			b[w] = c
			w++
		} else {
			g.ready = append(g.ready, c)
		}
	}
	for i := 0; i < len(b); {
		if g.litLeft > 0 {
			k := int(min(int64(len(b)-i), g.litLeft))
			g.litLeft -= int64(k)
			i += k
			if len(g.ready) == 0 && w == i-k {
				w = i // already in place: the common case, a body streaming through
			} else {
				emit(b[i-k:i], i)
			}
			continue
		}
		c := b[i]
		i++
		if !g.greeted {
			if c == '\n' {
				g.greeted = true
				g.mu.Lock()
				g.greetingOut = string(trimCR(g.greeting))
				g.mu.Unlock()
				g.greeting = nil
			} else if len(g.greeting) < 256 {
				g.greeting = append(g.greeting, c)
			}
		}
		if c == '\n' {
			size, ok := g.literalMarker()
			if g.holding == holdNone {
				put(c)
			} else {
				emit(g.endHold(c, ok), i)
				g.dropHold()
			}
			head := g.head
			g.lineLen, g.tailLen, g.head, g.afterLit = 0, 0, g.head[:0], ok
			if ok {
				if size > g.maxLiteral {
					g.mu.Lock()
					g.refusedUID = uidOnLine(head)
					g.mu.Unlock()
					return 0, fmt.Errorf("%w (%d bytes, limit %d)", errLiteralTooLong, size, g.maxLiteral)
				}
				g.litLeft = size
			}
			continue
		}
		if g.lineLen == 0 && !g.afterLit {
			g.holding = holdDeciding
		}
		if g.holding == holdNone {
			put(c)
		} else if out := g.keep(c); out != nil {
			emit(out, i)
			g.dropHold()
		}
		if len(g.head) < 128 {
			g.head = append(g.head, c)
		}
		g.lineLen++
		if g.lineLen > g.maxLine {
			return 0, fmt.Errorf("%w (more than %d bytes)", errLineTooLong, g.maxLine)
		}
		if g.tailLen == len(g.tail) {
			copy(g.tail[:], g.tail[1:])
			g.tailLen--
		}
		g.tail[g.tailLen] = c
		g.tailLen++
	}
	return w, nil
}

// keep adds a byte of a held line to the hold. It returns the held bytes once it is clear the line
// names no mailbox, nil while the hold goes on.
func (g *guardConn) keep(c byte) []byte {
	g.hold = append(g.hold, c)
	if g.holding == holdKeeping {
		return nil
	}
	match, more := namePrefix(g.hold)
	if match {
		g.holding = holdKeeping
	}
	if match || more {
		return nil
	}
	return g.hold
}

// endHold adds the line break c to the held line and returns the line to pass on: repaired when
// it names a mailbox the decoder would refuse, unless a literal follows (a name sent as a literal
// is left as it is).
func (g *guardConn) endHold(c byte, literal bool) []byte {
	g.hold = append(g.hold, c)
	if g.holding == holdKeeping && !literal {
		if fixed := repairNameLine(g.hold); fixed != nil {
			return fixed
		}
	}
	return g.hold
}

// dropHold ends the hold once its bytes have been passed on.
func (g *guardConn) dropHold() {
	g.holding = holdNone
	g.hold = g.hold[:0]
	if cap(g.hold) > bufKeep {
		g.hold = nil
	}
}

// literalMarker reports whether the line just ended with "{N}" (optionally "{N}\r"), the
// announcement of an N-byte literal that follows the line break.
func (g *guardConn) literalMarker() (int64, bool) {
	t := trimCR(g.tail[:g.tailLen])
	if len(t) < 3 || t[len(t)-1] != '}' {
		return 0, false
	}
	open := -1
	for i := len(t) - 2; i >= 0; i-- {
		if t[i] == '{' {
			open = i
			break
		}
		if t[i] < '0' || t[i] > '9' {
			if t[i] == '+' && i == len(t)-2 {
				continue // LITERAL+ form; servers do not send it, but it is harmless to accept
			}
			return 0, false
		}
	}
	if open < 0 {
		// More digits than the tail keeps: certainly larger than any limit.
		return 1 << 62, true
	}
	digits := t[open+1 : len(t)-1]
	if len(digits) > 0 && digits[len(digits)-1] == '+' {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		return 0, false
	}
	if len(digits) > 18 {
		return 1 << 62, true
	}
	var n int64
	for _, d := range digits {
		n = n*10 + int64(d-'0')
	}
	return n, true
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// uidOnLine finds "UID <n>" in the start of a FETCH response line.
func uidOnLine(line []byte) uint32 {
	s := strings.ToUpper(string(line))
	if !strings.HasPrefix(s, "* ") || !strings.Contains(s, " FETCH ") {
		return 0
	}
	i := strings.Index(s, "UID ")
	if i < 0 {
		return 0
	}
	var n uint32
	for _, c := range s[i+4:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint32(c-'0')
	}
	return n
}
