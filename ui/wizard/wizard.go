// Package wizard is the "Add an account" window, and the server settings form, POP3 policy and
// connection check it lends to the Account settings window. It reaches the rest of the app only
// through Deps.
package wizard

import (
	"context"
	"errors"
	"image/color"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/accounts/oauth"
	"postbode/types"
	"postbode/ui/translations"
	"postbode/ui/uikit"
)

// Manager is what the wizard asks of the account layer; *accounts.Manager is one.
type Manager interface {
	Discover(ctx context.Context, email string) ([]accounts.DiscoveryResult, error)
	Test(ctx context.Context, acc types.Account, password string) (types.TestReport, error)
	CanTestOutgoing() bool
	TestOutgoing(ctx context.Context, acc types.Account, password string) error
	KeepsMailOnServer(kind types.Protocol) bool
	OAuthProvider(acc types.Account) (oauth.Provider, bool)
	OAuthProviderFor(email string, r accounts.DiscoveryResult) (oauth.Provider, bool)
	SignIn(ctx context.Context, acc types.Account, open func(url string) error) (oauth.Token, error)
	Account(name string) (types.Account, bool)
	Accounts() []types.Account
	AddAccount(ctx context.Context, acc types.Account, password string, remember bool) error
}

// Deps is all the wizard knows of the rest of the app. The main window passes its own executor and
// task runner, so a test can wait until the wizard has settled, and hears back through the
// callbacks; the wizard holds no pointer into the main window.
type Deps struct {
	App     fyne.App
	Manager Manager
	// Ctx ends with the app: lookups, tests and sign-ins stop with it.
	Ctx context.Context
	// Exec runs fn on the Fyne goroutine (fyne.Do).
	Exec func(fn func())
	// Spawn runs fn on a goroutine of its own, for work that waits on the network.
	Spawn func(fn func(ctx context.Context))
	// Notice shows a lasting note about an account in the main window.
	Notice func(account, text string)
	// OnAdded is told of an account the wizard saved; sessionOnly: its password or sign-in is
	// kept only until the app closes (no keyring).
	OnAdded func(name string, sessionOnly bool)
	// OnMoveToIMAP starts moving a POP3 account's mail to IMAP: the wizard offers it when the
	// address typed already has a POP3 account and the new one keeps mail on the server.
	OnMoveToIMAP func(popAccount string)
	// OnClose is told when the window has closed.
	OnClose func()
}

// tr and trN translate under the names the translation check looks for.
func tr(s string, data ...any) string { return translations.Tr(s, data...) }

func trN(s string, n int, data ...any) string { return translations.TrN(s, n, data...) }

// discoverTimeout bounds the search for an address's server settings.
const discoverTimeout = 30 * time.Second

// Wizard pages, in the order a user meets them.
const (
	pageIdentity = "identity"
	pageDiscover = "discover"
	pageType     = "type"
	pageManual   = "manual"
	pageTest     = "test"
	pageMove     = "move" // the address has a POP3 account already: move its mail to IMAP?
)

// Wizard is the "Add an account" window: who you are, the settings found for your address (or
// typed by hand), the kind of account, and a connection test before anything is saved. No
// password is sent to a server the user has not seen: settings found by DNS or guessing, or
// fetched unencrypted, wait for the user's confirmation.
type Wizard struct {
	d      *Deps
	win    fyne.Window
	closed bool

	page   string
	title  *widget.Label
	step   *widget.RichText
	body   *fyne.Container
	scroll *container.Scroll
	bar    *fyne.Container
	// notice sits above the buttons, always in view: what went wrong on this page, or what to do
	// next. Errors shown only at the end of a long page went unseen.
	notice *widget.Label

	nameE, emailE, pwE *widget.Entry
	remember           *widget.Check
	idErr              *widget.Label
	// idForm asks for the password only while the address is not at a provider that signs its
	// users in on its own page (OAuth2); signInNote says so instead, and idHint where the password
	// or the sign-in is kept. The form is made anew when the password comes or goes: Fyne's form
	// keeps per-item validation hooks in its entries, which removing an item would break.
	idForm     *fyne.Container
	signInNote *widget.Label
	idHint     *widget.RichText

	results   []accounts.DiscoveryResult // from discovery, best first
	confirmed bool                       // the user has seen and accepted settings that need it
	kind      types.Protocol             // chosen on the type page
	pop3      *POP3Policy
	form      *SettingsForm
	check     *ConnCheck
	spin      *widget.ProgressBarInfinite // runs while discovery does

	acc      types.Account // the settings being tested and saved
	password string
	// token is the OAuth2 sign-in of acc (Access for the connection test, Refresh to keep);
	// tokenFor is the provider it came from.
	token    oauth.Token
	tokenFor string
	signing  context.CancelFunc // stops a sign-in waiting for the browser
	// caFile is a CA file trusted for the new account (the advanced setting; tests use it).
	caFile string

	discoverGen    int
	discoverCancel context.CancelFunc
	// tested: the incoming server of acc accepted the login, so the account may be saved. Whether
	// sending works too decides between Finish and Finish anyway.
	tested bool
	saving bool
	// addAnyway names the POP3 account of the same address the user chose to add this one next to.
	addAnyway string

	// accNameE is the name the account is listed under; accNameDefault is what the wizard filled
	// in (the address), replaced when the address changes unless the user typed a name.
	accNameE       *widget.Entry
	accNameDefault string

	next, anyway, stopBtn, retry, signInBtn *widget.Button
}

