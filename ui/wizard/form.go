package wizard

import (
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
	"postbode/ui/uikit"
)

func securityLabels() []string {
	return []string{tr("SSL/TLS (recommended)"), tr("STARTTLS"), tr("None (unencrypted)")}
}

func securityLabel(sec types.Security) string {
	l := securityLabels()
	switch sec {
	case types.SecurityStartTLS:
		return l[1]
	case types.SecurityPlain:
		return l[2]
	}
	return l[0]
}

func securityValue(label string) types.Security {
	l := securityLabels()
	switch label {
	case l[1]:
		return types.SecurityStartTLS
	case l[2]:
		return types.SecurityPlain
	}
	return types.SecurityTLS
}

// localHost reports whether host is this computer or a private network address: the only places
// an unencrypted connection may go (and then only with a warning). The rule is accounts'.
func localHost(host string) bool { return types.PlainAllowed(host) }

// serverFields edits one server: host, port, security and user name.
type serverFields struct {
	proto    types.Protocol
	host     *widget.Entry
	port     *widget.Entry
	security *widget.Select
	user     *widget.Entry
	warn     *widget.Label // shown while "None" is chosen
	lastSec  types.Security
	onChange func()
}

func newServerFields(proto types.Protocol) *serverFields {
	f := &serverFields{proto: proto, lastSec: types.SecurityTLS}
	f.host = widget.NewEntry()
	f.host.SetPlaceHolder("mail.example.org")
	f.port = widget.NewEntry()
	f.port.SetText(strconv.Itoa(types.DefaultPort(proto, types.SecurityTLS)))
	f.user = widget.NewEntry()
	f.user.SetPlaceHolder(tr("usually your e-mail address"))
	f.warn = widget.NewLabel(tr("Without encryption your password and mail cross the network readable by anyone on the way. Choose this only for a server on this computer or your own network."))
	f.warn.Wrapping = fyne.TextWrapWord
	f.warn.Importance = widget.WarningImportance
	f.warn.Hide()
	f.security = widget.NewSelect(securityLabels(), func(label string) {
		sec := securityValue(label)
		// A port still at the old default follows the new security's default.
		if p, err := strconv.Atoi(strings.TrimSpace(f.port.Text)); err != nil || p == types.DefaultPort(f.proto, f.lastSec) {
			f.port.SetText(strconv.Itoa(types.DefaultPort(f.proto, sec)))
		}
		f.lastSec = sec
		if sec == types.SecurityPlain {
			f.warn.Show()
		} else {
			f.warn.Hide()
		}
		if f.onChange != nil {
			f.onChange()
		}
	})
	f.security.SetSelected(securityLabel(types.SecurityTLS))
	return f
}

// setProto changes the protocol (IMAP or POP3) and with it a port still at the old default.
func (f *serverFields) setProto(proto types.Protocol) {
	if proto == f.proto {
		return
	}
	if p, err := strconv.Atoi(strings.TrimSpace(f.port.Text)); err != nil || p == types.DefaultPort(f.proto, f.lastSec) {
		f.port.SetText(strconv.Itoa(types.DefaultPort(proto, f.lastSec)))
	}
	f.proto = proto
}

func (f *serverFields) set(s types.Server) {
	f.host.SetText(s.Host)
	sec := s.Security
	if sec == "" {
		sec = types.SecurityTLS
	}
	f.lastSec = sec
	f.security.SetSelected(securityLabel(sec))
	if s.Port != 0 {
		f.port.SetText(strconv.Itoa(s.Port))
	}
	f.user.SetText(s.User)
}

// read copies the fields into s (keeping its CA file and pin) or says what is wrong.
func (f *serverFields) read(s types.Server, which string) (types.Server, error) {
	host := strings.TrimSpace(f.host.Text)
	if host == "" || strings.ContainsAny(host, " /:@") && net.ParseIP(strings.Trim(host, "[]")) == nil {
		return s, errors.New(tr("Enter the {{.Which}} server's host name, such as mail.example.org.", map[string]any{"Which": which}))
	}
	port, err := strconv.Atoi(strings.TrimSpace(f.port.Text))
	if err != nil || port < 1 || port > 65535 {
		return s, errors.New(tr("The {{.Which}} server's port must be a number from 1 to 65535.", map[string]any{"Which": which}))
	}
	sec := securityValue(f.security.Selected)
	if sec == types.SecurityPlain && !localHost(host) {
		return s, errors.New(tr("Unencrypted connections are allowed only to a server on this computer or your local network; choose SSL/TLS or STARTTLS for {{.Host}}.", map[string]any{"Host": host}))
	}
	if s.Host != host || s.Port != port || s.Security != sec {
		s.PinSHA256 = "" // a pin belongs to the server it was accepted for
	}
	s.Host, s.Port, s.User, s.Security = host, port, strings.TrimSpace(f.user.Text), sec
	return s, nil
}

