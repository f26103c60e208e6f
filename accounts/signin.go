package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"postbode/accounts/oauth"
	"postbode/types"
)

// ErrNoOAuth is what the OAuth2 calls return when the Manager was given no provider registry.
var ErrNoOAuth = errors.New("OAuth2 sign-in is not available here")

// tokenWait bounds one access-token request made for an engine's login.
const tokenWait = time.Minute

// signIns keeps the OAuth2 state of the accounts that sign in that way: one token source per
// account (created from the refresh token in the password store on first use) and the access
// token last handed out, so that a login the server refused renews exactly that token once.
type signIns struct {
	reg     *oauth.Registry // nil: no OAuth2 here
	http    *http.Client
	secrets PasswordSource

	mu      sync.Mutex
	sources map[string]*oauth.Source
	last    map[string]string
}

func newSignIns(reg *oauth.Registry, httpClient *http.Client, secrets PasswordSource) signIns {
	return signIns{reg: reg, http: httpClient, secrets: secrets, sources: map[string]*oauth.Source{}, last: map[string]string{}}
}

// OAuthProvider returns the OAuth2 provider for an account: the one it names, else the one that
// serves its incoming server's host or its address's domain.
func (m *Manager) OAuthProvider(acc types.Account) (oauth.Provider, bool) {
	return m.oauth.provider(acc)
}

func (s *signIns) provider(acc types.Account) (oauth.Provider, bool) {
	reg := s.reg
	if reg == nil {
		return oauth.Provider{}, false
	}
	if acc.Auth.Provider != "" {
		return reg.Get(acc.Auth.Provider)
	}
	for _, host := range []string{acc.Incoming.Host, acc.Email} {
		if p, ok := reg.ForHost(host); ok && host != "" {
			return p, true
		}
	}
	return oauth.Provider{}, false
}

// OAuthProviderFor returns the provider an address signs in with: the one whose own domain the
// address is at (outlook.com, gmail.com), else one that serves a host of the discovered settings
// (a company domain hosted by Microsoft 365 or Google Workspace). Without settings (r empty) only
// the address counts.
func (m *Manager) OAuthProviderFor(email string, r DiscoveryResult) (oauth.Provider, bool) {
	reg := m.oauth.reg
	if reg == nil {
		return oauth.Provider{}, false
	}
	if p, ok := reg.ForHost(email); ok {
		return p, true
	}
	for _, s := range append(append([]DiscoveredServer(nil), r.Incoming...), r.Outgoing...) {
		if p, ok := reg.ForHost(s.Host); ok {
			return p, true
		}
	}
	return oauth.Provider{}, false
}

// SignIn runs the provider's sign-in for acc in the system browser (open shows a URL) and returns
// the tokens; nothing is stored. The wizard tests the connection with the access token and hands
// the refresh token to AddAccount, which keeps it like a password.
func (m *Manager) SignIn(ctx context.Context, acc types.Account, open func(url string) error) (oauth.Token, error) {
	p, ok := m.OAuthProvider(acc)
	if !ok {
		if m.oauth.reg == nil {
			return oauth.Token{}, ErrNoOAuth
		}
		return oauth.Token{}, fmt.Errorf("no OAuth2 provider is known for %s", acc.Email)
	}
	p, err := p.Resolve(ctx, m.oauth.http)
	if err != nil {
		return oauth.Token{}, err
	}
	tok, err := oauth.SignIn(ctx, p, oauth.SignInOptions{LoginHint: acc.Email, Open: open, HTTPClient: m.oauth.http})
	if err != nil {
		return oauth.Token{}, err
	}
	if tok.Refresh == "" {
		return oauth.Token{}, fmt.Errorf("%s gave no refresh token: Postbode could not stay signed in", p.Name)
	}
	return tok, nil
}

// SignInAgain signs an OAuth2 account in anew (after its sign-in was revoked or expired), keeps
// the new refresh token as AddAccount would, and restarts the account's engine with it.
func (m *Manager) SignInAgain(ctx context.Context, name string, open func(url string) error, remember bool) error {
	acc, ok := m.Account(name)
	if !ok {
		return fmt.Errorf("no account named %q", name)
	}
	tok, err := m.SignIn(ctx, acc, open)
	if err != nil {
		return err
	}
	m.oauth.forget(name)
	return m.SetPassword(ctx, name, tok.Refresh, remember)
}

