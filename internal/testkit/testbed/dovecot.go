package testbed

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/internal/pki"
)

// ErrUnavailable is wrapped by Start when this machine cannot run the
// testbed (Dovecot not installed, or not running as root).
var ErrUnavailable = errors.New("testbed: dovecot unavailable")

// User is a mail account on the private server.
type User struct{ Name, Password string }

// DefaultUsers are created when Options.Users is empty.
var DefaultUsers = []User{
	{Name: "alice", Password: "alice-secret-pw"},
	{Name: "bob", Password: "bob-secret-pw"},
}

// Options configures Start. The zero value is ready to use.
type Options struct {
	// Users to create; default DefaultUsers. Names are lower case
	// [a-z0-9._-]; "alice@mail.test" logs in as "alice".
	Users []User
	// Dir holds config, TLS files, logs, runtime sockets and mail. Default: a
	// new temporary directory that Stop removes. A given Dir is kept, and
	// mail already in it is served again (a benchmark corpus can persist).
	Dir string
	// DisableIDLE and DisableCondstore drop IDLE, resp. CONDSTORE and QRESYNC,
	// from CAPABILITY so engines can test their fallbacks.
	DisableIDLE, DisableCondstore bool
	// Separator is the IMAP hierarchy separator: "/" (default) or ".".
	Separator string
	// MaxUserIPConnections limits IMAP and POP3 connections per user and
	// client address; 0 keeps Dovecot's default of 10.
	MaxUserIPConnections int
	// KeepDir keeps a temporary Dir after Stop, for post-mortems.
	KeepDir bool
	// Quota, when above 0, is the storage (in bytes, rounded up to KiB) each
	// user may keep: Dovecot's quota plugin refuses an APPEND beyond it
	// (NO [OVERQUOTA]) and imap_quota offers QUOTA (GETQUOTAROOT). Deliver
	// writes maildir files directly and is not held to it.
	Quota int64
	// OAuth2, when set, adds the XOAUTH2 and OAUTHBEARER mechanisms: their
	// bearer tokens are checked on every login against the provider's
	// userinfo endpoint, whose email must name the user logging in. PLAIN
	// and LOGIN keep using the passwords.
	OAuth2 *OIDC
}

// Dovecot is a private Dovecot instance listening on loopback ports.
// Its methods are safe for concurrent use.
type Dovecot struct {
	Host                                               string // "127.0.0.1"
	IMAPPort, IMAPSPort, POP3Port, POP3SPort, LMTPPort int
	// ServerName is a name the certificate is valid for and that is not
	// "localhost" (see SECURITY.md rule 6); dial Host, verify ServerName.
	ServerName string
	CAFile     string // PEM file of the generated CA
	// CertFile and KeyFile are the server certificate (signed by the CA) and
	// its key, so other servers of the testbed (Postfix) can reuse them.
	CertFile, KeyFile string
	// AuthSocket is a Dovecot auth-client socket (the protocol Postfix's
	// smtpd_sasl_type = dovecot speaks) checking the same users.
	AuthSocket string
	CAPEM      []byte
	CertPool   *x509.CertPool // holds only the generated CA
	Dir        string
	ConfigFile string // dovecot.conf, for running doveadm or doveconf by hand
	LogFile    string
	Users      []User
	Separator  string

	bin, doveadmBin string
	baseDir         string
	ownDir, keepDir bool
	mailUID         int
	mailGID         int

	master daemon

	deliverMu sync.Mutex
	lastStamp time.Time
	deliverQ  uint64
	folderDir map[string]string // user+"\x00"+folder -> maildir folder path
}

