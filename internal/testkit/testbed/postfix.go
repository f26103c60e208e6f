package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ErrPostfixUnavailable is wrapped by StartPostfix when this machine cannot
// run the testbed's Postfix (not installed, or not running as root).
var ErrPostfixUnavailable = errors.New("testbed: postfix unavailable")

// PostfixOptions configures StartPostfix. The zero value is ready to use.
type PostfixOptions struct {
	// MessageSizeLimit is Postfix's message_size_limit in bytes, announced
	// in the SIZE extension; 0 keeps Postfix's default of 10240000.
	MessageSizeLimit int64
	// Dir holds config, queue, data and log. Default: a new temporary
	// directory that Stop removes. A given Dir is kept.
	Dir string
	// KeepDir keeps a temporary Dir after Stop, for post-mortems.
	KeepDir bool
}

// Postfix is a private Postfix instance in front of a testbed Dovecot: mail
// submission on loopback ports, SMTP AUTH checked by Dovecot (with
// Dovecot's mechanisms, so XOAUTH2 and OAUTHBEARER too when it has
// Options.OAuth2), delivery to the Dovecot users over LMTP. Its methods are
// safe for concurrent use.
type Postfix struct {
	Host string // "127.0.0.1"
	// SubmissionsPort speaks implicit TLS (like 465); SubmissionPort
	// requires STARTTLS before anything else (like 587). Both require AUTH
	// for relaying and accept only the Dovecot users of the mail.test
	// domain as recipients.
	SubmissionsPort, SubmissionPort int
	// ServerName is the name the certificate is valid for besides the
	// loopback addresses: "mail.test".
	ServerName string
	// MessageSizeLimit is the effective message_size_limit.
	MessageSizeLimit int64
	Dir              string
	ConfigDir        string // main.cf and master.cf: postconf -c ConfigDir
	QueueDir         string
	LogFile          string

	dovecot         *Dovecot
	masterBin       string
	ownDir, keepDir bool
	master          daemon
}

// postfixMaster finds Postfix's master daemon in the package's
// daemon_directory.
func postfixMaster() (string, error) {
	daemonDir := "/usr/lib/postfix/sbin"
	if postconf, err := findBinary("postconf", "/usr/sbin/postconf", "/usr/local/sbin/postconf"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, postconf, "-d", "-h", "daemon_directory").Output(); err == nil {
			if dir := strings.TrimSpace(string(out)); dir != "" {
				daemonDir = dir
			}
		}
	}
	master := filepath.Join(daemonDir, "master")
	if st, err := os.Stat(master); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("postfix master daemon not found at %s", master)
	}
	return master, nil
}

// PostfixAvailable reports why the testbed's Postfix cannot run here, or nil
// if it can.
func PostfixAvailable() error {
	if _, err := postfixMaster(); err != nil {
		return fmt.Errorf("%w: %v (install Debian's postfix package)", ErrPostfixUnavailable, err)
	}
	if _, err := user.Lookup("postfix"); err != nil {
		return fmt.Errorf("%w: user postfix missing: %v", ErrPostfixUnavailable, err)
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return fmt.Errorf("%w: group postdrop missing: %v", ErrPostfixUnavailable, err)
	}
	if os.Geteuid() != 0 {
		// The master binds its ports and starts daemons as mail_owner.
		return fmt.Errorf("%w: must run as root (uid %d)", ErrPostfixUnavailable, os.Geteuid())
	}
	return nil
}

