package smtpsend

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"postbode/accounts"
	"postbode/cli"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/types"
)

// echoedSecrets are the forms of fakePassword a server may send back: the password, and what AUTH
// PLAIN and AUTH LOGIN put on the wire.
func echoedSecrets() []string {
	b64 := base64.StdEncoding.EncodeToString
	return []string{
		fakePassword,
		b64([]byte("\x00alice@mail.test\x00" + fakePassword)),
		b64([]byte(fakePassword)),
		b64([]byte("alice@mail.test")),
	}
}

func checkNoSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range echoedSecrets() {
		if strings.Contains(text, s) {
			t.Errorf("%s holds %q: %s", where, s, text)
		}
	}
}

// drainErrors returns the text of every Error and ConnState error event waiting on the Manager.
func drainErrors(m *accounts.Manager) []string {
	var out []string
	for {
		select {
		case ev := <-m.Events():
			switch e := ev.(type) {
			case types.Error:
				out = append(out, e.Err.Error())
			case types.ConnState:
				if e.Err != nil {
					out = append(out, e.Err.Error())
				}
			}
		default:
			return out
		}
	}
}

// TestEchoedCredentialsAreRedacted: a server that quotes the AUTH string or the password in its 535
// refusal gets neither into the error, the outbox's stored last_error or the error event.
func TestEchoedCredentialsAreRedacted(t *testing.T) {
	pki := newFakePKI(t)
	for _, tc := range []struct {
		name string
		mode fakeMode
		// proof is a part of the server's reply that must still be shown.
		proof string
	}{
		{"echoes the AUTH PLAIN base64", fakeEchoAuthBase64, "authentication failed: [redacted]"},
		{"echoes the password", fakeEchoPassword, "password [redacted] is wrong"},
		{"echoes the AUTH LOGIN strings", fakeEchoLogin, "authentication failed: [redacted]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startFakeSMTP(t, pki.good, true, tc.mode)
			acc := fakeAccount(s, pki, types.SecurityTLS)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()

			err := Send(ctx, acc, fakePassword, "alice@mail.test", []string{"bob@mail.test"}, testRaw(t))
			se := sendErr(t, err)
			if se.Kind != types.ProblemAuth || !se.Permanent {
				t.Fatalf("got %v (problem %q, permanent %v)", err, se.Kind, se.Permanent)
			}
			if !strings.Contains(err.Error(), tc.proof) {
				t.Errorf("the server's reply is not shown: %v", err)
			}
			checkNoSecrets(t, "the error", err.Error())
			checkNoSecrets(t, "the detail", se.Detail)
			var smtpErr *smtp.SMTPError
			if !errors.As(err, &smtpErr) || smtpErr.Code != 535 {
				t.Fatalf("the SMTP reply is not in the chain: %v", err)
			}
			checkNoSecrets(t, "the SMTP reply", smtpErr.Message)
			r := newRig(t, map[string]string{"alice": fakePassword}, acc)
			if err := r.m.Do(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", "echo")}); err != nil {
				t.Fatal(err)
			}
			flushErr := r.ob.Flush(ctx)
			if flushErr == nil {
				t.Fatal("flush reported success")
			}
			checkNoSecrets(t, "the flush error", flushErr.Error())
			it := r.onlyItem(t, "alice")
			if it.State != localcache.OutboxFailed || !strings.Contains(it.LastError, problemText[types.ProblemAuth]) {
				t.Fatalf("item: state %q, error %q", it.State, it.LastError)
			}
			checkNoSecrets(t, "the outbox's last_error", it.LastError)
			evs := drainErrors(r.m)
			if len(evs) == 0 {
				t.Fatal("no error event")
			}
			for _, e := range evs {
				checkNoSecrets(t, "an error event", e)
			}
			// The server did get the credentials: the checks above could fail.
			if got := s.Finish(t); !strings.Contains(got, "AUTH") {
				t.Fatalf("no AUTH sent:\n%s", got)
			}
		})
	}
}

