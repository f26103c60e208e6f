package ui

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
)

// moveToIMAP is the window that moves a POP3 account's mail to the IMAP account of the same
// address: it finds the IMAP server (setting the account up with the POP3 password when it is not
// there yet), shows what will be uploaded and whether it fits in the server's quota, uploads it
// with progress, pause and resume, and says where the mail is at the end. Resuming, after a pause,
// an error or a crash, runs the upload again, which skips what the server holds already.
type moveToIMAP struct {
	u    *ui
	win  fyne.Window
	pop  string
	imap string // the account the mail goes into, once found or set up
	plan accounts.MovePlan
	stop context.CancelFunc // ends the step running now; nil when none runs

	// The progress page.
	phase    *widget.Label
	bar      *widget.ProgressBar
	stats    *widget.Label
	problem  *widget.Label
	pause    *widget.Button
	since    time.Time               // when the reported phase began
	last     accounts.UploadProgress // the progress shown
	lastDraw time.Time               // when it was shown
	result   accounts.CopyResult     // of the last run
	running  bool                    // an upload runs
}

// showMoveToIMAP opens the move window for the POP3 account pop (one at a time).
func (u *ui) showMoveToIMAP(pop string) {
	if m := u.moveWin; m != nil {
		if m.pop == pop || m.running {
			m.win.RequestFocus()
			return
		}
		m.win.Close()
	}
	m := &moveToIMAP{u: u, pop: pop}
	u.moveWin = m
	m.win = u.app.NewWindow(tr("Move {{.Account}} to IMAP", map[string]any{"Account": pop}))
	m.win.Resize(fyne.NewSize(640, 500))
	m.win.SetOnClosed(func() {
		m.cancel()
		if u.moveWin == m {
			u.moveWin = nil
		}
	})
	m.lookup()
	m.win.Show()
}

// cancel ends the running step, if any.
func (m *moveToIMAP) cancel() {
	if m.stop != nil {
		m.stop()
		m.stop = nil
	}
}

// work runs fn off the UI goroutine with a context that closing the window (or Pause) ends.
func (m *moveToIMAP) work(fn func(ctx context.Context)) {
	m.cancel()
	ctx, stop := context.WithCancel(m.u.ctx)
	m.stop = stop
	m.u.tasks.spawn(func(context.Context) {
		defer stop()
		fn(ctx)
	})
}

// show makes a page: a bold title, the body, and the buttons at the bottom right.
func (m *moveToIMAP) show(title string, body fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	foot := container.NewHBox(append([]fyne.CanvasObject{layout.NewSpacer()}, buttons...)...)
	m.win.SetContent(container.NewPadded(container.NewBorder(head, foot, nil, nil, body)))
}

func (m *moveToIMAP) closeButton(label string) *widget.Button {
	return widget.NewButton(label, func() { m.win.Close() })
}

// waiting is a page that says what is being done, with a bar that moves.
func (m *moveToIMAP) waiting(title, text string) {
	bar := widget.NewProgressBarInfinite()
	m.show(title, container.NewVBox(wrapped(text), bar), m.closeButton(tr("Cancel")))
}

// failed is a page that says what went wrong; again, when set, is offered as Try again.
func (m *moveToIMAP) failed(title, text string, again func()) {
	buttons := []fyne.CanvasObject{m.closeButton(tr("Close"))}
	if again != nil {
		buttons = append(buttons, widget.NewButtonWithIcon(tr("Try again"), theme.ViewRefreshIcon(), again))
	}
	l := wrapped(text)
	l.Importance = widget.DangerImportance
	m.show(title, container.NewVBox(l), buttons...)
}

