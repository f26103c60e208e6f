package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

// TestVerifierDirect covers verification outcomes that need a chosen clock
// or no certificate at all.
func TestVerifierDirect(t *testing.T) {
	p := getPKI(t)
	state := func(c tls.Certificate) tls.ConnectionState {
		return tls.ConnectionState{PeerCertificates: []*x509.Certificate{c.Leaf}}
	}
	past := func() time.Time { return p.good.Leaf.NotBefore.Add(-time.Hour) }
	cases := []struct {
		name   string
		v      verifier
		cs     tls.ConnectionState
		reason string // "" = accepted
	}{
		{"good", verifier{host: "mail.test", roots: p.roots}, state(p.good), ""},
		{"not yet valid", verifier{host: "mail.test", roots: p.roots, now: past}, state(p.good), ReasonNotYetValid},
		{"pinned, not yet valid", verifier{host: "mail.test", pin: sha(p.selfSigned), now: past}, state(p.selfSigned), ReasonNotYetValid},
		{"pinned wrong-host cert", verifier{host: "mail.test", pin: sha(p.wrongHost)}, state(p.wrongHost), ""},
		{"no certificate", verifier{host: "mail.test", roots: p.roots}, tls.ConnectionState{}, ReasonNoCertificate},
	}
	for _, tc := range cases {
		err := tc.v.verify(tc.cs)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		var ce *CertError
		if !errors.As(err, &ce) || ce.Reason != tc.reason || tc.v.certErr != ce {
			t.Errorf("%s: got %v, want reason %q recorded", tc.name, err, tc.reason)
		}
	}
}

// TestClassifyUntyped: platform verifiers (macOS, Windows) may return
// untyped errors; the reason then comes from the certificate itself.
func TestClassifyUntyped(t *testing.T) {
	p := getPKI(t)
	opaque := errors.New("platform verifier says no")
	now := time.Now()
	for _, tc := range []struct {
		cert   tls.Certificate
		now    time.Time
		reason string
	}{
		{p.expired, now, ReasonExpired},
		{p.good, p.good.Leaf.NotBefore.Add(-time.Minute), ReasonNotYetValid},
		{p.wrongHost, now, ReasonWrongHost},
		{p.selfSigned, now, ReasonSelfSigned},
		{p.unknownCA, now, ReasonInvalid},
	} {
		if got := classify(opaque, tc.cert.Leaf, "mail.test", tc.now); got != tc.reason {
			t.Errorf("%s: classify = %q, want %q", tc.cert.Leaf.Subject, got, tc.reason)
		}
	}
	if got := classify(x509.SystemRootsError{}, p.unknownCA.Leaf, "mail.test", now); got != ReasonUnknownAuthority {
		t.Errorf("no system roots: classify = %q", got)
	}
}
