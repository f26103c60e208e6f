// Package pop3test is a scriptable POP3 server for tests: it serves an in-memory maildrop on
// 127.0.0.2 and can misbehave the ways real servers do (no UIDL, duplicate UIDLs, no STLS,
// a connection dropped before QUIT).
package pop3test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/internal/acceptloop"
)

// Message is one message in the maildrop. Data is served exactly (after dot-stuffing).
type Message struct {
	UIDL string
	Data []byte
}

// Options choose the server's behaviour. The zero value is a well-behaved server with
// USER/PASS, UIDL, TOP and PIPELINING.
type Options struct {
	User, Password string // default "alice" / "alice-secret-pw"
	NoUIDL         bool   // UIDL answers -ERR and is missing from CAPA
	NoCAPA         bool   // CAPA answers -ERR
	NoUSER         bool   // USER is refused and missing from CAPA; offer AUTH PLAIN instead
	SASLPlain      bool   // list "SASL PLAIN" and accept AUTH PLAIN
	// Plaintext STLS behaviour: OfferSTLS lists STLS in CAPA; STLSAnswer is the answer to STLS
	// (default "-ERR not now"). The server never really starts TLS.
	OfferSTLS  bool
	STLSAnswer string
	// DropOnQuit closes the connection when QUIT arrives, without answering or committing
	// deletions (a connection lost after DELE and before QUIT).
	DropOnQuit bool
	// DropAfterRetr closes the connection halfway through the answer to the n-th RETR of a
	// session (1-based); 0 never.
	DropAfterRetr int
	// Greeting replaces the default "+OK fake POP3 ready".
	Greeting string
	// AuthFail replaces the text of a failed PASS or AUTH; "{pass}" in it is replaced by the
	// password tried, as a careless server might echo it, "{auth}" by the AUTH PLAIN response.
	AuthFail string
	// UTF8 behaves like Courier with ENABLE_UTF8_COMPLIANCE: CAPA lists "UTF8 USER", the UTF8
	// command (RFC 6856) is taken before and after login, and until it is given a message with
	// raw UTF-8 in its header is served as a "Cannot display Unicode content" wrapper.
	UTF8 bool
	// UTF8AfterLoginOnly refuses UTF8 before login (with UTF8 set).
	UTF8AfterLoginOnly bool
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	Addr string // host:port on 127.0.0.2

	loop   *acceptloop.Loop
	serial sync.Mutex // one session at a time, as a POP3 maildrop lock does

	mu       sync.Mutex
	opts     Options
	msgs     []Message
	commands []string
	sessions int
	closed   bool
}