// Open shows the account setup window. The caller keeps it to one at a time (Deps.OnClose says
// when it is gone).
func Open(d Deps) *Wizard {
	w := &Wizard{d: &d, kind: types.IMAP}
	w.win = d.App.NewWindow(tr("Add an account"))
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.title.SizeName = theme.SizeNameSubHeadingText
	w.step = uikit.NewDimText("", theme.SizeNameText)
	w.step.Truncation = fyne.TextTruncateOff
	w.body = container.NewStack()
	w.bar = container.NewHBox()
	w.notice = widget.NewLabel("")
	w.notice.Wrapping = fyne.TextWrapWord
	w.notice.Hide()
	w.scroll = container.NewVScroll(container.NewPadded(w.body))
	top := container.NewVBox(container.NewBorder(nil, nil, nil, w.step, w.title), widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), w.notice, w.bar)
	w.win.SetContent(container.NewPadded(container.NewBorder(top, bottom, nil, nil, w.scroll)))

	w.nameE = widget.NewEntry()
	w.nameE.SetPlaceHolder(tr("Your name, as others see it"))
	w.emailE = widget.NewEntry()
	w.emailE.SetPlaceHolder("you@example.org")
	w.pwE = widget.NewPasswordEntry()
	w.idForm = container.NewStack()
	w.idHint = uikit.DimWrapped("")
	w.signInNote = uikit.Wrapped("")
	w.signInNote.Hide()
	w.emailE.OnChanged = func(string) { w.showSignInNote() }
	w.remember = widget.NewCheck(tr("Remember password"), nil)
	w.remember.SetChecked(true)
	w.idErr = widget.NewLabel("")
	w.idErr.Importance = widget.DangerImportance
	w.idErr.Wrapping = fyne.TextWrapWord
	w.idErr.Hide()
	w.pop3 = NewPOP3Policy()
	w.form = NewSettingsForm(w.win)
	w.accNameE = widget.NewEntry()
	w.check = NewConnCheck(w.d)
	w.check.OnTrust = w.trust
	w.check.OnPassword = func(pw string) {
		w.password = pw
		w.pwE.SetText(pw)
		w.runTest()
	}
	w.check.OnDone = w.testDone
	w.check.Relayout = func() { w.relayout() }

	w.win.SetCloseIntercept(w.close)
	w.win.Resize(fyne.NewSize(640, 680))
	w.showIdentity()
	w.win.Show()
	w.win.Canvas().Focus(w.nameE)
	return w
}

// close stops whatever is running and closes the window.
func (w *Wizard) close() {
	w.stopDiscovery()
	w.check.Stop()
	if w.signing != nil {
		w.signing()
	}
	if w.closed {
		return
	}
	w.closed = true
	w.win.Close()
	if w.d.OnClose != nil {
		w.d.OnClose()
	}
}

// Window is the wizard's window.
func (w *Wizard) Window() fyne.Window { return w.win }

// Close stops what runs and closes the window, as its close button does.
func (w *Wizard) Close() { w.close() }

// show puts a page in the window, scrolled to its top, with no notice.
func (w *Wizard) show(page, title, step string, content fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	if w.signing != nil { // a sign-in belongs to the page that started it
		w.signing()
		w.signing = nil
	}
	w.page = page
	w.title.SetText(title)
	uikit.SetDimText(w.step, step)
	w.notice.Hide()
	w.body.Objects = []fyne.CanvasObject{content}
	w.body.Refresh()
	w.bar.Objects = buttons
	w.bar.Refresh()
	w.scroll.Offset = fyne.Position{}
	w.relayout()
}

// relayout lays the whole window out again after parts were shown, hidden or replaced.
func (w *Wizard) relayout() { w.win.Content().Refresh() }

// setNotice shows text above the buttons ("" hides it).
func (w *Wizard) setNotice(text string, imp widget.Importance) {
	if text == "" {
		w.notice.Hide()
	} else {
		w.notice.Importance = imp
		w.notice.SetText(text)
		w.notice.Show()
		// A wrapping label measures its height at its current width, which a notice hidden until
		// now may not have: give it the bar's width first, so the layout leaves room for every line.
		w.notice.Resize(fyne.NewSize(w.bar.Size().Width, w.notice.Size().Height))
	}
	w.relayout()
}

// scrollIntoView scrolls the page so that as much of o as fits is in view, its top first.
func (w *Wizard) scrollIntoView(o fyne.CanvasObject) {
	pos, ok := positionIn(w.scroll.Content, o)
	if !ok || !o.Visible() {
		return
	}
	view := w.scroll.Size().Height
	top, bottom := pos.Y, pos.Y+o.Size().Height
	off := w.scroll.Offset.Y
	switch {
	case bottom-top > view || top < off:
		off = top
	case bottom > off+view:
		off = bottom - view
	}
	w.scroll.ScrollToOffset(fyne.NewPos(0, off))
}

