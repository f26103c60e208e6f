package accounts

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"postbode/accounts/oauth"
	"postbode/sync/transport"
	"postbode/types"
)

// CertInfo is a server certificate that was not trusted, as a user needs it to decide.
type CertInfo struct {
	Host string
	// Reason is why it was refused: "expired", "not yet valid", "wrong host", "unknown
	// authority", "self-signed", "pin mismatch", "no certificate" or "invalid".
	Reason              string
	Subject, Issuer     string
	NotBefore, NotAfter time.Time
	DNSNames            []string
	// SHA256 is the certificate's fingerprint in lowercase hex, the value Server.PinSHA256 takes.
	SHA256 string
}

// Certificate refusal reasons, as in CertInfo.Reason.
const (
	CertExpired          = transport.ReasonExpired
	CertNotYetValid      = transport.ReasonNotYetValid
	CertWrongHost        = transport.ReasonWrongHost
	CertUnknownAuthority = transport.ReasonUnknownAuthority
	CertSelfSigned       = transport.ReasonSelfSigned
	CertPinMismatch      = transport.ReasonPinMismatch
	CertNoCertificate    = transport.ReasonNoCertificate
)

// CertProblem returns the refused certificate when err is a certificate failure.
func CertProblem(err error) (*CertInfo, bool) {
	var ce *transport.CertError
	if !errors.As(err, &ce) {
		return nil, false
	}
	return &CertInfo{
		Host: ce.Host, Reason: ce.Reason, Subject: ce.Subject, Issuer: ce.Issuer,
		NotBefore: ce.NotBefore, NotAfter: ce.NotAfter,
		DNSNames: append([]string(nil), ce.DNSNames...), SHA256: ce.SHA256,
	}, true
}

// Words servers use when they refuse passwords altogether (Microsoft 365's disabled basic
// authentication, Google's "application-specific password required", web login alerts).
var oauthHints = []string{
	"basic authentication is disabled", "basicauthblocked", "basic auth",
	"application-specific password", "app password", "app-specific password",
	"webalert", "web login required", "log in via your web browser", "sign in via your web browser",
	"oauth",
}

// Words of refused logins: IMAP's AUTHENTICATIONFAILED, POP3's [AUTH], SMTP 535, and the common
// wordings of each.
var authHints = []string{
	"authenticationfailed", "authorizationfailed", "[auth]", "authentication failed",
	"invalid credentials", "login failed", "logon failure", "incorrect password",
	"invalid user name or password", "invalid username or password", "bad password",
	"535 5.7.8", "535 5.7.0", "535 ",
}

// Diagnose sorts an error of a connection test or of a running engine into a Problem.
func Diagnose(err error) types.Problem {
	if err == nil {
		return types.ProblemNone
	}
	if d, ok := errors.AsType[types.Diagnosed](err); ok {
		return d.Problem()
	}
	if errors.Is(err, oauth.ErrSignInAgain) {
		return types.ProblemSignIn
	}
	if _, ok := errors.AsType[oauth.ServerError](err); ok {
		return types.ProblemAuth // the server refused the access token: a fresh one is tried
	}
	if _, ok := CertProblem(err); ok {
		return types.ProblemCertificate
	}
	if errors.Is(err, transport.ErrStartTLSUnavailable) || errors.Is(err, transport.ErrStartTLSRefused) ||
		errors.Is(err, transport.ErrPreauthOnStartTLS) {
		return types.ProblemNoEncryption
	}
	if errors.Is(err, context.Canceled) {
		return types.ProblemCanceled
	}
	text := strings.ToLower(err.Error())
	for _, h := range oauthHints {
		if strings.Contains(text, h) {
			return types.ProblemOAuth
		}
	}
	for _, h := range authHints {
		if strings.Contains(text, h) {
			return types.ProblemAuth
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsTimeout {
		return types.ProblemUnknownHost
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()) {
		return types.ProblemTimeout
	}
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(text, "database or disk is full") ||
		strings.Contains(text, "no space left on device") {
		return types.ProblemDiskFull
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) {
		return types.ProblemUnreachable
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return types.ProblemUnreachable
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		opErr != nil || strings.Contains(text, "use of closed network connection") ||
		strings.Contains(text, "connection reset by peer") || strings.Contains(text, "broken pipe") {
		return types.ProblemLost
	}
	return types.ProblemOther
}
