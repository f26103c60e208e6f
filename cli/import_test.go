package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"postbode/accounts"
	"postbode/types"
)

// profileWithAccounts writes an accounts file with a POP3 account "pop" and an IMAP account "imap".
func profileWithAccounts(t *testing.T) string {
	t.Helper()
	profile := t.TempDir()
	p := accounts.ProfileIn(profile)
	if err := p.Ensure(); err != nil {
		t.Fatal(err)
	}
	var cfg accounts.Config
	for _, a := range []struct {
		name string
		kind types.Protocol
	}{{"pop", types.POP3}, {"imap", types.IMAP}} {
		srv := types.Server{Host: "mail.example.org", Port: 995, Security: types.SecurityTLS, User: a.name}
		if err := cfg.Add(types.Account{Name: a.name, Kind: a.kind, Email: a.name + "@example.org", Incoming: srv, Outgoing: srv}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Save(p.AccountsFile()); err != nil {
		t.Fatal(err)
	}
	return profile
}

func TestImportExportCommands(t *testing.T) {
	profile := profileWithAccounts(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "old-mail.mbox")
	mbox := "From alice@example.org Mon Jan  1 10:00:00 2024\nMessage-ID: <1@x>\nSubject: first\n\nFrom here on\n>From there\n\n" +
		"From bob@example.org Mon Jan  1 11:00:00 2024\nX-Mozilla-Status: 0005\nMessage-ID: <2@x>\nSubject: second\n\nbye"
	if err := os.WriteFile(src, []byte(mbox), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, profile, "", "import", "--account", "pop", src)
	if code != 0 || !strings.Contains(out, "Imported 2 messages") || !strings.Contains(out, "into 1 folders of pop") {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	// Again, as JSON: both are there already.
	code, out, errOut = run(t, profile, "", "import", "--account", "pop", "--json", src)
	var sum moveJSON
	if code != 0 || json.Unmarshal([]byte(out), &sum) != nil || sum.Messages != 0 || sum.Duplicates != 2 {
		t.Fatalf("second import: %d %q %q", code, out, errOut)
	}
	// Without an account: into the folders on this computer, set up for it.
	if code, out, errOut = run(t, profile, "", "import", src); code != 0 || !strings.Contains(out, "into 1 folders of On this computer") {
		t.Fatalf("import without an account: %d %q %q", code, out, errOut)
	}
	if code, out, errOut = run(t, profile, "", "account", "list"); code != 0 || !strings.Contains(out, "On this computer") {
		t.Fatalf("account list after a local import: %d %q %q", code, out, errOut)
	}
	code, out, _ = run(t, profile, "", "ls", "--account", "pop", "--json", "old-mail")
	var list []messageJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || !list[0].Seen || !list[0].Flagged {
		t.Fatalf("ls: %d %q", code, out)
	}

	exported := filepath.Join(dir, "out.mbox")
	code, out, errOut = run(t, profile, "", "export", "--account", "pop", "--folder", "old-mail", "--out", exported, "--json")
	var ex moveJSON
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil || ex.Messages != 2 || ex.Format != "mbox" {
		t.Fatalf("export: %d %q %q", code, out, errOut)
	}
	data, err := os.ReadFile(exported)
	// mboxrd: the import took ">From there" for an escaped "From there"; both are escaped again.
	if err != nil || !strings.Contains(string(data), "\n>From here on\n>From there\n") {
		t.Fatalf("exported mbox: %v\n%s", err, data)
	}
	// The export imported into another folder gives the same bytes back.
	if code, _, errOut = run(t, profile, "", "import", "--account", "pop", "--folder", "Copy", exported); code != 0 {
		t.Fatalf("import of the export: %q", errOut)
	}
	eml := filepath.Join(dir, "first.eml")
	if code, _, errOut = run(t, profile, "", "export", "--id", strconv.FormatInt(list[1].ID, 10), "--format", "eml", "--out", eml); code != 0 {
		t.Fatalf("export eml: %q", errOut)
	}
	if data, _ := os.ReadFile(eml); string(data) != "Message-ID: <1@x>\nSubject: first\n\nFrom here on\nFrom there\n" {
		t.Fatalf(".eml: %q", data)
	}

	tree := filepath.Join(dir, "tree")
	if code, out, errOut = run(t, profile, "", "export", "--account", "pop", "--format", "maildir", "--out", tree); code != 0 ||
		!strings.Contains(out, "Exported 4 messages") {
		t.Fatalf("export account: %d %q %q", code, out, errOut)
	}
	for _, name := range []string{"old-mail", "Copy"} {
		if _, err := os.Stat(filepath.Join(tree, name, "cur")); err != nil {
			t.Errorf("folder %s: %v", name, err)
		}
	}
}

func TestImportCommandErrors(t *testing.T) {
	profile := profileWithAccounts(t)
	src := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(src, []byte("Subject: x\r\n\r\nx\r\n"), 0o600)
	if code, _, errOut := run(t, profile, "", "import", "--account", "imap", src); code != 1 ||
		!strings.Contains(errOut, "learn what imap holds already") {
		t.Fatalf("imap without its server: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, profile, "", "import", "--account", "pop"); code != 2 || !strings.Contains(errOut, "--thunderbird") {
		t.Fatalf("no path: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, profile, "", "export", "--account", "pop", "--out", filepath.Join(t.TempDir(), "x"), "--format", "pst"); code != 2 {
		t.Fatalf("bad format: %d %q", code, errOut)
	}
	// Thunderbird's Local Folders, found from the home directory.
	home := t.TempDir()
	t.Setenv("HOME", home)
	lf := filepath.Join(home, ".thunderbird", "p.default", "Mail", "Local Folders")
	os.MkdirAll(lf, 0o700)
	os.WriteFile(filepath.Join(home, ".thunderbird", "profiles.ini"), []byte("[Profile0]\nName=default\nIsRelative=1\nPath=p.default\nDefault=1\n"), 0o600)
	os.WriteFile(filepath.Join(lf, "Inbox"), []byte("From - Mon Jan  1 10:00:00 2024\nSubject: tb\n\nhi\n"), 0o600)
	os.WriteFile(filepath.Join(lf, "Inbox.msf"), []byte("mork"), 0o600)
	if code, out, errOut := run(t, profile, "", "import", "--account", "pop", "--thunderbird"); code != 0 || !strings.Contains(out, "Imported 1 messages") {
		t.Fatalf("thunderbird: %d %q %q", code, out, errOut)
	}
}