// RequirePostfix skips the test when PostfixAvailable reports a problem, or
// fails it when the environment variable CI is "true".
func RequirePostfix(t testing.TB) {
	t.Helper()
	if err := PostfixAvailable(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("postfix required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// StartPostfixT starts a Postfix in front of d for a test and stops it in
// t.Cleanup; it skips the test when Postfix cannot run here (fails it under
// CI=true).
func StartPostfixT(t testing.TB, d *Dovecot, opts PostfixOptions) *Postfix {
	t.Helper()
	RequirePostfix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := StartPostfix(ctx, d, opts)
	if err != nil {
		t.Fatalf("start postfix: %v", err)
	}
	stopWithTest(t, "postfix", p.LogFile, p.LogTail, p.Stop)
	return p
}

// StartPostfix writes a private configuration (its own config_directory,
// queue_directory and data_directory; the system's /etc/postfix is not
// used) and starts the master, returning once both ports greet. d must be
// running: smtpd asks Dovecot for its AUTH mechanisms before it greets.
func StartPostfix(ctx context.Context, d *Dovecot, opts PostfixOptions) (*Postfix, error) {
	if err := PostfixAvailable(); err != nil {
		return nil, err
	}
	if d == nil || d.AuthSocket == "" || d.LMTPPort == 0 {
		return nil, errors.New("testbed: postfix needs a started Dovecot")
	}
	p := &Postfix{
		Host:             "127.0.0.1",
		ServerName:       d.ServerName,
		MessageSizeLimit: opts.MessageSizeLimit,
		dovecot:          d,
		keepDir:          opts.KeepDir,
		// Postfix keeps its queue safe across any kill (a message is
		// acknowledged only once it is on disk), so after a short grace
		// period the group is killed outright.
		master: daemon{name: "postfix", termGrace: 500 * time.Millisecond, killAfter: 500 * time.Millisecond},
	}
	if p.MessageSizeLimit <= 0 {
		p.MessageSizeLimit = 10240000
	}
	var err error
	if p.masterBin, err = postfixMaster(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPostfixUnavailable, err)
	}
	if err := p.prepareDir(opts.Dir); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			p.removeDir()
		}
	}()
	if err := p.writeStatic(); err != nil {
		return nil, err
	}
	if err := p.makeQueue(); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		if err := p.pickPorts(); err != nil {
			return nil, err
		}
		if err := p.writeConfig(); err != nil {
			return nil, err
		}
		lastErr = p.startProcess(ctx)
		if lastErr == nil {
			ok = true
			return p, nil
		}
		if !strings.Contains(lastErr.Error(), "Address already in use") || ctx.Err() != nil {
			break
		}
		_ = os.Truncate(p.LogFile, 0)
	}
	return nil, lastErr
}

func (p *Postfix) prepareDir(dir string) error {
	dir, own, err := serverDir(dir, "pbpf-")
	if err != nil {
		return err
	}
	p.ownDir = own
	p.Dir = dir
	// Paths go into main.cf unquoted, and ',' or ' ' split list values.
	if strings.ContainsAny(dir, " \t\r\n\"'%#<>{}\\,$=") {
		return fmt.Errorf("testbed: dir %q contains characters unsafe in main.cf", dir)
	}
	p.ConfigDir = filepath.Join(dir, "etc")
	p.QueueDir = filepath.Join(dir, "queue")
	p.LogFile = filepath.Join(dir, "postfix.log")
	// Postfix insists that config and queue roots belong to root and are
	// not writable by others; its daemons (mail_owner) must traverse them.
	for _, sub := range []string{dir, p.ConfigDir, p.QueueDir} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("testbed: create %s: %w", sub, err)
		}
		if err := os.Chmod(sub, 0o755); err != nil {
			return fmt.Errorf("testbed: chmod %s: %w", sub, err)
		}
	}
	return checkSearchable(filepath.Dir(dir))
}

func (p *Postfix) removeDir() {
	if p.ownDir && !p.keepDir && p.Dir != "" {
		_ = os.RemoveAll(p.Dir)
	}
}

