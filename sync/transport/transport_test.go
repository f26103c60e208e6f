package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"postbode/types"
)

const password = "secret-password"

var protocols = []types.Protocol{types.IMAP, types.POP3, types.SMTP}

// engineStep plays an engine handed Dial's result: only with a connection
// does it go on and send credentials, as a real engine would.
func engineStep(proto types.Protocol, c *Conn, err error) {
	if err != nil || c == nil {
		return
	}
	defer c.Close()
	var login string
	switch proto {
	case types.IMAP:
		login = "a1 LOGIN user " + password + "\r\n"
	case types.POP3:
		login = "USER user\r\nPASS " + password + "\r\n"
	default:
		login = "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00user\x00"+password)) + "\r\n"
	}
	_, _ = c.Write([]byte(login))
}

// assertNoCredentials fails if the server received anything credential-like.
func assertNoCredentials(t *testing.T, recv string) {
	t.Helper()
	up := strings.ToUpper(recv)
	for _, w := range []string{"LOGIN", "AUTH", "USER", "PASS", strings.ToUpper(password)} {
		if strings.Contains(up, w) {
			t.Errorf("server received %q; everything it received:\n%q", w, recv)
		}
	}
}

type failCase struct {
	name       string
	opts       fakeOpts
	sec        types.Security
	pin        string
	noRoots    bool
	wantErr    error  // errors.Is target, or nil
	wantReason string // CertError.Reason, or ""
	wantText   string // substring of the error text, or ""
}

func failCases(t *testing.T) []failCase {
	p := getPKI(t)
	var cs []failCase
	refusals := map[types.Protocol][]string{
		types.IMAP: {"{tag} BAD STARTTLS not allowed now", "{tag} NO TLS unavailable"},
		types.POP3: {"-ERR TLS unavailable", "-ERR"},
		types.SMTP: {"454 4.7.0 TLS not available due to temporary reason", "554 5.5.1 no"},
	}
	badCerts := []struct {
		name   string
		cert   *tls.Certificate
		reason string
	}{
		{"expired", &p.expired, ReasonExpired},
		{"wrong-host", &p.wrongHost, ReasonWrongHost},
		{"unknown-ca", &p.unknownCA, ReasonUnknownAuthority},
		{"self-signed", &p.selfSigned, ReasonSelfSigned},
	}
	for _, proto := range protocols {
		pre := string(proto) + "/"
		cs = append(cs, failCase{name: pre + "starttls-missing", sec: types.SecurityStartTLS,
			opts: fakeOpts{proto: proto, noStartTLS: true}, wantErr: ErrStartTLSUnavailable})
		for i, r := range refusals[proto] {
			cs = append(cs, failCase{name: fmt.Sprintf("%sstarttls-refused-%d", pre, i), sec: types.SecurityStartTLS,
				opts: fakeOpts{proto: proto, refuse: r}, wantErr: ErrStartTLSRefused})
		}
		for _, sec := range []types.Security{types.SecurityTLS, types.SecurityStartTLS} {
			pre := pre + string(sec) + "/"
			for _, bc := range badCerts {
				cs = append(cs, failCase{name: pre + bc.name, sec: sec,
					opts:       fakeOpts{proto: proto, implicit: sec == types.SecurityTLS, cert: bc.cert},
					wantReason: bc.reason})
			}
			cs = append(cs,
				failCase{name: pre + "pin-mismatch", sec: sec, pin: sha(p.selfSigned),
					opts:       fakeOpts{proto: proto, implicit: sec == types.SecurityTLS},
					wantReason: ReasonPinMismatch},
				failCase{name: pre + "pinned-but-expired", sec: sec, pin: sha(p.expired), noRoots: true,
					opts:       fakeOpts{proto: proto, implicit: sec == types.SecurityTLS, cert: &p.expired},
					wantReason: ReasonExpired},
				failCase{name: pre + "no-extra-roots", sec: sec, noRoots: true,
					opts:       fakeOpts{proto: proto, implicit: sec == types.SecurityTLS},
					wantReason: ReasonUnknownAuthority},
				failCase{name: pre + "tls1.1-only", sec: sec,
					opts:     fakeOpts{proto: proto, implicit: sec == types.SecurityTLS, maxVersion: tls.VersionTLS11},
					wantText: "protocol version"},
			)
		}
	}
	cs = append(cs,
		failCase{name: "imap/preauth", sec: types.SecurityStartTLS,
			opts:    fakeOpts{proto: types.IMAP, greeting: "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as user"},
			wantErr: ErrPreauthOnStartTLS},
		failCase{name: "imap/bye-greeting", sec: types.SecurityStartTLS,
			opts: fakeOpts{proto: types.IMAP, greeting: "* BYE too busy"}, wantErr: ErrProtocol},
		failCase{name: "pop3/err-greeting", sec: types.SecurityStartTLS,
			opts: fakeOpts{proto: types.POP3, greeting: "-ERR go away"}, wantErr: ErrProtocol},
		failCase{name: "smtp/554-greeting", sec: types.SecurityStartTLS,
			opts: fakeOpts{proto: types.SMTP, greeting: "554 5.3.2 no service"}, wantErr: ErrProtocol},
	)
	return cs
}

