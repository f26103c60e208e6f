package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// ErrSignInAgain means the provider refused the refresh token (revoked, expired,
// password changed): only a new interactive SignIn helps.
var ErrSignInAgain = errors.New("the provider no longer accepts this account's sign-in; sign in again")

// SourceOptions tune a Source.
type SourceOptions struct {
	// HTTPClient is used for the token endpoint; nil means a client with a timeout.
	HTTPClient *http.Client
	// SaveRefresh stores a rotated refresh token (in the OS keyring). If it
	// fails, Token returns that error once; the new token stays in memory.
	SaveRefresh func(refresh string) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Source hands out access tokens for one account, refreshing them shortly
// before they expire. It is safe for concurrent use; concurrent callers
// share one refresh.
type Source struct {
	cfg  *oauth2.Config
	opts SourceOptions

	mu       sync.Mutex
	refresh  string
	access   string
	obtained time.Time
	expiry   time.Time
	dead     error        // sticky ErrSignInAgain until Replace
	inflight *refreshCall // non-nil while a refresh runs
}

// refreshCall is one refresh shared by all callers that arrive while it runs.
type refreshCall struct {
	done  chan struct{}
	token string
	err   error
}

// NewSource returns a Source for the account whose refresh token is refresh.
func NewSource(p Provider, refresh string, opts SourceOptions) *Source {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.HTTPClient = defaultHTTPClient(opts.HTTPClient)
	s := &Source{cfg: oauthConfig(p), opts: opts}
	s.Replace(refresh)
	return s
}

// maxEarly is the most a token is refreshed ahead of its expiry.
const maxEarly = 60 * time.Second

// fresh reports whether the cached token is usable without refreshing: it is
// renewed when less than a tenth of its life, or a minute, remains.
func (s *Source) fresh(now time.Time) bool {
	if s.access == "" {
		return false
	}
	if s.expiry.IsZero() {
		return true // the provider gave no lifetime; Invalidate will catch refusals
	}
	early := min(s.expiry.Sub(s.obtained)/10, maxEarly)
	return now.Before(s.expiry.Add(-early))
}

// Token returns a valid access token, refreshing it if needed.
func (s *Source) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		if s.dead != nil {
			s.mu.Unlock()
			return "", s.dead
		}
		if s.fresh(s.opts.Now()) {
			t := s.access
			s.mu.Unlock()
			return t, nil
		}
		call := s.inflight
		if call == nil {
			call = &refreshCall{done: make(chan struct{})}
			s.inflight = call
			refresh := s.refresh
			s.mu.Unlock()
			call.token, call.err = s.doRefresh(ctx, refresh)
			s.mu.Lock()
			s.inflight = nil
			s.mu.Unlock()
			close(call.done)
		} else {
			s.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return "", fmt.Errorf("oauth token: %w", ctx.Err())
			}
			// The refreshing caller gave up on its own context: try ourselves.
			if call.err != nil && ctx.Err() == nil &&
				(errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)) {
				continue
			}
		}
		if call.err != nil {
			return "", call.err
		}
		if call.token != "" {
			return call.token, nil
		}
		// Replace ran during the refresh; start over with the new refresh token.
	}
}

