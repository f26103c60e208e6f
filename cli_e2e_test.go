package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"postbode/internal/testkit/testbed"
)

// runCLI runs the fully wired program in-process, as the binary would.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := newApp(strings.NewReader(stdin), &out, &errOut).Run(context.Background(), args)
	return code, out.String(), errOut.String()
}

// TestCLISyncThenList adds an IMAP and a POP3 account against the test-bed Dovecot, syncs once and
// lists the inboxes as JSON, as a script would.
func TestCLISyncThenList(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	msgs := testbed.Generate(7, 12, testbed.GenOptions{})
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("bob", "INBOX", msgs[:5]...); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	// No keyring here: the password is given on stdin to every command that connects.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+profile+"/no-bus")
	for _, acc := range []struct {
		name, kind, user string
		port             int
	}{
		{"work", "imap", "alice", d.IMAPSPort},
		{"home", "pop3", "bob", d.POP3SPort},
	} {
		code, _, errOut := runCLI(t, "", "--profile", profile, "account", "add", "--name", acc.name, "--kind", acc.kind,
			"--email", acc.user+"@mail.test", "--user", acc.user, "--host", "127.0.0.1", "--port", strconv.Itoa(acc.port),
			"--security", "tls", "--ca-file", d.CAFile, "--body-window-days", "-1")
		if code != 0 {
			t.Fatalf("account add %s: %s", acc.name, errOut)
		}
		if code, out, errOut := runCLI(t, d.Password(acc.user)+"\n", "--profile", profile, "account", "test",
			"--password-stdin", acc.name); code != 0 || !strings.Contains(out, "Logged in") {
			t.Fatalf("account test %s: %d %s %s", acc.name, code, out, errOut)
		}
		if code, _, errOut := runCLI(t, d.Password(acc.user)+"\n", "--profile", profile, "sync", "--once",
			"--account", acc.name, "--password-stdin"); code != 0 {
			t.Fatalf("sync --once %s: %s", acc.name, errOut)
		}
	}
	for name, want := range map[string]int{"work": 12, "home": 5} {
		code, out, errOut := runCLI(t, "", "--profile", profile, "ls", "--account", name, "--limit", "100", "INBOX", "--json")
		var list []struct {
			ID         int64  `json:"id"`
			Subject    string `json:"subject"`
			Downloaded bool   `json:"downloaded"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
			t.Fatalf("ls %s: %d %q %s", name, code, out, errOut)
		}
		if len(list) != want {
			t.Fatalf("ls %s listed %d messages, want %d", name, len(list), want)
		}
		for _, m := range list {
			if !m.Downloaded || m.Subject == "" {
				t.Fatalf("%s: message %+v not fully synced", name, m)
			}
		}
		code, raw, _ := runCLI(t, "", "--profile", profile, "show", "--raw", strconv.FormatInt(list[0].ID, 10))
		if code != 0 || !bytes.Contains(msgs2bytes(msgs), []byte(raw)) {
			t.Fatalf("show --raw %s: stored bytes are not one of the delivered messages", name)
		}
	}

	// A message downloaded by POP3 moves into the IMAP account and is gone from the POP3 account's
	// folder. The test bed gave both users the same first messages, so alice's server holds these
	// bytes already: the replay finds that copy (Message-ID, then SHA-256) and takes it rather than
	// storing the message twice.
	home := lsIDs(t, profile, "home")
	if code, out, errOut := runCLI(t, d.Password("alice")+"\n", "--profile", profile, "move", strconv.FormatInt(home[0], 10),
		"--to", "work/INBOX", "--password-stdin", "--json"); code != 0 || !strings.Contains(out, `"move": 1`) {
		t.Fatalf("move: %d %q %s", code, out, errOut)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 12 {
		t.Fatalf("alice's INBOX after the move: %+v %v", st, err)
	}
	if left := lsIDs(t, profile, "home"); len(left) != 4 || slices.Contains(left, home[0]) {
		t.Fatalf("home's INBOX after the move: %v", left)
	}
	// The rest of the POP3 account's mail is on alice's server already (the test bed gave both
	// users the same first messages): recognised, nothing uploaded twice.
	for i, want := range []string{`"skipped": 4`, `"skipped": 4`} {
		if code, out, errOut := runCLI(t, d.Password("alice")+"\n", "--profile", profile, "migrate", "home", "--to", "work",
			"--password-stdin", "--json"); code != 0 || !strings.Contains(out, want) {
			t.Fatalf("migrate run %d: %d %q %s", i+1, code, out, errOut)
		}
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 12 {
		t.Fatalf("alice's INBOX after the migration: %+v %v", st, err)
	}
}

// lsIDs lists the ids of an account's INBOX through the command line.
func lsIDs(t *testing.T, profile, account string) []int64 {
	t.Helper()
	code, out, errOut := runCLI(t, "", "--profile", profile, "ls", "--account", account, "--limit", "100", "INBOX", "--json")
	var list []struct {
		ID int64 `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("ls %s: %d %q %s", account, code, out, errOut)
	}
	ids := make([]int64, len(list))
	for i, m := range list {
		ids[i] = m.ID
	}
	return ids
}

func msgs2bytes(msgs [][]byte) []byte { return bytes.Join(msgs, []byte("\x00")) }

// TestCLISyncRunsFilters: `sync --once` runs the profile's filter rules on new mail and passes
// again, so a rule's move reaches the IMAP server before the command returns.
func TestCLISyncRunsFilters(t *testing.T) {
	d := testbed.StartT(t, testbed.Options{})
	if err := d.CreateMailbox("alice", "Shop"); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+profile+"/no-bus")
	if code, _, errOut := runCLI(t, "", "--profile", profile, "account", "add", "--name", "work", "--kind", "imap",
		"--email", "alice@mail.test", "--user", "alice", "--host", "127.0.0.1", "--port", strconv.Itoa(d.IMAPSPort),
		"--security", "tls", "--ca-file", d.CAFile); code != 0 {
		t.Fatalf("account add: %s", errOut)
	}
	syncOnce := func() {
		t.Helper()
		if code, _, errOut := runCLI(t, d.Password("alice")+"\n", "--profile", profile, "sync", "--once", "--account", "work",
			"--password-stdin"); code != 0 {
			t.Fatalf("sync --once: %s", errOut)
		}
	}
	syncOnce() // the first pass: what is there is not new mail
	rulesFile := `{"rules": [{"name": "Shop", "enabled": true, "match": "all",
		"conditions": [{"field": "from", "op": "contains", "value": "@shop.example"}],
		"actions": [{"kind": "move", "folder": {"account": "work", "name": "Shop"}}]}]}`
	if err := os.WriteFile(filepath.Join(profile, "config", "rules.json"), []byte(rulesFile), 0o600); err != nil {
		t.Fatal(err)
	}
	shop := "From: news@shop.example\r\nTo: alice@mail.test\r\nSubject: Offers\r\nMessage-ID: <offers@shop.example>\r\n\r\nbuy\r\n"
	friend := "From: bob@mail.test\r\nTo: alice@mail.test\r\nSubject: Dinner\r\nMessage-ID: <dinner@mail.test>\r\n\r\nhi\r\n"
	if err := d.Deliver("alice", "INBOX", []byte(shop), []byte(friend)); err != nil {
		t.Fatal(err)
	}
	syncOnce()
	if st, err := d.Status("alice", "Shop"); err != nil || st.Messages != 1 {
		t.Fatalf("alice's Shop after sync: %+v %v", st, err)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 1 {
		t.Fatalf("alice's INBOX after sync: %+v %v", st, err)
	}
}
