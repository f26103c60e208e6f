package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"postbode/accounts"
	"postbode/types"
)

func accountCmd(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageError{"account needs a subcommand: add, list, remove, test or login"}
	}
	switch args[0] {
	case "add":
		return accountAdd(ctx, env, args[1:])
	case "list":
		return accountList(env, args[1:])
	case "remove":
		return accountRemove(ctx, env, args[1:])
	case "test":
		return accountTest(ctx, env, args[1:])
	case "login":
		return accountLogin(ctx, env, args[1:])
	default:
		return usageError{fmt.Sprintf("unknown account subcommand %q", args[0])}
	}
}

// readPassword reads one line from stdin without keeping the trailing newline.
func readPassword(env *Env) (string, error) {
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("the password read from stdin is empty")
	}
	return pw, nil
}

func accountAdd(ctx context.Context, env *Env, args []string) error {
	if discoverRequested(args) {
		return accountDiscover(ctx, env, args)
	}
	fs := newFlags(env, "account add")
	var (
		a                            types.Account
		kind, security, smtpSecurity string
		passwordStdin, useOAuth      bool
		poll                         time.Duration
	)
	fs.StringVar(&a.Name, "name", "", "account name")
	fs.StringVar(&a.Email, "email", "", "e-mail address")
	fs.StringVar(&a.DisplayName, "display-name", "", "your name as others see it")
	fs.StringVar(&kind, "kind", "imap", "imap or pop3")
	fs.StringVar(&a.Incoming.Host, "host", "", "incoming server host")
	fs.IntVar(&a.Incoming.Port, "port", 0, "incoming server port (default from kind and security)")
	fs.StringVar(&security, "security", "tls", "tls, starttls or plain")
	fs.StringVar(&a.Incoming.User, "user", "", "user name (default: the e-mail address)")
	fs.StringVar(&a.Incoming.CAFile, "ca-file", "", "PEM file of CAs trusted for this account only")
	fs.StringVar(&a.Outgoing.Host, "smtp-host", "", "SMTP server host (default: the incoming host)")
	fs.IntVar(&a.Outgoing.Port, "smtp-port", 0, "SMTP server port (default 465 for tls, 587 for starttls or plain)")
	fs.StringVar(&smtpSecurity, "smtp-security", "", "tls, starttls or plain (default: starttls when --security is starttls, else tls)")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from stdin")
	fs.BoolVar(&useOAuth, "oauth", false, "sign in with OAuth2 in a browser instead of a password (prints the address to open)")
	fs.StringVar(&a.Auth.Provider, "oauth-provider", "", "with --oauth: the provider's ID (default: the one serving the host or address)")
	fs.StringVar(&a.Auth.Mechanism, "sasl", "", "with --oauth: XOAUTH2 (default) or OAUTHBEARER")
	fs.DurationVar(&poll, "poll", 10*time.Minute, "POP3: how often to check for mail")
	fs.StringVar(&a.POP3.Leave, "leave", types.LeaveKeep, "POP3: keep, delete, days or delete-locally")
	fs.IntVar(&a.POP3.Days, "days", 0, "POP3: with --leave days, how many days to keep mail on the server")
	fs.IntVar(&a.IMAP.BodyWindowDays, "body-window-days", 0, "IMAP: download bodies of mail newer than this many days while syncing (-1: all; default 30)")
	fs.String("discover", "", "look up and print the server settings for an e-mail `ADDRESS` and add nothing (with --json: as JSON)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	a.Kind = types.Protocol(kind)
	a.Incoming.Security = types.Security(security)
	if a.Incoming.Port == 0 {
		a.Incoming.Port = types.DefaultPort(a.Kind, a.Incoming.Security)
	}
	if a.Incoming.User == "" {
		a.Incoming.User = a.Email
	}
	if a.Outgoing.Host == "" {
		a.Outgoing.Host = a.Incoming.Host
	}
	a.Outgoing.Security = types.Security(smtpSecurity)
	if smtpSecurity == "" {
		// Never plain by default: unencrypted SMTP is a choice of its own.
		a.Outgoing.Security = types.SecurityTLS
		if a.Incoming.Security == types.SecurityStartTLS {
			a.Outgoing.Security = types.SecurityStartTLS
		}
	}
	if a.Outgoing.Port == 0 {
		a.Outgoing.Port = types.DefaultPort(types.SMTP, a.Outgoing.Security)
	}
	a.Outgoing.User, a.Outgoing.CAFile = a.Incoming.User, a.Incoming.CAFile
	a.POP3.PollInterval.Duration = poll
	if useOAuth && passwordStdin {
		return usageError{"--oauth and --password-stdin exclude each other"}
	}
	if !useOAuth && (a.Auth.Provider != "" || a.Auth.Mechanism != "") {
		return usageError{"--oauth-provider and --sasl need --oauth"}
	}

	cfg, err := env.Config()
	if err != nil {
		return err
	}
	var signIn func(context.Context) (string, error)
	if useOAuth {
		// The provider is found before anything is checked or saved; the sign-in comes after the
		// checks, and the account is saved only once it worked.
		if signIn, err = oauthSignIn(env, &a); err != nil {
			return err
		}
	}
	// Validate refuses plain connections to hosts outside this computer and the local network
	// (types.PlainAllowed, the wizard's rule too); the ones it allows are warned about.
	if err := cfg.Add(a); err != nil {
		return usageError{err.Error()}
	}
	for _, s := range []struct {
		which  string
		server types.Server
	}{{"incoming", a.Incoming}, {"SMTP", a.Outgoing}} {
		if s.server.Security == types.SecurityPlain {
			fmt.Fprintf(env.Stderr, "postbode: warning: the %s server %s is unencrypted: your password and mail cross the network readable by anyone on the way\n",
				s.which, serverString(s.server))
		}
	}
	var password string
	if passwordStdin {
		if password, err = readPassword(env); err != nil {
			return err
		}
	}
	if signIn != nil {
		if password, err = signIn(ctx); err != nil {
			return err
		}
	}
	if err := cfg.Save(env.Profile.AccountsFile()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Added %s account %q (%s).\n", strings.ToUpper(kind), a.Name, a.Email)
	if password != "" {
		if err := env.Secrets.Set(a.Name, password); err != nil {
			if errors.Is(err, accounts.ErrNoKeyring) {
				fmt.Fprintf(env.Stderr, "postbode: %v\n", err)
				if useOAuth {
					fmt.Fprintf(env.Stderr, "postbode: the sign-in was not saved; start a keyring (e.g. GNOME Keyring) and run: postbode account login %s\n", shellQuote(a.Name))
				} else {
					fmt.Fprintln(env.Stderr, "postbode: the password was not saved; pass --password-stdin to sync, or start a keyring (e.g. GNOME Keyring) and add the account again")
				}
				return nil
			}
			return err
		}
		if useOAuth {
			fmt.Fprintln(env.Stdout, "Signed in; the sign-in is kept in the system keyring.")
		} else {
			fmt.Fprintln(env.Stdout, "The password is stored in the system keyring.")
		}
	}
	return nil
}

type accountJSON struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Email    string `json:"email"`
	Incoming string `json:"incoming"`
	Outgoing string `json:"outgoing"`
}

func serverString(s types.Server) string {
	if s.Host == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d (%s)", s.Host, s.Port, s.Security)
}

func accountList(env *Env, args []string) error {
	fs := newFlags(env, "account list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	out := make([]accountJSON, 0, len(cfg.Accounts))
	for _, a := range cfg.Accounts {
		out = append(out, accountJSON{a.Name, string(a.Kind), a.Email, serverString(a.Incoming), serverString(a.Outgoing)})
	}
	if *asJSON {
		return writeJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tADDRESS\tINCOMING\tOUTGOING")
	for _, a := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.Kind, a.Email, a.Incoming, a.Outgoing)
	}
	return tw.Flush()
}

func accountRemove(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "account remove")
	deleteMail := fs.Bool("delete-mail", false, "also delete the account's downloaded mail from this computer")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: postbode account remove [--delete-mail] NAME"}
	}
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	if err := cfg.Remove(pos[0]); err != nil {
		return err
	}
	if err := cfg.Save(env.Profile.AccountsFile()); err != nil {
		return err
	}
	if err := env.Secrets.Delete(pos[0]); err != nil {
		fmt.Fprintf(env.Stderr, "postbode: %v\n", err)
	}
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	if err := cache.DeleteAccount(ctx, pos[0], *deleteMail); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Removed account %q.\n", pos[0])
	return nil
}

