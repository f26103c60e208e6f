package testbed

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/oauth2"
)

// xoauth2Client is the client side of the XOAUTH2 SASL mechanism.
type xoauth2Client struct{ user, token string }

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next gets the only challenge XOAUTH2 has: the server's JSON error after
// it refused the token. Like go-sasl's OAUTHBEARER client it returns that
// as an error, so the caller aborts. (Answering with the empty response
// works for POP3 and SMTP, but go-imap v2 writes it as "=", which Dovecot
// refuses with BAD.)
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	e := &xoauth2Error{}
	if err := json.Unmarshal(challenge, e); err != nil {
		return nil, fmt.Errorf("XOAUTH2 challenge %q: %w", challenge, err)
	}
	return nil, e
}

// xoauth2Error is the server's refusal of an XOAUTH2 token.
type xoauth2Error struct {
	Status string `json:"status"`
	Scheme string `json:"schemes"`
	Scope  string `json:"scope"`
}

func (e *xoauth2Error) Error() string { return "XOAUTH2 token refused, status " + e.Status }

// tokenRefused reports whether err says the server refused the token
// itself, which is what makes a client refresh it, rather than failing
// for another reason.
func tokenRefused(err error) bool {
	var xe *xoauth2Error
	var be *sasl.OAuthBearerError
	return errors.As(err, &xe) && xe.Status == "401" || errors.As(err, &be) && be.Status == "invalid_token"
}

// mechanisms builds a SASL client per mechanism for user and an access
// token.
var mechanisms = []struct {
	name   string
	client func(user, token string) sasl.Client
}{
	{"XOAUTH2", func(user, token string) sasl.Client { return &xoauth2Client{user, token} }},
	{"OAUTHBEARER", func(user, token string) sasl.Client {
		return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token, Host: "mail.test"})
	}},
}

// imapAuth authenticates over IMAPS and selects INBOX, which needs a
// logged-in session.
func imapAuth(d *Dovecot, c sasl.Client) error {
	ic, err := imapclient.DialTLS(d.IMAPSAddr(), &imapclient.Options{
		TLSConfig: d.TLSConfig(),
		Dialer:    &net.Dialer{Timeout: 5 * time.Second},
	})
	if err != nil {
		return fmt.Errorf("dial IMAPS: %w", err)
	}
	defer ic.Close()
	if !ic.Caps().Has(imap.Cap("AUTH=" + mechName(c))) {
		return fmt.Errorf("IMAP does not offer AUTH=%s: %v", mechName(c), ic.Caps())
	}
	done := make(chan error, 1)
	go func() { done <- ic.Authenticate(c) }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		ic.Close() // ends Authenticate
		<-done
		return errors.New("IMAP AUTHENTICATE timed out")
	}
	if err != nil {
		return fmt.Errorf("IMAP AUTHENTICATE: %w", err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		return fmt.Errorf("IMAP SELECT after AUTHENTICATE: %w", err)
	}
	return nil
}

// mechName is the mechanism c speaks (Start has no side effects in these
// clients).
func mechName(c sasl.Client) string {
	mech, _, _ := c.Start()
	return mech
}

