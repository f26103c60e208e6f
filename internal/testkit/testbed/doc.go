// Package testbed runs a private Dovecot, Postfix and OpenID provider for
// integration tests and benchmarks, and generates realistic mail to fill
// it with.
//
// # Server
//
// StartT starts Dovecot for one test and stops it in t.Cleanup:
//
//	d := testbed.StartT(t, testbed.Options{})
//	c, err := imapclient.DialTLS(d.IMAPSAddr(), &imapclient.Options{TLSConfig: d.TLSConfig()})
//	...
//	err = c.Login("alice", d.Password("alice")).Wait()
//
// When Dovecot is not installed (Debian: dovecot-imapd, dovecot-pop3d,
// dovecot-lmtpd) or the tests do not run as root, StartT skips the test with
// the reason; with CI=true it fails it instead. Benchmarks and command-line
// tools use Start and Stop.
//
// Each instance lives in its own directory (Options.Dir, or a temporary one
// that Stop removes): dovecot.conf, dovecot.log, a passwd-file, TLS files,
// base_dir and state_dir, and the mail. The system's /etc/dovecot and
// /run/dovecot are never read or written; doveadm is always run with
// -c dovecot.conf.
//
// It listens on 127.0.0.1 only, on free ports: IMAP (STARTTLS offered),
// IMAPS, POP3 (STLS offered), POP3S and LMTP. A CA generated at start signs
// the server certificate for 127.0.0.1, 127.0.0.2, ::1, localhost and
// mail.test; it is in CAFile, CAPEM and CertPool, and TLSConfig verifies the
// name mail.test (not localhost, see SECURITY.md rule 6). TLS 1.2 is the
// minimum. Users log in with PLAIN or LOGIN (and OAuth2, see below);
// "alice@mail.test" is "alice".
//
// Mail is Maildir++ under Dir/mail/<user>/Maildir, owned by nobody:nogroup:
// Dovecot refuses to run mail processes as root, so the master runs as root
// and drops to nobody for mail, to dovenull for logins and to dovecot for
// its internal services (nobody when those users are missing). The
// namespace uses "/" as separator (Options.Separator may pick "."), and
// Drafts, Sent, Trash, Junk and Archive are created and subscribed with
// their SPECIAL-USE attributes. CAPABILITY has IDLE, CONDSTORE, QRESYNC,
// MOVE, SPECIAL-USE and LIST-EXTENDED unless Options disables IDLE or
// CONDSTORE. POP3 UIDLs are %08Xu%08Xv (UID and UIDVALIDITY in lower-case
// hex).
//
// Filling and disturbing the server:
//
//   - Deliver writes messages straight into a maildir folder (fast: about
//     tens of MB/s), creating the folder when needed; UIDs follow the order
//     given and IMAP serves the bytes unchanged.
//   - DeliverLMTP delivers one message as an MTA would and wakes IDLE.
//   - KillConnections, Restart and Halt break connections or take the server
//     away; Restart keeps ports, mail, UIDs and UIDVALIDITY.
//   - RecreateMailbox empties a folder with a new UIDVALIDITY;
//     SetUIDValidity changes only UIDVALIDITY; AddFlags, RemoveFlags,
//     Expunge and CreateMailbox act as another client; Status reads
//     counters without IMAP; Doveadm runs anything else.
//
// Set TESTBED_LOG=1 to have StartT print the tail of the Dovecot log when a
// test ends; it always does when the test failed.
//
// # Postfix
//
// StartPostfixT (StartPostfix, Stop) puts a private Postfix in front of a
// running Dovecot: submissions (implicit TLS) and submission (STARTTLS
// required) on loopback ports, delivery to the Dovecot users over LMTP.
// SMTP AUTH is offered only after TLS and is checked by Dovecot through
// its auth socket (Dovecot.AuthSocket, smtpd_sasl_type = dovecot), so
// Postfix offers exactly Dovecot's mechanisms: PLAIN LOGIN, plus XOAUTH2
// OAUTHBEARER when Dovecot has Options.OAuth2.
//
// # OAuth2
//
// StartOIDCT (StartOIDC, Stop) runs an OpenID provider (mockoidc) on
// 127.0.0.1 over plain HTTP, with one client (ClientID, ClientSecret,
// taken as form parameters only) and the testbed users: alice signs in
// as alice@mail.test with preferred_username alice. Issuer, DiscoveryURL,
// AuthorizeURL, TokenURL and UserinfoURL are its endpoints and
// OAuth2Config a golang.org/x/oauth2 configuration for it.
//
//	o := testbed.StartOIDCT(t, testbed.OIDCOptions{AccessTTL: 3 * time.Second})
//	d := testbed.StartT(t, testbed.Options{OAuth2: o})
//	tok, err := o.Login(ctx, "alice") // code flow with PKCE, no browser
//	...
//	err = c.Authenticate(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
//		Username: "alice@mail.test", Token: tok.AccessToken}))
//
// Login signs a user in as a browser would; the authorize endpoint picks
// the user by login_hint, or the first user without one. OIDCOptions and
// SetAccessTTL choose the access-token lifetime (expires_in is in seconds;
// mockoidc alone sends nanoseconds), TokenRequests counts requests to the
// token endpoint, and Revoke makes it refuse every refresh token issued so
// far with 400 {"error":"invalid_grant"}.
//
// With Options.OAuth2, Dovecot offers XOAUTH2 and OAUTHBEARER besides PLAIN
// and LOGIN. An oauth2 passdb, for those two mechanisms only, sends the
// token to the userinfo endpoint on every login (no auth cache), so an
// expired, tampered or other user's token is refused at once, with the
// mechanism's error challenge (status 401, resp. invalid_token) rather
// than a temporary failure. The userinfo email must match the login name
// after both are reduced to the local part. Passwords keep working
// through the passwd-file passdb, for PLAIN and LOGIN only.
//
// # Mail
//
// Generate returns deterministic, realistic messages for a seed: mostly
// 2–20 KB plain or multipart/alternative mail in English, Dutch, German and
// Japanese, some with large attachments, in threads, over the last year.
// See Generate for the mix tests may rely on.
package testbed
