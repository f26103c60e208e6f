package types

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"postbode/mailfmt"
)

// Server is how to reach one server. No password: that lives in the keyring.
type Server struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security Security `json:"security"`
	User     string   `json:"user,omitempty"`
	// CAFile is a PEM file of CAs trusted for this account only (self-hosted servers, tests).
	CAFile string `json:"ca_file,omitempty"`
	// PinSHA256 is a certificate the user chose to trust for this account during setup.
	PinSHA256 string `json:"pin_sha256,omitempty"`
}

// POP3 server policies for downloaded mail.
const (
	LeaveKeep          = "keep"           // keep on the server (default)
	LeaveDelete        = "delete"         // delete once the local copy is durable
	LeaveDays          = "days"           // delete N days after download
	LeaveDeleteLocally = "delete-locally" // delete from the server when deleted here
)

// POP3Policy is how a POP3 account polls and what it leaves on the server.
type POP3Policy struct {
	PollInterval Duration `json:"poll_interval"`
	Leave        string   `json:"leave"`
	Days         int      `json:"days,omitempty"`
}

// IMAPPolicy is how much an IMAP account downloads ahead of time.
type IMAPPolicy struct {
	// BodyWindowDays: bodies of messages newer than this are downloaded during sync; older ones
	// when opened. 0 means the default (30); -1 means every body.
	BodyWindowDays int `json:"body_window_days,omitempty"`
}

// Account is one configured mail account.
type Account struct {
	Name        string     `json:"name"`
	Kind        Protocol   `json:"kind"`
	DisplayName string     `json:"display_name,omitempty"`
	Email       string     `json:"email"`
	Incoming    Server     `json:"incoming"`
	Outgoing    Server     `json:"outgoing,omitempty"`
	POP3        POP3Policy `json:"pop3,omitempty"`
	IMAP        IMAPPolicy `json:"imap,omitempty"`
	// Auth is how the account signs in to its servers; the zero value is a password.
	Auth Auth `json:"auth,omitzero"`
	// Signature is plain text added under "-- " to new messages; SignatureAbove puts it above the
	// quote of a reply or forward instead of below it.
	Signature      string `json:"signature,omitempty"`
	SignatureAbove bool   `json:"signature_above,omitempty"`
	// JunkFilter moves new mail that the junk filter, trained by the user's Junk and Not junk,
	// scores as junk to the Junk folder. Off unless chosen.
	JunkFilter bool `json:"junk_filter,omitempty"`
	// Identities are the addresses it sends from besides Email (see AllIdentities).
	Identities []Identity `json:"identities,omitempty"`
}

// AuthMethod is how an account proves who it is.
type AuthMethod string

const (
	// AuthPassword: a password, kept in the OS keyring.
	AuthPassword AuthMethod = ""
	// AuthOAuth2: the provider's sign-in page in the browser; the keyring keeps the refresh token
	// and every login uses a short-lived access token (SASL XOAUTH2 or OAUTHBEARER).
	AuthOAuth2 AuthMethod = "oauth2"
)

// SASL mechanisms that carry an OAuth2 access token.
const (
	MechXOAUTH2     = "XOAUTH2"     // Google's and Microsoft's, offered everywhere
	MechOAUTHBEARER = "OAUTHBEARER" // RFC 7628
)

// Auth says how an account signs in.
type Auth struct {
	Method AuthMethod `json:"method,omitempty"`
	// Provider names the OAuth2 provider: a built-in one ("microsoft", "google") or the issuer URL
	// of a self-hosted one.
	Provider string `json:"provider,omitempty"`
	// Mechanism is the SASL mechanism for the access token: MechXOAUTH2 (the default) or
	// MechOAUTHBEARER.
	Mechanism string `json:"mechanism,omitempty"`
}

// OAuth2 reports whether the account signs in with OAuth2 instead of a password.
func (a Account) OAuth2() bool { return a.Auth.Method == AuthOAuth2 }

// SASLMechanism is the mechanism an OAuth2 account logs in with.
func (a Account) SASLMechanism() string {
	if a.Auth.Mechanism == "" {
		return MechXOAUTH2
	}
	return a.Auth.Mechanism
}

