package oauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

type browserPage struct {
	status int
	body   string
	err    error
}

// browse plays the system browser: it fetches u, following redirects (mockoidc's
// authorize endpoint redirects to the loopback listener), and reports the last page.
func browse(u string) <-chan browserPage {
	out := make(chan browserPage, 1)
	go func() {
		c := &http.Client{Timeout: 30 * time.Second} // a way out if the listener hangs
		resp, err := c.Get(u)
		if err != nil {
			out <- browserPage{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- browserPage{status: resp.StatusCode, body: string(b), err: err}
	}()
	return out
}

// redirectTo builds a request to the redirect URI of the flow that auth belongs to.
func redirectTo(t *testing.T, auth string, q url.Values) string {
	t.Helper()
	u, err := url.Parse(auth)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("redirect_uri") + "?" + q.Encode()
}

func stateOf(t *testing.T, auth string) string {
	t.Helper()
	u, err := url.Parse(auth)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

func TestSignInWithMockOIDC(t *testing.T) {
	mk := startMock(t)
	var authURL string
	var pages <-chan browserPage
	tok, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		LoginHint: "ann@example.com",
		Open: func(u string) error {
			authURL = u
			pages = browse(u)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if tok.Access == "" || tok.Refresh == "" || !tok.Expiry.After(time.Now()) {
		t.Fatalf("token = %+v, want access, refresh and a future expiry", tok)
	}
	p := <-pages
	if p.err != nil || p.status != http.StatusOK || !strings.Contains(p.body, "You can return to Postbode.") {
		t.Fatalf("browser page = %d %q %v", p.status, p.body, p.err)
	}

	q := mustQuery(t, authURL)
	for k, want := range map[string]string{
		"code_challenge_method": "S256",
		"login_hint":            "ann@example.com",
		"response_type":         "code",
		"client_id":             mk.m.ClientID,
	} {
		if q.Get(k) != want {
			t.Errorf("auth URL %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 32 || q.Get("code_challenge") == "" {
		t.Errorf("auth URL lacks a strong state or a code challenge: %s", authURL)
	}
	redirect := q.Get("redirect_uri")
	if !strings.HasPrefix(redirect, "http://127.0.0.1:") || !strings.HasSuffix(redirect, "/") {
		t.Errorf("redirect_uri = %q, want http://127.0.0.1:PORT/", redirect)
	}
	if got := mk.requests(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}

	// The listener is gone: a second redirect cannot even connect.
	second := <-browse(redirect + "?code=x&state=" + q.Get("state"))
	if second.err == nil {
		t.Fatalf("second request to the redirect listener got %d, want a connection error", second.status)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestSignInRefusesWrongStateAndKeepsWaiting(t *testing.T) {
	mk := startMock(t)
	var wrong browserPage
	var pages <-chan browserPage
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		Open: func(u string) error {
			// A forged redirect arrives first; it must not end the flow.
			wrong = <-browse(redirectTo(t, u, url.Values{"code": {"forged"}, "state": {"not-the-state"}}))
			pages = browse(u)
			return nil
		},
	})
	if err != nil {
		t.Fatalf("SignIn after a forged redirect: %v", err)
	}
	if wrong.err != nil || wrong.status != http.StatusBadRequest || !strings.Contains(wrong.body, "Refused") {
		t.Errorf("forged redirect got %d %q %v, want a 400 refusal page", wrong.status, wrong.body, wrong.err)
	}
	if p := <-pages; p.status != http.StatusOK {
		t.Errorf("real redirect got %d %q", p.status, p.body)
	}
	if got := mk.requests(); got != 1 {
		t.Errorf("token requests = %d, want 1 (the forged code is never exchanged)", got)
	}
}

func TestSignInAccessDenied(t *testing.T) {
	mk := startMock(t)
	var pages <-chan browserPage
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		Open: func(u string) error {
			pages = browse(redirectTo(t, u, url.Values{"error": {"access_denied"}, "state": {stateOf(t, u)}}))
			return nil
		},
	})
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v, want ErrCancelled", err)
	}
	if p := <-pages; !strings.Contains(p.body, "cancelled") {
		t.Errorf("browser page = %q", p.body)
	}
	if got := mk.requests(); got != 0 {
		t.Errorf("token requests = %d, want 0", got)
	}
}

func TestSignInProviderErrorIsRedacted(t *testing.T) {
	mk := startMock(t)
	secret := "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXRleHQ.c2lnbmF0dXJl"
	var pages <-chan browserPage
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		Open: func(u string) error {
			pages = browse(redirectTo(t, u, url.Values{
				"error": {"server_error"}, "error_description": {"broke on " + secret}, "state": {stateOf(t, u)},
			}))
			return nil
		},
	})
	if err == nil || errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "server_error") {
		t.Fatalf("err = %v, want the provider's server_error", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error string carries token-like text: %v", err)
	}
	<-pages
}

// stripVerifier is a transport that drops code_verifier from token requests,
// as a client without PKCE would send them.
type stripVerifier struct{ sawVerifier bool }

func (s *stripVerifier) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	s.sawVerifier = form.Get("code_verifier") != ""
	form.Del("code_verifier")
	enc := form.Encode()
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(strings.NewReader(enc))
	r.ContentLength = int64(len(enc))
	return http.DefaultTransport.RoundTrip(r)
}