// lookup finds the IMAP account the mail goes into: one of this profile with the same address, or
// the settings discovery finds for it.
func (m *moveToIMAP) lookup() {
	acc, _ := m.u.deps.Manager.Account(m.pop)
	title := tr("Looking up the IMAP server")
	m.waiting(title, tr("Looking for the IMAP settings of {{.Address}}…", map[string]any{"Address": acc.Email}))
	m.work(func(ctx context.Context) {
		twin, found, err := m.u.deps.Manager.IMAPTwin(ctx, m.pop)
		var password string
		if err == nil && !found {
			// The move assumes one mailbox, reached by POP3 and IMAP with the same password.
			password, _ = m.u.deps.Manager.Secret(ctx, m.pop)
		}
		stopped := ctx.Err() != nil // read now: the context ends when this function returns
		m.u.exec(func() {
			switch {
			case stopped:
			case errors.Is(err, accounts.ErrNoIMAPFound):
				m.failed(title, tr("Postbode found no IMAP server for {{.Address}}. If your provider offers IMAP, add the IMAP account yourself (File, Add account…; when Postbode says the address has a POP3 account already, choose Add it anyway), then choose Move this account to IMAP… again: it finds that account.",
					map[string]any{"Address": acc.Email}), nil)
			case err != nil:
				m.failed(title, tr("The IMAP settings could not be looked up: {{.Err}}", map[string]any{"Err": err.Error()}), m.lookup)
			case found:
				m.imap = twin.Name
				m.planning()
			default:
				m.setUp(twin, password)
			}
		})
	})
}

// setUp asks to set up the IMAP account discovery found, with the POP3 account's password, which
// the server must accept before the account is added.
func (m *moveToIMAP) setUp(twin types.Account, password string) {
	pw := widget.NewPasswordEntry()
	pw.SetText(password)
	notice := wrapped("")
	notice.Importance = widget.DangerImportance
	intro := wrapped(tr("Postbode found the IMAP server of {{.Address}}. It sets up the account {{.Name}} to move your mail into, signing in with the user name and password of {{.Account}}.",
		map[string]any{"Address": twin.Email, "Name": twin.Name, "Account": m.pop}))
	form := widget.NewForm(
		widget.NewFormItem(tr("Server"), widget.NewLabel(net.JoinHostPort(twin.Incoming.Host, strconv.Itoa(twin.Incoming.Port)))),
		widget.NewFormItem(tr("User name"), widget.NewLabel(twin.Incoming.User)),
		widget.NewFormItem(tr("Password"), pw),
	)
	var next *widget.Button
	next = widget.NewButtonWithIcon(tr("Set up and continue"), theme.NavigateNextIcon(), func() {
		next.Disable()
		notice.Importance = widget.MediumImportance
		notice.SetText(tr("Signing in to {{.Host}}…", map[string]any{"Host": twin.Incoming.Host}))
		secret := pw.Text
		m.work(func(ctx context.Context) {
			_, err := m.u.deps.Manager.Test(ctx, twin, secret)
			if err == nil {
				err = m.u.deps.Manager.AddAccount(ctx, twin, secret, true)
			}
			stopped := ctx.Err() != nil && err != nil
			m.u.exec(func() {
				if stopped {
					return
				}
				if err != nil && !errors.Is(err, accounts.ErrNoKeyring) {
					p := describeProblem(err, twin.Incoming.Host)
					notice.Importance = widget.DangerImportance
					notice.SetText(tr("The IMAP account could not be set up: {{.Problem}} ({{.Err}})", map[string]any{"Problem": p.Sentence, "Err": p.Detail}))
					next.Enable()
					return
				}
				m.u.accountAdded(twin.Name, err != nil)
				m.imap = twin.Name
				if m.u.moveWin == m { // not closed meanwhile
					m.planning()
				}
			})
		})
	})
	next.Importance = widget.HighImportance
	m.show(tr("Set up the IMAP account"), container.NewVBox(intro, form, notice), m.closeButton(tr("Cancel")), next)
}

// planning counts what the move will upload and shows it.
func (m *moveToIMAP) planning() {
	title := tr("What will be uploaded")
	m.waiting(title, tr("Counting the mail of {{.Account}} and what {{.Imap}} holds already…", map[string]any{"Account": m.pop, "Imap": m.imap}))
	m.work(func(ctx context.Context) {
		plan, err := m.u.deps.Manager.PlanMove(ctx, m.pop, m.imap)
		stopped := ctx.Err() != nil
		m.u.exec(func() {
			switch {
			case stopped:
			case err != nil:
				m.failed(title, m.inWords(err), m.planning)
			default:
				m.plan = plan
				m.showPlan()
			}
		})
	})
}

