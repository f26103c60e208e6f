package cli

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// addressList collects repeated or comma-separated address flags.
type addressList []mailfmt.Address

func (l *addressList) String() string { return fmt.Sprint(*l) }

func (l *addressList) Set(v string) error {
	as, err := mail.ParseAddressList(v)
	if err != nil {
		return fmt.Errorf("address %q: %w", v, err)
	}
	for _, a := range as {
		*l = append(*l, mailfmt.Address{Name: a.Name, Email: a.Address})
	}
	return nil
}

type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(v string) error { *l = append(*l, v); return nil }

func sendCmd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "send")
	var to, cc, bcc addressList
	var attach fileList
	account := fs.String("account", "", "send from this account")
	from := fs.String("from", "", "send as this identity of the account (its address; default: the account's own)")
	subject := fs.String("subject", "", "subject")
	fs.Var(&to, "to", "recipient (repeat or separate with commas)")
	fs.Var(&cc, "cc", "copy recipient")
	fs.Var(&bcc, "bcc", "blind copy recipient (not shown to the others)")
	fs.Var(&attach, "attach", "attach a file (repeat for more)")
	noSignature := fs.Bool("no-signature", false, "leave out the account's signature")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin, the body after it")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *account == "" || len(to)+len(cc)+len(bcc) == 0 {
		return usageError{"usage: postbode send --account A [--from ADDRESS] --to X [--cc X] [--bcc X] [--subject S] [--attach FILE]... < body.txt"}
	}
	if *passwordStdin {
		if _, err := password(env, *account, true); err != nil {
			return err
		}
	}
	body, err := io.ReadAll(io.LimitReader(env.Stdin, 64<<20))
	if err != nil {
		return fmt.Errorf("read message text from stdin: %w", err)
	}
	d := mailfmt.Draft{To: to, Cc: cc, Bcc: bcc, Subject: *subject, Text: string(body)}
	for _, path := range attach {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		d.Attachments = append(d.Attachments, mailfmt.Attachment{Name: filepath.Base(path), Data: data})
	}
	m, err := env.Manager()
	if err != nil {
		return err
	}
	acc, ok := m.Account(*account)
	if !ok {
		return fmt.Errorf("no account named %q", *account)
	}
	id := acc.ReplyIdentity()
	if *from != "" {
		if id, ok = acc.IdentityFor(*from); !ok {
			return fmt.Errorf("%s is not an identity of account %s (see its settings)", *from, acc.Name)
		}
	}
	d.From = id.Address()
	if sig := mailfmt.Sign("", id.Signature, false); sig != "" && !*noSignature && !mailfmt.HasSignature(d.Text, id.Signature) {
		d.Text = strings.TrimRight(d.Text, "\n") + sig
	}
	if err := m.Do(ctx, types.Send{Account: *account, Draft: d}); err != nil {
		return err
	}
	// Deliver now, then let the account's engine file the Sent copy on the server (IMAP).
	syncErr := m.SyncOnce(ctx, *account)
	cache, err := env.Cache()
	if err != nil {
		return err
	}
	waiting, err := cache.Outbox(ctx, *account)
	if err != nil {
		return err
	}
	for _, it := range waiting {
		if it.State == localcache.OutboxFailed {
			return fmt.Errorf("not sent: %s", it.LastError)
		}
	}
	if len(waiting) > 0 {
		fmt.Fprintf(env.Stdout, "Not sent yet; kept in the outbox (%s). Postbode retries while it runs.\n", waiting[len(waiting)-1].LastError)
		return nil
	}
	if syncErr != nil {
		return fmt.Errorf("sent, but the account could not be synchronised: %w", syncErr)
	}
	fmt.Fprintln(env.Stdout, "Sent.")
	return nil
}
