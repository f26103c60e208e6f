package redact

import (
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestText(t *testing.T) {
	sec := Secrets{User: "alice@mail.test", Password: "s3cret-Passw0rd", Tokens: []string{"ya29.a0AfH6SMBx-token"}}
	cases := []struct {
		name, in string
		gone     []string // must not survive
		keep     []string // must survive
	}{
		{"SMTP echoes AUTH PLAIN",
			"535 5.7.8 Error: authentication failed: " + b64("\x00alice@mail.test\x00s3cret-Passw0rd"),
			[]string{b64("\x00alice@mail.test\x00s3cret-Passw0rd")}, []string{"535 5.7.8 Error: authentication failed: " + Mask}},
		{"PLAIN with an authorization identity",
			"NO " + b64("alice@mail.test\x00alice@mail.test\x00s3cret-Passw0rd"),
			[]string{b64("alice@mail.test\x00alice@mail.test\x00s3cret-Passw0rd")}, []string{"NO " + Mask}},
		{"PLAIN without padding",
			"-ERR bad " + base64.RawStdEncoding.EncodeToString([]byte("\x00alice\x00s3cret-Passw0rd")),
			[]string{base64.RawStdEncoding.EncodeToString([]byte("\x00alice\x00s3cret-Passw0rd"))}, []string{"-ERR bad "}},
		{"AUTH LOGIN pieces",
			"535 bad credentials " + b64("alice@mail.test") + " / " + b64("s3cret-Passw0rd"),
			[]string{b64("alice@mail.test"), b64("s3cret-Passw0rd")}, []string{"535 bad credentials "}},
		{"password in the clear", "-ERR no such password: s3cret-Passw0rd, sorry",
			[]string{"s3cret-Passw0rd"}, []string{"-ERR no such password: " + Mask + ", sorry"}},
		{"XOAUTH2", "NO [AUTHENTICATIONFAILED] " + b64("user=alice@mail.test\x01auth=Bearer ya29.a0AfH6SMBx-token\x01\x01"),
			[]string{b64("user=alice@mail.test\x01auth=Bearer ya29.a0AfH6SMBx-token\x01\x01"), "ya29"}, []string{"[AUTHENTICATIONFAILED]"}},
		{"token in the clear", "invalid token ya29.a0AfH6SMBx-token", []string{"ya29.a0AfH6SMBx-token"}, []string{"invalid token"}},
		{"unknown base64 after AUTH", "AUTH PLAIN dGVzdAB0ZXN0AHRlc3RwYXNz failed",
			[]string{"dGVzdAB0ZXN0AHRlc3RwYXNz"}, []string{"AUTH PLAIN ", " failed"}},
		{"unknown bearer token", "Authorization: Bearer abc.DEF-123_xyz", []string{"abc.DEF-123_xyz"}, []string{"Bearer "}},
		{"ordinary text stays", "NO [AUTHENTICATIONFAILED] Authentication failed.", nil,
			[]string{"NO [AUTHENTICATIONFAILED] Authentication failed."}},
		{"long words after AUTH stay", "535 5.7.8 authentication failed: UnrecognizedAuthenticationType", nil,
			[]string{"authentication failed:"}},
		{"no AUTH word, no guessing", "550 5.1.1 <bob@mail.test>: Recipient address rejected: dGVzdAB0ZXN0AHRlc3RwYXNz", nil,
			[]string{"dGVzdAB0ZXN0AHRlc3RwYXNz"}},
		{"user name alone stays", "imap login as alice@mail.test: NO refused", nil, []string{"alice@mail.test"}},
		{"IMAP-quoted password", `NO you said "p\"w\\d1"`, []string{`p\"w\\d1`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := sec
			if tc.name == "IMAP-quoted password" {
				s.Password = `p"w\d1`
			}
			got := Text(tc.in, s)
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("%q still holds %q", got, g)
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("%q lost %q", got, k)
				}
			}
		})
	}
}

func TestError(t *testing.T) {
	sec := Secrets{User: "alice", Password: "hunter22"}
	plain := io.EOF
	if Error(plain, sec) != plain {
		t.Fatal("an error with nothing to hide was wrapped")
	}
	cause := errors.New("-ERR wrong password hunter22")
	err := Error(cause, sec)
	if strings.Contains(err.Error(), "hunter22") || !errors.Is(err, cause) {
		t.Fatalf("got %q (is cause: %v)", err, errors.Is(err, cause))
	}
	if Error(nil, sec) != nil {
		t.Fatal("nil became an error")
	}
}

// A secret that shares letters with the mask: masking alone would rebuild it.
func TestSecretInsideMask(t *testing.T) {
	for _, pw := range []string{"ted]", "d]d]", "[redacted]", "acted]x", "d]zz"} {
		for _, in := range []string{pw, "x" + pw + pw + "y", "[redacte" + pw, "d]" + pw, pw + "zz", "[redacted]" + pw} {
			if got := Text(in, Secrets{Password: pw}); strings.Contains(got, pw) {
				t.Errorf("password %q, text %q: got %q", pw, in, got)
			}
		}
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("535 5.7.8 Error: authentication failed: ", "alice@mail.test", "s3cret-Passw0rd", 0)
	f.Add("-ERR [AUTH] no such password: ", "alice", "hunter22", 1)
	f.Add("NO ", "bob", "ted]", 2)
	f.Add("AUTH PLAIN ", "u", "d]d]d]", 3)
	f.Add("d]", "", "d]zz", 4)
	f.Fuzz(func(t *testing.T, text, user, pw string, where int) {
		if len(pw) < 4 {
			return
		}
		sec := Secrets{User: user, Password: pw}
		// The server text with the secret, or one of its encodings, put in somewhere.
		forms := []string{pw, b64(pw), b64("\x00" + user + "\x00" + pw), b64("user=" + user + "\x01auth=Bearer " + pw + "\x01\x01")}
		if where < 0 {
			where = -where
		}
		form := forms[where%len(forms)]
		at := 0
		if len(text) > 0 {
			at = where % (len(text) + 1)
		}
		in := text[:at] + form + text[at:]
		got := Text(in, sec)
		if strings.Contains(got, pw) {
			t.Fatalf("Text(%q) = %q holds the password", in, got)
		}
		for _, f := range forms[1:] {
			if strings.Contains(got, f) {
				t.Fatalf("Text(%q) = %q holds %q", in, got, f)
			}
		}
		// Idempotent: redacting again changes nothing that matters.
		if again := Text(got, sec); strings.Contains(again, pw) {
			t.Fatalf("second pass %q", again)
		}
	})
}