// pop3Auth runs AUTH over POP3S with an initial response, answering
// challenges through c, then STAT.
func pop3Auth(d *Dovecot, c sasl.Client) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", d.POP3SAddr(), d.TLSConfig())
	if err != nil {
		return fmt.Errorf("dial POP3S: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	line := func() (string, error) {
		s, err := r.ReadString('\n')
		return strings.TrimRight(s, "\r\n"), err
	}
	if s, err := line(); err != nil || !strings.HasPrefix(s, "+OK") {
		return fmt.Errorf("POP3 greeting %q: %v", s, err)
	}
	mech, ir, err := c.Start()
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "AUTH %s %s\r\n", mech, base64.StdEncoding.EncodeToString(ir)); err != nil {
		return fmt.Errorf("POP3 AUTH: %w", err)
	}
	for {
		s, err := line()
		if err != nil {
			return fmt.Errorf("POP3 AUTH: %w", err)
		}
		switch {
		case strings.HasPrefix(s, "+OK"):
			if _, err := fmt.Fprintf(conn, "STAT\r\n"); err != nil {
				return fmt.Errorf("POP3 STAT: %w", err)
			}
			if s, err := line(); err != nil || !strings.HasPrefix(s, "+OK") {
				return fmt.Errorf("POP3 STAT after AUTH: %q, %v", s, err)
			}
			return nil
		case strings.HasPrefix(s, "-ERR"):
			return fmt.Errorf("POP3 AUTH %s: %s", mech, s)
		case strings.HasPrefix(s, "+ "):
			challenge, err := base64.StdEncoding.DecodeString(s[2:])
			if err != nil {
				return fmt.Errorf("POP3 AUTH challenge %q: %w", s, err)
			}
			resp, nextErr := c.Next(challenge)
			answer := base64.StdEncoding.EncodeToString(resp)
			if nextErr != nil {
				answer = "*" // cancel; the server answers -ERR
			}
			if _, err := fmt.Fprintf(conn, "%s\r\n", answer); err != nil {
				return fmt.Errorf("POP3 AUTH: %w", err)
			}
			if nextErr != nil {
				s, _ := line()
				return fmt.Errorf("POP3 AUTH %s: %w (server: %s)", mech, nextErr, s)
			}
		default:
			return fmt.Errorf("POP3 AUTH: unexpected %q", s)
		}
	}
}

// smtpAuth authenticates on Postfix's implicit-TLS port, which asks
// Dovecot, after checking the mechanism is offered.
func smtpAuth(p *Postfix, d *Dovecot, c sasl.Client) error {
	sc, err := smtp.DialTLS(p.SubmissionsAddr(), d.TLSConfig())
	if err != nil {
		return fmt.Errorf("dial submissions: %w", err)
	}
	defer sc.Close()
	sc.CommandTimeout = 10 * time.Second
	if err := sc.Hello("client.test"); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, mechs := sc.Extension("AUTH"); !ok || !strings.Contains(" "+mechs+" ", " "+mechName(c)+" ") {
		return fmt.Errorf("SMTP AUTH offers %q, not %s", mechs, mechName(c))
	}
	if err := sc.Auth(c); err != nil {
		return fmt.Errorf("SMTP AUTH: %w", err)
	}
	return nil
}

// oauthBed is Dovecot checking tokens of a provider, with Postfix in front.
type oauthBed struct {
	o *OIDC
	d *Dovecot
	p *Postfix
}

func startOAuthBed(t *testing.T, opts OIDCOptions) oauthBed {
	t.Helper()
	RequireAvailable(t)
	RequirePostfix(t)
	o := StartOIDCT(t, opts)
	d := StartT(t, Options{OAuth2: o})
	return oauthBed{o, d, StartPostfixT(t, d, PostfixOptions{})}
}

// protocols are the three ways into the bed with a SASL client.
func (b oauthBed) protocols() []struct {
	name string
	auth func(sasl.Client) error
} {
	return []struct {
		name string
		auth func(sasl.Client) error
	}{
		{"IMAP", func(c sasl.Client) error { return imapAuth(b.d, c) }},
		{"POP3", func(c sasl.Client) error { return pop3Auth(b.d, c) }},
		{"SMTP", func(c sasl.Client) error { return smtpAuth(b.p, b.d, c) }},
	}
}

