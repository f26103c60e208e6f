package demo

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"postbode/internal/acceptloop"
)

// maildrop is the POP3 user's mail. A session locks it (RFC 1939 §8) and works on a snapshot;
// deletions take effect only when the session QUITs.
type maildrop struct {
	mu     sync.Mutex
	msgs   []popMsg
	nextID int
	locked bool
}

type popMsg struct {
	uidl string
	data []byte // CRLF line endings
}

func (m *maildrop) add(raw []byte) {
	data := toCRLF(raw)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	m.msgs = append(m.msgs, popMsg{uidl: fmt.Sprintf("pbdemo-%06d", m.nextID), data: data})
}

func (m *maildrop) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

// lock takes the maildrop for one session and returns its messages as they are now.
func (m *maildrop) lock() ([]popMsg, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locked {
		return nil, false
	}
	m.locked = true
	return append([]popMsg(nil), m.msgs...), true
}

// unlock ends a session, removing the messages it deleted (none when the connection was lost).
func (m *maildrop) unlock(deleted map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.locked = false
	if len(deleted) == 0 {
		return
	}
	kept := m.msgs[:0]
	for _, msg := range m.msgs {
		if !deleted[msg.uidl] {
			kept = append(kept, msg)
		}
	}
	clear(m.msgs[len(kept):])
	m.msgs = kept
}

// toCRLF turns any mix of LF and CRLF line endings into CRLF and ends the data with one.
func toCRLF(raw []byte) []byte {
	s := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	s = bytes.ReplaceAll(s, []byte("\n"), []byte("\r\n"))
	if !bytes.HasSuffix(s, []byte("\r\n")) {
		s = append(s, '\r', '\n')
	}
	return s
}

// POP3 limits: RFC 2449 allows 255 octets per command; the idle timeout is RFC 1939's minimum.
const (
	pop3MaxLine     = 512
	pop3MaxSkip     = 64 << 10
	pop3IdleTimeout = 10 * time.Minute
	pop3WriteTime   = time.Minute
	pop3MaxAuthFail = 3
)

// pop3Server is a small RFC 1939 server (with CAPA from RFC 2449) for one user, over implicit TLS.
type pop3Server struct {
	user, pass string
	drop       *maildrop
	log        *slog.Logger
	loop       *acceptloop.Loop
}

func newPOP3Server(ln net.Listener, user, pass string, drop *maildrop, log *slog.Logger) *pop3Server {
	s := &pop3Server{user: user, pass: pass, drop: drop, log: log}
	s.loop = acceptloop.New(ln, func(c net.Conn) {
		if err := s.handle(c); err != nil {
			s.log.Debug("pop3 session ended", "err", err)
		}
	})
	return s
}

// serve accepts connections until close.
func (s *pop3Server) serve() error { return s.loop.Serve() }

// close stops accepting, drops every connection and waits for their sessions.
func (s *pop3Server) close() error { return s.loop.Close() }

type pop3Session struct {
	srv  *pop3Server
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer

	user     string // from USER, waiting for PASS
	authed   bool
	failures int
	msgs     []popMsg
	deleted  map[int]bool // by 0-based index into msgs
}

func (s *pop3Server) handle(c net.Conn) error {
	if tc, ok := c.(*tls.Conn); ok {
		_ = c.SetDeadline(time.Now().Add(pop3WriteTime))
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("tls handshake: %w", err)
		}
	}
	sess := &pop3Session{srv: s, conn: c, r: bufio.NewReaderSize(c, pop3MaxLine), w: bufio.NewWriter(c)}
	defer func() {
		if sess.authed {
			s.drop.unlock(nil) // connection lost without QUIT: nothing is deleted
		}
	}()
	if err := sess.reply("+OK Postbode demo POP3 server ready"); err != nil {
		return err
	}
	for {
		_ = c.SetReadDeadline(time.Now().Add(pop3IdleTimeout))
		line, err := sess.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Skip the rest of an overlong line and answer it; an endless one ends the session.
			if err := sess.skipLine(); err != nil {
				return err
			}
			if err := sess.reply("-ERR line too long"); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		quit, err := sess.command(strings.TrimRight(string(line), "\r\n"))
		if err != nil || quit {
			return err
		}
	}
}

