package smtpsend

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/transport"
	"postbode/types"
)

const fakePassword = "s3cret-Passw0rd"

// fakeAccount sends through a fake server reached as mail.test (127.0.0.2).
func fakeAccount(s *fakeSMTP, pki *fakePKI, sec types.Security) types.Account {
	return types.Account{
		Name: "alice", Kind: types.IMAP, Email: "alice@mail.test",
		Incoming: types.Server{Host: "mail.test", Port: 993, Security: types.SecurityTLS, User: "alice@mail.test"},
		Outgoing: types.Server{Host: "mail.test", Port: s.port(), Security: sec, User: "alice@mail.test", CAFile: pki.caFile},
	}
}

func testRaw(t *testing.T) []byte {
	t.Helper()
	d := draftTo("bob@mail.test", "fake")
	d.From = mailfmt.Address{Name: "Alice", Email: "alice@mail.test"}
	raw, _, err := mailfmt.Build(d)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// credentialTraces are what a leaked AUTH would put on the wire.
func credentialTraces() []string {
	return []string{
		"AUTH", fakePassword,
		base64.StdEncoding.EncodeToString([]byte("\x00alice@mail.test\x00" + fakePassword)),
		base64.StdEncoding.EncodeToString([]byte(fakePassword)),
		base64.StdEncoding.EncodeToString([]byte("alice@mail.test")),
		"MAIL FROM", "RCPT TO", "DATA",
	}
}

// TestNoCredentialsWithoutTLS: when STARTTLS is stripped or refused, or the certificate is bad, on
// either the implicit-TLS or the STARTTLS path, Send stops before AUTH and reports a permanent
// security problem.
func TestNoCredentialsWithoutTLS(t *testing.T) {
	pki := newFakePKI(t)
	cases := []struct {
		name     string
		cert     tls.Certificate
		implicit bool
		mode     fakeMode
		sec      types.Security
		check    func(error) bool
		kind     types.Problem
	}{
		{"STARTTLS not offered", pki.good, false, fakeNoStartTLS, types.SecurityStartTLS,
			func(err error) bool { return errors.Is(err, transport.ErrStartTLSUnavailable) }, types.ProblemNoEncryption},
		{"STARTTLS refused", pki.good, false, fakeRefuseTLS, types.SecurityStartTLS,
			func(err error) bool { return errors.Is(err, transport.ErrStartTLSRefused) }, types.ProblemNoEncryption},
		{"self-signed certificate, implicit TLS", pki.selfSigned, true, fakeNormal, types.SecurityTLS, isCertError, types.ProblemCertificate},
		{"self-signed certificate, STARTTLS", pki.selfSigned, false, fakeNormal, types.SecurityStartTLS, isCertError, types.ProblemCertificate},
		{"wrong host name, implicit TLS", pki.wrongName, true, fakeNormal, types.SecurityTLS, isCertError, types.ProblemCertificate},
		{"wrong host name, STARTTLS", pki.wrongName, false, fakeNormal, types.SecurityStartTLS, isCertError, types.ProblemCertificate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startFakeSMTP(t, tc.cert, tc.implicit, tc.mode)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			err := Send(ctx, fakeAccount(s, pki, tc.sec), fakePassword, "alice@mail.test", []string{"bob@mail.test"}, testRaw(t))
			se := sendErr(t, err)
			if se.Kind != tc.kind || accounts.Diagnose(err) != tc.kind || !se.Permanent || !tc.check(err) {
				t.Errorf("got %v (problem %q, permanent %v)", err, se.Kind, se.Permanent)
			}
			if strings.Contains(err.Error(), fakePassword) {
				t.Error("the error text holds the password")
			}
			got := s.Finish(t)
			for _, bad := range credentialTraces() {
				if strings.Contains(got, bad) {
					t.Errorf("server received %q:\n%s", bad, got)
				}
			}
		})
	}

	// The same recorder sees AUTH when TLS is right, so the checks above can fail.
	t.Run("control: valid STARTTLS", func(t *testing.T) {
		s := startFakeSMTP(t, pki.good, false, fakeNormal)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := Send(ctx, fakeAccount(s, pki, types.SecurityStartTLS), fakePassword, "alice@mail.test", []string{"bob@mail.test"}, testRaw(t)); err != nil {
			t.Fatal(err)
		}
		got := s.Finish(t)
		if !strings.Contains(got, "STARTTLS") || !strings.Contains(got, "AUTH PLAIN "+credentialTraces()[2]) {
			t.Fatalf("server did not get STARTTLS then AUTH:\n%s", got)
		}
		if i, j := strings.Index(got, "STARTTLS"), strings.Index(got, "AUTH"); j < i {
			t.Fatalf("AUTH before STARTTLS:\n%s", got)
		}
	})
}

func isCertError(err error) bool {
	var ce *transport.CertError
	return errors.As(err, &ce)
}

// TestSecurityFailureIsNotRetried: the outbox holds a message whose server fails the TLS checks
// instead of trying it again and again.
func TestSecurityFailureIsNotRetried(t *testing.T) {
	pki := newFakePKI(t)
	s := startFakeSMTP(t, pki.selfSigned, true, fakeNormal)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := newRig(t, map[string]string{"alice": fakePassword}, fakeAccount(s, pki, types.SecurityTLS))
	it := r.heldAfterFailure(t, ctx, "bad cert")
	if it.State != localcache.OutboxFailed || it.Attempts != 1 || !strings.Contains(it.LastError, problemText[types.ProblemCertificate]) {
		t.Fatalf("item: state %q, attempts %d, error %q", it.State, it.Attempts, it.LastError)
	}
	if n := s.Conns(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// TestNoAnswerToEndOfDataIsNotResent: the connection breaks after the whole message went out but
// before the server's answer. The server may have it: the outbox holds the message for the user
// instead of sending a second copy.
func TestNoAnswerToEndOfDataIsNotResent(t *testing.T) {
	pki := newFakePKI(t)
	s := startFakeSMTP(t, pki.good, true, fakeDropAfterDot)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	acc := fakeAccount(s, pki, types.SecurityTLS)

	err := Send(ctx, acc, fakePassword, "alice@mail.test", []string{"bob@mail.test"}, testRaw(t))
	se := sendErr(t, err)
	if !se.Permanent || !errors.Is(err, errMaybeDelivered) {
		t.Fatalf("got %v (permanent %v), want a permanent 'may have been delivered'", err, se.Permanent)
	}

	r := newRig(t, map[string]string{"alice": fakePassword}, acc)
	it := r.heldAfterFailure(t, ctx, "dropped")
	if it.State != localcache.OutboxFailed || !strings.Contains(it.LastError, "may have been delivered") {
		t.Fatalf("item: state %q, error %q", it.State, it.LastError)
	}
	if n := s.Conns(); n != 2 { // one for the direct Send, one for the outbox
		t.Fatalf("%d connections, want 2: the message was sent again", n)
	}
}