// TestDialRefuses covers every way the policy must fail closed: the error
// is the documented one, the server saw one connection only (no plaintext
// retry) and never a credential byte.
func TestDialRefuses(t *testing.T) {
	for _, tc := range failCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, tc.opts)
			cfg := srv.config(t, tc.sec)
			cfg.PinSHA256 = tc.pin
			if tc.noRoots {
				cfg.ExtraRoots = nil
			}
			c, err := Dial(context.Background(), cfg)
			engineStep(tc.opts.proto, c, err)
			if err == nil {
				t.Fatal("Dial succeeded, want an error")
			}
			if c != nil {
				t.Error("Dial returned a connection along with its error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Dial error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantText != "" && !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Dial error = %v, want it to mention %q", err, tc.wantText)
			}
			if tc.wantReason != "" {
				checkCertError(t, err, tc.wantReason, srv.cert)
			}
			assertNoCredentials(t, srv.Finish(t))
			if n := srv.Conns(); n != 1 {
				t.Errorf("server saw %d connections, want 1 (no retry, no fallback)", n)
			}
		})
	}
}

func checkCertError(t *testing.T, err error, reason string, served tls.Certificate) {
	t.Helper()
	var ce *CertError
	if !errors.As(err, &ce) {
		t.Fatalf("Dial error = %v (%T), want a *CertError", err, err)
	}
	if ce.Reason != reason {
		t.Errorf("Reason = %q, want %q (%v)", ce.Reason, reason, err)
	}
	if ce.Host != "mail.test" || ce.SHA256 != sha(served) {
		t.Errorf("CertError host %q sha %s, want mail.test and %s", ce.Host, ce.SHA256, sha(served))
	}
	if ce.Subject == "" || ce.Issuer == "" || ce.NotAfter.IsZero() || ce.Unwrap() == nil {
		t.Errorf("CertError lacks details: %+v", ce)
	}
	msg := err.Error()
	if !strings.Contains(msg, "certificate for mail.test is not trusted") || !strings.Contains(msg, ce.SHA256) {
		t.Errorf("unclear message: %s", msg)
	}
	if reason == ReasonUnknownAuthority && !strings.Contains(msg, "signed by an unknown authority") {
		t.Errorf("message does not name the unknown authority: %s", msg)
	}
}

// TestCertErrorMessages pins the wording the UI shows.
func TestCertErrorMessages(t *testing.T) {
	base := CertError{Host: "mail.test", Subject: "CN=mail.test", Issuer: "CN=Rogue CA", SHA256: "ab12",
		NotBefore: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC),
		DNSNames: []string{"other.test"}}
	for reason, want := range map[string]string{
		ReasonUnknownAuthority: `certificate for mail.test is not trusted: signed by an unknown authority (subject "CN=mail.test", issuer "CN=Rogue CA", SHA-256 ab12)`,
		ReasonExpired:          "it expired on 2024-05-06",
		ReasonNotYetValid:      "it is not valid before 2030-01-02",
		ReasonWrongHost:        "it was issued for other.test",
		ReasonSelfSigned:       "it is self-signed",
		ReasonPinMismatch:      "not the certificate pinned for this account",
		ReasonInvalid:          "could not be verified: boom",
	} {
		e := base
		e.Reason, e.Err = reason, errors.New("boom")
		if got := e.Error(); !strings.Contains(got, want) {
			t.Errorf("%s: %q does not contain %q", reason, got, want)
		}
	}
}

