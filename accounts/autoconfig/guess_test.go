package autoconfig

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
	"postbode/sync/transport"
	"postbode/types"
)

// dovecotDialer maps every name under domain to the test-bed Dovecot by
// the standard port asked for; other ports and names are refused.
func dovecotDialer(d *testbed.Dovecot, domain string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	ports := map[string]int{"993": d.IMAPSPort, "995": d.POP3SPort, "143": d.IMAPPort, "110": d.POP3Port}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		p, ok := ports[port]
		if !ok || (host != domain && !strings.HasSuffix(host, "."+domain)) {
			return refuseDial(ctx, network, addr)
		}
		var dialer net.Dialer
		return dialer.DialContext(ctx, network, net.JoinHostPort(d.Host, strconv.Itoa(p)))
	}
}

func TestGuessFindsDovecot(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	srv := newISPDB(t, nil)
	rp := &recordingProbe{}
	opts := baseOptions(srv)
	opts.DialContext = dovecotDialer(d, d.ServerName)
	opts.ExtraRoots = d.CertPool
	opts.Probe = rp.probe
	opts.PerSourceTimeout = 5 * time.Second

	start := time.Now()
	res := mustDiscover(t, "alice@"+d.ServerName, opts)
	t.Logf("guessing took %v, %d probes", time.Since(start), len(rp.configs()))
	if len(res) != 1 || res[0].Source != "guessed and probed" {
		t.Fatalf("got %+v", res)
	}
	// imap.mail.test and mail.mail.test answer too, but with a certificate
	// for mail.test only: they are not confirmed. The bare domain is.
	email := "alice@" + d.ServerName
	want := []Server{
		{types.IMAP, types.Server{Host: d.ServerName, Port: 993, Security: types.SecurityTLS, User: email}, "password-cleartext"},
		{types.POP3, types.Server{Host: d.ServerName, Port: 995, Security: types.SecurityTLS, User: email}, "password-cleartext"},
	}
	if !sameServers(res[0].Incoming, want) {
		t.Errorf("incoming =\n%+v\nwant\n%+v", res[0].Incoming, want)
	}
	if len(res[0].Outgoing) != 0 || res[0].NeedsOAuth {
		t.Errorf("outgoing = %+v, needsOAuth %v", res[0].Outgoing, res[0].NeedsOAuth)
	}

	cfgs := rp.configs()
	if len(cfgs) == 0 {
		t.Fatal("the Probe option was not used")
	}
	sawWrongHost := false
	for _, c := range cfgs {
		if c.Security != types.SecurityTLS && c.Security != types.SecurityStartTLS {
			t.Errorf("probe %s:%d with security %q", c.Host, c.Port, c.Security)
		}
		if c.ExtraRoots != d.CertPool || c.DialContext == nil || c.PinSHA256 != "" {
			t.Errorf("probe %s:%d without the test CA and dialer, or with a pin", c.Host, c.Port)
		}
		sawWrongHost = sawWrongHost || c.Host == "imap."+d.ServerName && c.Port == 993
	}
	if !sawWrongHost {
		t.Error("imap.mail.test:993 was never probed")
	}
}

func TestGuessRefusesWrongCertificate(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	srv := newISPDB(t, nil)
	opts := baseOptions(srv)
	// Every name of other.test reaches Dovecot, whose certificate is for mail.test.
	opts.DialContext = dovecotDialer(d, "other.test")
	opts.ExtraRoots = d.CertPool
	_, err := Discover(context.Background(), "alice@other.test", opts)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want NotFoundError", err)
	}
	last := nf.Tried[len(nf.Tried)-1]
	var ce *transport.CertError
	if last.Source != "guessing" || !errors.As(last.Err, &ce) || ce.Reason != transport.ReasonWrongHost {
		t.Errorf("guessing failed with %v, want a wrong-host certificate error", last.Err)
	}
	if !strings.Contains(err.Error(), "untrusted certificate") {
		t.Errorf("message does not say why: %v", err)
	}
}

// plainFake is a plaintext mail server that never offers STARTTLS and
// records every byte a client sends.
type plainFake struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	got   bytes.Buffer
	conns int
}

func startPlainFake(t *testing.T, greeting string, reply func(line string) string) *plainFake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &plainFake{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				fmt.Fprint(c, greeting)
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					f.mu.Lock()
					f.got.WriteString(line)
					f.mu.Unlock()
					if err != nil {
						return
					}
					fmt.Fprint(c, reply(strings.TrimRight(line, "\r\n")))
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	return f
}