// expectAll runs every protocol with every mechanism for user and token
// and wants success (ok), or the server refusing the token.
func (b oauthBed) expectAll(t *testing.T, user, token string, ok bool) {
	t.Helper()
	for _, proto := range b.protocols() {
		for _, m := range mechanisms {
			err := proto.auth(m.client(user, token))
			switch {
			case ok && err != nil:
				t.Errorf("%s %s as %s: %v", proto.name, m.name, user, err)
			case !ok && err == nil:
				t.Errorf("%s %s as %s: succeeded, want refusal", proto.name, m.name, user)
			case !ok && !tokenRefused(err):
				t.Errorf("%s %s as %s: %v; want the token refused (not a temporary failure)", proto.name, m.name, user, err)
			}
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestOIDCProvider checks the provider alone: the code flow with PKCE,
// userinfo, refresh, revocation and the token-endpoint counter.
func TestOIDCProvider(t *testing.T) {
	o := StartOIDCT(t, OIDCOptions{AccessTTL: 3 * time.Second})
	ctx := testCtx(t)

	var disc struct {
		Issuer   string `json:"issuer"`
		Auth     string `json:"authorization_endpoint"`
		Token    string `json:"token_endpoint"`
		Userinfo string `json:"userinfo_endpoint"`
	}
	getJSON(t, ctx, o.DiscoveryURL, "", &disc)
	if disc.Issuer != o.Issuer || disc.Auth != o.AuthorizeURL || disc.Token != o.TokenURL || disc.Userinfo != o.UserinfoURL {
		t.Errorf("discovery %+v does not match the provider's URLs", disc)
	}

	start := time.Now()
	tok, err := o.Login(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token lacks access or refresh token: %+v", tok)
	}
	// expires_in is seconds, not mockoidc's nanoseconds.
	if life := tok.Expiry.Sub(start); life < 2*time.Second || life > 4*time.Second {
		t.Errorf("token expires %v after login, want about 3 s", life)
	}
	var info struct {
		Email             string `json:"email"`
		PreferredUsername string `json:"preferred_username"`
	}
	getJSON(t, ctx, o.UserinfoURL, tok.AccessToken, &info)
	if info.Email != "bob@mail.test" || info.PreferredUsername != "bob" {
		t.Errorf("userinfo %+v, want bob@mail.test and bob", info)
	}
	if n := o.TokenRequests(); n != 1 {
		t.Errorf("TokenRequests after one login = %d, want 1", n)
	}

	// Refresh as the app will: a token source with an expired token.
	cfg := o.OAuth2Config()
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, &old).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == "" || fresh.RefreshToken != tok.RefreshToken {
		t.Errorf("refreshed token %+v: want a new access token and the same refresh token", fresh)
	}
	if n := o.TokenRequests(); n != 2 {
		t.Errorf("TokenRequests after refresh = %d, want 2", n)
	}

	o.Revoke()
	_, err = cfg.TokenSource(ctx, &old).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh after Revoke: got %v, want 400 invalid_grant", err)
	}
	if n := o.TokenRequests(); n != 3 {
		t.Errorf("TokenRequests after refused refresh = %d, want 3", n)
	}
	// A new sign-in gets a refresh token that works.
	tok2, err := o.Login(ctx, "alice@mail.test")
	if err != nil {
		t.Fatal(err)
	}
	tok2.Expiry = time.Now().Add(-time.Minute)
	if _, err := cfg.TokenSource(ctx, tok2).Token(); err != nil {
		t.Errorf("refresh of a token issued after Revoke: %v", err)
	}

	if _, err := o.Login(ctx, "mallory"); err == nil {
		t.Error("Login of an unknown user succeeded")
	}
}

// getJSON GETs url, with a bearer token when given, and decodes the JSON
// answer into v.
func getJSON(t *testing.T, ctx context.Context, url, token string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestOAuth2Logins signs in with a fresh token over IMAP, POP3 and SMTP
// with both mechanisms, and checks what must not get in.
func TestOAuth2Logins(t *testing.T) {
	b := startOAuthBed(t, OIDCOptions{})
	tok, err := b.o.Login(testCtx(t), "alice")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fresh token", func(t *testing.T) {
		b.expectAll(t, "alice@mail.test", tok.AccessToken, true)
	})
	t.Run("short user name", func(t *testing.T) {
		// auth_username_format reduces both sides to the local part.
		if err := imapAuth(b.d, &xoauth2Client{"alice", tok.AccessToken}); err != nil {
			t.Error(err)
		}
	})
	t.Run("tampered token", func(t *testing.T) {
		// Flip a character of the signature.
		bad := []byte(tok.AccessToken)
		i := len(bad) - 5
		bad[i] ^= 'A' ^ 'B'
		if bad[i] == tok.AccessToken[i] {
			t.Fatal("token unchanged")
		}
		b.expectAll(t, "alice@mail.test", string(bad), false)
	})
	t.Run("another user's token", func(t *testing.T) {
		b.expectAll(t, "bob@mail.test", tok.AccessToken, false)
	})
	t.Run("passwords still work", func(t *testing.T) {
		for _, proto := range b.protocols() {
			for _, user := range []string{"alice", "bob@mail.test"} {
				pw := b.d.Password(strings.TrimSuffix(user, "@mail.test"))
				if err := proto.auth(sasl.NewPlainClient("", user, pw)); err != nil {
					t.Errorf("%s PLAIN as %s: %v", proto.name, user, err)
				}
			}
			if err := proto.auth(sasl.NewPlainClient("", "alice", tok.AccessToken)); err == nil {
				t.Errorf("%s PLAIN with the token as password succeeded", proto.name)
			}
		}
	})
	t.Run("SMTP AUTH only after TLS", func(t *testing.T) {
		c, err := smtp.Dial(b.p.SubmissionAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		if ok, mechs := c.Extension("AUTH"); ok {
			t.Errorf("AUTH %s offered before STARTTLS", mechs)
		}
		tc, err := smtp.DialStartTLS(b.p.SubmissionAddr(), b.d.TLSConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		if err := tc.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		ok, mechs := tc.Extension("AUTH")
		if !ok || strings.Join(strings.Fields(mechs), " ") != "PLAIN LOGIN XOAUTH2 OAUTHBEARER" {
			t.Errorf("AUTH after STARTTLS: %q, want PLAIN LOGIN XOAUTH2 OAUTHBEARER", mechs)
		}
	})
}

// TestOAuth2ExpiryAndRevocation lets two short-lived tokens expire, one of
// them with its refresh token revoked: both are refused everywhere, the
// other one's refresh gives a token that works, and the revoked one's
// refresh is refused.
func TestOAuth2ExpiryAndRevocation(t *testing.T) {
	b := startOAuthBed(t, OIDCOptions{AccessTTL: 2 * time.Second})
	ctx := testCtx(t)
	revoked, err := b.o.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	b.o.Revoke()
	kept, err := b.o.Login(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := imapAuth(b.d, &xoauth2Client{"alice@mail.test", revoked.AccessToken}); err != nil {
		t.Fatalf("revoking the refresh token refused the unexpired access token: %v", err)
	}
	// The provider compares whole seconds: a second past Expiry is past the
	// tokens' exp claims.
	time.Sleep(time.Until(kept.Expiry.Add(1100 * time.Millisecond)))
	t.Run("expired", func(t *testing.T) {
		b.expectAll(t, "alice@mail.test", kept.AccessToken, false)
		b.expectAll(t, "alice@mail.test", revoked.AccessToken, false)
	})

	cfg := b.o.OAuth2Config()
	b.o.SetAccessTTL(time.Minute) // so the refreshed token outlives the checks
	before := b.o.TokenRequests()
	t.Run("refreshed", func(t *testing.T) {
		tok, err := cfg.TokenSource(ctx, kept).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok.AccessToken == kept.AccessToken {
			t.Fatal("refresh returned the expired access token")
		}
		b.expectAll(t, "alice@mail.test", tok.AccessToken, true)
	})
	t.Run("revoked", func(t *testing.T) {
		_, err := cfg.TokenSource(ctx, revoked).Token()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant" {
			t.Errorf("refresh with the revoked token: got %v, want 400 invalid_grant", err)
		}
	})
	if n := b.o.TokenRequests(); n != before+2 {
		t.Errorf("TokenRequests went from %d to %d, want 2 more (one refresh each)", before, n)
	}
}
