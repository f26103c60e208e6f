package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Limits on what a server may send before TLS (and during Probe), so a
// hostile server cannot balloon memory or keep us reading forever.
const (
	maxLineLen    = 8 << 10  // one line, CRLF included
	maxPlainBytes = 64 << 10 // everything read in one exchange
)

// lineConn reads and writes CRLF lines on conn with a per-operation timeout,
// an overall deadline and the limits above. Its buffer is private: whatever
// it holds when the caller stops using it (for example bytes injected after
// a STARTTLS answer) is dropped with it.
type lineConn struct {
	ctx       context.Context
	conn      net.Conn
	ioTimeout time.Duration
	deadline  time.Time // overall; zero means none
	br        *bufio.Reader
	remaining int
}

// The caller interrupts blocked I/O when ctx ends by setting a past deadline
// on conn; lineConn checks ctx after each deadline it sets so it cannot undo that.
func newLineConn(ctx context.Context, conn net.Conn, ioTimeout time.Duration) *lineConn {
	deadline, _ := ctx.Deadline()
	lc := &lineConn{ctx: ctx, conn: conn, ioTimeout: ioTimeout, deadline: deadline, remaining: maxPlainBytes}
	lc.br = bufio.NewReaderSize(limitReader{lc}, maxLineLen)
	return lc
}

func (lc *lineConn) opDeadline() time.Time {
	dl := time.Now().Add(lc.ioTimeout)
	if !lc.deadline.IsZero() && lc.deadline.Before(dl) {
		return lc.deadline
	}
	return dl
}

// limitReader feeds the bufio.Reader: it counts bytes against the budget and
// sets the read deadline before each network read.
type limitReader struct{ lc *lineConn }

func (r limitReader) Read(p []byte) (int, error) {
	lc := r.lc
	if lc.remaining <= 0 {
		return 0, fmt.Errorf("%w: server sent more than %d bytes", ErrProtocol, maxPlainBytes)
	}
	if len(p) > lc.remaining {
		p = p[:lc.remaining]
	}
	if err := lc.conn.SetReadDeadline(lc.opDeadline()); err != nil {
		return 0, err
	}
	if err := lc.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := lc.conn.Read(p)
	lc.remaining -= n
	return n, err
}

// readLine returns the next line without its CRLF.
func (lc *lineConn) readLine() (string, error) {
	line, err := lc.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, maxLineLen)
	case errors.Is(err, io.EOF):
		return "", fmt.Errorf("connection closed by server: %w", io.ErrUnexpectedEOF)
	case err != nil:
		return "", fmt.Errorf("read: %w", err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (lc *lineConn) writeLine(s string) error {
	if err := lc.conn.SetWriteDeadline(lc.opDeadline()); err != nil {
		return err
	}
	if err := lc.ctx.Err(); err != nil {
		return err
	}
	if _, err := io.WriteString(lc.conn, s+"\r\n"); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// imapGreeting reads the IMAP greeting and returns its status (OK, PREAUTH).
func (lc *lineConn) imapGreeting() (line, status string, err error) {
	line, err = lc.readLine()
	if err != nil {
		return "", "", fmt.Errorf("greeting: %w", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "*" {
		return "", "", fmt.Errorf("%w: not an IMAP greeting", ErrProtocol)
	}
	switch status = strings.ToUpper(f[1]); status {
	case "OK", "PREAUTH":
		return line, status, nil
	case "BYE":
		return "", "", fmt.Errorf("%w: server closed the session in its greeting (BYE)", ErrProtocol)
	}
	return "", "", fmt.Errorf("%w: not an IMAP greeting", ErrProtocol)
}

// imapCommand sends "tag cmd" and reads up to the tagged answer. It returns
// the answer's status (OK, NO, BAD, or "" for anything else) and the
// capabilities of any untagged CAPABILITY response on the way.
func (lc *lineConn) imapCommand(tag, cmd string) (status string, caps []string, err error) {
	if err := lc.writeLine(tag + " " + cmd); err != nil {
		return "", nil, err
	}
	for {
		line, err := lc.readLine()
		if err != nil {
			return "", nil, err
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "*" && len(f) >= 2 && strings.EqualFold(f[1], "CAPABILITY") {
			caps = append(caps, f[2:]...)
			continue
		}
		if strings.EqualFold(f[0], tag) {
			if len(f) >= 2 {
				switch s := strings.ToUpper(f[1]); s {
				case "OK", "NO", "BAD":
					return s, caps, nil
				}
			}
			return "", caps, nil
		}
		// Other untagged data before TLS is ignored, never passed on (rule 4).
	}
}

// pop3Status reads one POP3 status line and reports whether it is +OK.
func (lc *lineConn) pop3Status() (line string, ok bool, err error) {
	line, err = lc.readLine()
	if err != nil {
		return "", false, err
	}
	return line, line == "+OK" || strings.HasPrefix(line, "+OK "), nil
}

// pop3Multi reads the lines of a multi-line POP3 answer up to ".".
func (lc *lineConn) pop3Multi() ([]string, error) {
	var lines []string
	for {
		line, err := lc.readLine()
		if err != nil {
			return nil, err
		}
		if line == "." {
			return lines, nil
		}
		lines = append(lines, strings.TrimPrefix(line, "."))
	}
}

// pop3Capa sends CAPA; a server that does not know CAPA has no capabilities.
func (lc *lineConn) pop3Capa() ([]string, error) {
	if err := lc.writeLine("CAPA"); err != nil {
		return nil, err
	}
	_, ok, err := lc.pop3Status()
	if err != nil || !ok {
		return nil, err
	}
	return lc.pop3Multi()
}

// smtpReply reads a (multi-line) SMTP reply and returns its code and texts.
func (lc *lineConn) smtpReply() (int, []string, error) {
	var texts []string
	code := 0
	for {
		line, err := lc.readLine()
		if err != nil {
			return 0, nil, err
		}
		if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
			return 0, nil, fmt.Errorf("%w: malformed SMTP reply", ErrProtocol)
		}
		c, err := strconv.Atoi(line[:3])
		if err != nil || c < 200 || c > 599 {
			return 0, nil, fmt.Errorf("%w: malformed SMTP reply code", ErrProtocol)
		}
		if code != 0 && c != code {
			return 0, nil, fmt.Errorf("%w: SMTP reply code changed within a reply", ErrProtocol)
		}
		code = c
		if len(line) > 4 {
			texts = append(texts, line[4:])
		} else {
			texts = append(texts, "")
		}
		if len(line) == 3 || line[3] == ' ' {
			return code, texts, nil
		}
	}
}

// hasWord reports whether one of the capability lines starts with word.
func hasWord(caps []string, word string) bool {
	for _, c := range caps {
		f := strings.Fields(c)
		if len(f) > 0 && strings.EqualFold(f[0], word) {
			return true
		}
	}
	return false
}
