// Package smtpsend delivers mail over SMTP through the one transport policy, keeps unsent mail in the
// cache's outbox across restarts, and files the sent copy: on the server's \Sent for IMAP accounts,
// in the local Sent folder for POP3 accounts.
package smtpsend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"postbode/accounts"
	"postbode/sync/transport"
)

// Problem is what went wrong with an attempt, in terms a user can act on.
type Problem string

const (
	ProblemAuth        Problem = "authentication failed"
	ProblemRecipient   Problem = "recipient refused"
	ProblemTooLarge    Problem = "message too large"
	ProblemUnreachable Problem = "server unreachable"
	ProblemSecurity    Problem = "secure connection failed"
	ProblemRefused     Problem = "message refused"
	ProblemTemporary   Problem = "server busy, will retry"
)

// SendError is one failed attempt. Permanent errors need the user (wrong password, bad address); the
// others are retried.
type SendError struct {
	Problem   Problem
	Permanent bool
	Detail    string // e.g. the recipient, or the server's reply code
	Err       error
}

func (e *SendError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (%s): %v", e.Problem, e.Detail, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Problem, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// classify turns a failure into a SendError; stage says which command failed.
func classify(err error, stage, detail string) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	var ce *transport.CertError
	if errors.As(err, &ce) || errors.Is(err, transport.ErrStartTLSUnavailable) ||
		errors.Is(err, transport.ErrStartTLSRefused) || errors.Is(err, transport.ErrProtocol) {
		return &SendError{Problem: ProblemSecurity, Permanent: true, Err: err}
	}
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		code := smtpErr.Code
		detail := fmt.Sprintf("%s%d", prefix(detail), code)
		switch {
		case code == 535 || code == 534 || code == 530 || (stage == "auth" && code >= 500):
			return &SendError{Problem: ProblemAuth, Permanent: true, Detail: detail, Err: err}
		case code == 552 || smtpErr.EnhancedCode == smtp.EnhancedCode{5, 3, 4}:
			return &SendError{Problem: ProblemTooLarge, Permanent: true, Detail: detail, Err: err}
		case stage == "rcpt" && code >= 500:
			return &SendError{Problem: ProblemRecipient, Permanent: true, Detail: detail, Err: err}
		case code >= 500:
			return &SendError{Problem: ProblemRefused, Permanent: true, Detail: detail, Err: err}
		default:
			return &SendError{Problem: ProblemTemporary, Detail: detail, Err: err}
		}
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &netErr) || errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) {
		return &SendError{Problem: ProblemUnreachable, Err: err}
	}
	return &SendError{Problem: ProblemTemporary, Err: err}
}

func prefix(detail string) string {
	if detail == "" {
		return ""
	}
	return detail + ": "
}

// dialContext replaces how TCP is dialed when set: tests map the name mail.test to a loopback
// address. nil in production.
var dialContext func(ctx context.Context, network, addr string) (net.Conn, error)

// errMaybeDelivered explains a connection lost while waiting for the answer to the end of DATA: the
// server may have accepted the message, so it is not sent again without the user.
var errMaybeDelivered = errors.New("the connection broke after the whole message was handed over; " +
	"it may have been delivered. Check with the recipient or send it again")

// Send makes one attempt to deliver raw to the recipients through the account's outgoing server.
func Send(ctx context.Context, acc accounts.Account, password, from string, rcpt []string, raw []byte) error {
	srv := acc.Outgoing
	if srv.Host == "" {
		return &SendError{Problem: ProblemRefused, Permanent: true, Err: errors.New("the account has no outgoing (SMTP) server")}
	}
	cfg, err := srv.Transport(transport.SMTP)
	if err != nil {
		return &SendError{Problem: ProblemSecurity, Permanent: true, Err: err}
	}
	cfg.DialContext = dialContext
	conn, err := transport.Dial(ctx, cfg)
	if err != nil {
		return classify(fmt.Errorf("smtp dial %s:%d: %w", srv.Host, srv.Port, err), "dial", "")
	}
	defer conn.Close()
	// The connection's own IO timeout bounds each command; cancelling ctx closes it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello(localName(acc)); err != nil {
		return classify(fmt.Errorf("smtp hello: %w", err), "hello", "")
	}
	if srv.User != "" {
		if err := authenticate(c, srv.User, password); err != nil {
			return classify(fmt.Errorf("smtp auth: %w", err), "auth", "")
		}
	}
	if err := c.Mail(from, &smtp.MailOptions{Size: int64(len(raw))}); err != nil {
		return classify(fmt.Errorf("smtp MAIL FROM: %w", err), "mail", from)
	}
	for _, r := range rcpt {
		if err := c.Rcpt(r, nil); err != nil {
			return classify(fmt.Errorf("smtp RCPT TO: %w", err), "rcpt", r)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify(fmt.Errorf("smtp DATA: %w", err), "data", "")
	}
	if _, err := w.Write(raw); err != nil {
		return classify(fmt.Errorf("smtp DATA: %w", err), "data", "")
	}
	if err := w.Close(); err != nil {
		var smtpErr *smtp.SMTPError
		if !errors.As(err, &smtpErr) {
			// No answer to the final dot: a retry could deliver the message twice.
			return &SendError{Problem: ProblemUnreachable, Permanent: true, Detail: "end of DATA",
				Err: fmt.Errorf("%w: %v", errMaybeDelivered, err)}
		}
		return classify(fmt.Errorf("smtp end of DATA: %w", err), "data", "")
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// authenticate prefers PLAIN and falls back to LOGIN, as servers offer them.
func authenticate(c *smtp.Client, user, password string) error {
	ok, _ := c.Extension("AUTH")
	if !ok {
		return &SendError{Problem: ProblemAuth, Permanent: true, Err: errors.New("the server offers no authentication")}
	}
	if c.SupportsAuth("PLAIN") {
		return c.Auth(sasl.NewPlainClient("", user, password))
	}
	if c.SupportsAuth("LOGIN") {
		return c.Auth(sasl.NewLoginClient(user, password))
	}
	return &SendError{Problem: ProblemAuth, Permanent: true, Err: errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN")}
}

// localName is the EHLO name: the sender's domain says no more than the From header already does.
func localName(acc accounts.Account) string {
	if i := bytes.LastIndexByte([]byte(acc.Email), '@'); i >= 0 && i < len(acc.Email)-1 {
		return acc.Email[i+1:]
	}
	return "localhost"
}

// Test authenticates to the outgoing server and quits without sending.
func Test(ctx context.Context, acc accounts.Account, password string) error {
	cfg, err := acc.Outgoing.Transport(transport.SMTP)
	if err != nil {
		return err
	}
	cfg.DialContext = dialContext
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, cfg)
	if err != nil {
		return classify(fmt.Errorf("smtp dial: %w", err), "dial", "")
	}
	defer conn.Close()
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello(localName(acc)); err != nil {
		return classify(fmt.Errorf("smtp hello: %w", err), "hello", "")
	}
	if acc.Outgoing.User != "" {
		if err := authenticate(c, acc.Outgoing.User, password); err != nil {
			return classify(fmt.Errorf("smtp auth: %w", err), "auth", "")
		}
	}
	_ = c.Quit()
	return nil
}