func (f *plainFake) snapshot() (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got.String(), f.conns
}

// TestGuessNeverSendsCredentials: servers that do not offer STARTTLS get
// nothing that looks like a login, and are not proposed.
func TestGuessNeverSendsCredentials(t *testing.T) {
	imapFake := startPlainFake(t, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n", func(line string) string {
		tag, cmd, _ := strings.Cut(line, " ")
		if strings.EqualFold(cmd, "CAPABILITY") {
			return "* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN\r\n" + tag + " OK done\r\n"
		}
		return tag + " BAD no\r\n"
	})
	popFake := startPlainFake(t, "+OK ready\r\n", func(line string) string {
		if strings.EqualFold(line, "CAPA") {
			return "+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"
		}
		return "-ERR no\r\n"
	})
	smtpFake := startPlainFake(t, "220 fake ESMTP\r\n", func(line string) string {
		if strings.HasPrefix(strings.ToUpper(line), "EHLO") {
			return "250-fake\r\n250 AUTH PLAIN LOGIN\r\n"
		}
		return "500 no\r\n"
	})
	targets := map[string]string{"143": imapFake.ln.Addr().String(), "110": popFake.ln.Addr().String(), "587": smtpFake.ln.Addr().String()}
	srv := newISPDB(t, nil)
	opts := baseOptions(srv)
	opts.Probe = nil // the real transport.Probe
	opts.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		if target, ok := targets[port]; ok {
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		}
		return refuseDial(ctx, network, addr)
	}
	_, err := Discover(context.Background(), "carol@plain.test", opts)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v: a server without STARTTLS was accepted", err)
	}
	credential := regexp.MustCompile(`(?im)^(\S+ )?(LOGIN|AUTHENTICATE|AUTH|USER|PASS|APOP)\b`)
	for name, f := range map[string]*plainFake{"imap": imapFake, "pop3": popFake, "smtp": smtpFake} {
		got, conns := f.snapshot()
		if conns == 0 {
			t.Errorf("%s: the fake was never contacted", name)
		}
		if credential.MatchString(got) {
			t.Errorf("%s: client sent something like a credential:\n%s", name, got)
		}
		t.Logf("%s: %d connections, client sent %q", name, conns, got)
	}
}

// fakeProbe answers from a table: host:port → outcome, with an optional delay.
type fakeProbe struct {
	mu       sync.Mutex
	ok       map[string][]string // capabilities of the servers that answer
	delay    map[string]time.Duration
	hang     map[string]bool
	active   int
	maxSeen  int
	probed   []string
	security []types.Security
}

func (f *fakeProbe) probe(ctx context.Context, cfg transport.Config) (transport.ProbeResult, error) {
	key := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	f.mu.Lock()
	f.active++
	f.maxSeen = max(f.maxSeen, f.active)
	f.probed = append(f.probed, key)
	f.security = append(f.security, cfg.Security)
	caps, ok := f.ok[key]
	delay, hang := f.delay[key], f.hang[key]
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active--
		f.mu.Unlock()
	}()
	if hang {
		<-ctx.Done()
		return transport.ProbeResult{}, ctx.Err()
	}
	select {
	case <-time.After(delay + time.Millisecond):
	case <-ctx.Done():
		return transport.ProbeResult{}, ctx.Err()
	}
	if !ok {
		return transport.ProbeResult{}, errors.New("connection refused (fake)")
	}
	return transport.ProbeResult{Capabilities: caps}, nil
}

