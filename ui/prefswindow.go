package ui

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/rymdport/portal/settings/appearance"

	"postbode/types"
	"postbode/ui/uikit"
)

// applyTheme puts the chosen theme into effect. "System" follows the desktop, and is light where
// the desktop has no theme service to ask (Fyne would draw dark there).
func (u *ui) applyTheme() {
	var th fyne.Theme = theme.DefaultTheme()
	switch {
	case u.prefs.Theme == themeLight, u.prefs.Theme == themeSystem && !desktopTellsTheme():
		th = uikit.FixedVariant(theme.VariantLight)
	case u.prefs.Theme == themeDark:
		th = uikit.FixedVariant(theme.VariantDark)
	}
	u.app.Settings().SetTheme(th)
}

// desktopTellsTheme reports whether the desktop says light or dark. Windows and macOS always do;
// elsewhere it is the freedesktop portal on the session bus, asked once (and not at all without a
// session bus, where asking would start a bus daemon of its own).
var desktopTellsTheme = sync.OnceValue(func() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	_, err := appearance.GetColorScheme()
	return err == nil
})

// bodyWindows are the choices for how much mail an IMAP account downloads ahead of time, in days
// (-1: everything).
var bodyWindows = []int{7, 30, 90, 365, -1}

func bodyWindowLabel(days int) string {
	switch days {
	case -1:
		return tr("All messages")
	case 365:
		return tr("The last year")
	}
	return trN("The last {{.Count}} days", days)
}

// preferences is the Preferences window: appearance, reading, notifications and, per IMAP account,
// how much mail is downloaded ahead of time. Each change takes effect and is saved at once.
type preferences struct {
	u          *ui
	win        fyne.Window
	themeRadio *widget.RadioGroup
	position   *widget.RadioGroup
	fixed      *widget.Check
	notify     *widget.Check
	undoSend   *widget.Select
	windows    map[string]*widget.Select // per IMAP account
}

func (u *ui) openPreferences() {
	if u.prefsWin != nil {
		u.prefsWin.win.RequestFocus()
		return
	}
	p := &preferences{u: u, windows: map[string]*widget.Select{}}
	u.prefsWin = p
	p.win = u.app.NewWindow(tr("Preferences"))

	themes := []string{tr("Same as the system"), tr("Light"), tr("Dark")}
	themeValues := []string{themeSystem, themeLight, themeDark}
	p.themeRadio = widget.NewRadioGroup(themes, func(s string) {
		for i, label := range themes {
			if label == s && u.prefs.Theme != themeValues[i] {
				u.prefs.Theme = themeValues[i]
				u.applyTheme()
				u.storePrefs()
			}
		}
	})
	for i, v := range themeValues {
		if v == u.prefs.Theme {
			p.themeRadio.SetSelected(themes[i])
		}
	}

	right, below := tr("Right of the list"), tr("Below the list")
	p.position = widget.NewRadioGroup([]string{right, below}, func(s string) {
		if s != "" {
			u.setReaderBelow(s == below)
			u.storePrefs()
		}
	})
	p.position.SetSelected(map[bool]string{false: right, true: below}[u.readerBelow])

	p.fixed = widget.NewCheck(tr("Show plain-text messages in a fixed-width font"), func(on bool) {
		if on != u.prefs.PlainFixed {
			u.prefs.PlainFixed = on
			u.storePrefs()
			if u.reader.id != 0 {
				u.reader.show(u.reader.id) // draw the open message in the new font
			}
		}
	})
	p.fixed.SetChecked(u.prefs.PlainFixed)
	p.notify = widget.NewCheck(tr("Show a notification when new mail arrives"), func(on bool) {
		if on == u.prefs.NoNotify {
			u.prefs.NoNotify = !on
			u.storePrefs()
		}
	})
	p.notify.SetChecked(!u.prefs.NoNotify)
	p.undoSend = u.undoSendChoice()

	form := widget.NewForm(
		widget.NewFormItem(tr("Theme"), p.themeRadio),
		widget.NewFormItem(tr("Reading pane"), p.position),
		widget.NewFormItem("", p.fixed),
		widget.NewFormItem(tr("Notifications"), p.notify),
		widget.NewFormItem(tr("Undo send"), p.undoSend),
	)
	items := []fyne.CanvasObject{heading(tr("Appearance and reading")), form}
	if accs := p.accountItems(); len(accs) > 0 {
		items = append(items, widget.NewSeparator(), heading(tr("Download ahead of time (IMAP)")),
			dimWrapped(tr("Messages in this period are downloaded while synchronising, to read them offline; older ones when you open them.")),
			widget.NewForm(accs...))
	}
	items = append(items, widget.NewSeparator(), widget.NewForm(widget.NewFormItem(tr("Message filters"),
		container.NewHBox(widget.NewButtonWithIcon(tr("Edit filters…"), theme.SettingsIcon(), u.openFilters)))))
	closeButton := widget.NewButton(tr("Close"), p.win.Close)
	body := container.NewVBox(items...)
	buttons := container.NewHBox(layout.NewSpacer(), closeButton)
	content := container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(body))
	p.win.SetContent(container.NewPadded(content))
	p.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			p.win.Close()
		}
	})
	p.win.SetOnClosed(func() { u.prefsWin = nil })
	// As tall as its content, up to what fits a 1366×768 screen with room for the desktop's panels
	// (it scrolls beyond that).
	pad := theme.Padding()*4 + theme.TextSize()*2 // the wrapped note may take a second line
	p.win.Resize(fyne.NewSize(620, min(640, body.MinSize().Height+buttons.MinSize().Height+pad)))
	p.win.Show()
}

