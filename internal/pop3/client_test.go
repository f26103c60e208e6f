package pop3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/internal/testkit/pop3test"
)

var tricky = []pop3test.Message{
	{UIDL: "u1", Data: []byte("Subject: one\r\n\r\nhello\r\n")},
	{UIDL: "u2", Data: []byte("Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n" + strings.Repeat("L", 70_000) + "\r\n.end\r\n")},
	{UIDL: "u3", Data: []byte("Subject: bare\n\nlf only\n.dot\n")},
}

func dial(t *testing.T, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestSessionAgainstFake(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{Greeting: "+OK hi\x1b[31m there"}, tricky...)
	c := dial(t, s.Addr)
	if c.Greeting() != "hi[31m there" {
		t.Errorf("greeting %q: control characters must be dropped", c.Greeting())
	}
	caps, err := c.Capabilities(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !HasCapability(caps, "uidl") || !HasCapability(caps, "USER") || HasCapability(caps, "STLS") {
		t.Errorf("caps %q", caps)
	}
	if err := c.Login(ctx(t), "alice", "wrong"); err == nil {
		t.Fatal("wrong password accepted")
	} else {
		var se *ServerError
		if !errors.As(err, &se) || se.Cmd != "PASS" || !strings.Contains(se.Text, "Authentication failed") {
			t.Fatalf("wrong password: %#v", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("error %q repeats the password", err)
		}
	}
	if err := c.Login(ctx(t), "alice", "alice-secret-pw"); err != nil {
		t.Fatalf("a -ERR must leave the session usable: %v", err)
	}
	n, size, err := c.Stat(ctx(t))
	want := 0
	for _, m := range tricky {
		want += len(m.Data)
	}
	if err != nil || n != 3 || size != int64(want) {
		t.Fatalf("stat %d %d %v", n, size, err)
	}
	list, err := c.List(ctx(t))
	if err != nil || len(list) != 3 || list[1].Num != 2 || list[1].Size != int64(len(tricky[1].Data)) {
		t.Fatalf("list %+v %v", list, err)
	}
	uidls, err := c.UIDL(ctx(t))
	if err != nil || len(uidls) != 3 || uidls[2].UIDL != "u3" {
		t.Fatalf("uidl %+v %v", uidls, err)
	}
	for i, m := range tricky {
		got, err := c.Retr(ctx(t), i+1, list[i].Size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, m.Data) {
			t.Errorf("message %d not byte-identical:\n got %q\nwant %q", i+1, clipBytes(got), clipBytes(m.Data))
		}
	}
	if _, err := c.Retr(ctx(t), 9, 0); err == nil {
		t.Error("RETR of a missing message succeeded")
	}
	if err := c.Dele(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if left := s.Messages(); len(left) != 2 || left[0].UIDL != "u2" {
		t.Fatalf("after DELE 1 and QUIT: %+v", left)
	}
}

func TestCloseWithoutQuitDeletesNothing(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{}, tricky...)
	c := dial(t, s.Addr)
	if err := c.Login(ctx(t), "alice", "alice-secret-pw"); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if err := c.Dele(ctx(t), n); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	waitSessions(t, s, 1)
	if len(s.Messages()) != 3 {
		t.Fatal("messages were deleted without QUIT")
	}
	c = dial(t, s.Addr)
	c.Login(ctx(t), "alice", "alice-secret-pw")
	c.Dele(ctx(t), 2)
	c.Rset(ctx(t))
	if err := c.Quit(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, s, 2)
	if len(s.Messages()) != 3 {
		t.Fatal("RSET did not undo DELE")
	}
}

// waitSessions waits until the fake has finished n sessions (it serves one at a time, so a
// new dial succeeding means the earlier one ended).
func waitSessions(t *testing.T, s *pop3test.Server, n int) {
	t.Helper()
	for i := 0; i < 200 && s.Sessions() < n; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(conn).ReadString('\n') // the greeting: earlier sessions are over
	conn.Close()
}

func TestAuthPlain(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{NoUSER: true, SASLPlain: true})
	c := dial(t, s.Addr)
	caps, _ := c.Capabilities(ctx(t))
	if HasCapability(caps, "USER") || !HasSASL(caps, "plain") {
		t.Fatalf("caps %q", caps)
	}
	if err := c.Login(ctx(t), "alice", "alice-secret-pw"); err == nil {
		t.Fatal("USER accepted by a server without USER")
	}
	if err := c.AuthPlain(ctx(t), "alice", "bad"); err == nil {
		t.Fatal("bad password accepted")
	}
	if err := c.AuthPlain(ctx(t), "alice", "alice-secret-pw"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Stat(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestArgumentsCannotInjectCommands(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{})
	c := dial(t, s.Addr)
	if err := c.Login(ctx(t), "alice", "pw\r\nDELE 1"); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("got %v", err)
	}
	if err := c.Login(ctx(t), "alice\nx", "pw"); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("got %v", err)
	}
	if err := c.AuthPlain(ctx(t), "alice\x00bob", "pw"); !errors.Is(err, ErrBadArgument) {
		t.Fatalf("got %v", err)
	}
	for _, cmd := range s.Commands() {
		if strings.HasPrefix(cmd, "USER") || strings.HasPrefix(cmd, "DELE") || strings.HasPrefix(cmd, "AUTH") {
			t.Fatalf("sent %q", cmd)
		}
	}
}

func TestDisconnectMidRetr(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{DropAfterRetr: 1}, tricky...)
	c := dial(t, s.Addr)
	c.Login(ctx(t), "alice", "alice-secret-pw")
	got, err := c.Retr(ctx(t), 2, 0)
	if err == nil || got != nil {
		t.Fatalf("half a message returned: %d bytes, %v", len(got), err)
	}
	if err := c.Noop(ctx(t)); err == nil {
		t.Fatal("session still usable after a broken RETR")
	}
}

