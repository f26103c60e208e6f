package pop3sync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"

	"postbode/accounts/oauth"
	"postbode/internal/pop3"
	"postbode/internal/redact"
	"postbode/sync/transport"
	"postbode/types"

	"github.com/emersion/go-sasl"
)

// session is a logged-in POP3 connection.
type session struct {
	c    *pop3.Client
	conn *transport.Conn
	caps []string
	// capa is whether the server answered CAPA; without it capabilities are unknown.
	capa bool
}

// connect dials through the shared transport policy (TLS, or STARTTLS required: a server that
// does not offer STLS is left before any credential is sent) and logs in.
func connect(ctx context.Context, acc types.Account, password string) (*session, error) {
	cfg, err := transport.ForServer(acc.Incoming, types.POP3)
	if err != nil {
		return nil, err
	}
	if testDialContext != nil {
		cfg.DialContext = testDialContext
	}
	conn, err := transport.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c, err := pop3.New(ctx, conn)
	if err != nil {
		return nil, err
	}
	s := &session{c: c, conn: conn}
	if err := s.login(ctx, acc, password); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func (s *session) login(ctx context.Context, acc types.Account, password string) error {
	caps, err := s.c.Capabilities(ctx)
	var se *pop3.ServerError
	switch {
	case err == nil:
		s.caps, s.capa = caps, true
	case errors.As(err, &se):
		// An RFC 1939-only server: no CAPA, USER/PASS is all there is.
	default:
		return err
	}
	user := acc.Incoming.User
	if user == "" {
		user = acc.Email
	}
	// UTF-8 mode (RFC 6856) where offered: a server such as Courier otherwise serves messages
	// with raw UTF-8 headers as a "Cannot display Unicode content" substitute, and with a delete
	// policy the original would then be gone. The RFC has the command before authentication;
	// a server that refuses it there is asked again after (Courier takes both).
	utf8Later := false
	if pop3.HasCapability(s.caps, "UTF8") {
		if utf8Later, err = s.utf8(ctx); err != nil {
			return err
		}
	}
	// USER/PASS when offered (or when capabilities are unknown), else SASL PLAIN; both run
	// only over the connection transport has secured.
	switch {
	case acc.OAuth2():
		err = oauth.Authenticate(acc.SASLMechanism(), user, password, func(c sasl.Client) error {
			return s.c.Authenticate(ctx, c, redact.Secrets{User: user, Password: password})
		})
	case !s.capa || pop3.HasCapability(s.caps, "USER") || !pop3.HasSASL(s.caps, "PLAIN"):
		err = s.c.Login(ctx, user, password)
	default:
		err = s.c.AuthPlain(ctx, user, password)
	}
	if err != nil {
		// A server that repeats the password, or the AUTH string, must not get it into a log
		// (the client has already taken it out of the server's words; this covers the rest).
		return redact.Error(fmt.Errorf("log in as %s: %w", user, err), redact.Secrets{User: user, Password: password})
	}
	if utf8Later {
		if _, err := s.utf8(ctx); err != nil {
			return err
		}
	}
	return nil
}

// utf8 sends UTF8; refused reports a -ERR answer, which leaves the session usable.
func (s *session) utf8(ctx context.Context) (refused bool, err error) {
	err = s.c.UTF8(ctx)
	var se *pop3.ServerError
	if errors.As(err, &se) {
		return true, nil
	}
	return false, err
}

// Test connects, logs in, asks CAPA and STAT, and quits without changing anything.
func Test(ctx context.Context, acc types.Account, password string) (types.TestReport, error) {
	acc = acc.WithDefaults()
	rep := types.TestReport{Server: serverAddr(acc.Incoming)}
	s, err := connect(ctx, acc, password)
	if err != nil {
		return rep, fmt.Errorf("pop3 test %s: %w", rep.Server, err)
	}
	defer s.c.Close()
	rep.Greeting = s.c.Greeting()
	rep.Capabilities = s.caps
	rep.TLS = tlsDescription(acc.Incoming.Security, s.conn)
	if _, _, err := s.c.Stat(ctx); err != nil {
		return rep, fmt.Errorf("pop3 test %s: %w", rep.Server, err)
	}
	if err := s.c.Quit(ctx); err != nil {
		return rep, fmt.Errorf("pop3 test %s: %w", rep.Server, err)
	}
	return rep, nil
}

func serverAddr(s types.Server) string {
	port := s.Port
	if port == 0 {
		port = types.DefaultPort(types.POP3, s.Security)
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

func tlsDescription(sec types.Security, conn *transport.Conn) string {
	st, ok := conn.TLSState()
	if !ok {
		return "none (plaintext)"
	}
	d := tls.VersionName(st.Version) + ", " + tls.CipherSuiteName(st.CipherSuite)
	if sec == types.SecurityStartTLS {
		return "STARTTLS, " + d
	}
	return d
}
