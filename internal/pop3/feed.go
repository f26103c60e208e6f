package pop3

import (
	"bufio"
	"fmt"
	"net"
	"strings"
)

// lineFeed is the view of the connection given to go-pop3. Each Read yields at most the rest
// of one line, so go-pop3's own buffer never holds bytes beyond the status line it asked for,
// and the shared bufio.Reader stays the single owner of everything after it. Only status lines
// pass: anything else (including the empty line go-pop3 would take for +OK) fails the read.
type lineFeed struct {
	net.Conn // writes and Close go straight to the connection
	br       *bufio.Reader

	pending []byte // rest of the current line not yet handed out
	first   string // the first line ever read: the greeting
	seen    bool
	errLine string // last -ERR line handed out during the current command
	err     error  // why the last Read failed, kept for run's error
}

// reset forgets the previous command's outcome.
func (f *lineFeed) reset() { f.errLine, f.err = "", nil }

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(f.pending) == 0 {
		line, err := f.br.ReadSlice('\n')
		if err != nil {
			if len(line) > 0 || err == bufio.ErrBufferFull {
				err = fmt.Errorf("%w: status line too long or cut off", ErrProtocol)
			}
			f.err = err
			return 0, err
		}
		if len(line) > maxStatusLine {
			f.err = fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, maxStatusLine)
			return 0, f.err
		}
		text := strings.TrimRight(string(line), "\r\n")
		if _, err := parseStatus("", text); err != nil {
			if _, isServer := err.(*ServerError); !isServer {
				f.err = err
				return 0, err
			}
			f.errLine = text
		}
		if !f.seen {
			f.seen, f.first = true, text
		}
		f.pending = append(f.pending[:0], line...)
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}