// Duration is a time.Duration written as "10m0s" in the config file.
type Duration struct{ time.Duration }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	d.Duration = v
	return nil
}

// ValidName accepts 1–64 letters, digits, spaces and . _ @ + -, starting with a letter or digit. (A
// regexp with Unicode classes cost 11 ms to compile at every start of the program.)
func ValidName(name string) bool {
	n := 0
	for i, r := range name {
		n++
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
		case i > 0 && strings.ContainsRune(" ._@+-", r):
		default:
			return false
		}
	}
	return n >= 1 && n <= 64
}

// WithDefaults fills unset policy fields.
func (a Account) WithDefaults() Account {
	if a.Kind == Local {
		return a // no policies: nothing is polled or synced
	}
	if a.POP3.PollInterval.Duration == 0 {
		a.POP3.PollInterval.Duration = 10 * time.Minute
	}
	if a.POP3.Leave == "" {
		a.POP3.Leave = LeaveKeep
	}
	if a.IMAP.BodyWindowDays == 0 {
		a.IMAP.BodyWindowDays = 30
	}
	if a.DisplayName == "" {
		a.DisplayName = a.Name
	}
	return a
}

// Validate says what is wrong with the settings, in words a user can act on.
func (a Account) Validate() error {
	var errs []error
	if !ValidName(a.Name) {
		errs = append(errs, fmt.Errorf("account name %q: use 1–64 letters, digits, spaces or . _ @ + -", a.Name))
	}
	if a.Kind == Local {
		// Folders on this computer: nothing to reach, nothing to send from.
		if a.Incoming != (Server{}) || a.Outgoing != (Server{}) || a.Email != "" || len(a.Identities) > 0 {
			errs = append(errs, fmt.Errorf("account %s keeps folders on this computer only: it has no servers or addresses", a.Name))
		}
		return errors.Join(errs...)
	}
	if a.Kind != IMAP && a.Kind != POP3 {
		errs = append(errs, fmt.Errorf("account kind %q: must be imap or pop3", a.Kind))
	}
	if !strings.Contains(a.Email, "@") {
		errs = append(errs, fmt.Errorf("e-mail address %q is not valid", a.Email))
	}
	seen := map[string]bool{strings.ToLower(a.Email): true}
	for _, id := range a.Identities {
		switch key := strings.ToLower(id.Email); {
		case !strings.Contains(id.Email, "@"):
			errs = append(errs, fmt.Errorf("identity address %q is not valid", id.Email))
		case seen[key]:
			errs = append(errs, fmt.Errorf("identity address %q is listed twice", id.Email))
		default:
			seen[key] = true
		}
		if id.ReplyTo != "" && !strings.Contains(id.ReplyTo, "@") {
			errs = append(errs, fmt.Errorf("Reply-To address %q of %s is not valid", id.ReplyTo, id.Email))
		}
	}
	if err := a.Incoming.validate("incoming"); err != nil {
		errs = append(errs, err)
	}
	if a.Outgoing.Host != "" {
		if err := a.Outgoing.validate("outgoing"); err != nil {
			errs = append(errs, err)
		}
	}
	switch a.Auth.Method {
	case AuthPassword:
	case AuthOAuth2:
		if a.Auth.Provider == "" {
			errs = append(errs, errors.New("OAuth2 sign-in needs a provider"))
		}
		if m := a.Auth.Mechanism; m != "" && m != MechXOAUTH2 && m != MechOAUTHBEARER {
			errs = append(errs, fmt.Errorf("SASL mechanism %q: must be XOAUTH2 or OAUTHBEARER", m))
		}
	default:
		errs = append(errs, fmt.Errorf("sign-in method %q: must be oauth2 or empty (a password)", a.Auth.Method))
	}
	switch a.POP3.Leave {
	case "", LeaveKeep, LeaveDelete, LeaveDeleteLocally:
	case LeaveDays:
		if a.POP3.Days < 1 {
			errs = append(errs, errors.New("delete after N days needs N of at least 1"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown POP3 policy %q", a.POP3.Leave))
	}
	return errors.Join(errs...)
}

func (s Server) validate(which string) error {
	var errs []error
	if s.Host == "" || strings.ContainsAny(s.Host, " /") {
		errs = append(errs, fmt.Errorf("%s server host %q is not valid", which, s.Host))
	}
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, fmt.Errorf("%s server port %d is not valid", which, s.Port))
	}
	switch s.Security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityPlain:
		if s.Host != "" && !PlainAllowed(s.Host) {
			errs = append(errs, fmt.Errorf("%s server %s: %w", which, s.Host, ErrPlainRemote))
		}
	default:
		errs = append(errs, fmt.Errorf("%s server security %q: must be tls, starttls or plain", which, s.Security))
	}
	return errors.Join(errs...)
}