// positionIn finds target among root's containers and returns its position relative to root.
func positionIn(root, target fyne.CanvasObject) (fyne.Position, bool) {
	if root == target {
		return fyne.Position{}, true
	}
	if c, ok := root.(*fyne.Container); ok {
		for _, o := range c.Objects {
			if p, ok := positionIn(o, target); ok {
				return o.Position().Add(p), true
			}
		}
	}
	return fyne.Position{}, false
}

func stepText(n int) string {
	return tr("Step {{.N}} of 3", map[string]any{"N": strconv.Itoa(n)})
}

// manualLink is the "Configure manually" link every page has.
func (w *Wizard) manualLink() fyne.CanvasObject {
	l := widget.NewHyperlink(tr("Configure manually"), nil)
	l.OnTapped = func() {
		if w.page == pageIdentity && !w.readIdentity() {
			return
		}
		w.showManual("")
	}
	return l
}

func (w *Wizard) button(label string, icon fyne.Resource, imp widget.Importance, fn func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, icon, fn)
	b.Importance = imp
	return b
}

// --- Step 1: who you are ---

func (w *Wizard) showIdentity() {
	w.stopDiscovery()
	w.check.Stop()
	intro := uikit.Wrapped(tr("Enter your name, e-mail address and password. Postbode looks up the server settings for you."))

	w.next = w.button(tr("Continue"), theme.NavigateNextIcon(), widget.HighImportance, w.identityDone)
	w.pwE.OnSubmitted = func(string) { w.identityDone() }
	w.emailE.OnSubmitted = func(string) { w.win.Canvas().Focus(w.pwE) }
	w.showSignInNote()
	content := container.NewVBox(intro, w.idForm, w.signInNote, container.NewPadded(w.remember), w.idHint, w.idErr)
	w.show(pageIdentity, tr("Set up your mail account"), stepText(1), content,
		w.manualLink(), layout.NewSpacer(),
		w.button(tr("Cancel"), nil, widget.MediumImportance, w.close), w.next)
}

// readIdentity checks step 1 and copies it into the account.
func (w *Wizard) readIdentity() bool {
	email := strings.TrimSpace(w.emailE.Text)
	addr, err := mail.ParseAddress(email)
	switch {
	// A domain without a dot is fine: alice@localhost, or a name on the local network.
	case err != nil || addr.Address != email:
		w.idErr.SetText(tr("Enter your whole e-mail address, such as you@example.org."))
	case w.pwE.Text == "" && w.addressProvider(email) == "":
		w.idErr.SetText(tr("Enter your password."))
	default:
		w.idErr.Hide()
		if w.acc.Email != email {
			// A new address: what was found or typed for the old one no longer applies.
			w.results, w.confirmed = nil, false
			w.acc = types.Account{}
			w.addAnyway = ""
		}
		w.acc.Email = email
		w.acc.DisplayName = strings.TrimSpace(w.nameE.Text)
		if w.password != w.pwE.Text {
			w.tested = false
		}
		w.password = w.pwE.Text
		return true
	}
	w.idErr.Show()
	w.relayout()
	return false
}

// addressProvider names the OAuth2 provider an address is at ("" for none): its users sign in on
// the provider's page instead of typing a password here.
func (w *Wizard) addressProvider(email string) string {
	if p, ok := w.d.Manager.OAuthProviderFor(strings.TrimSpace(email), accounts.DiscoveryResult{}); ok {
		return p.Name
	}
	return ""
}

// showSignInNote puts "sign in with the provider" in place of the password field while the
// address is at an OAuth2 provider.
func (w *Wizard) showSignInNote() {
	name := w.addressProvider(w.emailE.Text)
	items := []*widget.FormItem{widget.NewFormItem(tr("Your name"), w.nameE), widget.NewFormItem(tr("E-mail address"), w.emailE)}
	if name == "" {
		items = append(items, widget.NewFormItem(tr("Password"), w.pwE))
		w.signInNote.Hide()
		w.remember.SetText(tr("Remember password"))
		uikit.SetDimText(w.idHint, tr("The password is saved in your system's keyring, never in a file. Without a keyring it is kept only until Postbode closes."))
	} else {
		w.signInNote.SetText(tr("{{.Provider}} signs you in on its own page: Postbode opens it in your browser after it has found the settings. Postbode never sees your password.", map[string]any{"Provider": name}))
		w.signInNote.Show()
		w.remember.SetText(tr("Stay signed in"))
		uikit.SetDimText(w.idHint, tr("The sign-in is kept in your system's keyring, never in a file. Without a keyring it lasts only until Postbode closes."))
	}
	if old := w.idForm.Objects; len(old) == 0 || len(old[0].(*widget.Form).Items) != len(items) {
		w.idForm.Objects = []fyne.CanvasObject{widget.NewForm(items...)}
		w.idForm.Refresh()
	}
}