// showPlan is the plan page: each folder with its messages and size and where it goes, the
// totals, and the server's quota with a warning when the mail will not fit.
func (m *moveToIMAP) showPlan() {
	p := m.plan
	acc, _ := m.u.deps.Manager.Account(m.imap)
	intro := wrapped(tr("The mail of {{.Account}} goes to the IMAP account {{.Imap}} on {{.Host}}, folder by folder:",
		map[string]any{"Account": m.pop, "Imap": m.imap, "Host": acc.Incoming.Host}))
	bold := fyne.TextStyle{Bold: true}
	cells := []fyne.CanvasObject{
		widget.NewLabelWithStyle(tr("Folder"), fyne.TextAlignLeading, bold),
		widget.NewLabelWithStyle(tr("Into"), fyne.TextAlignLeading, bold),
		widget.NewLabelWithStyle(tr("Messages"), fyne.TextAlignTrailing, bold),
		widget.NewLabelWithStyle(tr("Size"), fyne.TextAlignTrailing, bold),
	}
	for _, f := range p.Folders {
		if f.Messages == 0 {
			continue
		}
		name, target := f.Name, f.Target
		if f.Role != "" {
			name = roleName(f.Role)
		}
		if f.Role == localcache.RoleInbox {
			target = name
		}
		cells = append(cells, widget.NewLabel(name), widget.NewLabel(target),
			widget.NewLabelWithStyle(formatCount(f.Messages), fyne.TextAlignTrailing, fyne.TextStyle{}),
			widget.NewLabelWithStyle(formatSize(f.Bytes), fyne.TextAlignTrailing, fyne.TextStyle{}))
	}
	table := container.NewVScroll(container.NewGridWithColumns(4, cells...))
	table.SetMinSize(fyne.NewSize(0, 180))
	totals := trN("{{.Count}} messages, {{.Size}}.", p.Messages, map[string]any{"Count": formatCount(p.Messages), "Size": formatSize(p.Bytes)})
	if p.Held > 0 {
		totals += " " + trN("{{.Count}} of them ({{.Size}}) are on the server already and are not uploaded again.", p.Held,
			map[string]any{"Count": formatCount(p.Held), "Size": formatSize(p.HeldBytes)})
	}
	totals += " " + tr("To upload: {{.Size}}.", map[string]any{"Size": formatSize(p.Upload())})
	body := container.NewVBox(intro, table, wrapped(totals))
	if p.HasQuota {
		free := max(p.Quota.Limit-p.Quota.Used, 0)
		body.Add(wrapped(tr("The server allows {{.Limit}}; {{.Used}} of it is in use, so {{.Free}} is free.",
			map[string]any{"Limit": formatSize(p.Quota.Limit), "Used": formatSize(p.Quota.Used), "Free": formatSize(free)})))
		if !p.Fits() {
			warn := wrapped(tr("This does not fit: the server will refuse what goes over its quota. Make room on the server or ask your provider for more space first; what does not fit stays in {{.Account}}.",
				map[string]any{"Account": m.pop}))
			warn.Importance = widget.DangerImportance
			body.Add(warn)
		}
	} else {
		body.Add(wrapped(tr("The server does not say how much mail it allows.")))
	}
	body.Add(wrapped(tr("Nothing changes in {{.Account}}: its mail stays on this computer.", map[string]any{"Account": m.pop})))
	start := widget.NewButtonWithIcon(tr("Start upload"), theme.UploadIcon(), m.upload)
	start.Importance = widget.HighImportance
	m.show(tr("What will be uploaded"), container.NewVScroll(body), m.closeButton(tr("Cancel")), start)
}

