package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoConnections is returned by KillConnections when the user had no
// open connection to kick.
var ErrNoConnections = errors.New("testbed: no connections to kick")

// doveadmTimeout bounds the helpers that take no context.
const doveadmTimeout = 30 * time.Second

// Doveadm runs doveadm against this instance's config and returns its
// standard output. Mail commands work while the server is halted too.
func (d *Dovecot) Doveadm(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, d.doveadmBin, append([]string{"-c", d.ConfigFile}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"}
	cmd.Dir = d.Dir
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("testbed: doveadm %s: %w: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()+" "+stdout.String()))
	}
	return stdout.Bytes(), nil
}

func (d *Dovecot) doveadm(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), doveadmTimeout)
	defer cancel()
	return d.Doveadm(ctx, args...)
}

// KillConnections drops every IMAP and POP3 connection of user at once
// (doveadm kick), as a server restart or network cut would. It wraps
// ErrNoConnections when there was none.
func (d *Dovecot) KillConnections(user string) error {
	if _, err := d.doveadm("kick", user); err != nil {
		// Exit code 68 (EX_NOUSER): "no users kicked".
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 68 {
			return fmt.Errorf("%w for %q", ErrNoConnections, user)
		}
		return err
	}
	return nil
}

// Sessions returns how many IMAP and POP3 sessions user has open now.
func (d *Dovecot) Sessions(user string) (int, error) {
	out, err := d.doveadm("-f", "tab", "who", "-1", user)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if i == 0 || strings.TrimSpace(line) == "" { // header
			continue
		}
		n++
	}
	return n, nil
}

// CreateMailbox creates and subscribes a folder ("/"-separated by default).
func (d *Dovecot) CreateMailbox(user, folder string) error {
	_, err := d.doveadm("mailbox", "create", "-u", user, "-s", folder)
	return err
}

// DeleteMailbox deletes a folder with its messages and unsubscribes it.
func (d *Dovecot) DeleteMailbox(user, folder string) error {
	_, err := d.doveadm("mailbox", "delete", "-u", user, "-s", folder)
	if err == nil {
		d.deliverMu.Lock()
		delete(d.folderDir, user+"\x00"+folder)
		d.deliverMu.Unlock()
	}
	return err
}

// MailboxStatus is a folder's state as the server sees it.
type MailboxStatus struct {
	Messages, Unseen, UIDNext, UIDValidity uint32
	HighestModSeq                          uint64
}

// Status returns a folder's counters through doveadm, without IMAP.
func (d *Dovecot) Status(user, folder string) (MailboxStatus, error) {
	var st MailboxStatus
	out, err := d.doveadm("-f", "flow", "mailbox", "status", "-u", user,
		"messages unseen uidnext uidvalidity highestmodseq", folder)
	if err != nil {
		return st, err
	}
	for _, f := range strings.Fields(string(out)) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			continue // the mailbox name itself
		}
		switch k {
		case "messages":
			st.Messages = uint32(n)
		case "unseen":
			st.Unseen = uint32(n)
		case "uidnext":
			st.UIDNext = uint32(n)
		case "uidvalidity":
			st.UIDValidity = uint32(n)
		case "highestmodseq":
			st.HighestModSeq = n
		}
	}
	if st.UIDValidity == 0 {
		return st, fmt.Errorf("testbed: status of %q: unexpected output %q", folder, strings.TrimSpace(string(out)))
	}
	return st, nil
}

// RecreateMailbox empties a folder and gives it a new UIDVALIDITY, with UIDs
// starting again at 1, as when a server rebuilds or someone deletes and
// recreates a folder: an engine must drop what it cached. Other folders are
// deleted and created again. INBOX cannot be deleted, so its messages are
// expunged and its index and UID list removed while the user's sessions are
// kicked.
func (d *Dovecot) RecreateMailbox(user, folder string) error {
	if !strings.EqualFold(folder, "INBOX") {
		if err := d.DeleteMailbox(user, folder); err != nil {
			return err
		}
		return d.CreateMailbox(user, folder)
	}
	if _, err := d.doveadm("expunge", "-u", user, "mailbox", "INBOX", "all"); err != nil {
		return err
	}
	if err := d.KillConnections(user); err != nil && !errors.Is(err, ErrNoConnections) {
		return err
	}
	// A kicked session may still be writing its index for a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := d.Sessions(user)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testbed: recreate INBOX of %q: %d sessions still open", user, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	root := d.MaildirPath(user)
	for _, name := range []string{"dovecot-uidlist", "dovecot.index", "dovecot.index.log", "dovecot.index.log.2", "dovecot.index.cache"} {
		if err := os.Remove(filepath.Join(root, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("testbed: recreate INBOX of %q: %w", user, err)
		}
	}
	// Let Dovecot build the new index now rather than on first access. A client reconnecting at the
	// same moment can make the first look see the index half-built (UIDVALIDITY 0): look again.
	for {
		_, err := d.Status(user, "INBOX")
		if err == nil || time.Now().After(deadline.Add(5*time.Second)) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SetUIDValidity changes a folder's UIDVALIDITY and keeps its messages and
// UIDs: the subtle case where only UIDVALIDITY tells a client its cache is
// stale.
func (d *Dovecot) SetUIDValidity(user, folder string, uidValidity uint32) error {
	_, err := d.doveadm("mailbox", "update", "-u", user, "--uid-validity", strconv.FormatUint(uint64(uidValidity), 10), folder)
	return err
}

// AddFlags and RemoveFlags change flags of one message as another client
// would, e.g. AddFlags("alice", "INBOX", 3, `\Seen`).
func (d *Dovecot) AddFlags(user, folder string, uid uint32, flags ...string) error {
	return d.flags("add", user, folder, uid, flags)
}

// RemoveFlags is the counterpart of AddFlags.
func (d *Dovecot) RemoveFlags(user, folder string, uid uint32, flags ...string) error {
	return d.flags("remove", user, folder, uid, flags)
}

func (d *Dovecot) flags(op, user, folder string, uid uint32, flags []string) error {
	if len(flags) == 0 {
		return nil
	}
	_, err := d.doveadm("flags", op, "-u", user, strings.Join(flags, " "),
		"mailbox", folder, "uid", strconv.FormatUint(uint64(uid), 10))
	return err
}

// Expunge removes messages by UID as another client would.
func (d *Dovecot) Expunge(user, folder string, uids ...uint32) error {
	if len(uids) == 0 {
		return nil
	}
	set := make([]string, len(uids))
	for i, u := range uids {
		set[i] = strconv.FormatUint(uint64(u), 10)
	}
	_, err := d.doveadm("expunge", "-u", user, "mailbox", folder, "uid", strings.Join(set, ","))
	return err
}