func (w *Wizard) identityDone() {
	if !w.readIdentity() {
		return
	}
	if len(w.results) > 0 {
		w.showType()
		return
	}
	if localHost(w.domain()) {
		// Nothing is published for a name on this computer or the local network: asking DNS or
		// the providers' database about it only waits for nothing.
		w.showManual(tr("{{.Domain}} is a name on this computer or your local network, so there are no published settings to look up. Enter them below.", map[string]any{"Domain": w.domain()}))
		return
	}
	w.startDiscovery()
}

func (w *Wizard) domain() string {
	return w.acc.Email[strings.LastIndex(w.acc.Email, "@")+1:]
}

// --- Discovery ---

func (w *Wizard) startDiscovery() {
	w.stopDiscovery()
	w.discoverGen++
	gen := w.discoverGen
	ctx, cancel := context.WithTimeout(w.d.Ctx, discoverTimeout)
	w.discoverCancel = cancel
	spin := widget.NewProgressBarInfinite()
	w.spin = spin
	msg := uikit.Wrapped(tr("Looking up the server settings for {{.Domain}}…", map[string]any{"Domain": w.domain()}))
	msg.TextStyle.Bold = true
	how := uikit.DimWrapped(tr("Postbode asks your provider's configuration service and the Thunderbird database of providers. Your password is not sent anywhere yet."))
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(0, 120))
	content := container.NewVBox(room, msg, spin, how)
	w.show(pageDiscover, tr("Finding your settings"), stepText(1), content,
		w.manualLink(), layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, w.showIdentity),
		w.button(tr("Stop"), theme.MediaStopIcon(), widget.MediumImportance, func() { w.showManual("") }))

	email := w.acc.Email
	w.d.Spawn(func(context.Context) {
		defer cancel()
		results, err := w.d.Manager.Discover(ctx, email)
		w.d.Exec(func() {
			if gen != w.discoverGen || w.page != pageDiscover {
				return
			}
			w.discovered(results, err)
		})
	})
}

// stopDiscovery drops a running lookup's answer and stops its animation (an animation left running
// on a page no longer shown keeps asking the window to redraw an object it does not show).
func (w *Wizard) stopDiscovery() {
	w.discoverGen++
	if w.discoverCancel != nil {
		w.discoverCancel()
		w.discoverCancel = nil
	}
	if w.spin != nil {
		w.spin.Stop()
		w.spin = nil
	}
}

func (w *Wizard) discovered(results []accounts.DiscoveryResult, err error) {
	var nf *accounts.NoSettingsFoundError
	switch {
	case err == nil && len(results) > 0:
		w.results, w.confirmed = results, false
		w.kind = kindsOf(results[0])[0]
		w.showType()
	case errors.As(err, &nf) || err == nil:
		w.showManual(tr("No settings were found for {{.Domain}}. Enter them below; your provider's help pages list them.", map[string]any{"Domain": w.domain()}))
	case errors.Is(err, context.DeadlineExceeded):
		w.showManual(tr("Looking up the settings for {{.Domain}} took too long. Enter them below; your provider's help pages list them.", map[string]any{"Domain": w.domain()}))
	default:
		w.showManual(tr("The settings could not be looked up ({{.Err}}). Enter them below.", map[string]any{"Err": err.Error()}))
	}
}

// kindsOf lists the account kinds a result offers, IMAP first.
func kindsOf(r accounts.DiscoveryResult) []types.Protocol {
	var imap, pop bool
	for _, s := range r.Incoming {
		imap = imap || s.Protocol == types.IMAP
		pop = pop || s.Protocol == types.POP3
	}
	var out []types.Protocol
	if imap {
		out = append(out, types.IMAP)
	}
	if pop {
		out = append(out, types.POP3)
	}
	if len(out) == 0 {
		out = append(out, types.IMAP)
	}
	return out
}

// needsConfirmation: only the provider's own configuration file fetched over https and the ISPDB
// are trusted to name servers; anything else (DNS SRV, guessing, plain http, or a source this code
// does not know) is shown to the user before a password goes to it.
func needsConfirmation(r accounts.DiscoveryResult) bool {
	if r.InsecureSource {
		return true
	}
	return !strings.HasPrefix(r.Source, "autoconfig (") && !strings.HasPrefix(r.Source, "ISPDB")
}

// sourceText says in words where settings came from.
func sourceText(r accounts.DiscoveryResult) string {
	src := map[string]any{"Source": r.Source}
	switch {
	case r.InsecureSource:
		return tr("your provider's configuration file, fetched without encryption: {{.Source}}", src)
	case strings.HasPrefix(r.Source, "autoconfig"):
		return tr("your provider's configuration file: {{.Source}}", src)
	case r.Source == "ISPDB":
		return tr("the Thunderbird database of mail providers")
	case strings.HasPrefix(r.Source, "ISPDB"):
		return tr("the Thunderbird database of mail providers, through your domain's mail server: {{.Source}}", src)
	case r.Source == "DNS SRV":
		return tr("your domain's DNS service records (SRV)")
	case strings.HasPrefix(r.Source, "guess"):
		return tr("guessing the usual server names and checking which ones answer")
	}
	return r.Source
}

