package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultSignInTimeout is how long SignIn waits for the browser to come back.
const DefaultSignInTimeout = 5 * time.Minute

var (
	// ErrNotConfigured: the provider has no client ID in this build or settings.
	ErrNotConfigured = errors.New("no OAuth client ID is configured for this provider")
	// ErrCancelled: the user declined in the browser, or the caller cancelled.
	ErrCancelled = errors.New("sign-in was cancelled")
	// ErrTimedOut: the browser did not come back in time.
	ErrTimedOut = errors.New("sign-in timed out waiting for the browser")
)

// Token is the result of a sign-in. Refresh belongs in the OS keyring only.
type Token struct {
	Access  string
	Refresh string
	Expiry  time.Time
}

// SignInOptions tune SignIn.
type SignInOptions struct {
	// LoginHint is the mail address, so the provider preselects the account.
	LoginHint string
	// Open shows url in the system browser. Required.
	Open func(url string) error
	// HTTPClient is used for the token exchange; nil means a client with a timeout.
	HTTPClient *http.Client
	// Listen opens the redirect listener; nil means net.Listen("tcp", "127.0.0.1:0").
	// It must return a loopback listener; tests use it to learn the address.
	Listen func() (net.Listener, error)
	// Timeout bounds the wait for the browser; zero means DefaultSignInTimeout.
	Timeout time.Duration
}

// httpTimeout bounds every token-endpoint request.
const httpTimeout = 30 * time.Second

func defaultHTTPClient(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: httpTimeout}
}

// SignIn runs the authorization code flow with PKCE through the system browser
// and a one-shot loopback redirect listener (RFC 8252 §7.3).
func SignIn(ctx context.Context, p Provider, opts SignInOptions) (Token, error) {
	if !p.Configured() {
		return Token{}, fmt.Errorf("oauth sign-in with %s: %w", p.Name, ErrNotConfigured)
	}
	if opts.Open == nil {
		return Token{}, errors.New("oauth sign-in: SignInOptions.Open is required")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultSignInTimeout
	}
	listen := opts.Listen
	if listen == nil {
		listen = func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	}
	ln, err := listen()
	if err != nil {
		return Token{}, fmt.Errorf("oauth sign-in: redirect listener: %w", err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		ln.Close()
		return Token{}, fmt.Errorf("oauth sign-in: redirect listener %s is not on a loopback address", ln.Addr())
	}
	state, err := randomString()
	if err != nil {
		ln.Close()
		return Token{}, fmt.Errorf("oauth sign-in: %w", err)
	}
	verifier := oauth2.GenerateVerifier()
	cfg := oauthConfig(p)
	cfg.RedirectURL = "http://" + ln.Addr().String() + "/"

	h := newCallbackHandler(state)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	srv.SetKeepAlivesEnabled(false)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // returns when srv is closed below
	}()
	defer func() {
		// Release a redirect still waiting for a verdict (no-op if one was given),
		// give the browser its result page, then make sure nothing listens any more.
		h.finish(false, "Sign-in was stopped in Postbode.")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		<-served
	}()

	authOpts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if opts.LoginHint != "" {
		authOpts = append(authOpts, oauth2.SetAuthURLParam("login_hint", opts.LoginHint))
	}
	if err := opts.Open(cfg.AuthCodeURL(state, authOpts...)); err != nil {
		return Token{}, fmt.Errorf("oauth sign-in: opening the browser: %w", err)
	}

	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var cb callback
	select {
	case cb = <-h.result:
	case <-wctx.Done():
		if ctx.Err() != nil {
			return Token{}, fmt.Errorf("oauth sign-in: %w: %w", ErrCancelled, ctx.Err())
		}
		return Token{}, fmt.Errorf("oauth sign-in: %w after %v", ErrTimedOut, timeout)
	}
	if cb.err != nil {
		h.finish(false, cb.page)
		return Token{}, fmt.Errorf("oauth sign-in: %w", cb.err)
	}

	xctx, xcancel := context.WithTimeout(ctx, httpTimeout)
	defer xcancel()
	xctx = context.WithValue(xctx, oauth2.HTTPClient, defaultHTTPClient(opts.HTTPClient))
	tok, err := cfg.Exchange(xctx, cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		h.finish(false, "Postbode could not complete the sign-in. Return to Postbode for details.")
		if ctx.Err() != nil {
			return Token{}, fmt.Errorf("oauth sign-in: %w: %w", ErrCancelled, ctx.Err())
		}
		return Token{}, fmt.Errorf("oauth sign-in: code exchange: %w", endpointError(err, cb.code, verifier, p.ClientSecret))
	}
	if tok.RefreshToken == "" {
		h.finish(false, "The provider did not allow offline access. Return to Postbode for details.")
		return Token{}, errors.New("oauth sign-in: the provider returned no refresh token (offline access not granted)")
	}
	h.finish(true, "You can return to Postbode.")
	return Token{Access: tok.AccessToken, Refresh: tok.RefreshToken, Expiry: tok.Expiry}, nil
}