// doRefresh runs one refresh grant and stores the outcome. It returns an empty
// token and no error when Replace ran meanwhile.
func (s *Source) doRefresh(ctx context.Context, refresh string) (string, error) {
	start := s.opts.Now()
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.opts.HTTPClient)
	tok, err := s.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token()
	if err != nil {
		err = endpointError(err, refresh, s.cfg.ClientSecret)
		if !refused(err) {
			return "", fmt.Errorf("oauth token refresh (temporary): %w", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.refresh != refresh {
			return "", nil // Replace ran meanwhile
		}
		s.dead = fmt.Errorf("oauth token refresh: %w (%w)", ErrSignInAgain, err)
		return "", s.dead
	}
	s.mu.Lock()
	if s.refresh != refresh {
		s.mu.Unlock()
		return "", nil
	}
	s.access = tok.AccessToken
	s.obtained = start
	s.expiry = time.Time{}
	if tok.ExpiresIn > 0 {
		// Our own clock rather than tok.Expiry, so SourceOptions.Now rules.
		s.expiry = start.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	rotated := tok.RefreshToken != "" && tok.RefreshToken != refresh
	if rotated {
		s.refresh = tok.RefreshToken
	}
	s.mu.Unlock()
	if rotated && s.opts.SaveRefresh != nil {
		if err := s.opts.SaveRefresh(tok.RefreshToken); err != nil {
			return "", fmt.Errorf("oauth token refresh: saving the rotated refresh token: %w", err)
		}
	}
	return tok.AccessToken, nil
}

// Invalidate tells the Source that the server refused access. The next Token
// call refreshes, but only if access is still the current token: many
// connections failing with the same token cause one refresh, not many.
func (s *Source) Invalidate(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if access != "" && access == s.access {
		s.access = ""
	}
}

// Replace installs a refresh token from a new SignIn and clears ErrSignInAgain.
// An empty refresh token leaves the Source answering ErrSignInAgain.
func (s *Source) Replace(refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = refresh
	s.access = ""
	s.dead = nil
	if refresh == "" {
		s.dead = fmt.Errorf("oauth token: no refresh token stored: %w", ErrSignInAgain)
	}
}

// ErrNoRevocation: the provider has no revocation endpoint; the user has to
// remove Postbode's access in the provider's account settings.
var ErrNoRevocation = errors.New("the provider offers no token revocation; remove access in the account's security settings")

// Revoke asks the provider to revoke token, a refresh or access token (RFC 7009),
// so that removing an account also removes Postbode's access. It returns
// ErrNoRevocation and sends nothing if the provider has no revocation endpoint.
// A nil httpClient means a client with a timeout.
func Revoke(ctx context.Context, p Provider, token string, httpClient *http.Client) error {
	if p.RevokeURL == "" {
		return fmt.Errorf("oauth revoke with %s: %w", p.Name, ErrNoRevocation)
	}
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	form := url.Values{"token": {token}}
	if p.ClientID != "" {
		form.Set("client_id", p.ClientID)
	}
	if p.ClientSecret != "" {
		form.Set("client_secret", p.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("oauth revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := defaultHTTPClient(httpClient).Do(req)
	if err != nil {
		return fmt.Errorf("oauth revoke: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	// Best effort: the body only feeds a redacted description.
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	return fmt.Errorf("oauth revoke: %w", &EndpointError{
		Status:      resp.StatusCode,
		Code:        redact(body.Error, token, p.ClientSecret),
		Description: redact(body.Description, token, p.ClientSecret),
	})
}

// EndpointError is a refusal from a token or revocation endpoint, with
// anything token-like removed from Description.
type EndpointError struct {
	Status      int    // HTTP status
	Code        string // OAuth "error" field, e.g. "invalid_grant"
	Description string // redacted, shortened "error_description"
}

func (e *EndpointError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Temporary reports whether retrying later may help (server-side trouble).
func (e *EndpointError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// refused reports whether the provider rejected the grant itself (RFC 6749 §5.2).
func refused(err error) bool {
	var ee *EndpointError
	if !errors.As(err, &ee) {
		return false
	}
	return ee.Status == http.StatusUnauthorized ||
		(ee.Status == http.StatusBadRequest && ee.Code == "invalid_grant")
}

// endpointError turns an oauth2 error into one that is safe to show or log:
// oauth2.RetrieveError.Error() includes the raw response body, which may echo
// the code or token we sent, so it is never wrapped as such.
func endpointError(err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		ee := &EndpointError{Code: redact(re.ErrorCode, secrets...), Description: redact(re.ErrorDescription, secrets...)}
		if re.Response != nil {
			ee.Status = re.Response.StatusCode
		}
		return ee
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The token URL carries no secrets, the body is not in the error.
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Anything else (e.g. a malformed token response) is described without its text.
	return errors.New(redact(err.Error(), secrets...))
}

// tokenLike matches long runs of token alphabet characters: JWTs, opaque
// tokens, codes. Words in an error description are much shorter.
var tokenLike = regexp.MustCompile(`[A-Za-z0-9\-._~+/=]{24,}`)

// maxDescription bounds provider text in errors.
const maxDescription = 200

// redact removes the given secrets and anything token-like from s and shortens it.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = tokenLike.ReplaceAllString(s, "[redacted]")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxDescription {
		s = strings.ToValidUTF8(s[:maxDescription], "") + "…"
	}
	return s
}

// describe renders an OAuth error code and description for an error string.
func describe(code, desc string) string {
	code, desc = redact(code), redact(desc)
	if desc == "" {
		return code
	}
	return code + ": " + desc
}
