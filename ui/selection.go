package ui

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// Selection in the message list: widget.List selects one row, so the list keeps its own set of
// selected message ids (by id, so it survives reloads), a keyboard cursor and a Shift anchor.

// click handles a row click with the modifiers held: plain opens the message, Ctrl toggles it in
// the selection, Shift selects the range from the last click.
func (ml *messageList) click(i int, mods fyne.KeyModifier) {
	m, ok := ml.row(i)
	if !ok {
		return
	}
	ml.focus()
	ml.pending = -1
	switch {
	case mods&fyne.KeyModifierShift != 0 && ml.anchor >= 0:
		ml.cursor = i
		ml.selectRange(ml.anchor, i)
	case mods&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0:
		ml.anchor, ml.cursor = i, i
		if ml.selected[m.ID] {
			delete(ml.selected, m.ID)
		} else {
			ml.selected[m.ID] = true
		}
		ml.selectionChanged()
	default:
		ml.selectOnly(i, m)
	}
	ml.list.Refresh()
}

func (ml *messageList) selectOnly(i int, m localcache.Message) {
	clear(ml.selected)
	ml.selected[m.ID] = true
	ml.anchor, ml.cursor = i, i
	ml.selectionChanged()
}

// selectRange selects rows a..b; rows not loaded are fetched first.
func (ml *messageList) selectRange(a, b int) {
	if a > b {
		a, b = b, a
	}
	ids, complete := ml.idsIn(a, b)
	if complete || ml.scope.search != nil {
		ml.setSelection(ids)
		ml.markAll(a, ids)
		return
	}
	if ml.scope.threads {
		ml.selectConversations(a, b)
		return
	}
	gen, folders, marks, order := ml.gen, ml.scope.folders, ml.marks, ml.scope.sort
	ml.svc.tasks.reads.post("range", func(ctx context.Context) {
		// From the page mark before row a, the ids of rows a..b in one read of the index.
		first := a / pageSize
		var after *localcache.Cursor
		if first > 0 && first-1 < len(marks) {
			c := marks[first-1]
			after = &c
		} else if first > 0 {
			first = 0
		}
		skip := a - first*pageSize
		ids, err := ml.svc.deps.Cache.PageIDsSorted(ctx, folders, order, after, b-first*pageSize+1)
		var out []int64
		if skip < len(ids) {
			out = ids[skip:]
		}
		ml.svc.exec(func() {
			if err != nil {
				ml.svc.showError("", err)
			}
			if gen == ml.gen {
				ml.setSelection(out)
				ml.markAll(a, out)
				ml.list.Refresh()
			}
		})
	})
}

// selectConversations is selectRange over conversations not all loaded: their rows are read from
// the page mark before row a, with the conversations' messages in the folder for the actions.
func (ml *messageList) selectConversations(a, b int) {
	first, _, _ := ml.locate(a)
	last, _, _ := ml.locate(b)
	var members []int64 // of expanded conversations in the range
	for i := a; i <= b && len(ml.open) > 0; i++ {
		if _, k, e := ml.locate(i); k >= 0 {
			members = append(members, e.members[k].ID)
		}
	}
	page := first / pageSize
	var after *localcache.Cursor
	if page > 0 && page-1 < len(ml.marks) {
		c := ml.marks[page-1]
		after = &c
	} else {
		page = 0
	}
	gen, scope := ml.gen, ml.scope
	ml.svc.tasks.reads.post("range", func(ctx context.Context) {
		msgs, convs, err := readPage(ctx, ml.svc.deps.Cache, scope, after, last-page*pageSize+1)
		ml.svc.exec(func() {
			if err != nil {
				ml.svc.showError("", err)
				return
			}
			if gen != ml.gen {
				return
			}
			ids := members
			for i, m := range msgs {
				if page*pageSize+i >= first {
					ids = append(ids, m.ID)
					if _, ok := ml.convs[m.ID]; !ok {
						ml.convs[m.ID] = convs[m.ID]
					}
				}
			}
			ml.setSelection(ids)
			ml.list.Refresh()
		})
	})
}

func (ml *messageList) idsIn(a, b int) ([]int64, bool) {
	var ids []int64
	for i := a; i <= b; i++ {
		m, ok := ml.row(i)
		if !ok {
			return ids, false
		}
		ids = append(ids, m.ID)
	}
	return ids, true
}

func (ml *messageList) setSelection(ids []int64) {
	clear(ml.selected)
	for _, id := range ids {
		ml.selected[id] = true
	}
	ml.selectionChanged()
}

// markAll records whether a range from row a, of ids, is every row of the list.
func (ml *messageList) markAll(a int, ids []int64) {
	ml.all, ml.allGen = a == 0 && len(ids) == ml.total && len(ids) > 0, ml.gen
}

// wholeFolders returns the list's folders when the selection is every message in them: made as
// every row, and the rows unchanged since (any change in the folders reloads the list, which
// moves gen on). A change to all of them can then name the folders, one statement for each, rather
// than each of perhaps 400,000 messages. Conversations and search results are not whole folders.
func (ml *messageList) wholeFolders() []int64 {
	s := ml.scope
	if !ml.all || ml.allGen != ml.gen || s.search != nil || s.threads || len(ml.selected) != ml.total {
		return nil
	}
	return slices.Clone(s.folders)
}

