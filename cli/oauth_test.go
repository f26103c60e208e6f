package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"postbode/accounts"
	"postbode/internal/testkit/testbed"
)

// browserWriter is the terminal of `account add --oauth`: it keeps what the command prints and
// follows the sign-in address it prints, as the user would in a browser.
type browserWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	visited chan string
	opened  bool
}

var signInURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/oidc/authorize\?\S+`)

func (w *browserWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if u := signInURL.FindString(w.buf.String()); u != "" && !w.opened {
		w.opened = true
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				w.visited <- err.Error()
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			w.visited <- string(page)
		}()
	}
	return len(p), nil
}

func (w *browserWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// `account add --oauth` prints the provider's sign-in address, waits for the browser to come back
// to its loopback listener, and saves the account signed in: the refresh token goes to the
// keyring (here there is none, which it says), never to a file.
func TestAccountAddOAuth(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	oidc := testbed.StartOIDCT(t, testbed.OIDCOptions{})
	profile := t.TempDir()
	prof := accounts.ProfileIn(profile)
	if err := prof.Ensure(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prof.OAuthFile(), oidc.ProviderFile("testbed", "mail.test"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	errOut := &browserWriter{visited: make(chan string, 1)}
	app := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: errOut, Discover: testDiscover}
	code := app.Run(context.Background(), []string{"--profile", profile, "account", "add", "--name", "work",
		"--email", "alice@mail.test", "--host", "127.0.0.1", "--oauth", "--sasl", "OAUTHBEARER"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if page := <-errOut.visited; !strings.Contains(page, "return to Postbode") {
		t.Fatalf("the browser ended on %q", page)
	}
	if !strings.Contains(errOut.String(), "Open this address in a browser to sign in with Test bed") ||
		!strings.Contains(errOut.String(), "postbode account login work") {
		t.Fatalf("stderr = %q", errOut)
	}
	cfg, err := accounts.LoadConfig(prof.AccountsFile())
	if err != nil {
		t.Fatal(err)
	}
	acc, ok := cfg.Find("work")
	if !ok || !acc.OAuth2() || acc.Auth.Provider != "testbed" || acc.SASLMechanism() != "OAUTHBEARER" {
		t.Fatalf("saved account = %+v", acc)
	}
	if code, _, errOut := run(t, profile, "", "account", "login", "nobody"); code == 0 || !strings.Contains(errOut, `no account named "nobody"`) {
		t.Fatalf("login of an unknown account: %d %q", code, errOut)
	}
}
