package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/accounts/autoconfig"
)

const ispdbExample = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>`

// useLoopbackDiscovery points account add --discover at a loopback ISPDB,
// an empty resolver and a dialer that refuses every probe.
func useLoopbackDiscovery(t *testing.T) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.1/example.test" {
			w.Write([]byte(ispdbExample))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	saved := testDiscover
	t.Cleanup(func() { testDiscover = saved })
	testDiscover = func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error) {
		return autoconfig.Discover(ctx, email, autoconfig.Options{
			AutoconfigURLs:   func(string) []string { return nil },
			ISPDBURL:         srv.URL + "/v1.1/",
			Resolver:         emptyResolver{},
			HTTPClient:       srv.Client(),
			PerSourceTimeout: 2 * time.Second,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return nil, errors.New("refused (test)")
			},
		})
	}
}

// testDiscover is the settings lookup of the Manager that run builds (nil: the Manager's default).
var testDiscover func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error)

type emptyResolver struct{}

func (emptyResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (emptyResolver) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func TestAccountAddDiscover(t *testing.T) {
	useLoopbackDiscovery(t)
	profile := t.TempDir()
	code, out, errOut := run(t, profile, "", "account", "add", "--discover", "jan@example.test")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Server settings for jan@example.test",
		"From ISPDB: Example Mail",
		"incoming  IMAP  imap.example.test:993  tls       user jan               auth password-cleartext",
		"incoming  POP3  pop.example.test:995   tls       user jan@example.test  auth password-cleartext",
		"outgoing  SMTP  smtp.example.test:587  starttls  user jan               auth password-cleartext",
		"postbode account add --name NAME --email jan@example.test --kind imap --host imap.example.test --port 993 --security tls --user jan --smtp-host smtp.example.test --smtp-port 587 --smtp-security starttls --password-stdin",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	assertNoAccounts(t, profile)

	code, out, errOut = run(t, profile, "", "account", "add", "--json", "--discover=jan@example.test")
	var results []accounts.DiscoveryResult
	if code != 0 || json.Unmarshal([]byte(out), &results) != nil {
		t.Fatalf("--json: exit %d, %q %s", code, out, errOut)
	}
	if len(results) != 1 || results[0].Source != "ISPDB" || len(results[0].Incoming) != 2 ||
		results[0].Incoming[1].User != "jan@example.test" || results[0].Outgoing[0].Port != 587 {
		t.Errorf("--json results = %+v", results)
	}
}

func TestAccountAddDiscoverNothingFound(t *testing.T) {
	useLoopbackDiscovery(t)
	profile := t.TempDir()
	code, out, errOut := run(t, profile, "", "account", "add", "--discover", "piet@unknown.test")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"no server settings found for piet@unknown.test", "ISPDB: not listed", "guessing:", "--host HOST"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, errOut)
		}
	}
	code, out, _ = run(t, profile, "", "account", "add", "--discover", "piet@unknown.test", "--json")
	if code != 1 || strings.TrimSpace(out) != "[]" {
		t.Errorf("--json: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := run(t, profile, "", "account", "add", "--discover", "not-an-address"); code != 2 || !strings.Contains(errOut, "invalid e-mail address") {
		t.Errorf("bad address: exit %d, %q", code, errOut)
	}
	if code, _, _ := run(t, profile, "", "account", "add", "--discover", "a@example.test", "--name", "x"); code != 2 {
		t.Errorf("--discover with add flags: exit %d, want a usage error", code)
	}
	assertNoAccounts(t, profile)
}

// assertNoAccounts: discovery only prints, it never writes the accounts file.
func assertNoAccounts(t *testing.T, profile string) {
	t.Helper()
	if _, err := os.Stat(accounts.ProfileIn(profile).AccountsFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("discovery touched the accounts file: %v", err)
	}
}

func TestDiscoverHelpers(t *testing.T) {
	for args, want := range map[string]bool{
		"--discover a@b.test":   true,
		"-discover=a@b.test":    true,
		"--name x --discover=y": true,
		"--name discover":       false,
		"-- --discover":         false,
	} {
		if got := discoverRequested(strings.Fields(args)); got != want {
			t.Errorf("discoverRequested(%q) = %v", args, got)
		}
	}
	for in, want := range map[string]string{
		"jan@example.test": "jan@example.test",
		"$(rm -rf ~)":      `'$(rm -rf ~)'`,
		"it's":             `'it'\''s'`,
		"":                 "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
