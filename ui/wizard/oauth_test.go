package wizard

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"postbode/accounts/oauth"
	"postbode/internal/testkit/testbed"
	"postbode/sync/smtpsend"
	"postbode/ui/internal/uitest"
	"postbode/ui/uikit"
)

// browserApp is the test app whose "system browser" is a function.
type browserApp struct {
	fyne.App
	open func(*url.URL) error
}

func (a *browserApp) OpenURL(u *url.URL) error { return a.open(u) }

// autoconfigOAuthXML is autoconfigXML for servers that take OAuth2 sign-ins.
var autoconfigOAuthXML = strings.ReplaceAll(autoconfigXML, "password-cleartext", "OAuth2")

// TestWizardOAuth2SignIn adds an account at an OAuth2 provider through the wizard: no password
// field, "Sign in with" the provider, the browser (played by the test) comes back, the connection
// test passes with the access token, and the account syncs with the kept refresh token. Screens
// of the sign-in steps are saved in English and Dutch.
func TestWizardOAuth2SignIn(t *testing.T) {
	oidc := testbed.StartOIDCT(t, testbed.OIDCOptions{})
	d := testbed.StartT(t, testbed.Options{OAuth2: oidc})
	if err := d.Deliver("alice", "INBOX", testbed.Generate(7, 4, testbed.GenOptions{})...); err != nil {
		t.Fatal(err)
	}
	p := testbed.StartPostfixT(t, d, testbed.PostfixOptions{})
	overrides := filepath.Join(t.TempDir(), "oauth.json")
	if err := os.WriteFile(overrides, oidc.ProviderFile("testbed", "mail.test"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := oauth.NewRegistry(overrides)
	if err != nil {
		t.Fatal(err)
	}
	visits := make(chan string, 4)
	browser := func(u *url.URL) error {
		go func() {
			resp, err := http.Get(u.String())
			if err != nil {
				visits <- "error: " + err.Error()
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			visits <- string(page)
		}()
		return nil
	}
	e := newWizardEnv(t, wizardOpts{
		backends: realBackends(),
		discover: autoconfigServer(t, true, fmt.Sprintf(autoconfigOAuthXML, d.IMAPSPort, d.POP3SPort, p.SubmissionsPort)),
		testSMTP: smtpsend.Test,
		oauth:    reg,
		browser:  browser,
	})
	e.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	shot := func(w fyne.Window, name string) {
		t.Helper()
		uitest.SavePNG(t, w.Canvas().Capture(), "wizard-oauth-"+name+uitest.LangSuffix()+".png")
	}

	w := e.fillIdentity("alice@mail.test", "")
	e.settle()
	if shown(w.win, w.pwE) || !w.signInNote.Visible() {
		t.Fatalf("an address at an OAuth2 provider still asks for a password: %q", windowTexts(w.win))
	}
	e.mustShow(w.win, tr("{{.Provider}} signs you in on its own page: Postbode opens it in your browser after it has found the settings. Postbode never sees your password.", map[string]any{"Provider": "Test bed"}))
	shot(w.win, "1-identity")
	w.caFile = d.CAFile // the test bed's own CA
	tapButton(t, e, w.win, tr("Continue"))
	if w.page != pageType {
		t.Fatalf("after discovery the wizard shows %q: %q", w.page, windowTexts(w.win))
	}
	e.mustShow(w.win, tr("You sign in with {{.Provider}} on its own page in your browser, in the next step. Postbode never sees your password.", map[string]any{"Provider": "Test bed"}))
	tapButton(t, e, w.win, tr("Continue"))
	signIn := tr("Sign in with {{.Provider}}", map[string]any{"Provider": "Test bed"})
	if w.page != pageTest || !hasButton(w.win, signIn) || hasButton(w.win, tr("Finish")) {
		t.Fatalf("the test page does not offer the sign-in: %q", windowTexts(w.win))
	}
	shot(w.win, "2-sign-in")
	tapButton(t, e, w.win, signIn)
	select {
	case page := <-visits:
		if !strings.Contains(page, "return to Postbode") {
			t.Fatalf("the browser ended on %q", page)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the browser was not sent to the sign-in page")
	}
	e.waitUntil("the connection test after signing in", 30*time.Second, func() bool { return w.tested })
	e.waitUntil("Finish", 30*time.Second, func() bool { return hasButton(w.win, tr("Finish")) })
	shot(w.win, "3-signed-in")
	tapButton(t, e, w.win, tr("Finish"))
	acc, ok := e.Manager.Account("alice@mail.test")
	if !ok || !acc.OAuth2() || acc.Auth.Provider != "testbed" {
		t.Fatalf("account = %+v, %v", acc, ok)
	}
	refresh, _ := e.Store.InKeyring("alice@mail.test")
	if refresh == "" || w.token.Refresh != refresh {
		t.Fatal("the refresh token is not what the keyring keeps")
	}
	e.waitForMail("alice@mail.test", 4)
	e.AssertNoPasswordInFiles(t, refresh)
}

func TestWizardOAuth2SignInInDutch(t *testing.T) {
	uitest.InDutch(t, "TestWizardOAuth2SignIn")
}