func TestGuessRankingAndConcurrency(t *testing.T) {
	fp := &fakeProbe{
		ok: map[string][]string{
			"mail.rank.test:993": {"IMAP4rev1", "AUTH=PLAIN"},
			"imap.rank.test:143": {"IMAP4rev1", "AUTH=PLAIN"},
			"rank.test:110":      {"USER"},
			"smtp.rank.test:587": {"AUTH PLAIN LOGIN"},
			"mail.rank.test:465": {"AUTH PLAIN LOGIN", "SIZE 10000000"},
		},
		// The best guess fails late: the second one must wait for it.
		delay: map[string]time.Duration{"imap.rank.test:993": 80 * time.Millisecond},
	}
	srv := newISPDB(t, nil)
	opts := baseOptions(srv)
	opts.Probe = fp.probe
	opts.ProbeConcurrency = 3
	res := mustDiscover(t, "dirk@rank.test", opts)
	u := "dirk@rank.test"
	wantIn := []Server{
		{types.IMAP, types.Server{Host: "mail.rank.test", Port: 993, Security: types.SecurityTLS, User: u}, "password-cleartext"},
		{types.POP3, types.Server{Host: "rank.test", Port: 110, Security: types.SecurityStartTLS, User: u}, "password-cleartext"},
	}
	wantOut := []Server{{types.SMTP, types.Server{Host: "mail.rank.test", Port: 465, Security: types.SecurityTLS, User: u}, "password-cleartext"}}
	if !sameServers(res[0].Incoming, wantIn) || !sameServers(res[0].Outgoing, wantOut) {
		t.Errorf("got in %+v out %+v", res[0].Incoming, res[0].Outgoing)
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.maxSeen > 3 || fp.maxSeen < 2 {
		t.Errorf("up to %d probes at once, want at most 3 (and some parallelism)", fp.maxSeen)
	}
	// Probes are launched in rank order but record themselves from their own goroutines, so only the
	// order relative to the STARTTLS guesses is stable: each protocol's best implicit-TLS guess is probed
	// before any STARTTLS-port guess.
	firstStartTLS := len(fp.probed)
	for i, p := range fp.probed {
		if strings.HasSuffix(p, ":143") || strings.HasSuffix(p, ":110") || strings.HasSuffix(p, ":587") {
			firstStartTLS = i
			break
		}
	}
	for _, best := range []string{"imap.rank.test:993", "pop3.rank.test:995", "smtp.rank.test:465"} {
		if i := slices.Index(fp.probed, best); i < 0 || i > firstStartTLS {
			t.Errorf("%s probed at %d, after a STARTTLS guess at %d: %v", best, i, firstStartTLS, fp.probed)
		}
	}
	for i, sec := range fp.security {
		if sec == types.SecurityPlain {
			t.Errorf("probed %s in plaintext", fp.probed[i])
		}
	}
}

func TestGuessTimeoutKeepsBestSoFar(t *testing.T) {
	fp := &fakeProbe{
		ok:   map[string][]string{"mail.hang.test:993": {"IMAP4rev1"}},
		hang: map[string]bool{"imap.hang.test:993": true, "smtp.hang.test:465": true},
	}
	srv := newISPDB(t, nil)
	opts := baseOptions(srv)
	opts.Probe = fp.probe
	opts.GuessTimeout = 300 * time.Millisecond
	start := time.Now()
	res := mustDiscover(t, "eva@hang.test", opts)
	elapsed := time.Since(start)
	if elapsed < 250*time.Millisecond || elapsed > 1500*time.Millisecond {
		t.Errorf("took %v, want about the guess timeout of 300ms", elapsed)
	}
	if len(res[0].Incoming) != 1 || res[0].Incoming[0].Host != "mail.hang.test" {
		t.Errorf("got %+v", res[0])
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.active != 0 {
		t.Errorf("%d probes still running after Discover returned", fp.active)
	}
}

func TestAuthFromCaps(t *testing.T) {
	cases := []struct {
		p               types.Protocol
		caps            []string
		auth            string
		password, oauth bool
	}{
		{types.IMAP, []string{"IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2"}, "password-cleartext", true, true},
		{types.IMAP, []string{"IMAP4rev1", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER", "LOGINDISABLED"}, "OAuth2", false, true},
		{types.IMAP, []string{"IMAP4rev1"}, "password-cleartext", true, false}, // LOGIN command
		{types.POP3, nil, "password-cleartext", true, false},                   // no CAPA: USER/PASS
		{types.POP3, []string{"SASL XOAUTH2", "TOP"}, "OAuth2", false, true},
		{types.POP3, []string{"USER"}, "password-cleartext", true, false},
		{types.SMTP, []string{"SIZE 1000", "AUTH LOGIN PLAIN XOAUTH2"}, "password-cleartext", true, true},
		{types.SMTP, []string{"AUTH=LOGIN"}, "password-cleartext", true, false},
		{types.SMTP, []string{"PIPELINING"}, "", false, false},
	}
	for _, tc := range cases {
		auth, pw, oa := authFromCaps(tc.p, tc.caps)
		if auth != tc.auth || pw != tc.password || oa != tc.oauth {
			t.Errorf("%s %v: got %q %v %v", tc.p, tc.caps, auth, pw, oa)
		}
	}
}
