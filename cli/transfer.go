package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"postbode/types"
)

// transferCmd copies or moves messages into a folder of any account (`postbode copy|move ID...
// --to ACCOUNT/FOLDER`) and then runs one pass of the accounts with changes to replay, so that the
// change reaches their servers before the command ends: the target first (it stores and checks the
// copies), then the sources (a move removes the originals only after that).
func transferCmd(ctx context.Context, env *Env, move bool, args []string) error {
	verb := "copy"
	if move {
		verb = "move"
	}
	fs := newFlags(env, verb)
	to := fs.String("to", "", "the target `ACCOUNT/FOLDER`")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	passwordStdin := fs.Bool("password-stdin", false, "read the target account's password from stdin instead of the keyring")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	account, folder, ok := strings.Cut(*to, "/")
	if len(pos) == 0 || !ok || account == "" || folder == "" {
		return usageError{fmt.Sprintf("usage: postbode %s ID... --to ACCOUNT/FOLDER", verb)}
	}
	ids := make([]int64, len(pos))
	for i, p := range pos {
		if ids[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return usageError{fmt.Sprintf("message id %q is not a number", p)}
		}
	}
	m, cache, err := env.Core()
	if err != nil {
		return err
	}
	target, err := cache.FolderByName(ctx, account, folder)
	if err != nil {
		return fmt.Errorf("no folder %q in account %q: %w", folder, account, err)
	}
	if *passwordStdin {
		if _, err := password(env, account, true); err != nil {
			return err
		}
	}
	accounts := []string{target.Account}
	for _, id := range ids {
		msg, err := cache.Message(ctx, id)
		if err != nil {
			return fmt.Errorf("message %d: %w", id, err)
		}
		if !slices.Contains(accounts, msg.Account) {
			accounts = append(accounts, msg.Account)
		}
	}
	var req types.Request = types.Copy{IDs: ids, To: target.ID}
	if move {
		req = types.Move{IDs: ids, To: target.ID}
	}
	if err := m.Do(ctx, req); err != nil {
		return err
	}
	for _, name := range accounts {
		if pending, err := cache.PendingOps(ctx, name); err != nil || len(pending) == 0 {
			continue // nothing of this account's to tell its server (or the next sync finds out)
		}
		if err := m.SyncOnce(ctx, name); err != nil {
			return fmt.Errorf("the change is saved here and goes to the server with the next sync: %w", err)
		}
	}
	if *asJSON {
		return writeJSON(env, map[string]any{verb: len(ids), "to": *to})
	}
	fmt.Fprintf(env.Stdout, "%s %d message(s) to %s.\n", map[bool]string{true: "Moved", false: "Copied"}[move], len(ids), *to)
	return nil
}