func TestMessageLimit(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{}, tricky...)
	c := dial(t, s.Addr)
	c.MaxMessageBytes = 1000
	c.Login(ctx(t), "alice", "alice-secret-pw")
	if _, err := c.Retr(ctx(t), 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retr(ctx(t), 2, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if err := c.Noop(ctx(t)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("session must stay broken after a cut RETR, got %v", err)
	}
}

// scripted is a hostile server: it sends greeting, then answers the i-th command with
// answers[i] verbatim (no line end added), then stays silent.
func scripted(t *testing.T, greeting string, answers ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		go func() { <-done; conn.Close() }()
		conn.Write([]byte(greeting))
		r := bufio.NewReader(conn)
		for _, a := range answers {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			conn.Write([]byte(a))
		}
		<-done
	}()
	return ln.Addr().String()
}

func TestHostileAnswers(t *testing.T) {
	cases := []struct {
		name   string
		answer string
		call   func(context.Context, *Client) error
		want   error
	}{
		{"empty status line", "\r\n", func(ctx context.Context, c *Client) error { return c.Noop(ctx) }, ErrProtocol},
		{"not a status", "hello\r\n", func(ctx context.Context, c *Client) error { return c.Dele(ctx, 1) }, ErrProtocol},
		{"status too long", "+OK " + strings.Repeat("a", 10_000) + "\r\n", func(ctx context.Context, c *Client) error { return c.Noop(ctx) }, ErrProtocol},
		{"stat without numbers", "+OK\r\n", func(ctx context.Context, c *Client) error { _, _, err := c.Stat(ctx); return err }, ErrProtocol},
		{"stat garbage", "+OK x y\r\n", func(ctx context.Context, c *Client) error { _, _, err := c.Stat(ctx); return err }, ErrProtocol},
		{"list line too long", "+OK\r\n1 " + strings.Repeat("9", 70_000) + "\r\n.\r\n", func(ctx context.Context, c *Client) error { _, err := c.List(ctx); return err }, ErrProtocol},
		{"retr never terminated", "+OK\r\nabc\r\n", func(ctx context.Context, c *Client) error { _, err := c.Retr(ctx, 1, 0); return err }, context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := scripted(t, "+OK hi\r\n", tc.answer)
			c := dial(t, addr)
			short, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			if err := tc.call(short, c); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err := c.Noop(short); err == nil {
				t.Fatal("session still usable after a broken answer")
			}
		})
	}
}

