package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"postbode/localcache"
	"postbode/mailfmt"
)

type folderJSON struct {
	ID      int64  `json:"id"`
	Account string `json:"account"`
	Name    string `json:"name"`
	Role    string `json:"role,omitempty"`
	Total   int    `json:"total"`
	Unread  int    `json:"unread"`
}

func foldersCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "folders")
	account := fs.String("account", "", "only this account")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	folders, err := cache.Folders(ctx, *account)
	if err != nil {
		return err
	}
	out := make([]folderJSON, 0, len(folders))
	for _, f := range folders {
		out = append(out, folderJSON{f.ID, f.Account, f.Name, f.Role, f.Total, f.Unread})
	}
	if *asJSON {
		return writeJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tFOLDER\tROLE\tUNREAD\tTOTAL")
	for _, f := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", f.Account, f.Name, f.Role, f.Unread, f.Total)
	}
	return tw.Flush()
}

type messageJSON struct {
	ID       int64     `json:"id"`
	Account  string    `json:"account"`
	FolderID int64     `json:"folder_id"`
	UID      uint32    `json:"uid,omitempty"`
	Date     time.Time `json:"date"`
	From     string    `json:"from"`
	Subject  string    `json:"subject"`
	Seen     bool      `json:"seen"`
	Flagged  bool      `json:"flagged"`
	Answered bool      `json:"answered"`
	Size     int64     `json:"size"`
	HasBody  bool      `json:"downloaded"`
	Snippet  string    `json:"snippet,omitempty"`
}

func toJSON(m localcache.Message) messageJSON {
	from := m.FromAddr
	if m.FromName != "" {
		from = fmt.Sprintf("%s <%s>", m.FromName, m.FromAddr)
	}
	return messageJSON{
		ID: m.ID, Account: m.Account, FolderID: m.FolderID, UID: m.UID, Date: m.Date, From: from, Subject: m.Subject,
		Seen: m.Flags.Has(localcache.FlagSeen), Flagged: m.Flags.Has(localcache.FlagFlagged),
		Answered: m.Flags.Has(localcache.FlagAnswered), Size: m.Size, HasBody: m.BodyKey != "", Snippet: m.Snippet,
	}
}

func printMessages(env *Env, msgs []localcache.Message, asJSON bool) error {
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, toJSON(m))
	}
	if asJSON {
		return writeJSON(env, out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATE\tFLAGS\tFROM\tSUBJECT")
	for _, m := range out {
		flags := []byte("   ")
		if !m.Seen {
			flags[0] = 'N'
		}
		if m.Flagged {
			flags[1] = '!'
		}
		if m.Answered {
			flags[2] = 'R'
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", m.ID, m.Date.Local().Format("2006-01-02 15:04"), flags,
			truncate(m.From, 32), truncate(m.Subject, 60))
	}
	return tw.Flush()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// findFolders resolves a folder name (default INBOX / the inbox role) within one or every account.
func findFolders(ctx context.Context, cache *localcache.Cache, account, name string) ([]int64, error) {
	folders, err := cache.Folders(ctx, account)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, f := range folders {
		match := strings.EqualFold(f.Name, name) || (f.Role != "" && strings.EqualFold(f.Role, name))
		if name == "" {
			match = f.Role == localcache.RoleInbox
		}
		if match {
			ids = append(ids, f.ID)
		}
	}
	if len(ids) == 0 {
		if name == "" {
			name = "INBOX"
		}
		return nil, fmt.Errorf("no folder %q (see postbode folders)", name)
	}
	return ids, nil
}

func lsCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "ls")
	account := fs.String("account", "", "only this account")
	limit := fs.Int("limit", 50, "how many messages")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"usage: postbode ls [--account A] [--limit N] [--json] [FOLDER]"}
	}
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	name := ""
	if len(pos) == 1 {
		name = pos[0]
	}
	ids, err := findFolders(ctx, cache, *account, name)
	if err != nil {
		return err
	}
	msgs, err := cache.Page(ctx, ids, nil, *limit)
	if err != nil {
		return err
	}
	return printMessages(env, msgs, *asJSON)
}

func searchCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "search")
	account := fs.String("account", "", "only this account")
	limit := fs.Int("limit", 50, "how many messages")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"usage: postbode search [--account A] [--json] QUERY...\n" +
			"QUERY: words, \"a phrase\", from:, to:, subject:, has:attachment, is:unread, is:read,\n" +
			"is:flagged, before:YYYY-MM-DD, after:YYYY-MM-DD"}
	}
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	res, err := cache.Search(ctx, localcache.SearchQuery{Text: joinQuery(pos), Account: *account, Limit: *limit})
	if errors.Is(err, localcache.ErrBadQuery) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	if !*asJSON {
		note := ""
		if res.WithoutBody > 0 {
			note = fmt.Sprintf(" (%d of them not downloaded: headers only)", res.WithoutBody)
		}
		fmt.Fprintf(env.Stderr, "Searched %d messages%s.\n", res.Searched, note)
	}
	return printMessages(env, res.Messages, *asJSON)
}

// joinQuery puts the shell's words back into one query. The shell took the quotes off
// from:"Ann Lee" or "a phrase"; an argument with a space gets them back.
func joinQuery(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if !strings.ContainsAny(a, " \t") || strings.Contains(a, `"`) {
			continue
		}
		key, value, ok := strings.Cut(a, ":")
		if ok && !strings.ContainsAny(key, " \t") {
			out[i] = key + `:"` + value + `"`
		} else {
			out[i] = `"` + a + `"`
		}
	}
	return strings.Join(out, " ")
}

func showCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "show")
	raw := fs.Bool("raw", false, "print the exact stored bytes")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: postbode show [--raw] ID"}
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return usageError{fmt.Sprintf("message id %q is not a number", pos[0])}
	}
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	m, err := cache.Message(ctx, id)
	if err != nil {
		return err
	}
	if m.BodyKey == "" {
		if *raw {
			return fmt.Errorf("message %d is not downloaded yet (run postbode sync, or open it in the mail window)", id)
		}
		printHeader(env, toJSON(m).From, m.To, m.Cc, m.Date, m.Subject)
		fmt.Fprintln(env.Stdout, "(not downloaded yet: only the headers are on this computer)")
		return nil
	}
	body, err := cache.Body(ctx, m.BodyKey)
	if err != nil {
		return err
	}
	if *raw {
		_, err := env.Stdout.Write(body)
		return err
	}
	msg, err := mailfmt.Parse(bytes.NewReader(body), mailfmt.DefaultLimits)
	if err != nil {
		return fmt.Errorf("message %d cannot be shown: %w (postbode show --raw %d prints its bytes)", id, err, id)
	}
	printHeader(env, addrList(msg.From), addrList(msg.To), addrList(msg.Cc), msg.Date, msg.Subject)
	for _, w := range msg.Warnings {
		fmt.Fprintf(env.Stdout, "Note: %s\n", w)
	}
	fmt.Fprintln(env.Stdout, msg.Text)
	for _, a := range msg.Attachments {
		fmt.Fprintf(env.Stdout, "[attachment %s: %s, %s]\n", a.Path, a.Filename, humanSize(a.Size))
	}
	return nil
}

func addrList(as []mailfmt.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

func printHeader(env *Env, from, to, cc string, date time.Time, subject string) {
	fmt.Fprintf(env.Stdout, "From: %s\n", from)
	if to != "" {
		fmt.Fprintf(env.Stdout, "To: %s\n", to)
	}
	if cc != "" {
		fmt.Fprintf(env.Stdout, "Cc: %s\n", cc)
	}
	if !date.IsZero() {
		fmt.Fprintf(env.Stdout, "Date: %s\n", date.Local().Format("Mon, 2 Jan 2006 15:04"))
	}
	fmt.Fprintf(env.Stdout, "Subject: %s\n\n", subject)
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