// password returns the account's password from stdin (when asked) or the keyring.
func password(env *Env, name string, fromStdin bool) (string, error) {
	if fromStdin {
		pw, err := readPassword(env)
		if err != nil {
			return "", err
		}
		env.Secrets.Remember(name, pw)
		return pw, nil
	}
	return env.Secrets.Get(name)
}

func accountTest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "account test")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from stdin instead of the keyring")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: postbode account test [--password-stdin] NAME"}
	}
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	acc, ok := cfg.Find(pos[0])
	if !ok {
		return fmt.Errorf("no account named %q", pos[0])
	}
	pw, err := password(env, acc.Name, *passwordStdin)
	if err != nil {
		return err
	}
	b, ok := env.Backends[acc.Kind]
	if !ok || b.Test == nil {
		return fmt.Errorf("no connection test for %s accounts", acc.Kind)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	rep, err := b.Test(ctx, acc, pw)
	if err != nil {
		return fmt.Errorf("%s: %w", serverString(acc.Incoming), err)
	}
	fmt.Fprintf(env.Stdout, "Logged in to %s as %s.\n", serverString(acc.Incoming), acc.Incoming.User)
	if rep.TLS != "" {
		fmt.Fprintf(env.Stdout, "Connection: %s\n", rep.TLS)
	}
	if len(rep.Capabilities) > 0 {
		fmt.Fprintf(env.Stdout, "Capabilities: %s\n", strings.Join(rep.Capabilities, " "))
	}
	return nil
}

func writeJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oauthSignIn names a's OAuth2 provider in a.Auth and returns the sign-in, which prints the
// address to open, waits for the browser to come back and returns the refresh token to keep.
func oauthSignIn(env *Env, a *types.Account) (func(context.Context) (string, error), error) {
	m, err := env.Manager()
	if err != nil {
		return nil, err
	}
	a.Auth.Method = types.AuthOAuth2
	p, ok := m.OAuthProvider(*a)
	if !ok {
		return nil, fmt.Errorf("no OAuth2 provider is known for %s; name one with --oauth-provider or add it to %s", a.Email, env.Profile.OAuthFile())
	}
	if !p.Configured() {
		return nil, fmt.Errorf("this copy of Postbode has no OAuth2 client ID for %s; set one in %s (see the README)", p.Name, env.Profile.OAuthFile())
	}
	a.Auth.Provider = p.ID
	acc := *a
	return func(ctx context.Context) (string, error) {
		tok, err := m.SignIn(ctx, acc, func(url string) error {
			fmt.Fprintf(env.Stderr, "Open this address in a browser to sign in with %s:\n\n  %s\n\nWaiting for the browser...\n", p.Name, url)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("sign in with %s: %w", p.Name, err)
		}
		return tok.Refresh, nil
	}, nil
}

// accountLogin signs an OAuth2 account in again (after its sign-in was revoked or expired).
func accountLogin(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "account login")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: postbode account login NAME"}
	}
	m, err := env.Manager()
	if err != nil {
		return err
	}
	acc, ok := m.Account(pos[0])
	if !ok {
		return fmt.Errorf("no account named %q", pos[0])
	}
	if !acc.OAuth2() {
		return usageError{fmt.Sprintf("account %q signs in with a password; change it with the settings window or remove and add it again", acc.Name)}
	}
	signIn, err := oauthSignIn(env, &acc)
	if err != nil {
		return err
	}
	refresh, err := signIn(ctx)
	if err != nil {
		return err
	}
	if err := env.Secrets.Set(acc.Name, refresh); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Signed in again to %q.\n", acc.Name)
	return nil
}
