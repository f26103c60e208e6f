package autoconfig

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/types"
)

func TestParseConfigOrderPlaceholdersAndSecurity(t *testing.T) {
	a, err := parseAddress("Jan.de.Vries@Example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	doc := config("Example Mail",
		incoming("pop3", "pop.%EMAILDOMAIN%", 995, "SSL", "%EMAILLOCALPART%", "password-cleartext"),
		incoming("imap", "imap.example.org", 143, "STARTTLS", "%EMAILADDRESS%", "password-encrypted"),
		incoming("imap", "IMAP.example.org.", 993, "SSL", "%EMAILADDRESS%", "OAuth2", "password-cleartext"),
		incoming("pop3", "pop.example.org", 110, "plain", "%EMAILLOCALPART%@%EMAILDOMAIN%"),
		incoming("exchange", "ews.example.org", 443, "SSL", "%EMAILADDRESS%"),
		outgoing("smtp.example.org", 587, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"),
		outgoing("smtp.example.org", 465, "SSL", "%EMAILADDRESS%", "password-cleartext"),
	)
	r, err := parseConfig([]byte(doc), a)
	if err != nil {
		t.Fatal(err)
	}
	email := "Jan.de.Vries@example.org"
	want := []Server{
		// POP3 first as the source said; within a protocol implicit TLS first.
		{types.POP3, types.Server{Host: "pop.example.org", Port: 995, Security: types.SecurityTLS, User: "Jan.de.Vries"}, "password-cleartext"},
		{types.IMAP, types.Server{Host: "imap.example.org", Port: 993, Security: types.SecurityTLS, User: email}, "OAuth2"},
		{types.IMAP, types.Server{Host: "imap.example.org", Port: 143, Security: types.SecurityStartTLS, User: email}, "password-encrypted"},
		{types.POP3, types.Server{Host: "pop.example.org", Port: 110, Security: types.SecurityPlain, User: email}, ""},
	}
	if !sameServers(r.Incoming, want) {
		t.Errorf("incoming =\n%+v\nwant\n%+v", r.Incoming, want)
	}
	wantOut := []Server{
		{types.SMTP, types.Server{Host: "smtp.example.org", Port: 465, Security: types.SecurityTLS, User: email}, "password-cleartext"},
		{types.SMTP, types.Server{Host: "smtp.example.org", Port: 587, Security: types.SecurityStartTLS, User: email}, "password-cleartext"},
	}
	if !sameServers(r.Outgoing, wantOut) {
		t.Errorf("outgoing = %+v, want %+v", r.Outgoing, wantOut)
	}
	if r.DisplayName != "Example Mail" || r.NeedsOAuth {
		t.Errorf("display name %q, needsOAuth %v", r.DisplayName, r.NeedsOAuth)
	}
}

func TestParseConfigNeedsOAuth(t *testing.T) {
	a, _ := parseAddress("me@example.org")
	doc := config("Big Provider",
		incoming("imap", "imap.example.org", 993, "SSL", "%EMAILADDRESS%", "OAuth2"),
		outgoing("smtp.example.org", 465, "SSL", "%EMAILADDRESS%", "OAuth2"))
	r, err := parseConfig([]byte(doc), a)
	if err != nil {
		t.Fatal(err)
	}
	if !r.NeedsOAuth || r.Incoming[0].Auth != "OAuth2" {
		t.Errorf("needsOAuth = %v, auth %q", r.NeedsOAuth, r.Incoming[0].Auth)
	}
}

// autoconfigHosts serves https://autoconfig.mail.test, https://mail.test and
// http://autoconfig.mail.test on loopback, with a client that maps those
// names there (and refuses everything else). serve says which URL form answers.
type autoconfigHosts struct {
	client   *http.Client
	mu       sync.Mutex
	requests []*http.Request
}

func newAutoconfigHosts(t *testing.T, serve func(r *http.Request) (string, bool)) *autoconfigHosts {
	t.Helper()
	h := &autoconfigHosts{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.requests = append(h.requests, r.Clone(context.Background()))
		h.mu.Unlock()
		if body, ok := serve(r); ok {
			w.Write([]byte(body))
			return
		}
		http.NotFound(w, r)
	})
	pool, cert := testPKI(t, "autoconfig.mail.test", "mail.test")
	tlsSrv := httptest.NewUnstartedServer(handler)
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // cancelled handshakes are expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plainSrv := httptest.NewServer(handler)
	t.Cleanup(plainSrv.Close)

	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, _ := net.SplitHostPort(addr)
			if host != "autoconfig.mail.test" && host != "mail.test" {
				return refuseDial(ctx, network, addr)
			}
			target := map[string]string{"443": tlsSrv.Listener.Addr().String(), "80": plainSrv.Listener.Addr().String()}[port]
			if target == "" {
				return refuseDial(ctx, network, addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	h.client = &http.Client{Transport: tr}
	return h
}

func TestAutoconfigDefaultURLForms(t *testing.T) {
	doc := config("Mail Test", incoming("imap", "imap.%EMAILDOMAIN%", 993, "SSL", "%EMAILADDRESS%", "password-cleartext"))
	cases := []struct {
		name       string
		serve      func(r *http.Request) bool
		wantSource string
		insecure   bool
	}{
		{"autoconfig host over https",
			func(r *http.Request) bool {
				return r.TLS != nil && r.Host == "autoconfig.mail.test" && r.URL.Path == "/mail/config-v1.1.xml"
			},
			"autoconfig (autoconfig.mail.test)", false},
		{"well-known path on the domain",
			func(r *http.Request) bool {
				return r.TLS != nil && r.Host == "mail.test" && r.URL.Path == "/.well-known/autoconfig/mail/config-v1.1.xml"
			},
			"autoconfig (mail.test)", false},
		{"autoconfig host over http",
			func(r *http.Request) bool { return r.TLS == nil && r.Host == "autoconfig.mail.test" },
			"autoconfig (autoconfig.mail.test, unencrypted http)", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hosts := newAutoconfigHosts(t, func(r *http.Request) (string, bool) { return doc, tc.serve(r) })
			srv := newISPDB(t, nil)
			opts := baseOptions(srv)
			opts.AutoconfigURLs = nil // the defaults
			opts.HTTPClient = hosts.client
			opts.ISPDBURL = "http://ispdb.invalid/v1.1/" // refused by the client's dialer
			res := mustDiscover(t, "bob@mail.test", opts)
			if res[0].Source != tc.wantSource || res[0].InsecureSource != tc.insecure {
				t.Fatalf("source = %q insecure=%v, want %q", res[0].Source, res[0].InsecureSource, tc.wantSource)
			}
			want := Server{types.IMAP, types.Server{Host: "imap.mail.test", Port: 993, Security: types.SecurityTLS, User: "bob@mail.test"}, "password-cleartext"}
			if len(res[0].Incoming) != 1 || res[0].Incoming[0] != want {
				t.Errorf("incoming = %+v", res[0].Incoming)
			}
			hosts.mu.Lock()
			defer hosts.mu.Unlock()
			if len(hosts.requests) == 0 {
				t.Fatal("no request reached the loopback hosts")
			}
			for _, r := range hosts.requests {
				// The address goes to the autoconfig host over https only.
				q := r.URL.Query().Get("emailaddress")
				wantQ := ""
				if r.TLS != nil && r.Host == "autoconfig.mail.test" {
					wantQ = "bob@mail.test"
				}
				if q != wantQ {
					t.Errorf("%s %s: emailaddress=%q, want %q", r.Host, r.URL, q, wantQ)
				}
				if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
					t.Errorf("%s: request carried credentials", r.Host)
				}
			}
		})
	}
}