// oauthConfig is a public client: credentials go in the form body, since some
// providers refuse Basic auth without a real secret.
func oauthConfig(p Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: p.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.AuthURL,
			TokenURL:  p.TokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		},
		Scopes: p.Scopes,
	}
}

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// callback is what the redirect handler hands to SignIn.
type callback struct {
	code string
	err  error
	page string // shown in the browser when err is set
}

// callbackHandler serves the redirect URI. It accepts one request (right path,
// method, state, loopback peer) and refuses all others; the accepted request
// waits for SignIn's verdict so the browser shows the real outcome.
type callbackHandler struct {
	state  string
	result chan callback // buffered 1: the accepted request never blocks on it

	mu       sync.Mutex
	accepted bool
	verdict  chan page // buffered 1, written once by finish
	once     sync.Once
}

type page struct {
	ok   bool
	text string
}

func newCallbackHandler(state string) *callbackHandler {
	return &callbackHandler{
		state:   state,
		result:  make(chan callback, 1),
		verdict: make(chan page, 1),
	}
}

// finish sets the page the accepted request shows; later calls are ignored.
func (h *callbackHandler) finish(ok bool, text string) {
	h.once.Do(func() { h.verdict <- page{ok, text} })
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		writePage(w, http.StatusMethodNotAllowed, false, "This address only accepts the sign-in redirect.")
		return
	}
	if !fromLoopback(r.RemoteAddr) {
		writePage(w, http.StatusForbidden, false, "Refused: the sign-in redirect must come from this computer.")
		return
	}
	q := r.URL.Query()
	// A request without our state did not come from the sign-in Postbode started
	// (another page poking the port); refuse it and keep waiting for the real one.
	if q.Get("state") != h.state {
		writePage(w, http.StatusBadRequest, false, "Refused: this sign-in response does not belong to the sign-in Postbode started.")
		return
	}
	h.mu.Lock()
	if h.accepted {
		h.mu.Unlock()
		writePage(w, http.StatusConflict, false, "This sign-in has already been completed.")
		return
	}
	h.accepted = true
	h.mu.Unlock()

	var cb callback
	switch e := q.Get("error"); {
	case e == "access_denied":
		cb = callback{err: ErrCancelled, page: "Sign-in was cancelled. You can return to Postbode."}
	case e != "":
		cb = callback{err: fmt.Errorf("the provider refused the sign-in: %s", describe(e, q.Get("error_description"))),
			page: "The provider refused the sign-in. Return to Postbode for details."}
	case q.Get("code") == "":
		cb = callback{err: errors.New("the redirect carried no authorization code"),
			page: "The sign-in response was incomplete. Return to Postbode and try again."}
	default:
		cb = callback{code: q.Get("code")}
	}
	h.result <- cb
	select {
	case p := <-h.verdict:
		status := http.StatusOK
		if !p.ok {
			status = http.StatusBadRequest
		}
		writePage(w, status, p.ok, p.text)
	case <-r.Context().Done():
	}
}

func fromLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writePage(w http.ResponseWriter, status int, ok bool, text string) {
	title := "Postbode sign-in failed"
	if ok {
		title = "Postbode sign-in complete"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head><body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}
