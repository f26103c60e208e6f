package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"postbode/sync/transport"
	"postbode/types"
)

// popClient speaks raw POP3 so that the test sees the exact bytes on the wire.
type popClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialPOP3(t *testing.T, d *Demo) *popClient {
	t.Helper()
	cfg, err := transport.ForServer(account(t, d, POP3AccountName).Incoming, types.POP3)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := transport.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("transport dial with the account's CA file: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &popClient{t: t, conn: conn, r: bufio.NewReader(conn)}
	if g := p.line(); !strings.HasPrefix(g, "+OK") {
		t.Fatalf("greeting %q", g)
	}
	return p
}

func (p *popClient) line() string {
	p.t.Helper()
	s, err := p.r.ReadString('\n')
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	if !strings.HasSuffix(s, "\r\n") {
		p.t.Fatalf("line without CRLF: %q", s)
	}
	return strings.TrimSuffix(s, "\r\n")
}

// cmd sends a command and returns the status line, failing unless it starts with want.
func (p *popClient) cmd(want, format string, args ...any) string {
	p.t.Helper()
	fmt.Fprintf(p.conn, format+"\r\n", args...)
	s := p.line()
	if !strings.HasPrefix(s, want) {
		p.t.Fatalf("%s: got %q, want %s", strings.Fields(format)[0], s, want)
	}
	return s
}

// multi reads a multi-line answer up to the terminating "." and returns the raw (still stuffed)
// lines.
func (p *popClient) multi() []string {
	p.t.Helper()
	var lines []string
	for {
		s := p.line()
		if s == "." {
			return lines
		}
		lines = append(lines, s)
	}
}

func unstuff(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.TrimPrefix(l, "."))
		b.WriteString("\r\n")
	}
	return b.String()
}

func (p *popClient) login(d *Demo) {
	p.t.Helper()
	p.cmd("+OK", "USER %s", POP3User)
	p.cmd("+OK", "PASS %s", d.Passwords[POP3AccountName])
}

