package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

// kindsOnly declares what each kind of account does, as the engines main injects do, without
// engines: the commands under test never connect.
var kindsOnly = map[types.Protocol]types.Backend{types.IMAP: {KeepsMailOnServer: true}, types.POP3: {}}

// run executes the CLI in-process against a profile dir and returns exit code, stdout and stderr.
func run(t *testing.T, profile, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &App{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Discover: testDiscover, Backends: kindsOnly}
	code := app.Run(context.Background(), append([]string{"--profile", profile}, args...))
	return code, out.String(), errOut.String()
}

func TestAccountAddWithoutKeyringKeepsPasswordOffDisk(t *testing.T) {
	// A session bus that does not exist: the real keyring client fails as on a machine without one.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	profile := t.TempDir()
	const canary = "canary-Pw-7f3Zq9"
	code, out, errOut := run(t, profile, canary+"\n", "account", "add", "--name", "work", "--email", "me@mail.test",
		"--kind", "imap", "--host", "mail.test", "--password-stdin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `Added IMAP account "work"`) {
		t.Fatalf("stdout = %q", out)
	}
	if !strings.Contains(errOut, "no keyring available") || !strings.Contains(errOut, "not saved") {
		t.Fatalf("no clear keyring message: %q", errOut)
	}
	// Touch the cache too, so the search covers every file the program writes.
	if code, _, errOut := run(t, profile, "", "folders"); code != 0 {
		t.Fatalf("folders: %s", errOut)
	}
	if files := testkit.NoFileContains(t, profile, canary); files < 3 {
		t.Fatalf("only %d files written; expected config, index, store and log", files)
	}
	code, out, _ = run(t, profile, "", "account", "list", "--json")
	var list []accountJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Incoming != "mail.test:993 (tls)" {
		t.Fatalf("account list = %d %q", code, out)
	}
	if list[0].Outgoing != "mail.test:465 (tls)" {
		t.Fatalf("outgoing default = %q", list[0].Outgoing)
	}
}

func TestAccountAddRejectsBadInput(t *testing.T) {
	profile := t.TempDir()
	code, _, errOut := run(t, profile, "", "account", "add", "--name", "x", "--email", "nope", "--host", "h", "--kind", "smtp")
	if code != 2 || !strings.Contains(errOut, "kind") || !strings.Contains(errOut, "e-mail address") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
	if code, _, _ := run(t, profile, "", "frobnicate"); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	if code, out, _ := run(t, profile, "", "--version"); code != 0 || !strings.HasPrefix(out, "postbode ") {
		t.Fatalf("--version: %d %q", code, out)
	}
}