func TestISPDBByDomainAndViaMX(t *testing.T) {
	google := config("Google Mail",
		incoming("imap", "imap.gmail.com", 993, "SSL", "%EMAILADDRESS%", "OAuth2", "password-cleartext"),
		outgoing("smtp.gmail.com", 465, "SSL", "%EMAILADDRESS%", "OAuth2", "password-cleartext"))
	own := config("Own Mail", incoming("pop3", "pop.own.test", 995, "SSL", "%EMAILLOCALPART%"))
	srv := newISPDB(t, map[string]string{
		"/v1.1/google.com": google,
		"/v1.1/own.test":   own,
	})
	res := &fakeResolver{mx: map[string][]*net.MX{
		"hosted.test": {{Host: "aspmx.l.google.com.", Pref: 1}, {Host: "alt1.aspmx.l.google.com.", Pref: 5}},
		"own.test":    {{Host: "aspmx.l.google.com.", Pref: 1}},
		"co.test":     {{Host: "mx.example.co.uk.", Pref: 1}},
	}}

	t.Run("by domain", func(t *testing.T) {
		opts := baseOptions(srv)
		opts.Resolver = &fakeResolver{}
		r := mustDiscover(t, "kees@own.test", opts)
		if r[0].Source != "ISPDB" || r[0].DisplayName != "Own Mail" ||
			r[0].Incoming[0] != (Server{types.POP3, types.Server{Host: "pop.own.test", Port: 995, Security: types.SecurityTLS, User: "kees"}, ""}) {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("via MX", func(t *testing.T) {
		opts := baseOptions(srv)
		opts.Resolver = res
		r := mustDiscover(t, "kees@hosted.test", opts)
		if len(r) != 1 || r[0].Source != "ISPDB via MX (google.com)" {
			t.Fatalf("got %+v", r)
		}
		// Placeholders are the user's address, not the MX domain's.
		if in := r[0].Incoming[0]; in.Host != "imap.gmail.com" || in.User != "kees@hosted.test" || in.Auth != "OAuth2" {
			t.Errorf("incoming = %+v", in)
		}
		if r[0].NeedsOAuth {
			t.Error("needsOAuth set although a password login is listed")
		}
	})
	t.Run("both, best first", func(t *testing.T) {
		// own.test is listed itself and its MX points at Google: both
		// answer (the domain entry a little later), the domain's ranks first.
		srv.setDelay("/v1.1/own.test", 150*time.Millisecond)
		defer srv.setDelay("/v1.1/own.test", 0)
		opts := baseOptions(srv)
		opts.Resolver = res
		r := mustDiscover(t, "kees@own.test", opts)
		if len(r) != 2 || r[0].Source != "ISPDB" || r[1].Source != "ISPDB via MX (google.com)" {
			t.Fatalf("got %+v", r)
		}
	})
	t.Run("public suffix with two labels", func(t *testing.T) {
		d, err := registrableDomain("mx.example.co.uk")
		if err != nil || d != "example.co.uk" {
			t.Errorf("registrableDomain = %q, %v", d, err)
		}
		if _, err := registrableDomain("co.uk"); err == nil {
			t.Error("a public suffix has no registrable domain")
		}
		opts := baseOptions(srv)
		opts.Resolver = res
		_, err = Discover(context.Background(), "a@co.test", opts)
		if err == nil || srv.hitCount("/v1.1/example.co.uk") != 1 {
			t.Errorf("err = %v, ISPDB asked for example.co.uk %d times", err, srv.hitCount("/v1.1/example.co.uk"))
		}
	})
}

func TestDuplicatesAreDropped(t *testing.T) {
	doc := config("Same", incoming("imap", "imap.same.test", 993, "SSL", "%EMAILADDRESS%"))
	srv := newISPDB(t, map[string]string{"/v1.1/same.test": doc, "/v1.1/provider.test": doc})
	srv.setDelay("/v1.1/same.test", 100*time.Millisecond)
	opts := baseOptions(srv)
	opts.Resolver = &fakeResolver{mx: map[string][]*net.MX{"same.test": {{Host: "mx.provider.test.", Pref: 10}}}}
	r := mustDiscover(t, "x@same.test", opts)
	if len(r) != 1 || r[0].Source != "ISPDB" {
		t.Errorf("got %+v, want the ISPDB entry once", r)
	}
}

func TestSRVRecords(t *testing.T) {
	srv := newISPDB(t, nil)
	opts := baseOptions(srv)
	opts.Resolver = &fakeResolver{srv: map[string][]*net.SRV{
		"_imaps._tcp.srv.test": {
			{Target: "imap-backup.srv.test.", Port: 993, Priority: 10, Weight: 0},
			{Target: "imap-light.srv.test.", Port: 993, Priority: 0, Weight: 1},
			{Target: "imap-heavy.srv.test.", Port: 993, Priority: 0, Weight: 50},
		},
		"_imap._tcp.srv.test":        {{Target: "imap-heavy.srv.test.", Port: 143, Priority: 0, Weight: 50}},
		"_pop3s._tcp.srv.test":       {{Target: ".", Port: 0}},
		"_pop3._tcp.srv.test":        {{Target: "pop.srv.test.", Port: 110, Priority: 5}},
		"_submissions._tcp.srv.test": {{Target: ".", Port: 0}},
		"_submission._tcp.srv.test":  {{Target: "bad_name!.srv.test.", Port: 587}, {Target: "smtp.srv.test.", Port: 587, Priority: 1}},
	}}
	r := mustDiscover(t, "me@srv.test", opts)
	if r[0].Source != "DNS SRV" {
		t.Fatalf("source %q", r[0].Source)
	}
	u := "me@srv.test"
	want := []Server{
		{types.IMAP, types.Server{Host: "imap-heavy.srv.test", Port: 993, Security: types.SecurityTLS, User: u}, ""},
		{types.IMAP, types.Server{Host: "imap-light.srv.test", Port: 993, Security: types.SecurityTLS, User: u}, ""},
		{types.IMAP, types.Server{Host: "imap-heavy.srv.test", Port: 143, Security: types.SecurityStartTLS, User: u}, ""},
		{types.POP3, types.Server{Host: "pop.srv.test", Port: 110, Security: types.SecurityStartTLS, User: u}, ""},
		{types.IMAP, types.Server{Host: "imap-backup.srv.test", Port: 993, Security: types.SecurityTLS, User: u}, ""},
	}
	if !sameServers(r[0].Incoming, want) {
		t.Errorf("incoming =\n%+v\nwant\n%+v", r[0].Incoming, want)
	}
	wantOut := []Server{{types.SMTP, types.Server{Host: "smtp.srv.test", Port: 587, Security: types.SecurityStartTLS, User: u}, ""}}
	if !sameServers(r[0].Outgoing, wantOut) {
		t.Errorf("outgoing = %+v (a \".\" target means not offered)", r[0].Outgoing)
	}

	// Only "." answers: nothing is offered.
	opts.Resolver = &fakeResolver{srv: map[string][]*net.SRV{
		"_imaps._tcp.srv.test": {{Target: ".", Port: 0}},
		"_imap._tcp.srv.test":  {{Target: ".", Port: 0}},
	}}
	var nf *NotFoundError
	if _, err := Discover(context.Background(), "me@srv.test", opts); !errors.As(err, &nf) {
		t.Fatalf("err = %v, want NotFoundError", err)
	}
	if !strings.Contains(nf.Error(), "DNS SRV: no IMAP or POP3 SRV records") {
		t.Errorf("error does not explain the SRV outcome: %v", nf)
	}
}

func TestSlowSourceDoesNotDelayOthers(t *testing.T) {
	const timeout = 400 * time.Millisecond
	const margin = 600 * time.Millisecond
	good := config("Fast", incoming("imap", "imap.slow.test", 993, "SSL", "%EMAILADDRESS%"))

	t.Run("slow autoconfig, fast ISPDB", func(t *testing.T) {
		srv := newISPDB(t, map[string]string{"/v1.1/slow.test": good, "/autoconfig": good})
		srv.setDelay("/autoconfig", 10*time.Second)
		opts := baseOptions(srv)
		opts.PerSourceTimeout = timeout
		opts.AutoconfigURLs = func(string) []string { return []string{srv.URL + "/autoconfig"} }
		start := time.Now()
		r := mustDiscover(t, "me@slow.test", opts)
		elapsed := time.Since(start)
		t.Logf("slow autoconfig: answer after %v (timeout %v)", elapsed, timeout)
		if elapsed > timeout+margin {
			t.Errorf("took %v, want under %v", elapsed, timeout+margin)
		}
		if elapsed < timeout-50*time.Millisecond {
			t.Errorf("took %v: did not wait for the better-ranked autoconfig", elapsed)
		}
		if len(r) != 1 || r[0].Source != "ISPDB" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("slow DNS and ISPDB, fast autoconfig", func(t *testing.T) {
		srv := newISPDB(t, map[string]string{"/v1.1/slow.test": good, "/autoconfig": good})
		srv.setDelay("/v1.1/slow.test", 10*time.Second)
		opts := baseOptions(srv)
		opts.PerSourceTimeout = 5 * time.Second
		opts.Resolver = &fakeResolver{delay: 10 * time.Second}
		opts.AutoconfigURLs = func(string) []string { return []string{srv.URL + "/autoconfig"} }
		start := time.Now()
		r := mustDiscover(t, "me@slow.test", opts)
		elapsed := time.Since(start)
		t.Logf("fast autoconfig: answer after %v", elapsed)
		// The best-ranked source answered: nothing else is waited for,
		// and the sources still running are stopped before Discover returns.
		if elapsed > time.Second {
			t.Errorf("took %v although the best source answered at once", elapsed)
		}
		if len(r) != 1 || !strings.HasPrefix(r[0].Source, "autoconfig (127.0.0.1") {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("everything slow", func(t *testing.T) {
		srv := newISPDB(t, nil)
		srv.setDelay("/v1.1/slow.test", 10*time.Second)
		opts := baseOptions(srv)
		opts.PerSourceTimeout = timeout
		opts.Resolver = &fakeResolver{delay: 10 * time.Second}
		opts.NoGuess = true
		start := time.Now()
		_, err := Discover(context.Background(), "me@slow.test", opts)
		elapsed := time.Since(start)
		var nf *NotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), "ISPDB: no answer within 400ms") {
			t.Errorf("err = %v", err)
		}
		if elapsed > timeout+margin {
			t.Errorf("took %v, want under %v", elapsed, timeout+margin)
		}
	})
}

func TestDiscoverHonoursCancel(t *testing.T) {
	srv := newISPDB(t, nil)
	srv.setDelay("/v1.1/slow.test", 10*time.Second)
	opts := baseOptions(srv)
	opts.PerSourceTimeout = 10 * time.Second
	opts.Resolver = &fakeResolver{delay: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Discover(ctx, "me@slow.test", opts)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(start))
	}
}

func TestHostileXMLRejected(t *testing.T) {
	a, _ := parseAddress("me@example.org")
	ok := incoming("imap", "imap.example.org", 993, "SSL", "%EMAILADDRESS%")
	cases := map[string]string{
		"not xml":          "<html><body>Welcome to our parking page</body></html>",
		"empty":            "",
		"no provider":      `<clientConfig version="1.1"></clientConfig>`,
		"no incoming":      config("X", outgoing("smtp.example.org", 465, "SSL", "x")),
		"hostname shell":   config("X", incoming("imap", "imap.example.org;rm -rf", 993, "SSL", "x")),
		"hostname label":   config("X", incoming("imap", "-imap.example.org", 993, "SSL", "x")),
		"hostname empty":   config("X", incoming("imap", "a..b", 993, "SSL", "x")),
		"hostname ip":      config("X", incoming("imap", "10.0.0.1", 993, "SSL", "x")),
		"hostname escape":  config("X", incoming("imap", "imap.example.org&#x9b;31m", 993, "SSL", "x")),
		"hostname long":    config("X", incoming("imap", strings.Repeat("a", 64)+".example.org", 993, "SSL", "x")),
		"port range":       config("X", incoming("imap", "imap.example.org", 99999, "SSL", "x")),
		"socket type":      config("X", incoming("imap", "imap.example.org", 993, "SSLv2-maybe", "x")),
		"username control": config("X", incoming("imap", "imap.example.org", 993, "SSL", "me&#x9b;2J")),
		"one bad of two":   config("X", ok, outgoing("smtp example org", 465, "SSL", "x")),
		"too many":         config("X", strings.Repeat(ok, maxServers+1)),
		"xxe external": `<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<clientConfig><emailProvider><incomingServer type="imap"><hostname>&xxe;</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>`,
		"billion laughs": `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<clientConfig><emailProvider><displayName>&lol2;</displayName>` + ok + `</emailProvider></clientConfig>`,
		"undefined entity": `<clientConfig><emailProvider><displayName>&boom;</displayName>` + ok + `</emailProvider></clientConfig>`,
		"other charset":    `<?xml version="1.0" encoding="ISO-8859-1"?>` + config("X", ok)[len(`<?xml version="1.0" encoding="UTF-8"?>`):],
		"too large":        config("X", ok) + "<!--" + strings.Repeat("x", maxBody) + "-->",
	}
	reasons := map[string]string{
		"not xml": "expected element type <clientConfig>", "empty": "EOF", "no provider": "no emailProvider",
		"no incoming": "no IMAP or POP3 server", "hostname shell": "invalid hostname",
		"hostname label": "invalid hostname", "hostname empty": "invalid hostname", "hostname ip": "invalid hostname",
		"hostname escape": "invalid hostname", "hostname long": "invalid hostname", "port range": "invalid port",
		"socket type": "unknown socketType", "username control": "invalid username", "one bad of two": "invalid hostname",
		"too many": "too many servers", "xxe external": "DOCTYPE not allowed", "billion laughs": "DOCTYPE not allowed",
		"undefined entity": "invalid character entity", "other charset": "CharsetReader", "too large": "larger than",
	}
	for name, doc := range cases {
		r, err := parseConfig([]byte(doc), a)
		switch {
		case err == nil:
			t.Errorf("%s: accepted: %+v", name, r)
		case !strings.Contains(err.Error(), reasons[name]) || reasons[name] == "":
			t.Errorf("%s: refused for the wrong reason: %v", name, err)
		case strings.ContainsRune(err.Error(), 0x9b) || len(err.Error()) > 300:
			t.Errorf("%s: unsuitable error %q", name, err)
		}
	}
	// The control document is fine, so the cases fail for their own reason.
	if _, err := parseConfig([]byte(config("X", ok)), a); err != nil {
		t.Fatalf("control document refused: %v", err)
	}
	// A display name cannot smuggle terminal escapes or bidi overrides.
	r, err := parseConfig([]byte(config("Evil&#x9b;2J\u202eCorp  Mail", ok)), a)
	if err != nil || r.DisplayName != "Evil2JCorp Mail" {
		t.Errorf("display name = %q, %v", r.DisplayName, err)
	}
}

func TestHostileHTTPSource(t *testing.T) {
	good := config("Good", incoming("imap", "imap.hostile.test", 993, "SSL", "%EMAILADDRESS%"))
	huge := make([]byte, 3<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the limit must hold while reading.
		w.Write([]byte(`<clientConfig><!--`))
		for i := 0; i < len(huge); i += 64 << 10 {
			if _, err := w.Write(huge[i : i+64<<10]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000000")
		w.Write([]byte("<clientConfig>"))
	})
	mux.HandleFunc("/badhost", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(config("Bad", incoming("imap", "imap.hostile.test/evil", 993, "SSL", "x"))))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect", http.StatusFound)
	})
	mux.HandleFunc("/v1.1/hostile.test", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(good)) })
	hs := httptest.NewServer(mux)
	defer hs.Close()

	opts := Options{
		AutoconfigURLs: func(string) []string {
			return []string{hs.URL + "/huge", hs.URL + "/declared", hs.URL + "/badhost", hs.URL + "/redirect", "file:///etc/passwd"}
		},
		ISPDBURL: hs.URL + "/v1.1/", Resolver: &fakeResolver{}, HTTPClient: hs.Client(), DialContext: refuseDial,
		PerSourceTimeout: 3 * time.Second,
	}
	r := mustDiscover(t, "me@hostile.test", opts)
	if len(r) != 1 || r[0].Source != "ISPDB" {
		t.Fatalf("got %+v", r)
	}

	// Without the ISPDB, the reasons are reported per source.
	opts.ISPDBURL = hs.URL + "/none/"
	_, err := Discover(context.Background(), "me@hostile.test", opts)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"larger than 1048576 bytes", "invalid hostname", "redirects", `unsupported URL scheme "file"`, "ISPDB: not listed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
}

func TestCheckRedirectRefusesDowngrade(t *testing.T) {
	req := func(u string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, u, nil)
		return r
	}
	if err := checkRedirect(req("http://autoconfig.example.org/x"), []*http.Request{req("https://example.org/")}); err == nil {
		t.Error("https → http redirect followed")
	}
	if err := checkRedirect(req("https://u:p@example.org/x"), []*http.Request{req("https://example.org/")}); err == nil {
		t.Error("redirect to a URL with credentials followed")
	}
	if err := checkRedirect(req("https://other.example.org/x"), []*http.Request{req("https://example.org/")}); err != nil {
		t.Errorf("https → https refused: %v", err)
	}
	// A caller's cookie jar is never used.
	c := safeClient(&http.Client{Jar: fakeJar{}})
	if c.Jar != nil || c.CheckRedirect == nil {
		t.Error("safeClient kept the jar or dropped the redirect check")
	}
}

type fakeJar struct{}

func (fakeJar) SetCookies(*url.URL, []*http.Cookie) {}
func (fakeJar) Cookies(*url.URL) []*http.Cookie     { return nil }

func TestParseAddress(t *testing.T) {
	a, err := parseAddress("  Piet@Bücher.Example. ")
	if err != nil || a.domain != "xn--bcher-kva.example" || a.local != "Piet" || a.email != "Piet@xn--bcher-kva.example" {
		t.Errorf("got %+v, %v", a, err)
	}
	for _, bad := range []string{"", "nobody", "@example.org", "me@", "me@exa mple.org", "a b@example.org", "me@-x.org", "me@127.0.0.1", "me@[::1]"} {
		if _, err := parseAddress(bad); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if _, err := Discover(context.Background(), "nobody", Options{}); !errors.Is(err, ErrInvalidAddress) {
		t.Errorf("Discover with a bad address: %v", err)
	}
}

func TestDefaultOptions(t *testing.T) {
	o := Options{}.withDefaults()
	if o.PerSourceTimeout != 4*time.Second || o.GuessTimeout != 8*time.Second || o.ISPDBURL != DefaultISPDBURL ||
		o.Resolver != net.DefaultResolver || o.Probe == nil || o.HTTPClient == nil || o.ProbeConcurrency != 8 {
		t.Errorf("defaults = %+v", o)
	}
	a, _ := parseAddress("me@example.org")
	got := defaultAutoconfigURLs(a)
	want := []string{
		"https://autoconfig.example.org/mail/config-v1.1.xml?emailaddress=me%40example.org",
		"https://example.org/.well-known/autoconfig/mail/config-v1.1.xml",
		"http://autoconfig.example.org/mail/config-v1.1.xml",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("default URLs =\n%s", strings.Join(got, "\n"))
	}
}
