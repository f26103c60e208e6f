package wizard

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/types"
	"postbode/ui/translations"
	"postbode/ui/uikit"
)

// connTestTimeout bounds one connection test (both servers).
const connTestTimeout = 60 * time.Second

// Which server a result is about.
const (
	ServerIncoming = "incoming"
	ServerOutgoing = "outgoing"
)

// ConnCheck tests an account's incoming and outgoing servers at once, off the UI goroutine, and
// turns each failure into what the user can do about it.
type ConnCheck struct {
	d        *Deps
	box      *fyne.Container
	in, out  *checkRow
	problems *fyne.Container

	gen     int // counts runs: results of a stopped or older run are dropped
	cancel  context.CancelFunc
	running bool
	results map[string]error // of the current run, per server
	want    int              // results the current run waits for

	// OnTrust pins a certificate for a server and runs the test again.
	OnTrust func(which, sha256 string)
	// OnPassword takes a new password typed after a refusal and runs the test again.
	OnPassword func(password string)
	// OnDone is told whether the account may be saved (every tested server accepted it).
	OnDone func(ok bool)
	// Relayout lays the window out again after rows or explanations changed.
	Relayout func()
}

type checkRow struct {
	icon   *widget.Icon
	act    *widget.Activity
	title  *widget.Label
	status *widget.Label
	box    *fyne.Container
}

func newCheckRow() *checkRow {
	r := &checkRow{icon: widget.NewIcon(nil), act: widget.NewActivity(), title: widget.NewLabel(""), status: widget.NewLabel("")}
	r.title.TextStyle.Bold = true
	r.title.Wrapping = fyne.TextWrapWord
	r.status.Wrapping = fyne.TextWrapWord
	r.act.Hide()
	lead := container.NewStack(r.icon, r.act)
	r.box = container.NewBorder(nil, nil, container.NewCenter(lead), nil, container.NewVBox(r.title, r.status))
	return r
}

func (r *checkRow) busy(title string) {
	r.title.SetText(title)
	r.status.SetText(tr("Connecting and logging in…"))
	r.status.Importance = widget.MediumImportance
	r.icon.Hide()
	r.act.Show()
	r.act.Start()
}

func (r *checkRow) done(icon fyne.Resource, status string, imp widget.Importance) {
	r.act.Stop()
	r.act.Hide()
	r.icon.SetResource(icon)
	r.icon.Show()
	r.status.Importance = imp
	r.status.SetText(status)
}

// NewConnCheck makes a check that tests through d's Manager, off the UI goroutine with d.Spawn.
func NewConnCheck(d *Deps) *ConnCheck {
	c := &ConnCheck{d: d, in: newCheckRow(), out: newCheckRow(), problems: container.NewVBox()}
	c.box = container.NewVBox(c.in.box, c.out.box, c.problems)
	return c
}

// View is the check: a row per server and a box per failure saying what to do.
func (c *ConnCheck) View() fyne.CanvasObject { return c.box }

func serverTitle(which string, kind types.Protocol, s types.Server) string {
	proto := "SMTP"
	if which == ServerIncoming {
		proto = strings.ToUpper(string(kind))
	}
	where := s.Host + ":" + strconv.Itoa(s.Port) + ", " + securityLabel(s.Security)
	if which == ServerIncoming {
		return tr("Incoming mail ({{.Proto}}): {{.Where}}", map[string]any{"Proto": proto, "Where": where})
	}
	return tr("Outgoing mail ({{.Proto}}): {{.Where}}", map[string]any{"Proto": proto, "Where": where})
}

// Run tests acc with password; results arrive through Deps.Exec.
func (c *ConnCheck) Run(acc types.Account, password string) {
	c.Stop()
	c.gen++
	gen := c.gen
	ctx, cancel := context.WithTimeout(c.d.Ctx, connTestTimeout)
	c.cancel, c.running = cancel, true
	c.results = map[string]error{}
	c.problems.Objects = nil
	c.problems.Refresh()

	c.in.box.Show()
	c.out.box.Show()
	c.want = 1
	c.in.busy(serverTitle(ServerIncoming, acc.Kind, acc.Incoming))
	c.d.Spawn(func(context.Context) {
		rep, err := c.d.Manager.Test(ctx, acc, password)
		c.d.Exec(func() { c.finished(gen, acc, ServerIncoming, rep, err) })
	})
	switch {
	case acc.Outgoing.Host == "":
		c.out.title.SetText(tr("Outgoing mail (SMTP)"))
		c.out.done(theme.InfoIcon(), tr("No outgoing server: you can read mail but not send it."), widget.MediumImportance)
	case !c.d.Manager.CanTestOutgoing():
		c.out.title.SetText(serverTitle(ServerOutgoing, acc.Kind, acc.Outgoing))
		c.out.done(theme.InfoIcon(), tr("Not tested here; it is used when you first send a message."), widget.MediumImportance)
	default:
		c.want++
		c.out.busy(serverTitle(ServerOutgoing, acc.Kind, acc.Outgoing))
		c.d.Spawn(func(context.Context) {
			err := c.d.Manager.TestOutgoing(ctx, acc, password)
			c.d.Exec(func() { c.finished(gen, acc, ServerOutgoing, types.TestReport{}, err) })
		})
	}
}

