// Package types holds the words every part of Postbode shares: protocols and security, accounts and
// servers, the requests the UI makes and the events engines report, the one failure taxonomy, and the
// contract between the Manager and the protocol engines. It has no behaviour beyond validation, so
// any package may import it without pulling in another's job.
package types

// Security is how a connection is protected.
type Security string

const (
	// SecurityTLS is implicit TLS from the first byte (993, 995, 465). The default.
	SecurityTLS Security = "tls"
	// SecurityStartTLS upgrades a plaintext connection with STARTTLS/STLS and never
	// continues without it.
	SecurityStartTLS Security = "starttls"
	// SecurityPlain is no encryption at all. Only used when the user chose it
	// explicitly; never reached by falling back from a failed TLS attempt.
	SecurityPlain Security = "plain"
)

// Protocol is the mail protocol spoken on the connection.
type Protocol string

const (
	IMAP Protocol = "imap"
	POP3 Protocol = "pop3"
	SMTP Protocol = "smtp"
	// Local is the kind of the account "On this computer": folders kept on this computer only, for
	// imports, archives and the mail of a POP3 account that moved to IMAP. No server, no engine.
	Local Protocol = "local"
)

// LocalAccountName is the name of the one Local account, as the accounts file and the CLI know it.
const LocalAccountName = "On this computer"

// DefaultPort is the standard port of a protocol with a kind of security (RFC 8314 for implicit TLS).
func DefaultPort(p Protocol, s Security) int {
	implicit := s == SecurityTLS
	switch p {
	case IMAP:
		if implicit {
			return 993
		}
		return 143
	case POP3:
		if implicit {
			return 995
		}
		return 110
	default:
		if implicit {
			return 465
		}
		return 587
	}
}
