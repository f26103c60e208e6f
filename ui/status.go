package ui

import (
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
)

// statusBar is the bottom line: each account's connection state (with Retry after an error) and a
// progress bar while a long synchronisation runs.
type statusBar struct {
	u        *ui
	box      *fyne.Container
	accounts *fyne.Container
	progText *widget.RichText
	prog     *widget.ProgressBar
	states   map[string]types.ConnState
	progress map[string]types.SyncProgress
	checked  map[string]time.Time // when a polling account last checked successfully
}

func newStatusBar(u *ui) *statusBar {
	s := &statusBar{u: u, states: map[string]types.ConnState{},
		progress: map[string]types.SyncProgress{}, checked: map[string]time.Time{}}
	s.accounts = container.NewHBox()
	s.progText = newDimText("", theme.SizeNameText)
	s.progText.Truncation = fyne.TextTruncateOff
	s.prog = widget.NewProgressBar()
	s.prog.TextFormatter = func() string { return "" }
	progBox := container.NewGridWrap(fyne.NewSize(160, theme.Padding()*2.5), s.prog)
	// The line keeps one label's height whatever it shows, so the window's layout need not change.
	strut := canvas.NewRectangle(color.Transparent)
	strut.SetMinSize(fyne.NewSize(0, widget.NewLabel("Ag").MinSize().Height))
	// Scrolled rather than stretched: several offline accounts with their reasons would otherwise
	// make the window wider than the screen (2157 px for four).
	s.box = container.NewStack(strut,
		container.NewBorder(nil, nil, nil, container.NewHBox(s.progText, container.NewCenter(progBox)), container.NewHScroll(s.accounts)))
	s.prog.Hide()
	s.progText.Hide()
	return s
}

func (s *statusBar) view() fyne.CanvasObject { return s.box }

func (s *statusBar) setState(e types.ConnState) {
	s.states[e.Account] = e
	if e.State == types.StateWaiting {
		s.checked[e.Account] = time.Now()
	}
	if e.State != types.StateSyncing && e.State != types.StateOnline {
		delete(s.progress, e.Account)
		s.updateProgress()
	}
	s.rebuild()
}

// stateText says in words what a connection state means; an error is told by its problem's
// sentence (the raw text is behind the Details button).
func stateText(e types.ConnState, checked time.Time, p problem) string {
	switch e.State {
	case types.StateOnline:
		return tr("Connected")
	case types.StateConnecting:
		return tr("Connecting…")
	case types.StateSyncing:
		return tr("Synchronising…")
	case types.StateWaiting:
		return tr("Checked at {{.Time}}", map[string]any{"Time": checked.Format("15:04")})
	case types.StateOffline:
		if e.Err != nil {
			return tr("Offline: {{.Err}}", map[string]any{"Err": p.Sentence})
		}
		return tr("Offline")
	case types.StateError:
		if e.Err != nil {
			return p.Sentence
		}
		return tr("Error")
	}
	return string(e.State)
}

func (s *statusBar) rebuild() {
	names := make([]string, 0, len(s.states))
	for n := range s.states {
		names = append(names, n)
	}
	slices.Sort(names)
	s.accounts.Objects = nil
	for _, n := range names {
		e := s.states[n]
		s.accounts.Add(s.chip(e))
	}
	s.accounts.Refresh()
}

