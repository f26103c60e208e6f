// Postbode is a desktop e-mail client for IMAP and POP3 accounts. main only wires the parts together.
package main

import (
	"context"
	_ "embed"
	"os"
	"os/signal"
	"syscall"

	"github.com/BurntSushi/toml"

	"postbode/accounts"
	"postbode/cli"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/sync/smtpsend"
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cli.Version = appVersion()
	app := &cli.App{
		Backends: map[accounts.Kind]accounts.Backend{
			accounts.KindIMAP: {New: imapsync.New, Test: imapsync.Test},
			accounts.KindPOP3: {New: pop3sync.New, Test: pop3sync.Test},
		},
		NewSender: func(c *localcache.Cache, m *accounts.Manager, p accounts.PasswordSource) accounts.Sender {
			return smtpsend.NewOutbox(c, m, p)
		},
		GUI: func(ctx context.Context, env *cli.Env) error {
			m, err := env.Manager()
			if err != nil {
				return err
			}
			cache, err := env.Cache()
			if err != nil {
				return err
			}
			return ui.Run(ctx, ui.Deps{Manager: m, Cache: cache, Version: cli.Version})
		},
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}
	os.Exit(app.Run(ctx, os.Args[1:]))
}
