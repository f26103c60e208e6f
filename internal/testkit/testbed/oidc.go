package testbed

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"
)

// OIDCOptions configures StartOIDC. The zero value is ready to use.
type OIDCOptions struct {
	// Users are testbed user names the provider signs in, with the email
	// <name>@mail.test and preferred_username <name>; default the names of
	// DefaultUsers. AddUser adds more.
	Users []string
	// AccessTTL is the lifetime of access tokens (default 10 minutes);
	// RefreshTTL that of refresh tokens (default 1 hour).
	AccessTTL, RefreshTTL time.Duration
}

// OIDC is an OpenID provider on loopback (plain HTTP) for OAuth2 sign-in
// tests, built on mockoidc. Dovecot started with Options.OAuth2 checks
// access tokens against its userinfo endpoint. Its methods are safe for
// concurrent use.
type OIDC struct {
	// Issuer is the issuer URL; DiscoveryURL its
	// /.well-known/openid-configuration.
	Issuer, DiscoveryURL string
	AuthorizeURL         string
	TokenURL             string
	UserinfoURL          string
	// ClientID and ClientSecret identify the one registered client. The
	// token endpoint takes them only as form parameters
	// (oauth2.AuthStyleInParams), whatever discovery advertises.
	ClientID, ClientSecret string
	// RedirectURL is where the authorize endpoint redirects to; nothing
	// listens there, Login reads the code from the redirect itself.
	RedirectURL string
	// Scopes are the scopes Login asks for; userinfo returns email and
	// preferred_username only for the email and profile scopes.
	Scopes []string

	m             *mockoidc.MockOIDC
	tokenRequests atomic.Int64
	stopOnce      sync.Once
	stopErr       error

	// mu serialises every request: mockoidc keeps its sessions in a plain
	// map, and a user chosen by login_hint must reach the authorize
	// handler it was queued for.
	mu      sync.Mutex
	users   map[string]*mockoidc.MockUser // by email
	first   string                        // email of the user picked without login_hint
	issued  map[string]bool               // refresh tokens handed out
	revoked map[string]bool               // refresh tokens the token endpoint refuses
}

// oidcDomain is the mail domain of the users the provider signs in.
const oidcDomain = "mail.test"

// StartOIDCT starts an OpenID provider for a test and stops it in
// t.Cleanup.
func StartOIDCT(t testing.TB, opts OIDCOptions) *OIDC {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := StartOIDC(ctx, opts)
	if err != nil {
		t.Fatalf("start OpenID provider: %v", err)
	}
	t.Cleanup(func() {
		if err := o.Stop(); err != nil {
			t.Errorf("stop OpenID provider: %v", err)
		}
	})
	return o
}

// StartOIDC starts an OpenID provider on a free port of 127.0.0.1. Call
// Stop when done.
func StartOIDC(ctx context.Context, opts OIDCOptions) (*OIDC, error) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, fmt.Errorf("testbed: create OpenID provider: %w", err)
	}
	if opts.AccessTTL > 0 {
		m.AccessTTL = opts.AccessTTL
	}
	if opts.RefreshTTL > 0 {
		m.RefreshTTL = opts.RefreshTTL
	}
	o := &OIDC{
		m:           m,
		RedirectURL: "http://127.0.0.1/oauth2/callback",
		Scopes:      []string{"openid", "email", "profile"},
		users:       map[string]*mockoidc.MockUser{},
		issued:      map[string]bool{},
		revoked:     map[string]bool{},
	}
	names := opts.Users
	if len(names) == 0 {
		for _, u := range DefaultUsers {
			names = append(names, u.Name)
		}
	}
	for _, n := range names {
		if err := o.AddUser(n); err != nil {
			return nil, err
		}
	}
	if err := m.AddMiddleware(o.middleware); err != nil {
		return nil, fmt.Errorf("testbed: OpenID provider: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testbed: OpenID provider listen: %w", err)
	}
	// mockoidc serves in its own goroutine; Stop shuts the server down,
	// which ends it.
	if err := m.Start(ln, nil); err != nil {
		ln.Close()
		return nil, fmt.Errorf("testbed: start OpenID provider: %w", err)
	}
	o.Issuer = m.Issuer()
	o.DiscoveryURL = m.DiscoveryEndpoint()
	o.AuthorizeURL = m.AuthorizationEndpoint()
	o.TokenURL = m.TokenEndpoint()
	o.UserinfoURL = m.UserinfoEndpoint()
	o.ClientID, o.ClientSecret = m.ClientID, m.ClientSecret
	return o, nil
}

// Stop shuts the provider down. It is idempotent.
func (o *OIDC) Stop() error {
	o.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := o.m.Server.Shutdown(ctx); err != nil {
			// A client holding a request open past the timeout: cut it.
			_ = o.m.Server.Close()
			o.stopErr = fmt.Errorf("testbed: stop OpenID provider: %w", err)
		}
	})
	return o.stopErr
}

