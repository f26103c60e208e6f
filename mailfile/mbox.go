package mailfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MboxFlavor says how lines that start with "From " inside messages were escaped.
//
// mboxrd escapes every line matching ^>*From  with one more ">", so reading removes exactly one
// ">" from lines matching ^>+From  and gives back every message exactly. mboxo (Thunderbird,
// older tools) escapes only ^From  and leaves ">From " alone, so a line read as ">From " may have
// been either "From " or ">From " when written: mboxo reading turns it into "From " (the far more
// common case) and cannot do better; lines with two or more ">" are left as they are.
type MboxFlavor int

const (
	MboxRD MboxFlavor = iota
	MboxO
)

// MboxOptions tune an MboxReader. The zero value reads mboxrd with DefaultMaxSize.
type MboxOptions struct {
	Flavor  MboxFlavor
	MaxSize int64 // the largest message accepted; <= 0 means DefaultMaxSize
}

// noFinalNewline ends the From_ line of a message that did not end in a newline. The writer adds
// one (a From_ line must start a line), and this mark lets the reader take it away again, so that
// export and import give back the same bytes. Other readers take it for part of the From_ line.
const noFinalNewline = "no-final-newline"

// MboxReader reads messages one at a time from an mbox stream. Memory is bounded by the largest
// message accepted: a longer one is skipped and reported with ErrTooLarge.
type MboxReader struct {
	br      *bufio.Reader
	opt     MboxOptions
	n       int    // messages started
	offset  int64  // bytes consumed
	from    []byte // the From_ line of the next message; nil before the first
	eof     bool
	scratch []byte
}

// NewMboxReader reads an mbox from r.
func NewMboxReader(r io.Reader, opt MboxOptions) *MboxReader {
	if opt.MaxSize <= 0 {
		opt.MaxSize = DefaultMaxSize
	}
	return &MboxReader{br: bufio.NewReaderSize(r, 64<<10), opt: opt}
}

// Offset is the number of bytes read from the stream so far (for progress).
func (r *MboxReader) Offset() int64 { return r.offset }

