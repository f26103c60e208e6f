package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestMain(m *testing.M) {
	// The tests swap go-keyring for its in-memory mock (keyring.MockInit), which needs no session
	// bus; TestNoSessionBusNoKeyring checks the real decision.
	realKeyringReachable = keyringReachable
	keyringReachable = func() error { return nil }
	os.Exit(m.Run())
}

var realKeyringReachable func() error

// Without a D-Bus session the keyring is not asked at all: go-keyring would run dbus-launch,
// which leaves a dbus-daemon running after every command. The password stays in memory.
func TestNoSessionBusNoKeyring(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is reached over D-Bus on Linux")
	}
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this user has a session bus at /run/user/UID/bus, which godbus finds without DBUS_SESSION_BUS_ADDRESS")
	}
	keyringReachable = realKeyringReachable
	t.Cleanup(func() { keyringReachable = func() error { return nil } })
	// A dbus-launch that only records that it ran.
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	if err := os.WriteFile(filepath.Join(dir, "dbus-launch"), []byte("#!/bin/sh\ntouch '"+ran+"'\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")

	s := NewSecrets()
	if err := s.Set("work", "pw"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("Set without a session bus = %v, want ErrNoKeyring", err)
	}
	if pw, err := s.Get("work"); err != nil || pw != "pw" {
		t.Fatalf("Get after Set = %q, %v; want the password from memory", pw, err)
	}
	if _, err := NewSecrets().Get("home"); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("Get of an unknown account = %v, want ErrNoPassword", err)
	}
	if err := s.Delete("work"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("dbus-launch ran: a dbus-daemon would be left running")
	}

	// With a bus address the keyring is asked (whether it answers is another matter).
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(dir, "no-bus"))
	if err := keyringReachable(); err != nil {
		t.Fatalf("with DBUS_SESSION_BUS_ADDRESS set: %v", err)
	}
}
