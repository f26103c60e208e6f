package cli

import (
	"context"
	"fmt"

	"postbode/accounts/mailmove"
)

// migrateCmd copies all mail of one account into another (`postbode migrate POP3 --to IMAP`): the
// way mail downloaded by POP3 reaches the server of an IMAP account for the same address, and
// every device with it. Folders keep their names, Sent and Drafts go to the target's own, what the
// target holds already is skipped (so an interrupted run is simply run again), and the source is
// left as it is. The copies are uploaded and checked before the command ends.
func migrateCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "migrate")
	to := fs.String("to", "", "the `ACCOUNT` to copy the mail into (add it first: postbode account add)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	passwordStdin := fs.Bool("password-stdin", false, "read the target account's password from stdin instead of the keyring")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *to == "" {
		return usageError{"usage: postbode migrate ACCOUNT --to ACCOUNT"}
	}
	m, err := env.Manager()
	if err != nil {
		return err
	}
	if *passwordStdin {
		if _, err := password(env, *to, true); err != nil {
			return err
		}
	}
	progress := newMoveProgress(env, "checked")
	res, err := m.CopyAccount(ctx, pos[0], *to, func(done, total int) {
		progress.show(mailmove.Progress{Folder: pos[0], Done: done, Total: total})
	})
	progress.finish()
	if err != nil {
		return err
	}
	if err := m.SyncOnce(ctx, *to); err != nil {
		return fmt.Errorf("the copies are kept here and go to the server with the next sync: %w", err)
	}
	if *asJSON {
		return writeJSON(env, res)
	}
	fmt.Fprintf(env.Stdout, "Copied %d messages from %d folders of %s to %s; %d were there already.\n",
		res.Copied, res.Folders, pos[0], *to, res.Skipped)
	return nil
}
