package oauth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "oauth.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRegistryOverrides(t *testing.T) {
	path := writeFile(t, `{"providers": [
		{"id": "microsoft", "client_id": "ms-from-file"},
		{"id": "corp", "name": "Corp", "auth_url": "https://idp.corp.example/auth",
		 "token_url": "https://idp.corp.example/token", "scopes": ["mail"], "hosts": ["corp.example"], "client_id": "c"}
	]}`)
	reg, err := NewRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := reg.Get("microsoft")
	if ms.ClientID != "ms-from-file" || !ms.Configured() || len(ms.Hosts) != 7 {
		t.Errorf("microsoft = %+v", ms)
	}
	if p, ok := reg.ForHost("imap.corp.example"); !ok || p.ID != "corp" || !p.Configured() {
		t.Errorf("corp = %+v, %v", p, ok)
	}
	if g, _ := reg.Get("google"); g.Configured() {
		t.Error("google has a client ID without ldflags or overrides")
	}
	if n := len(reg.Providers()); n != 3 {
		t.Errorf("%d providers, want 3", n)
	}
}

func TestRegistryLinkTimeClientIDs(t *testing.T) {
	old := [3]string{microsoftClientID, googleClientID, googleClientSecret}
	t.Cleanup(func() { microsoftClientID, googleClientID, googleClientSecret = old[0], old[1], old[2] })
	microsoftClientID, googleClientID, googleClientSecret = "ms-ldflags", "g-ldflags", "g-secret"

	reg, err := NewRegistry(writeFile(t, `{"providers": [{"id": "google", "client_id": "g-file"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := reg.Get("microsoft")
	g, _ := reg.Get("google")
	if ms.ClientID != "ms-ldflags" || g.ClientID != "g-file" || g.ClientSecret != "g-secret" {
		t.Errorf("microsoft %q, google %q/%q; want ldflags, file beats ldflags", ms.ClientID, g.ClientID, g.ClientSecret)
	}
}

func TestRegistryOverridesErrors(t *testing.T) {
	if _, err := NewRegistry(filepath.Join(t.TempDir(), "absent.json")); err != nil {
		t.Errorf("missing file: %v", err)
	}
	for name, content := range map[string]string{
		"malformed":        `{"providers": [`,
		"misspelt field":   `{"providers": [{"id": "microsoft", "clientid": "x"}]}`,
		"no id":            `{"providers": [{"client_id": "x"}]}`,
		"new without urls": `{"providers": [{"id": "corp", "client_id": "x"}]}`,
		"plain http":       `{"providers": [{"id": "corp", "auth_url": "http://idp.example/a", "token_url": "https://idp.example/t"}]}`,
	} {
		path := writeFile(t, content)
		_, err := NewRegistry(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want an error naming %s", name, err, path)
		}
	}
}
