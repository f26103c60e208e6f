package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"postbode/types"
)

// ProbeResult is what a server says about itself once the connection is
// secured. For STARTTLS, Greeting is the synthetic one: the plaintext
// greeting is never trusted or shown.
type ProbeResult struct {
	Greeting     string
	Capabilities []string // IMAP capability atoms, POP3 CAPA lines, SMTP EHLO keyword lines
	TLS          tls.ConnectionState
}

// Probe connects with the same policy as Dial, reads the greeting and the
// capabilities (IMAP CAPABILITY, POP3 CAPA, SMTP EHLO) over the secured
// connection, says goodbye and closes. It never sends credentials and never
// retries with weaker security: a setup wizard tries each candidate
// Config in turn and shows the *CertError of one that fails.
func Probe(ctx context.Context, cfg Config) (ProbeResult, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return ProbeResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout+cfg.IOTimeout)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("probe: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	lc := newLineConn(ctx, c, cfg.IOTimeout)
	var res ProbeResult
	switch cfg.Protocol {
	case types.IMAP:
		err = probeIMAP(lc, &res)
	case types.POP3:
		err = probePOP3(lc, &res)
	default:
		err = probeSMTP(lc, cfg.LocalName, &res)
	}
	if err != nil {
		return ProbeResult{}, fmt.Errorf("probe %s: %w", cfg.label(), ctxCause(ctx, err))
	}
	res.TLS, _ = c.TLSState()
	return res, nil
}

func probeIMAP(lc *lineConn, res *ProbeResult) error {
	line, _, err := lc.imapGreeting()
	if err != nil {
		return err
	}
	res.Greeting = line
	st, caps, err := lc.imapCommand("P1", "CAPABILITY")
	if err != nil {
		return fmt.Errorf("capability: %w", err)
	}
	if st != "OK" {
		return fmt.Errorf("%w: CAPABILITY failed", ErrProtocol)
	}
	res.Capabilities = caps
	_, _, _ = lc.imapCommand("P2", "LOGOUT") // courtesy only
	return nil
}

func probePOP3(lc *lineConn, res *ProbeResult) error {
	line, ok, err := lc.pop3Status()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: greeting is not +OK", ErrProtocol)
	}
	res.Greeting = line
	caps, err := lc.pop3Capa()
	if err != nil {
		return fmt.Errorf("capa: %w", err)
	}
	res.Capabilities = caps
	if err := lc.writeLine("QUIT"); err == nil {
		_, _, _ = lc.pop3Status()
	}
	return nil
}

func probeSMTP(lc *lineConn, localName string, res *ProbeResult) error {
	code, texts, err := lc.smtpReply()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if code != 220 {
		return fmt.Errorf("%w: greeting code %d", ErrProtocol, code)
	}
	res.Greeting = "220 " + strings.Join(texts, "\n")
	if err := lc.writeLine("EHLO " + localName); err != nil {
		return err
	}
	code, texts, err = lc.smtpReply()
	if err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if code == 250 && len(texts) > 1 {
		res.Capabilities = texts[1:]
	}
	if err := lc.writeLine("QUIT"); err == nil {
		_, _, _ = lc.smtpReply()
	}
	return nil
}
