package transport

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reasons a certificate is refused, as found in CertError.Reason.
const (
	ReasonExpired          = "expired"
	ReasonNotYetValid      = "not yet valid"
	ReasonWrongHost        = "wrong host"
	ReasonUnknownAuthority = "unknown authority"
	ReasonSelfSigned       = "self-signed"
	ReasonPinMismatch      = "pin mismatch"
	ReasonNoCertificate    = "no certificate"
	ReasonInvalid          = "invalid"
)

// CertError is a refused server certificate, with the details a user needs
// to judge it (and the fingerprint to pin it, where that is their choice).
type CertError struct {
	Host   string
	Reason string // one of the Reason constants
	// Subject and Issuer are the distinguished names of the leaf certificate.
	Subject, Issuer     string
	NotBefore, NotAfter time.Time
	// DNSNames are the host names the certificate is valid for.
	DNSNames []string
	// SHA256 is the lowercase hex SHA-256 of the leaf certificate (for pinning).
	SHA256 string
	Err    error
}

func (e *CertError) Error() string {
	var what string
	switch e.Reason {
	case ReasonExpired:
		what = "it expired on " + e.NotAfter.UTC().Format(time.DateOnly)
	case ReasonNotYetValid:
		what = "it is not valid before " + e.NotBefore.UTC().Format(time.DateOnly)
	case ReasonWrongHost:
		if len(e.DNSNames) > 0 {
			what = "it was issued for " + strings.Join(e.DNSNames, ", ")
		} else {
			what = "it was issued for another host"
		}
	case ReasonUnknownAuthority:
		what = "signed by an unknown authority"
	case ReasonSelfSigned:
		what = "it is self-signed"
	case ReasonPinMismatch:
		what = "it is not the certificate pinned for this account"
	case ReasonNoCertificate:
		return fmt.Sprintf("server %s presented no certificate", e.Host)
	default:
		what = "it could not be verified"
		if e.Err != nil {
			what += ": " + e.Err.Error()
		}
	}
	return fmt.Sprintf("certificate for %s is not trusted: %s (subject %q, issuer %q, SHA-256 %s)",
		e.Host, what, e.Subject, e.Issuer, e.SHA256)
}

func (e *CertError) Unwrap() error { return e.Err }

// CertSHA256 returns the lowercase hex SHA-256 of a certificate, the form
// Config.PinSHA256 takes.
func CertSHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// verifier checks the server certificate for one handshake and remembers the
// refusal so Dial can return it with full details.
type verifier struct {
	host  string
	roots *x509.CertPool // extra roots, may be nil
	pin   string         // normalized hex, may be empty
	now   func() time.Time

	certErr *CertError
}

func (v *verifier) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName: v.host,
		MinVersion: tls.VersionTLS12,
		// Verification is not skipped: it is done in VerifyConnection, which
		// sees the certificate and can report it (and honour a pin). The
		// handshake signature is still checked against the leaf's key.
		InsecureSkipVerify: true,
		VerifyConnection:   v.verify,
	}
}

func (v *verifier) verify(cs tls.ConnectionState) error {
	if err := v.check(cs); err != nil {
		v.certErr = err
		return err
	}
	return nil
}

func (v *verifier) check(cs tls.ConnectionState) *CertError {
	if len(cs.PeerCertificates) == 0 {
		return &CertError{Host: v.host, Reason: ReasonNoCertificate, Err: errors.New("no peer certificate")}
	}
	leaf := cs.PeerCertificates[0]
	now := time.Now()
	if v.now != nil {
		now = v.now()
	}

	if v.pin != "" {
		got := CertSHA256(leaf)
		if subtle.ConstantTimeCompare([]byte(got), []byte(v.pin)) != 1 {
			return newCertError(v.host, leaf, ReasonPinMismatch, errors.New("certificate does not match the pinned SHA-256"))
		}
		// The pin stands in for chain and host name: the user accepted this
		// exact certificate for this account. Its validity period still counts.
		if now.Before(leaf.NotBefore) {
			return newCertError(v.host, leaf, ReasonNotYetValid, errors.New("pinned certificate is not yet valid"))
		}
		if now.After(leaf.NotAfter) {
			return newCertError(v.host, leaf, ReasonExpired, errors.New("pinned certificate has expired"))
		}
		return nil
	}

	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{
		DNSName:       v.host,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	// The account's extra roots first: loading the system roots costs tens
	// of milliseconds per process, which a private CA never needs.
	var extraErr error
	if v.roots != nil {
		opts.Roots = v.roots
		if _, extraErr = leaf.Verify(opts); extraErr == nil {
			return nil
		}
		opts.Roots = nil
	}
	_, err := leaf.Verify(opts) // system roots
	if err == nil {
		return nil
	}
	if extraErr != nil {
		// Explain with the pure-Go verification: its errors are typed on
		// every OS, while platform verifiers (macOS, Windows) are not.
		err = extraErr
	}
	return newCertError(v.host, leaf, classify(err, leaf, v.host, now), err)
}

// classify names why leaf was refused, from the verifier's error where it
// is typed, else from the certificate itself.
func classify(err error, leaf *x509.Certificate, host string, now time.Time) string {
	var inv x509.CertificateInvalidError
	var hostErr x509.HostnameError
	var ua x509.UnknownAuthorityError
	var sre x509.SystemRootsError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		if now.Before(leaf.NotBefore) {
			return ReasonNotYetValid
		}
		return ReasonExpired
	case errors.As(err, &hostErr):
		return ReasonWrongHost
	case errors.As(err, &ua), errors.As(err, &sre):
		if isSelfSigned(leaf) {
			return ReasonSelfSigned
		}
		return ReasonUnknownAuthority
	case now.Before(leaf.NotBefore):
		return ReasonNotYetValid
	case now.After(leaf.NotAfter):
		return ReasonExpired
	case leaf.VerifyHostname(host) != nil:
		return ReasonWrongHost
	case isSelfSigned(leaf):
		return ReasonSelfSigned
	}
	return ReasonInvalid
}

func isSelfSigned(c *x509.Certificate) bool {
	// CheckSignatureFrom would demand the CA flag, which many self-signed
	// server certificates lack; the signature over itself is what matters.
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func newCertError(host string, leaf *x509.Certificate, reason string, err error) *CertError {
	return &CertError{
		Host:      host,
		Reason:    reason,
		Subject:   leaf.Subject.String(),
		Issuer:    leaf.Issuer.String(),
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
		DNSNames:  append([]string(nil), leaf.DNSNames...),
		SHA256:    CertSHA256(leaf),
		Err:       err,
	}
}
