package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit/fakenet"
	"postbode/types"
)

// fakeOpts scripts a fake IMAP, POP3 or SMTP server.
type fakeOpts struct {
	proto       types.Protocol
	implicit    bool             // TLS from the first byte
	cert        *tls.Certificate // nil: the good mail.test certificate
	maxVersion  uint16           // TLS maximum version, 0 = Go default
	noStartTLS  bool             // leave STARTTLS/STLS out of the capabilities
	greeting    string           // plaintext greeting line instead of the default
	refuse      string           // answer to STARTTLS/STLS; "{tag}" becomes the IMAP tag
	inject      string           // appended to the STARTTLS OK in the same write
	lateInject  string           // written 100 ms after the STARTTLS OK, before the handshake
	silentPlain bool             // say nothing at all before TLS
	silentTLS   bool             // say nothing once TLS is up
	raw         string           // written instead of the normal script, then only listen
	flood       string           // after raw, written again and again
}

// fakeServer is a scripted server on 127.0.0.2 that records every byte it received from clients,
// in clear before TLS and decrypted after it.
type fakeServer struct {
	*fakenet.Server
	opts fakeOpts
	cert tls.Certificate
}

func startFake(t *testing.T, o fakeOpts) *fakeServer {
	t.Helper()
	s := &fakeServer{opts: o, cert: getPKI(t).good}
	if o.cert != nil {
		s.cert = *o.cert
	}
	s.Server = fakenet.New(t)
	s.Serve(s.handle)
	return s
}

func (s *fakeServer) port() int { return s.Port() }

// config returns a Config that reaches this server under the name mail.test.
func (s *fakeServer) config(t *testing.T, sec types.Security) Config {
	return Config{
		Protocol:    s.opts.proto,
		Host:        "mail.test",
		Port:        s.port(),
		Security:    sec,
		ExtraRoots:  getPKI(t).roots,
		DialTimeout: 10 * time.Second,
		IOTimeout:   5 * time.Second,
		DialContext: testDialer(t),
	}
}

// testDialer maps mail.test to 127.0.0.2 and refuses any other name, so a
// test can never reach beyond loopback.
func testDialer(t *testing.T) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if host != "mail.test" {
			t.Errorf("dialed %q, want mail.test", addr)
			return nil, fmt.Errorf("test dialer: unknown host %q", host)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.2", port))
	}
}

func (s *fakeServer) record(b string) { s.Record(b) }

// session is one client connection on the fake server.
type session struct {
	s   *fakeServer
	raw net.Conn
	c   net.Conn // raw, or the TLS conn after the upgrade
	br  *bufio.Reader
}

func (ss *session) readLine() (string, error) {
	line, err := ss.br.ReadString('\n')
	ss.s.record(line)
	return strings.TrimRight(line, "\r\n"), err
}

func (ss *session) write(str string) bool {
	_, err := io.WriteString(ss.c, str)
	return err == nil
}

// drain records whatever the client still sends, until it hangs up.
func (ss *session) drain() {
	for {
		if _, err := ss.readLine(); err != nil {
			return
		}
	}
}

// bufferedConn lets the TLS server read bytes the line reader already buffered.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// upgrade performs the server side of the TLS handshake.
func (ss *session) upgrade() bool {
	o := ss.s.opts
	buffered, _ := ss.br.Peek(ss.br.Buffered())
	under := bufferedConn{Conn: ss.raw, r: io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), ss.raw)}
	cfg := &tls.Config{Certificates: []tls.Certificate{ss.s.cert}}
	if o.maxVersion != 0 {
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, o.maxVersion
	}
	tc := tls.Server(under, cfg)
	if err := tc.Handshake(); err != nil {
		// Keep listening in clear: a client that wrongly continued without
		// TLS would show up in the record.
		ss.c, ss.br = ss.raw, bufio.NewReader(ss.raw)
		ss.drain()
		return false
	}
	ss.c, ss.br = tc, bufio.NewReader(tc)
	return true
}

func (s *fakeServer) handle(raw net.Conn) {
	_ = raw.SetDeadline(time.Now().Add(20 * time.Second)) // never hang a test run
	ss := &session{s: s, raw: raw, c: raw, br: bufio.NewReader(raw)}
	o := s.opts
	switch {
	case o.raw != "":
		if ss.write(o.raw) {
			// Flood until the client hangs up or 1 MiB went out.
			for sent := 0; o.flood != "" && sent < 1<<20; sent += len(o.flood) {
				if !ss.write(o.flood) {
					break
				}
			}
		}
		ss.drain()
		return
	case o.silentPlain:
		ss.drain()
		return
	case o.implicit:
		if !ss.upgrade() {
			return
		}
		if o.silentTLS {
			ss.drain()
			return
		}
		ss.write(tlsGreeting[o.proto])
		ss.serveTLS()
		return
	}
	var upgraded bool
	switch o.proto {
	case types.IMAP:
		upgraded = ss.plainIMAP()
	case types.POP3:
		upgraded = ss.plainPOP3()
	default:
		upgraded = ss.plainSMTP()
	}
	if !upgraded {
		return
	}
	if o.silentTLS {
		ss.drain()
		return
	}
	ss.serveTLS()
}

var tlsGreeting = map[types.Protocol]string{
	types.IMAP: "* OK fake IMAP server ready\r\n",
	types.POP3: "+OK fake POP3 server ready\r\n",
	types.SMTP: "220 mail.test ESMTP fake server ready\r\n",
}

// okStartTLS answers STARTTLS positively (with any injection) and upgrades.
func (ss *session) okStartTLS(answer string) bool {
	o := ss.s.opts
	if !ss.write(answer + o.inject) {
		return false
	}
	if o.lateInject != "" {
		time.Sleep(100 * time.Millisecond)
		ss.write(o.lateInject)
	}
	return ss.upgrade()
}

