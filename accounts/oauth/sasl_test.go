package oauth

import (
	"encoding/base64"
	"testing"

	"github.com/emersion/go-sasl"
)

func TestInitialResponses(t *testing.T) {
	tests := []struct{ mech, user, want string }{
		{"XOAUTH2", "ann@example.com", "user=ann@example.com\x01auth=Bearer tok\x01\x01"},
		{"xoauth2", "ann@example.com", "user=ann@example.com\x01auth=Bearer tok\x01\x01"},
		{"OAUTHBEARER", "ann@example.com", "n,a=ann@example.com,\x01auth=Bearer tok\x01\x01"},
		{"OAUTHBEARER", "a,b=c", "n,a=a=2Cb=3Dc,\x01auth=Bearer tok\x01\x01"},
		{"OAUTHBEARER", "", "n,,\x01auth=Bearer tok\x01\x01"},
	}
	for _, tt := range tests {
		got, err := InitialResponse(tt.mech, tt.user, "tok")
		if err != nil || string(got) != tt.want {
			t.Errorf("InitialResponse(%s, %q) = %q, %v; want %q", tt.mech, tt.user, got, err, tt.want)
		}
	}
	// The POP3/IMAP base64 line of the example in Google's XOAUTH2 documentation.
	ir, _ := InitialResponse(XOAUTH2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
	const want = "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
	if got := base64.StdEncoding.EncodeToString(ir); got != want {
		t.Errorf("XOAUTH2 base64 = %s, want %s", got, want)
	}
	for _, bad := range []struct{ mech, user, token string }{
		{"PLAIN", "u", "t"},
		{XOAUTH2, "u\x01auth=Bearer x", "t"},
		{XOAUTH2, "u", "t\x01"},
		{OAUTHBEARER, "u", ""},
		{OAUTHBEARER, "u", "a b"},
	} {
		if _, err := NewSASLClient(bad.mech, bad.user, bad.token); err == nil {
			t.Errorf("NewSASLClient(%q, %q, %q) accepted", bad.mech, bad.user, bad.token)
		}
	}
}

// go-sasl's own OAUTHBEARER server must read what our client sends.
func TestOAuthBearerAgainstGoSASLServer(t *testing.T) {
	var got sasl.OAuthBearerOptions
	srv := sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		got = o
		return nil
	})
	c, err := NewSASLClient(OAUTHBEARER, "ann@example.com", "tok")
	if err != nil {
		t.Fatal(err)
	}
	_, ir, _ := c.Start()
	if _, done, err := srv.Next(ir); !done || err != nil {
		t.Fatalf("server: done %v, %v", done, err)
	}
	if got.Username != "ann@example.com" || got.Token != "tok" {
		t.Errorf("server read %+v", got)
	}
}

func TestSASLClientErrorChallenge(t *testing.T) {
	challenge := []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`)
	for mech, wantResp := range map[string]string{XOAUTH2: "", OAUTHBEARER: "\x01"} {
		c, err := NewSASLClient(mech, "ann@example.com", "tok")
		if err != nil {
			t.Fatal(err)
		}
		if m, _, _ := c.Start(); m != mech {
			t.Errorf("Start mech = %q", m)
		}
		if _, ok := SASLServerError(c); ok {
			t.Errorf("%s: error before any challenge", mech)
		}
		resp, err := c.Next(challenge)
		if err != nil || resp == nil || string(resp) != wantResp {
			t.Errorf("%s: Next = %q, %v; want %q so the exchange ends cleanly", mech, resp, err, wantResp)
		}
		se, ok := SASLServerError(c)
		if !ok || !se.TokenRefused() || se.Scope != "https://mail.google.com/" {
			t.Errorf("%s: server error = %+v, %v", mech, se, ok)
		}
		if _, err := c.Next(challenge); err == nil {
			t.Errorf("%s: second challenge accepted", mech)
		}
	}
	if _, ok := SASLServerError(sasl.NewPlainClient("", "u", "p")); ok {
		t.Error("SASLServerError on a foreign client")
	}
}

func TestParseServerError(t *testing.T) {
	raw := `{"status":"invalid_token","schemes":"bearer","scope":"s"}`
	tests := []struct {
		in      string
		status  string
		refused bool
	}{
		{raw, "invalid_token", true},
		{base64.StdEncoding.EncodeToString([]byte(raw)) + "\r\n", "invalid_token", true},
		{`{"status":"401","schemes":"bearer"}`, "401", true},
		{`{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`, "400", false},
		{`{"status":"insufficient_scope"}`, "insufficient_scope", false},
		{"not json", "", false},
		{"", "", false},
		{`{"status":401}`, "", false},
	}
	for _, tt := range tests {
		e := ParseServerError([]byte(tt.in))
		if e.Status != tt.status || e.TokenRefused() != tt.refused || e.Error() == "" {
			t.Errorf("ParseServerError(%q) = %+v (refused %v)", tt.in, e, e.TokenRefused())
		}
	}
}

func FuzzParseServerError(f *testing.F) {
	f.Add([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	f.Add([]byte("eyJzdGF0dXMiOiI0MDEifQ=="))
	f.Add([]byte(`{"status":`))
	f.Add([]byte{0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		e := ParseServerError(b)
		_ = e.Error()
		if e.TokenRefused() && e.Status != "401" && e.Status != "invalid_token" {
			t.Errorf("TokenRefused for status %q", e.Status)
		}
	})
}
