package ui

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
)

// discoverTimeout bounds the search for an address's server settings.
const discoverTimeout = 30 * time.Second

// Wizard pages, in the order a user meets them.
const (
	pageIdentity = "identity"
	pageDiscover = "discover"
	pageType     = "type"
	pageManual   = "manual"
	pageTest     = "test"
)

// wizard is the "Add an account" window: who you are, the settings found for your address (or
// typed by hand), the kind of account, and a connection test before anything is saved. No
// password is sent to a server the user has not seen: settings found by DNS or guessing, or
// fetched unencrypted, wait for the user's confirmation.
type wizard struct {
	u   *ui
	win fyne.Window

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
	pop3      *pop3Policy
	form      *settingsForm
	check     *connCheck
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

	// accNameE is the name the account is listed under; accNameDefault is what the wizard filled
	// in (the address), replaced when the address changes unless the user typed a name.
	accNameE       *widget.Entry
	accNameDefault string

	next, anyway, stopBtn, retry, signInBtn *widget.Button
}

// openWizard shows the account setup window (one at a time).
func (u *ui) openWizard() *wizard {
	if u.wizard != nil {
		u.wizard.win.RequestFocus()
		return u.wizard
	}
	w := &wizard{u: u, kind: types.IMAP}
	u.wizard = w
	w.win = u.app.NewWindow(tr("Add an account"))
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.title.SizeName = theme.SizeNameSubHeadingText
	w.step = newDimText("", theme.SizeNameText)
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
	w.idHint = dimWrapped("")
	w.signInNote = wrapped("")
	w.signInNote.Hide()
	w.emailE.OnChanged = func(string) { w.showSignInNote() }
	w.remember = widget.NewCheck(tr("Remember password"), nil)
	w.remember.SetChecked(true)
	w.idErr = widget.NewLabel("")
	w.idErr.Importance = widget.DangerImportance
	w.idErr.Wrapping = fyne.TextWrapWord
	w.idErr.Hide()
	w.pop3 = newPOP3Policy()
	w.form = newSettingsForm()
	w.form.win = w.win
	w.accNameE = widget.NewEntry()
	w.check = newConnCheck(u)
	w.check.onTrust = w.trust
	w.check.onPassword = func(pw string) {
		w.password = pw
		w.pwE.SetText(pw)
		w.runTest()
	}
	w.check.onEdit = func() { w.showManual("") }
	w.check.onDone = w.testDone
	w.check.relayout = func() { w.relayout() }

	w.win.SetCloseIntercept(w.close)
	w.win.Resize(fyne.NewSize(640, 680))
	w.showIdentity()
	w.win.Show()
	w.win.Canvas().Focus(w.nameE)
	return w
}

// close stops whatever is running and closes the window.
func (w *wizard) close() {
	w.stopDiscovery()
	w.check.stop()
	if w.signing != nil {
		w.signing()
	}
	w.win.Close()
	if w.u.wizard == w {
		w.u.wizard = nil
	}
}

// show puts a page in the window, scrolled to its top, with no notice.
func (w *wizard) show(page, title, step string, content fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	if w.signing != nil { // a sign-in belongs to the page that started it
		w.signing()
		w.signing = nil
	}
	w.page = page
	w.title.SetText(title)
	setDimText(w.step, step)
	w.notice.Hide()
	w.body.Objects = []fyne.CanvasObject{content}
	w.body.Refresh()
	w.bar.Objects = buttons
	w.bar.Refresh()
	w.scroll.Offset = fyne.Position{}
	w.relayout()
}

// relayout lays the whole window out again after parts were shown, hidden or replaced.
func (w *wizard) relayout() { w.win.Content().Refresh() }

// setNotice shows text above the buttons ("" hides it).
func (w *wizard) setNotice(text string, imp widget.Importance) {
	if text == "" {
		w.notice.Hide()
	} else {
		w.notice.Importance = imp
		w.notice.SetText(text)
		w.notice.Show()
	}
	w.relayout()
}

// scrollIntoView scrolls the page so that as much of o as fits is in view, its top first.
func (w *wizard) scrollIntoView(o fyne.CanvasObject) {
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
func (w *wizard) manualLink() fyne.CanvasObject {
	l := widget.NewHyperlink(tr("Configure manually"), nil)
	l.OnTapped = func() {
		if w.page == pageIdentity && !w.readIdentity() {
			return
		}
		w.showManual("")
	}
	return l
}

func (w *wizard) button(label string, icon fyne.Resource, imp widget.Importance, fn func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, icon, fn)
	b.Importance = imp
	return b
}

