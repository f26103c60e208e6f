package autoconfig

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/sync/transport"
)

// fakeResolver answers MX and SRV lookups from maps; anything else is
// NXDOMAIN. It honours ctx like a real resolver.
type fakeResolver struct {
	mx    map[string][]*net.MX
	srv   map[string][]*net.SRV // key "_imaps._tcp.example.org"
	delay time.Duration
}

func (f *fakeResolver) wait(ctx context.Context) error {
	if f.delay == 0 {
		return nil
	}
	select {
	case <-time.After(f.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if mx, ok := f.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeResolver) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if err := f.wait(ctx); err != nil {
		return "", nil, err
	}
	key := "_" + service + "._" + proto + "." + name
	if recs, ok := f.srv[key]; ok {
		return key, recs, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: key, IsNotFound: true}
}

// refuseDial stands in for every host a test does not serve: no packet
// leaves the machine.
func refuseDial(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused (test)")}
}

// ispdb is a loopback HTTP server playing the ISPDB and autoconfig hosts:
// path → XML; unknown paths are 404. It counts requests per path.
type ispdb struct {
	*httptest.Server
	mu     sync.Mutex
	files  map[string]string
	delays map[string]time.Duration
	hits   map[string]int
}

func newISPDB(t *testing.T, files map[string]string) *ispdb {
	t.Helper()
	s := &ispdb{files: files, delays: map[string]time.Duration{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ispdb) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	body, ok := s.files[r.URL.Path]
	delay := s.delays[r.URL.Path]
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, body)
}

func (s *ispdb) setDelay(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[path] = d
}

func (s *ispdb) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// baseOptions keeps a Discover call on loopback: the ISPDB is srv, no
// autoconfig URLs, no DNS records, every probe refused.
func baseOptions(srv *ispdb) Options {
	return Options{
		AutoconfigURLs:   func(string) []string { return nil },
		ISPDBURL:         srv.URL + "/v1.1/",
		Resolver:         &fakeResolver{},
		HTTPClient:       srv.Client(),
		DialContext:      refuseDial,
		PerSourceTimeout: 2 * time.Second,
	}
}

// config builds a config-v1.1.xml document.
func config(name string, servers ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example">
    <domain>example.org</domain>
    <displayName>` + name + `</displayName>
    ` + strings.Join(servers, "\n    ") + `
  </emailProvider>
</clientConfig>`
}

func incoming(typ, host string, port int, socket, user string, auth ...string) string {
	return server("incomingServer", typ, host, port, socket, user, auth...)
}

func outgoing(host string, port int, socket, user string, auth ...string) string {
	return server("outgoingServer", "smtp", host, port, socket, user, auth...)
}

func server(elem, typ, host string, port int, socket, user string, auth ...string) string {
	var a strings.Builder
	for _, m := range auth {
		a.WriteString("<authentication>" + m + "</authentication>")
	}
	return fmt.Sprintf(`<%s type="%s"><hostname>%s</hostname><port>%d</port><socketType>%s</socketType><username>%s</username>%s</%s>`,
		elem, typ, host, port, socket, user, a.String(), elem)
}

// testPKI is a CA and a server certificate for the given names.
func testPKI(t *testing.T, names ...string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "autoconfig test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// recordingProbe wraps transport.Probe and remembers every Config it was given.
type recordingProbe struct {
	mu   sync.Mutex
	cfgs []transport.Config
}

func (p *recordingProbe) probe(ctx context.Context, cfg transport.Config) (transport.ProbeResult, error) {
	p.mu.Lock()
	p.cfgs = append(p.cfgs, cfg)
	p.mu.Unlock()
	return transport.Probe(ctx, cfg)
}

func (p *recordingProbe) configs() []transport.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]transport.Config(nil), p.cfgs...)
}

func mustDiscover(t *testing.T, email string, opts Options) []Result {
	t.Helper()
	res, err := Discover(context.Background(), email, opts)
	if err != nil {
		t.Fatalf("Discover(%s): %v", email, err)
	}
	return res
}
