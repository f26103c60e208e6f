// Package autoconfig finds the server settings for an e-mail address, the
// discovery half of the account setup wizard.
//
// Discover asks every source at once, each under its own short timeout:
//
//  1. the provider's own autoconfig file (https://autoconfig.DOMAIN/...,
//     https://DOMAIN/.well-known/autoconfig/..., then http://autoconfig.DOMAIN/...),
//  2. Thunderbird's ISPDB for the domain,
//  3. the ISPDB for the registrable domain of the domain's first MX host
//     (a domain hosted by Google or Microsoft is found through its MX),
//  4. RFC 6186 SRV records (with RFC 8314's implicit-TLS services),
//  5. guessing imap./pop3./pop./smtp./mail. host names, each confirmed by
//     transport.Probe over TLS or STARTTLS (never plaintext).
//
// The answer is ready as soon as the best-ranked source that can still
// answer has answered, so a slow or dead source costs at most its timeout.
//
// Nothing here takes or sends a credential: HTTP requests carry no cookies
// or authorization, and probes read greetings and capabilities only.
package autoconfig

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"postbode/sync/transport"
	"postbode/types"
)

// Server is one way to reach a mail server.
type Server struct {
	Protocol types.Protocol `json:"protocol"`
	// Server is where and how to connect; its User has the source's placeholders
	// (%EMAILADDRESS%, ...) resolved. Its fields appear at the top level in JSON.
	types.Server
	// Auth is the login method as the source names it ("password-cleartext",
	// "OAuth2", ...); the first one where a source lists several. Empty when
	// unknown.
	Auth string `json:"auth,omitempty"`
}

// Result is the settings one source proposes.
type Result struct {
	// Incoming is in the source's order of preference (IMAP and POP3 may be
	// mixed), except that implicit TLS goes before STARTTLS for the same
	// protocol (RFC 8314).
	Incoming []Server `json:"incoming"`
	Outgoing []Server `json:"outgoing"`
	// Source says where the settings came from, e.g.
	// "autoconfig (autoconfig.example.org)", "ISPDB",
	// "ISPDB via MX (google.com)", "DNS SRV", "guessed and probed".
	Source string `json:"source"`
	// DisplayName is the provider's name when the source gives one.
	DisplayName string `json:"displayName,omitempty"`
	// NeedsOAuth: the incoming servers accept OAuth2 only, so a plain
	// password will not do (the user needs an app password or OAuth2).
	NeedsOAuth bool `json:"needsOAuth,omitempty"`
	// InsecureSource: the settings were fetched over plain http, so anyone on
	// the network path could have changed them. Show them for confirmation.
	InsecureSource bool `json:"insecureSource,omitempty"`
}

// Resolver is the DNS lookups discovery needs; *net.Resolver implements it.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// DefaultISPDBURL is Thunderbird's ISPDB; the domain is appended.
const DefaultISPDBURL = "https://autoconfig.thunderbird.net/v1.1/"

// Defaults for Options fields left zero.
const (
	DefaultPerSourceTimeout = 4 * time.Second
	DefaultProbeConcurrency = 8
)

// Options tune Discover. The zero value asks the real network.
type Options struct {
	// AutoconfigURLs lists the provider's autoconfig URLs for a domain, best
	// first. Default: https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDR,
	// https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml and
	// http://autoconfig.DOMAIN/mail/config-v1.1.xml (without the address:
	// it is not sent unencrypted).
	AutoconfigURLs func(domain string) []string
	// ISPDBURL is the ISPDB base; the domain is appended. Default DefaultISPDBURL.
	ISPDBURL string
	// Resolver does the MX and SRV lookups. Default net.DefaultResolver.
	Resolver Resolver
	// HTTPClient fetches the XML. Its cookie jar is never used. Default: a
	// client that follows at most 5 redirects and never from https to http.
	HTTPClient *http.Client
	// Probe confirms a guessed server. Default transport.Probe.
	Probe func(ctx context.Context, cfg transport.Config) (transport.ProbeResult, error)
	// PerSourceTimeout bounds each source but guessing, and each single
	// probe. Default 4s.
	PerSourceTimeout time.Duration
	// GuessTimeout bounds guessing as a whole. Default 2*PerSourceTimeout.
	GuessTimeout time.Duration
	// ProbeConcurrency bounds the probes running at once. Default 8.
	ProbeConcurrency int
	// DialContext is passed to the probes' transport.Config (tests map names
	// to loopback). nil dials normally.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// ExtraRoots are CAs trusted by the probes besides the system roots.
	ExtraRoots *x509.CertPool
	// NoGuess skips guessing (for callers that only want published settings).
	NoGuess bool
}

