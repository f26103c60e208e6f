package pop3sync

import (
	"bytes"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"postbode/accounts"
	"postbode/internal/testkit/pop3test"
	"postbode/types"
)

// unicodeMail has raw UTF-8 in its header (RFC 6532), as Courier flags "Unicode-formatted".
func unicodeMail(uidl string) pop3test.Message {
	return pop3test.Message{UIDL: uidl, Data: []byte("From: Jürgen <jürgen@bücher.test>\r\nTo: alice@mail.test\r\n" +
		"Subject: Grüße aus Köln — 東京\r\nMessage-ID: <" + uidl + "@mail.test>\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Tschüss!\r\n")}
}

// TestUTF8ModeWithCourier: a POP3 server that lists UTF8 in CAPA and serves Unicode messages only
// in UTF-8 mode (as Courier does) gets the UTF8 command, so the message stored is the original with
// its UTF-8 Subject, not the "Cannot display Unicode content" substitute; with the delete policy
// the server's copy is gone, so this is the only chance to get it.
func TestUTF8ModeWithCourier(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts pop3test.Options
	}{
		{"UTF8 before login", pop3test.Options{UTF8: true}},
		{"UTF8 only after login", pop3test.Options{UTF8: true, UTF8AfterLoginOnly: true}},
		{"UTF8 before AUTH PLAIN", pop3test.Options{UTF8: true, NoUSER: true, SASLPlain: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := unicodeMail("u1")
			s := pop3test.StartT(t, tc.opts, orig, mail("a2", "plain ascii"))
			h := fakeHarness(t, s, types.LeaveDelete)
			h.mustSync()
			if len(commandsLike(s, "UTF8")) == 0 {
				t.Errorf("UTF8 was never sent: %q", s.Commands())
			}
			if n := len(s.Messages()); n != 0 {
				t.Fatalf("%d messages left on the server", n)
			}
			var got []string
			for _, m := range h.inbox() {
				got = append(got, m.Subject)
				if m.UIDL != "u1" {
					continue
				}
				raw, err := h.cache.Body(context.Background(), m.BodyKey)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(raw, orig.Data) {
					t.Errorf("stored message is not the original:\n%s", raw)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, []string{"Grüße aus Köln — 東京", "plain ascii"}) {
				t.Fatalf("subjects %q", got)
			}
		})
	}

	t.Run("not sent to a server without UTF8", func(t *testing.T) {
		s := pop3test.StartT(t, pop3test.Options{}, mail("a", "one"))
		h := fakeHarness(t, s, types.LeaveKeep)
		h.mustSync()
		if c := commandsLike(s, "UTF8"); len(c) != 0 {
			t.Fatalf("sent %q", c)
		}
	})
}

// TestLoginErrorIsRedacted: a server that quotes the password (after PASS) or the AUTH PLAIN
// string in its -ERR gets neither into the sync error or the events.
func TestLoginErrorIsRedacted(t *testing.T) {
	const pw = "wrong-Horse-9"
	plain := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + pw))
	for _, tc := range []struct {
		name string
		opts pop3test.Options
	}{
		{"PASS", pop3test.Options{AuthFail: "[AUTH] no such password: {pass}"}},
		{"AUTH PLAIN", pop3test.Options{NoUSER: true, SASLPlain: true, AuthFail: "[AUTH] Authentication failed: {auth}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pop3test.StartT(t, tc.opts)
			h := newHarness(t, openCache(t, t.TempDir()), fakeAccount(s, types.SecurityPlain, types.LeaveKeep), pw)
			err := h.sync()
			if err == nil {
				t.Fatal("login succeeded")
			}
			texts := []string{err.Error()}
			for _, ev := range h.ev.Take() {
				switch e := ev.(type) {
				case types.Error:
					texts = append(texts, e.Err.Error())
				case types.ConnState:
					if e.Err != nil {
						texts = append(texts, e.Err.Error())
					}
				}
			}
			for _, text := range texts {
				if strings.Contains(text, pw) || strings.Contains(text, plain) {
					t.Errorf("holds the credentials: %s", text)
				}
			}
			if !strings.Contains(err.Error(), "[AUTH]") || !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("the server's refusal is not shown: %v", err)
			}
			if accounts.Diagnose(err) != types.ProblemAuth {
				t.Errorf("diagnosed as %q", accounts.Diagnose(err))
			}
			// The server did get the credentials: the checks above could fail.
			if cmds := strings.Join(s.Commands(), "\n"); !strings.Contains(cmds, pw) && !strings.Contains(cmds, plain) {
				t.Fatalf("credentials never sent: %s", cmds)
			}
		})
	}
}