// TestDialSecure covers the paths that must work, and what the caller reads
// first on each: the server's greeting, or the synthetic one after STARTTLS
// followed by real post-TLS traffic, never injected bytes.
func TestDialSecure(t *testing.T) {
	p := getPKI(t)
	synthetic := map[types.Protocol]string{
		types.IMAP: "* OK TLS established",
		types.POP3: "+OK TLS established",
		types.SMTP: "220 mail.test ESMTP TLS established",
	}
	injections := map[types.Protocol]string{
		types.IMAP: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\na1 OK LOGIN injected\r\n",
		types.POP3: "+OK injected\r\n+OK injected again\r\n",
		types.SMTP: "250-injected\r\n250 AUTH PLAIN injected\r\n",
	}
	noop := map[types.Protocol][2]string{
		types.IMAP: {"x1 NOOP", "x1 OK NOOP completed"},
		types.POP3: {"NOOP", "+OK"},
		types.SMTP: {"NOOP", "250 2.0.0 OK"},
	}
	plainNoop := map[types.Protocol]string{types.IMAP: "x1 NO not before TLS", types.POP3: "-ERR not before TLS", types.SMTP: "250 2.0.0 OK"}
	plainGreeting := map[types.Protocol]string{
		types.IMAP: "* OK IMAP4rev1 fake server ready",
		types.POP3: "+OK fake POP3 server ready <1896.697170952@mail.test>",
		types.SMTP: "220 mail.test ESMTP fake server ready",
	}
	type okCase struct {
		name      string
		opts      fakeOpts
		sec       types.Security
		pin       string
		noRoots   bool
		greeting  string
		noopReply string
	}
	var cs []okCase
	for _, proto := range protocols {
		pre := string(proto) + "/"
		tlsG := strings.TrimSuffix(tlsGreeting[proto], "\r\n")
		reply := noop[proto][1]
		cs = append(cs,
			okCase{pre + "implicit", fakeOpts{proto: proto, implicit: true}, types.SecurityTLS, "", false, tlsG, reply},
			okCase{pre + "default-security", fakeOpts{proto: proto, implicit: true}, "", "", false, tlsG, reply},
			okCase{pre + "starttls", fakeOpts{proto: proto}, types.SecurityStartTLS, "", false, synthetic[proto], reply},
			okCase{pre + "starttls-injection", fakeOpts{proto: proto, inject: injections[proto]}, types.SecurityStartTLS, "", false, synthetic[proto], reply},
			okCase{pre + "implicit-pinned-self-signed", fakeOpts{proto: proto, implicit: true, cert: &p.selfSigned},
				types.SecurityTLS, sha(p.selfSigned), true, tlsG, reply},
			okCase{pre + "starttls-pinned-self-signed", fakeOpts{proto: proto, cert: &p.selfSigned},
				types.SecurityStartTLS, strings.ToUpper(colonHex(sha(p.selfSigned))), true, synthetic[proto], reply},
			okCase{pre + "plain-chosen", fakeOpts{proto: proto}, types.SecurityPlain, "", false, plainGreeting[proto], plainNoop[proto]},
		)
	}
	for _, tc := range cs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, tc.opts)
			cfg := srv.config(t, tc.sec)
			cfg.PinSHA256 = tc.pin
			if tc.noRoots {
				cfg.ExtraRoots = nil
			}
			c, err := Dial(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			state, ok := c.TLSState()
			if tc.sec == types.SecurityPlain {
				if ok {
					t.Error("TLSState reports TLS on a plain connection")
				}
			} else if !ok || !state.HandshakeComplete || state.Version < tls.VersionTLS12 {
				t.Errorf("TLSState = ok %v, complete %v, version %x", ok, state.HandshakeComplete, state.Version)
			}
			br := bufio.NewReader(c)
			first, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading greeting: %v", err)
			}
			if first != tc.greeting+"\r\n" {
				t.Errorf("first line = %q, want %q", first, tc.greeting+"\r\n")
			}
			if _, err := c.Write([]byte(noop[tc.opts.proto][0] + "\r\n")); err != nil {
				t.Fatalf("write: %v", err)
			}
			second, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading NOOP answer: %v", err)
			}
			if second != tc.noopReply+"\r\n" {
				t.Errorf("second line = %q, want %q", second, tc.noopReply+"\r\n")
			}
			if strings.Contains(first+second, "injected") {
				t.Errorf("injected bytes reached the caller: %q %q", first, second)
			}
		})
	}
}