// Clear shows nothing until the next Run: no rows, no failures.
func (c *ConnCheck) Clear() {
	c.Stop()
	c.problems.RemoveAll()
	c.in.box.Hide()
	c.out.box.Hide()
}

// Stop cancels a running test; its results will be dropped.
func (c *ConnCheck) Stop() {
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	if c.running {
		c.gen++
		c.running = false
		for _, r := range []*checkRow{c.in, c.out} {
			if r.act.Visible() {
				r.done(theme.MediaStopIcon(), tr("Stopped."), widget.MediumImportance)
			}
		}
	}
}

func (c *ConnCheck) finished(gen int, acc types.Account, which string, rep types.TestReport, err error) {
	if gen != c.gen {
		return
	}
	c.results[which] = err
	row, srv := c.in, acc.Incoming
	if which == ServerOutgoing {
		row, srv = c.out, acc.Outgoing
	}
	if err == nil {
		text := tr("Logged in.")
		if rep.TLS != "" {
			text = tr("Logged in. Connection: {{.TLS}}", map[string]any{"TLS": rep.TLS})
		}
		row.done(theme.NewSuccessThemedResource(theme.ConfirmIcon()), text, widget.SuccessImportance)
	} else {
		row.done(theme.NewErrorThemedResource(theme.ErrorIcon()), problemTitle(srv, err), widget.DangerImportance)
		c.problems.Add(c.problemCard(which, srv, err))
	}
	if c.Relayout != nil {
		c.Relayout()
	}
	if len(c.results) < c.want {
		return
	}
	c.running = false
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	ok := true
	for _, e := range c.results {
		if e != nil {
			ok = false
		}
	}
	if c.OnDone != nil {
		c.OnDone(ok)
	}
}

// Failure is one line about the first server that failed in the last run (incoming first), or "".
func (c *ConnCheck) Failure(acc types.Account) string {
	if err := c.results[ServerIncoming]; err != nil {
		return problemTitle(acc.Incoming, err)
	}
	if err := c.results[ServerOutgoing]; err != nil {
		return problemTitle(acc.Outgoing, err)
	}
	return ""
}

// problemTitle is one line saying what went wrong: the status line's sentence, except that a test
// names the port it could not reach and says which test failed.
func problemTitle(s types.Server, err error) string {
	data := map[string]any{"Host": s.Host, "Port": strconv.Itoa(s.Port)}
	switch p := uikit.DescribeProblem(err, s.Host); p.Kind {
	case types.ProblemUnreachable:
		return tr("Could not connect to {{.Host}} on port {{.Port}}.", data)
	case types.ProblemOther:
		return tr("The test of {{.Host}} failed.", data)
	default:
		return p.Sentence
	}
}

// problemAdvice says what to do about a failure; certificate details are in the card itself.
func problemAdvice(err error) string {
	switch accounts.Diagnose(err) {
	case types.ProblemAuth:
		return tr("Check the password, and the user name under Edit settings (often your whole e-mail address). Some providers need an app password for mail programs instead of your usual password.")
	case types.ProblemOAuth:
		return tr("Your provider requires signing in through its web page (OAuth2), or an app password. Create an app password in your provider's account settings and enter it below instead of your usual password.")
	case types.ProblemNoEncryption:
		return tr("This server did not offer encryption; Postbode will not send your password. If the server offers SSL/TLS on another port, choose it under Edit settings.")
	case types.ProblemUnknownHost:
		return tr("Check the server name for typing errors under Edit settings, and that this computer is online.")
	case types.ProblemUnreachable:
		return tr("The server did not accept a connection. Check the server name and port under Edit settings, and that this computer is online; a firewall may block the port.")
	case types.ProblemTimeout:
		return tr("Check the server name and port under Edit settings and your internet connection, then try again.")
	}
	return tr("The server said: {{.Err}}", map[string]any{"Err": err.Error()})
}

