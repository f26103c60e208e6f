package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testMessage is a small message with a unique Message-ID.
func testMessage(id, body string) []byte {
	return []byte("From: Alice <alice@mail.test>\r\nTo: Bob <bob@mail.test>\r\nSubject: testbed " + id +
		"\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\nMessage-ID: <" + id + "@mail.test>\r\n\r\n" + body + "\r\n")
}

// submit sends msg through the implicit-TLS port as user.
func submit(p *Postfix, d *Dovecot, user, password string, rcpt []string, msg []byte) error {
	c, err := smtp.DialTLS(p.SubmissionsAddr(), d.TLSConfig())
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := c.SendMail(user+"@mail.test", rcpt, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// waitMessages polls a Dovecot folder until it holds want messages.
func waitMessages(t *testing.T, d *Dovecot, user, folder string, want uint32, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := d.Status(user, folder)
		if err == nil && st.Messages == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: want %d messages after %v, have %+v (err %v)", user, folder, want, within, st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestPostfixSubmissionDeliversOverLMTP(t *testing.T) {
	d := StartT(t, Options{})
	start := time.Now()
	p := StartPostfixT(t, d, PostfixOptions{MessageSizeLimit: 64 << 10})
	t.Logf("postfix started in %v on %s and %s", time.Since(start).Round(time.Millisecond), p.SubmissionsAddr(), p.SubmissionAddr())
	if p.SubmissionsPort == 0 || p.SubmissionPort == 0 || p.Host != "127.0.0.1" || p.ServerName != "mail.test" {
		t.Fatalf("incomplete endpoints: %+v", p)
	}

	msg := testMessage("pf1", "hello over submissions")
	sent := time.Now()
	if err := submit(p, d, "alice", d.Password("alice"), []string{"bob@mail.test"}, msg); err != nil {
		t.Fatalf("submit: %v\n%s", err, p.LogTail(20))
	}
	waitMessages(t, d, "bob", "INBOX", 1, 5*time.Second)
	t.Logf("delivered to bob's INBOX %v after the 250", time.Since(sent).Round(time.Millisecond))
	c := d.IMAPSClientT(t, "bob", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	raw, _ := fetchRaw(t, c, 1)
	if !bytes.HasSuffix(raw, msg) {
		t.Errorf("delivered message does not end with the submitted bytes:\n%s", raw)
	}
	if !bytes.Contains(raw, []byte("Delivered-To: bob@mail.test")) || !bytes.Contains(raw, []byte("Received: ")) {
		t.Errorf("delivered message lacks the MTA's trace headers:\n%s", raw)
	}

	t.Run("wrong password", func(t *testing.T) {
		err := submit(p, d, "alice", "not-the-password", []string{"bob@mail.test"}, msg)
		if code := smtpCode(err); code != 535 {
			t.Fatalf("got %v (code %d), want 535", err, code)
		}
	})
	t.Run("unknown recipient", func(t *testing.T) {
		err := submit(p, d, "alice", d.Password("alice"), []string{"unknown@mail.test"}, msg)
		if code := smtpCode(err); code != 550 {
			t.Fatalf("got %v (code %d), want 550", err, code)
		}
	})
	t.Run("no relaying without auth", func(t *testing.T) {
		c, err := smtp.DialTLS(p.SubmissionsAddr(), d.TLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.SendMail("alice@mail.test", []string{"bob@mail.test"}, bytes.NewReader(msg))
		if code := smtpCode(err); code < 500 {
			t.Fatalf("unauthenticated submission: got %v, want a 5xx refusal", err)
		}
	})
	t.Run("size limit", func(t *testing.T) {
		c, err := smtp.DialTLS(p.SubmissionsAddr(), d.TLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if n, ok := c.MaxMessageSize(); !ok || n != 64<<10 {
			t.Errorf("SIZE = %d, %v; want %d", n, ok, 64<<10)
		}
		if err := c.Auth(sasl.NewPlainClient("", "alice", d.Password("alice"))); err != nil {
			t.Fatal(err)
		}
		big := testMessage("pfbig", strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 2000))
		err = c.SendMail("alice@mail.test", []string{"bob@mail.test"}, bytes.NewReader(big))
		if code := smtpCode(err); code != 552 {
			t.Fatalf("got %v (code %d), want 552", err, code)
		}
	})
	t.Run("submission port requires STARTTLS", func(t *testing.T) {
		c, err := smtp.Dial(p.SubmissionAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Fatal("STARTTLS not offered")
		}
		if ok, _ := c.Extension("AUTH"); ok {
			t.Error("AUTH offered before TLS")
		}
		if err := c.Mail("alice@mail.test", nil); smtpCode(err) != 530 {
			t.Errorf("MAIL before STARTTLS: got %v, want 530", err)
		}

		c2, err := smtp.DialStartTLS(p.SubmissionAddr(), d.TLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		if err := c2.Auth(sasl.NewPlainClient("", "bob@mail.test", d.Password("bob"))); err != nil {
			t.Fatalf("AUTH after STARTTLS with the full address: %v", err)
		}
		if err := c2.SendMail("bob@mail.test", []string{"alice@mail.test"}, bytes.NewReader(testMessage("pf2", "over 587"))); err != nil {
			t.Fatal(err)
		}
		waitMessages(t, d, "alice", "INBOX", 1, 5*time.Second)
	})
}

// TestPostfixHaltRestartKeepsQueue queues a message while Dovecot is down,
// takes Postfix offline and back, and checks the message still arrives and
// the ports work again.
func TestPostfixHaltRestartKeepsQueue(t *testing.T) {
	d := StartT(t, Options{})
	p := StartPostfixT(t, d, PostfixOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// An authenticated session hands over a message while Dovecot (LMTP)
	// is down: Postfix queues it.
	c, err := smtp.DialTLS(p.SubmissionsAddr(), d.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice", d.Password("alice"))); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("alice@mail.test", []string{"bob@mail.test"}, bytes.NewReader(testMessage("pf3", "queued"))); err != nil {
		t.Fatalf("submit with Dovecot down: %v", err)
	}
	_ = c.Quit()
	// Without Dovecot there is no AUTH.
	if err := submit(p, d, "alice", d.Password("alice"), []string{"bob@mail.test"}, testMessage("pf4", "x")); err == nil {
		t.Fatal("AUTH succeeded with Dovecot down")
	}

	start := time.Now()
	if err := p.Halt(); err != nil {
		t.Fatal(err)
	}
	t.Logf("halt took %v", time.Since(start).Round(time.Millisecond))
	if p.Running() {
		t.Fatal("Running after Halt")
	}
	for _, addr := range []string{p.SubmissionsAddr(), p.SubmissionAddr()} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s still accepts connections after Halt", addr)
		}
	}
	// smtpd needs Dovecot's AUTH to greet: Dovecot comes back first.
	if err := d.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := p.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("restart took %v", time.Since(start).Round(time.Millisecond))
	// The message queued before the halt is delivered from the kept queue.
	waitMessages(t, d, "bob", "INBOX", 1, 10*time.Second)
	if err := submit(p, d, "alice", d.Password("alice"), []string{"bob@mail.test"}, testMessage("pf5", "after restart")); err != nil {
		t.Fatalf("submit after restart: %v\n%s", err, p.LogTail(20))
	}
	waitMessages(t, d, "bob", "INBOX", 2, 5*time.Second)

	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(ctx); err == nil {
		t.Error("Restart after Stop succeeded")
	}
}