// upload shows the progress page and runs the move; Pause stops it, Resume runs it again.
func (m *moveToIMAP) upload() {
	m.phase = wrapped(tr("Getting ready…"))
	m.bar = widget.NewProgressBar()
	m.stats = wrapped("")
	m.problem = wrapped("")
	m.problem.Importance = widget.DangerImportance
	m.problem.Hide()
	m.pause = widget.NewButtonWithIcon(tr("Pause"), theme.MediaPauseIcon(), nil)
	m.show(tr("Uploading to {{.Imap}}", map[string]any{"Imap": m.imap}),
		container.NewVBox(m.phase, m.bar, m.stats, m.problem), m.closeButton(tr("Close")), m.pause)
	m.resume()
}

// resume (re)starts the upload: what the server holds already is skipped.
func (m *moveToIMAP) resume() {
	m.running = true
	m.problem.Hide()
	m.pause.SetText(tr("Pause"))
	m.pause.SetIcon(theme.MediaPauseIcon())
	m.pause.OnTapped = m.cancel
	m.last, m.since = accounts.UploadProgress{}, time.Now()
	m.work(func(ctx context.Context) {
		res, err := m.u.deps.Manager.UploadAccount(ctx, m.pop, m.imap, func(p accounts.UploadProgress) {
			m.u.exec(func() { m.progress(p) })
		})
		paused := ctx.Err() != nil
		m.u.exec(func() {
			m.running = false
			m.result = res
			if m.u.moveWin != m {
				return // closed meanwhile
			}
			if err == nil {
				m.finished()
				return
			}
			if paused {
				m.phase.SetText(tr("Paused. What is uploaded stays on the server; Resume goes on where it stopped, and nothing is uploaded twice."))
			} else {
				m.phase.SetText(tr("The upload stopped."))
				m.problem.SetText(m.inWords(err))
				m.problem.Show()
			}
			m.pause.SetText(tr("Resume"))
			m.pause.SetIcon(theme.MediaPlayIcon())
			m.pause.OnTapped = m.resume
		})
	})
}

// progress shows how far the upload is: done of total, the size sent (estimated from the plan)
// and the pace.
func (m *moveToIMAP) progress(p accounts.UploadProgress) {
	now := time.Now()
	if p.Phase != m.last.Phase || m.since.IsZero() {
		m.since = now
	}
	// A redraw per message is more than the eye needs.
	if p.Phase == m.last.Phase && p.Done != p.Total && now.Sub(m.lastDraw) < 100*time.Millisecond {
		m.last = p
		return
	}
	m.last, m.lastDraw = p, now
	data := map[string]any{"Done": formatCount(p.Done), "Total": formatCount(p.Total)}
	if secs := now.Sub(m.since).Seconds(); secs >= 1 {
		rate := strconv.FormatFloat(float64(p.Done)/secs, 'f', 1, 64)
		if language() == "nl" {
			rate = strings.Replace(rate, ".", ",", 1)
		}
		data["Rate"] = rate
	} else {
		data["Rate"] = "…"
	}
	m.bar.Max = float64(max(p.Total, 1))
	m.bar.SetValue(float64(p.Done))
	switch p.Phase {
	case accounts.PhaseCopy:
		m.phase.SetText(tr("Step 1 of 2: getting the messages ready for {{.Imap}}…", map[string]any{"Imap": m.imap}))
		m.stats.SetText(tr("{{.Done}} of {{.Total}} messages · {{.Rate}} messages/s", data))
	case accounts.PhaseUpload:
		m.phase.SetText(tr("Step 2 of 2: sending them to the server…"))
		if p.Total > 0 {
			data["Size"] = formatSize(m.plan.Upload() * int64(p.Done) / int64(p.Total))
		} else {
			data["Size"] = formatSize(0)
		}
		data["Upload"] = formatSize(m.plan.Upload())
		m.stats.SetText(tr("{{.Done}} of {{.Total}} sent · about {{.Size}} of {{.Upload}} · {{.Rate}} messages/s", data))
	}
}

