package transport

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"postbode/types"
)

// startTLS runs the plaintext part of a STARTTLS connection: greeting,
// capabilities, the STARTTLS/STLS command and its answer. On success the
// next byte on raw must be the server's TLS handshake; every byte already
// buffered (the server's answer may be followed by injected commands or
// responses) is discarded with the lineConn. Nothing read here leaves this
// function, not even in error messages, except status words and reply codes.
func startTLS(ctx context.Context, cfg Config, raw net.Conn) error {
	lc := newLineConn(ctx, raw, cfg.IOTimeout)
	var err error
	switch cfg.Protocol {
	case types.IMAP:
		err = imapStartTLS(lc)
	case types.POP3:
		err = pop3StartTLS(lc)
	default:
		err = smtpStartTLS(lc, cfg.LocalName)
	}
	if err != nil {
		return fmt.Errorf("starttls: %w", err)
	}
	if n := lc.br.Buffered(); n > 0 {
		// The bytes are dropped here: the handshake reads raw directly.
		_, _ = lc.br.Discard(n)
	}
	return nil
}

func imapStartTLS(lc *lineConn) error {
	_, status, err := lc.imapGreeting()
	if err != nil {
		return err
	}
	if status == "PREAUTH" {
		// An already-authenticated session can never be upgraded (RFC 9051 §7.1.4).
		return ErrPreauthOnStartTLS
	}
	st, caps, err := lc.imapCommand("S1", "CAPABILITY")
	if err != nil {
		return fmt.Errorf("capability: %w", err)
	}
	if st != "OK" || !hasWord(caps, "STARTTLS") {
		return ErrStartTLSUnavailable
	}
	st, _, err = lc.imapCommand("S2", "STARTTLS")
	if err != nil {
		return err
	}
	if st != "OK" {
		return refused(st)
	}
	return nil
}

func pop3StartTLS(lc *lineConn) error {
	if _, ok, err := lc.pop3Status(); err != nil {
		return fmt.Errorf("greeting: %w", err)
	} else if !ok {
		return fmt.Errorf("%w: greeting is not +OK", ErrProtocol)
	}
	caps, err := lc.pop3Capa()
	if err != nil {
		return fmt.Errorf("capa: %w", err)
	}
	if !hasWord(caps, "STLS") {
		return ErrStartTLSUnavailable
	}
	if err := lc.writeLine("STLS"); err != nil {
		return err
	}
	line, ok, err := lc.pop3Status()
	if err != nil {
		return fmt.Errorf("stls: %w", err)
	}
	if !ok {
		st := ""
		if line == "-ERR" || len(line) > 4 && line[:5] == "-ERR " {
			st = "-ERR"
		}
		return refused(st)
	}
	return nil
}

func smtpStartTLS(lc *lineConn, localName string) error {
	code, _, err := lc.smtpReply()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if code != 220 {
		return fmt.Errorf("%w: greeting code %d", ErrProtocol, code)
	}
	if err := lc.writeLine("EHLO " + localName); err != nil {
		return err
	}
	code, texts, err := lc.smtpReply()
	if err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	// A server without EHLO has no STARTTLS; HELO would not help.
	if code != 250 || len(texts) < 2 || !hasWord(texts[1:], "STARTTLS") {
		return ErrStartTLSUnavailable
	}
	if err := lc.writeLine("STARTTLS"); err != nil {
		return err
	}
	code, _, err = lc.smtpReply()
	if err != nil {
		return fmt.Errorf("starttls answer: %w", err)
	}
	if code != 220 {
		return refused(strconv.Itoa(code))
	}
	return nil
}

// refused names the server's answer by its status word or code only.
func refused(status string) error {
	if status == "" {
		status = "an unexpected answer"
	}
	return fmt.Errorf("%w (server answered %s)", ErrStartTLSRefused, status)
}
