package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func listAccounts(t *testing.T, profile string) []accountJSON {
	t.Helper()
	code, out, errOut := run(t, profile, "", "account", "list", "--json")
	var list []accountJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("account list: %d %q %s", code, out, errOut)
	}
	return list
}

// Plaintext goes only to this computer or the local network (the wizard's rule, in accounts), is
// warned about, and is never chosen for SMTP because the incoming server uses it.
func TestAccountAddPlaintextRule(t *testing.T) {
	add := func(profile, name string, extra ...string) (int, string) {
		args := append([]string{"account", "add", "--name", name, "--email", "me@mail.test"}, extra...)
		code, _, errOut := run(t, profile, "", args...)
		return code, errOut
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"remote", []string{"--host", "mail.example.org", "--security", "plain"}},
		{"public-ip", []string{"--host", "203.0.113.7", "--security", "plain", "--smtp-security", "tls"}},
		{"remote-smtp", []string{"--host", "mail.example.org", "--smtp-security", "plain"}},
		{"remote-smtp-host", []string{"--host", "127.0.0.1", "--security", "plain", "--smtp-host", "smtp.example.org", "--smtp-security", "plain"}},
	} {
		profile := t.TempDir()
		code, errOut := add(profile, tc.name, tc.args...)
		if code != 2 || !strings.Contains(errOut, "unencrypted (plain) connections are allowed only to a server on this computer or your local network") {
			t.Errorf("%s: exit %d, %q", tc.name, code, errOut)
		}
		if list := listAccounts(t, profile); len(list) != 0 {
			t.Errorf("%s: the account was saved: %+v", tc.name, list)
		}
	}

	profile := t.TempDir()
	// Loopback: allowed with a warning; SMTP stays encrypted unless asked.
	code, errOut := add(profile, "local", "--host", "127.0.0.1", "--security", "plain")
	if code != 0 || !strings.Contains(errOut, "warning: the incoming server 127.0.0.1:143 (plain) is unencrypted") ||
		strings.Contains(errOut, "SMTP server") {
		t.Fatalf("loopback plain: exit %d, %q", code, errOut)
	}
	// A LAN host, both servers plain by explicit choice: allowed, both warned about.
	code, errOut = add(profile, "nas", "--host", "192.168.1.20", "--security", "plain", "--smtp-security", "plain")
	if code != 0 || !strings.Contains(errOut, "incoming server 192.168.1.20:143 (plain)") ||
		!strings.Contains(errOut, "SMTP server 192.168.1.20:587 (plain)") {
		t.Fatalf("LAN plain: exit %d, %q", code, errOut)
	}
	// STARTTLS incoming keeps STARTTLS for SMTP, on the submission port.
	if code, errOut = add(profile, "st", "--host", "mail.example.org", "--security", "starttls"); code != 0 || errOut != "" {
		t.Fatalf("starttls: exit %d, %q", code, errOut)
	}
	want := map[string][2]string{
		"local": {"127.0.0.1:143 (plain)", "127.0.0.1:465 (tls)"},
		"nas":   {"192.168.1.20:143 (plain)", "192.168.1.20:587 (plain)"},
		"st":    {"mail.example.org:143 (starttls)", "mail.example.org:587 (starttls)"},
	}
	list := listAccounts(t, profile)
	if len(list) != len(want) {
		t.Fatalf("accounts: %+v", list)
	}
	for _, a := range list {
		if w := want[a.Name]; a.Incoming != w[0] || a.Outgoing != w[1] {
			t.Errorf("%s: incoming %q outgoing %q, want %q", a.Name, a.Incoming, a.Outgoing, w)
		}
	}
}