func TestSignInWithoutVerifierIsRefused(t *testing.T) {
	mk := startMock(t)
	strip := &stripVerifier{}
	var pages <-chan browserPage
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		HTTPClient: &http.Client{Transport: strip},
		Open: func(u string) error {
			pages = browse(u)
			return nil
		},
	})
	var ee *EndpointError
	if !errors.As(err, &ee) || ee.Status != http.StatusUnauthorized || ee.Code != "invalid_grant" {
		t.Fatalf("err = %v, want the token endpoint's 401 invalid_grant", err)
	}
	if !strip.sawVerifier {
		t.Error("SignIn sent no code_verifier of its own")
	}
	if p := <-pages; p.status == http.StatusOK || strings.Contains(p.body, "You can return to Postbode.") {
		t.Errorf("browser was told the sign-in worked: %d %q", p.status, p.body)
	}
}

func TestSignInCancel(t *testing.T) {
	mk := startMock(t)
	ctx, cancel := context.WithCancel(context.Background())
	var redirect string
	_, err := SignIn(ctx, mk.provider(), SignInOptions{
		Open: func(u string) error {
			redirect = mustQuery(t, u).Get("redirect_uri")
			cancel() // the user closed the wizard
			return nil
		},
	})
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrCancelled and context.Canceled", err)
	}
	if p := <-browse(redirect); p.err == nil {
		t.Errorf("listener still answers after cancel: %d", p.status)
	}
}

func TestSignInTimeout(t *testing.T) {
	mk := startMock(t)
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		Timeout: time.Millisecond,
		Open:    func(string) error { return nil }, // the browser never comes back
	})
	if !errors.Is(err, ErrTimedOut) {
		t.Fatalf("err = %v, want ErrTimedOut", err)
	}
}

func TestSignInPreconditions(t *testing.T) {
	mk := startMock(t)
	p := mk.provider()
	p.ClientID = ""
	if _, err := SignIn(context.Background(), p, SignInOptions{Open: func(string) error { return nil }}); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("no client ID: err = %v, want ErrNotConfigured", err)
	}
	if _, err := SignIn(context.Background(), mk.provider(), SignInOptions{}); err == nil {
		t.Error("no Open func: want an error")
	}
	openErr := errors.New("no browser")
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{Open: func(string) error { return openErr }})
	if !errors.Is(err, openErr) {
		t.Errorf("Open failing: err = %v", err)
	}
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	_, err = SignIn(context.Background(), mk.provider(), SignInOptions{
		Listen: func() (net.Listener, error) { return ln, nil },
		Open:   func(string) error { return openErr },
	})
	if !errors.Is(err, openErr) {
		t.Errorf("err = %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("listener from Listen hook left open")
	}
	_, err = SignIn(context.Background(), mk.provider(), SignInOptions{
		Listen: func() (net.Listener, error) { return net.Listen("tcp", "0.0.0.0:0") },
		Open:   func(string) error { t.Error("browser opened for a non-loopback listener"); return nil },
	})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("non-loopback listener: err = %v", err)
	}
}

func TestCallbackHandlerRefusals(t *testing.T) {
	const state = "the-state"
	tests := []struct {
		name, method, target, remote string
		want                         int
	}{
		{"non-loopback peer", http.MethodGet, "/?code=c&state=" + state, "203.0.113.7:4711", http.StatusForbidden},
		{"unparsable peer", http.MethodGet, "/?code=c&state=" + state, "nonsense", http.StatusForbidden},
		{"wrong state", http.MethodGet, "/?code=c&state=other", "127.0.0.1:5000", http.StatusBadRequest},
		{"no state", http.MethodGet, "/?code=c", "127.0.0.1:5000", http.StatusBadRequest},
		{"POST", http.MethodPost, "/?code=c&state=" + state, "127.0.0.1:5000", http.StatusMethodNotAllowed},
		{"other path", http.MethodGet, "/favicon.ico", "127.0.0.1:5000", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCallbackHandler(state)
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.RemoteAddr = tt.remote
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
			select {
			case cb := <-h.result:
				t.Errorf("refused request reached SignIn: %+v", cb)
			default:
			}
		})
	}
}

func TestCallbackHandlerAcceptsOnce(t *testing.T) {
	h := newCallbackHandler("s")
	req := func(remote string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/?code=c&state=s", nil)
		r.RemoteAddr = remote
		return r
	}
	first := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(first, req("[::1]:5000")) // waits for the verdict
	}()
	if cb := <-h.result; cb.code != "c" || cb.err != nil {
		t.Fatalf("callback = %+v", cb)
	}
	second := httptest.NewRecorder()
	h.ServeHTTP(second, req("127.0.0.1:5001"))
	if second.Code != http.StatusConflict {
		t.Errorf("second request status = %d, want %d", second.Code, http.StatusConflict)
	}
	h.finish(true, "You can return to Postbode.")
	<-done
	if first.Code != http.StatusOK || !bytes.Contains(first.Body.Bytes(), []byte("You can return to Postbode.")) {
		t.Errorf("first request got %d %q", first.Code, first.Body)
	}
}