// skipLine discards input up to the next LF, at most pop3MaxSkip bytes.
func (p *pop3Session) skipLine() error {
	for skipped := 0; skipped < pop3MaxSkip; {
		chunk, err := p.r.ReadSlice('\n')
		skipped += len(chunk)
		if err == nil {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
	return errors.New("command line too long")
}

// reply writes one line (or a multi-line answer, given as lines ending in CRLF in body) and flushes.
func (p *pop3Session) reply(line string, body ...[]byte) error {
	_ = p.conn.SetWriteDeadline(time.Now().Add(pop3WriteTime))
	p.w.WriteString(line)
	p.w.WriteString("\r\n")
	for _, b := range body {
		p.w.Write(b)
	}
	if len(body) > 0 {
		p.w.WriteString(".\r\n")
	}
	return p.w.Flush()
}

// command runs one command line; quit reports the end of the session.
func (p *pop3Session) command(line string) (quit bool, err error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return false, p.reply("-ERR empty command")
	}
	cmd, args := strings.ToUpper(fields[0]), fields[1:]
	switch cmd {
	case "CAPA":
		return false, p.reply("+OK capability list follows", []byte("USER\r\nSASL PLAIN\r\nUIDL\r\nTOP\r\nRESP-CODES\r\nPIPELINING\r\nIMPLEMENTATION Postbode-demo\r\n"))
	case "QUIT":
		return true, p.quit()
	case "NOOP":
		if !p.authed {
			return false, p.reply("-ERR log in first")
		}
		return false, p.reply("+OK")
	}
	if !p.authed {
		return p.authCommand(cmd, args)
	}
	switch cmd {
	case "STAT":
		n, size := 0, 0
		for i, m := range p.msgs {
			if !p.deleted[i] {
				n++
				size += len(m.data)
			}
		}
		return false, p.reply(fmt.Sprintf("+OK %d %d", n, size))
	case "LIST", "UIDL":
		return false, p.listing(cmd, args)
	case "RETR":
		i, ok, err := p.message(args, 1)
		if !ok {
			return false, err
		}
		data := p.msgs[i].data
		return false, p.reply(fmt.Sprintf("+OK %d octets", len(data)), dotStuff(data))
	case "TOP":
		i, ok, err := p.message(args, 2)
		if !ok {
			return false, err
		}
		n, perr := strconv.Atoi(args[1])
		if perr != nil || n < 0 {
			return false, p.reply("-ERR invalid line count")
		}
		return false, p.reply("+OK top of message follows", dotStuff(top(p.msgs[i].data, n)))
	case "DELE":
		i, ok, err := p.message(args, 1)
		if !ok {
			return false, err
		}
		p.deleted[i] = true
		return false, p.reply(fmt.Sprintf("+OK message %d deleted", i+1))
	case "RSET":
		clear(p.deleted)
		return false, p.reply(fmt.Sprintf("+OK maildrop has %d messages", len(p.msgs)))
	case "USER", "PASS", "APOP", "AUTH":
		return false, p.reply("-ERR already logged in")
	default:
		return false, p.reply("-ERR unknown command")
	}
}

func (p *pop3Session) authCommand(cmd string, args []string) (bool, error) {
	switch cmd {
	case "USER":
		if len(args) != 1 {
			return false, p.reply("-ERR usage: USER name")
		}
		p.user = args[0]
		return false, p.reply("+OK send PASS")
	case "PASS":
		if p.user == "" {
			return false, p.reply("-ERR send USER first")
		}
		// The password is the rest of the line in RFC 1939 and may contain spaces; the demo's do not.
		user := p.user
		p.user = ""
		return p.login(user, strings.Join(args, " "))
	case "AUTH":
		return p.authPlain(args)
	default:
		return false, p.reply("-ERR log in first")
	}
}

// authPlain is RFC 5034's AUTH PLAIN, with or without an initial response.
func (p *pop3Session) authPlain(args []string) (bool, error) {
	if len(args) == 0 || !strings.EqualFold(args[0], "PLAIN") || len(args) > 2 {
		return false, p.reply("-ERR only AUTH PLAIN is supported")
	}
	resp := ""
	if len(args) == 2 {
		resp = args[1]
	} else {
		if err := p.reply("+ "); err != nil {
			return false, err
		}
		_ = p.conn.SetReadDeadline(time.Now().Add(pop3IdleTimeout))
		line, err := p.r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		resp = strings.TrimRight(string(line), "\r\n")
	}
	if resp == "*" {
		return false, p.reply("-ERR authentication cancelled")
	}
	if resp == "=" {
		resp = ""
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return false, p.reply("-ERR invalid base64")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || (parts[0] != "" && parts[0] != parts[1]) {
		return p.login("", "")
	}
	return p.login(parts[1], parts[2])
}

// login checks the credentials and takes the maildrop.
func (p *pop3Session) login(user, pass string) (bool, error) {
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(p.srv.user)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(p.srv.pass)) == 1
	if !userOK || !passOK {
		p.failures++
		if p.failures >= pop3MaxAuthFail {
			_ = p.reply("-ERR [AUTH] invalid user name or password, closing")
			return true, errors.New("too many failed logins")
		}
		return false, p.reply("-ERR [AUTH] invalid user name or password")
	}
	msgs, ok := p.srv.drop.lock()
	if !ok {
		return false, p.reply("-ERR [IN-USE] maildrop is in use by another session")
	}
	p.authed, p.msgs, p.deleted = true, msgs, map[int]bool{}
	return false, p.reply(fmt.Sprintf("+OK maildrop locked and ready, %d messages", len(msgs)))
}

// quit ends the session; in the TRANSACTION state it commits the deletions (the UPDATE state).
func (p *pop3Session) quit() error {
	if !p.authed {
		return p.reply("+OK bye")
	}
	gone := map[string]bool{}
	for i := range p.deleted {
		gone[p.msgs[i].uidl] = true
	}
	p.authed = false
	p.srv.drop.unlock(gone)
	return p.reply(fmt.Sprintf("+OK bye, %d messages deleted", len(gone)))
}

func (p *pop3Session) listing(cmd string, args []string) error {
	entry := func(i int) string {
		if cmd == "UIDL" {
			return fmt.Sprintf("%d %s", i+1, p.msgs[i].uidl)
		}
		return fmt.Sprintf("%d %d", i+1, len(p.msgs[i].data))
	}
	if len(args) > 0 {
		i, ok, err := p.message(args, 1)
		if !ok {
			return err
		}
		return p.reply("+OK " + entry(i))
	}
	var b bytes.Buffer
	for i := range p.msgs {
		if !p.deleted[i] {
			b.WriteString(entry(i))
			b.WriteString("\r\n")
		}
	}
	return p.reply("+OK listing follows", b.Bytes())
}

// message parses the message-number argument; when ok is false, the error answer has been sent
// and err is only a write failure.
func (p *pop3Session) message(args []string, want int) (i int, ok bool, err error) {
	if len(args) != want {
		return 0, false, p.reply("-ERR wrong number of arguments")
	}
	n, perr := strconv.Atoi(args[0])
	if perr != nil || n < 1 || n > len(p.msgs) {
		return 0, false, p.reply("-ERR no such message")
	}
	if p.deleted[n-1] {
		return 0, false, p.reply("-ERR message already deleted")
	}
	return n - 1, true, nil
}

// dotStuff prefixes every line that starts with "." with another "." (RFC 1939 §3). data has CRLF
// line endings and ends with one.
func dotStuff(data []byte) []byte {
	out := make([]byte, 0, len(data)+len(data)/64)
	for len(data) > 0 {
		end := bytes.Index(data, []byte("\r\n"))
		if end < 0 {
			end = len(data)
		} else {
			end += 2
		}
		if data[0] == '.' {
			out = append(out, '.')
		}
		out = append(out, data[:end]...)
		data = data[end:]
	}
	return out
}

// top returns the header, the blank line and the first n body lines.
func top(data []byte, n int) []byte {
	sep := bytes.Index(data, []byte("\r\n\r\n"))
	if sep < 0 {
		return data
	}
	end := sep + 4
	for ; n > 0 && end < len(data); n-- {
		next := bytes.Index(data[end:], []byte("\r\n"))
		if next < 0 {
			return data
		}
		end += next + 2
	}
	return data[:end]
}