// accountFrom builds the account for a kind from a discovery result.
func (w *Wizard) accountFrom(r accounts.DiscoveryResult, kind types.Protocol) types.Account {
	a := w.acc
	a.Kind = kind
	a.Incoming, a.Outgoing = types.Server{}, types.Server{}
	pick := func(proto types.Protocol, list []accounts.DiscoveredServer) (types.Server, bool) {
		for _, s := range list {
			// A plaintext server is never taken from discovery (SECURITY rule 1): only a user
			// who types it in, for a local host, gets one.
			if s.Protocol != proto || s.Security == types.SecurityPlain {
				continue
			}
			out := s.Server
			out.CAFile = w.caFile
			if out.User == "" {
				out.User = a.Email
			}
			return out, true
		}
		return types.Server{}, false
	}
	a.Incoming, _ = pick(kind, r.Incoming)
	a.Outgoing, _ = pick(types.SMTP, r.Outgoing)
	return a
}

// --- Step 2: the kind of account ---

func (w *Wizard) showType() {
	w.stopDiscovery()
	w.check.Stop()
	r := w.results[0]
	kinds := kindsOf(r)
	if len(kinds) == 1 {
		w.kind = kinds[0]
	}
	var items []fyne.CanvasObject
	provider := r.DisplayName
	if provider == "" {
		provider = w.domain()
	}
	found := uikit.Wrapped(tr("Settings for {{.Provider}} were found in {{.Where}}.", map[string]any{"Provider": provider, "Where": sourceText(r)}))
	items = append(items, container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.InfoIcon())), nil, found))
	if p, ok := w.signInProvider(w.accountFrom(r, w.kind)); ok {
		note := uikit.Wrapped(tr("You sign in with {{.Provider}} on its own page in your browser, in the next step. Postbode never sees your password.", map[string]any{"Provider": p.Name}))
		items = append(items, container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.LoginIcon())), nil, note))
	}

	w.next = w.button(tr("Continue"), theme.NavigateNextIcon(), widget.HighImportance, w.typeDone)
	needs := needsConfirmation(r)
	servers := w.serverSummary(w.accountFrom(r, w.kind))
	if needs {
		how := tr("These settings were not published by your provider in a way Postbode can verify, so anyone on your network could have changed them. Your password is sent only after you confirm that these servers belong to your mail provider.")
		ok := widget.NewCheck(tr("These are my provider's servers"), func(on bool) {
			w.confirmed = on
			uikit.SetEnabled(w.next, on)
		})
		ok.SetChecked(w.confirmed)
		title := widget.NewLabelWithStyle(tr("Check these servers before you continue"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		items = append(items, warningBox(title, uikit.Wrapped(how), servers, ok))
		uikit.SetEnabled(w.next, w.confirmed)
	}
	if r.NeedsOAuth {
		items = append(items, warningBox(uikit.Wrapped(tr("{{.Provider}} normally wants mail programs to sign in through its web page (OAuth2). If your password is refused, create an app password in your account settings there and use it here.", map[string]any{"Provider": provider}))))
	}

	items = append(items, uikit.Heading(tr("How should Postbode keep your mail?")))
	imapText := tr("IMAP keeps your mail, read state, folders and sent mail on the server, in step on every device you use.")
	popText := tr("POP3 downloads your mail to this computer only: read state, sent mail and folders stay here, and other devices do not see them.")
	explain := func(s string) fyne.CanvasObject {
		l := uikit.Wrapped(s)
		return container.New(layout.NewCustomPaddedLayout(0, theme.Padding(), 28, 0), l)
	}
	pop3Box := container.NewVBox(w.pop3.box)
	if w.d.Manager.KeepsMailOnServer(w.kind) {
		pop3Box.Hide()
	}
	if len(kinds) == 2 {
		var imapR, popR *widget.RadioGroup
		choose := func(k types.Protocol) {
			w.kind = k
			if !w.d.Manager.KeepsMailOnServer(k) {
				imapR.SetSelected("")
				pop3Box.Show()
			} else {
				popR.SetSelected("")
				pop3Box.Hide()
			}
			w.refreshSummary(servers, w.accountFrom(r, k))
			w.relayout()
		}
		imapR = widget.NewRadioGroup([]string{tr("IMAP (recommended)")}, func(s string) {
			if s != "" {
				choose(types.IMAP)
			}
		})
		popR = widget.NewRadioGroup([]string{tr("POP3")}, func(s string) {
			if s != "" {
				choose(types.POP3)
			}
		})
		if !w.d.Manager.KeepsMailOnServer(w.kind) {
			popR.SetSelected(tr("POP3"))
		} else {
			imapR.SetSelected(tr("IMAP (recommended)"))
		}
		items = append(items, imapR, explain(imapText), popR, explain(popText))
	} else if !w.d.Manager.KeepsMailOnServer(w.kind) {
		items = append(items, uikit.Wrapped(tr("Your provider offers POP3 only.")), explain(popText))
	} else {
		items = append(items, uikit.Wrapped(tr("Your provider offers IMAP.")), explain(imapText))
	}
	items = append(items, pop3Box)
	if !needs {
		items = append(items, uikit.Heading(tr("Servers")), servers)
	}
	w.show(pageType, tr("Choose the kind of account"), stepText(2), container.NewVBox(items...),
		w.button(tr("Edit settings"), theme.DocumentCreateIcon(), widget.LowImportance, func() { w.showManual("") }),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, w.showIdentity), w.next)
}

