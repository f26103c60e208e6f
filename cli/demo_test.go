package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/sync/transport"
	"postbode/types"
)

// TestDemoRunsTheGUIOnATemporaryProfile checks what `postbode demo` hands the mail window: a
// profile of its own with two working accounts, and no password in any file.
func TestDemoRunsTheGUIOnATemporaryProfile(t *testing.T) {
	// No session bus: a keyring write would fail loudly instead of reaching a real keyring.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	profile := t.TempDir()

	var root string
	guiCalls := 0
	gui := func(ctx context.Context, env *Env) error {
		guiCalls++
		root = filepath.Dir(env.Profile.ConfigDir)
		if filepath.Dir(root) != tmp || !strings.HasPrefix(filepath.Base(root), "postbode-demo-") {
			t.Errorf("demo profile %s is not a fresh temporary folder in %s", root, tmp)
		}
		if env.Profile != accounts.ProfileIn(root) {
			t.Errorf("profile = %+v", env.Profile)
		}
		cfg, err := env.Config()
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Accounts) != 2 {
			t.Fatalf("accounts file holds %d accounts", len(cfg.Accounts))
		}
		var passwords []string
		for _, acc := range cfg.Accounts {
			pw, err := env.Secrets.Get(acc.Name)
			if err != nil || len(pw) < 16 {
				t.Fatalf("%s: password %q, %v", acc.Name, pw, err)
			}
			passwords = append(passwords, pw)
			if !strings.HasPrefix(acc.Incoming.CAFile, root) {
				t.Errorf("%s: CA file %s outside the demo profile", acc.Name, acc.Incoming.CAFile)
			}
			if acc.Kind == types.POP3 && acc.POP3.PollInterval.Duration != time.Minute {
				t.Errorf("POP3 poll interval %v", acc.POP3.PollInterval.Duration)
			}
			if acc.Kind == types.IMAP {
				// The servers are up while the window is open, and the account settings reach them.
				tc, err := transport.ForServer(acc.Incoming, types.IMAP)
				if err != nil {
					t.Fatal(err)
				}
				conn, err := transport.Dial(ctx, tc)
				if err != nil {
					t.Fatal(err)
				}
				c := imapclient.New(conn, nil)
				if err := c.Login(acc.Incoming.User, pw).Wait(); err != nil {
					t.Errorf("login with the demo account: %v", err)
				}
				c.Close()
			}
		}
		// Open the cache so its files exist too, then look for the passwords everywhere.
		if _, err := env.Cache(); err != nil {
			t.Fatal(err)
		}
		env.Log.Info("demo window opened")
		if files := testkit.NoFileContains(t, root, passwords...); files < 4 {
			t.Errorf("only %d files in the demo profile; expected accounts, CA, cache and log", files)
		}
		return nil
	}

	var out, errOut bytes.Buffer
	app := &App{GUI: gui, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
	code := app.Run(context.Background(), []string{"--profile", profile, "demo", "--new-mail-every", "0"})
	if code != 0 || guiCalls != 1 {
		t.Fatalf("exit %d, GUI called %d times: %s", code, guiCalls, errOut.String())
	}
	if !strings.Contains(out.String(), "Postbode demo: IMAP 127.0.0.1:") {
		t.Errorf("stdout = %q", out.String())
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("demo profile %s still there after the demo: %v", root, err)
	}
	if _, err := os.Stat(accounts.ProfileIn(profile).AccountsFile()); !os.IsNotExist(err) {
		t.Errorf("the --profile profile got an accounts file: %v", err)
	}

	// --keep leaves the profile for inspection.
	out.Reset()
	errOut.Reset()
	app.GUI = func(ctx context.Context, env *Env) error {
		root = filepath.Dir(env.Profile.ConfigDir)
		return nil
	}
	if code := app.Run(context.Background(), []string{"--profile", profile, "demo", "--keep", "--new-mail-every", "0"}); code != 0 {
		t.Fatalf("--keep: exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(accounts.ProfileIn(root).AccountsFile()); err != nil {
		t.Fatalf("--keep: %v", err)
	}
	if !strings.Contains(errOut.String(), root) {
		t.Errorf("--keep does not say where the profile is: %q", errOut.String())
	}
	if code := app.Run(context.Background(), []string{"--profile", profile, "demo", "extra"}); code != 2 {
		t.Fatalf("demo with an argument: exit %d", code)
	}
}

// onlineEngine reports itself online and then waits, like an engine with a live connection.
type onlineEngine struct {
	deps    types.EngineDeps
	started func(string)
}

func (e *onlineEngine) Run(ctx context.Context) error {
	e.deps.Emit(types.ConnState{Account: e.deps.Account.Name, State: types.StateOnline})
	e.started(e.deps.Account.Name)
	<-ctx.Done()
	return ctx.Err()
}
func (e *onlineEngine) SyncOnce(context.Context) error { return nil }
func (e *onlineEngine) Wake()                          {}

func TestDemoWithoutGUISyncsAndPrintsEvents(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	online := map[string]bool{}
	started := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		online[name] = true
		if len(online) == 2 {
			// Let the events reach the printer before the demo is stopped.
			time.AfterFunc(200*time.Millisecond, cancel)
		}
	}
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine {
		return &onlineEngine{deps: d, started: started}
	}}
	var out, errOut bytes.Buffer
	app := &App{
		Backends: map[types.Protocol]types.Backend{types.IMAP: backend, types.POP3: backend},
		Stdin:    strings.NewReader(""), Stdout: &out, Stderr: &errOut,
	}
	code := app.Run(ctx, []string{"--profile", t.TempDir(), "demo"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if ctx.Err() != context.Canceled {
		t.Fatalf("the demo ended before both engines were online: %v\n%s", ctx.Err(), errOut.String())
	}
	for _, want := range []string{"Demo IMAP: online", "Demo POP3: online", "no mail window"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
}