// SignOut revokes an OAuth2 account's refresh token where the provider allows it and forgets it
// here; the account stays, waiting for "Sign in again".
func (m *Manager) SignOut(ctx context.Context, name string) error {
	acc, ok := m.Account(name)
	if !ok {
		return fmt.Errorf("no account named %q", name)
	}
	store, err := m.passwordStore()
	if err != nil {
		return err
	}
	var errs []error
	if refresh, err := m.secrets.Get(name); err == nil && refresh != "" {
		if p, ok := m.OAuthProvider(acc); ok {
			if err := oauth.Revoke(ctx, p, refresh, m.oauth.http); err != nil {
				errs = append(errs, fmt.Errorf("revoke the sign-in of %s: %w", name, err))
			}
		}
	}
	errs = append(errs, store.Delete(name))
	m.oauth.forget(name)
	if err := m.stopEngine(ctx, name); err != nil {
		errs = append(errs, err)
	}
	m.launch(acc)
	return errors.Join(errs...)
}

// Secret returns what the account logs in with now: its password, or for an OAuth2 account an
// access token that is valid for a while yet (refreshed when close to expiry).
func (m *Manager) Secret(ctx context.Context, name string) (string, error) {
	acc, ok := m.Account(name)
	if !ok || !acc.OAuth2() {
		return m.secrets.Get(name)
	}
	return m.oauth.token(ctx, acc)
}

// LoginSecrets gives what each account logs in with now (Secret), for parts that log in on their
// own (the outbox).
func (m *Manager) LoginSecrets() PasswordSource { return loginSecrets{m} }

type loginSecrets struct{ m *Manager }

func (s loginSecrets) Get(name string) (string, error) { return s.m.engineSecret(name) }

// engineSecret is Secret for an engine's login, which has no context of its own.
func (m *Manager) engineSecret(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenWait)
	defer cancel()
	return m.Secret(ctx, name)
}

// token hands out a current access token of the account.
func (s *signIns) token(ctx context.Context, acc types.Account) (string, error) {
	src, err := s.source(ctx, acc)
	if err != nil {
		return "", err
	}
	tok, err := src.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("account %s: %w", acc.Name, err)
	}
	s.mu.Lock()
	s.last[acc.Name] = tok
	s.mu.Unlock()
	return tok, nil
}

// refused is told of a refused login: for an OAuth2 account the access token it used is renewed
// at the next login (once, however many connections were refused with it).
func (s *signIns) refused(name string) {
	s.mu.Lock()
	src, last := s.sources[name], s.last[name]
	s.mu.Unlock()
	if src != nil && last != "" {
		src.Invalidate(last)
	}
}

// source returns the account's token source, making it on first use. The lock is not held while it
// is made: resolving a provider may ask the network, and other accounts must not wait for that.
func (s *signIns) source(ctx context.Context, acc types.Account) (*oauth.Source, error) {
	s.mu.Lock()
	src := s.sources[acc.Name]
	s.mu.Unlock()
	if src != nil {
		return src, nil
	}
	p, ok := s.provider(acc)
	if !ok {
		return nil, fmt.Errorf("account %s: no OAuth2 provider %q is configured", acc.Name, acc.Auth.Provider)
	}
	p, err := p.Resolve(ctx, s.http)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", acc.Name, err)
	}
	refresh, err := s.secrets.Get(acc.Name)
	if err != nil || refresh == "" {
		// Nothing to refresh with (signed out, or a keyring that lost it): only a sign-in helps.
		return nil, fmt.Errorf("account %s: %w", acc.Name, oauth.ErrSignInAgain)
	}
	save := func(string) error { return nil }
	if store, ok := s.secrets.(PasswordStore); ok {
		save = func(rotated string) error { return store.Set(acc.Name, rotated) }
	}
	src = oauth.NewSource(p, refresh, oauth.SourceOptions{HTTPClient: s.http, SaveRefresh: save})
	s.mu.Lock()
	defer s.mu.Unlock()
	if made := s.sources[acc.Name]; made != nil {
		return made, nil // another login made one meanwhile: one source per account
	}
	s.sources[acc.Name] = src
	return src, nil
}

// forget drops an account's token source, so the next login starts from the stored refresh token
// (after a new sign-in, a sign-out, or a change of the account's settings).
func (s *signIns) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sources, name)
	delete(s.last, name)
}