// writeStatic writes the recipient table: the Dovecot users, so unknown
// addresses are refused at RCPT as a real provider would.
func (p *Postfix) writeStatic() error {
	var b strings.Builder
	for _, u := range p.dovecot.Users {
		fmt.Fprintf(&b, "%s@mail.test OK\n", u.Name)
	}
	if err := os.WriteFile(filepath.Join(p.ConfigDir, "vmailbox"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("testbed: write vmailbox: %w", err)
	}
	return nil
}

// pickPorts reserves two loopback ports by binding them at once, then
// releases them for the master.
func (p *Postfix) pickPorts() error {
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(p.Host, "0"))
		if err != nil {
			return fmt.Errorf("testbed: find free port: %w", err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	p.SubmissionsPort, p.SubmissionPort = ports[0], ports[1]
	return nil
}

func (p *Postfix) writeConfig() error {
	d := p.dovecot
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Private instance written by postbode/internal/testkit/testbed. Not the system config.")
	w("compatibility_level = 3.6")
	w("queue_directory = %s", p.QueueDir)
	w("data_directory = %s", filepath.Join(p.Dir, "data"))
	w("mail_owner = postfix")
	w("setgid_group = postdrop")
	w("maillog_file = %s", p.LogFile)
	w("maillog_file_prefixes = %s", p.Dir)
	w("myhostname = mail.test")
	w("mydomain = mail.test")
	w("myorigin = mail.test")
	w("mydestination =")
	w("inet_interfaces = %s", p.Host)
	w("inet_protocols = ipv4")
	w("mynetworks = %s/32", p.Host)
	w("alias_maps =")
	w("alias_database =")
	w("biff = no")
	w("append_dot_mydomain = no")
	w("smtpd_banner = $myhostname ESMTP")
	w("# No DNS: client names are not looked up, delivery goes to a literal address.")
	w("smtpd_peername_lookup = no")
	w("smtp_dns_support_level = disabled")
	w("lmtp_dns_support_level = disabled")
	w("")
	w("virtual_mailbox_domains = mail.test")
	w("virtual_mailbox_maps = texthash:%s", filepath.Join(p.ConfigDir, "vmailbox"))
	w("virtual_transport = lmtp:inet:%s:%d", d.Host, d.LMTPPort)
	w("message_size_limit = %d", p.MessageSizeLimit)
	w("mailbox_size_limit = 0")
	w("virtual_mailbox_limit = 0")
	w("# A deferred delivery (Dovecot down) is retried within seconds, not minutes.")
	w("queue_run_delay = 1s")
	w("minimal_backoff_time = 1s")
	w("maximal_backoff_time = 2s")
	w("# A daemon that fails (Dovecot auth down) is started again after a second, not a minute.")
	w("service_throttle_time = 1s")
	w("smtpd_error_sleep_time = 0")
	w("smtpd_soft_error_limit = 100")
	w("smtpd_hard_error_limit = 200")
	w("")
	w("# Submission: TLS first, then AUTH (checked by Dovecot), then relaying.")
	w("smtpd_tls_cert_file = %s", d.CertFile)
	w("smtpd_tls_key_file = %s", d.KeyFile)
	w("smtpd_tls_security_level = encrypt")
	w("smtpd_tls_auth_only = yes")
	w("smtpd_tls_protocols = >=TLSv1.2")
	w("smtpd_tls_mandatory_protocols = >=TLSv1.2")
	w("smtpd_tls_session_cache_database =")
	w("smtpd_sasl_auth_enable = yes")
	w("smtpd_sasl_type = dovecot")
	w("smtpd_sasl_path = %s", d.AuthSocket)
	w("smtpd_sasl_security_options = noanonymous")
	w("smtpd_client_restrictions = permit_sasl_authenticated, reject")
	w("smtpd_relay_restrictions = permit_sasl_authenticated, reject")
	if err := writeConfigFile(filepath.Join(p.ConfigDir, "main.cf"), b.String()); err != nil {
		return err
	}

	b.Reset()
	w("# service type private unpriv chroot wakeup maxproc command")
	w("%s:%d inet n - n - - smtpd -o syslog_name=postfix/submissions -o smtpd_tls_wrappermode=yes", p.Host, p.SubmissionsPort)
	w("%s:%d inet n - n - - smtpd -o syslog_name=postfix/submission", p.Host, p.SubmissionPort)
	for _, line := range []string{
		"pickup unix n - n 60 1 pickup",
		"cleanup unix n - n - 0 cleanup",
		"qmgr unix n - n 300 1 qmgr",
		"tlsmgr unix - - n 1000? 1 tlsmgr",
		"rewrite unix - - n - - trivial-rewrite",
		"bounce unix - - n - 0 bounce",
		"defer unix - - n - 0 bounce",
		"trace unix - - n - 0 bounce",
		"verify unix - - n - 1 verify",
		"flush unix n - n 1000? 0 flush",
		"proxymap unix - - n - - proxymap",
		"proxywrite unix - - n - 1 proxymap",
		"smtp unix - - n - - smtp",
		"relay unix - - n - - smtp",
		"showq unix n - n - - showq",
		"error unix - - n - - error",
		"retry unix - - n - - error",
		"discard unix - - n - - discard",
		"virtual unix - n n - - virtual",
		"lmtp unix - - n - - lmtp",
		"anvil unix - - n - 1 anvil",
		"scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd",
	} {
		w("%s", line)
	}
	return writeConfigFile(filepath.Join(p.ConfigDir, "master.cf"), b.String())
}

func writeConfigFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("testbed: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// env is the environment of the master: MAIL_CONFIG points it, and the
// daemons it starts, at our config.
func (p *Postfix) env() []string {
	return []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC", "MAIL_CONFIG=" + p.ConfigDir}
}

// queueDirs are the directories of the queue and data roots with the owners
// and modes Debian's postfix-files gives them. "postfix check" creates
// them too, but takes seconds (it runs postconf dozens of times).
var queueDirs = []struct {
	name      string
	owner     string // "postfix" (mail_owner) or "root"
	postdrop  bool   // group setgid_group instead of root
	perm      os.FileMode
	underData bool
}{
	{"", "postfix", false, 0o700, true},
	{"active", "postfix", false, 0o700, false},
	{"bounce", "postfix", false, 0o700, false},
	{"corrupt", "postfix", false, 0o700, false},
	{"defer", "postfix", false, 0o700, false},
	{"deferred", "postfix", false, 0o700, false},
	{"flush", "postfix", false, 0o700, false},
	{"hold", "postfix", false, 0o700, false},
	{"incoming", "postfix", false, 0o700, false},
	{"private", "postfix", false, 0o700, false},
	{"maildrop", "postfix", true, 0o730, false},
	{"public", "postfix", true, 0o710, false},
	{"pid", "root", false, 0o755, false},
	{"saved", "postfix", false, 0o700, false},
	{"trace", "postfix", false, 0o700, false},
}

// makeQueue creates the queue and data directories (kept when they exist,
// so a given Dir keeps its queue).
func (p *Postfix) makeQueue() error {
	owner, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("testbed: look up postfix: %w", err)
	}
	group, err := user.LookupGroup("postdrop")
	if err != nil {
		return fmt.Errorf("testbed: look up postdrop: %w", err)
	}
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(group.Gid)
	for _, q := range queueDirs {
		dir := filepath.Join(p.QueueDir, q.name)
		if q.underData {
			dir = filepath.Join(p.Dir, "data")
		}
		if err := os.Mkdir(dir, q.perm); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("testbed: create %s: %w", dir, err)
		}
		u, g := 0, 0
		if q.owner == "postfix" {
			u = uid
		}
		if q.postdrop {
			g = gid
		}
		if err := os.Chown(dir, u, g); err != nil {
			return fmt.Errorf("testbed: chown %s: %w", dir, err)
		}
		if err := os.Chmod(dir, q.perm); err != nil {
			return fmt.Errorf("testbed: chmod %s: %w", dir, err)
		}
	}
	return nil
}

// startProcess runs the master in the foreground, in its own process group,
// and waits until both ports greet. Caller holds p.master.mu or owns p
// exclusively.
func (p *Postfix) startProcess(ctx context.Context) error {
	// -d keeps the master attached (no fork, no setsid), so the process
	// group holds it and every daemon it starts.
	cmd := exec.Command(p.masterBin, "-c", p.ConfigDir, "-d")
	cmd.Dir = p.QueueDir
	cmd.Env = p.env()
	return p.master.start(ctx, cmd, filepath.Join(p.Dir, "master.stderr"), p.LogFile, p.LogTail, p.waitReady)
}

func (p *Postfix) waitReady(ctx context.Context, proc *process) error {
	return p.dovecot.waitGreetings(ctx, proc, []greeting{
		{p.SubmissionsPort, true, "220 "},
		{p.SubmissionPort, false, "220 "},
	}, func() error {
		b, _ := os.ReadFile(filepath.Join(p.Dir, "master.stderr"))
		return fmt.Errorf("postfix master exited (%v): %s", proc.err, strings.TrimSpace(string(b)))
	})
}

// SubmissionsAddr and SubmissionAddr return "host:port" of each listener.
func (p *Postfix) SubmissionsAddr() string {
	return net.JoinHostPort(p.Host, strconv.Itoa(p.SubmissionsPort))
}
func (p *Postfix) SubmissionAddr() string {
	return net.JoinHostPort(p.Host, strconv.Itoa(p.SubmissionPort))
}

// Running reports whether the master process is up.
func (p *Postfix) Running() bool { return p.master.running() }

// Stop stops Postfix, waits for all its processes and removes a temporary
// Dir (unless KeepDir). It is idempotent and final.
func (p *Postfix) Stop() error { return p.master.stop(p.removeDir) }

// Halt takes Postfix offline (nothing listens on its ports) but keeps its
// config, queue and port numbers for Restart.
func (p *Postfix) Halt() error { return p.master.halt() }

// Restart stops Postfix if it runs and starts it again on the same ports
// with the same queue; mail queued before is delivered afterwards.
func (p *Postfix) Restart(ctx context.Context) error {
	return p.master.restart(ctx, p.startProcess)
}

// LogTail returns the last n lines of the Postfix log.
func (p *Postfix) LogTail(n int) string { return logTail(p.LogFile, n) }
