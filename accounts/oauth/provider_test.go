package oauth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestForHost(t *testing.T) {
	reg, err := NewRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ host, want string }{
		{"outlook.office365.com", "microsoft"},
		{"SMTP.Office365.com", "microsoft"},
		{"smtp-mail.outlook.com:587", "microsoft"},
		{"ann@hotmail.com", "microsoft"},
		{"Ann@Live.COM", "microsoft"},
		{"msn.com.", "microsoft"},
		{"eu.outlook.com", "microsoft"}, // subdomain on a dot boundary
		{"imap.gmail.com:993", "google"},
		{"pop.gmail.com", "google"},
		{"bob@googlemail.com", "google"},
		{"gmail.com", "google"},
		{"notgmail.com", ""}, // suffix but not on a dot boundary
		{"gmail.com.evil.example", ""},
		{"hotmail.co.uk", ""},
		{"imap.example.org", ""},
		{"", ""},
		{"@", ""},
	}
	for _, tt := range tests {
		p, ok := reg.ForHost(tt.host)
		if ok != (tt.want != "") || p.ID != tt.want {
			t.Errorf("ForHost(%q) = %q, %v; want %q", tt.host, p.ID, ok, tt.want)
		}
	}
}

func TestBuiltinProviders(t *testing.T) {
	reg, err := NewRegistry("")
	if err != nil {
		t.Fatal(err)
	}
	ms, ok := reg.Get("microsoft")
	if !ok || ms.TokenURL != "https://login.microsoftonline.com/common/oauth2/v2.0/token" || len(ms.Scopes) != 4 || ms.RevokeURL != "" {
		t.Errorf("microsoft = %+v", ms)
	}
	g, ok := reg.Get("google")
	if !ok || g.RevokeURL != "https://oauth2.googleapis.com/revoke" || fmt.Sprint(g.Scopes) != "[https://mail.google.com/]" {
		t.Errorf("google = %+v", g)
	}
	// Returned providers are copies.
	g.Scopes[0] = "changed"
	if g2, _ := reg.Get("google"); g2.Scopes[0] != "https://mail.google.com/" {
		t.Error("Get exposes the registry's slices")
	}
	if _, ok := reg.Get("yahoo"); ok {
		t.Error("Get(yahoo) found something")
	}
}

func TestDiscoverMockOIDC(t *testing.T) {
	mk := startMock(t)
	p, err := Discover(context.Background(), nil, mk.m.Issuer())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if p.AuthURL != mk.m.AuthorizationEndpoint() || p.TokenURL != mk.m.TokenEndpoint() || p.Issuer != mk.m.Issuer() {
		t.Errorf("Discover = %+v", p)
	}
	if p.Configured() {
		t.Error("a discovered provider has no client ID yet")
	}
}

func TestDiscoverRefusals(t *testing.T) {
	var doc string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, doc)
	}))
	defer srv.Close()
	iss := srv.URL
	valid := fmt.Sprintf(`{"issuer":%q,"authorization_endpoint":%q,"token_endpoint":%q,"revocation_endpoint":%q}`,
		iss, iss+"/auth", iss+"/token", iss+"/revoke")
	tests := []struct{ name, doc, want string }{
		{"valid", valid, ""},
		{"too large", `{"issuer":"` + strings.Repeat("x", discoveryLimit) + `"}`, "larger than"},
		{"malformed", `{"issuer":`, "unexpected"},
		{"other issuer", `{"issuer":"https://evil.example","authorization_endpoint":"https://a","token_endpoint":"https://t"}`, "names issuer"},
		{"no token endpoint", fmt.Sprintf(`{"issuer":%q,"authorization_endpoint":%q}`, iss, iss+"/auth"), "no token_endpoint"},
		{"plain http elsewhere", fmt.Sprintf(`{"issuer":%q,"authorization_endpoint":"http://example.com/a","token_endpoint":%q}`, iss, iss+"/t"), "https"},
	}
	for _, tt := range tests {
		doc = tt.doc
		p, err := Discover(context.Background(), srv.Client(), iss)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want == "" && p.RevokeURL != iss+"/revoke":
			t.Errorf("%s: %+v", tt.name, p)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	for _, iss := range []string{"http://idp.example.com", "not a url", srv.URL + "/missing"} {
		if _, err := Discover(context.Background(), srv.Client(), iss); err == nil {
			t.Errorf("Discover(%q) succeeded", iss)
		}
	}
}

// A self-hosted provider given by its issuer alone gets its endpoints from OpenID discovery; one
// with endpoints is left alone.
func TestResolveByIssuer(t *testing.T) {
	m := startMock(t)
	p, err := Provider{ID: "corp", Issuer: m.m.Issuer(), ClientID: "postbode"}.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.AuthURL != m.m.AuthorizationEndpoint() || p.TokenURL != m.m.TokenEndpoint() || p.ClientID != "postbode" {
		t.Fatalf("resolved %+v", p)
	}
	fixed := Provider{ID: "x", AuthURL: "https://a.example/auth", TokenURL: "https://a.example/token", Issuer: "https://unreachable.invalid"}
	if got, err := fixed.Resolve(context.Background(), nil); err != nil || got.AuthURL != fixed.AuthURL {
		t.Fatalf("a provider with endpoints was changed: %+v %v", got, err)
	}
	if _, err := (Provider{ID: "none"}).Resolve(context.Background(), nil); err == nil {
		t.Fatal("a provider with neither endpoints nor issuer resolved")
	}
}