func TestMalformedListingsAreDropped(t *testing.T) {
	addr := scripted(t, "+OK\r\n",
		"+OK\r\n1 100\r\nx 5\r\n2\r\n3 -1\r\n4 40 extra\r\n.\r\n",
		"+OK\r\n1 abc\r\n2\r\n3 has space\r\n4 "+strings.Repeat("u", 71)+"\r\n5 ok\x01\r\n6 fine\r\n.\r\n")
	c := dial(t, addr)
	list, err := c.List(ctx(t))
	if err != nil || len(list) != 2 || list[0] != (Entry{Num: 1, Size: 100}) || list[1] != (Entry{Num: 4, Size: 40}) {
		t.Fatalf("list %+v %v", list, err)
	}
	uidls, err := c.UIDL(ctx(t))
	if err != nil || len(uidls) != 2 || uidls[0].UIDL != "abc" || uidls[1].UIDL != "fine" {
		t.Fatalf("uidl %+v %v", uidls, err)
	}
}

func TestContextInterruptsSilentServer(t *testing.T) {
	addr := scripted(t, "+OK\r\n") // answers nothing
	c := dial(t, addr)
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Noop(short)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestGreetingMustBeOK(t *testing.T) {
	for _, g := range []string{"-ERR go away\r\n", "\r\n", "* OK imap\r\n"} {
		addr := scripted(t, g)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(ctx(t), conn); err == nil {
			t.Errorf("greeting %q accepted", g)
		}
	}
}

func TestRetrEachPipelinesAndStaysInStep(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	serverErr := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			serverErr <- err
			return
		}
		defer conn.Close()
		conn.Write([]byte("+OK hi\r\n"))
		r := bufio.NewReader(conn)
		// Nothing is answered before all three commands are in: a client that waits for each
		// answer would hang here.
		for i := 1; i <= 3; i++ {
			l, err := r.ReadString('\n')
			if err != nil || l != fmt.Sprintf("RETR %d\r\n", i) {
				serverErr <- fmt.Errorf("command %d: %q, %v", i, l, err)
				return
			}
		}
		conn.Write([]byte("+OK\r\n..dot\r\n.\r\n-ERR in use\r\n+OK\r\nthird\r\n.\r\n"))
		if l, err := r.ReadString('\n'); err != nil || l != "NOOP\r\n" {
			serverErr <- fmt.Errorf("after the messages: %q, %v", l, err)
			return
		}
		conn.Write([]byte("+OK\r\n"))
		serverErr <- nil
	}()
	c := dial(t, ln.Addr().String())
	short, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	err = c.RetrEach(short, []RetrRequest{{Num: 1}, {Num: 2}, {Num: 3}}, 3, func(i int, raw []byte, err error) {
		var se *ServerError
		switch {
		case errors.As(err, &se):
			got = append(got, fmt.Sprintf("%d refused", i))
		case err != nil:
			got = append(got, fmt.Sprintf("%d %v", i, err))
		default:
			got = append(got, fmt.Sprintf("%d %q", i, raw))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`0 ".dot\r\n"`, "1 refused", `2 "third\r\n"`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if err := c.Noop(short); err != nil {
		t.Fatalf("session out of step after pipelined RETRs: %v", err)
	}
	if err := <-serverErr; err != nil {
		t.Fatal(err)
	}
}