func (o Options) withDefaults() Options {
	if o.PerSourceTimeout <= 0 {
		o.PerSourceTimeout = DefaultPerSourceTimeout
	}
	if o.GuessTimeout <= 0 {
		o.GuessTimeout = 2 * o.PerSourceTimeout
	}
	if o.ISPDBURL == "" {
		o.ISPDBURL = DefaultISPDBURL
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Probe == nil {
		o.Probe = transport.Probe
	}
	if o.ProbeConcurrency <= 0 {
		o.ProbeConcurrency = DefaultProbeConcurrency
	}
	o.HTTPClient = safeClient(o.HTTPClient)
	return o
}

// ErrInvalidAddress is returned (wrapped) for an address Discover cannot use.
var ErrInvalidAddress = errors.New("invalid e-mail address")

// SourceError is why one source gave no settings.
type SourceError struct {
	Source string
	Err    error
}

func (e SourceError) Error() string { return e.Source + ": " + e.Err.Error() }

// NotFoundError is returned when no source found settings. Tried lists
// every source with its reason, in rank order.
type NotFoundError struct {
	Address string
	Tried   []SourceError
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no server settings found for %s", e.Address)
	for i, t := range e.Tried {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(t.Error())
		if i == len(e.Tried)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// source is one way of finding settings; sources are ranked by their index.
type source struct {
	name    string
	timeout time.Duration
	run     func(ctx context.Context) (*Result, error)
}

type outcome struct {
	i   int
	res *Result
	err error
}

// Discover finds server settings for email. It returns the results of every
// source that answered before the answer was settled, best first, without
// duplicates; or a *NotFoundError when none did. It returns once all its
// goroutines have stopped.
func Discover(ctx context.Context, email string, opts Options) ([]Result, error) {
	addr, err := parseAddress(email)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	sources := buildSources(addr, opts)

	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Stop the sources still running when the answer is settled, and wait
	// for them: each honours its context, so this is quick.
	defer func() {
		cancel()
		wg.Wait()
	}()
	ch := make(chan outcome, len(sources)) // buffered: senders never block
	for i, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, scancel := context.WithTimeout(runCtx, s.timeout)
			defer scancel()
			res, err := s.run(sctx)
			if err != nil && errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
				err = fmt.Errorf("no answer within %v", s.timeout)
			}
			if err == nil && res == nil {
				err = errors.New("nothing found")
			}
			ch <- outcome{i, res, err}
		}()
	}

	results := make([]*Result, len(sources))
	errs := make([]error, len(sources))
	done := make([]bool, len(sources))
	for pending := len(sources); pending > 0 && !settled(done, results); pending-- {
		select {
		case o := <-ch:
			done[o.i] = true
			results[o.i], errs[o.i] = o.res, o.err
		case <-ctx.Done():
			return nil, fmt.Errorf("discover settings for %s: %w", addr.email, ctx.Err())
		}
	}

	var out []Result
	for _, r := range results {
		if r != nil && !duplicate(out, r) {
			out = append(out, *r)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	nf := &NotFoundError{Address: addr.email}
	for i, s := range sources {
		nf.Tried = append(nf.Tried, SourceError{Source: s.name, Err: errs[i]})
	}
	return nil, nf
}

// settled reports whether the best answer is known: some source answered and
// every better-ranked source has finished.
func settled(done []bool, results []*Result) bool {
	for i := range done {
		if !done[i] {
			return false
		}
		if results[i] != nil {
			return true
		}
	}
	return true
}

// duplicate reports whether r proposes exactly the servers of a better
// result (ISPDB by domain and by MX often agree).
func duplicate(have []Result, r *Result) bool {
	for _, h := range have {
		if sameServers(h.Incoming, r.Incoming) && sameServers(h.Outgoing, r.Outgoing) {
			return true
		}
	}
	return false
}

func sameServers(a, b []Server) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func buildSources(addr address, opts Options) []source {
	var sources []source
	urls := defaultAutoconfigURLs(addr)
	if opts.AutoconfigURLs != nil {
		urls = opts.AutoconfigURLs(addr.domain)
	}
	for _, u := range urls {
		name, insecure := autoconfigSourceName(u)
		sources = append(sources, source{name: name, timeout: opts.PerSourceTimeout,
			run: func(ctx context.Context) (*Result, error) {
				r, err := fetchAndParse(ctx, opts.HTTPClient, u, addr)
				if err != nil {
					return nil, err
				}
				r.Source, r.InsecureSource = name, insecure
				return r, nil
			}})
	}
	sources = append(sources,
		source{name: "ISPDB", timeout: opts.PerSourceTimeout, run: func(ctx context.Context) (*Result, error) {
			r, err := fetchAndParse(ctx, opts.HTTPClient, opts.ISPDBURL+addr.domain, addr)
			if err != nil {
				return nil, err
			}
			r.Source = "ISPDB"
			return r, nil
		}},
		source{name: "ISPDB via MX", timeout: opts.PerSourceTimeout, run: func(ctx context.Context) (*Result, error) {
			return ispdbViaMX(ctx, opts, addr)
		}},
		source{name: "DNS SRV", timeout: opts.PerSourceTimeout, run: func(ctx context.Context) (*Result, error) {
			return lookupSRV(ctx, opts.Resolver, addr)
		}},
	)
	if !opts.NoGuess {
		sources = append(sources, source{name: "guessing", timeout: opts.GuessTimeout,
			run: func(ctx context.Context) (*Result, error) { return guess(ctx, opts, addr) }})
	}
	return sources
}

// ispdbViaMX looks the registrable domain of the first MX host up in the
// ISPDB: many domains are hosted by a provider listed there under its own name.
func ispdbViaMX(ctx context.Context, opts Options, addr address) (*Result, error) {
	mxs, err := opts.Resolver.LookupMX(ctx, addr.domain)
	if err != nil {
		return nil, fmt.Errorf("MX lookup: %w", err)
	}
	var host string
	for _, mx := range mxs {
		if h := normalizeHost(mx.Host); validHostname(h) {
			host = h
			break
		}
	}
	if host == "" {
		return nil, errors.New("no usable MX record")
	}
	mxDomain, err := registrableDomain(host)
	if err != nil {
		return nil, fmt.Errorf("MX host %s: %w", host, err)
	}
	if mxDomain == addr.domain {
		return nil, errors.New("mail is handled in the domain itself")
	}
	r, err := fetchAndParse(ctx, opts.HTTPClient, opts.ISPDBURL+mxDomain, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mxDomain, err)
	}
	r.Source = "ISPDB via MX (" + mxDomain + ")"
	return r, nil
}