// TestTLSHandshakeFailureIsPermanent: an implicit-TLS account whose server does not complete a TLS
// handshake (a plaintext SMTP server, one that hangs up on the ClientHello, one with only old TLS
// versions, one with an untrusted certificate) fails with a permanent security problem; the
// outbox holds the message instead of trying it again as if the server were busy.
func TestTLSHandshakeFailureIsPermanent(t *testing.T) {
	pki := newFakePKI(t)
	for _, tc := range []struct {
		name     string
		cert     bool // serve pki.selfSigned instead of pki.good
		implicit bool
		mode     fakeMode
		kind     types.Problem
	}{
		{"plaintext SMTP on the TLS port", false, false, fakeNormal, types.ProblemSecurity},
		{"plaintext server hangs up on the ClientHello", false, false, fakeSilentClose, types.ProblemSecurity},
		{"TLS 1.1 at most", false, true, fakeOldTLS, types.ProblemSecurity},
		{"untrusted certificate", true, true, fakeNormal, types.ProblemCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert := pki.good
			if tc.cert {
				cert = pki.selfSigned
			}
			s := startFakeSMTP(t, cert, tc.implicit, tc.mode)
			acc := fakeAccount(s, pki, types.SecurityTLS)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()

			err := Send(ctx, acc, fakePassword, "alice@mail.test", []string{"bob@mail.test"}, testRaw(t))
			se := sendErr(t, err)
			if se.Kind != tc.kind || !se.Permanent {
				t.Fatalf("got %v (problem %q, permanent %v), want a permanent %q", err, se.Kind, se.Permanent, tc.kind)
			}
			if se := sendErr(t, Test(ctx, acc, fakePassword)); se.Kind != tc.kind {
				t.Errorf("connection test: %v", se)
			}

			r := newRig(t, map[string]string{"alice": fakePassword}, acc)
			it := r.heldAfterFailure(t, ctx, "handshake")
			if it.State != localcache.OutboxFailed || it.Attempts != 1 || !strings.Contains(it.LastError, problemText[tc.kind]) {
				t.Fatalf("item: state %q, attempts %d, error %q", it.State, it.Attempts, it.LastError)
			}
			if n := s.Conns(); n != 3 { // Send, Test and one outbox attempt
				t.Fatalf("%d connections, want 3", n)
			}
			got := s.Finish(t)
			for _, bad := range []string{"AUTH", "MAIL FROM"} {
				if strings.Contains(got, bad) {
					t.Errorf("server received %q", bad)
				}
			}
		})
	}
}

// TestCLISendFailures runs `postbode send` as the program wires it: a refused login whose reply
// echoes the credentials, and a server that does not speak TLS, both end with a non-zero exit
// and a message that names the problem and holds no credential.
func TestCLISendFailures(t *testing.T) {
	pki := newFakePKI(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	for _, tc := range []struct {
		name     string
		implicit bool
		mode     fakeMode
		want     string
	}{
		{"login refused with the credentials echoed", true, fakeEchoAuthBase64, problemText[types.ProblemAuth]},
		{"plaintext server on the TLS port", false, fakeNormal, problemText[types.ProblemSecurity]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startFakeSMTP(t, pki.good, tc.implicit, tc.mode)
			profile := t.TempDir()
			app := func(stdin string, args ...string) (int, string, string) {
				var out, errOut bytes.Buffer
				a := &cli.App{
					Backends: map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend},
					NewSender: func(c *localcache.Cache, m *accounts.Manager, p accounts.PasswordSource) accounts.Sender {
						return NewOutbox(c, m, p)
					},
					Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				code := a.Run(ctx, append([]string{"--profile", profile}, args...))
				return code, out.String(), errOut.String()
			}
			code, _, errOut := app("", "account", "add", "--name", "alice", "--email", "alice@mail.test",
				"--kind", "imap", "--host", "mail.test", "--port", strconv.Itoa(closedPort(t)),
				"--smtp-port", strconv.Itoa(s.port()), "--ca-file", pki.caFile)
			if code != 0 {
				t.Fatalf("account add: exit %d: %s", code, errOut)
			}
			code, out, errOut := app(fakePassword+"\nHello Bob\n", "send", "--account", "alice", "--to", "bob@mail.test",
				"--subject", "hi", "--password-stdin")
			if code == 0 {
				t.Fatalf("send exited 0; stdout %q, stderr %q", out, errOut)
			}
			if !strings.Contains(errOut, "not sent") || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr does not say what went wrong: %q", errOut)
			}
			t.Logf("stderr: %s", errOut)
			checkNoSecrets(t, "stdout", out)
			checkNoSecrets(t, "stderr", errOut)
		})
	}
}
