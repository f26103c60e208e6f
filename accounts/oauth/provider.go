// Package oauth signs desktop mail accounts in with OAuth2 (RFC 6749, RFC 8252)
// and turns the result into SASL XOAUTH2/OAUTHBEARER logins for IMAP, POP3 and SMTP.
//
// The flow: the account wizard finds a Provider for the mail host (Registry.ForHost)
// or for an issuer (Discover), then calls SignIn. SignIn listens on
// http://127.0.0.1:<random port>/, opens the system browser on the provider's
// authorization page (authorization code with PKCE S256, a random state) and waits
// for exactly one redirect back; it exchanges the code and returns a Token.
// The mail engines then build a Source from the refresh token and ask it for
// an access token before each login (NewSASLClient). When the server refuses
// the access token they call Source.Invalidate and retry once; when the provider
// refuses the refresh token the Source answers ErrSignInAgain until Replace.
//
// Security rules:
//   - Tokens never go into files, logs or error strings. Errors from token
//     endpoints are rebuilt from the status and OAuth error code with any known
//     secret and token-like text redacted, never wrapped verbatim.
//   - The caller keeps the refresh token in the OS keyring only (SaveRefresh is
//     called when the provider rotates it); access tokens live in memory.
//   - The redirect listener binds 127.0.0.1 only, takes one request with the
//     right state from a loopback address, and is closed right after.
//   - Client IDs are configuration (ldflags or an overrides file), not secrets;
//     Google's installed-app "secret" is not secret either.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Provider describes an OAuth2 authorization server for mail.
type Provider struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	AuthURL      string   `json:"auth_url"`
	TokenURL     string   `json:"token_url"`
	RevokeURL    string   `json:"revoke_url,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	Hosts        []string `json:"hosts,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Issuer       string   `json:"issuer,omitempty"`
}

// Configured reports whether the provider has a client ID; without one the
// wizard should say that this build has no client ID for the provider.
func (p Provider) Configured() bool { return p.ClientID != "" }

// Serves reports whether host (a server name, optionally with a port, or a mail
// address) belongs to the provider: equal to one of its hosts or a subdomain of it.
func (p Provider) Serves(host string) bool { return p.matchLen(host) > 0 }

// matchLen returns the length of the longest of p.Hosts matching host, 0 if none,
// so the registry can prefer the most specific provider.
func (p Provider) matchLen(host string) int {
	h := normalizeHost(host)
	if h == "" {
		return 0
	}
	best := 0
	for _, ph := range p.Hosts {
		ph = normalizeHost(ph)
		if ph == "" || len(ph) <= best {
			continue
		}
		if h == ph || strings.HasSuffix(h, "."+ph) {
			best = len(ph)
		}
	}
	return best
}

// normalizeHost reduces "User@Example.COM", "imap.example.com:993" or
// "example.com." to "example.com"-style lower-case names.
func normalizeHost(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

// discoveryLimit bounds the discovery document; real ones are a few KiB.
const discoveryLimit = 256 << 10

// discoveryTimeout bounds Discover when the caller's context has no deadline.
const discoveryTimeout = 20 * time.Second

// Discover builds a generic Provider from an OpenID Connect issuer by reading
// issuer + "/.well-known/openid-configuration". The result has no client ID or
// scopes: those come from the account settings. A nil httpClient means
// http.DefaultClient.
func Discover(ctx context.Context, httpClient *http.Client, issuer string) (Provider, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return Provider{}, fmt.Errorf("oauth discovery: invalid issuer %q", issuer)
	}
	if err := checkEndpoint(issuer); err != nil {
		return Provider{}, fmt.Errorf("oauth discovery: issuer: %w", err)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	docURL := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return Provider{}, fmt.Errorf("oauth discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return Provider{}, fmt.Errorf("oauth discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Provider{}, fmt.Errorf("oauth discovery: %s answered %s", docURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, discoveryLimit+1))
	if err != nil {
		return Provider{}, fmt.Errorf("oauth discovery: reading %s: %w", docURL, err)
	}
	if len(body) > discoveryLimit {
		return Provider{}, fmt.Errorf("oauth discovery: %s is larger than %d bytes", docURL, discoveryLimit)
	}
	var doc struct {
		Issuer    string `json:"issuer"`
		AuthURL   string `json:"authorization_endpoint"`
		TokenURL  string `json:"token_endpoint"`
		RevokeURL string `json:"revocation_endpoint"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Provider{}, fmt.Errorf("oauth discovery: %s: %w", docURL, err)
	}
	// OpenID Connect Discovery 1.0 §4.3: the document must name the issuer
	// it was fetched for, or it could redirect sign-in elsewhere.
	if strings.TrimSuffix(doc.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return Provider{}, fmt.Errorf("oauth discovery: %s names issuer %q, expected %q", docURL, doc.Issuer, issuer)
	}
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", doc.AuthURL},
		{"token_endpoint", doc.TokenURL},
	} {
		if e.url == "" {
			return Provider{}, fmt.Errorf("oauth discovery: %s has no %s", docURL, e.name)
		}
		if err := checkEndpoint(e.url); err != nil {
			return Provider{}, fmt.Errorf("oauth discovery: %s: %w", e.name, err)
		}
	}
	if doc.RevokeURL != "" {
		if err := checkEndpoint(doc.RevokeURL); err != nil {
			return Provider{}, fmt.Errorf("oauth discovery: revocation_endpoint: %w", err)
		}
	}
	return Provider{
		ID:        issuer,
		Name:      u.Hostname(),
		AuthURL:   doc.AuthURL,
		TokenURL:  doc.TokenURL,
		RevokeURL: doc.RevokeURL,
		Issuer:    issuer,
	}, nil
}

// errInsecureEndpoint refuses plain-HTTP endpoints except on loopback (tests,
// local identity servers): codes and tokens would cross the network in clear.
var errInsecureEndpoint = errors.New("endpoint must use https (http only on loopback)")

func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid endpoint URL %q", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%q: %w", raw, errInsecureEndpoint)
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Resolve completes a provider given by its issuer alone (a self-hosted server's entry in the
// settings file) with the endpoints its OpenID discovery document names; a provider with both
// endpoints is returned as it is.
func (p Provider) Resolve(ctx context.Context, httpClient *http.Client) (Provider, error) {
	if p.AuthURL != "" && p.TokenURL != "" {
		return p, nil
	}
	if p.Issuer == "" {
		return p, fmt.Errorf("oauth provider %q has neither endpoints nor an issuer", p.ID)
	}
	d, err := Discover(ctx, httpClient, p.Issuer)
	if err != nil {
		return p, fmt.Errorf("oauth provider %q: %w", p.ID, err)
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&p.AuthURL, d.AuthURL}, {&p.TokenURL, d.TokenURL}, {&p.RevokeURL, d.RevokeURL}} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
	return p, nil
}
