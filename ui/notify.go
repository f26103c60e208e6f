package ui

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/godbus/dbus/v5"

	"postbode/localcache"
	"postbode/types"
)

// notifyNewMail sends one desktop notification per batch: the sender and subject of a single new
// message, or a summary when several arrived. A desktop without a notification service gets none
// (Fyne would log "Failed to send message to bus" for every batch).
func (u *ui) notifyNewMail(events []types.NewMail) {
	var msgs []localcache.Message
	for _, e := range events {
		for _, m := range e.Messages {
			if !m.Flags.Has(localcache.FlagSeen) {
				msgs = append(msgs, m)
			}
		}
	}
	if n := newMailNotification(msgs); n != nil && !u.prefs.NoNotify && u.canNotify() {
		u.app.SendNotification(n)
	}
}

// canNotify says whether a notification can be shown. Only the desktop driver hands notifications
// to the system; other drivers (the test driver, mobile) take them themselves.
func (u *ui) canNotify() bool {
	if _, ok := u.app.Driver().(desktop.Driver); !ok {
		return true
	}
	return notificationServiceFound()
}

// notificationServiceFound looks once per process, at the first new mail, for the desktop's
// notification service. On Linux and the BSDs that is org.freedesktop.Notifications on the session
// bus, running or startable on demand; under Flatpak Fyne goes through the portal instead, and
// Windows and macOS always have one.
var notificationServiceFound = sync.OnceValue(lookForNotificationService)

func lookForNotificationService() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return true
	}
	if _, err := os.Stat("/.flatpak-info"); err == nil {
		return true
	}
	// No auto-start: asking must not launch a bus daemon of its own.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return false
	}
	defer conn.Close()
	return hasNotificationService(conn)
}

const notificationsName = "org.freedesktop.Notifications"

// hasNotificationService asks a fresh bus connection whether a notification service is running or
// can be started by the bus.
func hasNotificationService(conn *dbus.Conn) bool {
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	bus := conn.BusObject()
	var running bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, notificationsName).Store(&running); err == nil && running {
		return true
	}
	var startable []string
	err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&startable)
	return err == nil && slices.Contains(startable, notificationsName)
}

func newMailNotification(msgs []localcache.Message) *fyne.Notification {
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		m := msgs[0]
		return fyne.NewNotification(senderName(m, false), subjectText(m, false))
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if n := senderName(m, false); !seen[n] && len(names) < 3 {
			seen[n] = true
			names = append(names, n)
		}
	}
	from := strings.Join(names, ", ")
	if len(seen) < len(msgs) || len(names) == 3 {
		from = tr("From {{.Names}} and others", map[string]any{"Names": from})
	} else {
		from = tr("From {{.Names}}", map[string]any{"Names": from})
	}
	return fyne.NewNotification(trN("{{.Count}} new messages", len(msgs)), from)
}

// openLink follows a link the user clicked in a message: mailto opens the composer, web links go
// to the browser. When the browser cannot be started the address goes to the clipboard, so the
// user can paste it into one.
func (u *ui) openLink(link *url.URL) {
	if strings.EqualFold(link.Scheme, "mailto") {
		u.openMailto(link.String()) // the same RFC 6068 reading as a mailto: link from the desktop
		return
	}
	err := u.app.OpenURL(link)
	if err == nil {
		return
	}
	u.app.Clipboard().SetContent(link.String())
	msg := tr("No program to open links was found; the address was copied to the clipboard.")
	if !noOpener(err) {
		msg = tr("The link could not be opened ({{.Err}}); the address was copied to the clipboard.",
			map[string]any{"Err": err.Error()})
	}
	dialog.ShowInformation(tr("Open link"), msg, u.win)
}

// noOpener says that err means the desktop has no program that opens files and links (xdg-open
// on Linux is missing).
func noOpener(err error) bool { return errors.Is(err, exec.ErrNotFound) }

// showOpenFailed explains why an attachment could not be opened.
func showOpenFailed(err error, w fyne.Window) {
	if noOpener(err) {
		dialog.ShowInformation(tr("Open attachment"), tr("No program to open files was found; use Save to keep the attachment."), w)
		return
	}
	dialog.ShowError(err, w)
}
