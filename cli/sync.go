package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
)

func syncCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "sync")
	account := fs.String("account", "", "only this account")
	once := fs.Bool("once", false, "one complete pass, then exit")
	passwordStdin := fs.Bool("password-stdin", false, "read the password of --account from stdin instead of the keyring")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *passwordStdin {
		if *account == "" {
			return usageError{"--password-stdin needs --account"}
		}
		if _, err := password(env, *account, true); err != nil {
			return err
		}
	}
	m, err := env.Manager()
	if err != nil {
		return err
	}
	if len(m.Accounts()) == 0 {
		return errors.New("no accounts yet: add one with postbode account add (or open the mail window)")
	}
	var names []string
	if *account != "" {
		if _, ok := m.Account(*account); !ok {
			return fmt.Errorf("no account named %q", *account)
		}
		names = []string{*account}
	}
	progress := newProgressPrinter(env)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case ev := <-m.Events():
				progress.show(ev, !*once)
			case <-ctx.Done():
				return
			}
		}
	}()
	if *once {
		err = m.SyncOnce(ctx, names...)
		if err == nil {
			err = filterAndReplay(ctx, env, m, names)
		}
		cancel()
		<-done
		progress.finish()
		return err
	}
	if cache, err := env.Cache(); err == nil {
		cache.StartIntegrityCheck(localcache.IntegrityCheckDelay) // staying connected: check the whole index in the background
	}
	m.Start(ctx)
	<-ctx.Done()
	m.Wait()
	<-done
	return nil
}

// progressPrinter writes events; on a terminal, progress is one line rewritten in place.
type progressPrinter struct {
	env      *Env
	terminal bool
	open     bool
}

func newProgressPrinter(env *Env) *progressPrinter {
	p := &progressPrinter{env: env}
	if f, ok := env.Stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progressPrinter) show(ev types.Event, verbose bool) {
	w := p.env.Stderr
	switch e := ev.(type) {
	case types.SyncProgress:
		if p.terminal {
			fmt.Fprintf(w, "\r\033[K%s %s: %d/%d", e.Account, e.Folder, e.Done, e.Total)
			p.open = true
		}
		return
	case types.ConnState:
		if !verbose && e.Err == nil {
			return
		}
		p.finish()
		if e.Err != nil {
			fmt.Fprintf(w, "%s: %s: %v\n", e.Account, e.State, e.Err)
		} else {
			fmt.Fprintf(w, "%s: %s\n", e.Account, e.State)
		}
	case types.NewMail:
		p.finish()
		fmt.Fprintf(p.env.Stdout, "%s: %d new in %s\n", e.Account, len(e.Messages), e.Folder)
	case types.Error:
		p.finish()
		fmt.Fprintf(w, "%s: %s failed: %v\n", e.Account, e.Op, e.Err)
	case types.Notice:
		p.finish()
		fmt.Fprintf(w, "%s: %s\n", e.Account, e.Text)
	}
}

func (p *progressPrinter) finish() {
	if p.open {
		fmt.Fprintln(p.env.Stderr)
		p.open = false
	}
}

// filterAndReplay runs the filter rules on the mail the pass queued for them, then passes again so
// that what they changed reaches the servers.
func filterAndReplay(ctx context.Context, env *Env, m *accounts.Manager, names []string) error {
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	if q, err := cache.FilterQueue(ctx, 0, 1); err != nil || len(q) == 0 {
		return err
	}
	if err := m.RunFilters(ctx); err != nil {
		return fmt.Errorf("filters: %w", err)
	}
	return m.SyncOnce(ctx, names...)
}
