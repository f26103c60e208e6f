package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable SourceOptions.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signInMock completes a sign-in against mk and returns its token.
func signInMock(t *testing.T, mk *mock) Token {
	t.Helper()
	var pages <-chan browserPage
	tok, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		Open: func(u string) error { pages = browse(u); return nil },
	})
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	<-pages
	return tok
}

func TestFresh(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	tests := []struct {
		name   string
		life   time.Duration // zero: no expiry known
		at     time.Duration
		access string
		want   bool
	}{
		{"new hour token", time.Hour, 0, "a", true},
		{"61s left of an hour", time.Hour, time.Hour - 61*time.Second, "a", true},
		{"59s left of an hour", time.Hour, time.Hour - 59*time.Second, "a", false},
		{"11s left of 100s", 100 * time.Second, 89 * time.Second, "a", true},
		{"9s left of 100s", 100 * time.Second, 91 * time.Second, "a", false},
		{"expired", time.Minute, 2 * time.Minute, "a", false},
		{"no expiry", 0, 100 * time.Hour, "a", true},
		{"invalidated", time.Hour, 0, "", false},
	}
	for _, tt := range tests {
		s := &Source{access: tt.access, obtained: t0}
		if tt.life > 0 {
			s.expiry = t0.Add(tt.life)
		}
		if got := s.fresh(t0.Add(tt.at)); got != tt.want {
			t.Errorf("%s: fresh = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSourceRefreshesOncePerExpiry(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	clk := newClock()
	s := NewSource(mk.provider(), tok.Refresh, SourceOptions{Now: clk.Now})
	ctx := context.Background()
	base := mk.requests()

	first, err := s.Token(ctx)
	if err != nil || first == "" {
		t.Fatalf("Token = %q, %v", first, err)
	}
	clk.Add(time.Hour - 61*time.Second) // mockoidc says expires_in 3600
	again, err := s.Token(ctx)
	if err != nil || again != first {
		t.Fatalf("Token before the refresh window = %q, %v; want the cached token", again, err)
	}
	if got := mk.requests() - base; got != 1 {
		t.Fatalf("token requests = %d, want 1", got)
	}

	clk.Add(2 * time.Second) // 59 s left: inside the refresh window
	mk.fastForward(2 * time.Second)
	const callers = 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = s.Token(ctx)
		}()
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || got[i] == "" || got[i] == first || got[i] != got[0] {
			t.Fatalf("caller %d: %q, %v; want the one new token", i, got[i], errs[i])
		}
	}
	if n := mk.requests() - base; n != 2 {
		t.Errorf("token requests after %d concurrent callers = %d, want 2 (one per expiry)", callers, n)
	}
	t.Logf("token-endpoint requests: %d for 2 expiries and %d concurrent callers", mk.requests()-base, callers)
}

func TestSourceInvalidate(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	s := NewSource(mk.provider(), tok.Refresh, SourceOptions{Now: newClock().Now})
	ctx := context.Background()
	base := mk.requests()
	old, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mk.fastForward(2 * time.Second)
	// Three connections were refused with the same token: one refresh.
	s.Invalidate(old)
	s.Invalidate(old)
	cur, err := s.Token(ctx)
	if err != nil || cur == old {
		t.Fatalf("Token after Invalidate = %q, %v", cur, err)
	}
	s.Invalidate(old) // a late report about the replaced token
	if again, err := s.Token(ctx); err != nil || again != cur {
		t.Fatalf("Token after stale Invalidate = %q, %v; want the current token", again, err)
	}
	if n := mk.requests() - base; n != 2 {
		t.Errorf("token requests = %d, want 2", n)
	}
}

// rotate makes mk's refresh grants hand out a new refresh token each time,
// translating it back for mockoidc, which does not rotate.
func rotate(mk *mock) (sent func() []string) {
	var (
		mu    sync.Mutex
		alias = map[string]string{}
		seen  []string
	)
	mk.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.PostForm.Get("grant_type") != "refresh_token" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		rt := r.PostForm.Get("refresh_token")
		seen = append(seen, rt)
		if orig, ok := alias[rt]; ok {
			r.PostForm.Set("refresh_token", orig)
			r.Form.Set("refresh_token", orig)
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil && rec.Code == http.StatusOK {
			rotated := fmt.Sprintf("rotated-%d", len(alias)+1)
			alias[rotated] = r.PostForm.Get("refresh_token")
			body["refresh_token"] = rotated
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(body)
		return true
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestSourceRotationSavesRefresh(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	sent := rotate(mk)
	var saved []string
	s := NewSource(mk.provider(), tok.Refresh, SourceOptions{
		Now:         newClock().Now,
		SaveRefresh: func(r string) error { saved = append(saved, r); return nil },
	})
	ctx := context.Background()
	a, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Invalidate(a)
	if _, err := s.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"rotated-1", "rotated-2"}; fmt.Sprint(saved) != fmt.Sprint(want) {
		t.Errorf("SaveRefresh got %q, want %q", saved, want)
	}
	if got := sent(); len(got) != 2 || got[0] != tok.Refresh || got[1] != "rotated-1" {
		t.Errorf("refresh tokens sent = %q, want the original then rotated-1", got)
	}
}

func TestSourceSaveRefreshFailure(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	rotate(mk)
	keyring := errors.New("keyring locked")
	s := NewSource(mk.provider(), tok.Refresh, SourceOptions{
		Now:         newClock().Now,
		SaveRefresh: func(string) error { return keyring },
	})
	if _, err := s.Token(context.Background()); !errors.Is(err, keyring) {
		t.Fatalf("err = %v, want the SaveRefresh error", err)
	}
	base := mk.requests()
	if a, err := s.Token(context.Background()); err != nil || a == "" {
		t.Fatalf("second Token = %q, %v; want the cached token", a, err)
	}
	if mk.requests() != base {
		t.Error("second Token refreshed again")
	}
}

func TestSourceRefusedRefreshNeedsSignIn(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{http.StatusBadRequest, "invalid_grant"},
		{http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			mk := startMock(t)
			tok := signInMock(t, mk)
			s := NewSource(mk.provider(), tok.Refresh, SourceOptions{Now: newClock().Now})
			mk.queueError(tc.status, tc.code, "refresh token "+tok.Refresh+" was revoked")
			base := mk.requests()
			_, err := s.Token(context.Background())
			if !errors.Is(err, ErrSignInAgain) {
				t.Fatalf("err = %v, want ErrSignInAgain", err)
			}
			if strings.Contains(err.Error(), tok.Refresh) {
				t.Fatalf("error string carries the refresh token: %v", err)
			}
			for range 5 {
				if _, err := s.Token(context.Background()); !errors.Is(err, ErrSignInAgain) {
					t.Fatalf("later Token: %v, want ErrSignInAgain", err)
				}
			}
			if n := mk.requests() - base; n != 1 {
				t.Errorf("token requests = %d, want 1 (none after the refusal)", n)
			}
			s.Replace(signInMock(t, mk).Refresh)
			if a, err := s.Token(context.Background()); err != nil || a == "" {
				t.Errorf("Token after Replace = %q, %v", a, err)
			}
		})
	}
}

func TestSourceTemporaryFailure(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	s := NewSource(mk.provider(), tok.Refresh, SourceOptions{Now: newClock().Now})
	mk.queueError(http.StatusServiceUnavailable, "temporarily_unavailable", "busy")
	_, err := s.Token(context.Background())
	var ee *EndpointError
	if errors.Is(err, ErrSignInAgain) || !errors.As(err, &ee) || !ee.Temporary() {
		t.Fatalf("err = %v, want a temporary EndpointError", err)
	}
	if a, err := s.Token(context.Background()); err != nil || a == "" {
		t.Fatalf("retry: %q, %v", a, err)
	}

	// An unreachable token endpoint is temporary too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := mk.provider()
	p.TokenURL = "http://" + ln.Addr().String() + "/token"
	ln.Close()
	_, err = NewSource(p, tok.Refresh, SourceOptions{}).Token(context.Background())
	if err == nil || errors.Is(err, ErrSignInAgain) {
		t.Fatalf("unreachable endpoint: err = %v, want a temporary error", err)
	}
}

func TestSourceWaiterHonoursContext(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	entered, release := make(chan struct{}), make(chan struct{})
	mk.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		close(entered)
		<-release
		return false
	})
	s := NewSource(mk.provider(), tok.Refresh, SourceOptions{Now: newClock().Now})
	first := make(chan error, 1)
	go func() {
		_, err := s.Token(context.Background())
		first <- err
	}()
	<-entered // the refresh is in flight
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting caller with a cancelled context: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("refreshing caller: %v", err)
	}
}

