package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"postbode/internal/testkit/testbed"
)

// mbsyncSetup is a fresh mbsync configuration and maildir for one run.
type mbsyncSetup struct {
	dir, rc, maildir string
}

// newMbsync writes an mbsync configuration a user would write for this server: IMAPS with the test
// bed's CA, every folder mirrored into a local maildir, two-way sync, nothing expunged.
func newMbsync(dir string, tb *testbed.Dovecot, user, password string) (*mbsyncSetup, error) {
	s := &mbsyncSetup{dir: dir, rc: filepath.Join(dir, "mbsyncrc"), maildir: filepath.Join(dir, "mail")}
	if err := os.MkdirAll(s.maildir, 0o700); err != nil {
		return nil, fmt.Errorf("mbsync dir: %w", err)
	}
	// "localhost" is a DNS name in the server certificate; isync does not match IP addresses.
	rc := fmt.Sprintf(`IMAPAccount bench
Host localhost
Port %d
User %s
Pass %s
SSLType IMAPS
CertificateFile %s
SystemCertificates no

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns *
Create Near
Sync All
Expunge None
SyncState *
`, tb.IMAPSPort, user, password, tb.CAFile, s.maildir, s.maildir)
	if err := os.WriteFile(s.rc, []byte(rc), 0o600); err != nil {
		return nil, fmt.Errorf("mbsync config: %w", err)
	}
	return s, nil
}

// settle waits until the maildir was last changed over a second ago. mbsync sleeps when a maildir
// changed within the current second ("sleeping due to recent directory modification", a guard
// against mtime races); a real resync minutes later never does, so neither should the measurement.
func (s *mbsyncSetup) settle() {
	var newest time.Time
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if st, err := os.Stat(filepath.Join(s.maildir, "INBOX", sub)); err == nil && st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	if wait := time.Until(newest.Add(1100 * time.Millisecond)); wait > 0 {
		time.Sleep(wait)
	}
}

func (s *mbsyncSetup) spec(name, logFile string) procSpec {
	return procSpec{Name: name, Args: []string{"mbsync", "-q", "-c", s.rc, "-a"}, Dir: s.dir, LogFile: logFile,
		Env: []string{"HOME=" + s.dir}}
}

// inboxCount counts the messages mbsync wrote to the local INBOX.
func (s *mbsyncSetup) inboxCount() (int, error) {
	n := 0
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(s.maildir, "INBOX", sub))
		if err != nil {
			return 0, fmt.Errorf("mbsync maildir: %w", err)
		}
		n += len(ents)
	}
	return n, nil
}

// fetchmailSetup is a fresh fetchmail configuration for one run.
type fetchmailSetup struct {
	dir, rc, idFile, sink string
}

// fetchmailDelivery is how fetchmail hands over each message without an MTA: by default it appends
// every message to one BSMTP batch file (the fastest way fetchmail can deliver); with
// BENCH_FETCHMAIL_MDA=1 it pipes each one to an MDA, a shell running cat, as a procmail-less set-up
// would (about ten times slower: one shell per message).
func fetchmailDelivery(sink string, mda bool) string {
	if mda {
		return fmt.Sprintf(`mda "cat >> %s"`, sink)
	}
	return fmt.Sprintf(`bsmtp "%s"`, sink)
}

// newFetchmail writes an rc file for POP3S with the test bed's CA, keeping mail on the server and
// remembering UIDLs.
func newFetchmail(dir string, tb *testbed.Dovecot, user, password string, mda bool) (*fetchmailSetup, error) {
	s := &fetchmailSetup{dir: dir, rc: filepath.Join(dir, "fetchmailrc"), idFile: filepath.Join(dir, "fetchids"),
		sink: filepath.Join(dir, "fetched")}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("fetchmail dir: %w", err)
	}
	rc := fmt.Sprintf(`set no syslog
set idfile "%s"
poll 127.0.0.1 with proto POP3 port %d uidl
  user "%s" there with password "%s"
  options keep ssl sslcertck sslcertfile "%s" sslcommonname "%s"
  %s
`, s.idFile, tb.POP3SPort, user, password, tb.CAFile, tb.ServerName, fetchmailDelivery(s.sink, mda))
	if err := os.WriteFile(s.rc, []byte(rc), 0o600); err != nil {
		return nil, fmt.Errorf("fetchmail config: %w", err)
	}
	return s, nil
}

func (s *fetchmailSetup) spec(name, logFile string) procSpec {
	return procSpec{Name: name, Args: []string{"fetchmail", "--nodetach", "-f", s.rc}, Dir: s.dir, LogFile: logFile,
		Env: []string{"FETCHMAILHOME=" + s.dir, "HOME=" + s.dir}, OKCodes: []int{1}, Timeout: 20 * time.Minute}
}

// fetched returns how many UIDLs fetchmail remembers and how many bytes its MDA wrote.
func (s *fetchmailSetup) fetched() (uidls int, bytes int64, err error) {
	f, err := os.Open(s.idFile)
	if err != nil {
		return 0, 0, fmt.Errorf("fetchmail id file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			uidls++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("fetchmail id file: %w", err)
	}
	if st, err := os.Stat(s.sink); err == nil {
		bytes = st.Size()
	}
	return uidls, bytes, nil
}

// versionRE finds a version number such as 2.3.19.1 in a program's version output.
var versionRE = regexp.MustCompile(`\d+(\.\d+)+`)

// version returns the version number a program prints on stdout ("unknown" when it prints none).
func version(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).Output()
	return versionOf(string(out))
}

func versionOf(out string) string {
	if v := versionRE.FindString(out); v != "" {
		return v
	}
	return "unknown"
}