func colonHex(h string) string {
	var parts []string
	for i := 0; i+2 <= len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// TestLateInjection: bytes sent after the STARTTLS answer in a separate
// segment either arrive in time to be discarded, or break the handshake.
// Both are safe; what must never happen is the text reaching the caller.
func TestLateInjection(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, fakeOpts{proto: proto, lateInject: "* OK [CAPABILITY IMAP4rev1] injected\r\n"})
			c, err := Dial(context.Background(), srv.config(t, types.SecurityStartTLS))
			if err == nil {
				_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				buf := make([]byte, 256)
				n, _ := c.Read(buf)
				if strings.Contains(string(buf[:n]), "injected") {
					t.Errorf("injected bytes reached the caller: %q", buf[:n])
				}
				c.Close()
			}
			engineStep(proto, nil, err)
			recv := srv.Finish(t)
			if err != nil {
				assertNoCredentials(t, recv)
			}
		})
	}
}

// TestPlaintextLimits: a hostile server cannot balloon memory or stall the
// exchange before TLS.
func TestPlaintextLimits(t *testing.T) {
	long := strings.Repeat("A", 100<<10)
	cases := []struct {
		name        string
		opts        fakeOpts
		ioTimeout   time.Duration
		dialTimeout time.Duration
		wantErr     error
		maxTime     time.Duration
	}{
		{"imap/long-greeting", fakeOpts{proto: types.IMAP, raw: "* OK " + long}, 0, 0, ErrProtocol, 3 * time.Second},
		{"pop3/long-greeting", fakeOpts{proto: types.POP3, raw: "+OK " + long}, 0, 0, ErrProtocol, 3 * time.Second},
		{"smtp/long-greeting", fakeOpts{proto: types.SMTP, raw: "220 " + long}, 0, 0, ErrProtocol, 3 * time.Second},
		{"imap/flood", fakeOpts{proto: types.IMAP, raw: "* OK hi\r\n", flood: "* OK spam spam spam\r\n"}, 0, 0, ErrProtocol, 3 * time.Second},
		{"pop3/flood", fakeOpts{proto: types.POP3, raw: "+OK hi\r\n+OK caps\r\n", flood: "SPAM SPAM\r\n"}, 0, 0, ErrProtocol, 3 * time.Second},
		{"smtp/flood", fakeOpts{proto: types.SMTP, raw: "220 hi\r\n", flood: "250-SPAM SPAM\r\n"}, 0, 0, ErrProtocol, 3 * time.Second},
		{"imap/silent-io-timeout", fakeOpts{proto: types.IMAP, silentPlain: true}, 300 * time.Millisecond, 0, os.ErrDeadlineExceeded, 3 * time.Second},
		{"pop3/silent-io-timeout", fakeOpts{proto: types.POP3, silentPlain: true}, 300 * time.Millisecond, 0, os.ErrDeadlineExceeded, 3 * time.Second},
		{"smtp/silent-io-timeout", fakeOpts{proto: types.SMTP, silentPlain: true}, 300 * time.Millisecond, 0, os.ErrDeadlineExceeded, 3 * time.Second},
		{"imap/silent-dial-timeout", fakeOpts{proto: types.IMAP, silentPlain: true}, 10 * time.Second, 300 * time.Millisecond, context.DeadlineExceeded, 3 * time.Second},
		{"imap/silent-after-starttls-ok", fakeOpts{proto: types.IMAP, silentTLS: true, cert: nil}, 300 * time.Millisecond, 0, nil, 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, tc.opts)
			cfg := srv.config(t, types.SecurityStartTLS)
			if tc.ioTimeout > 0 {
				cfg.IOTimeout = tc.ioTimeout
			}
			if tc.dialTimeout > 0 {
				cfg.DialTimeout = tc.dialTimeout
			}
			start := time.Now()
			c, err := Dial(context.Background(), cfg)
			took := time.Since(start)
			engineStep(tc.opts.proto, c, err)
			if tc.opts.silentTLS {
				// The server answered STARTTLS and handshook; it is silent after.
				// Dial itself must succeed; silence is the caller's IO timeout.
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				srv.Finish(t)
				return
			}
			if err == nil {
				t.Fatal("Dial succeeded, want an error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Dial error = %v, want %v", err, tc.wantErr)
			}
			if took > tc.maxTime {
				t.Errorf("Dial took %v, want under %v", took, tc.maxTime)
			}
			if strings.Contains(err.Error(), "spam") || strings.Contains(err.Error(), "AAAA") {
				t.Errorf("server text leaked into the error: %.200s", err)
			}
			assertNoCredentials(t, srv.Finish(t))
		})
	}
}

