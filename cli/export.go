package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"postbode/accounts/mailmove"
	"postbode/mailfile"
)

type moveJSON struct {
	Account string `json:"account"`
	Path    string `json:"path"`
	Format  string `json:"format,omitempty"`
	mailmove.Summary
}

func exportCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "export")
	account := fs.String("account", "", "the account to export from")
	folder := fs.String("folder", "", "only this folder (name or role); default: the whole account")
	idList := fs.String("id", "", "only these messages (comma-separated ids, see postbode ls)")
	format := fs.String("format", "mbox", "mbox, maildir or eml")
	out := fs.String("out", "", "where to write (must not exist yet)")
	fetch := fs.Bool("fetch", false, "download bodies not on this computer yet (IMAP)")
	asJSON := fs.Bool("json", false, "print a JSON summary")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *account == "" && *idList == "" {
		return usageError{"export needs --account (or --id)"}
	}
	if *out == "" {
		return usageError{"export needs --out PATH"}
	}
	f := mailfile.Format(strings.ToLower(*format))
	if f != mailfile.FormatMbox && f != mailfile.FormatMaildir && f != mailfile.FormatEML {
		return usageError{fmt.Sprintf("unknown format %q: use mbox, maildir or eml", *format)}
	}
	var ids []int64
	for _, s := range strings.FieldsFunc(*idList, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("--id: %q is not a message id", s)}
		}
		ids = append(ids, id)
	}
	if len(ids) > 0 && *folder != "" {
		return usageError{"give --folder or --id, not both"}
	}
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	opt := mailmove.ExportOptions{Account: *account, Folder: *folder, IDs: ids, Format: f, Out: *out}
	if *fetch {
		m, err := env.Manager()
		if err != nil {
			return err
		}
		opt.Fetch = m.FetchBody
	}
	progress := newMoveProgress(env, "exported")
	opt.Progress = progress.show
	sum, err := mailmove.Export(ctx, cache, opt)
	progress.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env, moveJSON{Account: *account, Path: *out, Format: string(f), Summary: sum})
	}
	fmt.Fprintf(env.Stdout, "Exported %d messages (%s) from %d folders to %s\n", sum.Messages, megabytes(sum.Bytes), sum.Folders, *out)
	if sum.NotDownloaded > 0 {
		hint := ""
		if !*fetch {
			hint = " (--fetch downloads them first)"
		}
		fmt.Fprintf(env.Stdout, "%d messages were left out: not downloaded to this computer%s\n", sum.NotDownloaded, hint)
	}
	return nil
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// moveProgress shows "n/total" on one line rewritten in place, on a terminal only.
type moveProgress struct {
	p    *progressPrinter
	verb string
	last int
}

func newMoveProgress(env *Env, verb string) *moveProgress {
	return &moveProgress{p: newProgressPrinter(env), verb: verb, last: -1}
}

func (mp *moveProgress) show(pr mailmove.Progress) {
	// Every 100th message is enough for the eye, and a terminal write per message is not free.
	if !mp.p.terminal || (pr.Done-mp.last < 100 && pr.Done != pr.Total) {
		return
	}
	mp.last = pr.Done
	fmt.Fprintf(mp.p.env.Stderr, "\r\033[K%s: %d/%d %s (%s)", pr.Folder, pr.Done, pr.Total, mp.verb, megabytes(pr.Bytes))
	mp.p.open = true
}

func (mp *moveProgress) finish() { mp.p.finish() }