func seedProfile(t *testing.T, profile string) (ids []int64, raw []byte) {
	t.Helper()
	ctx := context.Background()
	c, err := localcache.Open(accounts.ProfileIn(profile).DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inbox, _ := c.EnsureFolder(ctx, localcache.Folder{Account: "work", Name: "INBOX", Role: localcache.RoleInbox})
	c.EnsureFolder(ctx, localcache.Folder{Account: "work", Name: "Sent", Role: localcache.RoleSent})
	raw = []byte("From: Jan de Vries <jan@mail.test>\r\nTo: me@mail.test\r\nSubject: =?UTF-8?Q?Vergadering_dinsdag_=E2=98=95?=\r\n" +
		"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <a1@mail.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Hoi,\r\n\r\nZullen we om tien uur beginnen?\r\n")
	ids, err = c.AddMessages(ctx, []localcache.Message{
		{Account: "work", FolderID: inbox.ID, UID: 1, Subject: "Vergadering dinsdag ☕", FromName: "Jan de Vries", FromAddr: "jan@mail.test",
			Date: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), BodyText: "Zullen we om tien uur beginnen?"},
		{Account: "work", FolderID: inbox.ID, UID: 2, Subject: "Older", FromAddr: "x@mail.test", Flags: localcache.FlagSeen,
			Date: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.PutBodies(ctx, []localcache.Body{{Account: "work", Raw: raw}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LinkBodies(ctx, []localcache.BodyLink{{MessageID: ids[0], Key: keys[0], Text: "Zullen we om tien uur beginnen?"}}); err != nil {
		t.Fatal(err)
	}
	return ids, raw
}

func TestReadingCommands(t *testing.T) {
	profile := t.TempDir()
	ids, raw := seedProfile(t, profile)

	code, out, errOut := run(t, profile, "", "ls", "INBOX", "--json")
	var msgs []messageJSON
	if code != 0 || json.Unmarshal([]byte(out), &msgs) != nil {
		t.Fatalf("ls: %d %q %q", code, out, errOut)
	}
	if len(msgs) != 2 || msgs[0].ID != ids[0] || msgs[0].Seen || !msgs[1].Seen || msgs[0].From != "Jan de Vries <jan@mail.test>" {
		t.Fatalf("ls = %+v", msgs)
	}
	if code, out, _ := run(t, profile, "", "ls"); code != 0 || !strings.Contains(out, "Vergadering dinsdag") {
		t.Fatalf("ls table: %d %q", code, out)
	}

	code, out, _ = run(t, profile, "", "folders", "--json")
	var folders []folderJSON
	if code != 0 || json.Unmarshal([]byte(out), &folders) != nil || len(folders) != 2 || folders[0].Unread != 1 || folders[0].Total != 2 {
		t.Fatalf("folders = %d %q", code, out)
	}

	code, out, errOut = run(t, profile, "", "show", strconv.FormatInt(ids[0], 10))
	if code != 0 {
		t.Fatalf("show: %s", errOut)
	}
	for _, want := range []string{"From: Jan de Vries <jan@mail.test>", "Subject: Vergadering dinsdag ☕", "Zullen we om tien uur beginnen?"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, profile, "", "show", "--raw", strconv.FormatInt(ids[0], 10))
	if code != 0 || out != string(raw) {
		t.Fatalf("show --raw differs: %q", out)
	}
	code, out, _ = run(t, profile, "", "show", strconv.FormatInt(ids[1], 10))
	if code != 0 || !strings.Contains(out, "not downloaded yet") {
		t.Fatalf("show header-only: %d %q", code, out)
	}
	if code, _, errOut := run(t, profile, "", "show", "999"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("show missing: %d %q", code, errOut)
	}

	code, out, _ = run(t, profile, "", "search", "tien", "uur", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &msgs) != nil || len(msgs) != 1 || msgs[0].ID != ids[0] {
		t.Fatalf("search = %d %q", code, out)
	}
	if _, _, errOut := run(t, profile, "", "search", "vergadering"); !strings.Contains(errOut, "Searched 2 messages (1 of them not downloaded") {
		t.Fatalf("search coverage line = %q", errOut)
	}
}

func TestSearchCommandTakesOperators(t *testing.T) {
	profile := t.TempDir()
	ids, _ := seedProfile(t, profile)
	for _, c := range []struct {
		args []string
		want []int64
	}{
		{[]string{"from:Jan de Vries"}, []int64{ids[0]}}, // the shell took the quotes off
		{[]string{"is:unread"}, []int64{ids[0]}},
		{[]string{"before:2026-11-10", "from:x@mail.test"}, []int64{ids[1]}},
		{[]string{"tien uur", "subject:vergadering"}, []int64{ids[0]}},
	} {
		code, out, errOut := run(t, profile, "", append([]string{"search", "--json"}, c.args...)...)
		var msgs []messageJSON
		if code != 0 || json.Unmarshal([]byte(out), &msgs) != nil {
			t.Fatalf("%q: %d %q %q", c.args, code, out, errOut)
		}
		var got []int64
		for _, m := range msgs {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.args, got, c.want)
		}
	}
	if code, _, errOut := run(t, profile, "", "search", "after:31-12-2026"); code == 0 || !strings.Contains(errOut, "after:31-12-2026 is not a date (write YYYY-MM-DD)") {
		t.Fatalf("bad date: %d %q", code, errOut)
	}
}