func (s *statusBar) chip(e types.ConnState) fyne.CanvasObject {
	dot := newThemedDot(stateColor(e.State))
	dotBox := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(theme.TextSize()*0.6), dot))
	var p problem
	if e.Err != nil {
		p = s.u.accountProblem(e.Account, e.Err)
	}
	text := widget.NewLabel(e.Account + ": " + oneLine(stateText(e, s.checked[e.Account], p)))
	if e.State != types.StateError && e.State != types.StateOffline {
		return container.NewHBox(dotBox, text)
	}
	name := e.Account
	retry := s.u.fixButton(name, p, func() {})
	retry.Importance = widget.LowImportance
	buttons := container.NewHBox(retry)
	if e.Err != nil {
		details := widget.NewButtonWithIcon(tr("Details"), theme.InfoIcon(), func() { s.u.showProblemDetails(name, p) })
		details.Importance = widget.LowImportance
		buttons.Add(details)
	}
	text.Importance = widget.DangerImportance
	if e.State == types.StateOffline {
		text.Importance = widget.LowImportance
	}
	// Long names of servers would push everything else out of the line: keep the sentence bounded;
	// the whole text is behind Details.
	if text.MinSize().Width > 420 {
		text.Truncation = fyne.TextTruncateEllipsis
		return container.NewHBox(dotBox, container.NewGridWrap(fyne.NewSize(420, text.MinSize().Height), text), buttons)
	}
	return container.NewHBox(dotBox, text, buttons)
}

func stateColor(st types.State) fyne.ThemeColorName {
	switch st {
	case types.StateOnline, types.StateWaiting:
		return theme.ColorNameSuccess
	case types.StateSyncing, types.StateConnecting:
		return theme.ColorNameWarning
	case types.StateError:
		return theme.ColorNameError
	}
	return theme.ColorNameDisabled
}

func (s *statusBar) setProgress(p types.SyncProgress) {
	if p.Total <= 0 || p.Done >= p.Total {
		delete(s.progress, p.Account)
	} else {
		s.progress[p.Account] = p
	}
	s.updateProgress()
}

func (s *statusBar) updateProgress() {
	if len(s.progress) == 0 {
		s.prog.Hide()
		s.progText.Hide()
		s.box.Refresh()
		return
	}
	var done, total int
	var last types.SyncProgress
	for _, p := range s.progress {
		done += p.Done
		total += p.Total
		last = p
	}
	s.prog.Max = float64(total)
	s.prog.SetValue(float64(done))
	if len(s.progress) == 1 {
		setDimText(s.progText, tr("{{.Account}}: synchronising {{.Folder}}, {{.Done}} of {{.Total}}", map[string]any{
			"Account": last.Account, "Folder": last.Folder, "Done": formatCount(last.Done), "Total": formatCount(last.Total)}))
	} else {
		setDimText(s.progText, tr("Synchronising {{.Done}} of {{.Total}} messages", map[string]any{
			"Done": formatCount(done), "Total": formatCount(total)}))
	}
	s.prog.Show()
	s.progText.Show()
	s.box.Refresh()
}

type bannerKind int

const (
	bannerError bannerKind = iota
	bannerNotice
	bannerSuccess // good news that goes away by itself (see flash)
)

// bannerStack shows errors and notices under the toolbar until dismissed (never only logged).
type bannerStack struct {
	u     *ui
	box   *fyne.Container
	items []*banner
}

type banner struct {
	kind    bannerKind
	account string
	text    string
	count   int
	problem *problem // an error's whole story, behind a Details button
	// action is a button of the banner's own ("Undo"); pressing it dismisses the banner.
	action *bannerAction
	// stopTimer cancels the timer of a banner that goes away by itself (nil: none).
	stopTimer func()
}

type bannerAction struct {
	label string
	run   func()
}

const maxBanners = 3

func newBannerStack(u *ui) *bannerStack {
	return &bannerStack{u: u, box: container.NewVBox()}
}

func (b *bannerStack) view() fyne.CanvasObject { return b.box }

// add shows a message; the same message again bumps a counter instead of stacking.
func (b *bannerStack) add(kind bannerKind, account, text string) {
	b.push(&banner{kind: kind, account: account, text: text, count: 1})
}

// addProblem shows an error by its sentence, with the whole text behind Details when it says more.
func (b *bannerStack) addProblem(account string, p problem) {
	it := &banner{kind: bannerError, account: account, text: oneLine(p.Sentence), count: 1}
	if p.Detail != "" && p.Detail != p.Sentence {
		it.problem = &p
	}
	b.push(it)
}

