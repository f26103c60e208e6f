// Postbode is a desktop e-mail client for IMAP and POP3 accounts. main only wires the parts together.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/BurntSushi/toml"

	"postbode/accounts"
	"postbode/assets"
	"postbode/cli"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/sync/smtpsend"
	"postbode/types"
	"postbode/ui"
)

// FyneApp.toml is the one source of the version, for `postbode --version`, the About dialog and packages.
//
//go:embed FyneApp.toml
var appTOML []byte

func appVersion() string {
	var meta struct{ Details struct{ Version string } }
	if _, err := toml.Decode(string(appTOML), &meta); err != nil || meta.Details.Version == "" {
		return "unknown"
	}
	return meta.Details.Version
}

// newApp wires the engines, the outbox and the window into the command line program.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	version := appVersion()
	return &cli.App{
		Version: version,
		Backends: map[types.Protocol]types.Backend{
			types.IMAP: imapsync.Backend,
			types.POP3: {New: pop3sync.New, Test: pop3sync.Test},
		},
		NewSender: func(c *localcache.Cache, m *accounts.Manager, p accounts.PasswordSource) accounts.Sender {
			return smtpsend.NewOutbox(c, m, p)
		},
		TestOutgoing: smtpsend.Test,
		GUI: func(ctx context.Context, env *cli.Env) error {
			m, cache, err := env.Core()
			if err != nil {
				return err
			}
			cache.StartIntegrityCheck(localcache.IntegrityCheckDelay) // a long-lived process: check the whole index in the background
			ctx, cancel := context.WithCancel(ctx)
			defer func() { cancel(); m.Wait() }()
			m.Start(ctx)
			var raise <-chan string // later starts on this profile (none for the demo)
			if env.Instance != nil {
				raise = env.Instance.Requests()
			}
			return ui.Run(ctx, ui.Deps{Manager: m, Cache: cache, Autosave: cache, Version: version,
				Sender: ui.ManagerSender{Manager: m}, MailFiles: ui.CacheMailFiles{Cache: cache, Manager: m}, Icon: assets.IconPNG, StartDemo: startDemo,
				Mailto: env.Mailto, Raise: raise, SettingsFile: filepath.Join(env.Profile.ConfigDir, "ui.json")})
		},
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("GOGC") == "" {
		// A download keeps a few batches of bodies in flight; collecting at 1.5x the live heap
		// instead of 2x keeps a 10,000-message sync under 100 MB for no measurable time.
		debug.SetGCPercent(50)
	}
	app := newApp(os.Stdin, os.Stdout, os.Stderr)
	// POSTBODE_CPUPROFILE=file writes a CPU profile of this run (make bench uses it to find hot spots).
	var prof *os.File
	if path := os.Getenv("POSTBODE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			prof = f
		}
	}
	code := app.Run(ctx, os.Args[1:])
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	os.Exit(code)
}

// startDemo opens the demo in a process of its own, on its own temporary profile, so the user's
// profile stays untouched.
func startDemo(context.Context) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("start demo: %w", err)
	}
	cmd := exec.Command(exe, "demo")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start demo: %w", err)
	}
	go cmd.Wait() // reap it when the demo window closes
	return nil
}
