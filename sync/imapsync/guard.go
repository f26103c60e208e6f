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
// connection tests.
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

func newGuardConn(c net.Conn, maxLine int, maxLiteral int64) *guardConn {
	return &guardConn{Conn: c, maxLine: maxLine, maxLiteral: maxLiteral}
}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.Conn.Read(p)
	if serr := g.scan(p[:n]); serr != nil {
		g.err = serr
		g.mu.Lock()
		g.failure = serr
		g.mu.Unlock()
		// The bytes read so far are dropped: the decoder sees only the failure.
		_ = g.Conn.Close()
		return 0, serr
	}
	return n, err
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

func (g *guardConn) scan(b []byte) error {
	for len(b) > 0 {
		if g.litLeft > 0 {
			k := int64(len(b))
			if k > g.litLeft {
				k = g.litLeft
			}
			g.litLeft -= k
			b = b[k:]
			continue
		}
		c := b[0]
		b = b[1:]
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
			head := g.head
			g.lineLen, g.tailLen, g.head = 0, 0, g.head[:0]
			if ok {
				if size > g.maxLiteral {
					g.mu.Lock()
					g.refusedUID = uidOnLine(head)
					g.mu.Unlock()
					return fmt.Errorf("%w (%d bytes, limit %d)", errLiteralTooLong, size, g.maxLiteral)
				}
				g.litLeft = size
			}
			continue
		}
		if len(g.head) < 128 {
			g.head = append(g.head, c)
		}
		g.lineLen++
		if g.lineLen > g.maxLine {
			return fmt.Errorf("%w (more than %d bytes)", errLineTooLong, g.maxLine)
		}
		if g.tailLen == len(g.tail) {
			copy(g.tail[:], g.tail[1:])
			g.tailLen--
		}
		g.tail[g.tailLen] = c
		g.tailLen++
	}
	return nil
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