// push shows n, or bumps the counter of the same message already shown; it returns the banner shown.
func (b *bannerStack) push(n *banner) *banner {
	defer b.rebuild()
	for _, it := range b.items {
		if it.kind == n.kind && it.account == n.account && it.text == n.text {
			it.count++
			return it
		}
	}
	b.items = append(b.items, n)
	if len(b.items) > maxBanners {
		b.items = b.items[len(b.items)-maxBanners:]
	}
	return n
}

// flash shows a banner that goes away by itself after d; the same text again restarts the wait.
func (b *bannerStack) flash(kind bannerKind, account, text string, d time.Duration) {
	b.flashBanner(&banner{kind: kind, account: account, text: text, count: 1}, d)
}

// flashBanner shows n for d, as flash does, and returns the banner shown.
func (b *bannerStack) flashBanner(n *banner, d time.Duration) *banner {
	it := b.push(n)
	count := it.count
	if it.stopTimer != nil {
		it.stopTimer() // the same text again: its wait starts over
	}
	it.stopTimer = b.u.tasks.after(d, func() {
		b.u.exec(func() {
			if it.count == count && slices.Contains(b.items, it) {
				b.dismiss(it)
			}
		})
	})
	return it
}

// showing reports whether the banner is still shown.
func (b *bannerStack) showing(it *banner) bool { return slices.Contains(b.items, it) }

func (b *bannerStack) dismiss(it *banner) {
	if it.stopTimer != nil {
		it.stopTimer()
		it.stopTimer = nil
	}
	b.items = slices.DeleteFunc(b.items, func(x *banner) bool { return x == it })
	b.rebuild()
}

// texts lists what is shown, for tests.
func (b *bannerStack) texts() []string {
	var out []string
	for _, it := range b.items {
		out = append(out, it.text)
	}
	return out
}

func (b *bannerStack) rebuild() {
	b.box.Objects = nil
	for _, it := range b.items {
		b.box.Add(b.row(it))
	}
	b.box.Refresh()
	// The banners change the height of the window's top area: lay the window out again.
	if b.u.mainView != nil {
		b.u.mainView.Refresh()
	}
}

func (b *bannerStack) row(it *banner) fyne.CanvasObject {
	text := it.text
	if it.account != "" {
		text = it.account + ": " + text
	}
	if it.count > 1 {
		text += " (×" + formatCount(it.count) + ")"
	}
	label := widget.NewLabel(text)
	label.Wrapping = fyne.TextWrapWord
	var icon fyne.Resource = theme.NewWarningThemedResource(theme.InfoIcon())
	bgName := theme.ColorNameWarning
	if it.kind == bannerError {
		icon = theme.NewErrorThemedResource(theme.ErrorIcon())
		bgName = theme.ColorNameError
	} else if it.kind == bannerSuccess {
		icon = theme.NewSuccessThemedResource(theme.ConfirmIcon())
		bgName = theme.ColorNameSuccess
	}
	close := newTipButton(b.u.tips, "", tr("Dismiss"), theme.CancelIcon(), func() { b.dismiss(it) })
	close.Importance = widget.LowImportance
	right := container.NewHBox()
	if a := it.action; a != nil {
		btn := widget.NewButton(a.label, func() {
			b.dismiss(it)
			a.run()
		})
		btn.Importance = widget.LowImportance
		right.Add(btn)
	}
	if it.kind == bannerError && it.account != "" {
		var p problem
		if it.problem != nil {
			p = *it.problem
		}
		retry := b.u.fixButton(it.account, p, func() { b.dismiss(it) })
		retry.Importance = widget.LowImportance
		right.Add(retry)
	}
	if it.problem != nil {
		p, acc := *it.problem, it.account
		details := widget.NewButton(tr("Details"), func() { b.u.showProblemDetails(acc, p) })
		details.Importance = widget.LowImportance
		right.Add(details)
	}
	right.Add(close)
	bg := newThemedRect(bgName, 0x30)
	return container.NewPadded(container.NewStack(bg,
		container.NewBorder(nil, nil, container.NewCenter(widget.NewIcon(icon)), container.NewCenter(right), label)))
}
