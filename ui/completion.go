package ui

import (
	"context"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/mailfmt"
)

const maxSuggestions = 6

// addressEntry is an address field that suggests addresses from the cache while typing. The
// suggestions float in a layer of the composer window rather than a pop-up, so the field keeps the
// keyboard: Up and Down choose, Enter or Tab take one, Escape closes them.
type addressEntry struct {
	composerEntry
	c       *composer
	matches []mailfmt.Address
	active  int
	card    *fyne.Container
	gen     int
	stop    func()

	// problem is what cannot be read as an address, shown by the field's error state and by hint
	// under it; view holds the field and the hint.
	problem error
	hint    *widget.Label
	view    *fyne.Container
}

func newAddressEntry(c *composer, initial []mailfmt.Address) *addressEntry {
	e := &addressEntry{c: c}
	e.composerEntry.c = c
	e.AlwaysShowValidationError = true // the state is set by check, not by a Validator
	e.ExtendBaseWidget(e)
	e.hint = widget.NewLabel("")
	e.hint.Importance = widget.DangerImportance
	e.hint.Truncation = fyne.TextTruncateEllipsis // a long mistyped token must not widen the window
	e.hint.Hide()
	e.view = container.NewVBox(e, e.hint)
	e.SetText(formatAddresses(initial))
	e.OnChanged = e.changed
	e.check(true)
	return e
}

// currentToken is the address being typed: the text after the last separator.
func currentToken(text string) string {
	_, last := splitAddressField(text)
	return strings.TrimSpace(text[last:])
}

// check marks the addresses that cannot be read. While the field is being typed in (final false)
// only the finished addresses count, those followed by a comma or semicolon, so that the address
// being typed is not called wrong at every keystroke; when the field loses the focus, or the
// message is sent, the whole field counts.
func (e *addressEntry) check(final bool) {
	parts, _ := splitAddressField(e.Text)
	if !final {
		parts = parts[:len(parts)-1]
	}
	_, err := parseAddresses(strings.Join(parts, ","))
	e.problem = err
	e.SetValidationError(err)
	was := e.hint.Visible()
	if err == nil {
		e.hint.Hide()
	} else {
		e.hint.SetText(oneLine(err.Error()))
		e.hint.Show()
	}
	// The hint changes the height of the form: lay the window out again.
	if was != e.hint.Visible() && e.c.win != nil && e.c.win.Content() != nil {
		e.c.win.Content().Refresh()
	}
}

func (e *addressEntry) changed(text string) {
	e.check(false)
	if e.stop != nil {
		e.stop()
		e.stop = nil
	}
	token := currentToken(text)
	if len([]rune(token)) < 2 || strings.ContainsAny(token, "<>") {
		e.hide()
		return
	}
	e.stop = e.c.u.tasks.after(150*time.Millisecond, func() {
		e.c.u.exec(func() { e.query(token) })
	})
}

func (e *addressEntry) query(token string) {
	e.gen++
	gen := e.gen
	e.c.u.tasks.reads.post("complete", func(ctx context.Context) {
		res, err := e.c.u.deps.Cache.Search(ctx, localcache.SearchQuery{Text: token, Limit: 300, WordsOnly: true})
		var found []mailfmt.Address
		if err == nil {
			found = matchAddresses(res.Messages, token)
		}
		e.c.u.exec(func() {
			if gen == e.gen && currentToken(e.Text) == token {
				e.matches, e.active = found, 0
				e.render()
			}
		})
	})
}

// matchAddresses ranks the addresses in msgs that start with token (the address, or a word of the
// name) by how often they occur.
func matchAddresses(msgs []localcache.Message, token string) []mailfmt.Address {
	token = strings.ToLower(token)
	type hit struct {
		a mailfmt.Address
		n int
	}
	hits := map[string]*hit{}
	add := func(a mailfmt.Address) {
		key := strings.ToLower(a.Email)
		if key == "" || !addressMatches(a, token) {
			return
		}
		if h, ok := hits[key]; ok {
			h.n++
			if h.a.Name == "" {
				h.a.Name = a.Name
			}
			return
		}
		hits[key] = &hit{a: a, n: 1}
	}
	for _, m := range msgs {
		add(mailfmt.Address{Name: m.FromName, Email: m.FromAddr})
		for _, a := range parseAddressList(m.To) {
			add(a)
		}
		for _, a := range parseAddressList(m.Cc) {
			add(a)
		}
	}
	list := make([]*hit, 0, len(hits))
	for _, h := range hits {
		list = append(list, h)
	}
	slices.SortFunc(list, func(a, b *hit) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.a.Email, b.a.Email)
	})
	var out []mailfmt.Address
	for _, h := range list[:min(len(list), maxSuggestions)] {
		out = append(out, h.a)
	}
	return out
}

