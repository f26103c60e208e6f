// Package cli is Postbode's scriptable command line: the same core as the GUI, without Fyne.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"postbode/accounts"
	"postbode/accounts/oauth"
	"postbode/internal/instance"
	"postbode/internal/mailto"
	"postbode/localcache"
	"postbode/types"
)

// App is the command line program. GUI runs when no subcommand is given; main injects it so that this
// package never imports the UI toolkit.
type App struct {
	Version  string // what --version prints
	Backends map[types.Protocol]types.Backend
	// NewSender builds the outbox for a Manager (nil: sending is unavailable).
	NewSender func(*localcache.Cache, *accounts.Manager, accounts.PasswordSource) accounts.Sender
	// TestOutgoing logs in to an outgoing server without sending anything (accounts.Options).
	TestOutgoing func(ctx context.Context, acc types.Account, password string) error
	// Discover looks up server settings (accounts.Options); nil uses the Manager's default.
	Discover func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error)
	GUI      func(ctx context.Context, env *Env) error
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
}

// Env is what a command works with: the profile and, opened on demand, the config, cache and secrets.
type Env struct {
	Profile   accounts.Profile
	Backends  map[types.Protocol]types.Backend
	NewSender func(*localcache.Cache, *accounts.Manager, accounts.PasswordSource) accounts.Sender
	// TestOutgoing and Discover go to the Manager's Options (see App).
	TestOutgoing func(ctx context.Context, acc types.Account, password string) error
	Discover     func(ctx context.Context, email string) ([]accounts.DiscoveryResult, error)
	Secrets      *accounts.Secrets
	Stdin        io.Reader
	Stdout       io.Writer
	Stderr       io.Writer
	Log          *slog.Logger
	// Instance is set while the mail window runs: it delivers what later starts of Postbode on
	// this profile ask of the window. Mailto is a mailto: URL from the command line.
	Instance *instance.Server
	Mailto   string

	cache   *localcache.Cache
	logFile io.Closer
}

// Config loads the accounts file.
func (e *Env) Config() (*accounts.Config, error) {
	return accounts.LoadConfig(e.Profile.AccountsFile())
}

// Cache opens the local cache once; Close closes it.
func (e *Env) Cache() (*localcache.Cache, error) {
	if e.cache != nil {
		return e.cache, nil
	}
	c, err := localcache.Open(e.Profile.DataDir)
	if err != nil {
		return nil, err
	}
	if rebuilt, why := c.Rebuilt(); rebuilt {
		fmt.Fprintf(e.Stderr, "postbode: the local index was damaged and has been rebuilt (%s); mail will be fetched again\n", why)
	}
	e.cache = c
	return c, nil
}

// Close releases what the Env opened.
func (e *Env) Close() error {
	var errs []error
	if e.cache != nil {
		errs = append(errs, e.cache.Close())
		e.cache = nil
	}
	if e.logFile != nil {
		errs = append(errs, e.logFile.Close())
		e.logFile = nil
	}
	return errors.Join(errs...)
}

// Core is the Manager with the cache it works on, for commands (and the window) that need both.
func (e *Env) Core() (*accounts.Manager, *localcache.Cache, error) {
	m, err := e.Manager()
	if err != nil {
		return nil, nil, err
	}
	cache, err := e.Cache() // opened already by Manager
	return m, cache, err
}

// Manager builds an account manager over the profile.
func (e *Env) Manager() (*accounts.Manager, error) {
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	cache, err := e.Cache()
	if err != nil {
		return nil, err
	}
	providers, err := oauth.NewRegistry(e.Profile.OAuthFile())
	if err != nil {
		return nil, err
	}
	filters, err := accounts.LoadRules(e.Profile.RulesFile())
	if err != nil {
		return nil, err
	}
	opt := accounts.Options{ConfigPath: e.Profile.AccountsFile(), TestOutgoing: e.TestOutgoing, Discover: e.Discover, OAuth: providers,
		Rules: filters, RulesPath: e.Profile.RulesFile()}
	if e.NewSender != nil {
		opt.Sender = func(m *accounts.Manager) accounts.Sender { return e.NewSender(cache, m, m.LoginSecrets()) }
	}
	return accounts.NewManager(cfg, cache, e.Secrets, e.Backends, opt), nil
}

// usageError is printed with the command's usage and exits 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

const usage = `Postbode, a desktop e-mail client for IMAP and POP3 accounts.

Usage: postbode [--profile DIR] [COMMAND | mailto:URL]

Without a command, the mail window opens; with a mailto: URL, a new message to write. When the
window is already open on the profile, it comes forward instead.

Commands:
  account add|list|remove|test   manage accounts
  account add --discover ADDR    find the server settings for an address
  account add --oauth ...        sign in with OAuth2 in a browser (Microsoft, Google, ...)
  account login NAME             sign an OAuth2 account in again
  folders [--account A]          list folders with unread counts
  ls [--account A] [FOLDER]      list messages, newest first
  show [--raw] ID                show a message (headers and text, or the exact stored bytes)
  search QUERY                   search mail: words, "phrases", from: to: subject:
                                 has:attachment is:unread is:flagged before: after:
  sync [--account A] [--once]    synchronise accounts (stay connected, or one pass with --once)
  copy|move ID... --to ACCOUNT/FOLDER
                                 copy or move messages into a folder of any account
  migrate ACCOUNT --to ACCOUNT   copy all mail of an account (POP3) into another (IMAP)
  migrate ACCOUNT --to-imap      the same into an IMAP account for its address, set up when missing
  demo [--keep]                  try Postbode on built-in demo servers, in a temporary profile
  send --account A --to X ...    send a message read from stdin
  export --account A --out PATH  export mail to mbox, Maildir or .eml [--folder F] [--format F]
  import --account A PATH        import mbox, Maildir or .eml files (or --thunderbird) into a POP3 account

Global options:
  --profile DIR   keep config, mail and logs in DIR (also POSTBODE_PROFILE)
  --version       print the version
`