// Start listens on 127.0.0.2 and serves sessions one at a time, as a POP3 maildrop lock does.
func Start(opts Options, msgs ...Message) (*Server, error) {
	if opts.User == "" {
		opts.User, opts.Password = "alice", "alice-secret-pw"
	}
	if opts.STLSAnswer == "" {
		opts.STLSAnswer = "-ERR not now"
	}
	if opts.Greeting == "" {
		opts.Greeting = "+OK fake POP3 ready"
	}
	if opts.AuthFail == "" {
		opts.AuthFail = "[AUTH] Authentication failed."
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		return nil, fmt.Errorf("pop3test: listen: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), opts: opts}
	s.msgs = append(s.msgs, msgs...)
	s.loop = acceptloop.New(ln, s.serveOne)
	s.loop.Start()
	return s, nil
}

// StartT starts a server for a test and closes it when the test ends.
func StartT(t testing.TB, opts Options, msgs ...Message) *Server {
	t.Helper()
	s, err := Start(opts, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Port is the listening port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the server and ends open sessions.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.loop.Close()
}

// Configure changes the options; sessions that begin afterwards use them.
func (s *Server) Configure(fn func(*Options)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.opts)
}

// Add appends messages to the maildrop.
func (s *Server) Add(msgs ...Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, msgs...)
}

// Messages returns the maildrop as it is now.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Commands returns every command line received so far; PASS and AUTH arguments are kept so
// that tests can prove what was (not) sent.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Sessions is the number of connections accepted.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// serveOne waits for the session before it to end, then serves c; connections waiting when the
// server closes are dropped unserved and uncounted.
func (s *Server) serveOne(c net.Conn) {
	s.serial.Lock()
	defer s.serial.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.sessions++
	s.mu.Unlock()
	s.session(c)
}

// session serves one connection. Message numbers refer to the maildrop as it was when the
// session began; deletions are applied only on QUIT.
func (s *Server) session(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		return w.Flush() == nil
	}
	s.mu.Lock()
	view := append([]Message(nil), s.msgs...)
	opts := s.opts
	s.mu.Unlock()
	deleted := map[int]bool{}
	authed := false
	utf8 := false
	user := ""
	retrs := 0
	if !reply(opts.Greeting) {
		return
	}
	msgArg := func(args []string) (int, bool) {
		if len(args) != 1 {
			return 0, false
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > len(view) || deleted[n] {
			return 0, false
		}
		return n, true
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.commands = append(s.commands, line)
		s.mu.Unlock()
		f := strings.Fields(line)
		if len(f) == 0 {
			reply("-ERR empty command")
			continue
		}
		verb, args := strings.ToUpper(f[0]), f[1:]
		switch {
		case verb == "QUIT":
			if opts.DropOnQuit {
				return
			}
			if authed {
				s.commit(view, deleted)
			}
			reply("+OK bye")
			return
		case verb == "CAPA":
			if opts.NoCAPA {
				reply("-ERR unknown command")
				continue
			}
			caps := []string{"+OK capabilities follow", "TOP", "RESP-CODES", "PIPELINING"}
			if !opts.NoUIDL {
				caps = append(caps, "UIDL")
			}
			if !opts.NoUSER {
				caps = append(caps, "USER")
			}
			if opts.SASLPlain {
				caps = append(caps, "SASL PLAIN")
			}
			if opts.OfferSTLS {
				caps = append(caps, "STLS")
			}
			if opts.UTF8 {
				caps = append(caps, "UTF8 USER")
			}
			reply(append(caps, ".")...)
		case verb == "STLS":
			reply(opts.STLSAnswer)
		case verb == "UTF8" && opts.UTF8 && (authed || !opts.UTF8AfterLoginOnly):
			utf8 = true
			reply("+OK UTF8 enabled")
		case !authed && verb == "USER":
			if opts.NoUSER || len(args) != 1 {
				reply("-ERR USER not allowed")
				continue
			}
			user = args[0]
			reply("+OK")
		case !authed && verb == "PASS":
			pass := strings.TrimPrefix(line[4:], " ")
			if user == opts.User && pass == opts.Password {
				authed = true
				reply("+OK logged in")
			} else {
				reply("-ERR " + strings.ReplaceAll(opts.AuthFail, "{pass}", pass))
			}
		case !authed && verb == "AUTH":
			if !opts.SASLPlain || len(args) < 1 || !strings.EqualFold(args[0], "PLAIN") {
				reply("-ERR unsupported mechanism")
				continue
			}
			resp := ""
			if len(args) == 2 {
				resp = args[1]
			} else {
				reply("+ ")
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				resp = strings.TrimSpace(l)
			}
			dec, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(dec), "\x00")
			if err == nil && len(parts) == 3 && parts[1] == opts.User && parts[2] == opts.Password {
				authed = true
				reply("+OK logged in")
			} else {
				pass := ""
				if len(parts) == 3 {
					pass = parts[2]
				}
				reply("-ERR " + strings.NewReplacer("{pass}", pass, "{auth}", resp).Replace(opts.AuthFail))
			}
		case !authed:
			reply("-ERR log in first")
		case verb == "NOOP":
			reply("+OK")
		case verb == "STAT":
			n, size := 0, 0
			for i, m := range view {
				if !deleted[i+1] {
					n++
					size += len(m.Data)
				}
			}
			reply(fmt.Sprintf("+OK %d %d", n, size))
		case verb == "LIST" && len(args) == 0:
			out := []string{"+OK"}
			for i, m := range view {
				if !deleted[i+1] {
					out = append(out, fmt.Sprintf("%d %d", i+1, len(m.Data)))
				}
			}
			reply(append(out, ".")...)
		case verb == "UIDL" && len(args) == 0:
			if opts.NoUIDL {
				reply("-ERR unknown command")
				continue
			}
			out := []string{"+OK"}
			for i, m := range view {
				if !deleted[i+1] {
					out = append(out, fmt.Sprintf("%d %s", i+1, m.UIDL))
				}
			}
			reply(append(out, ".")...)
		case verb == "RETR":
			n, ok := msgArg(args)
			if !ok {
				reply("-ERR no such message")
				continue
			}
			retrs++
			msg := view[n-1].Data
			if opts.UTF8 && !utf8 && unicodeHeader(msg) {
				msg = courierWrap(msg)
			}
			data := DotStuff(msg)
			if opts.DropAfterRetr == retrs {
				w.WriteString("+OK\r\n")
				w.Write(data[:len(data)/2])
				w.Flush()
				// End the answer with a FIN, not a reset: closing with the client's pipelined
				// commands still unread makes the kernel send RST, and the client's kernel then
				// drops the whole answers before this one that it had not read yet.
				if cw, ok := c.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
					_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
					_, _ = io.Copy(io.Discard, r)
				}
				return
			}
			w.WriteString(fmt.Sprintf("+OK %d octets\r\n", len(msg)))
			w.Write(data)
			if !reply(".") {
				return
			}
		case verb == "DELE":
			n, ok := msgArg(args)
			if !ok {
				reply("-ERR no such message")
				continue
			}
			deleted[n] = true
			reply("+OK deleted")
		case verb == "RSET":
			deleted = map[int]bool{}
			reply("+OK")
		default:
			reply("-ERR unknown command")
		}
	}
}