func (f *serverFields) rows(form *widget.Form) {
	portSec := container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(90, f.port.MinSize().Height), f.port), f.security)
	form.Append(tr("Server"), f.host)
	form.Append(tr("Security and port"), portSec)
	form.Append(tr("User name"), f.user)
}

// SettingsForm edits an account's servers: the "Configure manually" page of the wizard and the
// Account settings window.
type SettingsForm struct {
	kind     *widget.RadioGroup
	in, out  *serverFields
	caFile   *widget.Entry
	browse   *widget.Button
	pinIn    *pinRow
	pinOut   *pinRow
	advanced *widget.Accordion
	box      *fyne.Container
	onKind   func(types.Protocol)
	win      fyne.Window // where the file dialog opens

	// The outgoing user name follows the incoming one until the user makes it differ.
	outUserOwn bool
	copying    bool
}

// NewSettingsForm makes the form for a window (its file dialog opens there).
func NewSettingsForm(win fyne.Window) *SettingsForm {
	f := &SettingsForm{win: win, in: newServerFields(types.IMAP), out: newServerFields(types.SMTP)}
	f.out.host.SetPlaceHolder(tr("mail.example.org, or empty to only receive mail"))
	f.in.user.OnChanged = func(s string) {
		if !f.outUserOwn {
			f.copying = true
			f.out.user.SetText(s)
			f.copying = false
		}
	}
	f.out.user.OnChanged = func(s string) {
		if !f.copying {
			f.outUserOwn = s != f.in.user.Text
		}
	}
	f.kind = widget.NewRadioGroup([]string{"IMAP", "POP3"}, func(s string) {
		k := kindOfLabel(s)
		f.in.setProto(k)
		if f.onKind != nil {
			f.onKind(k)
		}
	})
	f.kind.Horizontal = true
	f.kind.Required = true
	f.kind.SetSelected("IMAP")
	f.caFile = widget.NewEntry()
	f.caFile.SetPlaceHolder(tr("PEM file, for a server with its own certificate authority"))
	f.browse = widget.NewButtonWithIcon(tr("Browse…"), theme.FolderOpenIcon(), f.browseCAFile)
	f.pinIn, f.pinOut = newPinRow(), newPinRow()

	inForm := widget.NewForm()
	inForm.Append(tr("Protocol"), f.kind)
	f.in.rows(inForm)
	outForm := widget.NewForm()
	f.out.rows(outForm)
	advForm := widget.NewForm()
	advForm.Append(tr("Trusted CA file"), container.NewBorder(nil, nil, nil, f.browse, f.caFile))
	advForm.Append(tr("Incoming certificate"), f.pinIn.box)
	advForm.Append(tr("Outgoing certificate"), f.pinOut.box)
	f.advanced = widget.NewAccordion(widget.NewAccordionItem(tr("Advanced"), advForm))
	f.box = container.NewVBox(
		uikit.Heading(tr("Incoming mail")), inForm, f.in.warn,
		uikit.Heading(tr("Outgoing mail (SMTP)")), outForm, f.out.warn,
		f.advanced,
	)
	return f
}

// View is the form.
func (f *SettingsForm) View() fyne.CanvasObject { return f.box }

// caFileFilter shows the files a CA certificate usually comes in.
func caFileFilter() storage.FileFilter {
	return storage.NewExtensionFileFilter([]string{".pem", ".crt"})
}

