package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"postbode/types"
)

// Defaults for Config fields left zero.
const (
	DefaultDialTimeout = 15 * time.Second
	DefaultIOTimeout   = 60 * time.Second
	// defaultLocalName is the EHLO name used before TLS; go-smtp uses the same
	// default after TLS, and it reveals nothing about the machine.
	defaultLocalName = "localhost"
)

// Config says where and how to connect. The zero Security is SecurityTLS and
// a zero Port is the protocol's standard port for that security.
type Config struct {
	Protocol types.Protocol
	// Host is the name used for dialing and for certificate verification.
	Host     string
	Port     int
	Security types.Security
	// ExtraRoots are CAs trusted for this account only (--ca-file); the system
	// roots are trusted too.
	ExtraRoots *x509.CertPool
	// PinSHA256 is the optional hex SHA-256 of a leaf certificate the user pinned
	// for this account. Colons and spaces are ignored. When set, only that exact
	// certificate is accepted.
	PinSHA256 string
	// DialTimeout bounds the whole of Dial: TCP connect, the plaintext STARTTLS
	// exchange and the TLS handshake. Default 15s.
	DialTimeout time.Duration
	// IOTimeout is the deadline of every single Read and Write. Default 60s.
	IOTimeout time.Duration
	// LocalName is the EHLO argument for SMTP before TLS. Default "localhost".
	LocalName string
	// DialContext overrides how TCP is dialed (tests map "mail.test" to
	// 127.0.0.2). nil means a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Errors returned by Dial and Probe. They are wrapped with the protocol and
// address; test with errors.Is. Certificate problems are a *CertError.
var (
	// ErrStartTLSUnavailable: the server did not advertise STARTTLS/STLS. The
	// connection was closed before any credential was sent.
	ErrStartTLSUnavailable = errors.New("server does not offer STARTTLS, refusing to continue without encryption")
	// ErrStartTLSRefused: the server answered STARTTLS/STLS with BAD, NO, -ERR,
	// 454 or any other non-OK answer.
	ErrStartTLSRefused = errors.New("server refused STARTTLS, refusing to continue without encryption")
	// ErrPreauthOnStartTLS: an IMAP server greeted with PREAUTH on a connection
	// that must be upgraded with STARTTLS; such a session can never be secured.
	ErrPreauthOnStartTLS = errors.New("server sent PREAUTH before STARTTLS, refusing the unencrypted session")
	// ErrProtocol: the server's plaintext greeting or capability answer was
	// malformed, oversized or unexpected.
	ErrProtocol = errors.New("unexpected answer from server")
)

// withDefaults validates cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	switch cfg.Protocol {
	case types.IMAP, types.POP3, types.SMTP:
	default:
		return cfg, fmt.Errorf("transport: unknown protocol %q", cfg.Protocol)
	}
	if cfg.Security == "" {
		cfg.Security = types.SecurityTLS
	}
	switch cfg.Security {
	case types.SecurityTLS, types.SecurityStartTLS, types.SecurityPlain:
	default:
		return cfg, fmt.Errorf("transport: unknown security %q", cfg.Security)
	}
	if err := checkToken("host", cfg.Host); err != nil {
		return cfg, err
	}
	if cfg.Port == 0 {
		cfg.Port = types.DefaultPort(cfg.Protocol, cfg.Security)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return cfg, fmt.Errorf("transport: port %d out of range", cfg.Port)
	}
	if cfg.LocalName == "" {
		cfg.LocalName = defaultLocalName
	}
	if err := checkToken("local name", cfg.LocalName); err != nil {
		return cfg, err
	}
	if cfg.PinSHA256 != "" {
		pin, err := normalizePin(cfg.PinSHA256)
		if err != nil {
			return cfg, err
		}
		cfg.PinSHA256 = pin
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = DefaultIOTimeout
	}
	return cfg, nil
}

// checkToken refuses values that would let a name smuggle protocol lines
// (the host ends up in the synthetic SMTP greeting, the local name in EHLO).
func checkToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("transport: empty %s", what)
	}
	if len(s) > 255 {
		return fmt.Errorf("transport: %s too long", what)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("transport: %s contains a space or control character", what)
		}
	}
	return nil
}

// normalizePin accepts "AB:CD:..." or plain hex and returns lowercase hex.
func normalizePin(pin string) (string, error) {
	clean := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(pin))
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != 32 {
		return "", errors.New("transport: pinned certificate must be a hex SHA-256 (64 hex digits)")
	}
	return clean, nil
}

func (cfg Config) addr() string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
}