// commit removes the messages deleted in a session from the maildrop. Messages added since the
// session began stay.
func (s *Server) commit(view []Message, deleted map[int]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := map[int]bool{}
	for n := range deleted {
		gone[n-1] = true
	}
	var keep []Message
	for i, m := range s.msgs {
		if i < len(view) && gone[i] {
			continue
		}
		keep = append(keep, m)
	}
	s.msgs = keep
}

// DotStuff doubles a leading "." on every line and makes sure the data ends with a line end,
// as a server sends a message before the terminating ".". Line ends are left as they are.
func DotStuff(data []byte) []byte {
	var b bytes.Buffer
	start := true
	for _, c := range data {
		if start && c == '.' {
			b.WriteByte('.')
		}
		b.WriteByte(c)
		start = c == '\n'
	}
	if !start {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// unicodeHeader reports whether a message's header holds raw UTF-8 (any byte above 0x7f).
func unicodeHeader(msg []byte) bool {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(msg)
	}
	for _, c := range msg[:end] {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// courierWrap is what Courier's pop3d serves instead of a Unicode message to a client that did not
// send UTF8: a notice, with the original attached as message/global.
func courierWrap(msg []byte) []byte {
	const boundary = "=_fake-1"
	var b bytes.Buffer
	b.WriteString("From: Mail Delivery Subsystem <postmaster>\r\n" +
		"Subject: Cannot display Unicode content\r\n" +
		"Mime-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n\r\n\r\n" +
		"--" + boundary + "\r\nContent-Type: text/plain\r\n\r\n" +
		"This E-mail message was determined to be Unicode-formatted\r\n" +
		"but your E-mail reader does not support Unicode E-mail.\r\n\r\n" +
		"--" + boundary + "\r\nContent-Type: message/global\r\n\r\n")
	b.Write(msg)
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes()
}
