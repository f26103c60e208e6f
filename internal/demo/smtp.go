package demo

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	smtpMaxMessage    = 25 << 20
	smtpMaxRecipients = 50
)

// smtpBackend accepts mail from the demo users (AUTH PLAIN, over TLS only) and delivers it locally.
type smtpBackend struct {
	logins  map[string]string // user → password
	deliver func(rcpt string, raw []byte) error
}

func newSMTPServer(be *smtpBackend, log *slog.Logger) *smtp.Server {
	s := smtp.NewServer(be)
	s.Domain = "postbode.test"
	s.MaxMessageBytes = smtpMaxMessage
	s.MaxRecipients = smtpMaxRecipients
	s.ReadTimeout = 10 * time.Minute
	s.WriteTimeout = time.Minute
	s.ErrorLog = printfLogger{log: log, server: "smtp"}
	return s
}

func (be *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{be: be}, nil
}

type smtpSession struct {
	be     *smtpBackend
	authed bool
	rcpts  []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		want, ok := s.be.logins[strings.ToLower(username)]
		if !ok || subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	addr, err := mail.ParseAddress(to)
	if err != nil {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address"}
	}
	s.rcpts = append(s.rcpts, strings.ToLower(addr.Address))
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	var errs []error
	for _, rcpt := range s.rcpts {
		if err := s.be.deliver(rcpt, buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local delivery failed"}
	}
	return nil
}

func (s *smtpSession) Reset()        { s.rcpts = nil }
func (s *smtpSession) Logout() error { return nil }

// printfLogger sends the protocol libraries' log lines to slog.
type printfLogger struct {
	log    *slog.Logger
	server string
}

func (l printfLogger) Printf(format string, v ...any) {
	l.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)), "server", l.server)
}

func (l printfLogger) Println(v ...any) {
	l.log.Warn(strings.TrimSpace(fmt.Sprintln(v...)), "server", l.server)
}