func addressMatches(a mailfmt.Address, token string) bool {
	if strings.HasPrefix(strings.ToLower(a.Email), token) {
		return true
	}
	for _, w := range strings.Fields(strings.ToLower(a.Name)) {
		if strings.HasPrefix(w, token) {
			return true
		}
	}
	return false
}

// render draws the suggestions under the field.
func (e *addressEntry) render() {
	if len(e.matches) == 0 {
		e.hide()
		return
	}
	rows := container.NewVBox()
	for i, a := range e.matches {
		rows.Add(newSuggestionRow(e, i, a))
	}
	border := newThemedRect(theme.ColorNameInputBorder, 0)
	bg := newThemedRect(theme.ColorNameOverlayBackground, 0)
	e.card = container.NewStack(border, container.New(layout.NewCustomPaddedLayout(1, 1, 1, 1), bg),
		container.NewPadded(rows))
	drv := fyne.CurrentApp().Driver()
	pos := drv.AbsolutePositionForObject(e).Subtract(drv.AbsolutePositionForObject(e.c.float))
	size := fyne.NewSize(e.Size().Width, e.card.MinSize().Height)
	e.card.Resize(size)
	e.card.Move(pos.AddXY(0, e.Size().Height))
	e.c.float.Objects = []fyne.CanvasObject{e.card}
	e.c.float.Refresh()
}

func (e *addressEntry) hide() {
	e.matches = nil
	if e.card != nil && len(e.c.float.Objects) > 0 && e.c.float.Objects[0] == e.card {
		e.c.float.Objects = nil
		e.c.float.Refresh()
	}
	e.card = nil
}

// accept replaces the address being typed with a.
func (e *addressEntry) accept(a mailfmt.Address) {
	text := e.Text
	prefix := ""
	if _, last := splitAddressField(text); last > 0 {
		prefix = strings.TrimRight(text[:last], " ") + " "
	}
	e.gen++
	e.hide()
	on := e.OnChanged
	e.OnChanged = nil
	e.SetText(prefix + formatAddresses([]mailfmt.Address{a}) + ", ")
	e.OnChanged = on
	e.CursorRow, e.CursorColumn = 0, len([]rune(e.Text))
	e.check(false)
	e.Refresh()
	if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil {
		c.Focus(e)
	}
}

// AcceptsTab lets Tab take a suggestion while they are shown; otherwise it moves to the next field.
func (e *addressEntry) AcceptsTab() bool { return len(e.matches) > 0 }

func (e *addressEntry) TypedKey(ev *fyne.KeyEvent) {
	if len(e.matches) > 0 {
		switch ev.Name {
		case fyne.KeyDown:
			e.active = (e.active + 1) % len(e.matches)
			e.render()
			return
		case fyne.KeyUp:
			e.active = (e.active + len(e.matches) - 1) % len(e.matches)
			e.render()
			return
		case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
			e.accept(e.matches[e.active])
			return
		case fyne.KeyEscape:
			e.hide()
			return
		}
	}
	e.composerEntry.TypedKey(ev)
}

// FocusLost closes the suggestions a moment later, so that a click on one still lands.
func (e *addressEntry) FocusLost() {
	e.Entry.FocusLost()
	e.check(true)
	e.c.u.tasks.after(250*time.Millisecond, func() {
		e.c.u.exec(func() {
			if c := fyne.CurrentApp().Driver().CanvasForObject(e); c == nil || c.Focused() != e {
				e.hide()
			}
		})
	})
}

// suggestionRow is one suggested address; the active one is highlighted.
type suggestionRow struct {
	widget.BaseWidget
	e *addressEntry
	i int
	a mailfmt.Address
}

func newSuggestionRow(e *addressEntry, i int, a mailfmt.Address) *suggestionRow {
	r := &suggestionRow{e: e, i: i, a: a}
	r.ExtendBaseWidget(r)
	return r
}

func (r *suggestionRow) Tapped(*fyne.PointEvent) { r.e.accept(r.a) }

func (r *suggestionRow) CreateRenderer() fyne.WidgetRenderer {
	var bg fyne.CanvasObject = canvas.NewRectangle(color.Transparent)
	if r.i == r.e.active {
		bg = newThemedRect(theme.ColorNameSelection, 0)
	}
	name := widget.NewLabelWithStyle(r.a.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if r.a.Name == "" {
		name.SetText(r.a.Email)
		return widget.NewSimpleRenderer(container.NewStack(bg, name))
	}
	addr := newDimText(r.a.Email, theme.SizeNameText)
	addr.Truncation = fyne.TextTruncateOff
	return widget.NewSimpleRenderer(container.NewStack(bg, container.NewHBox(name, addr)))
}