// readLine returns the next line with its line end (the last line may have none). A line longer
// than the size limit (at least 64 KB, so that a From_ line is always whole) is consumed whole but
// only its first bytes are returned: enough to tell that the message is too large and whether the
// line separates messages.
func (r *MboxReader) readLine() ([]byte, error) {
	r.scratch = r.scratch[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		r.offset += int64(len(frag))
		if room := max(r.opt.MaxSize, 64<<10) + 1 - int64(len(r.scratch)); room > 0 {
			r.scratch = append(r.scratch, frag[:min(int64(len(frag)), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return r.scratch, err
	}
}

// Next returns the next message, or io.EOF after the last. An error wrapping ErrTooLarge leaves
// the reader on the following message; other errors end the stream.
func (r *MboxReader) Next() (*Message, error) {
	if r.from == nil {
		if r.eof {
			return nil, io.EOF
		}
		line, err := r.readLine()
		if len(line) == 0 && err == io.EOF {
			r.eof = true
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("mbox: %w", err)
		}
		if _, _, _, ok := parseFromLine(line); !ok {
			r.eof = true
			return nil, fmt.Errorf("mbox: not an mbox file: the first line is not a \"From \" line")
		}
		r.from = bytes.Clone(line)
		r.eof = err == io.EOF
	}
	r.n++
	sender, date, nonl, _ := parseFromLine(r.from)
	r.from = nil
	var (
		body      []byte
		size      int64
		lastBlank int // length of the last line when it was blank, else 0
	)
	for !r.eof {
		line, err := r.readLine()
		if err != nil && err != io.EOF {
			r.eof = true
			return nil, fmt.Errorf("mbox message %d: %w", r.n, err)
		}
		r.eof = err == io.EOF
		if len(line) == 0 {
			break
		}
		// A From_ line separates messages only after a blank line: real files hold unescaped
		// "From " lines inside paragraphs.
		if lastBlank > 0 && bytes.HasPrefix(line, []byte("From ")) {
			if _, _, _, ok := parseFromLine(line); ok {
				r.from = bytes.Clone(line)
				break
			}
		}
		line = r.unescape(line)
		lastBlank = 0
		if isBlank(line) {
			lastBlank = len(line)
		}
		size += int64(len(line))
		if size <= r.opt.MaxSize {
			body = append(body, line...)
		} else {
			body = nil
		}
	}
	if size > r.opt.MaxSize {
		return nil, fmt.Errorf("mbox message %d: %w", r.n, tooLarge(size, r.opt.MaxSize))
	}
	// The blank line before the next From_ line (or at the end of the file) belongs to the mbox.
	body = body[:len(body)-lastBlank]
	if nonl && bytes.HasSuffix(body, []byte("\n")) {
		body = body[:len(body)-1]
	}
	if body == nil {
		body = []byte{}
	}
	return &Message{Raw: body, Sender: sender, Date: date}, nil
}

func (r *MboxReader) unescape(line []byte) []byte {
	if len(line) < 6 || line[0] != '>' {
		return line
	}
	if r.opt.Flavor == MboxO {
		if bytes.HasPrefix(line, []byte(">From ")) {
			return line[1:]
		}
		return line
	}
	if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
		return line[1:]
	}
	return line
}

func isBlank(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

// fromDateLayouts are the date forms seen on From_ lines: asctime, with a zone, and RFC 5322.
var fromDateLayouts = []string{
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 -0700 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04 2006",
	"Mon, _2 Jan 2006 15:04:05 -0700",
}

// parseFromLine reads "From <sender> <date>[ no-final-newline]". ok demands a sender and a date
// with a time of day, so that a stray "From here on ..." line does not start a message.
func parseFromLine(line []byte) (sender string, date time.Time, nonl, ok bool) {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return "", time.Time{}, false, false
	}
	fields := strings.Fields(string(line[5:]))
	if len(fields) > 0 && fields[len(fields)-1] == noFinalNewline {
		nonl = true
		fields = fields[:len(fields)-1]
	}
	if len(fields) < 2 {
		return "", time.Time{}, false, false
	}
	hasTime := false
	for _, f := range fields[1:] {
		if isClock(f) {
			hasTime = true
			break
		}
	}
	if !hasTime {
		return "", time.Time{}, false, false
	}
	rest := strings.Join(fields[1:], " ")
	for _, layout := range fromDateLayouts {
		if t, err := time.Parse(layout, rest); err == nil {
			date = t
			break
		}
	}
	return fields[0], date, nonl, true
}

// isClock matches hh:mm or hh:mm:ss.
func isClock(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for i, p := range parts {
		if len(p) != 2 && !(i == 0 && len(p) == 1) {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// MboxWriter writes messages as mboxrd.
type MboxWriter struct {
	w *bufio.Writer
}

// NewMboxWriter writes an mbox to w; Flush must be called at the end.
func NewMboxWriter(w io.Writer) *MboxWriter {
	return &MboxWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write adds one message: its From_ line (the sender, or MAILER-DAEMON, and the date in asctime
// form), its bytes with every ^>*From  line given one more ">", a newline when the message lacks
// a final one (marked on the From_ line), and a blank line.
func (w *MboxWriter) Write(m *Message) error {
	sender := m.Sender
	if !validSender(sender) {
		sender = "MAILER-DAEMON"
	}
	date := m.Date
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	w.w.WriteString("From ")
	w.w.WriteString(sender)
	w.w.WriteByte(' ')
	w.w.WriteString(date.UTC().Format(time.ANSIC))
	nonl := !bytes.HasSuffix(m.Raw, []byte("\n"))
	if nonl {
		w.w.WriteString(" " + noFinalNewline)
	}
	w.w.WriteByte('\n')
	for rest := m.Raw; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			w.w.WriteByte('>')
		}
		w.w.Write(line)
	}
	if nonl {
		w.w.WriteByte('\n')
	}
	_, err := w.w.WriteString("\n")
	if err != nil {
		return fmt.Errorf("mbox write: %w", err)
	}
	return nil
}

// Flush writes what is buffered.
func (w *MboxWriter) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("mbox write: %w", err)
	}
	return nil
}

func validSender(s string) bool {
	if s == "" || s == noFinalNewline {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}