func (c *ConnCheck) problemCard(which string, s types.Server, err error) fyne.CanvasObject {
	p := accounts.Diagnose(err)
	// The row above already names the problem; the box says what to do about it.
	var items []fyne.CanvasObject
	if which == ServerOutgoing {
		items = append(items, uikit.Heading(tr("Outgoing server")))
	} else if c.want > 1 {
		items = append(items, uikit.Heading(tr("Incoming server")))
	}
	if cert, ok := accounts.CertProblem(err); ok {
		items = append(items, c.certDetails(which, cert)...)
	} else {
		items = append(items, uikit.Wrapped(problemAdvice(err)))
	}
	if p == types.ProblemAuth || p == types.ProblemOAuth {
		pw := widget.NewPasswordEntry()
		pw.SetPlaceHolder(tr("Password"))
		retry := widget.NewButtonWithIcon(tr("Try again"), theme.ViewRefreshIcon(), nil)
		retry.Importance = widget.HighImportance
		submit := func(string) {
			if pw.Text != "" && c.OnPassword != nil {
				c.OnPassword(pw.Text)
			}
		}
		retry.OnTapped = func() { submit(pw.Text) }
		pw.OnSubmitted = submit
		items = append(items, container.NewBorder(nil, nil, nil, retry, pw))
	}
	return problemBox(items...)
}

// problemBox is a tinted box around the explanation of one failure.
func problemBox(items ...fyne.CanvasObject) fyne.CanvasObject {
	bg := uikit.NewThemedRect(theme.ColorNameError, 0x22)
	return container.NewStack(bg, container.NewPadded(container.NewVBox(items...)))
}

// warningBox is a tinted box around a warning that needs the user's attention.
func warningBox(items ...fyne.CanvasObject) fyne.CanvasObject {
	bg := uikit.NewThemedRect(theme.ColorNameWarning, 0x30)
	return container.NewStack(bg, container.NewPadded(container.NewVBox(items...)))
}

func (c *ConnCheck) certDetails(which string, cert *accounts.CertInfo) []fyne.CanvasObject {
	var why string
	switch cert.Reason {
	case accounts.CertSelfSigned:
		why = tr("It is self-signed: it vouches for itself, and no authority this computer knows has confirmed it.")
	case accounts.CertUnknownAuthority:
		why = tr("It was issued by an authority this computer does not know.")
	case accounts.CertWrongHost:
		why = tr("It was issued for {{.Names}}, not for {{.Host}}.", map[string]any{"Names": strings.Join(cert.DNSNames, ", "), "Host": cert.Host})
	case accounts.CertExpired:
		why = tr("It expired on {{.Date}}.", map[string]any{"Date": translations.FullDate(cert.NotAfter)})
	case accounts.CertNotYetValid:
		why = tr("It is not valid before {{.Date}}; check this computer's clock.", map[string]any{"Date": translations.FullDate(cert.NotBefore)})
	case accounts.CertPinMismatch:
		why = tr("It is not the certificate you chose to trust for this account. The server may have a new certificate, or someone may be intercepting the connection.")
	case accounts.CertNoCertificate:
		return []fyne.CanvasObject{uikit.Wrapped(tr("The server presented no certificate."))}
	default:
		why = tr("It could not be verified.")
	}
	details := widget.NewForm()
	val := func(s string) *widget.Label {
		l := widget.NewLabel(s)
		l.Wrapping = fyne.TextWrapBreak
		l.Selectable = true
		return l
	}
	fp := val(fingerprint(cert.SHA256))
	fp.TextStyle.Monospace = true
	details.Append(tr("Subject"), val(cert.Subject))
	details.Append(tr("Issuer"), val(cert.Issuer))
	details.Append(tr("Valid"), val(tr("{{.From}} to {{.Until}}", map[string]any{"From": translations.FullDate(cert.NotBefore), "Until": translations.FullDate(cert.NotAfter)})))
	details.Append(tr("SHA-256"), fp)
	out := []fyne.CanvasObject{uikit.Wrapped(why), details}
	if cert.Reason == accounts.CertExpired || cert.Reason == accounts.CertNotYetValid {
		return append(out, uikit.Wrapped(tr("An expired certificate cannot be trusted. Ask the server's administrator to renew it.")))
	}
	out = append(out, uikit.Wrapped(tr("Trust it only if you know this server uses such a certificate, for example your own server, and the fingerprint matches the one its administrator gives you.")))
	trust := widget.NewButtonWithIcon(tr("Trust this certificate for this account"), theme.ConfirmIcon(), func() {
		if c.OnTrust != nil {
			c.OnTrust(which, cert.SHA256)
		}
	})
	return append(out, container.NewHBox(trust))
}
