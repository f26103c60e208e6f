package smtpsend

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit/fakenet"
)

// fakePKI is a CA the test account trusts (written to caFile) and certificates for the fake server.
type fakePKI struct {
	caFile     string
	good       tls.Certificate // mail.test, signed by the CA
	wrongName  tls.Certificate // other.test, signed by the CA
	selfSigned tls.Certificate // mail.test, signed by itself
}

func newFakePKI(t *testing.T) *fakePKI {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtpsend test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	}
	p := &fakePKI{
		caFile:     filepath.Join(t.TempDir(), "ca.pem"),
		good:       leaf(2, "mail.test", ca, caKey),
		wrongName:  leaf(3, "other.test", ca, caKey),
		selfSigned: leaf(4, "mail.test", nil, nil),
	}
	if err := os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeMode scripts the fake server.
type fakeMode int

const (
	fakeNormal       fakeMode = iota // STARTTLS offered (plain port) or implicit TLS; accepts everything
	fakeNoStartTLS                   // no STARTTLS in EHLO, but AUTH offered in the clear
	fakeRefuseTLS                    // STARTTLS offered, answered 454
	fakeDropAfterDot                 // reads the whole message, then hangs up without an answer
	// Refusals that echo the credentials, as careless servers do.
	fakeEchoAuthBase64 // AUTH answered "535 5.7.8 Error: authentication failed: <the base64 it received>"
	fakeEchoPassword   // AUTH answered "535 ... password <the decoded password> is wrong"
	fakeEchoLogin      // only AUTH LOGIN offered; refused with both base64 strings it received
	// Servers that cannot complete a TLS handshake (with implicit set where TLS is spoken at all).
	fakeOldTLS      // TLS 1.1 at most
	fakeSilentClose // plaintext: sends no greeting, reads the client's first bytes and hangs up
)

// fakeSMTP is an SMTP server on 127.0.0.2 that records every byte the client sends, in clear
// before TLS and decrypted after it.
type fakeSMTP struct {
	*fakenet.Server
	cert     tls.Certificate
	implicit bool
	mode     fakeMode
}

func startFakeSMTP(t *testing.T, cert tls.Certificate, implicit bool, mode fakeMode) *fakeSMTP {
	t.Helper()
	s := &fakeSMTP{cert: cert, implicit: implicit, mode: mode}
	s.Server = fakenet.New(t)
	s.Serve(func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		s.session(c)
	})
	return s
}

func (s *fakeSMTP) port() int { return s.Port() }

// prefixConn lets the TLS server read bytes the line reader already buffered.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

func (s *fakeSMTP) session(raw net.Conn) {
	var c net.Conn = raw
	secure := false
	if s.mode == fakeSilentClose {
		s.Record(readSome(raw))
		return
	}
	if s.implicit {
		cfg := &tls.Config{Certificates: []tls.Certificate{s.cert}}
		if s.mode == fakeOldTLS {
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		}
		tc := tls.Server(raw, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		c, secure = tc, true
	}
	br := bufio.NewReader(c)
	write := func(lines ...string) bool {
		_, err := io.WriteString(c, strings.Join(lines, "\r\n")+"\r\n")
		return err == nil
	}
	readLine := func() (string, bool) {
		line, err := br.ReadString('\n')
		s.Record(line)
		return strings.TrimRight(line, "\r\n"), err == nil
	}
	if !write("220 mail.test ESMTP fake") {
		return
	}
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"250-mail.test", "250-SIZE 1000000"}
			if !secure && s.mode != fakeNoStartTLS {
				ext = append(ext, "250-STARTTLS")
			}
			switch {
			case s.mode == fakeEchoLogin && secure:
				ext = append(ext, "250-AUTH LOGIN")
			case secure || s.mode == fakeNoStartTLS:
				ext = append(ext, "250-AUTH PLAIN LOGIN")
			}
			ext = append(ext, "250 8BITMIME")
			write(ext...)
		case "STARTTLS":
			if s.mode == fakeRefuseTLS || secure {
				write("454 4.7.0 TLS not available")
				continue
			}
			write("220 2.0.0 Ready to start TLS")
			buffered, _ := br.Peek(br.Buffered())
			under := prefixConn{Conn: raw, r: io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), raw)}
			tc := tls.Server(under, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			br = bufio.NewReader(c)
		case "AUTH":
			f := strings.Fields(line)
			switch {
			case s.mode == fakeEchoAuthBase64 && len(f) == 3:
				write("535 5.7.8 Error: authentication failed: " + f[2])
			case s.mode == fakeEchoPassword && len(f) == 3:
				dec, _ := base64.StdEncoding.DecodeString(f[2])
				parts := strings.Split(string(dec), "\x00")
				write("535 5.7.8 Error: authentication failed: password " + parts[len(parts)-1] + " is wrong for " + parts[1])
			case s.mode == fakeEchoLogin && len(f) == 3:
				write("334 UGFzc3dvcmQ6")
				pw, ok := readLine()
				if !ok {
					return
				}
				write("535 5.7.8 Error: authentication failed: " + f[2] + " " + pw)
			default:
				write("235 2.7.0 Authentication successful")
			}
		case "MAIL", "RCPT", "RSET", "NOOP":
			write("250 2.0.0 OK")
		case "DATA":
			write("354 End data with <CR><LF>.<CR><LF>")
			for {
				l, ok := readLine()
				if !ok {
					return
				}
				if l == "." {
					break
				}
			}
			if s.mode == fakeDropAfterDot {
				return
			}
			write("250 2.0.0 Ok: queued")
		case "QUIT":
			write("221 2.0.0 Bye")
			return
		default:
			write("502 5.5.2 Error: command not recognized")
		}
	}
}

// readSome reads what the client sends first (a TLS ClientHello, on a port it takes for TLS).
func readSome(c net.Conn) string {
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	return string(buf[:n])
}
