package imapsync

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/internal/testkit/fakenet"
	"postbode/localcache"
	"postbode/types"
)

// scriptFake is a fake IMAP server on 127.0.0.2 (mail.test) whose answers a test scripts. It
// greets, logs in and logs out by itself; every other command goes to answer, which returns false
// to end the session.
type scriptFake struct {
	srv    *fakenet.Server
	caps   string
	answer func(s *fakeSession, tag, cmd string) bool
}

// fakeSession is one client connection of a scriptFake.
type fakeSession struct {
	conn     net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	selected string
}

// send writes lines, each ended by CRLF, and flushes them.
func (s *fakeSession) send(lines ...string) bool {
	for _, l := range lines {
		s.w.WriteString(l + "\r\n")
	}
	return s.w.Flush() == nil
}

func startScripted(t *testing.T, caps string, answer func(s *fakeSession, tag, cmd string) bool) *scriptFake {
	t.Helper()
	f := &scriptFake{srv: fakenet.New(t), caps: caps, answer: answer}
	f.srv.Serve(f.serve)
	return f
}

func (f *scriptFake) port() int { return f.srv.Port() }

func (f *scriptFake) serve(c net.Conn) {
	s := &fakeSession{conn: c, r: bufio.NewReader(c), w: bufio.NewWriter(c)}
	if !s.send("* OK [CAPABILITY " + f.caps + "] fake ready") {
		return
	}
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		up := strings.ToUpper(cmd)
		switch {
		case strings.HasPrefix(up, "CAPABILITY"):
			s.send("* CAPABILITY "+f.caps, tag+" OK done")
		case strings.HasPrefix(up, "LOGIN"):
			s.send(tag + " OK [CAPABILITY " + f.caps + "] logged in")
		case strings.HasPrefix(up, "LOGOUT"):
			s.send("* BYE bye", tag+" OK done")
			return
		default:
			if !f.answer(s, tag, cmd) {
				return
			}
		}
	}
}

// mailboxArg returns the mailbox named by a command such as `SELECT "Projects"`, unquoted.
func mailboxArg(cmd string) string {
	_, rest, _ := strings.Cut(cmd, " ")
	if strings.HasPrefix(rest, `"`) {
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
				if i < len(rest) {
					b.WriteByte(rest[i])
				}
			case '"':
				return b.String()
			default:
				b.WriteByte(rest[i])
			}
		}
		return b.String()
	}
	name, _, _ := strings.Cut(rest, " ")
	return name
}

// serveOneMessage answers SELECT, SEARCH and FETCH for folders that hold one message (UID 1) each;
// a folder not in folders is refused. It returns false when it does not know the command.
func serveOneMessage(s *fakeSession, tag, cmd string, folders map[string]bool) bool {
	up := strings.ToUpper(cmd)
	ok := tag + " OK done"
	switch {
	case strings.HasPrefix(up, "SELECT"), strings.HasPrefix(up, "EXAMINE"):
		name := mailboxArg(cmd)
		if !folders[name] {
			s.selected = ""
			s.send(tag + " NO no such mailbox")
			return true
		}
		s.selected = name
		s.send("* 1 EXISTS", "* OK [UIDVALIDITY 7] v", "* OK [UIDNEXT 2] n", `* FLAGS (\Seen \Deleted)`,
			tag+" OK [READ-WRITE] selected")
	case strings.HasPrefix(up, "UID SEARCH"):
		s.send("* SEARCH 1", ok)
	case strings.HasPrefix(up, "UID FETCH") && strings.Contains(up, "HEADER.FIELDS"):
		section := up[strings.Index(up, "BODY.PEEK[")+len("BODY.PEEK") : strings.LastIndex(up, "]")+1]
		s.send(fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 1000 INTERNALDATE "01-Jan-2024 10:00:00 +0000" BODY%s {%d}`,
			section, len(fakeHeader)))
		s.w.WriteString(fakeHeader)
		s.send(")", ok)
	case strings.HasPrefix(up, "UID FETCH") && strings.Contains(up, "BODY.PEEK[]"):
		body := fakeHeader + "hi from " + s.selected + "\r\n"
		s.send(fmt.Sprintf("* 1 FETCH (UID 1 BODY[] {%d}\r\n%s)", len(body), body), ok)
	case strings.HasPrefix(up, "UID FETCH"):
		s.send(`* 1 FETCH (UID 1 FLAGS ())`, ok)
	case strings.HasPrefix(up, "NOOP"), strings.HasPrefix(up, "CLOSE"), strings.HasPrefix(up, "UNSELECT"):
		s.send(ok)
	default:
		return false
	}
	return true
}

// scriptedHarness is an engine pointed at a scripted fake over plain TCP, with short timeouts, that
// records its events.
func scriptedHarness(t *testing.T, f *scriptFake) (*Engine, *localcache.Cache, *testkit.Events) {
	t.Helper()
	rec := &testkit.Events{}
	e, cache := engineOnFake(t, f.port(), 2*time.Second, 5*time.Second, rec.Emit)
	return e, cache, rec
}

// engineOnFake is alice's engine, with a cache of its own, talking plain TCP to a fake server on
// 127.0.0.2:port (as mail.test) with the given read and command timeouts; emit may be nil.
func engineOnFake(t *testing.T, port int, ioTimeout, cmdTimeout time.Duration, emit func(types.Event)) (*Engine, *localcache.Cache) {
	t.Helper()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	acc := types.Account{Name: "alice", Kind: types.IMAP, Email: "alice@mail.test",
		Incoming: types.Server{Host: "mail.test", Port: port, Security: types.SecurityPlain, User: "alice"},
		IMAP:     types.IMAPPolicy{BodyWindowDays: -1}}
	o := defaultOptions()
	o.ioTimeout, o.cmdTimeout = ioTimeout, cmdTimeout
	o.minRate = 1 << 20
	o.dialContext = testkit.LoopbackDialer(map[string]string{"mail.test": "127.0.0.2"})
	e := newEngine(types.EngineDeps{Account: acc, Cache: cache, Emit: emit,
		Password: func() (string, error) { return "pw", nil }}, o)
	return e, cache
}
