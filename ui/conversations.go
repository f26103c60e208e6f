package ui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// Conversations: a folder's list can show one row per conversation (toggled per folder, remembered
// like the order). The pages then hold each conversation's first message in the folder, and
// ml.convs its counts. An expanded conversation shows its other messages, of every folder of the
// account, as rows below its own; the list's row numbers count those, so "row" below is a row as
// shown and "conversation row" a row of the pages.

// expansion is an expanded conversation: its conversation row and the messages shown below it.
type expansion struct {
	key     string // thread key
	row     int    // conversation row
	rep     int64  // the message of the conversation row
	members []localcache.Message
}

// threadsFor says whether the list with that key shows conversations.
func (s *settings) threadsFor(key string) bool { return s.Threads[key] }

// threadable reports whether the scope can show conversations: one folder, not a search.
func (s listScope) threadable() bool { return s.search == nil && len(s.folders) == 1 }

// newThreadButton is the list header's Conversations toggle: an icon only (the pane is narrow and
// the Sort by button sits beside it), highlighted when on, named by its tooltip.
func (ml *messageList) newThreadButton() *tipButton {
	b := newTipButton(ml.svc.tips, "", tr("Conversations"), theme.ListIcon(),
		func() { ml.setThreads(!ml.scope.threads) })
	b.Importance = widget.LowImportance
	return b
}

// setThreads turns conversations on or off for the shown folder, remembers it and starts again at
// the top.
func (ml *messageList) setThreads(on bool) {
	if !ml.scope.threadable() {
		return
	}
	if ml.svc.prefs.Threads == nil {
		ml.svc.prefs.Threads = map[string]bool{}
	}
	if on {
		ml.svc.prefs.Threads[ml.scope.key] = true
	} else {
		delete(ml.svc.prefs.Threads, ml.scope.key)
	}
	ml.svc.storePrefs()
	ml.setScope(ml.scope)
}

// updateThreadButton shows the toggle where it applies, highlighted when on.
func (ml *messageList) updateThreadButton() {
	if ml.threadBtn.Visible() != ml.scope.threadable() {
		// The header's buttons change width: lay them out again.
		defer ml.head.Refresh()
	}
	if !ml.scope.threadable() {
		ml.threadBtn.Hide()
		return
	}
	want := widget.LowImportance
	if ml.scope.threads {
		want = widget.HighImportance
	}
	if ml.threadBtn.Importance != want {
		ml.threadBtn.Importance = want
		ml.threadBtn.Refresh()
	}
	ml.threadBtn.Show()
}

// extraRows counts the rows expanded conversations add.
func (ml *messageList) extraRows() int {
	n := 0
	for _, e := range ml.open {
		n += len(e.members)
	}
	return n
}

// locate maps a row to its conversation row and, for a message shown under an expanded
// conversation, its index in the expansion (member -1 otherwise).
func (ml *messageList) locate(i int) (row, member int, e *expansion) {
	off := 0
	for _, e := range ml.open {
		head := e.row + off
		if i <= head {
			break
		}
		if i <= head+len(e.members) {
			return e.row, i - head - 1, e
		}
		off += len(e.members)
	}
	return i - off, -1, nil
}

// shownRow maps a conversation row to the row it is shown at.
func (ml *messageList) shownRow(row int) int {
	for _, e := range ml.open {
		if e.row < row {
			row += len(e.members)
		}
	}
	return row
}

// expandedAt returns the expansion of a conversation row, nil when it is collapsed.
func (ml *messageList) expandedAt(row int) *expansion {
	for _, e := range ml.open {
		if e.row == row {
			return e
		}
	}
	return nil
}

// conversationOf returns the conversation a shown row heads (nil for other rows).
func (ml *messageList) conversationOf(i int) *localcache.Conversation {
	if !ml.scope.threads {
		return nil
	}
	row, member, _ := ml.locate(i)
	if member >= 0 {
		return nil
	}
	m, ok := ml.pageRow(row)
	if !ok {
		return nil
	}
	return ml.convs[m.ID]
}

// rowThread is how a row shows its conversation.
type rowThread struct {
	count  int  // messages in the conversation it heads (0: none, or a plain list)
	open   bool // expanded
	member bool // shown under an expanded conversation
	folder string
}

func (ml *messageList) threadOf(i int, m localcache.Message) rowThread {
	if !ml.scope.threads {
		return rowThread{}
	}
	row, member, _ := ml.locate(i)
	if member >= 0 {
		t := rowThread{member: true}
		if m.FolderID != ml.scope.folders[0] {
			t.folder = ml.hooks.folderName(m.FolderID)
		}
		return t
	}
	cv := ml.convs[m.ID]
	if cv == nil {
		return rowThread{}
	}
	return rowThread{count: cv.Count, open: ml.expandedAt(row) != nil}
}

