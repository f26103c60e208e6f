package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"
)

// testPKI holds the certificates the fake servers present.
type testPKI struct {
	roots *x509.CertPool // trusts ca only

	good       tls.Certificate // mail.test, signed by ca
	expired    tls.Certificate // mail.test, signed by ca, expired yesterday
	wrongHost  tls.Certificate // other.test, signed by ca
	unknownCA  tls.Certificate // mail.test, signed by a CA nobody trusts
	selfSigned tls.Certificate // mail.test, signed by itself
}

var (
	pkiOnce sync.Once
	pkiVal  *testPKI
	pkiErr  error
)

// getPKI builds the test certificates once per test binary.
func getPKI(t *testing.T) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = newTestPKI() })
	if pkiErr != nil {
		t.Fatalf("building test certificates: %v", pkiErr)
	}
	return pkiVal
}

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial int64 = 1000

func newCA(name string) (issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return issuer{}, err
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Postbode tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return issuer{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return issuer{}, err
	}
	return issuer{cert: cert, key: key}, nil
}

// leaf issues a server certificate for host; a nil parent makes it self-signed.
func leaf(parent *issuer, host string, notBefore, notAfter time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	signer, signerCert := key, tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, nil
}

func newTestPKI() (*testPKI, error) {
	ca, err := newCA("Postbode Test CA")
	if err != nil {
		return nil, err
	}
	rogue, err := newCA("Rogue CA")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	p := &testPKI{roots: x509.NewCertPool()}
	p.roots.AddCert(ca.cert)
	valid := [2]time.Time{now.Add(-time.Hour), now.Add(12 * time.Hour)}
	for _, c := range []struct {
		dst    *tls.Certificate
		parent *issuer
		host   string
		from   time.Time
		to     time.Time
	}{
		{&p.good, &ca, "mail.test", valid[0], valid[1]},
		{&p.expired, &ca, "mail.test", now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)},
		{&p.wrongHost, &ca, "other.test", valid[0], valid[1]},
		{&p.unknownCA, &rogue, "mail.test", valid[0], valid[1]},
		{&p.selfSigned, nil, "mail.test", valid[0], valid[1]},
	} {
		if *c.dst, err = leaf(c.parent, c.host, c.from, c.to); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func sha(c tls.Certificate) string { return CertSHA256(c.Leaf) }
