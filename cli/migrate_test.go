package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"postbode/accounts"
	"postbode/internal/testkit/testbed"
	"postbode/sync/imapsync"
	"postbode/sync/pop3sync"
	"postbode/types"
)

// `postbode migrate pop --to-imap` on the real Dovecot: it finds the IMAP settings of the
// address, adds the IMAP account with the POP3 account's password, uploads what the server lost
// since the POP3 download, says how the accounts stand, and leaves the POP3 account as it was; run
// again, it finds that IMAP account and adds nothing.
func TestMigrateToIMAP(t *testing.T) {
	// No keyring: each command is given the password on stdin.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	d := testbed.StartT(t, testbed.Options{})
	pw := d.Password("alice") + "\n"
	msgs := testbed.Generate(61, 20, testbed.GenOptions{AttachmentRatio: -1})
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	app := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		a := &App{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
			Backends: map[types.Protocol]types.Backend{types.IMAP: imapsync.Backend, types.POP3: {New: pop3sync.New, Test: pop3sync.Test}},
			Discover: func(context.Context, string) ([]accounts.DiscoveryResult, error) {
				return []accounts.DiscoveryResult{{Source: "test", Incoming: []accounts.DiscoveredServer{
					{Protocol: types.POP3, Server: types.Server{Host: d.Host, Port: d.POP3SPort, Security: types.SecurityTLS, User: "alice@mail.test"}},
					{Protocol: types.IMAP, Server: types.Server{Host: d.Host, Port: d.IMAPSPort, Security: types.SecurityTLS, User: "alice@mail.test"}},
				}}}, nil
			}}
		code := a.Run(context.Background(), append([]string{"--profile", profile}, args...))
		return code, out.String(), errOut.String()
	}
	must := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errOut := app(stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s%s", args, code, out, errOut)
		}
		return out
	}
	must(pw, "account", "add", "--name", "pop", "--email", "alice@mail.test", "--kind", "pop3",
		"--host", d.Host, "--port", strconv.Itoa(d.POP3SPort), "--user", "alice", "--ca-file", d.CAFile, "--password-stdin")
	must(pw, "sync", "--once", "--account", "pop", "--password-stdin")
	// Another client deletes half of the mail POP3 left on the server.
	if err := d.Expunge("alice", "INBOX", 1, 3, 5, 7, 9, 11, 13, 15, 17, 19); err != nil {
		t.Fatal(err)
	}

	out := must(pw, "migrate", "pop", "--to-imap", "--password-stdin")
	t.Logf("migrate pop --to-imap:\n%s", out)
	for _, want := range []string{"Copied 10 messages", "10 were there already", "account pop-imap", "POP3 account pop is unchanged", "postbode migrate pop --to pop-imap --finish"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 20 {
		t.Fatalf("the server's INBOX: %+v (%v), want 20 messages", st, err)
	}
	list := must("", "account", "list")
	if !strings.Contains(list, "pop-imap") || !strings.Contains(list, "pop ") && !strings.Contains(list, "pop\t") {
		t.Errorf("account list:\n%s", list)
	}
	again := must(pw, "migrate", "pop", "--to-imap", "--json", "--password-stdin")
	if !strings.Contains(again, `"copied": 0`) || !strings.Contains(again, `"to": "pop-imap"`) || !strings.Contains(again, `"added": false`) {
		t.Errorf("a second run: %s", again)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 20 {
		t.Fatalf("the server's INBOX after a second run: %+v (%v)", st, err)
	}
	// Finished: the IMAP account is the account; the POP3 account's mail is kept on this computer.
	done := must(pw, "migrate", "pop", "--to", "pop-imap", "--finish", "--password-stdin")
	if !strings.Contains(done, "pop-imap is your account for pop now") || !strings.Contains(done, `folder "pop" of "On this computer"`) {
		t.Errorf("the finish: %s", done)
	}
	list = must("", "account", "list")
	if strings.Contains(list, "pop3") || !strings.Contains(list, "On this computer") {
		t.Errorf("account list after the finish:\n%s", list)
	}
	if ls := must("", "ls", "--account", "On this computer", "pop/Inbox"); strings.Count(ls, "\n") < 20 {
		t.Errorf("the kept POP3 inbox lists:\n%s", ls)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 20 {
		t.Fatalf("the server's INBOX after the finish: %+v (%v)", st, err)
	}
}