// accountItems has a body-download choice per IMAP account; a change is saved through the Manager,
// which restarts the engine with it.
func (p *preferences) accountItems() []*widget.FormItem {
	var out []*widget.FormItem
	accs := p.u.deps.Manager.Accounts()
	slices.SortFunc(accs, func(a, b types.Account) int { return strings.Compare(a.Name, b.Name) })
	for _, acc := range accs {
		if !p.u.deps.Manager.KeepsMailOnServer(acc.Kind) { // POP3 downloads every message
			continue
		}
		acc := acc.WithDefaults()
		labels := make([]string, len(bodyWindows))
		for i, d := range bodyWindows {
			labels[i] = bodyWindowLabel(d)
		}
		sel := widget.NewSelect(labels, nil)
		for i, d := range bodyWindows {
			if d == acc.IMAP.BodyWindowDays {
				sel.SetSelectedIndex(i)
			}
		}
		if sel.SelectedIndex() < 0 {
			sel.PlaceHolder = trN("The last {{.Count}} days", acc.IMAP.BodyWindowDays)
		}
		name := acc.Name
		sel.OnChanged = func(string) {
			days := bodyWindows[sel.SelectedIndex()]
			p.u.tasks.writes.post("", func(ctx context.Context) {
				err := p.u.setBodyWindow(ctx, name, days)
				p.u.exec(func() { p.u.showError(name, err) })
			})
		}
		p.windows[name] = sel
		out = append(out, widget.NewFormItem(name, sel))
	}
	return out
}

// setBodyWindow changes how many days of an IMAP account's mail are downloaded ahead of time.
func (u *ui) setBodyWindow(ctx context.Context, account string, days int) error {
	acc, ok := u.deps.Manager.Account(account)
	if !ok {
		return nil
	}
	acc.IMAP.BodyWindowDays = days
	return u.deps.Manager.UpdateAccount(ctx, acc)
}

// undoSendChoice chooses how long a sent message waits in the outbox, to be taken back.
func (u *ui) undoSendChoice() *widget.Select {
	seconds := []int{0, 5, 10, 20, 30}
	labels := make([]string, len(seconds))
	for i, n := range seconds {
		labels[i] = tr("{{.N}} seconds", map[string]any{"N": n})
	}
	labels[0] = tr("Off: send at once")
	sel := widget.NewSelect(labels, nil)
	current := int(u.prefs.undoSendDelay() / time.Second)
	for i, n := range seconds {
		if n == current {
			sel.SetSelectedIndex(i)
		}
	}
	sel.OnChanged = func(string) {
		n := seconds[sel.SelectedIndex()]
		u.prefs.UndoSend = &n
		u.storePrefs()
	}
	return sel
}
