package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/mailfmt"
)

// recordingSender is an outbox that keeps what it is given.
type recordingSender struct{ raw [][]byte }

func (s *recordingSender) Queue(ctx context.Context, it localcache.OutboxItem) (int64, error) {
	s.raw = append(s.raw, it.Raw)
	return int64(len(s.raw)), nil
}
func (s *recordingSender) Run(context.Context)         {}
func (s *recordingSender) Flush(context.Context) error { return nil }
func (s *recordingSender) Wake()                       {}

// TestSendAddsTheSignature: `postbode send` puts the account's signature under the text once,
// not again when the text carries it, and not with --no-signature.
func TestSendAddsTheSignature(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	profile := t.TempDir()
	if code, _, errOut := run(t, profile, "", "account", "add", "--name", "work", "--email", "me@mail.test",
		"--kind", "imap", "--host", "mail.test"); code != 0 {
		t.Fatalf("account add: %s", errOut)
	}
	// The signature is set as Account settings would, in the accounts file.
	var file string
	filepath.WalkDir(profile, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "accounts.json" {
			file = path
		}
		return err
	})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	acc := cfg["accounts"].([]any)[0].(map[string]any)
	acc["signature"] = "Me\nmail.test"
	acc["identities"] = []any{map[string]any{"name": "Sales", "email": "sales@mail.test", "reply_to": "team@mail.test", "signature": "Sales team"}}
	if data, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	sender := &recordingSender{}
	send := func(body string, extra ...string) mailfmt.Draft {
		t.Helper()
		var out, errOut bytes.Buffer
		app := &App{Stdin: strings.NewReader(body), Stdout: &out, Stderr: &errOut, Discover: testDiscover,
			NewSender: func(*localcache.Cache, *accounts.Manager, accounts.PasswordSource) accounts.Sender { return sender }}
		app.Run(context.Background(), append([]string{"--profile", profile, "send", "--account", "work",
			"--to", "bob@mail.test", "--subject", "hi"}, extra...))
		if len(sender.raw) == 0 {
			t.Fatalf("nothing queued: %s", errOut.String())
		}
		d, err := mailfmt.ParseDraft(sender.raw[len(sender.raw)-1])
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if got := send("Hello Bob\n"); got.Text != "Hello Bob\n\n-- \nMe\nmail.test\n" || got.From.Email != "me@mail.test" || len(got.ReplyTo) != 0 {
		t.Fatalf("with the signature: from %v, text %q", got.From, got.Text)
	}
	if got := send("Hello\n\n-- \nMe\nmail.test\n"); strings.Count(got.Text, "-- \n") != 1 {
		t.Fatalf("signature twice: %q", got.Text)
	}
	if got := send("Hello\n", "--no-signature"); got.Text != "Hello\n" {
		t.Fatalf("--no-signature: %q", got.Text)
	}
	// --from: another identity of the account, with its name, Reply-To and signature.
	got := send("Hello\n", "--from", "SALES@mail.test")
	if got.From != (mailfmt.Address{Name: "Sales", Email: "sales@mail.test"}) || len(got.ReplyTo) != 1 ||
		got.ReplyTo[0].Email != "team@mail.test" || got.Text != "Hello\n\n-- \nSales team\n" {
		t.Fatalf("--from sales: from %v, reply-to %v, text %q", got.From, got.ReplyTo, got.Text)
	}
	code, _, errOut := run(t, profile, "Hello\n", "send", "--account", "work", "--from", "ceo@mail.test", "--to", "bob@mail.test")
	if code == 0 || !strings.Contains(errOut, "ceo@mail.test is not an identity of account work") {
		t.Fatalf("--from an unknown address: exit %d, %s", code, errOut)
	}
}
