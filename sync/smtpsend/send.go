// Package smtpsend delivers mail over SMTP through the one transport policy, keeps unsent mail in the
// cache's outbox across restarts, and files the sent copy: on the server's \Sent for IMAP accounts,
// in the local Sent folder for POP3 accounts.
package smtpsend

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"postbode/accounts/oauth"
	"postbode/internal/redact"
	"postbode/sync/transport"
	"postbode/types"
)

// problemText is how an attempt's failure reads in its error (and in the outbox's last error).
var problemText = map[types.Problem]string{
	types.ProblemAuth:         "authentication failed",
	types.ProblemRecipient:    "recipient refused",
	types.ProblemTooLarge:     "message too large",
	types.ProblemUnreachable:  "server unreachable",
	types.ProblemSecurity:     "secure connection failed",
	types.ProblemCertificate:  "secure connection failed: certificate not trusted",
	types.ProblemNoEncryption: "secure connection failed: no encryption offered",
	types.ProblemRefused:      "message refused",
	types.ProblemBusy:         "server busy, will retry",
}

// SendError is one failed attempt. Permanent errors need the user (wrong password, bad address); the
// others are retried.
type SendError struct {
	Kind      types.Problem // one of the kinds in problemText
	Permanent bool
	Detail    string // e.g. the recipient, or the server's reply code
	Err       error
}

func (e *SendError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (%s): %v", problemText[e.Kind], e.Detail, e.Err)
	}
	return fmt.Sprintf("%s: %v", problemText[e.Kind], e.Err)
}

// Problem makes a SendError an types.Diagnosed error: the UI words it without guessing.
func (e *SendError) Problem() types.Problem { return e.Kind }

func (e *SendError) Unwrap() error { return e.Err }

// classify turns a failure into a SendError; stage says which command failed.
func classify(err error, stage, detail string) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	// Certificate and STARTTLS failures keep their own kinds (the wizard shows the certificate).
	if _, ok := errors.AsType[*transport.CertError](err); ok {
		return &SendError{Kind: types.ProblemCertificate, Permanent: true, Err: err}
	}
	if errors.Is(err, transport.ErrStartTLSUnavailable) || errors.Is(err, transport.ErrStartTLSRefused) {
		return &SendError{Kind: types.ProblemNoEncryption, Permanent: true, Err: err}
	}
	if errors.Is(err, transport.ErrProtocol) {
		return &SendError{Kind: types.ProblemSecurity, Permanent: true, Err: err}
	}
	if stage == "dial" && handshakeFailed(err) {
		return &SendError{Kind: types.ProblemSecurity, Permanent: true, Detail: "TLS handshake",
			Err: fmt.Errorf("%w: %w", errHandshake, err)}
	}
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		code := smtpErr.Code
		detail := fmt.Sprintf("%s%d", prefix(detail), code)
		switch {
		case code == 535 || code == 534 || code == 530 || (stage == "auth" && code >= 500):
			return &SendError{Kind: types.ProblemAuth, Permanent: true, Detail: detail, Err: err}
		case code == 552 || smtpErr.EnhancedCode == smtp.EnhancedCode{5, 3, 4}:
			return &SendError{Kind: types.ProblemTooLarge, Permanent: true, Detail: detail, Err: err}
		case stage == "rcpt" && code >= 500:
			return &SendError{Kind: types.ProblemRecipient, Permanent: true, Detail: detail, Err: err}
		case code >= 500:
			return &SendError{Kind: types.ProblemRefused, Permanent: true, Detail: detail, Err: err}
		default:
			return &SendError{Kind: types.ProblemBusy, Detail: detail, Err: err}
		}
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &netErr) || errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) {
		return &SendError{Kind: types.ProblemUnreachable, Err: err}
	}
	return &SendError{Kind: types.ProblemBusy, Err: err}
}

// errHandshake explains a TLS handshake that failed for another reason than the certificate.
var errHandshake = errors.New("the server did not complete a TLS handshake: it may not speak TLS on this port " +
	"(implicit TLS is usually port 465, STARTTLS port 587) or offer only outdated TLS versions")