// AddUser lets the provider sign in the testbed user name
// (email name@mail.test, preferred_username name, subject "sub-"+name).
func (o *OIDC) AddUser(name string) error {
	if !userNameRE.MatchString(name) {
		return fmt.Errorf("testbed: OpenID user name %q: want lower case [a-z0-9._-]", name)
	}
	u := &mockoidc.MockUser{
		Subject:           "sub-" + name,
		Email:             name + "@" + oidcDomain,
		EmailVerified:     true,
		PreferredUsername: name,
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.users[u.Email] = u
	if o.first == "" {
		o.first = u.Email
	}
	return nil
}

// SetAccessTTL changes the lifetime of access tokens issued from now on.
func (o *OIDC) SetAccessTTL(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m.AccessTTL = d
}

// TokenRequests is the number of requests the token endpoint received,
// refused ones included.
func (o *OIDC) TokenRequests() int { return int(o.tokenRequests.Load()) }

// Revoke invalidates every refresh token issued so far: refresh grants
// with them get 400 {"error":"invalid_grant"}. Access tokens stay valid
// until they expire; later logins get working refresh tokens.
func (o *OIDC) Revoke() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for tok := range o.issued {
		o.revoked[tok] = true
	}
}

// OAuth2Config is a client configuration for this provider, for
// golang.org/x/oauth2.
func (o *OIDC) OAuth2Config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:  o.AuthorizeURL,
			TokenURL: o.TokenURL,
			// Auto-detection would first try HTTP Basic, which mockoidc
			// refuses, and count twice.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: o.RedirectURL,
		Scopes:      append([]string(nil), o.Scopes...),
	}
}

// Login signs user ("alice" or "alice@mail.test") in as a browser would:
// it opens the authorize URL with a PKCE challenge and login_hint, takes
// the code from the redirect and exchanges it at the token endpoint.
func (o *OIDC) Login(ctx context.Context, user string) (*oauth2.Token, error) {
	if !strings.Contains(user, "@") {
		user += "@" + oidcDomain
	}
	cfg := o.OAuth2Config()
	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", user))

	client := &http.Client{
		Timeout: 10 * time.Second,
		// The redirect goes to the client's callback: read it, don't follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, fmt.Errorf("testbed: login %s: %w", user, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("testbed: login %s: authorize: %w", user, err)
	}
	body := readSome(resp)
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("testbed: login %s: authorize answered %s: %s", user, resp.Status, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, fmt.Errorf("testbed: login %s: redirect: %w", user, err)
	}
	q := loc.Query()
	if q.Get("state") != state {
		return nil, fmt.Errorf("testbed: login %s: redirect carries state %q, want %q", user, q.Get("state"), state)
	}
	code := q.Get("code")
	if code == "" {
		return nil, fmt.Errorf("testbed: login %s: redirect %s has no code", user, loc)
	}
	tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, client), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("testbed: login %s: token exchange: %w", user, err)
	}
	return tok, nil
}

// readSome reads and closes a response body, keeping at most 4 KB for
// error messages.
func readSome(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return strings.TrimSpace(string(b))
}

// middleware wraps every mockoidc endpoint.
func (o *OIDC) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		switch r.URL.Path {
		case mockoidc.AuthorizationEndpoint:
			o.authorize(w, r, next)
		case mockoidc.TokenEndpoint:
			o.tokenRequests.Add(1)
			o.token(w, r, next)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// authorize queues the user named by login_hint (or the first user) for
// the authorize handler, which would otherwise sign in mockoidc's
// jane.doe@example.com. Caller holds o.mu.
func (o *OIDC) authorize(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	email := o.first
	if hint := r.Form.Get("login_hint"); hint != "" {
		email = hint
		if !strings.Contains(email, "@") {
			email += "@" + oidcDomain
		}
	}
	u, ok := o.users[email]
	if !ok {
		oauthError(w, http.StatusBadRequest, "access_denied", "no such user: "+email)
		return
	}
	o.m.QueueUser(u)
	next.ServeHTTP(w, r)
}

// token refuses revoked refresh tokens, records issued ones, and states
// expires_in in seconds: mockoidc writes a time.Duration, nanoseconds, so
// clients would take a 3 s token for one lasting a century. Caller holds
// o.mu.
func (o *OIDC) token(w http.ResponseWriter, r *http.Request, next http.Handler) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if r.PostForm.Get("grant_type") == "refresh_token" && o.revoked[r.PostForm.Get("refresh_token")] {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token revoked")
		return
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var tr map[string]any
		if err := json.Unmarshal(body, &tr); err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", "mockoidc token response: "+err.Error())
			return
		}
		// Rounded up: 0 would mean "does not expire".
		tr["expires_in"] = int64((o.m.AccessTTL + time.Second - 1) / time.Second)
		if rt, _ := tr["refresh_token"].(string); rt != "" {
			o.issued[rt] = true
		}
		var err error
		if body, err = json.Marshal(tr); err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// oauthError writes an RFC 6749 error response.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// errNoOIDC is returned for Dovecot options that need a started provider.
var errNoOIDC = errors.New("testbed: Options.OAuth2 is not a started OpenID provider")

// ProviderFile is a Postbode OAuth2 settings file (the profile's oauth.json) that adds this
// provider under id, serving the given mail hosts and address domains.
func (o *OIDC) ProviderFile(id string, hosts ...string) []byte {
	data, _ := json.Marshal(map[string]any{"providers": []map[string]any{{
		"id": id, "name": "Test bed", "auth_url": o.AuthorizeURL, "token_url": o.TokenURL,
		"scopes": o.Scopes, "hosts": hosts, "client_id": o.ClientID, "client_secret": o.ClientSecret,
	}}})
	return data
}
