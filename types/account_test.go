package types

import (
	"encoding/json"
	"strings"
	"testing"

	"postbode/mailfmt"
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

// A reply goes out from the identity the message was addressed to; addresses compare in any
// case; identities are checked when the account is.
func TestIdentities(t *testing.T) {
	acc := Account{
		Name: "work", Kind: IMAP, Email: "me@example.org", DisplayName: "Me", Signature: "Me",
		Incoming: Server{Host: "mail.example.org", Port: 993, Security: SecurityTLS},
		Identities: []Identity{
			{Name: "Sales", Email: "sales@example.org", ReplyTo: "team@example.org", Signature: "Sales team"},
			{Name: "Me (private)", Email: "me@private.example"},
		},
	}
	if err := acc.Validate(); err != nil {
		t.Fatal(err)
	}
	if all := acc.AllIdentities(); len(all) != 3 || all[0].Email != "me@example.org" || all[0].Signature != "Me" {
		t.Fatalf("AllIdentities = %+v", all)
	}
	addr := func(emails ...string) []mailfmt.Address {
		var out []mailfmt.Address
		for _, e := range emails {
			out = append(out, mailfmt.Address{Email: e})
		}
		return out
	}
	for _, c := range []struct {
		to, cc []mailfmt.Address
		want   string
	}{
		{addr("SALES@example.org"), nil, "sales@example.org"},
		{addr("bob@example.org"), addr("me@private.example"), "me@private.example"},
		{addr("list@lists.example"), nil, "me@example.org"},
		{addr("me@example.org", "sales@example.org"), nil, "me@example.org"},
	} {
		if got := acc.ReplyIdentity(c.to, c.cc); got.Email != c.want {
			t.Errorf("ReplyIdentity(%v, %v) = %s, want %s", c.to, c.cc, got.Email, c.want)
		}
	}
	for _, bad := range [][]Identity{
		{{Email: "not-an-address"}},
		{{Email: "Me@Example.org"}},
		{{Email: "a@example.org"}, {Email: "A@example.org"}},
		{{Email: "a@example.org", ReplyTo: "nobody"}},
	} {
		a := acc
		a.Identities = bad
		if err := a.Validate(); err == nil {
			t.Errorf("identities %+v accepted", bad)
		}
	}
}

// The Local account has a name and nothing else: no servers, no address, nothing to send from.
func TestLocalAccount(t *testing.T) {
	local := Account{Name: LocalAccountName, Kind: Local}
	if err := local.WithDefaults().Validate(); err != nil {
		t.Errorf("the Local account: %v", err)
	}
	if d := local.WithDefaults(); d.POP3 != (POP3Policy{}) || d.DisplayName != "" || len(local.AllIdentities()) != 0 || local.Sends() {
		t.Errorf("the Local account has defaults, identities or sends: %+v", local.WithDefaults())
	}
	if (local.ReplyIdentity() != Identity{}) {
		t.Errorf("reply identity of the Local account: %+v", local.ReplyIdentity())
	}
	withServer := local
	withServer.Incoming = Server{Host: "mail.example.org", Port: 993, Security: SecurityTLS}
	if withServer.Validate() == nil {
		t.Error("a Local account with a server was accepted")
	}
}
