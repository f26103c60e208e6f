package ui

import (
	"context"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"

	"postbode/localcache"
)

// fakeTray records what the UI puts in the system tray.
type fakeTray struct {
	menus []string // the title of each menu sent
	menu  *fyne.Menu
	icon  fyne.Resource
}

func (f *fakeTray) SetSystemTrayMenu(m *fyne.Menu) {
	f.menu = m
	f.menus = append(f.menus, m.Label)
}

func (f *fakeTray) SetSystemTrayIcon(icon fyne.Resource) { f.icon = icon }

func (f *fakeTray) item(t *testing.T, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range f.menu.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("tray menu has no %q", label)
	return nil
}

func viewMenuItem(t *testing.T, u *ui, label string) *fyne.MenuItem {
	t.Helper()
	for _, m := range u.act.menu.Items {
		if m.Label != "View" {
			continue
		}
		for _, it := range m.Items {
			if it.Label == label {
				return it
			}
		}
	}
	t.Fatalf("View menu has no %q", label)
	return nil
}

func isOpen(a fyne.App, w fyne.Window) bool {
	return slices.Contains(a.Driver().AllWindows(), w)
}

func TestTrayMenuCountsUnreadAndActs(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox, ids := seedInbox(h, 3)
	h.addMessages(h.folder("work", "Projects", ""), 2, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "not in an inbox", Date: h.now}, nil
	})
	host := &fakeTray{}
	quits := 0
	icon := fyne.NewStaticResource("postbode.png", []byte("png"))
	tr := h.u.installTray(host, icon, func() { quits++ })
	h.settle()

	if host.icon != icon {
		t.Error("tray icon not set")
	}
	var labels []string
	for _, it := range host.menu.Items {
		labels = append(labels, it.Label)
	}
	want := []string{"Postbode — 3 unread", "", "Get mail", "Write message", "Show Postbode", "", "Quit"}
	if !slices.Equal(labels, want) {
		t.Fatalf("tray menu %q, want %q", labels, want)
	}
	if host.menu.Label != "Postbode — 3 unread" || !host.menu.Items[6].IsQuit || !host.menu.Items[0].Disabled {
		t.Errorf("menu title %q, quit %v, header disabled %v", host.menu.Label, host.menu.Items[6].IsQuit, host.menu.Items[0].Disabled)
	}

	// Reading a message lowers the count once the change comes through the pump.
	h.startPump()
	if err := h.cache.SetFlags(context.Background(), []int64{ids[0]}, localcache.FlagSeen, 0, false); err != nil {
		t.Fatal(err)
	}
	h.settle()
	tr.refresh() // what Run's pump sink does after each batch of changes
	h.settle()
	if got := host.menus[len(host.menus)-1]; got != "Postbode — 2 unread" {
		t.Errorf("after reading one: %q", got)
	}
	sent := len(host.menus)
	tr.refresh()
	h.settle()
	if len(host.menus) != sent {
		t.Error("the tray menu was sent again without a change")
	}
	h.cache.SetFlags(context.Background(), ids, localcache.FlagSeen, 0, false)
	tr.refresh()
	h.settle()
	if got := host.menus[len(host.menus)-1]; got != "Postbode — No unread mail" {
		t.Errorf("all read: %q", got)
	}

	n := len(h.u.composers)
	host.item(t, "Write message").Action()
	h.settle()
	if len(h.u.composers) != n+1 || h.u.composers[n].from.Selected == "" {
		t.Errorf("Write message opened %d composers", len(h.u.composers)-n)
	}
	wakes := h.engines["work"].wakeCount()
	host.item(t, "Get mail").Action()
	h.settle()
	if h.engines["work"].wakeCount() == wakes {
		t.Error("Get mail did not reach the engine")
	}
	host.item(t, "Quit").Action()
	if quits != 1 {
		t.Errorf("Quit ran %d times", quits)
	}
	_ = inbox
}