// TestReadTimeout: a Read on a silent server ends after IOTimeout.
func TestReadTimeout(t *testing.T) {
	for _, sec := range []types.Security{types.SecurityTLS, types.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, fakeOpts{proto: types.IMAP, implicit: sec == types.SecurityTLS, silentTLS: true})
			cfg := srv.config(t, sec)
			cfg.IOTimeout = 300 * time.Millisecond
			c, err := Dial(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			if sec == types.SecurityStartTLS { // consume the synthetic greeting first
				if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
					t.Fatalf("synthetic greeting: %v", err)
				}
			}
			start := time.Now()
			_, err = c.Read(make([]byte, 64))
			took := time.Since(start)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Read error = %v, want a deadline error", err)
			}
			if took < 250*time.Millisecond || took > 3*time.Second {
				t.Errorf("Read timed out after %v, want about 300ms", took)
			}
		})
	}
}

// TestSetIOTimeoutPendingRead: changing the timeout affects a Read that is
// already waiting (the IMAP reader goroutine always is), and a caller
// deadline still interrupts a Read with a long IO timeout.
func TestSetIOTimeoutPendingRead(t *testing.T) {
	srv := startFake(t, fakeOpts{proto: types.IMAP, implicit: true, silentTLS: true})
	cfg := srv.config(t, types.SecurityTLS)
	cfg.IOTimeout = 30 * time.Second
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := c.Read(make([]byte, 64))
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	c.SetIOTimeout(100 * time.Millisecond)
	if got := c.IOTimeout(); got != 100*time.Millisecond {
		t.Errorf("IOTimeout() = %v", got)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read error = %v, want a deadline error", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("pending Read ended after %v", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pending Read ignored SetIOTimeout")
	}

	c.SetIOTimeout(30 * time.Second)
	if err := c.SetReadDeadline(time.Now().Add(150 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := c.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read error = %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("caller deadline ignored: Read took %v", took)
	}
}

