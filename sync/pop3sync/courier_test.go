package pop3sync

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"postbode/types"
)

// courierPOP3 serves POP3 on 127.0.0.2 with Courier's own pop3d (the TRANSACTION state: it lists
// the maildrop, serves RETR, and wraps Unicode messages unless UTF8 was given). The AUTHORIZATION
// state is done here the way Courier's pop3login does it: USER/PASS, and UTF8 before login
// (unless utf8BeforeLogin is false), handed to pop3d in the UTF8 environment variable.
//
// Courier conflicts with Dovecot and is not installed; scripts/courier-root.sh extracts its
// binaries into a directory that POSTBODE_COURIER_ROOT names (make test does this).
func courierPOP3(t *testing.T, maildir string, utf8BeforeLogin bool) int {
	t.Helper()
	root := os.Getenv("POSTBODE_COURIER_ROOT")
	if root == "" {
		// make test extracts it (scripts/courier-root.sh); under CI a missing server is a failure.
		if os.Getenv("CI") == "true" {
			t.Fatal("POSTBODE_COURIER_ROOT is not set (a directory with Courier's packages extracted)")
		}
		t.Skip("POSTBODE_COURIER_ROOT is not set: run make test, or scripts/courier-root.sh DIR")
	}
	pop3d := filepath.Join(root, "usr/lib/courier/courier/courierpop3d")
	if _, err := os.Stat(pop3d); err != nil {
		t.Fatalf("no Courier pop3d: %v", err)
	}
	libs := strings.Join([]string{
		filepath.Join(root, "usr/lib"), filepath.Join(root, "usr/lib/x86_64-linux-gnu"),
		filepath.Join(root, "usr/lib/courier-authlib"),
	}, ":")
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go courierSession(c, pop3d, libs, maildir, utf8BeforeLogin)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func courierSession(c net.Conn, pop3d, libs, maildir string, utf8BeforeLogin bool) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	write := func(lines ...string) { _, _ = c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")) }
	write("+OK Hello there.")
	user, utf8 := "", "0"
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		switch strings.ToUpper(verb) {
		case "CAPA":
			write("+OK Here's what I can do:", "TOP", "USER", "PIPELINING", "UIDL", "UTF8 USER", "IMPLEMENTATION Courier Mail Server", ".")
		case "UTF8":
			if !utf8BeforeLogin {
				write("-ERR Invalid command.")
				continue
			}
			utf8 = "1"
			write("+OK UTF8 enabled")
		case "USER":
			user = arg
			write("+OK Password required.")
		case "PASS":
			if user != "alice" || arg != "alice-secret-pw" {
				write("-ERR Login failed.")
				continue
			}
			// pop3d answers PASS itself ("+OK logged in.") and runs the rest of the session.
			cmd := exec.Command(pop3d)
			cmd.Env = []string{"LD_LIBRARY_PATH=" + libs, "TCPREMOTEIP=127.0.0.1", "AUTHENTICATED=alice",
				"MAILDIR=" + maildir, "ENABLE_UTF8_COMPLIANCE=1", "UTF8=" + utf8}
			buffered, _ := r.Peek(r.Buffered())
			cmd.Stdin = io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), c)
			cmd.Stdout = c
			_ = cmd.Run()
			return
		case "QUIT":
			write("+OK Better luck next time.")
			return
		default:
			write("-ERR Invalid command.")
		}
	}
}

// TestCourierUTF8 runs the engine against Courier's pop3d with the delete policy: the message with
// a UTF-8 header is stored as it is in the maildir, not as Courier's "Cannot display Unicode
// content" substitute, and is then deleted from the server.
func TestCourierUTF8(t *testing.T) {
	msg := []byte("From: J\u00fcrgen <juergen@mail.test>\nTo: alice@mail.test\nSubject: Gr\u00fc\u00dfe aus K\u00f6ln\n" +
		"Message-ID: <courier-1@mail.test>\nDate: Mon, 2 Mar 2026 10:00:00 +0100\nMIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n\nTsch\u00fcss!\n")
	for _, before := range []bool{true, false} {
		name := map[bool]string{true: "UTF8 before login", false: "UTF8 after login (pop3d)"}[before]
		t.Run(name, func(t *testing.T) {
			maildir := t.TempDir()
			for _, d := range []string{"new", "cur", "tmp"} {
				if err := os.Mkdir(filepath.Join(maildir, d), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			file := filepath.Join(maildir, "new", "1772442000.M1P1.mail.test")
			if err := os.WriteFile(file, msg, 0o600); err != nil {
				t.Fatal(err)
			}
			port := courierPOP3(t, maildir, before)
			acc := types.Account{
				Name: "courier", Kind: types.POP3, Email: "alice@mail.test",
				Incoming: types.Server{Host: "fake.mail.test", Port: port, Security: types.SecurityPlain, User: "alice"},
				POP3:     types.POP3Policy{Leave: types.LeaveDelete},
			}
			h := newHarness(t, openCache(t, t.TempDir()), acc, "alice-secret-pw")
			h.mustSync()
			inbox := h.inbox()
			if len(inbox) != 1 || inbox[0].Subject != "Gr\u00fc\u00dfe aus K\u00f6ln" {
				t.Fatalf("inbox %+v", inbox)
			}
			raw, err := h.cache.Body(context.Background(), inbox[0].BodyKey)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, served(msg)) {
				t.Fatalf("stored message is not the original:\n%s", raw)
			}
			left, _ := filepath.Glob(filepath.Join(maildir, "*", "*"))
			if len(left) != 0 {
				t.Fatalf("left on the server: %v", left)
			}
		})
	}
}