// Available reports why the testbed cannot run here, or nil if it can.
func Available() error {
	if _, err := findBinary("dovecot", "/usr/sbin/dovecot", "/usr/local/sbin/dovecot"); err != nil {
		return fmt.Errorf("%w: dovecot binary not found (install dovecot-imapd, dovecot-pop3d and dovecot-lmtpd): %v", ErrUnavailable, err)
	}
	if _, err := findBinary("doveadm", "/usr/bin/doveadm", "/usr/local/bin/doveadm"); err != nil {
		return fmt.Errorf("%w: doveadm binary not found: %v", ErrUnavailable, err)
	}
	if os.Geteuid() != 0 {
		// Dovecot's master needs root to run mail processes as a separate
		// unprivileged user and to chroot its login processes.
		return fmt.Errorf("%w: must run as root (uid %d)", ErrUnavailable, os.Geteuid())
	}
	return nil
}

func findBinary(name string, fallbacks ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, p := range fallbacks {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not in PATH nor in %s", name, strings.Join(fallbacks, ", "))
}

// RequireAvailable skips the test when Available reports a problem, or
// fails it when the environment variable CI is "true".
func RequireAvailable(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testbed required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// StartT starts a Dovecot for a test and stops it in t.Cleanup. When this
// machine cannot run it, the test is skipped, or failed when CI=true so a
// broken CI image does not silently skip every integration test.
func StartT(t testing.TB, opts Options) *Dovecot {
	t.Helper()
	RequireAvailable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	stopWithTest(t, "dovecot", d.LogFile, d.LogTail, d.Stop)
	return d
}

// stopWithTest stops a server when the test ends, showing its log's tail when the test failed
// (or TESTBED_LOG is set).
func stopWithTest(t testing.TB, name, logFile string, tail func(int) string, stop func() error) {
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("TESTBED_LOG") != "" {
			t.Logf("%s log tail (%s):\n%s", name, logFile, tail(40))
		}
		if err := stop(); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
}

// Start prepares a directory, generates a CA and server certificate, writes
// a config and starts Dovecot, returning once every port accepts
// connections. Call Stop when done.
func Start(ctx context.Context, opts Options) (*Dovecot, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	d := &Dovecot{
		Host:       "127.0.0.1",
		ServerName: "mail.test",
		Users:      append([]User(nil), opts.Users...),
		Separator:  opts.Separator,
		keepDir:    opts.KeepDir,
		folderDir:  map[string]string{},
		master:     daemon{name: "dovecot", termGrace: 10 * time.Second, killAfter: time.Second},
	}
	if len(d.Users) == 0 {
		d.Users = append([]User(nil), DefaultUsers...)
	}
	if d.Separator == "" {
		d.Separator = "/"
	}
	if d.Separator != "/" && d.Separator != "." {
		return nil, fmt.Errorf("testbed: separator %q: want \"/\" or \".\"", d.Separator)
	}
	if err := validateUsers(d.Users); err != nil {
		return nil, err
	}
	if opts.OAuth2 != nil && opts.OAuth2.UserinfoURL == "" {
		return nil, errNoOIDC
	}
	d.bin, _ = findBinary("dovecot", "/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
	d.doveadmBin, _ = findBinary("doveadm", "/usr/bin/doveadm", "/usr/local/bin/doveadm")

	acct, err := lookupAccounts()
	if err != nil {
		return nil, err
	}
	d.mailUID, d.mailGID = acct.mailUID, acct.mailGID

	if err := d.prepareDir(opts.Dir); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			d.removeDirs()
		}
	}()
	if err := d.writeFiles(acct); err != nil {
		return nil, err
	}

	// Free ports are found by binding :0 and closing again, so another
	// process can grab one in between: retry with fresh ports on collision.
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		if err := d.pickPorts(); err != nil {
			return nil, err
		}
		if err := d.writeConfig(opts, acct); err != nil {
			return nil, err
		}
		lastErr = d.startProcess(ctx)
		if lastErr == nil {
			ok = true
			return d, nil
		}
		if !strings.Contains(d.LogTail(200)+d.stderrText(), "Address already in use") || ctx.Err() != nil {
			break
		}
		// Keep the log of earlier attempts out of later error messages.
		_ = os.Truncate(d.LogFile, 0)
	}
	return nil, lastErr
}

