package ui

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"github.com/godbus/dbus/v5"

	"postbode/internal/mailto"
	"postbode/localcache"
	"postbode/mailfmt"
)

// trayHost is the part of desktop.App the tray needs (the test app has no tray).
type trayHost interface {
	SetSystemTrayMenu(menu *fyne.Menu)
	SetSystemTrayIcon(icon fyne.Resource)
}

// trayAvailable reports whether the desktop shows tray icons. On Linux and the BSDs a tray icon is
// a StatusNotifierItem on the session bus: without a bus, fyne's systray crashes when the app quits
// (it closes a connection it never made), and without a StatusNotifierWatcher (GNOME without an
// extension) nobody shows the icon, so a window hidden "in the tray" could only come back by
// starting Postbode again. Windows and macOS always have a tray.
func trayAvailable() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return false
	}
	// No auto-start: asking must not launch a bus daemon of its own.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return false
	}
	defer conn.Close()
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0,
		"org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

// tray is the system-tray icon and its menu, with the unread count of the inboxes in the title.
type tray struct {
	u      *ui
	host   trayHost
	menu   *fyne.Menu
	header *fyne.MenuItem
	title  string
	unread int
	keep   *fyne.MenuItem // the View menu's check item
}

// installTray puts Postbode in the system tray, adds the "keep running in the tray" check item to
// the View menu and lets the main window's close button hide it when that is on. quit ends the app.
func (u *ui) installTray(host trayHost, icon fyne.Resource, quit func()) *tray {
	t := &tray{u: u, host: host, unread: -1}
	t.header = fyne.NewMenuItem("Postbode", nil)
	t.header.Disabled = true
	quitItem := fyne.NewMenuItem(tr("Quit"), quit)
	quitItem.IsQuit = true
	t.menu = fyne.NewMenu("Postbode",
		t.header,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(tr("Get mail"), u.act.doGetMail),
		fyne.NewMenuItem(tr("Write message"), u.act.doWrite),
		fyne.NewMenuItem(tr("Show Postbode"), u.showWindow),
		fyne.NewMenuItemSeparator(),
		quitItem,
	)
	if icon != nil {
		host.SetSystemTrayIcon(icon)
	}
	t.setUnread(0)

	t.keep = fyne.NewMenuItem(tr("Keep running in the tray when closed"), nil)
	t.keep.Checked = u.prefs.KeepInTray
	t.keep.Action = func() { t.setKeep(!t.keep.Checked) }
	if m := u.act.menu; m != nil {
		for _, menu := range m.Items {
			if menu.Label == tr("View") {
				menu.Items = append(menu.Items, fyne.NewMenuItemSeparator(), t.keep)
				m.Refresh()
				break
			}
		}
	}
	u.win.SetCloseIntercept(t.closeWindow)
	t.refresh()
	return t
}

// setKeep switches "keep running in the tray" and remembers it.
func (t *tray) setKeep(on bool) {
	t.keep.Checked = on
	t.u.prefs.KeepInTray = on
	t.u.storePrefs()
	if m := t.u.act.menu; m != nil {
		m.Refresh()
	}
}

// closeWindow is the main window's close button: hide when kept in the tray, else close (which
// quits, the main window being the master).
func (t *tray) closeWindow() {
	if t.keep.Checked {
		t.u.savePrefs()
		t.u.win.Hide()
		return
	}
	t.u.win.Close()
}

// refresh counts the unread mail in the inboxes off the UI goroutine and updates the menu title.
func (t *tray) refresh() {
	t.u.tasks.reads.post("tray", func(ctx context.Context) {
		folders, err := t.u.deps.Cache.Folders(ctx, "")
		if err != nil {
			return // the folder pane reports the same error
		}
		n := 0
		for _, f := range folders {
			if f.Role == localcache.RoleInbox {
				n += f.Unread
			}
		}
		t.u.exec(func() { t.setUnread(n) })
	})
}

// setUnread shows n in the tray menu; the tray menu is only sent again when the number changed.
func (t *tray) setUnread(n int) {
	if n == t.unread {
		return
	}
	t.unread = n
	if n == 0 {
		t.title = "Postbode — " + tr("No unread mail")
	} else {
		t.title = "Postbode — " + trN("{{.Count}} unread", n)
	}
	t.header.Label = t.title
	t.menu.Label = t.title
	t.host.SetSystemTrayMenu(t.menu)
}

// showWindow brings the main window forward, also from the tray.
func (u *ui) showWindow() {
	u.win.Show()
	u.win.RequestFocus()
}

// raise carries out what a later start of Postbode asked: "" shows the window, a mailto: URL opens
// a composer.
func (u *ui) raise(req string) {
	if req == "" {
		u.showWindow()
		return
	}
	u.openMailto(req)
}

// openMailto opens a composer filled from a mailto: link (RFC 6068). Only the fields the user can
// see in the composer are taken; what the link asked beyond that is named in a banner.
func (u *ui) openMailto(link string) {
	m, err := mailto.Parse(link)
	if err != nil {
		u.showWindow()
		dialog.ShowError(err, u.win)
		return
	}
	c := u.openComposer(draftFromMailto(u.defaultAccount(), m))
	c.win.RequestFocus()
	var left []string
	left = append(left, m.Ignored...)
	for _, s := range m.Invalid {
		left = append(left, fmt.Sprintf("%q", s))
	}
	if m.Dropped > 0 {
		left = append(left, trN("{{.Count}} more addresses", m.Dropped))
	}
	if len(left) > 0 {
		u.banners.add(bannerNotice, "", tr("Left out of the mailto: link: {{.What}}",
			map[string]any{"What": strings.Join(left, ", ")}))
	}
}

func draftFromMailto(account string, m *mailto.URL) Draft {
	conv := func(as []mailto.Address) []mailfmt.Address {
		var out []mailfmt.Address
		for _, a := range as {
			out = append(out, mailfmt.Address{Name: a.Name, Email: a.Email})
		}
		return out
	}
	return Draft{Account: account, Draft: mailfmt.Draft{To: conv(m.To), Cc: conv(m.Cc), Bcc: conv(m.Bcc),
		Subject: m.Subject, Text: m.Body, InReplyTo: m.InReplyTo}}
}