// TestDialContextCancel: cancelling the context ends a Dial stuck on a
// silent server.
func TestDialContextCancel(t *testing.T) {
	srv := startFake(t, fakeOpts{proto: types.SMTP, silentPlain: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := Dial(ctx, srv.config(t, types.SecurityStartTLS))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial error = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Dial returned %v after cancel", took)
	}
	assertNoCredentials(t, srv.Finish(t))
}

func TestProbe(t *testing.T) {
	wantCaps := map[types.Protocol]string{
		types.IMAP: "IMAP4rev1 AUTH=PLAIN IDLE",
		types.POP3: "USER|UIDL|SASL PLAIN",
		types.SMTP: "AUTH PLAIN LOGIN|8BITMIME",
	}
	wantGreeting := map[types.Protocol][2]string{ // implicit, starttls
		types.IMAP: {"* OK fake IMAP server ready", "* OK TLS established"},
		types.POP3: {"+OK fake POP3 server ready", "+OK TLS established"},
		types.SMTP: {"220 mail.test ESMTP fake server ready", "220 mail.test ESMTP TLS established"},
	}
	for _, proto := range protocols {
		for i, sec := range []types.Security{types.SecurityTLS, types.SecurityStartTLS} {
			t.Run(string(proto)+"/"+string(sec), func(t *testing.T) {
				t.Parallel()
				srv := startFake(t, fakeOpts{proto: proto, implicit: sec == types.SecurityTLS})
				res, err := Probe(context.Background(), srv.config(t, sec))
				if err != nil {
					t.Fatalf("Probe: %v", err)
				}
				sep := "|"
				if proto == types.IMAP {
					sep = " "
				}
				// Post-TLS capabilities only: the plaintext ones (STARTTLS,
				// LOGINDISABLED, PIPELINING, TOP) must not show up.
				if got := strings.Join(res.Capabilities, sep); got != wantCaps[proto] {
					t.Errorf("Capabilities = %q, want %q", got, wantCaps[proto])
				}
				if res.Greeting != wantGreeting[proto][i] {
					t.Errorf("Greeting = %q, want %q", res.Greeting, wantGreeting[proto][i])
				}
				if !res.TLS.HandshakeComplete || res.TLS.Version < tls.VersionTLS12 {
					t.Errorf("TLS state not reported: %+v", res.TLS)
				}
				assertNoCredentials(t, srv.Finish(t))
			})
		}
	}
	t.Run("bad-certificate", func(t *testing.T) {
		p := getPKI(t)
		srv := startFake(t, fakeOpts{proto: types.IMAP, implicit: true, cert: &p.selfSigned})
		_, err := Probe(context.Background(), srv.config(t, types.SecurityTLS))
		checkCertError(t, err, ReasonSelfSigned, p.selfSigned)
		assertNoCredentials(t, srv.Finish(t))
		if n := srv.Conns(); n != 1 {
			t.Errorf("probe made %d connections, want 1", n)
		}
	})
}

func TestConfigValidation(t *testing.T) {
	ok := Config{Protocol: types.IMAP, Host: "mail.test"}
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"unknown protocol", func(c *Config) { c.Protocol = "nntp" }},
		{"unknown security", func(c *Config) { c.Security = "opportunistic" }},
		{"empty host", func(c *Config) { c.Host = "" }},
		{"host with CRLF", func(c *Config) { c.Host = "mail.test\r\nQUIT" }},
		{"host with space", func(c *Config) { c.Host = "mail test" }},
		{"port out of range", func(c *Config) { c.Port = 70000 }},
		{"bad pin", func(c *Config) { c.PinSHA256 = "zz" }},
		{"short pin", func(c *Config) { c.PinSHA256 = "abcd" }},
		{"local name with CRLF", func(c *Config) { c.LocalName = "x\r\nAUTH PLAIN" }},
	}
	for _, tc := range cases {
		cfg := ok
		tc.mod(&cfg)
		if _, err := cfg.withDefaults(); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
		if _, err := Dial(context.Background(), cfg); err == nil {
			t.Errorf("%s: Dial accepted", tc.name)
		}
	}

	got, err := ok.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.Security != types.SecurityTLS || got.Port != 993 || got.DialTimeout != DefaultDialTimeout ||
		got.IOTimeout != DefaultIOTimeout || got.LocalName != "localhost" {
		t.Errorf("defaults = %+v", got)
	}
	pinned := ok
	pinned.PinSHA256 = strings.ToUpper(colonHex(strings.Repeat("ab", 32)))
	if got, err := pinned.withDefaults(); err != nil || got.PinSHA256 != strings.Repeat("ab", 32) {
		t.Errorf("pin normalisation: %q, %v", got.PinSHA256, err)
	}
}
