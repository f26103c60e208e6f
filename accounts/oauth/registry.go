package oauth

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Client IDs built into this copy of Postbode, set at link time:
//
//	go build -ldflags "-X postbode/accounts/oauth.microsoftClientID=... \
//	  -X postbode/accounts/oauth.googleClientID=... -X postbode/accounts/oauth.googleClientSecret=..."
//
// They are not secrets (RFC 8252 §8.5): any installed app can be unpacked.
var (
	microsoftClientID  string
	googleClientID     string
	googleClientSecret string
)

//go:embed providers.json
var providersJSON []byte

type providerFile struct {
	Providers []Provider `json:"providers"`
}

// Registry is the set of known providers: the embedded list, the link-time
// client IDs and the user's overrides file, in that order of precedence (last wins).
// It is immutable after NewRegistry and safe for concurrent use.
type Registry struct {
	providers []Provider
}

// NewRegistry builds the registry. overridesPath names a JSON file of the form
//
//	{"providers": [{"id": "microsoft", "client_id": "..."}, {"id": "corp", "name": "Corp", "auth_url": "...", "token_url": "...", "hosts": ["corp.example"]}]}
//
// whose non-empty fields replace those of the provider with the same id; an
// unknown id adds a provider, which then needs auth_url and token_url.
// An empty path or a missing file means no overrides; a malformed file is an
// error naming the file.
func NewRegistry(overridesPath string) (*Registry, error) {
	builtin, err := decodeProviders(providersJSON)
	if err != nil {
		// The embedded file is covered by tests; this only fires on a broken build.
		return nil, fmt.Errorf("oauth: embedded providers.json: %w", err)
	}
	r := &Registry{providers: builtin}
	r.merge(Provider{ID: "microsoft", ClientID: microsoftClientID})
	r.merge(Provider{ID: "google", ClientID: googleClientID, ClientSecret: googleClientSecret})
	if overridesPath == "" {
		return r, nil
	}
	data, err := os.ReadFile(overridesPath)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: reading provider overrides: %w", err)
	}
	overrides, err := decodeProviders(data)
	if err != nil {
		return nil, fmt.Errorf("oauth: provider overrides %s: %w", overridesPath, err)
	}
	for _, o := range overrides {
		if o.ID == "" {
			return nil, fmt.Errorf("oauth: provider overrides %s: a provider has no id", overridesPath)
		}
		if _, known := r.Get(o.ID); !known && (o.AuthURL == "" || o.TokenURL == "") && o.Issuer == "" {
			return nil, fmt.Errorf("oauth: provider overrides %s: new provider %q needs auth_url and token_url, or an issuer", overridesPath, o.ID)
		}
		r.merge(o)
	}
	return r, nil
}

// decodeProviders is strict about field names so that a misspelt "clientid"
// is reported rather than silently ignored.
func decodeProviders(data []byte) ([]Provider, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f providerFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	for _, p := range f.Providers {
		for _, e := range []string{p.AuthURL, p.TokenURL, p.RevokeURL} {
			if e == "" {
				continue
			}
			if err := checkEndpoint(e); err != nil {
				return nil, fmt.Errorf("provider %q: %w", p.ID, err)
			}
		}
	}
	return f.Providers, nil
}

// merge copies the non-empty fields of o onto the provider with o's ID, or
// appends o if there is none.
func (r *Registry) merge(o Provider) {
	for i := range r.providers {
		p := &r.providers[i]
		if !strings.EqualFold(p.ID, o.ID) {
			continue
		}
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&p.Name, o.Name)
		set(&p.AuthURL, o.AuthURL)
		set(&p.TokenURL, o.TokenURL)
		set(&p.RevokeURL, o.RevokeURL)
		set(&p.ClientID, o.ClientID)
		set(&p.ClientSecret, o.ClientSecret)
		set(&p.Issuer, o.Issuer)
		if o.Scopes != nil {
			p.Scopes = o.Scopes
		}
		if o.Hosts != nil {
			p.Hosts = o.Hosts
		}
		return
	}
	if o.Name == "" {
		o.Name = o.ID
	}
	r.providers = append(r.providers, o)
}

// Get returns the provider with the given id ("microsoft", "google", ...).
func (r *Registry) Get(id string) (Provider, bool) {
	for _, p := range r.providers {
		if strings.EqualFold(p.ID, id) {
			return clone(p), true
		}
	}
	return Provider{}, false
}

// ForHost returns the provider serving host, a mail server name or a mail
// address; when several match, the most specific host entry wins.
func (r *Registry) ForHost(host string) (Provider, bool) {
	best, bestLen := Provider{}, 0
	for _, p := range r.providers {
		if n := p.matchLen(host); n > bestLen {
			best, bestLen = p, n
		}
	}
	if bestLen == 0 {
		return Provider{}, false
	}
	return clone(best), true
}

// Providers lists all providers, built-in first.
func (r *Registry) Providers() []Provider {
	out := make([]Provider, len(r.providers))
	for i, p := range r.providers {
		out[i] = clone(p)
	}
	return out
}

// clone copies the slices so callers cannot change the registry through them.
func clone(p Provider) Provider {
	p.Scopes = append([]string(nil), p.Scopes...)
	p.Hosts = append([]string(nil), p.Hosts...)
	return p
}