// serverSummary lists an account's servers in a few lines.
func (w *Wizard) serverSummary(a types.Account) *fyne.Container {
	box := container.NewVBox()
	w.refreshSummary(box, a)
	return box
}

func (w *Wizard) refreshSummary(box *fyne.Container, a types.Account) {
	line := func(which string, s types.Server) fyne.CanvasObject {
		title := serverTitle(which, a.Kind, s)
		if s.Host == "" {
			title = tr("Outgoing mail (SMTP): none found")
		}
		l := widget.NewLabel(title)
		l.Wrapping = fyne.TextWrapWord
		if s.User != "" {
			l.SetText(title + "\n" + tr("User name: {{.User}}", map[string]any{"User": s.User}))
		}
		return l
	}
	box.Objects = []fyne.CanvasObject{line(ServerIncoming, a.Incoming), line(ServerOutgoing, a.Outgoing)}
	box.Refresh()
}

func (w *Wizard) typeDone() {
	r := w.results[0]
	if needsConfirmation(r) && !w.confirmed {
		return
	}
	acc := w.accountFrom(r, w.kind)
	if acc.Incoming.Host == "" {
		w.showManual(tr("Your provider's settings name no {{.Kind}} server. Enter it below.", map[string]any{"Kind": strings.ToUpper(string(w.kind))}))
		return
	}
	if w.sameAddress(acc) {
		return
	}
	w.setAccount(acc)
	w.showTest()
}

// setAccount takes new settings; a test passed for other settings no longer counts.
func (w *Wizard) setAccount(a types.Account) {
	if !w.d.Manager.KeepsMailOnServer(a.Kind) {
		a.POP3 = w.pop3.Read()
	}
	a.Auth = w.authFor(a)
	if a.Kind != w.acc.Kind || a.Incoming != w.acc.Incoming || a.Outgoing != w.acc.Outgoing {
		w.tested = false
	}
	w.acc = a
}

// authFor is how an account with these settings signs in: with its provider's OAuth2 sign-in when
// its address or server belongs to one, else with the password.
func (w *Wizard) authFor(a types.Account) types.Auth {
	a.Auth = types.Auth{}
	if p, ok := w.d.Manager.OAuthProvider(a); ok {
		return types.Auth{Method: types.AuthOAuth2, Provider: p.ID}
	}
	return types.Auth{}
}

// signInProvider is the OAuth2 provider an account with these settings signs in with, if any.
func (w *Wizard) signInProvider(a types.Account) (oauth.Provider, bool) {
	a.Auth = w.authFor(a)
	if !a.OAuth2() {
		return oauth.Provider{}, false
	}
	return w.d.Manager.OAuthProvider(a)
}

// --- Manual settings ---

func (w *Wizard) showManual(note string) {
	w.stopDiscovery()
	w.check.Stop()
	if w.acc.Incoming.Host == "" && len(w.results) > 0 {
		w.acc = w.accountFrom(w.results[0], w.kind)
	}
	seed := w.acc
	if seed.Kind == "" {
		seed.Kind = w.kind
	}
	if seed.Incoming.Host == "" {
		seed.Incoming = types.Server{User: w.acc.Email, CAFile: w.caFile}
		seed.Outgoing = types.Server{User: w.acc.Email, CAFile: w.caFile}
		if d := w.domain(); w.acc.Email != "" && localHost(d) {
			seed.Incoming.Host, seed.Outgoing.Host = d, d
		}
	}
	w.form.Set(seed)
	pop3Box := container.NewVBox(uikit.Heading(tr("POP3 options")), w.pop3.box)
	if w.d.Manager.KeepsMailOnServer(seed.Kind) {
		pop3Box.Hide()
	}
	w.form.onKind = func(k types.Protocol) {
		w.kind = k
		if w.d.Manager.KeepsMailOnServer(k) {
			pop3Box.Hide()
		} else {
			pop3Box.Show()
		}
		w.relayout()
	}
	var items []fyne.CanvasObject
	if note != "" {
		items = append(items, warningBox(uikit.Wrapped(note)))
	}
	items = append(items, w.form.View(), pop3Box)
	back := w.showIdentity
	if len(w.results) > 0 {
		back = w.showType
	}
	w.show(pageManual, tr("Server settings"), tr("Manual settings"), container.NewVBox(items...),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, back),
		w.button(tr("Test settings"), theme.NavigateNextIcon(), widget.HighImportance, w.manualDone))
}