// ErrPlainRemote is Validate's refusal of an unencrypted connection to a host that is not on this
// computer or the local network.
var ErrPlainRemote = errors.New("unencrypted (plain) connections are allowed only to a server on this computer or your local network; use tls or starttls")

// PlainAllowed is the one rule for unencrypted connections (SECURITY.md rule 1), kept by Validate
// and so by the setup wizard, the settings window and the command line: they may go only to this
// computer or the user's own network, and only when the user chose them (with a warning). Such a
// host is a loopback, private (RFC 1918, fc00::/7) or link-local address, "localhost" or a name
// under .localhost, .local (mDNS), .lan or .home.arpa, or a bare name such as "nas" (resolved
// by the LAN's own search domain).
func PlainAllowed(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(strings.TrimSpace(host), "[]"), "."))
	if h == "" {
		return false
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		ip = ip.Unmap()
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()
	}
	if strings.ContainsAny(h, ":/ ") { // not a host name (an IP with a port, a URL)
		return false
	}
	if h == "localhost" {
		return true
	}
	for _, suffix := range []string{".localhost", ".local", ".lan", ".home.arpa"} {
		if strings.HasSuffix(h, suffix) && len(h) > len(suffix) {
			return true
		}
	}
	return !strings.Contains(h, ".")
}

// Identity is the account's own From address.
func (a Account) Identity() mailfmt.Address {
	return mailfmt.Address{Name: a.DisplayName, Email: a.Email}
}

// Identity is one address an account sends from: the account's own, or another one the server
// lets it use (an alias, a shared address), each with its own name, Reply-To and signature.
type Identity struct {
	Name           string `json:"name,omitempty"`
	Email          string `json:"email"`
	ReplyTo        string `json:"reply_to,omitempty"`
	Signature      string `json:"signature,omitempty"`
	SignatureAbove bool   `json:"signature_above,omitempty"`
}

// Address is the identity as a From address.
func (i Identity) Address() mailfmt.Address { return mailfmt.Address{Name: i.Name, Email: i.Email} }

// AllIdentities lists the account's own identity first, then its other ones (none for the
// Local account, which sends nothing).
func (a Account) AllIdentities() []Identity {
	if a.Kind == Local {
		return nil
	}
	own := Identity{Name: a.DisplayName, Email: a.Email, Signature: a.Signature, SignatureAbove: a.SignatureAbove}
	return append([]Identity{own}, a.Identities...)
}

// IdentityFor finds the identity with the address email (any case).
func (a Account) IdentityFor(email string) (Identity, bool) {
	for _, id := range a.AllIdentities() {
		if strings.EqualFold(id.Email, email) {
			return id, true
		}
	}
	return Identity{}, false
}

// ReplyIdentity is the identity a reply to a message sent to these addresses goes out from:
// the first of them that is one of the account's identities (mail to an alias is answered from
// the alias), else the account's own.
func (a Account) ReplyIdentity(addressed ...[]mailfmt.Address) Identity {
	for _, list := range addressed {
		for _, addr := range list {
			if id, ok := a.IdentityFor(addr.Email); ok {
				return id
			}
		}
	}
	if ids := a.AllIdentities(); len(ids) > 0 {
		return ids[0]
	}
	return Identity{} // the Local account: the composer falls back to the first that sends
}

// Sends reports whether mail can be sent or drafted from the account (not from the Local one).
func (a Account) Sends() bool { return a.Kind != Local }