// label prefixes errors, e.g. "imap mail.test:143".
func (cfg Config) label() string {
	return string(cfg.Protocol) + " " + cfg.addr()
}

// Dial connects according to cfg and returns a connection that is protected
// by TLS unless cfg.Security is SecurityPlain.
//
// For implicit TLS and plain the server's own greeting is the next thing
// read. For STARTTLS the plaintext greeting and capabilities are read and
// thrown away, STARTTLS/STLS is sent, everything buffered after its OK is
// discarded, the handshake is done, and the returned connection starts with
// a synthetic greeting so that protocol libraries begin from scratch:
//
//	IMAP: "* OK TLS established\r\n"
//	POP3: "+OK TLS established\r\n"
//	SMTP: "220 <host> ESMTP TLS established\r\n"
//
// The IMAP greeting carries no CAPABILITY code on purpose: imapclient then
// asks the server for its real capabilities over TLS.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()

	raw, err := dialTCP(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: connect: %w", cfg.label(), ctxCause(ctx, err))
	}
	// Interrupt any blocked read or write if ctx ends. If stop reports the
	// function already ran, the deadline is poisoned and Dial fails.
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	c, err := establish(ctx, cfg, raw)
	if !stop() && err == nil {
		// ctx ended just as we finished; the deadline may be poisoned.
		err = ctx.Err()
	}
	if err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("%s: %w", cfg.label(), ctxCause(ctx, err))
	}
	// Clear the setup deadlines: from now on Conn sets one per Read/Write.
	if err := raw.SetDeadline(time.Time{}); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("%s: %w", cfg.label(), err)
	}
	return c, nil
}

// ctxCause adds ctx's error to err when ctx ended (or its deadline, which
// is also the I/O deadline, passed), so callers can test for
// context.Canceled and context.DeadlineExceeded.
func ctxCause(ctx context.Context, err error) error {
	var ce *CertError
	if errors.As(err, &ce) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

func dialTCP(ctx context.Context, cfg Config) (net.Conn, error) {
	dial := cfg.DialContext
	if dial == nil {
		d := &net.Dialer{Timeout: cfg.DialTimeout}
		dial = d.DialContext
	}
	return dial(ctx, "tcp", cfg.addr())
}

// establish runs the security policy on a fresh TCP connection.
func establish(ctx context.Context, cfg Config, raw net.Conn) (*Conn, error) {
	deadline, _ := ctx.Deadline()
	switch cfg.Security {
	case types.SecurityPlain:
		return newConn(raw, nil, nil, cfg.IOTimeout), nil
	case types.SecurityTLS:
		tc, err := handshake(ctx, cfg, raw, deadline)
		if err != nil {
			return nil, err
		}
		return newConn(tc, tc, nil, cfg.IOTimeout), nil
	default: // SecurityStartTLS
		if err := startTLS(ctx, cfg, raw); err != nil {
			return nil, err
		}
		tc, err := handshake(ctx, cfg, raw, deadline)
		if err != nil {
			return nil, err
		}
		return newConn(tc, tc, syntheticGreeting(cfg), cfg.IOTimeout), nil
	}
}

func syntheticGreeting(cfg Config) []byte {
	switch cfg.Protocol {
	case types.IMAP:
		return []byte("* OK TLS established\r\n")
	case types.POP3:
		return []byte("+OK TLS established\r\n")
	default:
		return []byte("220 " + cfg.Host + " ESMTP TLS established\r\n")
	}
}

// handshake runs the TLS client handshake on raw with this package's
// verification. A certificate failure is returned as *CertError.
func handshake(ctx context.Context, cfg Config, raw net.Conn, deadline time.Time) (*tls.Conn, error) {
	v := &verifier{host: cfg.Host, roots: cfg.ExtraRoots, pin: cfg.PinSHA256}
	tc := tls.Client(raw, v.tlsConfig())
	if err := raw.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		if v.certErr != nil {
			return nil, fmt.Errorf("tls handshake: %w", v.certErr)
		}
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// ForServer returns the dialing configuration for an account's server.
func ForServer(s types.Server, proto types.Protocol) (Config, error) {
	cfg := Config{Protocol: proto, Host: s.Host, Port: s.Port, Security: s.Security, PinSHA256: s.PinSHA256}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return cfg, fmt.Errorf("read CA file: %w", err)
		}
		cfg.ExtraRoots = x509.NewCertPool()
		if !cfg.ExtraRoots.AppendCertsFromPEM(pem) {
			return cfg, fmt.Errorf("CA file %s holds no PEM certificate", s.CAFile)
		}
	}
	return cfg, nil
}
