package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"postbode/accounts"
	"postbode/internal/demo"
)

// demo opens Postbode on the built-in demo servers, in a temporary profile. env carries only the
// output streams: the user's own profile, accounts, mail and keyring are left alone.
func (a *App) demo(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "demo")
	keep := fs.Bool("keep", false, "keep the temporary profile when the demo ends")
	every := fs.Duration("new-mail-every", demo.DefaultNewMailEvery, "how often new mail arrives (0: never)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"usage: postbode demo [--keep] [--new-mail-every D]"}
	}
	if *every == 0 {
		*every = -1 // demo.Options reads 0 as "the default"
	}

	dir, err := os.MkdirTemp("", "postbode-demo-*")
	if err != nil {
		return fmt.Errorf("demo: temporary profile: %w", err)
	}
	// Deferred first, so it runs last: after the servers and the cache are closed.
	defer func() {
		if *keep {
			fmt.Fprintf(env.Stderr, "postbode: the demo profile is kept in %s\n", dir)
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(env.Stderr, "postbode: remove the demo profile: %v\n", err)
		}
	}()

	denv, err := a.envFor(accounts.ProfileIn(dir))
	if err != nil {
		return err
	}
	defer func() {
		if err := denv.Close(); err != nil {
			fmt.Fprintf(env.Stderr, "postbode: %v\n", err)
		}
	}()

	d, err := demo.Start(ctx, demo.Options{Dir: dir, NewMailEvery: *every, Log: denv.Log})
	if err != nil {
		return err
	}
	defer d.Close()

	cfg := &accounts.Config{}
	for _, acc := range d.Accounts {
		acc.POP3.PollInterval.Duration = time.Minute // used by the POP3 account only
		if err := cfg.Add(acc); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		// In memory only: neither the keyring nor any file sees a demo password.
		denv.Secrets.Remember(acc.Name, d.Passwords[acc.Name])
	}
	if err := cfg.Save(denv.Profile.AccountsFile()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Postbode demo: IMAP %s, POP3 %s, SMTP %s (all over TLS, on this computer only).\n",
		d.IMAPAddr, d.POP3Addr, d.SMTPAddr)
	fmt.Fprintf(env.Stdout, "Send mail to %s or %s to see it arrive.\n", demo.IMAPUser, demo.POP3User)

	if a.GUI != nil {
		return a.GUI(ctx, denv)
	}
	return demoHeadless(ctx, denv)
}

// demoHeadless keeps the demo accounts in sync and prints what happens, until ctx ends.
func demoHeadless(ctx context.Context, env *Env) error {
	m, err := env.Manager()
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr, "postbode: no mail window in this build; syncing the demo accounts here (Ctrl-C stops)")
	progress := newProgressPrinter(env)
	m.Start(ctx)
	for {
		select {
		case ev := <-m.Events():
			progress.show(ev, true)
		case <-ctx.Done():
			m.Wait() // engines stop emitting once ctx has ended
			progress.finish()
			return nil
		}
	}
}