// toggleThread expands or collapses the conversation at row i.
func (ml *messageList) toggleThread(i int) {
	row, member, _ := ml.locate(i)
	if member < 0 && ml.expandedAt(row) != nil {
		ml.collapseAt(i)
	} else {
		ml.expandAt(i)
	}
}

// expandAt shows the messages of the conversation at row i below it (Right arrow, a click on its
// count); its messages are read from every folder of the account.
func (ml *messageList) expandAt(i int) {
	row, member, _ := ml.locate(i)
	cv := ml.conversationOf(i)
	if member >= 0 || cv == nil || cv.Count < 2 || ml.expandedAt(row) != nil {
		return
	}
	gen, rep := ml.gen, cv.Message
	ml.svc.tasks.reads.post("", func(ctx context.Context) {
		members, err := ml.svc.deps.Cache.ConversationMembers(ctx, rep.Account, rep.FolderID, rep.ThreadKey)
		ml.svc.exec(func() {
			if err != nil {
				ml.svc.showError("", err)
				return
			}
			if gen != ml.gen || ml.expandedAt(row) != nil {
				return
			}
			if m, ok := ml.pageRow(row); !ok || m.ID != rep.ID {
				return
			}
			e := &expansion{key: rep.ThreadKey, row: row, rep: rep.ID, members: withoutMessage(members, rep.ID)}
			if len(e.members) == 0 {
				return
			}
			head, n := ml.shownRow(row), len(e.members)
			shift := func(r int) int {
				if r > head {
					return r + n
				}
				return r
			}
			ml.cursor, ml.anchor = shift(ml.cursor), shift(ml.anchor)
			ml.pending = -1
			ml.open = append(ml.open, e)
			slices.SortFunc(ml.open, func(a, b *expansion) int { return a.row - b.row })
			ml.list.Refresh()
			ml.hooks.changed()
		})
	})
}

// collapseAt hides the messages of the conversation at row i, or of the one the message at row i
// is shown under (Left arrow); the cursor goes to the conversation's row.
func (ml *messageList) collapseAt(i int) {
	row, member, e := ml.locate(i)
	if e == nil {
		e = ml.expandedAt(row)
	}
	if e == nil {
		return
	}
	head, n := ml.shownRow(row), len(e.members)
	hidden := false
	for _, m := range e.members {
		if ml.selected[m.ID] || m.ID == ml.current {
			hidden = true
		}
		delete(ml.selected, m.ID)
	}
	ml.open = slices.DeleteFunc(ml.open, func(x *expansion) bool { return x == e })
	shift := func(r int) int {
		switch {
		case r > head+n:
			return r - n
		case r > head:
			return head
		}
		return r
	}
	ml.cursor, ml.anchor = shift(ml.cursor), shift(ml.anchor)
	ml.pending = -1
	if m, ok := ml.row(head); ok && (hidden || member >= 0) {
		ml.selectOnly(head, m)
	}
	ml.list.Refresh()
	ml.hooks.changed()
}

func withoutMessage(msgs []localcache.Message, id int64) []localcache.Message {
	return slices.DeleteFunc(msgs, func(m localcache.Message) bool { return m.ID == id })
}

// reopenExpansions finds the expanded conversations again in reloaded pages, with their messages
// read again (members, by thread key); one no longer loaded is collapsed.
func (ml *messageList) reopenExpansions(members map[string][]localcache.Message) {
	var open []*expansion
	for p, msgs := range ml.pages {
		for i, m := range msgs {
			if ms, ok := members[m.ThreadKey]; ok {
				e := &expansion{key: m.ThreadKey, row: p*pageSize + i, rep: m.ID, members: withoutMessage(ms, m.ID)}
				if len(e.members) > 0 {
					open = append(open, e)
				}
			}
		}
	}
	slices.SortFunc(open, func(a, b *expansion) int { return a.row - b.row })
	ml.open = open
}

// conversationIDs adds to ids the folder's other messages of each collapsed conversation among
// them: an action on a collapsed conversation row applies to the whole conversation in the folder.
func (ml *messageList) conversationIDs(ids []int64) []int64 {
	if !ml.scope.threads {
		return ids
	}
	out := slices.Clone(ids)
	for _, id := range ids {
		cv := ml.convs[id]
		if cv == nil || ml.isOpen(cv.Message.ThreadKey) {
			continue
		}
		for _, other := range cv.InFolder {
			if !slices.Contains(out, other) {
				out = append(out, other)
			}
		}
	}
	return out
}

func (ml *messageList) isOpen(key string) bool {
	return slices.ContainsFunc(ml.open, func(e *expansion) bool { return e.key == key })
}

// folderName is the name the folder pane shows for a folder.
func (p *folderPane) folderName(id int64) string {
	for _, e := range p.entries {
		if e.kind == entryFolder && e.folder.ID == id {
			return strings.TrimSpace(e.name)
		}
	}
	return ""
}
