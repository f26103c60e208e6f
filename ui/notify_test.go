package ui

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"

	"postbode/localcache"
	"postbode/types"
)

// desktopTestApp is the test app dressed as the desktop one: its driver is a desktop driver, it
// records notifications, and opening a link fails with openErr.
type desktopTestApp struct {
	fyne.App
	openErr error
	sent    []*fyne.Notification
}

func (a *desktopTestApp) Driver() fyne.Driver                   { return desktopTestDriver{a.App.Driver()} }
func (a *desktopTestApp) SendNotification(n *fyne.Notification) { a.sent = append(a.sent, n) }
func (a *desktopTestApp) OpenURL(*url.URL) error                { return a.openErr }

type desktopTestDriver struct{ fyne.Driver }

func (desktopTestDriver) CreateSplashWindow() fyne.Window       { return nil }
func (desktopTestDriver) CurrentKeyModifiers() fyne.KeyModifier { return 0 }

// Without a notification service new mail makes no notification (Fyne would log "Failed to send
// message to bus" for every batch).
func TestNoNotificationWithoutANotificationService(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("notifications go over D-Bus on Linux and the BSDs")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	found := notificationServiceFound
	notificationServiceFound = sync.OnceValue(lookForNotificationService)
	t.Cleanup(func() { notificationServiceFound = found })

	h := newHarness(t, harnessOpts{})
	app := &desktopTestApp{App: h.app}
	h.u.app = app
	for range 3 {
		h.u.apply(Batch{Events: []types.Event{types.NewMail{Account: "work", Folder: "INBOX",
			Messages: []localcache.Message{{FromName: "Ann", Subject: "Hello there"}}}}})
	}
	if len(app.sent) != 0 {
		t.Fatalf("%d notifications sent without a notification service", len(app.sent))
	}
}

// startTestBus runs a private session bus that knows no services of its own and returns its address.
func startTestBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dbus-daemon is required under CI (make deps installs it): %v", err)
		}
		t.Skipf("dbus-daemon not installed (make deps installs it)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus := exec.CommandContext(ctx, daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); bus.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	return strings.TrimSpace(addr)
}

func TestNotificationServiceOnTheBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("notifications go over D-Bus on Linux and the BSDs")
	}
	addr := startTestBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	if lookForNotificationService() {
		t.Fatal("a notification service on a bus without one")
	}
	daemon, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	if reply, err := daemon.RequestName(notificationsName, dbus.NameFlagDoNotQueue); err != nil ||
		reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("become the notification service: %v %v", reply, err)
	}
	if !lookForNotificationService() {
		t.Fatal("no notification service although one is on the bus")
	}
}

// A link cannot be opened without xdg-open: the user reads a plain sentence, not an exec error,
// and finds the address on the clipboard.
func TestLinkWithoutABrowserGoesToTheClipboard(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	app := &desktopTestApp{App: h.app, openErr: &exec.Error{Name: "xdg-open", Err: exec.ErrNotFound}}
	h.u.app = app
	link, _ := url.Parse("https://example.org/a?b=c")
	h.u.openLink(link)
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no message")
	}
	if !containsText(top, "No program to open links was found; the address was copied to the clipboard.") ||
		containsText(top, "executable file not found") {
		t.Fatalf("message %q", texts(top))
	}
	if got := app.Clipboard().Content(); got != link.String() {
		t.Fatalf("clipboard %q, want %q", got, link)
	}
}
