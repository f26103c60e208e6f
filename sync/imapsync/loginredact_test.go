package imapsync

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/types"
)

// echoingIMAP is a server on 127.0.0.2 that refuses every login and quotes in its NO what it was
// sent: the LOGIN arguments, or the AUTHENTICATE PLAIN response when LOGINDISABLED is set.
func echoingIMAP(t *testing.T, loginDisabled bool) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	caps := "IMAP4rev1 AUTH=PLAIN"
	if loginDisabled {
		caps += " LOGINDISABLED"
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				r := bufio.NewReader(c)
				write := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
				write("* OK [CAPABILITY " + caps + "] ready")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
					verb, args, _ := strings.Cut(rest, " ")
					switch strings.ToUpper(verb) {
					case "CAPABILITY":
						write("* CAPABILITY " + caps)
						write(tag + " OK done")
					case "LOGIN":
						write(tag + " NO [AUTHENTICATIONFAILED] no such login: " + args)
					case "AUTHENTICATE":
						resp := ""
						if f := strings.Fields(args); len(f) == 2 {
							resp = f[1]
						} else {
							write("+ ")
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							resp = strings.TrimSpace(l)
						}
						write(tag + " NO [AUTHENTICATIONFAILED] authentication failed: " + resp)
					case "LOGOUT":
						write("* BYE")
						write(tag + " OK bye")
						return
					default:
						write(tag + " BAD unknown")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLoginErrorIsRedacted: a server that quotes the password or the AUTHENTICATE PLAIN string in
// its NO gets neither into the login error.
func TestLoginErrorIsRedacted(t *testing.T) {
	const user, pw = "alice", "Sesame-0pen-42"
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pw))
	for _, loginDisabled := range []bool{false, true} {
		name := map[bool]string{false: "LOGIN", true: "AUTHENTICATE PLAIN"}[loginDisabled]
		t.Run(name, func(t *testing.T) {
			port := echoingIMAP(t, loginDisabled)
			acc := types.Account{
				Name: "echo", Kind: types.IMAP, Email: "alice@mail.test",
				Incoming: types.Server{Host: "127.0.0.2", Port: port, Security: types.SecurityPlain, User: user},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			opt := defaultOptions()
			opt.cmdTimeout = 10 * time.Second
			_, err := testWith(ctx, acc, pw, opt)
			if err == nil {
				t.Fatal("login succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, pw) || strings.Contains(msg, plain) {
				t.Fatalf("the error holds the credentials: %s", msg)
			}
			if !strings.Contains(msg, "AUTHENTICATIONFAILED") || !strings.Contains(msg, "[redacted]") {
				t.Fatalf("the server's refusal is not shown: %s", msg)
			}
			if accounts.Diagnose(err) != types.ProblemAuth {
				t.Errorf("diagnosed as %q", accounts.Diagnose(err))
			}
		})
	}
}
