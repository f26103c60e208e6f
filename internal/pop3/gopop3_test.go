package pop3

import (
	"bytes"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	gopop3 "github.com/knadh/go-pop3"

	"postbode/internal/testkit/pop3test"
)

// These tests pin down the behaviour of go-pop3 v1.0.0 that decided which commands this
// package implements itself. If one fails after an upgrade, revisit the split in client.go.

func libConn(t *testing.T, addr string) *gopop3.Conn {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	c, err := gopop3.New(gopop3.Opt{Host: host, Port: p}).NewConn()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGoPOP3RetrRawIsNotByteExact(t *testing.T) {
	long := strings.Repeat("L", 5000)
	msg := []byte("Subject: x\r\n\r\n.leading\r\n" + long + "\r\n")
	s := pop3test.StartT(t, pop3test.Options{}, pop3test.Message{UIDL: "a", Data: msg})
	c := libConn(t, s.Addr)
	defer c.Quit()
	if err := c.Auth("alice", "alice-secret-pw"); err != nil {
		t.Fatal(err)
	}
	buf, err := c.RetrRaw(1)
	if err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if !bytes.Contains(got, []byte("\r\n..leading\r\n")) {
		t.Error("go-pop3 now undoes dot-stuffing")
	}
	if bytes.Contains(got, []byte(long)) || !bytes.Contains(bytes.ReplaceAll(got, []byte("\r\n"), nil), []byte(long)) {
		t.Error("go-pop3 no longer splits lines longer than its 4096-byte buffer")
	}
	if bytes.Equal(got, msg) {
		t.Error("go-pop3 RetrRaw is byte-exact now")
	}
}

func TestGoPOP3AcceptsEmptyLineAsOK(t *testing.T) {
	addr := scripted(t, "+OK\r\n", "\r\n")
	c := libConn(t, addr)
	if err := c.Noop(); err != nil {
		t.Errorf("go-pop3 now rejects an empty status line: %v", err)
	}
}

func TestGoPOP3StatPanicsOnShortAnswer(t *testing.T) {
	addr := scripted(t, "+OK\r\n", "+OK\r\n")
	c := libConn(t, addr)
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		c.Stat()
		return false
	}()
	if !panicked {
		t.Error("go-pop3 Stat no longer panics on \"+OK\" without numbers")
	}
}

func TestGoPOP3HasNoIOTimeoutOrSTLS(t *testing.T) {
	done := make(chan error, 1)
	// Registered first so it runs last, after scripted's cleanup closed the connection.
	t.Cleanup(func() { <-done })
	addr := scripted(t, "+OK\r\n") // then silent
	c := libConn(t, addr)
	go func() { done <- c.Noop() }()
	select {
	case err := <-done:
		t.Fatalf("go-pop3 returned from a silent server: %v", err)
	case <-time.After(300 * time.Millisecond):
		// still blocked: it sets no read deadline; scripted's cleanup closes the connection.
	}
	for _, name := range []string{"Stls", "STLS", "StartTLS", "Starttls"} {
		if _, ok := reflect.TypeOf(c).MethodByName(name); ok {
			t.Errorf("go-pop3 has %s now", name)
		}
	}
}
