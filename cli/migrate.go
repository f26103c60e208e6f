package cli

import (
	"context"
	"errors"
	"fmt"

	"postbode/accounts"
	"postbode/accounts/mailmove"
	"postbode/types"
)

// migrateCmd copies all mail of one account into another (`postbode migrate POP3 --to IMAP`): the
// way mail downloaded by POP3 reaches the server of an IMAP account for the same address, and
// every device with it. Folders keep their names, Sent and Drafts go to the target's own, what the
// target holds already is skipped (so an interrupted run is simply run again), and the source is
// left as it is. The copies are uploaded and checked before the command ends.
//
// With --to-imap the target is the POP3 account's IMAP twin (Manager.IMAPTwin): an IMAP account
// of the profile with the same address, or one made from the settings discovery finds and the
// POP3 account's password, tested before it is added.
func migrateCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "migrate")
	to := fs.String("to", "", "the `ACCOUNT` to copy the mail into (add it first: postbode account add)")
	toIMAP := fs.Bool("to-imap", false, "copy into an IMAP account for the same address, found or set up with the same password")
	name := fs.String("name", "", "with --to-imap: the `NAME` of the IMAP account to set up")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	finish := fs.Bool("finish", false, "once the server holds everything, remove the POP3 account and keep its mail in a folder under \""+types.LocalAccountName+"\"")
	passwordStdin := fs.Bool("password-stdin", false, "read the target account's password from stdin instead of the keyring (with --to-imap: the POP3 account's, when the IMAP account is set up now)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*to == "") == !*toIMAP {
		return usageError{"usage: postbode migrate ACCOUNT --to ACCOUNT | --to-imap [--name NAME] [--finish]"}
	}
	m, err := env.Manager()
	if err != nil {
		return err
	}
	added := false
	if *toIMAP {
		if *to, added, err = imapTwin(ctx, env, m, pos[0], *name, *passwordStdin); err != nil {
			return err
		}
	} else if *passwordStdin {
		if _, err := password(env, *to, true); err != nil {
			return err
		}
	}
	progress := newMoveProgress(env, "checked")
	res, err := m.UploadAccount(ctx, pos[0], *to, func(p accounts.UploadProgress) {
		if p.Phase == accounts.PhaseCopy {
			progress.show(mailmove.Progress{Folder: pos[0], Done: p.Done, Total: p.Total})
		}
	})
	progress.finish()
	if err != nil {
		return err
	}
	var archive string
	if *finish {
		archive, err = m.FinishMoveToIMAP(ctx, pos[0], *to)
		if errors.Is(err, accounts.ErrPasswordKept) {
			fmt.Fprintln(env.Stderr, "Warning:", err)
		} else if err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(env, struct {
			accounts.CopyResult
			To      string `json:"to"`
			Added   bool   `json:"added"`
			Archive string `json:"archive,omitempty"`
		}{res, *to, added, archive})
	}
	fmt.Fprintf(env.Stdout, "Copied %d messages from %d folders of %s to %s; %d were there already.\n",
		res.Copied, res.Folders, pos[0], *to, res.Skipped)
	if *finish {
		fmt.Fprintf(env.Stdout, "%s is your account for %s now. The POP3 account is removed; its mail stays on this computer in the folder %q of %q until you delete it.\n",
			*to, pos[0], archive, types.LocalAccountName)
	} else if *toIMAP {
		fmt.Fprintf(env.Stdout, "Your mail is on the IMAP server now, in the account %s, for every device that signs in to it.\n"+
			"The POP3 account %s is unchanged and keeps its mail on this computer. Once you have checked %s,\n"+
			"finish the move (its mail stays on this computer, in a folder of its own): postbode migrate %s --to %s --finish\n",
			*to, pos[0], *to, shellQuote(pos[0]), shellQuote(*to))
	}
	return nil
}

// imapTwin finds or sets up the IMAP account the POP3 account pop moves into, and returns its name
// and whether it was added now.
func imapTwin(ctx context.Context, env *Env, m *accounts.Manager, pop, name string, fromStdin bool) (string, bool, error) {
	twin, found, err := m.IMAPTwin(ctx, pop)
	if err != nil {
		return "", false, err
	}
	if found {
		fmt.Fprintf(env.Stderr, "Copying into %s, the IMAP account for the same address.\n", twin.Name)
		if fromStdin {
			_, err = password(env, twin.Name, true)
		}
		return twin.Name, false, err
	}
	if name != "" {
		twin.Name = name
	}
	pw, err := password(env, pop, fromStdin)
	if err != nil {
		return "", false, fmt.Errorf("the password of %s, to sign in to IMAP with: %w", pop, err)
	}
	if _, err := m.Test(ctx, twin, pw); err != nil {
		return "", false, fmt.Errorf("%s (%s) did not accept the password of %s: %w\nSet the IMAP account up yourself (postbode account add), then: postbode migrate %s --to NAME",
			twin.Incoming.Host, twin.Kind, pop, err, shellQuote(pop))
	}
	if err := m.AddAccount(ctx, twin, pw, true); err != nil && !errors.Is(err, accounts.ErrNoKeyring) {
		return "", false, err
	} else if err != nil {
		fmt.Fprintln(env.Stderr, "Warning:", err)
	}
	fmt.Fprintf(env.Stderr, "Added the IMAP account %s (%s).\n", twin.Name, serverString(twin.Incoming))
	return twin.Name, true, nil
}