func TestPOP3Session(t *testing.T) {
	d := startDemo(t, -1)
	tricky := "From: a@mail.test\r\nTo: pop@postbode.test\r\nSubject: dots\r\n\r\n" +
		"first\r\n.\r\n..two\r\n.leading dot\r\n\r\nlast line without newline"
	if err := d.Deliver(POP3User, []byte(tricky)); err != nil {
		t.Fatal(err)
	}
	n := d.seeded[popFolder] + 1

	p := dialPOP3(t, d)
	p.cmd("+OK", "CAPA")
	if capa := strings.Join(p.multi(), " "); !strings.Contains(capa, "UIDL") || !strings.Contains(capa, "USER") || !strings.Contains(capa, "SASL PLAIN") || strings.Contains(capa, "STLS") {
		t.Fatalf("CAPA = %q", capa)
	}
	p.cmd("-ERR", "STAT")
	p.cmd("+OK", "USER %s", POP3User)
	p.cmd("-ERR [AUTH]", "PASS wrong-password")
	p.login(d)

	stat := p.cmd("+OK", "STAT")
	var count, size int
	fmt.Sscanf(stat, "+OK %d %d", &count, &size)
	if count != n || size < 1000 {
		t.Fatalf("STAT = %q, want %d messages", stat, n)
	}
	p.cmd("+OK", "UIDL")
	uidls := p.multi()
	if len(uidls) != n {
		t.Fatalf("UIDL listed %d", len(uidls))
	}
	seen := map[string]bool{}
	for _, l := range uidls {
		f := strings.Fields(l)
		if len(f) != 2 || seen[f[1]] {
			t.Fatalf("bad or duplicate UIDL line %q", l)
		}
		seen[f[1]] = true
	}
	p.cmd("+OK", "LIST")
	if list := p.multi(); len(list) != n {
		t.Fatalf("LIST listed %d", len(list))
	}
	p.cmd("+OK "+strings.Fields(uidls[n-1])[0], "UIDL %d", n)

	// Dot-stuffing on the wire, and the exact message after undoing it.
	resp := p.cmd("+OK", "RETR %d", n)
	lines := p.multi()
	for _, want := range []string{"..", "...two", "..leading dot"} {
		if !containsLine(lines, want) {
			t.Errorf("stuffed line %q not on the wire: %q", want, lines)
		}
	}
	want := strings.ReplaceAll(tricky, "newline", "newline\r\n")
	if got := unstuff(lines); got != want {
		t.Fatalf("RETR round trip:\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(resp, fmt.Sprintf("%d octets", len(want))) {
		t.Fatalf("RETR answer %q, message is %d octets", resp, len(want))
	}
	// A seeded message whose lines start with dots.
	var found bool
	for i := 1; i < n; i++ {
		p.cmd("+OK", "RETR %d", i)
		text := unstuff(p.multi())
		if strings.Contains(text, "Subject: Mijn fiets maakt een raar geluid") {
			found = strings.Contains(text, "\r\n...tik...tik...tik, bij") && strings.Contains(text, "\r\n.\r\n(ps:")
		}
	}
	if !found {
		t.Fatal("the seeded message with leading dots did not survive RETR")
	}

	p.cmd("+OK", "TOP %d 1", n)
	if top := unstuff(p.multi()); !strings.HasSuffix(top, "Subject: dots\r\n\r\nfirst\r\n") {
		t.Fatalf("TOP = %q", top)
	}
	p.cmd("+OK", "NOOP")
	p.cmd("-ERR", "RETR %d", n+1)
	p.cmd("-ERR", "RETR 0")
	p.cmd("-ERR", "FROB")

	// A second session while this one holds the maildrop.
	other := dialPOP3(t, d)
	other.cmd("+OK", "USER %s", POP3User)
	other.cmd("-ERR [IN-USE]", "PASS %s", d.Passwords[POP3AccountName])

	// DELE, RSET undoes it, DELE again and QUIT commits.
	p.cmd("+OK", "DELE 1")
	p.cmd("-ERR", "RETR 1")
	p.cmd("+OK", "RSET")
	p.cmd("+OK", "RETR 1")
	p.multi()
	p.cmd("+OK", "DELE 1")
	p.cmd("+OK", "DELE 2")
	if s := p.cmd("+OK", "STAT"); !strings.HasPrefix(s, fmt.Sprintf("+OK %d ", n-2)) {
		t.Fatalf("STAT after DELE = %q", s)
	}
	p.cmd("+OK", "QUIT")
	if got := d.drop.len(); got != n-2 {
		t.Fatalf("maildrop holds %d after QUIT, want %d", got, n-2)
	}

	// A lost connection deletes nothing and releases the lock.
	q := dialPOP3(t, d)
	q.login(d)
	q.cmd("+OK", "DELE 1")
	q.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := dialPOP3(t, d)
		r.cmd("+OK", "USER %s", POP3User)
		fmt.Fprintf(r.conn, "PASS %s\r\n", d.Passwords[POP3AccountName])
		if s := r.line(); strings.HasPrefix(s, "+OK") {
			if s := r.cmd("+OK", "STAT"); !strings.HasPrefix(s, fmt.Sprintf("+OK %d ", n-2)) {
				t.Fatalf("after a lost connection STAT = %q", s)
			}
			r.cmd("+OK", "QUIT")
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("maildrop still locked after the connection was lost")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// AUTH PLAIN (RFC 5034), with the credentials on a continuation line.
	a := dialPOP3(t, d)
	a.cmd("-ERR [AUTH]", "AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00"+POP3User+"\x00wrong")))
	a.cmd("+ ", "AUTH PLAIN")
	a.cmd("+OK", "%s", base64.StdEncoding.EncodeToString([]byte("\x00"+POP3User+"\x00"+d.Passwords[POP3AccountName])))
	a.cmd("+OK", "QUIT")

	// An overlong line is refused and skipped; an endless one ends the session.
	long := dialPOP3(t, d)
	long.cmd("-ERR line too long", "USER %s", strings.Repeat("x", 4096))
	long.cmd("+OK", "USER %s", POP3User)
	go func() {
		chunk := []byte(strings.Repeat("y", 8192))
		for range 16 {
			if _, err := long.conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	long.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := long.r.ReadString('\n'); err == nil {
		t.Fatal("connection stays open during an endless line")
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestDotStuffAndTop(t *testing.T) {
	in := []byte("a\r\n.\r\n.b\r\nc\r\n")
	if got := string(dotStuff(in)); got != "a\r\n..\r\n..b\r\nc\r\n" {
		t.Fatalf("dotStuff = %q", got)
	}
	if got := string(toCRLF([]byte("a\nb\r\nc"))); got != "a\r\nb\r\nc\r\n" {
		t.Fatalf("toCRLF = %q", got)
	}
	msg := []byte("H: 1\r\n\r\nl1\r\nl2\r\n")
	if got := string(top(msg, 0)); got != "H: 1\r\n\r\n" {
		t.Fatalf("top 0 = %q", got)
	}
	if got := string(top(msg, 9)); !bytes.Equal([]byte(got), msg) {
		t.Fatalf("top 9 = %q", got)
	}
}
