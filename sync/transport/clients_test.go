package transport

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
	"github.com/knadh/go-pop3"

	"postbode/types"
)

// The protocol libraries the engines use must work unchanged over a
// STARTTLS-upgraded Conn, even when the server injected bytes after its
// STARTTLS answer, and must see the post-TLS capabilities only.

func dialStartTLS(t *testing.T, proto types.Protocol) (*fakeServer, *Conn) {
	t.Helper()
	inject := map[types.Protocol]string{
		types.IMAP: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN STARTTLS] injected\r\n",
		types.POP3: "+OK injected\r\n",
		types.SMTP: "250 STARTTLS injected\r\n",
	}[proto]
	srv := startFake(t, fakeOpts{proto: proto, inject: inject})
	c, err := Dial(context.Background(), srv.config(t, types.SecurityStartTLS))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return srv, c
}

func TestIMAPClientOverStartTLS(t *testing.T) {
	t.Parallel()
	_, c := dialStartTLS(t, types.IMAP)
	client := imapclient.New(c, nil)
	defer client.Close()
	if err := client.WaitGreeting(); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	if st := client.State(); st != imap.ConnStateNotAuthenticated {
		t.Errorf("state = %v, want not authenticated", st)
	}
	caps := client.Caps()
	if !caps.Has(imap.CapIdle) || !caps.Has(imap.AuthCap("PLAIN")) {
		t.Errorf("caps = %v, want the post-TLS IDLE and AUTH=PLAIN", caps)
	}
	if caps.Has(imap.CapStartTLS) || caps.Has(imap.CapLoginDisabled) {
		t.Errorf("caps = %v: plaintext or injected capabilities leaked", caps)
	}
	if err := client.Noop().Wait(); err != nil {
		t.Errorf("NOOP: %v", err)
	}
	if err := client.Logout().Wait(); err != nil {
		t.Errorf("LOGOUT: %v", err)
	}
}

// connDialer hands go-pop3 the connection Dial already secured.
type connDialer struct{ c net.Conn }

func (d connDialer) Dial(network, addr string) (net.Conn, error) {
	if d.c == nil {
		return nil, errors.New("connection already used")
	}
	return d.c, nil
}

func TestPOP3ClientOverStartTLS(t *testing.T) {
	t.Parallel()
	srv, c := dialStartTLS(t, types.POP3)
	defer c.Close()
	client := pop3.New(pop3.Opt{Host: "mail.test", Port: srv.port(), Dialer: connDialer{c}})
	pc, err := client.NewConn() // reads the (synthetic) greeting
	if err != nil {
		t.Fatalf("NewConn: %v", err)
	}
	if err := pc.Noop(); err != nil {
		t.Errorf("NOOP: %v", err)
	}
	count, size, err := pc.Stat()
	if err != nil || count != 2 || size != 320 {
		t.Errorf("STAT = %d %d %v, want 2 320 (real post-TLS answer)", count, size, err)
	}
	if err := pc.Quit(); err != nil {
		t.Errorf("QUIT: %v", err)
	}
}

func TestSMTPClientOverStartTLS(t *testing.T) {
	t.Parallel()
	_, c := dialStartTLS(t, types.SMTP)
	client := smtp.NewClient(c)
	defer client.Close()
	if err := client.Hello("localhost"); err != nil {
		t.Fatalf("greeting/EHLO: %v", err)
	}
	if ok, params := client.Extension("AUTH"); !ok || params != "PLAIN LOGIN" {
		t.Errorf("AUTH extension = %v %q, want the post-TLS PLAIN LOGIN", ok, params)
	}
	if ok, _ := client.Extension("STARTTLS"); ok {
		t.Error("STARTTLS advertised after TLS: plaintext or injected capabilities leaked")
	}
	if err := client.Noop(); err != nil {
		t.Errorf("NOOP: %v", err)
	}
	if err := client.Quit(); err != nil {
		t.Errorf("QUIT: %v", err)
	}
}

// TestClientsOverImplicitTLS: the same libraries over implicit TLS read the
// server's own greeting.
func TestClientsOverImplicitTLS(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, fakeOpts{proto: proto, implicit: true})
			c, err := Dial(context.Background(), srv.config(t, types.SecurityTLS))
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			switch proto {
			case types.IMAP:
				client := imapclient.New(c, nil)
				defer client.Close()
				if !client.Caps().Has(imap.CapIdle) {
					t.Errorf("caps = %v", client.Caps())
				}
				if err := client.Noop().Wait(); err != nil {
					t.Errorf("NOOP: %v", err)
				}
			case types.POP3:
				pc, err := pop3.New(pop3.Opt{Host: "mail.test", Port: srv.port(), Dialer: connDialer{c}}).NewConn()
				if err != nil {
					t.Fatalf("NewConn: %v", err)
				}
				if err := pc.Noop(); err != nil {
					t.Errorf("NOOP: %v", err)
				}
			default:
				client := smtp.NewClient(c)
				if err := client.Noop(); err != nil {
					t.Errorf("NOOP: %v", err)
				}
				if ok, _ := client.Extension("AUTH"); !ok {
					t.Error("AUTH missing from EHLO")
				}
			}
		})
	}
}