func (ss *session) plainIMAP() bool {
	o := ss.s.opts
	greet := "* OK IMAP4rev1 fake server ready"
	if o.greeting != "" {
		greet = o.greeting
	}
	ss.write(greet + "\r\n")
	for {
		line, err := ss.readLine()
		if err != nil {
			return false
		}
		tag, cmd := imapSplit(line)
		switch cmd {
		case "CAPABILITY":
			caps := "IMAP4rev1 LOGINDISABLED"
			if !o.noStartTLS {
				caps += " STARTTLS"
			}
			ss.write("* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n")
		case "STARTTLS":
			if o.noStartTLS {
				ss.write(tag + " BAD unknown command\r\n")
				continue
			}
			if o.refuse != "" {
				ss.write(strings.ReplaceAll(o.refuse, "{tag}", tag) + "\r\n")
				continue
			}
			return ss.okStartTLS(tag + " OK Begin TLS negotiation now\r\n")
		case "LOGOUT":
			ss.write("* BYE\r\n" + tag + " OK LOGOUT completed\r\n")
			ss.drain()
			return false
		default:
			ss.write(tag + " NO not before TLS\r\n")
		}
	}
}

func (ss *session) plainPOP3() bool {
	o := ss.s.opts
	greet := "+OK fake POP3 server ready <1896.697170952@mail.test>"
	if o.greeting != "" {
		greet = o.greeting
	}
	ss.write(greet + "\r\n")
	for {
		line, err := ss.readLine()
		if err != nil {
			return false
		}
		switch strings.ToUpper(firstWord(line)) {
		case "CAPA":
			capa := "+OK Capability list follows\r\nUSER\r\nTOP\r\n"
			if !o.noStartTLS {
				capa += "STLS\r\n"
			}
			ss.write(capa + ".\r\n")
		case "STLS":
			if o.noStartTLS {
				ss.write("-ERR unknown command\r\n")
				continue
			}
			if o.refuse != "" {
				ss.write(o.refuse + "\r\n")
				continue
			}
			return ss.okStartTLS("+OK Begin TLS negotiation\r\n")
		case "QUIT":
			ss.write("+OK bye\r\n")
			ss.drain()
			return false
		default:
			ss.write("-ERR not before TLS\r\n")
		}
	}
}

func (ss *session) plainSMTP() bool {
	o := ss.s.opts
	greet := "220 mail.test ESMTP fake server ready"
	if o.greeting != "" {
		greet = o.greeting
	}
	ss.write(greet + "\r\n")
	for {
		line, err := ss.readLine()
		if err != nil {
			return false
		}
		switch strings.ToUpper(firstWord(line)) {
		case "EHLO":
			ehlo := "250-mail.test greets you\r\n250-PIPELINING\r\n"
			if !o.noStartTLS {
				ehlo += "250-STARTTLS\r\n"
			}
			ss.write(ehlo + "250 8BITMIME\r\n")
		case "STARTTLS":
			if o.noStartTLS {
				ss.write("502 5.5.1 unknown command\r\n")
				continue
			}
			if o.refuse != "" {
				ss.write(o.refuse + "\r\n")
				continue
			}
			return ss.okStartTLS("220 2.0.0 Ready to start TLS\r\n")
		case "QUIT":
			ss.write("221 2.0.0 bye\r\n")
			ss.drain()
			return false
		case "NOOP", "RSET":
			ss.write("250 2.0.0 OK\r\n")
		default:
			ss.write("530 5.7.0 Must issue a STARTTLS command first\r\n")
		}
	}
}

// serveTLS speaks the protocol once TLS is up; the capabilities differ from
// the plaintext ones so tests can tell which were used.
func (ss *session) serveTLS() {
	proto := ss.s.opts.proto
	for {
		line, err := ss.readLine()
		if err != nil {
			return
		}
		var reply string
		quit := false
		switch proto {
		case types.IMAP:
			tag, cmd := imapSplit(line)
			switch cmd {
			case "CAPABILITY":
				reply = "* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n" + tag + " OK CAPABILITY completed\r\n"
			case "NOOP":
				reply = tag + " OK NOOP completed\r\n"
			case "LOGIN":
				reply = tag + " OK LOGIN completed\r\n"
			case "LOGOUT":
				reply, quit = "* BYE logging out\r\n"+tag+" OK LOGOUT completed\r\n", true
			default:
				reply = tag + " BAD unknown command\r\n"
			}
		case types.POP3:
			switch strings.ToUpper(firstWord(line)) {
			case "CAPA":
				reply = "+OK\r\nUSER\r\nUIDL\r\nSASL PLAIN\r\n.\r\n"
			case "NOOP", "USER", "PASS":
				reply = "+OK\r\n"
			case "STAT":
				reply = "+OK 2 320\r\n"
			case "QUIT":
				reply, quit = "+OK bye\r\n", true
			default:
				reply = "-ERR unknown command\r\n"
			}
		default:
			switch strings.ToUpper(firstWord(line)) {
			case "EHLO":
				reply = "250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
			case "HELO", "NOOP", "RSET":
				reply = "250 2.0.0 OK\r\n"
			case "AUTH":
				reply = "235 2.7.0 Authentication successful\r\n"
			case "QUIT":
				reply, quit = "221 2.0.0 bye\r\n", true
			default:
				reply = "502 5.5.2 unknown command\r\n"
			}
		}
		if !ss.write(reply) || quit {
			ss.drain()
			return
		}
	}
}

func imapSplit(line string) (tag, cmd string) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "*", ""
	}
	return f[0], strings.ToUpper(f[1])
}

func firstWord(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
