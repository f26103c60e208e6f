package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"strings"
	"testing"
	"time"
)

// handshake runs a TLS handshake over loopback TCP (net.Pipe is unbuffered:
// a client alert would deadlock against the server's pending write) between
// a server presenting cert and a client that trusts pool and expects
// serverName.
func handshake(t *testing.T, cert tls.Certificate, pool *x509.CertPool, serverName string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_ = c.(*tls.Conn).HandshakeContext(ctx) // the client's result is what the test checks
	}()
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err == nil {
		conn.Close()
	}
	ln.Close() // frees a server that never got a connection
	<-srvDone
	return err
}

func TestIssuedCertificateVerifies(t *testing.T) {
	ca, err := NewCA("Test CA", Options{Organization: "Test", Validity: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue("mail.test", []string{"mail.test"},
		[]net.IP{net.IPv4(127, 0, 0, 2)}, Options{Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("issued pair does not load: %v", err)
	}

	for _, name := range []string{"mail.test", "127.0.0.2"} {
		if err := handshake(t, cert, ca.Pool(), name); err != nil {
			t.Errorf("verify as %q: %v", name, err)
		}
	}
	for _, name := range []string{"other.test", "127.0.0.1", "localhost"} {
		err := handshake(t, cert, ca.Pool(), name)
		if err == nil {
			t.Errorf("verify as %q: succeeded, want a certificate error", name)
		} else if !strings.Contains(err.Error(), "certificate") {
			t.Errorf("verify as %q: %v, want a certificate error", name, err)
		}
	}
	// Another CA's pool must not trust it.
	other, err := NewCA("Other CA", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, cert, other.Pool(), "mail.test"); err == nil {
		t.Error("a foreign CA verified the certificate")
	}

	// The CA file a client would read holds exactly this CA.
	block, rest := pem.Decode(ca.PEM())
	if block == nil || len(rest) != 0 || block.Type != "CERTIFICATE" {
		t.Fatalf("PEM() is not one certificate block")
	}
	caCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !caCert.IsCA || caCert.Subject.CommonName != "Test CA" || caCert.Subject.Organization[0] != "Test" {
		t.Errorf("CA subject %v, IsCA %v", caCert.Subject, caCert.IsCA)
	}
	if got := time.Until(caCert.NotAfter); got < 47*time.Hour || got > 48*time.Hour {
		t.Errorf("CA valid for another %v, want about 48h", got)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			t.Fatal(err)
		}
	}
	if got := time.Until(leaf.NotAfter); got < 23*time.Hour || got > 24*time.Hour {
		t.Errorf("leaf valid for another %v, want about 24h", got)
	}
	if time.Since(leaf.NotBefore) < 59*time.Minute {
		t.Errorf("leaf NotBefore %v is not backdated by an hour", leaf.NotBefore)
	}
	if len(leaf.Subject.Organization) != 0 {
		t.Errorf("leaf organization %v, want none", leaf.Subject.Organization)
	}
}

func TestIssueNeedsAName(t *testing.T) {
	ca, err := NewCA("Test CA", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ca.Issue("x", nil, nil, Options{}); err == nil {
		t.Fatal("Issue without names succeeded")
	}
}
