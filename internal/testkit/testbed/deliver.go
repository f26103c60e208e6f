package testbed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Deliver writes msgs straight into user's maildir folder, the fast path for
// filling a mailbox with thousands of messages. Dovecot picks them up on the
// next sync (an IDLEing session notices through inotify) and assigns UIDs in
// the order given. INBOX is the maildir root; a folder that does not exist
// yet is created and subscribed through doveadm first. Messages should use
// CRLF line ends: IMAP then serves them byte-identical.
func (d *Dovecot) Deliver(user, folder string, msgs ...[]byte) error {
	if d.Password(user) == "" {
		return fmt.Errorf("testbed: deliver: unknown user %q", user)
	}
	dir, err := d.folderPath(user, folder)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", "\\057", ":", "\\072").Replace(host)
	if host == "" {
		host = "testbed"
	}
	pid := os.Getpid()
	for i, msg := range msgs {
		name := d.maildirName(pid, host, len(msg))
		tmp := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(tmp, msg, 0o600); err != nil {
			return fmt.Errorf("testbed: deliver message %d: %w", i, err)
		}
		if err := os.Chown(tmp, d.mailUID, d.mailGID); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("testbed: deliver message %d: %w", i, err)
		}
		// rename makes the message appear whole, as the maildir spec asks.
		if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("testbed: deliver message %d: %w", i, err)
		}
	}
	return nil
}

// maildirName returns a unique maildir file name whose time stamp grows with
// every call: Dovecot sorts new files by that stamp when it assigns UIDs.
// S= carries the size so Dovecot need not stat the file.
func (d *Dovecot) maildirName(pid int, host string, size int) string {
	d.deliverMu.Lock()
	defer d.deliverMu.Unlock()
	now := time.Now().Truncate(time.Microsecond)
	if !now.After(d.lastStamp) {
		now = d.lastStamp.Add(time.Microsecond)
	}
	d.lastStamp = now
	d.deliverQ++
	return fmt.Sprintf("%d.M%dP%dQ%d.%s,S=%d", now.Unix(), now.Nanosecond()/1000, pid, d.deliverQ, host, size)
}

// folderPath returns the maildir directory of a folder, creating the folder
// if needed. The mapping from name to directory (Maildir++ ".A.B", modified
// UTF-7) is Dovecot's, asked once through doveadm and cached.
func (d *Dovecot) folderPath(user, folder string) (string, error) {
	if folder == "" || strings.EqualFold(folder, "INBOX") {
		return d.MaildirPath(user), nil
	}
	key := user + "\x00" + folder
	d.deliverMu.Lock()
	dir, ok := d.folderDir[key]
	d.deliverMu.Unlock()
	if ok {
		if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
			return dir, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := d.Doveadm(ctx, "mailbox", "path", "-u", user, folder)
	if err != nil {
		return "", err
	}
	dir = strings.TrimSpace(string(out))
	root := d.MaildirPath(user)
	if !strings.HasPrefix(dir, root+string(filepath.Separator)) {
		return "", fmt.Errorf("testbed: folder %q maps to %q, outside %s", folder, dir, root)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); errors.Is(err, os.ErrNotExist) {
		if err := d.CreateMailbox(user, folder); err != nil {
			// A concurrent Deliver may have created it first.
			if _, statErr := os.Stat(filepath.Join(dir, "new")); statErr != nil {
				return "", err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		return "", fmt.Errorf("testbed: folder %q: %w", folder, err)
	}
	d.deliverMu.Lock()
	d.folderDir[key] = dir
	d.deliverMu.Unlock()
	return dir, nil
}

// DeliverLMTP delivers msg to user's INBOX over LMTP, as an MTA would: the
// message gets a Return-Path and Delivered-To header, and IDLE sessions are
// woken as for real mail. Bare LF line ends are sent as CRLF.
func (d *Dovecot) DeliverLMTP(ctx context.Context, user string, msg []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	conn, err := d.dial(ctx, d.LMTPPort, false)
	if err != nil {
		return fmt.Errorf("testbed: lmtp dial: %w", err)
	}
	defer conn.Close()
	// Cancel interrupts blocked reads and writes.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	reply := func(step string, want byte) error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("testbed: lmtp %s: %w", step, err)
			}
			if len(line) < 4 || line[0] != want {
				return fmt.Errorf("testbed: lmtp %s: %s", step, strings.TrimSpace(line))
			}
			if line[3] != '-' { // last line of a multi-line reply
				return nil
			}
		}
	}
	cmd := func(step, line string, want byte) error {
		if _, err := w.WriteString(line + "\r\n"); err != nil {
			return fmt.Errorf("testbed: lmtp %s: %w", step, err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("testbed: lmtp %s: %w", step, err)
		}
		return reply(step, want)
	}
	if err := reply("greeting", '2'); err != nil {
		return err
	}
	if err := cmd("LHLO", "LHLO testbed.mail.test", '2'); err != nil {
		return err
	}
	if err := cmd("MAIL", "MAIL FROM:<sender@mail.test> BODY=8BITMIME", '2'); err != nil {
		return err
	}
	if err := cmd("RCPT", "RCPT TO:<"+user+"@mail.test>", '2'); err != nil {
		return err
	}
	if err := cmd("DATA", "DATA", '3'); err != nil {
		return err
	}
	if _, err := w.Write(dotStuff(msg)); err != nil {
		return fmt.Errorf("testbed: lmtp data: %w", err)
	}
	if _, err := w.WriteString(".\r\n"); err != nil {
		return fmt.Errorf("testbed: lmtp data: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("testbed: lmtp data: %w", err)
	}
	// LMTP answers once per accepted recipient; there is one.
	if err := reply("delivery", '2'); err != nil {
		return err
	}
	_ = cmd("QUIT", "QUIT", '2')
	return nil
}

// dotStuff normalises line ends to CRLF, doubles a leading "." on every
// line and makes sure the data ends with CRLF, ready for the "." terminator.
func dotStuff(msg []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(msg) + len(msg)/50 + 8)
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		var line []byte
		if i < 0 {
			line, msg = msg, nil
		} else {
			line, msg = msg[:i], msg[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			b.WriteByte('.')
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}