// TestNoTokensInErrors is the canary: every failing path that sees a token
// endpoint echo our secrets must keep them out of its error string.
func TestNoTokensInErrors(t *testing.T) {
	mk := startMock(t)
	tok := signInMock(t, mk)
	secrets := []string{tok.Access, tok.Refresh, mk.m.ClientSecret}
	echo := strings.Join(secrets, " ")
	var errs []error

	for _, answer := range []struct {
		status int
		ctype  string
		body   string
	}{
		{400, "application/json", `{"error":"invalid_grant","error_description":"` + echo + `"}`},
		{401, "application/json", `{"error":"invalid_client","error_description":"` + echo + `"}`},
		{500, "application/json", `{"error":"server_error","error_description":"` + echo + `"}`},
		{502, "text/plain", "upstream said: " + echo},
		{200, "application/json", `{"token_type":"` + echo + `"}`}, // no access_token
	} {
		mk.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
			w.Header().Set("Content-Type", answer.ctype)
			w.WriteHeader(answer.status)
			fmt.Fprint(w, answer.body)
			return true
		})
		_, err := NewSource(mk.provider(), tok.Refresh, SourceOptions{}).Token(context.Background())
		errs = append(errs, err)
	}

	// The code exchange echoing the code, verifier and tokens.
	var code string
	mk.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		code = r.PostForm.Get("code")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"code %s verifier %s %s"}`,
			code, r.PostForm.Get("code_verifier"), echo)
		return true
	})
	var pages <-chan browserPage
	_, err := SignIn(context.Background(), mk.provider(), SignInOptions{
		Open: func(u string) error { pages = browse(u); return nil },
	})
	<-pages
	errs = append(errs, err)
	secrets = append(secrets, code)

	revoker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_request","error_description":"bad token %s"}`, r.FormValue("token"))
	}))
	defer revoker.Close()
	p := mk.provider()
	p.RevokeURL = revoker.URL
	errs = append(errs, Revoke(context.Background(), p, tok.Refresh, nil))

	for i, err := range errs {
		if err == nil {
			t.Errorf("path %d: no error", i)
			continue
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("path %d: error string carries a secret: %v", i, err)
			}
		}
	}
}

func TestRevoke(t *testing.T) {
	var form map[string][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		form = r.PostForm
	}))
	defer srv.Close()
	p := Provider{Name: "Test", RevokeURL: srv.URL, ClientID: "cid"}
	if err := Revoke(context.Background(), p, "rt", nil); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if fmt.Sprint(form["token"], form["client_id"]) != "[rt] [cid]" {
		t.Errorf("revocation form = %v", form)
	}

	reg, err := NewRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := reg.Get("microsoft")
	if err := Revoke(context.Background(), ms, "rt", nil); !errors.Is(err, ErrNoRevocation) {
		t.Errorf("Microsoft: err = %v, want ErrNoRevocation", err)
	}
}

func TestSourceWithoutRefreshToken(t *testing.T) {
	mk := startMock(t)
	s := NewSource(mk.provider(), "", SourceOptions{})
	if _, err := s.Token(context.Background()); !errors.Is(err, ErrSignInAgain) {
		t.Errorf("err = %v, want ErrSignInAgain", err)
	}
	if n := mk.requests(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}