// --- Step 1: who you are ---

func (w *wizard) showIdentity() {
	w.stopDiscovery()
	w.check.stop()
	intro := wrapped(tr("Enter your name, e-mail address and password. Postbode looks up the server settings for you."))

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
func (w *wizard) readIdentity() bool {
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
func (w *wizard) addressProvider(email string) string {
	if p, ok := w.u.deps.Manager.OAuthProviderFor(strings.TrimSpace(email), accounts.DiscoveryResult{}); ok {
		return p.Name
	}
	return ""
}

// showSignInNote puts "sign in with the provider" in place of the password field while the
// address is at an OAuth2 provider.
func (w *wizard) showSignInNote() {
	name := w.addressProvider(w.emailE.Text)
	items := []*widget.FormItem{widget.NewFormItem(tr("Your name"), w.nameE), widget.NewFormItem(tr("E-mail address"), w.emailE)}
	if name == "" {
		items = append(items, widget.NewFormItem(tr("Password"), w.pwE))
		w.signInNote.Hide()
		w.remember.SetText(tr("Remember password"))
		setDimText(w.idHint, tr("The password is saved in your system's keyring, never in a file. Without a keyring it is kept only until Postbode closes."))
	} else {
		w.signInNote.SetText(tr("{{.Provider}} signs you in on its own page: Postbode opens it in your browser after it has found the settings. Postbode never sees your password.", map[string]any{"Provider": name}))
		w.signInNote.Show()
		w.remember.SetText(tr("Stay signed in"))
		setDimText(w.idHint, tr("The sign-in is kept in your system's keyring, never in a file. Without a keyring it lasts only until Postbode closes."))
	}
	if old := w.idForm.Objects; len(old) == 0 || len(old[0].(*widget.Form).Items) != len(items) {
		w.idForm.Objects = []fyne.CanvasObject{widget.NewForm(items...)}
		w.idForm.Refresh()
	}
}

func (w *wizard) identityDone() {
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

func (w *wizard) domain() string {
	return w.acc.Email[strings.LastIndex(w.acc.Email, "@")+1:]
}

// --- Discovery ---

func (w *wizard) startDiscovery() {
	w.stopDiscovery()
	w.discoverGen++
	gen := w.discoverGen
	ctx, cancel := context.WithTimeout(w.u.ctx, discoverTimeout)
	w.discoverCancel = cancel
	spin := widget.NewProgressBarInfinite()
	w.spin = spin
	msg := wrapped(tr("Looking up the server settings for {{.Domain}}…", map[string]any{"Domain": w.domain()}))
	msg.TextStyle.Bold = true
	how := dimWrapped(tr("Postbode asks your provider's configuration service and the Thunderbird database of providers. Your password is not sent anywhere yet."))
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(0, 120))
	content := container.NewVBox(room, msg, spin, how)
	w.show(pageDiscover, tr("Finding your settings"), stepText(1), content,
		w.manualLink(), layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, w.showIdentity),
		w.button(tr("Stop"), theme.MediaStopIcon(), widget.MediumImportance, func() { w.showManual("") }))

	email := w.acc.Email
	w.u.tasks.spawn(func(context.Context) {
		defer cancel()
		results, err := w.u.deps.Manager.Discover(ctx, email)
		w.u.exec(func() {
			if gen != w.discoverGen || w.page != pageDiscover {
				return
			}
			w.discovered(results, err)
		})
	})
}

// stopDiscovery drops a running lookup's answer and stops its animation (an animation left running
// on a page no longer shown keeps asking the window to redraw an object it does not show).
func (w *wizard) stopDiscovery() {
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

func (w *wizard) discovered(results []accounts.DiscoveryResult, err error) {
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
func (w *wizard) accountFrom(r accounts.DiscoveryResult, kind types.Protocol) types.Account {
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

func (w *wizard) showType() {
	w.stopDiscovery()
	w.check.stop()
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
	found := wrapped(tr("Settings for {{.Provider}} were found in {{.Where}}.", map[string]any{"Provider": provider, "Where": sourceText(r)}))
	items = append(items, container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.InfoIcon())), nil, found))
	if p, ok := w.signInProvider(w.accountFrom(r, w.kind)); ok {
		note := wrapped(tr("You sign in with {{.Provider}} on its own page in your browser, in the next step. Postbode never sees your password.", map[string]any{"Provider": p.Name}))
		items = append(items, container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.LoginIcon())), nil, note))
	}

	w.next = w.button(tr("Continue"), theme.NavigateNextIcon(), widget.HighImportance, w.typeDone)
	needs := needsConfirmation(r)
	servers := w.serverSummary(w.accountFrom(r, w.kind))
	if needs {
		how := tr("These settings were not published by your provider in a way Postbode can verify, so anyone on your network could have changed them. Your password is sent only after you confirm that these servers belong to your mail provider.")
		ok := widget.NewCheck(tr("These are my provider's servers"), func(on bool) {
			w.confirmed = on
			setEnabled(w.next, on)
		})
		ok.SetChecked(w.confirmed)
		title := widget.NewLabelWithStyle(tr("Check these servers before you continue"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		items = append(items, warningBox(title, wrapped(how), servers, ok))
		setEnabled(w.next, w.confirmed)
	}
	if r.NeedsOAuth {
		items = append(items, warningBox(wrapped(tr("{{.Provider}} normally wants mail programs to sign in through its web page (OAuth2). If your password is refused, create an app password in your account settings there and use it here.", map[string]any{"Provider": provider}))))
	}

	items = append(items, heading(tr("How should Postbode keep your mail?")))
	imapText := tr("IMAP keeps your mail, read state, folders and sent mail on the server, in step on every device you use.")
	popText := tr("POP3 downloads your mail to this computer only: read state, sent mail and folders stay here, and other devices do not see them.")
	explain := func(s string) fyne.CanvasObject {
		l := wrapped(s)
		return container.New(layout.NewCustomPaddedLayout(0, theme.Padding(), 28, 0), l)
	}
	pop3Box := container.NewVBox(w.pop3.box)
	if w.u.deps.Manager.KeepsMailOnServer(w.kind) {
		pop3Box.Hide()
	}
	if len(kinds) == 2 {
		var imapR, popR *widget.RadioGroup
		choose := func(k types.Protocol) {
			w.kind = k
			if !w.u.deps.Manager.KeepsMailOnServer(k) {
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
		if !w.u.deps.Manager.KeepsMailOnServer(w.kind) {
			popR.SetSelected(tr("POP3"))
		} else {
			imapR.SetSelected(tr("IMAP (recommended)"))
		}
		items = append(items, imapR, explain(imapText), popR, explain(popText))
	} else if !w.u.deps.Manager.KeepsMailOnServer(w.kind) {
		items = append(items, wrapped(tr("Your provider offers POP3 only.")), explain(popText))
	} else {
		items = append(items, wrapped(tr("Your provider offers IMAP.")), explain(imapText))
	}
	items = append(items, pop3Box)
	if !needs {
		items = append(items, heading(tr("Servers")), servers)
	}
	w.show(pageType, tr("Choose the kind of account"), stepText(2), container.NewVBox(items...),
		w.button(tr("Edit settings"), theme.DocumentCreateIcon(), widget.LowImportance, func() { w.showManual("") }),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, w.showIdentity), w.next)
}

// serverSummary lists an account's servers in a few lines.
func (w *wizard) serverSummary(a types.Account) *fyne.Container {
	box := container.NewVBox()
	w.refreshSummary(box, a)
	return box
}

func (w *wizard) refreshSummary(box *fyne.Container, a types.Account) {
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
	box.Objects = []fyne.CanvasObject{line(serverIncoming, a.Incoming), line(serverOutgoing, a.Outgoing)}
	box.Refresh()
}

func (w *wizard) typeDone() {
	r := w.results[0]
	if needsConfirmation(r) && !w.confirmed {
		return
	}
	acc := w.accountFrom(r, w.kind)
	if acc.Incoming.Host == "" {
		w.showManual(tr("Your provider's settings name no {{.Kind}} server. Enter it below.", map[string]any{"Kind": strings.ToUpper(string(w.kind))}))
		return
	}
	w.setAccount(acc)
	w.showTest()
}

// setAccount takes new settings; a test passed for other settings no longer counts.
func (w *wizard) setAccount(a types.Account) {
	if !w.u.deps.Manager.KeepsMailOnServer(a.Kind) {
		a.POP3 = w.pop3.read()
	}
	a.Auth = w.authFor(a)
	if a.Kind != w.acc.Kind || a.Incoming != w.acc.Incoming || a.Outgoing != w.acc.Outgoing {
		w.tested = false
	}
	w.acc = a
}

// authFor is how an account with these settings signs in: with its provider's OAuth2 sign-in when
// its address or server belongs to one, else with the password.
func (w *wizard) authFor(a types.Account) types.Auth {
	a.Auth = types.Auth{}
	if p, ok := w.u.deps.Manager.OAuthProvider(a); ok {
		return types.Auth{Method: types.AuthOAuth2, Provider: p.ID}
	}
	return types.Auth{}
}

// signInProvider is the OAuth2 provider an account with these settings signs in with, if any.
func (w *wizard) signInProvider(a types.Account) (oauth.Provider, bool) {
	a.Auth = w.authFor(a)
	if !a.OAuth2() {
		return oauth.Provider{}, false
	}
	return w.u.deps.Manager.OAuthProvider(a)
}

// --- Manual settings ---

func (w *wizard) showManual(note string) {
	w.stopDiscovery()
	w.check.stop()
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
	w.form.set(seed)
	pop3Box := container.NewVBox(heading(tr("POP3 options")), w.pop3.box)
	if w.u.deps.Manager.KeepsMailOnServer(seed.Kind) {
		pop3Box.Hide()
	}
	w.form.onKind = func(k types.Protocol) {
		w.kind = k
		if w.u.deps.Manager.KeepsMailOnServer(k) {
			pop3Box.Hide()
		} else {
			pop3Box.Show()
		}
		w.relayout()
	}
	var items []fyne.CanvasObject
	if note != "" {
		items = append(items, warningBox(wrapped(note)))
	}
	items = append(items, w.form.view(), pop3Box)
	back := w.showIdentity
	if len(w.results) > 0 {
		back = w.showType
	}
	w.show(pageManual, tr("Server settings"), tr("Manual settings"), container.NewVBox(items...),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, back),
		w.button(tr("Test settings"), theme.NavigateNextIcon(), widget.HighImportance, w.manualDone))
}

func (w *wizard) manualDone() {
	acc, err := w.form.read(w.acc)
	if err != nil {
		w.setNotice(err.Error(), widget.DangerImportance)
		return
	}
	w.kind = acc.Kind
	// Settings typed by the user are the user's: no further confirmation is needed.
	w.confirmed = true
	w.setAccount(acc)
	w.showTest()
}

// --- Step 3: the connection test ---

func (w *wizard) showTest() {
	// The account is listed under its address unless the user names it.
	if def := w.u.accountName(w.acc.Email); w.accNameE.Text == "" || w.accNameE.Text == w.accNameDefault {
		w.accNameE.SetText(def)
		w.accNameDefault = def
	}
	nameForm := widget.NewForm(widget.NewFormItem(tr("Account name"), w.accNameE))
	intro := wrapped(tr("Postbode logs in to your servers to check the settings. Nothing is changed on the server."))
	w.stopBtn = w.button(tr("Stop"), theme.MediaStopIcon(), widget.MediumImportance, func() {
		if w.signing != nil {
			w.signing() // the sign-in ends with "cancelled"
			return
		}
		w.check.stop()
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
	w.show(pageTest, tr("Checking the connection"), stepText(3), container.NewVBox(nameForm, intro, w.check.view()),
		w.button(tr("Edit settings"), theme.DocumentCreateIcon(), widget.LowImportance, func() { w.showManual("") }),
		layout.NewSpacer(),
		w.button(tr("Back"), theme.NavigateBackIcon(), widget.MediumImportance, back), w.stopBtn, w.retry, w.signInBtn, w.anyway, w.next)
	w.runTest()
}

func (w *wizard) runTest() {
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
	w.check.run(w.acc, secret)
	w.relayout()
}

// askSignIn offers the provider's sign-in before the connection test of an OAuth2 account, or
// says plainly that this copy of Postbode cannot sign in there.
func (w *wizard) askSignIn() {
	for _, b := range []*widget.Button{w.stopBtn, w.retry, w.next, w.anyway} {
		b.Hide()
	}
	p, ok := w.u.deps.Manager.OAuthProvider(w.acc)
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
func (w *wizard) signIn() {
	ctx, cancel := context.WithCancel(w.u.ctx)
	w.signing = cancel
	w.signInBtn.Disable()
	w.stopBtn.Show()
	w.setNotice(tr("Finish signing in in your browser; Postbode waits for it."), widget.MediumImportance)
	acc := w.acc
	w.u.tasks.spawn(func(context.Context) {
		tok, err := w.u.deps.Manager.SignIn(ctx, acc, w.u.openSignIn)
		w.u.exec(func() {
			cancel()
			w.signing = nil
			if w.page != pageTest || w.u.wizard != w {
				return
			}
			if err != nil {
				p := describeSignInError(err)
				w.setNotice(strings.TrimSpace(p.sentence+" "+p.advice), widget.DangerImportance)
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
func (w *wizard) testDone(ok bool) {
	if w.page != pageTest {
		return
	}
	inErr, inDone := w.check.results[serverIncoming]
	outErr, outTested := w.check.results[serverOutgoing]
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
		setEnabled(w.next, ok)
	}
	w.relayout()
	if len(w.check.problems.Objects) > 0 {
		w.scrollIntoView(w.check.problems)
	}
}

// trust pins the certificate the user accepted for one server (and for the other one when it
// showed the same certificate), then tests again.
func (w *wizard) trust(which, sha string) {
	pinIf := func(s *types.Server, whichS string) {
		if whichS == which {
			s.PinSHA256 = sha
			return
		}
		if cert, ok := accounts.CertProblem(w.check.results[whichS]); ok && cert.SHA256 == sha {
			s.PinSHA256 = sha
		}
	}
	pinIf(&w.acc.Incoming, serverIncoming)
	pinIf(&w.acc.Outgoing, serverOutgoing)
	w.runTest()
}

// --- Finish ---

// accountName is the name the new account is listed under: its address, made unique.
func (u *ui) accountName(email string) string {
	base := email
	if len([]rune(base)) > 60 {
		base = string([]rune(base)[:60])
	}
	name := base
	for i := 2; ; i++ {
		if _, taken := u.deps.Manager.Account(name); !taken {
			return name
		}
		name = base + " " + strconv.Itoa(i)
	}
}

func (w *wizard) finish() {
	if !w.tested || w.saving {
		return
	}
	acc := w.acc
	acc.Name = strings.TrimSpace(w.accNameE.Text)
	if acc.Name == "" {
		acc.Name = w.u.accountName(acc.Email)
	}
	if !types.ValidName(acc.Name) {
		w.setNotice(tr("Use 1 to 64 letters, digits, spaces or . _ @ + - for the account name, starting with a letter or digit."), widget.DangerImportance)
		w.win.Canvas().Focus(w.accNameE)
		return
	}
	if _, taken := w.u.deps.Manager.Account(acc.Name); taken {
		w.setNotice(tr("You already have an account named {{.Name}}: choose another account name.", map[string]any{"Name": acc.Name}), widget.DangerImportance)
		w.win.Canvas().Focus(w.accNameE)
		return
	}
	w.saving = true
	w.next.Disable()
	w.anyway.Disable()
	if !w.u.deps.Manager.KeepsMailOnServer(acc.Kind) {
		acc.POP3 = w.pop3.read()
	}
	password, remember := w.password, w.remember.Checked
	if acc.OAuth2() {
		password = w.token.Refresh // kept like a password: in the keyring, or for this session
	}
	w.u.tasks.spawn(func(ctx context.Context) {
		err := w.u.deps.Manager.AddAccount(ctx, acc, password, remember)
		w.u.exec(func() {
			w.saving = false
			if err != nil && !errors.Is(err, accounts.ErrNoKeyring) {
				w.setNotice(tr("The account could not be saved: {{.Err}}", map[string]any{"Err": err.Error()}), widget.DangerImportance)
				w.next.Enable()
				w.anyway.Enable()
				return
			}
			if w.u.wizard == w { // not closed by the user meanwhile
				w.close()
			}
			w.u.accountAdded(acc.Name, err != nil)
			if acc.Outgoing.Host == "" {
				w.u.banners.add(bannerNotice, acc.Name, tr("Sending is not set up: add an outgoing (SMTP) server under Account settings to send mail from this account."))
			}
		})
	})
}

// accountAdded shows a new account in the main window; its first sync reports progress in the
// status bar.
func (u *ui) accountAdded(name string, sessionOnly bool) {
	if sessionOnly {
		u.banners.add(bannerNotice, name, tr("No keyring is available, so your password is kept only until Postbode closes. Start a keyring (such as GNOME Keyring) and enter the password again under Account settings to keep it."))
	}
	u.status.setState(types.ConnState{Account: name, State: types.StateConnecting})
	u.folders.reload()
}