var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func validateUsers(users []User) error {
	seen := map[string]bool{}
	for _, u := range users {
		if !userNameRE.MatchString(u.Name) {
			return fmt.Errorf("testbed: user name %q: want lower case [a-z0-9._-]", u.Name)
		}
		if seen[u.Name] {
			return fmt.Errorf("testbed: duplicate user %q", u.Name)
		}
		seen[u.Name] = true
		if u.Password == "" || strings.ContainsAny(u.Password, ":\r\n\x00") {
			return fmt.Errorf("testbed: password of %q must be non-empty without ':' or line breaks", u.Name)
		}
	}
	return nil
}

// accounts are the existing system accounts Dovecot runs its processes as.
type accounts struct {
	mailUID, mailGID         int    // owner of all mail files
	loginUser, internalUser  string // default_login_user, default_internal_user
	internalUID, internalGID int
	postfixUser              string // Postfix's mail_owner, "" when Postfix is not installed
}

// lookupAccounts picks unprivileged accounts. Mail cannot be owned by root:
// Dovecot refuses mail access as UID 0 in imap, pop3 and lmtp whatever
// first_valid_uid says, so mail belongs to nobody:nogroup. Login and
// internal processes use Debian's dovenull and dovecot users when present.
func lookupAccounts() (accounts, error) {
	var a accounts
	nobody, err := user.Lookup("nobody")
	if err != nil {
		return a, fmt.Errorf("testbed: look up user nobody: %w", err)
	}
	if a.mailUID, err = strconv.Atoi(nobody.Uid); err != nil {
		return a, fmt.Errorf("testbed: uid of nobody: %w", err)
	}
	gidStr := nobody.Gid
	if g, err := user.LookupGroup("nogroup"); err == nil {
		gidStr = g.Gid
	}
	if a.mailGID, err = strconv.Atoi(gidStr); err != nil {
		return a, fmt.Errorf("testbed: gid of nogroup: %w", err)
	}
	a.loginUser = "nobody"
	if _, err := user.Lookup("dovenull"); err == nil {
		a.loginUser = "dovenull"
	}
	internal := nobody
	if u, err := user.Lookup("dovecot"); err == nil {
		internal = u
	}
	if _, err := user.Lookup("postfix"); err == nil {
		a.postfixUser = "postfix"
	}
	a.internalUser = internal.Username
	if a.internalUID, err = strconv.Atoi(internal.Uid); err != nil {
		return a, fmt.Errorf("testbed: uid of %s: %w", internal.Username, err)
	}
	if a.internalGID, err = strconv.Atoi(internal.Gid); err != nil {
		return a, fmt.Errorf("testbed: gid of %s: %w", internal.Username, err)
	}
	return a, nil
}

// serverDir returns dir made absolute, or a new temporary directory named prefix… (own) when
// dir is empty.
func serverDir(dir, prefix string) (abs string, own bool, err error) {
	if dir == "" {
		tmp, err := os.MkdirTemp("", prefix)
		if err != nil {
			return "", false, fmt.Errorf("testbed: create temp dir: %w", err)
		}
		return tmp, true, nil
	}
	if abs, err = filepath.Abs(dir); err != nil {
		return "", false, fmt.Errorf("testbed: dir %q: %w", dir, err)
	}
	return abs, false, nil
}

// maxBaseDir keeps Dovecot's unix socket paths (base_dir plus up to ~30
// bytes) within the 108-byte sun_path limit.
const maxBaseDir = 70

