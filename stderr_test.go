package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCLIQuietWithoutADesktop runs the built binary the way a new user on a server or in a Debian
// container does: a C.UTF-8 locale and no D-Bus session. Commands print their own output and
// nothing from the libraries underneath, and they start no daemons.
func TestCLIQuietWithoutADesktop(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "postbode")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// A session without a bus and with a dbus-launch that only records that it ran: go-keyring (via
	// godbus) runs dbus-launch when DBUS_SESSION_BUS_ADDRESS is empty, and a real one leaves a
	// dbus-daemon behind after every command.
	fakeBin := filepath.Join(dir, "fakebin")
	launched := filepath.Join(dir, "dbus-launch-ran")
	if err := os.Mkdir(fakeBin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\necho ran >> '%s'\nexit 1\n", launched)
	if err := os.WriteFile(filepath.Join(fakeBin, "dbus-launch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "LANG", name == "LANGUAGE", strings.HasPrefix(name, "LC_"), name == "DBUS_SESSION_BUS_ADDRESS":
		case name == "PATH":
			env = append(env, "PATH="+fakeBin+string(os.PathListSeparator)+kv[len("PATH="):])
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "LANG=C.UTF-8")
	run := func(t *testing.T, stdin string, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, strings.NewReader(stdin), &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("postbode %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), errOut.String()
	}

	t.Run("locale C.UTF-8", func(t *testing.T) {
		_, errOut := run(t, "", "--profile", t.TempDir(), "account", "list")
		if strings.Contains(errOut, "Error parsing user locale") || strings.Contains(errOut, "Fyne error") {
			t.Fatalf("stderr under LANG=C.UTF-8:\n%s", errOut)
		}
	})

	t.Run("no session bus", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("the Secret Service keyring is reached over D-Bus on Linux")
		}
		if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
			t.Skip("this user has a session bus at /run/user/UID/bus, which godbus finds without DBUS_SESSION_BUS_ADDRESS")
		}
		out, errOut := run(t, "pw-canary-7731\n", "--profile", t.TempDir(), "account", "add", "--name", "work", "--kind", "imap",
			"--email", "me@mail.test", "--user", "me", "--host", "mail.test", "--security", "tls", "--password-stdin")
		if _, err := os.Stat(launched); err == nil {
			t.Fatal("a command without a session bus ran dbus-launch (it leaves a dbus-daemon running)")
		}
		if !strings.Contains(out, "Added IMAP account") || !strings.Contains(errOut, "no keyring available") {
			t.Fatalf("account add without a keyring:\nstdout: %s\nstderr: %s", out, errOut)
		}
		if strings.Contains(out+errOut, "pw-canary-7731") {
			t.Fatalf("the password reached the output: %s%s", out, errOut)
		}
	})
}
