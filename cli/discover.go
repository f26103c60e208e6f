package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"postbode/accounts"
	"postbode/types"
)

// discoverRequested reports whether account add was given --discover, which
// turns it into a lookup that adds nothing.
func discoverRequested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "discover" {
			return true
		}
	}
	return false
}

// accountDiscover looks up the server settings for an address and prints
// them with the account add command that would use the best ones.
func accountDiscover(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "account add --discover")
	addr := fs.String("discover", "", "look up the server settings for this e-mail `ADDRESS` (nothing is added)")
	asJSON := fs.Bool("json", false, "print JSON")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *addr == "" {
		return usageError{"usage: postbode account add --discover ADDRESS [--json]"}
	}
	m, err := env.Manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	results, err := m.Discover(ctx, *addr)
	var nf *accounts.NoSettingsFoundError
	switch {
	case errors.Is(err, accounts.ErrInvalidAddress):
		return usageError{err.Error()}
	case errors.As(err, &nf):
		if *asJSON {
			if werr := writeJSON(env, []accounts.DiscoveryResult{}); werr != nil {
				return werr
			}
		}
		return fmt.Errorf("%w\nEnter the settings yourself: postbode account add --name NAME --email %s --kind imap|pop3 --host HOST [--security tls|starttls] ...",
			err, shellQuote(*addr))
	case err != nil:
		return err
	}
	if *asJSON {
		return writeJSON(env, results)
	}
	printDiscovery(env.Stdout, *addr, results)
	return nil
}

func printDiscovery(w io.Writer, addr string, results []accounts.DiscoveryResult) {
	if len(results) == 1 {
		fmt.Fprintf(w, "Server settings for %s:\n", addr)
	} else {
		fmt.Fprintf(w, "Server settings for %s, %d proposals, best first:\n", addr, len(results))
	}
	for i, r := range results {
		fmt.Fprintf(w, "\n%d. From %s", i+1, r.Source)
		if r.DisplayName != "" {
			fmt.Fprintf(w, ": %s", r.DisplayName)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range r.Incoming {
			printServer(tw, "incoming", s)
		}
		for _, s := range r.Outgoing {
			printServer(tw, "outgoing", s)
		}
		if len(r.Outgoing) == 0 {
			fmt.Fprintln(tw, "   outgoing\t(none found: ask your provider for the SMTP server)")
		}
		tw.Flush()
		if r.InsecureSource {
			fmt.Fprintln(w, "   Warning: these settings came over unencrypted http and could have been altered; check them with your provider.")
		}
		if r.NeedsOAuth {
			fmt.Fprintln(w, "   Note: this provider only accepts OAuth2 sign-in; use an app password from the provider's security settings.")
		}
	}
	if cmd := addCommand(addr, results[0]); cmd != "" {
		fmt.Fprintf(w, "\nTo add the account with the first proposal:\n  %s\n", cmd)
	}
}

func printServer(w io.Writer, dir string, s accounts.DiscoveredServer) {
	sec := string(s.Security)
	if s.Security == types.SecurityPlain {
		sec += " (UNENCRYPTED)"
	}
	fmt.Fprintf(w, "   %s\t%s\t%s:%d\t%s", dir, strings.ToUpper(string(s.Protocol)), s.Host, s.Port, sec)
	if s.User != "" {
		fmt.Fprintf(w, "\tuser %s", s.User)
	}
	if s.Auth != "" {
		fmt.Fprintf(w, "\tauth %s", s.Auth)
	}
	fmt.Fprintln(w)
}

// addCommand is the account add command line for r's first incoming and
// outgoing servers, quoted for a POSIX shell.
func addCommand(addr string, r accounts.DiscoveryResult) string {
	if len(r.Incoming) == 0 {
		return ""
	}
	in := r.Incoming[0]
	args := []string{"postbode", "account", "add", "--name", "NAME", "--email", shellQuote(addr),
		"--kind", string(in.Protocol), "--host", in.Host, "--port", fmt.Sprint(in.Port), "--security", string(in.Security)}
	if in.User != "" && in.User != addr {
		args = append(args, "--user", shellQuote(in.User))
	}
	if len(r.Outgoing) > 0 {
		out := r.Outgoing[0]
		args = append(args, "--smtp-host", out.Host, "--smtp-port", fmt.Sprint(out.Port), "--smtp-security", string(out.Security))
	}
	return strings.Join(append(args, "--password-stdin"), " ")
}

// shellQuote leaves plain words alone and single-quotes anything else, so a
// user name from a provider's file cannot run a command when pasted.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