func (d *Dovecot) prepareDir(dir string) error {
	dir, own, err := serverDir(dir, "pbdc-")
	if err != nil {
		return err
	}
	d.ownDir = own
	// The path goes into dovecot.conf unquoted (ssl_cert = <path) and into
	// mail_home, where % starts a variable.
	if strings.ContainsAny(dir, " \t\r\n\"'%#<>{}\\") {
		if d.ownDir {
			_ = os.Remove(dir)
		}
		return fmt.Errorf("testbed: dir %q contains characters unsafe in dovecot.conf", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("testbed: create dir: %w", err)
	}
	d.Dir = dir
	if err := checkSearchable(filepath.Dir(dir)); err != nil {
		d.removeDirs()
		return err
	}
	// Dovecot's unprivileged processes must traverse into the mail and
	// socket directories; MkdirTemp creates 0700.
	if err := os.Chmod(dir, 0o755); err != nil {
		d.removeDirs()
		return fmt.Errorf("testbed: chmod dir: %w", err)
	}
	d.baseDir = filepath.Join(dir, "run")
	if len(d.baseDir) > maxBaseDir {
		short, err := os.MkdirTemp("/tmp", "pbdc-run-")
		if err != nil {
			d.removeDirs()
			return fmt.Errorf("testbed: create short base_dir: %w", err)
		}
		d.baseDir = short
	}
	d.ConfigFile = filepath.Join(dir, "dovecot.conf")
	d.LogFile = filepath.Join(dir, "dovecot.log")
	d.CAFile = filepath.Join(dir, "tls", "ca.pem")
	d.CertFile = filepath.Join(dir, "tls", "cert.pem")
	d.KeyFile = filepath.Join(dir, "tls", "key.pem")
	d.AuthSocket = filepath.Join(d.baseDir, "auth-postfix")
	return nil
}

// checkSearchable makes sure unprivileged users can reach into dir: a
// 0700 parent (t.TempDir makes them) would lock Dovecot's mail and login
// processes out of their own files.
func checkSearchable(dir string) error {
	for {
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("testbed: %w", err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("testbed: %s (mode %v) cannot be searched by Dovecot's unprivileged users; pick a Dir below a world-searchable directory", dir, st.Mode().Perm())
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// removeDirs deletes what Start created on its own behalf.
func (d *Dovecot) removeDirs() {
	if d.baseDir != "" && !strings.HasPrefix(d.baseDir, d.Dir+string(filepath.Separator)) {
		_ = os.RemoveAll(d.baseDir)
	}
	if d.ownDir && !d.keepDir && d.Dir != "" {
		_ = os.RemoveAll(d.Dir)
	}
}

// serverNames are the DNS names the server certificate is valid for.
// mail.test is what security tests should use: Go's net/smtp treats
// "localhost" as safe for plaintext auth, so it can hide bugs.
var serverNames = []string{"localhost", "mail.test"}

// serverIPs are the addresses the server certificate is valid for. 127.0.0.2
// is included so fake servers started next to this one can reuse the CA.
var serverIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2), net.IPv6loopback}

// writeFiles creates a throw-away CA and a server certificate for the
// loopback names above, then the password file and mail folders.
func (d *Dovecot) writeFiles(a accounts) error {
	ca, err := pki.NewCA("Postbode testbed CA", pki.Options{Organization: "Postbode testbed", Validity: 10 * 24 * time.Hour})
	if err != nil {
		return fmt.Errorf("testbed: %w", err)
	}
	// A day shorter than the CA, so the leaf never outlives its issuer.
	certPEM, keyPEM, err := ca.Issue("mail.test", serverNames, serverIPs, pki.Options{Validity: 9 * 24 * time.Hour})
	if err != nil {
		return fmt.Errorf("testbed: %w", err)
	}
	d.CAPEM, d.CertPool = ca.PEM(), ca.Pool()
	tlsDir := filepath.Join(d.Dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o755); err != nil {
		return fmt.Errorf("testbed: create tls dir: %w", err)
	}
	for name, data := range map[string][]byte{"ca.pem": d.CAPEM, "cert.pem": certPEM, "key.pem": keyPEM} {
		mode := os.FileMode(0o644)
		if name == "key.pem" {
			mode = 0o600 // read by the config process, which runs as root
		}
		if err := os.WriteFile(filepath.Join(tlsDir, name), data, mode); err != nil {
			return fmt.Errorf("testbed: write %s: %w", name, err)
		}
	}

	// passwd-file: user:password:uid:gid:gecos:home. Empty uid/gid/home
	// fall back to mail_uid, mail_gid and mail_home.
	var pw strings.Builder
	for _, u := range d.Users {
		fmt.Fprintf(&pw, "%s:{PLAIN}%s::::::\n", u.Name, u.Password)
	}
	passwd := filepath.Join(d.Dir, "passwd")
	if err := os.WriteFile(passwd, []byte(pw.String()), 0o640); err != nil {
		return fmt.Errorf("testbed: write passwd: %w", err)
	}
	// The auth process runs as the internal user and reads this file.
	if err := os.Chown(passwd, 0, a.internalGID); err != nil {
		return fmt.Errorf("testbed: chown passwd: %w", err)
	}

	for _, dir := range []string{filepath.Join(d.Dir, "state"), d.baseDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("testbed: create %s: %w", dir, err)
		}
	}
	mailRoot := filepath.Join(d.Dir, "mail")
	if err := os.MkdirAll(mailRoot, 0o755); err != nil {
		return fmt.Errorf("testbed: create mail dir: %w", err)
	}
	// Create each home and INBOX up front, owned by the mail user, so
	// Deliver works before the first login.
	for _, u := range d.Users {
		home := filepath.Join(mailRoot, u.Name)
		if err := d.mkdirMail(home); err != nil {
			return err
		}
		if err := d.mkMaildir(d.MaildirPath(u.Name)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirMail creates one directory owned by the mail user.
func (d *Dovecot) mkdirMail(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("testbed: create %s: %w", dir, err)
	}
	if err := os.Chown(dir, d.mailUID, d.mailGID); err != nil {
		return fmt.Errorf("testbed: chown %s: %w", dir, err)
	}
	return nil
}

// mkMaildir creates a maildir root with cur, new and tmp.
func (d *Dovecot) mkMaildir(dir string) error {
	for _, p := range []string{dir, filepath.Join(dir, "cur"), filepath.Join(dir, "new"), filepath.Join(dir, "tmp")} {
		if err := d.mkdirMail(p); err != nil {
			return err
		}
	}
	return nil
}

// pickPorts reserves five loopback ports by binding them all at once, then
// releases them for Dovecot.
func (d *Dovecot) pickPorts() error {
	var ports [5]int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(d.Host, "0"))
		if err != nil {
			return fmt.Errorf("testbed: find free port: %w", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	d.IMAPPort, d.IMAPSPort, d.POP3Port, d.POP3SPort, d.LMTPPort = ports[0], ports[1], ports[2], ports[3], ports[4]
	return nil
}

// imapCaps is Dovecot 2.3's post-login capability list; imap_capability
// replaces it wholesale, so disabling one capability means listing the rest.
const imapCaps = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY " +
	"THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE " +
	"UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH " +
	"ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY " +
	"PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"

func capabilityList(opts Options) string {
	if !opts.DisableIDLE && !opts.DisableCondstore {
		return ""
	}
	caps := imapCaps
	if opts.Quota > 0 {
		caps += " QUOTA"
	}
	var keep []string
	for _, c := range strings.Fields(caps) {
		switch {
		case opts.DisableIDLE && c == "IDLE":
		case opts.DisableCondstore && (c == "CONDSTORE" || c == "QRESYNC"):
		default:
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, " ")
}

// SpecialFolders are auto-created and subscribed for every user, with their
// SPECIAL-USE attribute.
var SpecialFolders = []struct{ Name, Use string }{
	{"Drafts", `\Drafts`},
	{"Sent", `\Sent`},
	{"Trash", `\Trash`},
	{"Junk", `\Junk`},
	{"Archive", `\Archive`},
}

func (d *Dovecot) writeConfig(opts Options, a accounts) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Private instance written by postbode/internal/testkit/testbed. Not the system config.")
	w("instance_name = testbed-%d", d.IMAPPort)
	w("base_dir = %s", d.baseDir)
	w("state_dir = %s", filepath.Join(d.Dir, "state"))
	w("listen = %s", d.Host)
	w("protocols = imap pop3 lmtp")
	w("hostname = mail.test")
	w("log_path = %s", d.LogFile)
	w("info_log_path = %s", d.LogFile)
	w("debug_log_path = %s", d.LogFile)
	w("auth_verbose = yes")
	w("default_login_user = %s", a.loginUser)
	w("default_internal_user = %s", a.internalUser)
	w("mail_uid = %d", d.mailUID)
	w("mail_gid = %d", d.mailGID)
	w("first_valid_uid = %d", min(d.mailUID, 500))
	w("first_valid_gid = %d", min(d.mailGID, 1))
	w("mail_home = %s/%%u", filepath.Join(d.Dir, "mail"))
	w("mail_location = maildir:~/Maildir")
	w("")
	w("# Loopback counts as secure for Dovecot anyway; say it for the plain ports.")
	w("disable_plaintext_auth = no")
	if opts.OAuth2 != nil {
		w("auth_mechanisms = plain login xoauth2 oauthbearer")
	} else {
		w("auth_mechanisms = plain login")
	}
	w("auth_username_format = %%Ln")
	w("auth_failure_delay = 0")
	w("# No cache: an expired or revoked token must fail at its next use.")
	w("auth_cache_size = 0")
	w("# No auth penalty either: after one wrong password every login from 127.0.0.1")
	w("# would wait 4-15 s. An auth process that cannot reach this socket skips it.")
	w("service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}")
	if opts.OAuth2 != nil {
		// Each passdb only sees its own mechanisms: a password never goes
		// to the provider as a token, nor a token to the passwd-file.
		w("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s\n}", d.oauth2File())
		w("passdb {\n  driver = passwd-file\n  mechanisms = plain login\n  args = scheme=PLAIN %s\n}", filepath.Join(d.Dir, "passwd"))
	} else {
		w("passdb {\n  driver = passwd-file\n  args = scheme=PLAIN %s\n}", filepath.Join(d.Dir, "passwd"))
	}
	w("userdb {\n  driver = passwd-file\n  args = %s\n}", filepath.Join(d.Dir, "passwd"))
	w("")
	w("ssl = yes")
	w("ssl_cert = <%s", filepath.Join(d.Dir, "tls", "cert.pem"))
	w("ssl_key = <%s", filepath.Join(d.Dir, "tls", "key.pem"))
	w("ssl_min_protocol = TLSv1.2")
	w("")
	w("namespace inbox {\n  inbox = yes\n  prefix =\n  separator = %s", d.Separator)
	for _, f := range SpecialFolders {
		w("  mailbox %s {\n    special_use = %s\n    auto = subscribe\n  }", f.Name, f.Use)
	}
	w("}")
	w("")
	w("pop3_uidl_format = %%08Xu%%08Xv")
	w("imap_idle_notify_interval = 10 secs")
	w("mailbox_idle_check_interval = 1 secs")
	if caps := capabilityList(opts); caps != "" {
		w("imap_capability = %s", caps)
	}
	var imapProto []string
	if opts.MaxUserIPConnections > 0 {
		imapProto = append(imapProto, fmt.Sprintf("mail_max_userip_connections = %d", opts.MaxUserIPConnections))
		w("protocol pop3 {\n  mail_max_userip_connections = %d\n}", opts.MaxUserIPConnections)
	}
	if opts.Quota > 0 {
		// count: the usage comes from the mailbox indexes, so files Deliver writes are counted
		// once Dovecot has seen them.
		w("mail_plugins = $mail_plugins quota")
		w("plugin {\n  quota = count:User quota\n  quota_vsizes = yes\n  quota_rule = *:storage=%dk\n}", (opts.Quota+1023)/1024)
		imapProto = append(imapProto, "mail_plugins = $mail_plugins imap_quota")
	}
	if len(imapProto) > 0 {
		w("protocol imap {\n  %s\n}", strings.Join(imapProto, "\n  "))
	}
	w("protocol lmtp {\n  postmaster_address = postmaster@mail.test\n}")
	w("")
	w("service imap-login {\n  inet_listener imap {\n    address = %s\n    port = %d\n  }", d.Host, d.IMAPPort)
	w("  inet_listener imaps {\n    address = %s\n    port = %d\n    ssl = yes\n  }\n}", d.Host, d.IMAPSPort)
	w("service pop3-login {\n  inet_listener pop3 {\n    address = %s\n    port = %d\n  }", d.Host, d.POP3Port)
	w("  inet_listener pop3s {\n    address = %s\n    port = %d\n    ssl = yes\n  }\n}", d.Host, d.POP3SPort)
	w("service lmtp {\n  inet_listener lmtp {\n    address = %s\n    port = %d\n  }\n}", d.Host, d.LMTPPort)
	// Mail processes run as nobody, outside the dovecot group that may write
	// stats; without this every session logs a permission warning.
	w("service stats {\n  unix_listener stats-writer {\n    mode = 0666\n  }\n}")
	// SMTP AUTH for the testbed's Postfix; only its mail_owner may connect.
	if a.postfixUser != "" {
		w("service auth {\n  unix_listener auth-postfix {\n    mode = 0600\n    user = %s\n  }\n}", a.postfixUser)
	}
	if err := os.WriteFile(d.ConfigFile, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("testbed: write config: %w", err)
	}
	if opts.OAuth2 != nil {
		return d.writeOAuth2Config(opts.OAuth2)
	}
	return nil
}

func (d *Dovecot) oauth2File() string { return filepath.Join(d.Dir, "dovecot-oauth2.conf.ext") }

// writeOAuth2Config writes the oauth2 passdb's settings. mockoidc has no
// RFC 7662 introspection, so the token goes to the userinfo endpoint as
// "Authorization: Bearer" (introspection_mode = auth also adds that header
// to tokeninfo requests). It is asked as tokeninfo_url, not
// introspection_url: Dovecot 2.3 takes a 401 from introspection for an
// internal error ("Temporary authentication failure"), but from tokeninfo
// for an invalid token, which clients must see to refresh. The email
// userinfo answers must name the user logging in once both are reduced to
// the local part, as auth_username_format does.
func (d *Dovecot) writeOAuth2Config(o *OIDC) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by postbode/internal/testbed for the provider at %s.", o.Issuer)
	w("introspection_mode = auth")
	w("tokeninfo_url = %s?access_token=", o.UserinfoURL)
	w("username_attribute = email")
	w("username_format = %%Ln")
	if err := os.WriteFile(d.oauth2File(), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("testbed: write oauth2 config: %w", err)
	}
	return nil
}

// startProcess runs the dovecot master in the foreground and waits until
// all ports answer. Caller holds d.master.mu or owns d exclusively.
func (d *Dovecot) startProcess(ctx context.Context) error {
	cmd := exec.Command(d.bin, "-F", "-c", d.ConfigFile)
	cmd.Dir = d.Dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	return d.master.start(ctx, cmd, filepath.Join(d.Dir, "dovecot.stderr"), d.LogFile, d.LogTail, d.waitReady)
}

// greeting is a listener to wait for and the start of the line it greets with.
type greeting struct {
	port  int
	tls   bool
	greet string
}

// waitGreetings polls until every listener answers with its greeting, giving up when the server's
// process exits (exited says why) or after 20 s.
func (d *Dovecot) waitGreetings(ctx context.Context, p *process, checks []greeting, exited func() error) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, c := range checks {
		for {
			err := d.probe(ctx, c.port, c.tls, c.greet)
			if err == nil {
				break
			}
			select {
			case <-p.done:
				return exited()
			case <-ctx.Done():
				return fmt.Errorf("port %d: %w (last error: %v)", c.port, ctx.Err(), err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// waitReady polls until every listener answers with its greeting.
func (d *Dovecot) waitReady(ctx context.Context, p *process) error {
	return d.waitGreetings(ctx, p, []greeting{
		{d.IMAPPort, false, "* OK"},
		{d.IMAPSPort, true, "* OK"},
		{d.POP3Port, false, "+OK"},
		{d.POP3SPort, true, "+OK"},
		{d.LMTPPort, false, "220 "},
	}, func() error { return fmt.Errorf("dovecot exited (%v)%s", p.err, d.stderrText()) })
}

func (d *Dovecot) probe(ctx context.Context, port int, useTLS bool, greet string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := d.dial(ctx, port, useTLS)
	if err != nil {
		return err
	}
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if !strings.HasPrefix(line, greet) {
		return fmt.Errorf("unexpected greeting %q", strings.TrimSpace(line))
	}
	return nil
}

// dial connects to one of our ports, with TLS verified against our CA when
// useTLS is set. The deadline of ctx (or 30 s) applies to the whole
// connection.
func (d *Dovecot) dial(ctx context.Context, port int, useTLS bool) (net.Conn, error) {
	var nd net.Dialer
	addr := net.JoinHostPort(d.Host, strconv.Itoa(port))
	var conn net.Conn
	var err error
	if useTLS {
		td := tls.Dialer{NetDialer: &nd, Config: d.TLSConfig()}
		conn, err = td.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = nd.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func (d *Dovecot) stderrText() string {
	b, err := os.ReadFile(filepath.Join(d.Dir, "dovecot.stderr"))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return ""
	}
	return ": " + strings.TrimSpace(string(b))
}

// TLSConfig returns a client config that trusts only the generated CA and
// verifies the name "mail.test".
func (d *Dovecot) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: d.CertPool, ServerName: d.ServerName, MinVersion: tls.VersionTLS12}
}

// IMAPAddr and friends return "host:port" for each listener.
func (d *Dovecot) IMAPAddr() string  { return net.JoinHostPort(d.Host, strconv.Itoa(d.IMAPPort)) }
func (d *Dovecot) IMAPSAddr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.IMAPSPort)) }
func (d *Dovecot) POP3Addr() string  { return net.JoinHostPort(d.Host, strconv.Itoa(d.POP3Port)) }
func (d *Dovecot) POP3SAddr() string { return net.JoinHostPort(d.Host, strconv.Itoa(d.POP3SPort)) }
func (d *Dovecot) LMTPAddr() string  { return net.JoinHostPort(d.Host, strconv.Itoa(d.LMTPPort)) }

// Password returns the password of a configured user, or "".
func (d *Dovecot) Password(user string) string {
	for _, u := range d.Users {
		if u.Name == user {
			return u.Password
		}
	}
	return ""
}

// MaildirPath is the maildir root (INBOX) of user. Other folders are
// Maildir++ subdirectories named "." plus the folder name.
func (d *Dovecot) MaildirPath(user string) string {
	return filepath.Join(d.Dir, "mail", user, "Maildir")
}

// Running reports whether the server's master process is up.
func (d *Dovecot) Running() bool { return d.master.running() }

// Stop stops the server, waits for all its processes and removes a
// temporary Dir (unless KeepDir). It is idempotent; the instance cannot be
// restarted afterwards (use Halt for that).
func (d *Dovecot) Stop() error { return d.master.stop(d.removeDirs) }

// Halt stops the server processes but keeps config, mail and port numbers,
// so Restart can bring it back: for "server offline" tests.
func (d *Dovecot) Halt() error { return d.master.halt() }

// Restart stops the server if it runs and starts it again on the same ports
// with the same mail. Connections are dropped; UIDs and UIDVALIDITY stay.
func (d *Dovecot) Restart(ctx context.Context) error {
	return d.master.restart(ctx, func(ctx context.Context) error {
		_ = os.Truncate(d.LogFile, 0) // keep start errors focused on this attempt
		return d.startProcess(ctx)
	})
}

// LogTail returns the last n lines of the Dovecot log.
func (d *Dovecot) LogTail(n int) string { return logTail(d.LogFile, n) }

// logTail returns the last n lines of a server's log file.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
