// Package pki makes throw-away certificate authorities and server
// certificates for loopback servers (the demo servers and the testbed), so
// clients verify chain and host name exactly as they would against a real
// server. Keys are ECDSA P-256: generation stays in the millisecond range.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// DefaultValidity applies when Options.Validity is zero.
const DefaultValidity = 30 * 24 * time.Hour

// backdate is how long before "now" a certificate becomes valid, so a clock
// a little behind does not reject it.
const backdate = time.Hour

// Options are the subject and lifetime details that differ between users.
type Options struct {
	// Organization is the subject's O; empty leaves it out.
	Organization string
	// Validity is how long from now the certificate stays valid; zero means
	// DefaultValidity.
	Validity time.Duration
}

// CA is a certificate authority whose key lives only in memory.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// NewCA creates a self-signed CA that may sign server certificates only
// (path length zero).
func NewCA(commonName string, opts Options) (*CA, error) {
	tmpl, key, err := newTemplate("CA", commonName, opts)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true
	tmpl.MaxPathLenZero = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse CA certificate: %w", err)
	}
	return &CA{cert: cert, key: key, pem: encode("CERTIFICATE", der)}, nil
}

// Issue signs a server certificate for dnsNames and ips and returns it and
// its new private key (PKCS #8), both PEM encoded. The certificate PEM holds
// the leaf only; append PEM() for a full chain.
func (ca *CA) Issue(commonName string, dnsNames []string, ips []net.IP, opts Options) (certPEM, keyPEM []byte, err error) {
	if len(dnsNames) == 0 && len(ips) == 0 {
		return nil, nil, errors.New("pki: issue: no DNS name and no IP address")
	}
	tmpl, key, err := newTemplate("server", commonName, opts)
	if err != nil {
		return nil, nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = append([]string(nil), dnsNames...)
	tmpl.IPAddresses = append([]net.IP(nil), ips...)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: create server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: marshal server key: %w", err)
	}
	return encode("CERTIFICATE", der), encode("PRIVATE KEY", keyDER), nil
}

// PEM returns the CA certificate, PEM encoded, for a client's CA file.
func (ca *CA) PEM() []byte { return append([]byte(nil), ca.pem...) }

// Pool returns a new pool that holds only this CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

// newTemplate makes a new key and the parts of a certificate that CAs and
// servers share: serial, subject and validity. what names the kind in errors.
func newTemplate(what, commonName string, opts Options) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate %s key: %w", what, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s serial number: %w", what, err)
	}
	subject := pkix.Name{CommonName: commonName}
	if opts.Organization != "" {
		subject.Organization = []string{opts.Organization}
	}
	validity := opts.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(validity),
	}, key, nil
}

func encode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