// Run parses the global options and runs a command; it returns the exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("postbode", flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.Usage = func() { fmt.Fprint(a.Stderr, usage) }
	profileDir := fs.String("profile", "", "keep config, mail and logs in `DIR`")
	version := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Fprintf(a.Stdout, "postbode %s\n", a.Version)
		return 0
	}
	rest := fs.Args()
	var env *Env
	var err error
	if len(rest) > 0 && rest[0] == "demo" {
		// The demo makes its own temporary profile; the user's profile is not even created.
		env = &Env{Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr}
	} else if env, err = a.env(*profileDir); err != nil {
		fmt.Fprintf(a.Stderr, "postbode: %v\n", err)
		return 1
	}
	defer env.Close()

	if len(rest) == 0 || mailto.IsMailto(rest[0]) {
		if a.GUI == nil {
			fmt.Fprint(a.Stderr, usage)
			return 2
		}
		err = a.gui(ctx, env, rest)
	} else {
		err = a.dispatch(ctx, env, rest[0], rest[1:])
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(a.Stderr, "postbode: %v\n", err)
		return 2
	default:
		fmt.Fprintf(a.Stderr, "postbode: %v\n", err)
		return 1
	}
}

func (a *App) env(profileDir string) (*Env, error) {
	var p accounts.Profile
	if profileDir != "" {
		abs, err := filepath.Abs(profileDir)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", profileDir, err)
		}
		p = accounts.ProfileIn(abs)
	} else {
		var err error
		if p, err = accounts.DefaultProfile(); err != nil {
			return nil, err
		}
	}
	return a.envFor(p)
}

// envFor makes an Env on a profile, creating its folders; Env.Close releases it.
func (a *App) envFor(p accounts.Profile) (*Env, error) {
	if err := p.Ensure(); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(p.LogDir, "postbode.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &Env{
		Profile: p, Backends: a.Backends, NewSender: a.NewSender, Secrets: accounts.NewSecrets(),
		TestOutgoing: a.TestOutgoing, Discover: a.Discover,
		Stdin: a.Stdin, Stdout: a.Stdout, Stderr: a.Stderr,
		Log: slog.New(slog.NewTextHandler(logFile, nil)), logFile: logFile,
	}, nil
}

func (a *App) dispatch(ctx context.Context, env *Env, cmd string, args []string) error {
	switch cmd {
	case "account":
		return accountCmd(ctx, env, args)
	case "folders":
		return foldersCmd(ctx, env, args)
	case "ls":
		return lsCmd(ctx, env, args)
	case "show":
		return showCmd(ctx, env, args)
	case "search":
		return searchCmd(ctx, env, args)
	case "sync", "copy", "move", "migrate":
		// The window syncs the same cache: two writers would fetch and replay everything twice.
		lock, err := instance.TryLock(env.Profile.DataDir)
		if errors.Is(err, instance.ErrRunning) {
			return fmt.Errorf("%w: close the Postbode window (it keeps mail in sync itself) or wait for the other sync to end", err)
		}
		if err != nil {
			return err
		}
		defer lock.Close()
		switch cmd {
		case "sync":
			return syncCmd(ctx, env, args)
		case "migrate":
			return migrateCmd(ctx, env, args)
		}
		return transferCmd(ctx, env, cmd == "move", args)
	case "demo":
		return a.demo(ctx, env, args)
	case "send":
		return sendCmd(ctx, env, args)
	case "export":
		return exportCmd(ctx, env, args)
	case "import":
		return importCmd(ctx, env, args)
	case "help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q (see postbode --help)", cmd)}
	}
}

// gui opens the mail window, or hands the request to the window already open on this profile.
func (a *App) gui(ctx context.Context, env *Env, args []string) error {
	if len(args) > 1 {
		return usageError{"give at most one mailto: URL"}
	}
	if len(args) == 1 {
		if _, err := mailto.Parse(args[0]); err != nil {
			return usageError{err.Error()}
		}
		env.Mailto = args[0]
	}
	srv, err := instance.Listen(env.Profile.DataDir)
	if errors.Is(err, instance.ErrRunning) {
		if err := instance.Send(ctx, env.Profile.DataDir, env.Mailto); err != nil {
			return err
		}
		fmt.Fprintln(a.Stderr, "postbode: the Postbode window on this profile is already open and takes it from here")
		return nil
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	env.Instance = srv
	return a.GUI(ctx, env)
}

// newFlags makes a subcommand's flag set that reports errors as usage errors.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parse accepts flags before and after positional arguments ("ls INBOX --json") and returns the
// positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
