package types

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPlainAllowed(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST.": true, "imap.localhost": true,
		"192.168.1.10": true, "10.0.0.5": true, "172.16.3.4": true, "fd12::1": true, "169.254.1.1": true, "fe80::1": true,
		"::ffff:192.168.1.10": true, "nas": true, "nas.local": true, "mail.lan": true, "box.home.arpa": true,
		"mail.example.org": false, "8.8.8.8": false, "203.0.113.7": false, "2001:db8::1": false, "": false,
		"local": true, ".local": false, "mail.test": false, "172.32.0.1": false, "127.0.0.1:25": false,
	} {
		if got := PlainAllowed(host); got != want {
			t.Errorf("PlainAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestAuthValidationAndJSON(t *testing.T) {
	base := Account{
		Name: "work", Kind: IMAP, Email: "me@example.org",
		Incoming: Server{Host: "outlook.office365.com", Port: 993, Security: SecurityTLS},
	}
	data, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "auth") {
		t.Errorf("a password account writes an auth key: %s", data)
	}
	oauth := base
	oauth.Auth = Auth{Method: AuthOAuth2, Provider: "microsoft"}
	if err := oauth.Validate(); err != nil {
		t.Fatalf("OAuth2 account: %v", err)
	}
	if !oauth.OAuth2() || oauth.SASLMechanism() != MechXOAUTH2 || base.OAuth2() {
		t.Errorf("OAuth2() / SASLMechanism() wrong: %v %q", oauth.OAuth2(), oauth.SASLMechanism())
	}
	data, _ = json.Marshal(oauth)
	var back Account
	if err := json.Unmarshal(data, &back); err != nil || back.Auth != oauth.Auth {
		t.Fatalf("round trip: %+v, %v (%s)", back.Auth, err, data)
	}
	for _, bad := range []Auth{
		{Method: AuthOAuth2},
		{Method: AuthOAuth2, Provider: "google", Mechanism: "PLAIN"},
		{Method: "kerberos"},
	} {
		a := base
		a.Auth = bad
		if err := a.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