// browseCAFile picks the trusted CA file with a file dialog, starting in the current file's folder.
func (f *SettingsForm) browseCAFile() {
	if f.win == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		f.chooseCAFile(r.URI())
	}, f.win)
	d.SetFilter(caFileFilter())
	if cur := strings.TrimSpace(f.caFile.Text); cur != "" {
		if dir, err := storage.ListerForURI(storage.NewFileURI(filepath.Dir(cur))); err == nil {
			d.SetLocation(dir)
		}
	}
	d.Show()
}

func (f *SettingsForm) chooseCAFile(u fyne.URI) {
	f.caFile.SetText(u.Path())
}

// kindLabel and kindOfLabel map an account kind to the form's choices ("IMAP", "POP3") and back.
func kindLabel(k types.Protocol) string {
	if k == "" {
		return "IMAP"
	}
	return strings.ToUpper(string(k))
}

func kindOfLabel(s string) types.Protocol { return types.Protocol(strings.ToLower(s)) }

// Set fills the form with an account's settings.
func (f *SettingsForm) Set(a types.Account) {
	f.kind.SetSelected(kindLabel(a.Kind))
	f.in.setProto(a.Kind)
	f.in.set(a.Incoming)
	f.out.set(a.Outgoing)
	f.outUserOwn = a.Outgoing.User != "" && a.Outgoing.User != a.Incoming.User
	if !f.outUserOwn {
		f.out.user.SetText(a.Incoming.User)
	}
	f.caFile.SetText(a.Incoming.CAFile)
	f.pinIn.set(a.Incoming.PinSHA256)
	f.pinOut.set(a.Outgoing.PinSHA256)
	if a.Incoming.PinSHA256 != "" || a.Outgoing.PinSHA256 != "" || a.Incoming.CAFile != "" {
		f.advanced.Open(0)
	}
}

// Read returns base with the form's settings, or the first thing to correct.
func (f *SettingsForm) Read(base types.Account) (types.Account, error) {
	a := base
	a.Kind = kindOfLabel(f.kind.Selected)
	in, out := a.Incoming, a.Outgoing
	in.PinSHA256, out.PinSHA256 = f.pinIn.pin, f.pinOut.pin
	var err error
	if in, err = f.in.read(in, tr("incoming")); err != nil {
		return base, err
	}
	ca := strings.TrimSpace(f.caFile.Text)
	if strings.TrimSpace(f.out.host.Text) == "" {
		// No outgoing server: the account receives mail; sending can be set up later.
		out = types.Server{}
	} else {
		if out, err = f.out.read(out, tr("outgoing")); err != nil {
			return base, err
		}
		out.CAFile = ca
	}
	in.CAFile = ca
	a.Incoming, a.Outgoing = in, out
	return a, nil
}

// pinRow shows a pinned certificate as such, with a button to remove the pin (SECURITY rule 5).
type pinRow struct {
	pin    string
	label  *widget.Label
	remove *widget.Button
	box    *fyne.Container
}

func newPinRow() *pinRow {
	r := &pinRow{label: widget.NewLabel("")}
	r.label.Wrapping = fyne.TextWrapBreak
	r.remove = widget.NewButtonWithIcon(tr("Remove"), theme.DeleteIcon(), func() { r.set("") })
	r.remove.Importance = widget.LowImportance
	r.box = container.NewBorder(nil, nil, nil, r.remove, r.label)
	r.set("")
	return r
}

func (r *pinRow) set(pin string) {
	r.pin = pin
	if pin == "" {
		r.label.SetText(tr("Checked against the trusted authorities"))
		r.remove.Hide()
		return
	}
	r.label.SetText(tr("Pinned: only the certificate with SHA-256 {{.Fingerprint}} is accepted", map[string]any{"Fingerprint": fingerprint(pin)}))
	r.remove.Show()
}

// fingerprint writes a hex SHA-256 as colon-separated upper-case pairs, as certificate viewers do.
func fingerprint(hexSum string) string {
	h := strings.ToUpper(strings.NewReplacer(":", "", " ", "").Replace(hexSum))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i:min(i+2, len(h))])
	}
	return b.String()
}

// POP3Policy edits how a POP3 account polls and what it leaves on the server.
type POP3Policy struct {
	interval *widget.Select
	keep     *widget.Check
	keepFor  *widget.Select
	days     []int // the day counts offered after the first two choices of keepFor
	box      *fyne.Container
}