func (w *Wizard) manualDone() {
	acc, err := w.form.Read(w.acc)
	if err != nil {
		w.setNotice(err.Error(), widget.DangerImportance)
		return
	}
	w.kind = acc.Kind
	// Settings typed by the user are the user's: no further confirmation is needed.
	w.confirmed = true
	if w.sameAddress(acc) {
		return
	}
	w.setAccount(acc)
	w.showTest()
}

// --- Step 3: the connection test ---

func (w *Wizard) showTest() {
	// The account is listed under its address unless the user names it.
	if def := w.accountName(w.acc.Email); w.accNameE.Text == "" || w.accNameE.Text == w.accNameDefault {
		w.accNameE.SetText(def)
		w.accNameDefault = def
	}
	nameForm := widget.NewForm(widget.NewFormItem(tr("Account name"), w.accNameE))
	intro := uikit.Wrapped(tr("Postbode logs in to your servers to check the settings. Nothing is changed on the server."))
	w.stopBtn = w.button(tr("Stop"), theme.MediaStopIcon(), widget.MediumImportance, func() {
		if w.signing != nil {
			w.signing() // the sign-in ends with "cancelled"
			return
		}
		w.check.Stop()
		w.testDone(false)
	})
	w.signInBtn = w.button(tr("Sign in"), theme.LoginIcon(), widget.HighImportance, w.signIn)
	w.signInBtn.Hide()
	w.retry = w.button(tr("Try again"), theme.ViewRefreshIcon(), widget.MediumImportance, w.runTest)
	w.next = w.button(tr("Finish"), theme.ConfirmIcon(), widget.HighImportance, w.finish)
	w.next.Disable()
	w.anyway = w.button(tr("Finish anyway"), theme.ConfirmIcon(), widget.HighImportance, w.finish)
	w.anyway.Hide()
	back := w.showIdentity
	if len(w.results) > 0 {
		back = w.showType
	}
	w.show(pageTest, tr("Checking the connection"), stepText(3), container.NewVBox(nameForm, intro, w.check.View()),
		w.button(tr("Edit settings"), theme.DocumentCreateIcon(), widget.LowImportance, func() { w.showManual("") }),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, back), w.stopBtn, w.retry, w.signInBtn, w.anyway, w.next)
	w.runTest()
}

func (w *Wizard) runTest() {
	w.tested = false
	if w.acc.OAuth2() && (w.token.Access == "" || w.tokenFor != w.acc.Auth.Provider) {
		w.askSignIn()
		return
	}
	w.signInBtn.Hide()
	w.retry.Hide()
	w.stopBtn.Show()
	w.next.Disable()
	w.next.Show()
	w.anyway.Hide()
	w.notice.Hide()
	secret := w.password
	if w.acc.OAuth2() {
		secret = w.token.Access
	}
	w.check.Run(w.acc, secret)
	w.relayout()
}

// askSignIn offers the provider's sign-in before the connection test of an OAuth2 account, or
// says plainly that this copy of Postbode cannot sign in there.
func (w *Wizard) askSignIn() {
	for _, b := range []*widget.Button{w.stopBtn, w.retry, w.next, w.anyway} {
		b.Hide()
	}
	p, ok := w.d.Manager.OAuthProvider(w.acc)
	data := map[string]any{"Provider": p.Name}
	switch {
	case !ok:
		w.setNotice(tr("Postbode knows no OAuth2 sign-in for these servers. Edit the settings, or go back and enter a password."), widget.DangerImportance)
		w.signInBtn.Hide()
	case !p.Configured():
		w.setNotice(tr("This copy of Postbode has no OAuth2 client ID for {{.Provider}}, so it cannot sign you in there. The README explains how to add one.", data), widget.DangerImportance)
		w.signInBtn.Hide()
	default:
		w.setNotice(tr("{{.Provider}} signs you in on its own page. Choose Sign in with {{.Provider}}: Postbode opens the page in your browser and checks the connection when you are back.", data), widget.MediumImportance)
		w.signInBtn.SetText(tr("Sign in with {{.Provider}}", data))
		w.signInBtn.Enable()
		w.signInBtn.Show()
	}
	w.relayout()
}

// signIn opens the provider's sign-in page and, when the browser comes back, tests the connection
// with the new access token.
func (w *Wizard) signIn() {
	ctx, cancel := context.WithCancel(w.d.Ctx)
	w.signing = cancel
	w.signInBtn.Disable()
	w.stopBtn.Show()
	w.setNotice(tr("Finish signing in in your browser; Postbode waits for it."), widget.MediumImportance)
	acc := w.acc
	w.d.Spawn(func(context.Context) {
		tok, err := w.d.Manager.SignIn(ctx, acc, func(address string) error { return uikit.OpenInBrowser(w.d.App, address) })
		w.d.Exec(func() {
			cancel()
			w.signing = nil
			if w.page != pageTest || w.closed {
				return
			}
			if err != nil {
				p := uikit.DescribeSignInError(err)
				w.setNotice(strings.TrimSpace(p.Sentence+" "+p.Advice), widget.DangerImportance)
				w.stopBtn.Hide()
				w.signInBtn.Enable()
				return
			}
			w.token, w.tokenFor = tok, acc.Auth.Provider
			w.runTest()
		})
	})
}