func TestKeepRunningInTheTray(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	tr := h.u.installTray(&fakeTray{}, nil, func() {})
	keep := viewMenuItem(t, h.u, "Keep running in the tray when closed")
	if keep.Checked || h.u.prefs.KeepInTray {
		t.Fatal("keeping running in the tray must be off by default")
	}
	keep.Action()
	if !keep.Checked || !h.u.prefs.KeepInTray {
		t.Fatal("the check item did not switch the setting on")
	}
	tr.closeWindow()
	if !isOpen(h.app, h.u.win) {
		t.Fatal("closing the window quit Postbode although it should stay in the tray")
	}
	h.u.raise("") // a second start, or Show Postbode
	if !isOpen(h.app, h.u.win) {
		t.Fatal("the window is gone after showing it again")
	}

	// A new window reads the setting back; switched off, closing closes.
	keep.Action()
	if h.u.prefs.KeepInTray {
		t.Fatal("the setting did not switch off")
	}
	h2 := newHarness(t, harnessOpts{})
	h2.u.prefs.KeepInTray = true
	h2.u.installTray(&fakeTray{}, nil, func() {})
	if !viewMenuItem(t, h2.u, "Keep running in the tray when closed").Checked {
		t.Error("the saved setting is not shown checked")
	}
	tr.closeWindow()
	if isOpen(h.app, h.u.win) {
		t.Error("with the setting off, closing did not close the window")
	}
}

func TestMailtoOpensAComposer(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	n := len(h.u.composers)
	h.u.raise("mailto:jan@example.org,%22Doe,%20Jane%22%20%3Cjane@example.org%3E?cc=bob@example.org&bcc=x@example.org" +
		"&subject=Koffie%3F%20%E2%98%95&body=Om%20tien%20uur%0D%0Abij%20de%20automaat&In-Reply-To=%3Cabc@example.org%3E" +
		"&attach=%2Fhome%2Fme%2F.ssh%2Fid_rsa&from=boss@example.org")
	h.settle()
	if len(h.u.composers) != n+1 {
		t.Fatalf("%d composers opened", len(h.u.composers)-n)
	}
	c := h.u.composers[n]
	if c.to.Text != `jan@example.org, "Doe, Jane" <jane@example.org>` || c.cc.Text != "bob@example.org" ||
		c.bcc.Text != "x@example.org" {
		t.Errorf("to %q cc %q bcc %q", c.to.Text, c.cc.Text, c.bcc.Text)
	}
	if c.subject.Text != "Koffie? ☕" || c.body.Text != "Om tien uur\nbij de automaat" || c.base.InReplyTo != "abc@example.org" {
		t.Errorf("subject %q body %q in-reply-to %q", c.subject.Text, c.body.Text, c.base.InReplyTo)
	}
	if len(c.files) != 0 {
		t.Errorf("a mailto link attached %d files", len(c.files))
	}
	if c.from.Selected == "" {
		t.Error("no sending account chosen")
	}
	banners := strings.Join(h.u.banners.texts(), "\n")
	if !strings.Contains(banners, "Left out of the mailto: link: attach, from") {
		t.Errorf("banners %q do not name what was left out", banners)
	}

	// A mailto link inside a message goes through the same parser (cc and body included).
	link, _ := url.Parse("mailto:ann@example.org?cc=carol@example.org&subject=Re%3A%20plan&body=Yes%2C%20fine")
	h.u.openLink(link)
	h.settle()
	c = h.u.composers[len(h.u.composers)-1]
	if c.to.Text != "ann@example.org" || c.cc.Text != "carol@example.org" || c.subject.Text != "Re: plan" || c.body.Text != "Yes, fine" {
		t.Errorf("link in a message: to %q cc %q subject %q body %q", c.to.Text, c.cc.Text, c.subject.Text, c.body.Text)
	}
}

func TestTrayOnlyWhereTheDesktopShowsIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session-bus check is for Linux and the BSDs")
	}
	// No bus: fyne's systray would crash on quit.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	if trayAvailable() {
		t.Fatal("a tray without a session bus")
	}

	addr := startTestBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	// A bus, but no panel that shows tray icons (GNOME without an extension).
	if trayAvailable() {
		t.Fatal("a tray without a StatusNotifierWatcher")
	}
	panel, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer panel.Close()
	if reply, err := panel.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil ||
		reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("become the watcher: %v %v", reply, err)
	}
	if !trayAvailable() {
		t.Fatal("no tray although a watcher is on the bus")
	}
}
