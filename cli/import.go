package cli

import (
	"context"
	"fmt"

	"postbode/accounts/mailmove"
	"postbode/types"
)

func importCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import")
	account := fs.String("account", "", "the account to import into (default: the folders \""+types.LocalAccountName+"\")")
	folder := fs.String("folder", "", "the folder to import into (for a folder tree: the parent)")
	thunderbird := fs.Bool("thunderbird", false, "import the Local Folders of the default Thunderbird profile")
	asJSON := fs.Bool("json", false, "print a JSON summary")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *thunderbird == (len(pos) == 1) || len(pos) > 1 {
		return usageError{"import needs one PATH (an mbox file, Maildir, .eml file or folder of them) or --thunderbird"}
	}
	var src string
	if len(pos) == 1 {
		src = pos[0]
	}
	m, cache, err := env.Core()
	if err != nil {
		return err
	}
	if *account == "" {
		local, err := m.LocalAccount(ctx)
		if err != nil {
			return err
		}
		*account = local.Name
	}
	progress := newMoveProgress(env, "read")
	sum, err := mailmove.Import(ctx, cache, m, mailmove.ImportOptions{
		Account: *account, Folder: *folder, Source: src, Thunderbird: *thunderbird, Progress: progress.show,
	})
	progress.finish()
	if err != nil {
		return err
	}
	if src == "" {
		src = "Thunderbird Local Folders"
	}
	if *asJSON {
		return writeJSON(env, moveJSON{Account: *account, Path: src, Summary: sum})
	}
	fmt.Fprintf(env.Stdout, "Imported %d messages (%s) into %d folders of %s from %s\n",
		sum.Messages, megabytes(sum.Bytes), sum.Folders, *account, src)
	if sum.Duplicates > 0 {
		fmt.Fprintf(env.Stdout, "%d messages were there already and were skipped\n", sum.Duplicates)
	}
	if sum.Deleted > 0 {
		fmt.Fprintf(env.Stdout, "%d messages marked as deleted were skipped\n", sum.Deleted)
	}
	if sum.TooLarge > 0 {
		fmt.Fprintf(env.Stdout, "%d messages were too large and were skipped\n", sum.TooLarge)
	}
	return nil
}
