// Package pop3 is the POP3 client the POP3 engine uses: a session on a connection that
// sync/transport already secured, which downloads messages byte-exactly and with bounded memory.
//
// github.com/knadh/go-pop3 v1.0.0 handles the simple request/status commands (the greeting,
// USER, PASS, DELE, RSET, NOOP, QUIT). It is not used for anything that reads a multi-line
// answer, because there it is wrong for mail: it does not undo dot-stuffing, it splits lines
// longer than 4096 bytes with an inserted CRLF, it keeps no bound on memory, and its STAT,
// LIST and UIDL parsers index past the end of short answers (a panic on hostile input).
// CAPA, AUTH PLAIN, STAT, LIST, UIDL and RETR are implemented here on the same byte stream.
//
// Both halves read from one bufio.Reader. go-pop3 keeps its own read buffer, so it is handed
// a view of the connection (lineFeed) that yields at most one line per Read: after go-pop3
// has read a status line its buffer is empty again and no byte of a later answer is stranded
// in it. That view also rejects lines that are not "+OK"/"-ERR" status lines, which go-pop3
// would otherwise accept (it takes an empty line for success).
package pop3

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gopop3 "github.com/knadh/go-pop3"

	"postbode/internal/redact"
)

// Limits on what a server may send.
const (
	// DefaultMaxMessageBytes bounds one downloaded message (Client.MaxMessageBytes).
	DefaultMaxMessageBytes = 128 << 20
	// maxStatusLine bounds a status line and every line of CAPA, LIST and UIDL answers.
	// RFC 2449 allows 512 octets; servers append long texts to -ERR, so allow more.
	maxStatusLine = 4096
	// maxListLines bounds the lines of one CAPA, LIST or UIDL answer.
	maxListLines = 5_000_000
	readBufSize  = 64 << 10
)

var (
	// ErrProtocol means the server sent something that is not POP3; the session is unusable.
	ErrProtocol = errors.New("pop3: unexpected answer from server")
	// ErrTooLarge means a message exceeded Client.MaxMessageBytes; the session is unusable.
	ErrTooLarge = errors.New("pop3: message exceeds the size limit")
	// ErrBadArgument means a command argument held a line break or NUL and was not sent.
	ErrBadArgument = errors.New("pop3: argument contains a line break or NUL")
)

// ServerError is a -ERR answer. The session stays usable.
type ServerError struct {
	Cmd  string // the command verb, e.g. "PASS"
	Text string // the server's text without credentials, reduced to printable ASCII and shortened
	// raw is the whole text until run has redacted it with the session's credentials: shortening
	// first could cut an echoed credential into a piece that is no longer recognised.
	raw string
}

func (e *ServerError) Error() string {
	if e.Text == "" {
		return "pop3 " + e.Cmd + ": server refused"
	}
	return "pop3 " + e.Cmd + ": server refused: " + e.Text
}

// Client is one POP3 session. It is not safe for concurrent use.
type Client struct {
	// MaxMessageBytes bounds one message read by Retr. Default DefaultMaxMessageBytes.
	MaxMessageBytes int64

	conn     net.Conn
	br       *bufio.Reader
	feed     *lineFeed
	lib      *gopop3.Conn
	greeting string
	// secrets are the credentials given to Login or AuthPlain, kept out of every error text.
	secrets redact.Secrets
	// broken is set once the byte stream may be out of step (I/O error, protocol error,
	// cancelled command); every later command returns it.
	broken error
}

// connDialer hands go-pop3 an existing connection instead of dialing.
type connDialer struct{ c net.Conn }

func (d connDialer) Dial(string, string) (net.Conn, error) { return d.c, nil }