var pollChoices = []time.Duration{2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

var keepDayChoices = []int{7, 14, 30, 90, 365}

func pollLabel(d time.Duration) string {
	if d >= time.Hour {
		return trN("every {{.Count}} hours", int(d/time.Hour))
	}
	return trN("every {{.Count}} minutes", int(d/time.Minute))
}

// NewPOP3Policy starts at checking every 10 minutes and keeping mail on the server for good.
func NewPOP3Policy() *POP3Policy {
	p := &POP3Policy{}
	var labels []string
	for _, d := range pollChoices {
		labels = append(labels, pollLabel(d))
	}
	p.interval = widget.NewSelect(labels, nil)
	p.interval.SetSelected(pollLabel(10 * time.Minute))
	keepLabels := []string{tr("until I delete it here"), tr("for good")}
	p.days = append([]int(nil), keepDayChoices...)
	for _, d := range p.days {
		keepLabels = append(keepLabels, trN("for {{.Count}} days", d))
	}
	p.keepFor = widget.NewSelect(keepLabels, nil)
	p.keepFor.SetSelected(tr("for good"))
	p.keep = widget.NewCheck(tr("Keep mail on the server"), func(on bool) {
		if on {
			p.keepFor.Enable()
		} else {
			p.keepFor.Disable()
		}
	})
	p.keep.SetChecked(true)
	// Leaving mail on the server does not leave it unread everywhere: RETR marks it read on servers
	// such as Courier, and webmail or a phone then shows it as read.
	note := uikit.DimWrapped(tr("Some servers (Courier, for one) mark mail as read once Postbode has downloaded it, so webmail and other devices show it as read."))
	form := widget.NewForm()
	form.Append(tr("Check for mail"), p.interval)
	form.Append(tr("After downloading"), container.NewVBox(p.keep, p.keepFor, note))
	p.box = container.NewVBox(form)
	return p
}

// Set shows a policy.
func (p *POP3Policy) Set(pol types.POP3Policy) {
	if pol.PollInterval.Duration > 0 {
		best := pollChoices[0]
		for _, d := range pollChoices {
			if d <= pol.PollInterval.Duration {
				best = d
			}
		}
		p.interval.SetSelected(pollLabel(best))
	}
	switch pol.Leave {
	case types.LeaveDelete:
		p.keep.SetChecked(false)
	case types.LeaveDeleteLocally:
		p.keep.SetChecked(true)
		p.keepFor.SetSelected(tr("until I delete it here"))
	case types.LeaveDays:
		p.keep.SetChecked(true)
		if !slices.Contains(p.days, pol.Days) {
			p.days = append(p.days, pol.Days)
			p.keepFor.Options = append(p.keepFor.Options, trN("for {{.Count}} days", pol.Days))
		}
		p.keepFor.SetSelected(trN("for {{.Count}} days", pol.Days))
	default:
		p.keep.SetChecked(true)
		p.keepFor.SetSelected(tr("for good"))
	}
}

// Read is the policy as chosen.
func (p *POP3Policy) Read() types.POP3Policy {
	var pol types.POP3Policy
	pol.PollInterval.Duration = 10 * time.Minute
	if i := p.interval.SelectedIndex(); i >= 0 && i < len(pollChoices) {
		pol.PollInterval.Duration = pollChoices[i]
	}
	if !p.keep.Checked {
		pol.Leave = types.LeaveDelete
		return pol
	}
	switch i := p.keepFor.SelectedIndex(); {
	case i == 0:
		pol.Leave = types.LeaveDeleteLocally
	case i >= 2:
		pol.Leave = types.LeaveDays
		if i-2 < len(p.days) {
			pol.Days = p.days[i-2]
		}
	default:
		pol.Leave = types.LeaveKeep
	}
	return pol
}

// View is the policy's form.
func (p *POP3Policy) View() fyne.CanvasObject { return p.box }

// DisableKind keeps the protocol as it is (changing IMAP to POP3 is a new account).
func (f *SettingsForm) DisableKind() { f.kind.Disable() }

// SetPin pins (or, with "", unpins) the certificate of one server, ServerIncoming or ServerOutgoing.
func (f *SettingsForm) SetPin(which, sha256 string) {
	if which == ServerIncoming {
		f.pinIn.set(sha256)
	} else {
		f.pinOut.set(sha256)
	}
}