// handshakeFailed reports whether a dial error is a failed TLS handshake: a plaintext server on an
// implicit-TLS port (its greeting is no TLS record, or it hangs up on the ClientHello), a TLS alert
// such as "protocol version not supported", or any other error transport reports from the
// handshake. None of these goes away by trying again; a timeout or a refused connection does.
func handshakeFailed(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	var opErr *net.OpError
	switch {
	case errors.As(err, &rh), errors.As(err, &alert):
		return true
	case errors.As(err, &opErr) && (opErr.Op == "remote error" || opErr.Op == "local error"):
		// crypto/tls reports a TLS alert received from (or sent to) the server this way.
		return true
	}
	// transport wraps every failure of the handshake itself so; crypto/tls's own errors
	// ("tls: server selected unsupported protocol version") carry no type.
	msg := err.Error()
	return strings.Contains(msg, "tls handshake: ") || strings.Contains(msg, "tls: ")
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
// Whatever the server said is in the error with the credentials of the attempt removed.
func Send(ctx context.Context, acc types.Account, password, from string, rcpt []string, raw []byte) error {
	return scrub(send(ctx, acc, password, from, rcpt, raw), acc.Outgoing.User, password)
}

// scrub removes credentials a server echoed (SMTP 535 replies that quote the AUTH string they were
// sent) from err's text, its Detail and the go-smtp reply inside it, keeping the error's chain.
func scrub(err error, user, password string) error {
	if err == nil {
		return nil
	}
	sec := redact.Secrets{User: user, Password: password}
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		smtpErr.Message = redact.Text(smtpErr.Message, sec)
	}
	var se *SendError
	if errors.As(err, &se) {
		se.Detail = redact.Text(se.Detail, sec)
		se.Err = redact.Error(se.Err, sec)
		if se == err {
			return se
		}
	}
	return redact.Error(err, sec)
}

func send(ctx context.Context, acc types.Account, password, from string, rcpt []string, raw []byte) error {
	srv := acc.Outgoing
	if srv.Host == "" {
		return &SendError{Kind: types.ProblemRefused, Permanent: true, Err: errors.New("the account has no outgoing (SMTP) server")}
	}
	cfg, err := transport.ForServer(srv, types.SMTP)
	if err != nil {
		return &SendError{Kind: types.ProblemSecurity, Permanent: true, Err: err}
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
		if err := authenticate(c, acc, srv.User, password); err != nil {
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
			return &SendError{Kind: types.ProblemUnreachable, Permanent: true, Detail: "end of DATA",
				Err: fmt.Errorf("%w: %v", errMaybeDelivered, err)}
		}
		return classify(fmt.Errorf("smtp end of DATA: %w", err), "data", "")
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// authenticate prefers PLAIN and falls back to LOGIN, as servers offer them; an OAuth2 account
// logs in with its access token (password) over its SASL mechanism.
func authenticate(c *smtp.Client, acc types.Account, user, password string) error {
	ok, _ := c.Extension("AUTH")
	if !ok {
		return &SendError{Kind: types.ProblemAuth, Permanent: true, Err: errors.New("the server offers no authentication")}
	}
	if acc.OAuth2() {
		return oauth.Authenticate(acc.SASLMechanism(), user, password, c.Auth)
	}
	if c.SupportsAuth("PLAIN") {
		return c.Auth(sasl.NewPlainClient("", user, password))
	}
	if c.SupportsAuth("LOGIN") {
		return c.Auth(sasl.NewLoginClient(user, password))
	}
	return &SendError{Kind: types.ProblemAuth, Permanent: true, Err: errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN")}
}

// localName is the EHLO name: the sender's domain says no more than the From header already does.
func localName(acc types.Account) string {
	if i := bytes.LastIndexByte([]byte(acc.Email), '@'); i >= 0 && i < len(acc.Email)-1 {
		return acc.Email[i+1:]
	}
	return "localhost"
}

// Test authenticates to the outgoing server and quits without sending.
func Test(ctx context.Context, acc types.Account, password string) error {
	return scrub(testLogin(ctx, acc, password), acc.Outgoing.User, password)
}

func testLogin(ctx context.Context, acc types.Account, password string) error {
	cfg, err := transport.ForServer(acc.Outgoing, types.SMTP)
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
		if err := authenticate(c, acc, acc.Outgoing.User, password); err != nil {
			return classify(fmt.Errorf("smtp auth: %w", err), "auth", "")
		}
	}
	_ = c.Quit()
	return nil
}
