package autoconfig

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"postbode/types"
)

// Limits on what a config source may send.
const (
	maxBody       = 1 << 20 // bytes of XML
	maxServers    = 16      // per direction
	maxRedirects  = 5
	maxNameLength = 100 // runes of a display name
)

var (
	errNotListed = errors.New("not listed")
	errTooLarge  = fmt.Errorf("config larger than %d bytes", maxBody)
)

// clientConfig is Thunderbird's autoconfig format (config-v1.1.xml), as
// served by providers and the ISPDB.
type clientConfig struct {
	XMLName   xml.Name        `xml:"clientConfig"`
	Providers []emailProvider `xml:"emailProvider"`
}

type emailProvider struct {
	DisplayName string      `xml:"displayName"`
	ShortName   string      `xml:"displayShortName"`
	Incoming    []xmlServer `xml:"incomingServer"`
	Outgoing    []xmlServer `xml:"outgoingServer"`
}

type xmlServer struct {
	Type       string   `xml:"type,attr"`
	Hostname   string   `xml:"hostname"`
	Port       string   `xml:"port"`
	SocketType string   `xml:"socketType"`
	Username   string   `xml:"username"`
	Auth       []string `xml:"authentication"`
}

// safeClient returns a copy of c (or a default client) that never sends
// cookies and never follows a redirect from https to http.
func safeClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	out.Jar = nil
	if out.CheckRedirect == nil {
		out.CheckRedirect = checkRedirect
	}
	return &out
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
		return errors.New("refusing a redirect from https to an unencrypted URL")
	}
	if req.URL.User != nil {
		return errors.New("refusing a redirect to a URL with credentials")
	}
	return nil
}

// autoconfigSourceName names an autoconfig URL for Result.Source.
func autoconfigSourceName(raw string) (name string, insecure bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "autoconfig", false
	}
	host := cleanText(u.Hostname(), 255)
	if u.Scheme == "http" {
		return "autoconfig (" + host + ", unencrypted http)", true
	}
	return "autoconfig (" + host + ")", false
}

// defaultAutoconfigURLs are the provider URLs Thunderbird tries. The address
// is sent only over https.
func defaultAutoconfigURLs(a address) []string {
	q := "?emailaddress=" + url.QueryEscape(a.email)
	return []string{
		"https://autoconfig." + a.domain + "/mail/config-v1.1.xml" + q,
		"https://" + a.domain + "/.well-known/autoconfig/mail/config-v1.1.xml",
		"http://autoconfig." + a.domain + "/mail/config-v1.1.xml",
	}
}

// fetch GETs a config file, at most maxBody bytes of it.
func fetch(ctx context.Context, client *http.Client, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("unsupported URL scheme %q", u.Scheme)
	}
	if u.User != nil {
		return nil, errors.New("refusing a URL with credentials")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/xml, text/xml;q=0.9")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, errNotListed
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP status %d", resp.StatusCode)
	case resp.ContentLength > maxBody:
		return nil, errTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(body) > maxBody {
		return nil, errTooLarge
	}
	return body, nil
}

func fetchAndParse(ctx context.Context, client *http.Client, raw string, a address) (*Result, error) {
	body, err := fetch(ctx, client, raw)
	if err != nil {
		return nil, err
	}
	return parseConfig(body, a)
}