// selectionChanged opens the message when exactly one is selected.
func (ml *messageList) selectionChanged() {
	ml.all = false
	switch len(ml.selected) {
	case 0:
		ml.current = 0
		ml.hooks.selected(0, 0)
	case 1:
		for id := range ml.selected {
			if id != ml.current {
				ml.current = id
				ml.hooks.selected(id, 1)
			}
		}
	default:
		ml.current = 0
		ml.hooks.selected(0, len(ml.selected))
	}
	ml.hooks.changed()
}

// move moves the keyboard cursor by delta rows; with extend the selection grows from the anchor.
func (ml *messageList) move(delta int, extend bool) {
	n := ml.length()
	if n == 0 {
		return
	}
	i := ml.cursor + delta
	if ml.cursor < 0 {
		i = 0
	}
	i = max(0, min(i, n-1))
	ml.cursor = i
	ml.list.ScrollTo(i)
	m, ok := ml.row(i)
	if !ok {
		if !extend {
			ml.pending = i // opened when its page arrives
		}
		ml.list.Refresh()
		return
	}
	ml.pending = -1
	if extend && ml.anchor >= 0 {
		ml.selectRange(ml.anchor, i)
	} else {
		ml.selectOnly(i, m)
	}
	ml.list.Refresh()
}

func (ml *messageList) focus() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(ml.list); c != nil {
		c.Focus(ml.list)
	}
}

// selectedIDs returns the selection, or the open message; a collapsed conversation stands for
// its messages in the folder.
func (ml *messageList) selectedIDs() []int64 {
	ids := make([]int64, 0, len(ml.selected))
	for id := range ml.selected {
		ids = append(ids, id)
	}
	if len(ids) == 0 && ml.current != 0 {
		ids = append(ids, ml.current)
	}
	ids = ml.conversationIDs(ids)
	slices.Sort(ids)
	return ids
}

// selectedMessages returns the selected messages whose rows are loaded (for toggles that depend
// on their flags).
func (ml *messageList) selectedMessages() []localcache.Message {
	var out []localcache.Message
	visit := func(m localcache.Message) {
		if ml.selected[m.ID] || (len(ml.selected) == 0 && m.ID == ml.current) {
			out = append(out, m)
		}
	}
	if ml.scope.search != nil {
		for _, m := range ml.scope.search.result.Messages {
			visit(m)
		}
		return out
	}
	if ml.scope.threads {
		// As the rows show them: a collapsed conversation is unread when any of it is.
		for _, i := range ml.loadedRows() {
			if m, ok := ml.row(i); ok {
				visit(m)
			}
		}
		return out
	}
	for _, msgs := range ml.pages {
		for _, m := range msgs {
			visit(m)
		}
	}
	return out
}

// listWidget is widget.List with the message list's keyboard handling.
type listWidget struct {
	widget.List
	ml    *messageList
	shift bool
}

var (
	_ fyne.Focusable    = (*listWidget)(nil)
	_ desktop.Keyable   = (*listWidget)(nil)
	_ fyne.Shortcutable = (*listWidget)(nil)
)

func newListWidget(ml *messageList) *listWidget {
	l := &listWidget{ml: ml}
	l.Length = ml.length
	l.CreateItem = func() fyne.CanvasObject { return newMsgRow(ml) }
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		r := o.(*msgRow)
		r.row = i
		ml.updateRow(i, r)
	}
	l.ExtendBaseWidget(l)
	return l
}

// FocusGained does not call widget.List's, whose own focus highlight would compete with ours.
func (l *listWidget) FocusGained() {
	l.ml.focused = true
	l.Refresh()
}

func (l *listWidget) FocusLost() {
	l.ml.focused = false
	l.shift = false
	l.Refresh()
}

func (l *listWidget) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		l.shift = true
	}
}

func (l *listWidget) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		l.shift = false
	}
}

func (l *listWidget) TypedKey(ev *fyne.KeyEvent) {
	ml := l.ml
	page := max(1, int(l.Size().Height/max(1, ml.rowHeight()))-1)
	switch ev.Name {
	case fyne.KeyUp:
		ml.move(-1, l.shift)
	case fyne.KeyDown:
		ml.move(1, l.shift)
	case fyne.KeyPageUp:
		ml.move(-page, l.shift)
	case fyne.KeyPageDown:
		ml.move(page, l.shift)
	case fyne.KeyHome:
		ml.move(-ml.length(), l.shift)
	case fyne.KeyEnd:
		ml.move(ml.length(), l.shift)
	case fyne.KeyRight:
		if ml.cursor >= 0 {
			ml.expandAt(ml.cursor)
		}
	case fyne.KeyLeft:
		if ml.cursor >= 0 {
			ml.collapseAt(ml.cursor)
		}
	default:
		ml.hooks.key(ev)
	}
}

func (l *listWidget) TypedRune(r rune) { l.ml.hooks.char(r) }

func (l *listWidget) TypedShortcut(s fyne.Shortcut) {
	if _, ok := s.(*fyne.ShortcutSelectAll); ok {
		l.ml.selectRange(0, l.ml.length()-1)
		l.Refresh()
		return
	}
	// Other shortcuts belong to the window (Ctrl+K and friends registered on the canvas).
	if sh, ok := l.ml.svc.win.Canvas().(fyne.Shortcutable); ok {
		sh.TypedShortcut(s)
	}
}

func (ml *messageList) rowHeight() float32 {
	if ml.rowH == 0 {
		ml.rowH = newMsgRow(ml).MinSize().Height + theme.Padding()
	}
	return ml.rowH
}
