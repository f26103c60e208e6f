// Package testbed runs a private Dovecot for integration tests and
// benchmarks, and generates realistic mail to fill it with.
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
// minimum. Users log in with PLAIN or LOGIN; "alice@mail.test" is "alice".
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
// # Mail
//
// Generate returns deterministic, realistic messages for a seed: mostly
// 2–20 KB plain or multipart/alternative mail in English, Dutch, German and
// Japanese, some with large attachments, in threads, over the last year.
// See Generate for the mix tests may rely on.
package testbed
