package oauth

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

// mock is a mockoidc server with its token endpoint wrapped so tests can
// count requests and change answers.
type mock struct {
	m *mockoidc.MockOIDC

	// mu serialises all mockoidc handlers (its session store has no lock) and
	// guards the fields below.
	mu            sync.Mutex
	tokenRequests int
	grants        []string // grant_type of each token request
	// tokenHook, when set, may answer a token request itself (returning true)
	// or adjust it before mockoidc sees it.
	tokenHook func(w http.ResponseWriter, r *http.Request, next http.Handler) bool
}

func startMock(t *testing.T) *mock {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// mockoidc writes expires_in as a time.Duration, that is in nanoseconds;
	// 3600ns makes the wire say "expires_in": 3600, an hour for the client.
	m.AccessTTL = 3600
	mk := &mock{m: m}
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mk.mu.Lock()
			defer mk.mu.Unlock()
			if r.URL.Path == mockoidc.TokenEndpoint {
				mk.tokenRequests++
				if err := r.ParseForm(); err == nil {
					mk.grants = append(mk.grants, r.PostForm.Get("grant_type"))
				}
				if mk.tokenHook != nil && mk.tokenHook(w, r, next) {
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Server.Shutdown(ctx)
	})
	return mk
}

func (mk *mock) provider() Provider {
	return Provider{
		ID:           "mock",
		Name:         "Mock",
		AuthURL:      mk.m.AuthorizationEndpoint(),
		TokenURL:     mk.m.TokenEndpoint(),
		ClientID:     mk.m.ClientID,
		ClientSecret: mk.m.ClientSecret,           // mockoidc insists on one
		Scopes:       []string{"openid", "email"}, // the only kind mockoidc accepts
		Issuer:       mk.m.Issuer(),
	}
}

func (mk *mock) requests() int {
	mk.mu.Lock()
	defer mk.mu.Unlock()
	return mk.tokenRequests
}

func (mk *mock) setHook(h func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) {
	mk.mu.Lock()
	defer mk.mu.Unlock()
	mk.tokenHook = h
}

// fastForward moves mockoidc's clock so new tokens differ from old ones
// (their times have one-second precision).
func (mk *mock) fastForward(d time.Duration) {
	mk.mu.Lock()
	defer mk.mu.Unlock()
	mk.m.FastForward(d)
}

func (mk *mock) queueError(code int, name, desc string) {
	mk.mu.Lock()
	defer mk.mu.Unlock()
	mk.m.QueueError(&mockoidc.ServerError{Code: code, Error: name, Description: desc})
}
