// Package transport dials IMAP, POP3 and SMTP servers under one security
// policy, so that no engine makes its own TLS decisions.
//
// The policy (SECURITY.md rules 1–6):
//
//   - Implicit TLS (993, 995, 465) is the default. STARTTLS exists only as
//     "STARTTLS required": if the capability is missing, or the command is
//     answered with BAD, NO, -ERR, 454 or anything but OK, the connection is
//     closed with ErrStartTLSUnavailable or ErrStartTLSRefused before any
//     credential could be sent. Plaintext is used only when Config.Security
//     says so; a TLS failure is never retried without TLS.
//   - An IMAP PREAUTH greeting on a STARTTLS connection aborts
//     (ErrPreauthOnStartTLS): the session would stay unencrypted.
//   - Bytes a server sends after its STARTTLS answer and before the handshake
//     are discarded (response injection). Nothing read before TLS reaches the
//     caller: Dial hands back a connection that starts with a synthetic
//     greeting, so imapclient, go-pop3 and go-smtp start afresh and ask for
//     capabilities again over TLS. Errors name only status words and reply
//     codes, never server text.
//   - Before TLS, lines are capped at 8 KiB and the whole exchange at 64 KiB,
//     and every read has the IO timeout; Config.DialTimeout bounds the whole
//     of Dial.
//   - Certificates are checked on every path: TLS 1.2 or later, chain to the
//     system roots or the account's ExtraRoots, host name and validity
//     period. A refusal is a *CertError carrying the certificate's subject,
//     issuer, dates and SHA-256, for a clear message. With Config.PinSHA256
//     only that exact certificate is accepted (chain and name are then not
//     consulted, so a pinned self-signed certificate works; expiry still is).
//   - The returned Conn puts a deadline on every Read and Write
//     (Config.IOTimeout, changeable with SetIOTimeout, e.g. around IDLE).
//
// Protocol libraries that inspect the connection type see a *Conn, not a
// *tls.Conn (go-smtp's TLSConnectionState reports false); use
// Conn.TLSState instead.
package transport