// parseConfig reads a config-v1.1.xml document. Anything malformed rejects
// the whole document: a source that lies about one server is not trusted for
// the others.
func parseConfig(data []byte, a address) (*Result, error) {
	if len(data) > maxBody {
		return nil, errTooLarge
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	// Strict with no Entity map and no CharsetReader: only the five XML
	// entities, only UTF-8. encoding/xml never loads external entities;
	// a DOCTYPE is refused outright so no entity tricks get that far.
	var start xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("parse config: %w", err)
		}
		if dir, ok := tok.(xml.Directive); ok && bytes.HasPrefix(bytes.TrimSpace(dir), []byte("DOCTYPE")) {
			return nil, errors.New("parse config: DOCTYPE not allowed")
		}
		if se, ok := tok.(xml.StartElement); ok {
			start = se
			break
		}
	}
	var cfg clientConfig
	if err := d.DecodeElement(&cfg, &start); err != nil {
		return nil, fmt.Errorf("parse config: %w", err)
	}
	if len(cfg.Providers) == 0 {
		return nil, errors.New("config has no emailProvider")
	}
	p := cfg.Providers[0]
	if len(p.Incoming) > maxServers || len(p.Outgoing) > maxServers {
		return nil, errors.New("config lists too many servers")
	}
	r := &Result{DisplayName: cleanText(p.DisplayName, maxNameLength)}
	if r.DisplayName == "" {
		r.DisplayName = cleanText(p.ShortName, maxNameLength)
	}
	password, oauth := false, false
	for _, xs := range p.Incoming {
		proto := types.Protocol(strings.ToLower(strings.TrimSpace(xs.Type)))
		if proto != types.IMAP && proto != types.POP3 {
			continue // e.g. exchange, jmap: not spoken here
		}
		s, err := xs.server(proto, a)
		if err != nil {
			return nil, fmt.Errorf("incoming %s server: %w", proto, err)
		}
		for _, m := range xs.Auth {
			switch m := strings.TrimSpace(m); {
			case strings.EqualFold(m, "OAuth2"):
				oauth = true
			case isPasswordAuth(m):
				password = true
			}
		}
		r.Incoming = append(r.Incoming, s)
	}
	for _, xs := range p.Outgoing {
		if !strings.EqualFold(strings.TrimSpace(xs.Type), "smtp") {
			continue
		}
		s, err := xs.server(types.SMTP, a)
		if err != nil {
			return nil, fmt.Errorf("outgoing server: %w", err)
		}
		r.Outgoing = append(r.Outgoing, s)
	}
	if len(r.Incoming) == 0 {
		return nil, errors.New("config has no IMAP or POP3 server")
	}
	r.NeedsOAuth = oauth && !password
	preferImplicitTLS(r.Incoming)
	preferImplicitTLS(r.Outgoing)
	return r, nil
}

// isPasswordAuth reports whether an ISPDB authentication value is a
// password login ("plain" and "secure" are the old names).
func isPasswordAuth(m string) bool {
	switch strings.ToLower(m) {
	case "password-cleartext", "password-encrypted", "plain", "secure":
		return true
	}
	return false
}

func (xs xmlServer) server(proto types.Protocol, a address) (Server, error) {
	host := normalizeHost(expand(xs.Hostname, a))
	if !validHostname(host) {
		return Server{}, fmt.Errorf("invalid hostname %q", clip(xs.Hostname))
	}
	port, err := strconv.Atoi(strings.TrimSpace(xs.Port))
	if err != nil || port < 1 || port > 65535 {
		return Server{}, fmt.Errorf("invalid port %q", clip(xs.Port))
	}
	var sec types.Security
	switch strings.ToLower(strings.TrimSpace(xs.SocketType)) {
	case "ssl", "tls":
		sec = types.SecurityTLS
	case "starttls":
		sec = types.SecurityStartTLS
	case "plain":
		sec = types.SecurityPlain
	default:
		return Server{}, fmt.Errorf("unknown socketType %q", clip(xs.SocketType))
	}
	user := strings.TrimSpace(expand(xs.Username, a))
	if len(user) > 255 || cleanText(user, 255) != user {
		return Server{}, fmt.Errorf("invalid username %q", clip(user))
	}
	s := Server{Protocol: proto, Server: types.Server{Host: host, Port: port, Security: sec, User: user}}
	if len(xs.Auth) > 0 {
		s.Auth = strings.TrimSpace(xs.Auth[0])
		if len(s.Auth) > 64 || strings.ContainsFunc(s.Auth, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return Server{}, fmt.Errorf("invalid authentication %q", clip(s.Auth))
		}
	}
	return s, nil
}

// expand resolves the address placeholders of the autoconfig format.
func expand(s string, a address) string {
	return strings.NewReplacer(
		"%EMAILADDRESS%", a.email,
		"%EMAILLOCALPART%", a.local,
		"%EMAILDOMAIN%", a.domain,
	).Replace(s)
}

// securityRank orders implicit TLS before STARTTLS before plain (RFC 8314).
func securityRank(s types.Security) int {
	switch s {
	case types.SecurityTLS:
		return 0
	case types.SecurityStartTLS:
		return 1
	}
	return 2
}

// preferImplicitTLS reorders the servers of each protocol so implicit TLS
// comes first, leaving the source's order between protocols (POP3 before
// IMAP stays so) and otherwise untouched.
func preferImplicitTLS(servers []Server) {
	for _, proto := range []types.Protocol{types.IMAP, types.POP3, types.SMTP} {
		var idx []int
		var group []Server
		for i, s := range servers {
			if s.Protocol == proto {
				idx = append(idx, i)
				group = append(group, s)
			}
		}
		slices.SortStableFunc(group, func(a, b Server) int {
			return securityRank(a.Security) - securityRank(b.Security)
		})
		for k, i := range idx {
			servers[i] = group[k]
		}
	}
}