// testDone offers Finish when everything works, and Finish anyway when mail can be received but
// sending is not set up or did not answer: a working incoming server is all an account needs, and
// sending is tested again when it is used. What went wrong stays in view.
func (w *Wizard) testDone(ok bool) {
	if w.page != pageTest {
		return
	}
	inErr, inDone := w.check.results[ServerIncoming]
	outErr, outTested := w.check.results[ServerOutgoing]
	w.tested = inDone && inErr == nil
	w.stopBtn.Hide()
	w.retry.Show()
	anyway := false
	switch {
	case ok && w.acc.Outgoing.Host == "":
		anyway = true
		w.setNotice(tr("Receiving mail works. No outgoing (SMTP) server is set, so you cannot send mail from this account yet. Choose Finish anyway to add the account now and set up sending later under Account settings, or Edit settings to enter the server."), widget.WarningImportance)
	case ok:
		w.setNotice(tr("Everything works. Choose Finish to add the account; its mail starts to download at once."), widget.SuccessImportance)
	case w.tested && outTested && outErr != nil:
		anyway = true
		w.setNotice(tr("Receiving mail works, but the outgoing server could not be checked: {{.Problem}} Choose Finish anyway to add the account with these settings; sending is tested again when you send a message.", map[string]any{"Problem": problemTitle(w.acc.Outgoing, outErr)}), widget.WarningImportance)
	case inDone && inErr != nil:
		w.setNotice(tr("The incoming server did not accept the settings: {{.Problem}} The box above says what to do.", map[string]any{"Problem": problemTitle(w.acc.Incoming, inErr)}), widget.DangerImportance)
	default:
		w.setNotice("", widget.MediumImportance)
	}
	if anyway {
		w.next.Hide()
		w.anyway.Show()
	} else {
		w.anyway.Hide()
		w.next.Show()
		uikit.SetEnabled(w.next, ok)
	}
	w.relayout()
	if len(w.check.problems.Objects) > 0 {
		w.scrollIntoView(w.check.problems)
	}
}

// trust pins the certificate the user accepted for one server (and for the other one when it
// showed the same certificate), then tests again.
func (w *Wizard) trust(which, sha string) {
	pinIf := func(s *types.Server, whichS string) {
		if whichS == which {
			s.PinSHA256 = sha
			return
		}
		if cert, ok := accounts.CertProblem(w.check.results[whichS]); ok && cert.SHA256 == sha {
			s.PinSHA256 = sha
		}
	}
	pinIf(&w.acc.Incoming, ServerIncoming)
	pinIf(&w.acc.Outgoing, ServerOutgoing)
	w.runTest()
}

// --- Finish ---

// accountName is the name the new account is listed under: its address, made unique.
func (w *Wizard) accountName(email string) string {
	base := email
	if len([]rune(base)) > 60 {
		base = string([]rune(base)[:60])
	}
	name := base
	for i := 2; ; i++ {
		if _, taken := w.d.Manager.Account(name); !taken {
			return name
		}
		name = base + " " + strconv.Itoa(i)
	}
}

func (w *Wizard) finish() {
	if !w.tested || w.saving {
		return
	}
	acc := w.acc
	acc.Name = strings.TrimSpace(w.accNameE.Text)
	if acc.Name == "" {
		acc.Name = w.accountName(acc.Email)
	}
	if !types.ValidName(acc.Name) {
		w.setNotice(tr("Use 1 to 64 letters, digits, spaces or . _ @ + - for the account name, starting with a letter or digit."), widget.DangerImportance)
		w.win.Canvas().Focus(w.accNameE)
		return
	}
	if _, taken := w.d.Manager.Account(acc.Name); taken {
		w.setNotice(tr("You already have an account named {{.Name}}: choose another account name.", map[string]any{"Name": acc.Name}), widget.DangerImportance)
		w.win.Canvas().Focus(w.accNameE)
		return
	}
	w.saving = true
	w.next.Disable()
	w.anyway.Disable()
	if !w.d.Manager.KeepsMailOnServer(acc.Kind) {
		acc.POP3 = w.pop3.Read()
	}
	password, remember := w.password, w.remember.Checked
	if acc.OAuth2() {
		password = w.token.Refresh // kept like a password: in the keyring, or for this session
	}
	w.d.Spawn(func(ctx context.Context) {
		err := w.d.Manager.AddAccount(ctx, acc, password, remember)
		w.d.Exec(func() {
			w.saving = false
			if err != nil && !errors.Is(err, accounts.ErrNoKeyring) {
				w.setNotice(tr("The account could not be saved: {{.Err}}", map[string]any{"Err": err.Error()}), widget.DangerImportance)
				w.next.Enable()
				w.anyway.Enable()
				return
			}
			w.close() // unless the user closed it meanwhile
			w.d.OnAdded(acc.Name, err != nil)
			if acc.Outgoing.Host == "" {
				w.d.Notice(acc.Name, tr("Sending is not set up: add an outgoing (SMTP) server under Account settings to send mail from this account."))
			}
		})
	})
}