// New starts a session on conn, which must be positioned at the server's greeting (as
// transport.Dial returns it), and reads the greeting. On error conn is closed.
func New(ctx context.Context, conn net.Conn) (*Client, error) {
	c := &Client{MaxMessageBytes: DefaultMaxMessageBytes, conn: conn}
	c.br = bufio.NewReaderSize(conn, readBufSize)
	c.feed = &lineFeed{Conn: conn, br: c.br}
	err := c.run(ctx, "greeting", func() error {
		lib, err := gopop3.New(gopop3.Opt{Host: "pop3", Dialer: connDialer{c.feed}}).NewConn()
		if err != nil {
			return err
		}
		c.lib = lib
		return nil
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	c.greeting = clean(strings.TrimSpace(strings.TrimPrefix(c.feed.first, "+OK")))
	return c, nil
}

// Greeting is the text of the server's greeting, made printable.
func (c *Client) Greeting() string { return c.greeting }

// Close closes the connection without QUIT: the server then deletes nothing.
func (c *Client) Close() error { return c.conn.Close() }

// run executes one command exchange. It interrupts blocked I/O when ctx ends and marks the
// session broken after anything but a -ERR answer.
func (c *Client) run(ctx context.Context, cmd string, fn func() error) error {
	if c.broken != nil {
		return c.broken
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pop3 %s: %w", cmd, err)
	}
	c.feed.reset()
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	err := c.redacted(fn())
	if !stop() {
		// ctx ended during the exchange: the deadline is poisoned and the answer may be half read.
		if err == nil {
			err = ctx.Err()
		} else {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		c.broken = redact.Error(fmt.Errorf("pop3 %s: %w", cmd, err), c.secrets)
		return c.broken
	}
	if err == nil {
		return nil
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	if c.feed.errLine != "" && c.feed.err == nil {
		// go-pop3 turned a -ERR line into a plain error; the feed saw the line.
		return c.redacted(&ServerError{Cmd: cmd, raw: strings.TrimSpace(strings.TrimPrefix(c.feed.errLine, "-ERR"))})
	}
	if c.feed.err != nil {
		err = c.feed.err
	}
	c.broken = redact.Error(fmt.Errorf("pop3 %s: %w", cmd, err), c.secrets)
	return c.broken
}

// redacted gives a *ServerError in err its final text: the server's words without the session's
// credentials (servers echo a wrong password, or the AUTH string they were sent), then made
// printable and short.
func (c *Client) redacted(err error) error {
	var se *ServerError
	if errors.As(err, &se) && se.raw != "" {
		se.Text = clean(redact.Text(se.raw, c.secrets))
		se.raw = ""
	}
	return err
}

func checkArg(s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return ErrBadArgument
	}
	return nil
}

// send writes one command line.
func (c *Client) send(line string) error {
	_, err := c.conn.Write([]byte(line + "\r\n"))
	return err
}

// readLine reads one line of at most maxStatusLine bytes, without its line end.
func (c *Client) readLine() (string, error) {
	line, err := readLine(c.br)
	return string(line), err
}

func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxStatusLine {
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, maxStatusLine)
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// status reads a status line and returns the text after +OK, or a *ServerError for -ERR.
func (c *Client) status(cmd string) (string, error) {
	line, err := c.readLine()
	if err != nil {
		return "", err
	}
	return parseStatus(cmd, line)
}

func parseStatus(cmd, line string) (string, error) {
	switch {
	case line == "+OK":
		return "", nil
	case strings.HasPrefix(line, "+OK "):
		return line[4:], nil
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		raw := strings.TrimSpace(line[4:])
		return "", &ServerError{Cmd: cmd, Text: clean(redact.Text(raw, redact.Secrets{})), raw: raw}
	}
	return "", fmt.Errorf("%w: %q is not a status line", ErrProtocol, clip(line))
}

// command sends a command and reads its status line.
func (c *Client) command(ctx context.Context, verb, line string) (string, error) {
	var text string
	err := c.run(ctx, verb, func() error {
		if err := c.send(line); err != nil {
			return err
		}
		var err error
		text, err = c.status(verb)
		return err
	})
	return text, err
}

// multi sends a command whose +OK answer is followed by lines ending in ".", and passes each
// line (dot-stuffing undone, line end removed) to fn.
func (c *Client) multi(ctx context.Context, verb, line string, fn func(string) error) error {
	return c.run(ctx, verb, func() error {
		if err := c.send(line); err != nil {
			return err
		}
		if _, err := c.status(verb); err != nil {
			return err
		}
		for n := 0; ; n++ {
			l, err := c.readLine()
			if err != nil {
				return err
			}
			if l == "." {
				return nil
			}
			if n >= maxListLines {
				return fmt.Errorf("%w: more than %d lines", ErrProtocol, maxListLines)
			}
			if err := fn(strings.TrimPrefix(l, ".")); err != nil {
				return err
			}
		}
	})
}

// Capabilities sends CAPA (RFC 2449). A server without CAPA answers with a *ServerError.
func (c *Client) Capabilities(ctx context.Context) ([]string, error) {
	var caps []string
	err := c.multi(ctx, "CAPA", "CAPA", func(l string) error {
		caps = append(caps, clean(l))
		return nil
	})
	return caps, err
}

// HasCapability reports whether caps lists name (case-insensitive, first word of a line).
func HasCapability(caps []string, name string) bool {
	for _, c := range caps {
		if f := strings.Fields(c); len(f) > 0 && strings.EqualFold(f[0], name) {
			return true
		}
	}
	return false
}

// HasSASL reports whether caps lists the SASL mechanism mech.
func HasSASL(caps []string, mech string) bool {
	for _, c := range caps {
		f := strings.Fields(c)
		if len(f) == 0 || !strings.EqualFold(f[0], "SASL") {
			continue
		}
		for _, m := range f[1:] {
			if strings.EqualFold(m, mech) {
				return true
			}
		}
	}
	return false
}

// Login authenticates with USER and PASS (through go-pop3).
func (c *Client) Login(ctx context.Context, user, password string) error {
	if checkArg(user) != nil || checkArg(password) != nil {
		return fmt.Errorf("pop3 login: %w", ErrBadArgument)
	}
	c.secrets = redact.Secrets{User: user, Password: password}
	if err := c.run(ctx, "USER", func() error { return c.lib.User(user) }); err != nil {
		return err
	}
	return c.run(ctx, "PASS", func() error { return c.lib.Pass(password) })
}

// AuthPlain logs in with SASL PLAIN (RFC 5034), sending the credentials as the initial response.
func (c *Client) AuthPlain(ctx context.Context, user, password string) error {
	if strings.ContainsRune(user, 0) || strings.ContainsRune(password, 0) {
		return fmt.Errorf("pop3 auth: %w", ErrBadArgument)
	}
	return c.Authenticate(ctx, sasl.NewPlainClient("", user, password), redact.Secrets{User: user, Password: password})
}

// Authenticate runs a SASL exchange (RFC 5034) with the initial response on the AUTH line, as
// PLAIN, XOAUTH2 and OAUTHBEARER use it. secrets are what the exchange carries, kept out of every
// error. A bare "+" right after the AUTH line asks for the initial response again (servers without
// SASL-IR); any other challenge goes to the mechanism, as an OAuth2 server's error report does.
func (c *Client) Authenticate(ctx context.Context, mech sasl.Client, secrets redact.Secrets) error {
	name, ir, err := mech.Start()
	if err != nil {
		return fmt.Errorf("pop3 auth: %w", err)
	}
	c.secrets = secrets
	initial := base64.StdEncoding.EncodeToString(ir)
	if len(ir) == 0 {
		initial = "="
	}
	return c.run(ctx, "AUTH", func() error {
		if err := c.send("AUTH " + name + " " + initial); err != nil {
			return err
		}
		for first := true; ; first = false {
			line, err := c.readLine()
			if err != nil {
				return err
			}
			if line != "+" && !strings.HasPrefix(line, "+ ") {
				_, err = parseStatus("AUTH", line)
				return err
			}
			challenge := strings.TrimSpace(strings.TrimPrefix(line, "+"))
			var resp string
			if first && challenge == "" {
				resp = initial
			} else {
				data, err := base64.StdEncoding.DecodeString(challenge)
				if err != nil {
					return fmt.Errorf("%w: AUTH challenge is not base64", ErrProtocol)
				}
				next, err := mech.Next(data)
				if err != nil {
					// Cancel the exchange (RFC 5034 §4) and report why the mechanism stopped.
					_ = c.send("*")
					_, _ = c.readLine()
					return err
				}
				resp = base64.StdEncoding.EncodeToString(next)
			}
			if err := c.send(resp); err != nil {
				return err
			}
		}
	})
}

// UTF8 switches the session to UTF-8 mode (RFC 6856), for servers that list UTF8 in CAPA. Without
// it such a server may serve a message with raw UTF-8 headers as a substitute: Courier sends a
// "Cannot display Unicode content" wrapper instead of the message itself. RFC 6856 allows the
// command before authentication; Courier also takes it after, as Outlook sends it. A refusal is a
// *ServerError and leaves the session usable.
func (c *Client) UTF8(ctx context.Context) error {
	_, err := c.command(ctx, "UTF8", "UTF8")
	return err
}

// Stat returns the number of messages and their total size.
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	text, err := c.command(ctx, "STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(text)
	if len(f) < 2 {
		return 0, 0, c.protocol("STAT", "answer %q has no count and size", clip(text))
	}
	count, err1 := strconv.Atoi(f[0])
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || count < 0 || size < 0 {
		return 0, 0, c.protocol("STAT", "answer %q is not two numbers", clip(text))
	}
	return count, size, nil
}

// protocol marks the session broken with a protocol error outside run.
func (c *Client) protocol(cmd, format string, args ...any) error {
	c.broken = fmt.Errorf("pop3 %s: %w: %s", cmd, ErrProtocol, fmt.Sprintf(format, args...))
	return c.broken
}

// Entry is one line of a LIST or UIDL answer. Lines that do not parse are dropped, so a
// caller must not assume that every message number appears.
type Entry struct {
	Num  int
	Size int64  // LIST only
	UIDL string // UIDL only; 1–70 characters 0x21–0x7E (RFC 1939)
}

// List returns the size of every message.
func (c *Client) List(ctx context.Context) ([]Entry, error) {
	var out []Entry
	err := c.multi(ctx, "LIST", "LIST", func(l string) error {
		f := strings.Fields(l)
		if len(f) < 2 {
			return nil
		}
		num, err1 := strconv.Atoi(f[0])
		size, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 == nil && err2 == nil && num > 0 && size >= 0 {
			out = append(out, Entry{Num: num, Size: size})
		}
		return nil
	})
	return out, err
}

// UIDL returns the unique id of every message. A server without UIDL answers with a *ServerError.
func (c *Client) UIDL(ctx context.Context) ([]Entry, error) {
	var out []Entry
	err := c.multi(ctx, "UIDL", "UIDL", func(l string) error {
		f := strings.Fields(l)
		if len(f) != 2 {
			return nil
		}
		num, err := strconv.Atoi(f[0])
		if err == nil && num > 0 && ValidUIDL(f[1]) {
			out = append(out, Entry{Num: num, UIDL: f[1]})
		}
		return nil
	})
	return out, err
}

// ValidUIDL reports whether s is a well-formed unique-id listing (RFC 1939 section 7).
func ValidUIDL(s string) bool {
	if len(s) < 1 || len(s) > 70 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Retr downloads message num exactly as the server holds it: the transfer's dot-stuffing is
// undone and no other byte changes (line ends, long lines and bare CR or LF stay as sent).
// sizeHint (from LIST) only presizes the buffer. A message over MaxMessageBytes fails with
// ErrTooLarge; a connection lost midway fails. Either way no partial message is returned.
func (c *Client) Retr(ctx context.Context, num int, sizeHint int64) ([]byte, error) {
	var out []byte
	var msgErr error
	err := c.RetrEach(ctx, []RetrRequest{{Num: num, SizeHint: sizeHint}}, 1, func(_ int, raw []byte, err error) {
		out, msgErr = raw, err
	})
	if err == nil {
		err = msgErr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RetrRequest names one message for RetrEach: its number and its size from LIST, which only
// presizes the buffer.
type RetrRequest struct {
	Num      int
	SizeHint int64
}

// RetrEach downloads the messages of reqs in order, as Retr does, and calls fn with each; err is
// a *ServerError when the server refused that message (the session goes on). A failure that ends
// the session is returned instead: fn has then had every message before the one that failed, so
// the number of calls tells which one it was (ErrTooLarge: too large). With window > 1, for
// servers that announce PIPELINING (RFC 2449), up to window commands are sent ahead, so the server
// streams the messages instead of waiting a round trip for each.
func (c *Client) RetrEach(ctx context.Context, reqs []RetrRequest, window int, fn func(i int, raw []byte, err error)) error {
	limit := c.MaxMessageBytes
	if limit <= 0 {
		limit = DefaultMaxMessageBytes
	}
	window = max(window, 1)
	return c.run(ctx, "RETR", func() error {
		sent := 0
		for i, r := range reqs {
			for ; sent < len(reqs) && sent < i+window; sent++ {
				if err := c.send("RETR " + strconv.Itoa(reqs[sent].Num)); err != nil {
					return err
				}
			}
			if _, err := c.status("RETR"); err != nil {
				var se *ServerError
				if !errors.As(err, &se) {
					return err
				}
				fn(i, nil, err) // one answer per command: the stream is still in step
				continue
			}
			hint := max(r.SizeHint, 0)
			hint = min(limit, hint+hint/16+64)
			raw, err := readDotted(c.br, make([]byte, 0, hint), limit)
			if err != nil {
				return err
			}
			fn(i, raw, nil)
		}
		return nil
	})
}

// readDotted reads a dot-terminated block from br, appending it to dst with dot-stuffing
// undone. Lines of any length are copied as they come.
func readDotted(br *bufio.Reader, dst []byte, limit int64) ([]byte, error) {
	atLineStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		complete := err == nil // chunk ends with '\n'
		if atLineStart && len(chunk) > 0 && chunk[0] == '.' {
			// A full buffer holds far more than ".\r\n", so a terminator is always whole here.
			if complete && (len(chunk) == 2 || len(chunk) == 3 && chunk[1] == '\r') {
				return dst, nil
			}
			chunk = chunk[1:]
		}
		if int64(len(dst))+int64(len(chunk)) > limit {
			return nil, ErrTooLarge
		}
		dst = append(dst, chunk...)
		atLineStart = complete
	}
}

// Dele marks message num for deletion; the server deletes it only after a successful Quit.
func (c *Client) Dele(ctx context.Context, num int) error {
	return c.run(ctx, "DELE", func() error { return c.lib.Dele(num) })
}

// Rset unmarks every message marked for deletion in this session.
func (c *Client) Rset(ctx context.Context) error {
	return c.run(ctx, "RSET", func() error { return c.lib.Rset() })
}

// Noop asks for a +OK, to keep a session alive or to test it.
func (c *Client) Noop(ctx context.Context) error {
	return c.run(ctx, "NOOP", func() error { return c.lib.Noop() })
}

// Quit ends the session. Only when it returns nil has the server committed the deletions
// (RFC 1939 UPDATE state). The connection is closed in every case.
func (c *Client) Quit(ctx context.Context) error {
	defer c.conn.Close()
	return c.run(ctx, "QUIT", func() error { return c.lib.Quit() })
}

// clean keeps printable ASCII of server text and shortens it, so that nothing a server sends
// can forge lines in a log or a dialog.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 200; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 40 {
		return clean(s[:40]) + "..."
	}
	return clean(s)
}