// finished is the end page: where the mail is now, that the POP3 account's stays here, and the
// offer to finish the move (FinishMoveToIMAP): the IMAP account becomes the account for the
// address, and the POP3 account's mail a folder on this computer.
func (m *moveToIMAP) finished() {
	r := m.result
	data := map[string]any{"Copied": formatCount(r.Copied), "Skipped": formatCount(r.Skipped), "Imap": m.imap, "Account": m.pop,
		"Local": accountLabel(types.LocalAccountName)}
	notice := wrapped("")
	notice.Importance = widget.DangerImportance
	notice.Hide()
	body := container.NewVBox(
		wrapped(tr("{{.Copied}} messages were uploaded to {{.Imap}}; {{.Skipped}} were there already.", data)),
		wrapped(tr("Your mail is on the IMAP server now, in the account {{.Imap}}, for every device that signs in to it.", data)),
		wrapped(tr("The POP3 account {{.Account}} is unchanged: its mail stays on this computer.", data)),
		wrapped(tr("Once you have checked {{.Imap}}, Finish makes it the account for this address: {{.Account}} is removed and its mail kept in a folder under “{{.Local}}”. Nothing is deleted, here or on the server. You can also finish later, from this window.", data)),
		notice,
	)
	done := m.closeButton(tr("Done"))
	var finish *widget.Button
	finish = widget.NewButtonWithIcon(tr("Finish: use the IMAP account"), theme.ConfirmIcon(), func() {
		finish.Disable()
		m.work(func(ctx context.Context) {
			archive, err := m.u.deps.Manager.FinishMoveToIMAP(ctx, m.pop, m.imap)
			m.u.exec(func() {
				if err != nil && !errors.Is(err, accounts.ErrPasswordKept) {
					notice.SetText(tr("The move could not be finished: {{.Err}}", map[string]any{"Err": err.Error()}))
					notice.Show()
					finish.Enable()
					return
				}
				m.u.folders.reload()
				if m.u.moveWin == m {
					m.archived(archive, err)
				}
			})
		})
	})
	finish.Importance = widget.HighImportance
	m.show(tr("Your mail is on the IMAP server"), body, done, finish)
}

// archived is the page after FinishMoveToIMAP: which account is left and where the POP3 mail is.
// warn is the keyring's refusal to forget the POP3 password, if any.
func (m *moveToIMAP) archived(archive string, warn error) {
	data := map[string]any{"Imap": m.imap, "Account": m.pop, "Archive": archive, "Local": accountLabel(types.LocalAccountName)}
	body := container.NewVBox(
		wrapped(tr("{{.Imap}} is now the account for this address.", data)),
		wrapped(tr("The mail of {{.Account}} is kept on this computer in the folder “{{.Archive}}” under “{{.Local}}”, until you delete it.", data)),
	)
	if warn != nil {
		l := wrapped(tr("The password of {{.Account}} could not be removed from the keyring: {{.Err}}", map[string]any{"Account": m.pop, "Err": warn.Error()}))
		l.Importance = widget.WarningImportance
		body.Add(l)
	}
	done := m.closeButton(tr("Done"))
	done.Importance = widget.HighImportance
	m.show(tr("The move is finished"), body, done)
}

// inWords says an error of the move in a sentence: the server's refusal with its reason, or the
// problem the connection had, with the error's own text after it.
func (m *moveToIMAP) inWords(err error) string {
	var refused *accounts.RefusedError
	if errors.As(err, &refused) {
		data := map[string]any{"Count": formatCount(refused.Count), "Account": m.pop}
		sentence := trN("The server refused {{.Count}} messages. They are still in {{.Account}}.", refused.Count, data)
		if refused.OverQuota() {
			sentence = trN("The server has no room for {{.Count}} messages: its storage quota is full. They are still in {{.Account}}; make room on the server, then press Resume.", refused.Count, data)
		}
		return sentence + "\n" + tr("The server said: {{.Reason}}", map[string]any{"Reason": refused.Reason.Error()})
	}
	acc, _ := m.u.deps.Manager.Account(m.imap)
	p := describeProblem(err, acc.Incoming.Host)
	return p.Sentence + "\n" + p.Detail
}
