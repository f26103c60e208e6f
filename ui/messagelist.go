package ui

import (
	"context"
	"maps"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// The list keeps at most maxPages pages of pageSize rows in memory, whatever the folder's size.
const (
	pageSize = 100
	maxPages = 12
	// prefetchRows: a row this close to its page's edge has the next page read (two screens).
	prefetchRows = 30
)

// listScope is what the message list shows: folders (paged from the cache) or search results.
type listScope struct {
	key     string
	title   string
	account string // "" for several accounts
	folders []int64
	search  *searchResults
	sort    localcache.Sort // the folders' order, remembered per key in the settings
	threads bool            // one row per conversation (one folder), remembered per key
}

type searchResults struct {
	query  string
	all    bool // every account, rather than the current folder
	result localcache.SearchResult
	limit  int
	// problem is what is wrong with the query, shown instead of the coverage line.
	problem string
	server  serverPart // what the servers added (search.go)
}

// messageList is the middle pane: a virtualised list over keyset pages of the cache, with its own
// multi-selection (Ctrl and Shift clicks, Shift+arrows) on top of widget.List's single selection.
type messageList struct {
	svc     *services
	hooks   listHooks
	trace   *tracer // milestones for timing the window (trace.go); nil: off
	list    *listWidget
	title   *widget.Label
	sortBtn *tipButton
	// threadBtn toggles conversations.
	threadBtn *tipButton
	head      *fyne.Container // title and buttons
	info      *widget.RichText
	empty     *widget.RichText
	box       *fyne.Container

	lastTap    time.Time // the last plain click, to tell a double-click
	lastTapRow int
	drag       *dragMove // messages being dragged onto a folder

	scope listScope
	gen   int // changes whenever loaded rows stop matching the cache, to drop stale results
	// shown changes only when the list shows another folder or search. Reloads run in order on
	// one queue, so a later reload is never older than the one applied before it and is kept
	// even though that one changed gen.
	shown   int
	total   int
	marks   []localcache.Cursor
	pages   map[int][]localcache.Message
	convs   map[int64]*localcache.Conversation // by the id of their row's message (conversations)
	open    []*expansion                       // expanded conversations, by row
	loading map[int]bool
	used    map[int]uint64
	tick    uint64

	selected map[int64]bool
	// all: the selection was made as every row of the list (Ctrl+A, or a Shift range over all of
	// it) while gen was allGen; see wholeFolders.
	all     bool
	allGen  int
	anchor  int   // row where a Shift range starts
	cursor  int   // keyboard row
	pending int   // row to open once its page arrives (keyboard jumps), -1 none
	current int64 // message in the reader
	focused bool
	rowH    float32

	lastReload   time.Time
	reloadQueued bool
	// scopeCtx ends when the list shows another folder: reads for the one left are cancelled
	// rather than keep the reads queue from the folder now shown (the page marks of a folder of
	// 400,000 take a few hundred milliseconds, more for several folders).
	scopeCtx  context.Context
	stopScope context.CancelFunc
}

func newMessageList(svc *services, hooks listHooks) *messageList {
	ml := &messageList{svc: svc, hooks: hooks, pages: map[int][]localcache.Message{}, convs: map[int64]*localcache.Conversation{}, loading: map[int]bool{},
		used: map[int]uint64{}, selected: map[int64]bool{}, anchor: -1, cursor: -1, pending: -1}
	ml.list = newListWidget(ml)
	ml.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ml.title.Truncation = fyne.TextTruncateEllipsis
	ml.title.SizeName = theme.SizeNameSubHeadingText
	ml.info = newDimText("", theme.SizeNameCaptionText)
	// A search's coverage line says what was and was not searched: it wraps rather than loses that.
	ml.info.Truncation = fyne.TextTruncateOff
	ml.info.Wrapping = fyne.TextWrapWord
	ml.empty = newDimText(tr("No messages"), theme.SizeNameText)
	ml.empty.Truncation = fyne.TextTruncateOff
	ml.empty.Hide()
	ml.sortBtn = ml.newSortButton()
	ml.threadBtn = ml.newThreadButton()
	ml.head = container.NewBorder(nil, nil, nil, container.NewHBox(ml.threadBtn, ml.sortBtn), ml.title)
	ml.box = container.NewBorder(container.New(&tightVBox{}, ml.head, ml.info), nil, nil, nil,
		container.NewStack(ml.list, container.NewCenter(ml.empty)))
	return ml
}

func (ml *messageList) view() fyne.CanvasObject { return ml.box }

// length counts the rows: messages or conversations, and the messages of expanded ones.
func (ml *messageList) length() int { return ml.total + ml.extraRows() }

// row returns the message at row i when its page is loaded. A collapsed conversation's row shows
// its first message, unread when any of the conversation is.
func (ml *messageList) row(i int) (localcache.Message, bool) {
	if ml.scope.search != nil {
		msgs := ml.scope.search.result.Messages
		if i >= 0 && i < len(msgs) {
			return msgs[i], true
		}
		return localcache.Message{}, false
	}
	if !ml.scope.threads {
		return ml.pageRow(i)
	}
	row, member, e := ml.locate(i)
	if member >= 0 {
		return e.members[member], true
	}
	m, ok := ml.pageRow(row)
	if cv := ml.convs[m.ID]; ok && cv != nil && cv.Unread > 0 && ml.expandedAt(row) == nil {
		m.Flags &^= localcache.FlagSeen
	}
	return m, ok
}

// pageRow returns the message (or conversation's message) at row i of the pages.
func (ml *messageList) pageRow(i int) (localcache.Message, bool) {
	if i < 0 {
		return localcache.Message{}, false
	}
	p, ok := ml.pages[i/pageSize]
	if !ok || i%pageSize >= len(p) {
		return localcache.Message{}, false
	}
	ml.tick++
	ml.used[i/pageSize] = ml.tick
	return p[i%pageSize], true
}

func (ml *messageList) updateRow(i int, r *msgRow) {
	m, ok := ml.row(i)
	if !ok {
		r.setLoading()
		ml.trace.event("loading", ml.scope.key, i)
		row, _, _ := ml.locate(i)
		ml.request(row / pageSize)
		return
	}
	r.set(m, ml.threadOf(i, m), ml.selected[m.ID], ml.focused && i == ml.cursor, ml.svc.now())
	ml.trace.event("row", ml.scope.key, i)
	// Rows near a page's edge read the page beyond it, so that scrolling on finds its rows loaded
	// rather than placeholders.
	row, _, _ := ml.locate(i)
	if p, k := row/pageSize, row%pageSize; k >= pageSize-prefetchRows {
		ml.request(p + 1)
	} else if k < prefetchRows && p > 0 {
		ml.request(p - 1)
	}
}

// setScope shows another folder (or search results), starting at the newest message.
func (ml *messageList) setScope(s listScope) {
	if s.search == nil {
		s.sort = ml.svc.prefs.sortFor(s.key)
		s.threads = s.threadable() && ml.svc.prefs.threadsFor(s.key)
	}
	ml.scope = s
	if ml.stopScope != nil {
		ml.stopScope()
	}
	ml.scopeCtx, ml.stopScope = context.WithCancel(ml.svc.ctx)
	ml.gen++
	ml.shown++
	ml.marks = nil
	ml.total = 0
	clear(ml.pages)
	clear(ml.convs)
	ml.open = nil
	clear(ml.loading)
	clear(ml.used)
	clear(ml.selected)
	ml.anchor, ml.cursor, ml.current, ml.pending = -1, -1, 0, -1
	ml.hooks.selected(0, 0)
	ml.hooks.titled(s.title)
	if s.search != nil {
		ml.total = len(s.search.result.Messages)
	} else {
		ml.total, _ = ml.hooks.counts(s.folders)
		ml.request(0)
		ml.loadMarks()
	}
	ml.trace.event("scope", s.key, ml.total)
	ml.updateHeader()
	ml.list.ScrollToTop()
	ml.list.Refresh()
	ml.hooks.changed()
}

// request loads page p if it is not loaded or loading. A page past the first needs the cursor
// where it starts: from the page marks, or from the last row of the page before it.
func (ml *messageList) request(p int) {
	if ml.scope.search != nil || ml.loading[p] || p*pageSize >= max(ml.total, 1) {
		return
	}
	if _, ok := ml.pages[p]; ok {
		return
	}
	var after *localcache.Cursor
	if p > 0 {
		if p-1 < len(ml.marks) {
			c := ml.marks[p-1]
			after = &c
		} else if prev, ok := ml.pages[p-1]; ok && len(prev) == pageSize {
			after = ml.scope.sort.CursorOf(prev[len(prev)-1])
		} else {
			return // loaded once the marks arrive
		}
	}
	ml.loading[p] = true
	gen, scope := ml.gen, ml.scope
	ml.svc.tasks.reads.post("", func(ctx context.Context) {
		msgs, convs, err := readPage(ctx, ml.svc.deps.Cache, scope, after, pageSize)
		ml.svc.exec(func() {
			if gen != ml.gen {
				return
			}
			delete(ml.loading, p)
			if err != nil {
				ml.svc.showError("", err)
				return
			}
			ml.pages[p] = msgs
			maps.Copy(ml.convs, convs)
			if ml.marks == nil && len(msgs) < pageSize {
				// The end, before the marks say so: a folder's message count is more than its
				// conversations.
				ml.total = p*pageSize + len(msgs)
				ml.updateHeader()
			}
			ml.tick++
			ml.used[p] = ml.tick
			ml.evict()
			ml.syncCursor()
			if ml.pending >= 0 {
				if m, ok := ml.row(ml.pending); ok {
					ml.selectOnly(ml.pending, m)
					ml.pending = -1
				}
			}
			ml.list.Refresh()
		})
	})
}

// readPage reads a page of the scope's rows after the cursor: messages, or the messages of
// conversations with the conversations by those messages' ids.
func readPage(ctx context.Context, c CacheView, s listScope, after *localcache.Cursor, n int) ([]localcache.Message, map[int64]*localcache.Conversation, error) {
	if !s.threads {
		msgs, err := c.PageSorted(ctx, s.folders, s.sort, after, n)
		return msgs, nil, err
	}
	convs, err := c.ConversationPage(ctx, s.folders[0], s.sort, after, n)
	msgs := make([]localcache.Message, len(convs))
	byID := make(map[int64]*localcache.Conversation, len(convs))
	for i := range convs {
		msgs[i] = convs[i].Message
		byID[msgs[i].ID] = &convs[i]
	}
	return msgs, byID, err
}

// readMarks reads where every page of the scope's rows ends, and how many rows there are.
func readMarks(ctx context.Context, c CacheView, s listScope) ([]localcache.Cursor, int, error) {
	if s.threads {
		return c.ConversationMarks(ctx, s.folders[0], s.sort, pageSize)
	}
	return c.PageMarksSorted(ctx, s.folders, s.sort, pageSize)
}

// loadMarks fetches where each page starts, so that any row can be loaded directly.
func (ml *messageList) loadMarks() {
	gen, scope, sctx := ml.gen, ml.scope, ml.scopeCtx
	ml.svc.tasks.reads.post("marks", func(ctx context.Context) {
		ctx, stop := inScope(ctx, sctx)
		defer stop()
		marks, total, err := readMarks(ctx, ml.svc.deps.Cache, scope)
		ml.svc.exec(func() {
			if gen != ml.gen {
				return
			}
			if err != nil {
				ml.svc.showError("", err)
				return
			}
			ml.marks, ml.total = marks, total
			ml.trace.event("marks", scope.key, total)
			ml.updateHeader()
			ml.list.Refresh()
		})
	})
}

// inScope is ctx, cancelled as well when sctx (a scope's, nil for none) ends; a read cancelled so
// returns an error that the result's stale gen or shown makes the UI drop unseen.
func inScope(ctx, sctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if sctx == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(sctx, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// evict drops the least recently shown pages beyond maxPages.
func (ml *messageList) evict() {
	for len(ml.pages) > maxPages {
		oldest, at := -1, ^uint64(0)
		for p := range ml.pages {
			if ml.used[p] < at {
				oldest, at = p, ml.used[p]
			}
		}
		for _, m := range ml.pages[oldest] {
			delete(ml.convs, m.ID)
		}
		delete(ml.pages, oldest)
		delete(ml.used, oldest)
	}
}

// changed reacts to cache changes: a change in a shown folder reloads the marks and the loaded
// pages in one job and swaps them in together, so the list never shows a half-updated state.
func (ml *messageList) changed(chs []localcache.Change) {
	if ml.scope.search != nil {
		ml.hooks.searchAgain()
		return
	}
	hit := false
	for _, ch := range chs {
		if ch.FolderID == 0 && (ml.scope.account == "" || ch.Account == ml.scope.account) {
			hit = true
		}
		if slices.Contains(ml.scope.folders, ch.FolderID) {
			hit = true
		}
	}
	if hit {
		ml.scheduleReload()
	}
}

// scheduleReload reloads at once, but a large folder at most every half second: during a long
// synchronisation changes arrive with every batch, and re-reading 100,000 page marks each time
// would keep a core busy for nothing.
func (ml *messageList) scheduleReload() {
	if ml.reloadQueued {
		return
	}
	wait := time.Duration(0)
	if ml.total > 5000 {
		wait = 500*time.Millisecond - time.Since(ml.lastReload)
	}
	if wait <= 0 {
		ml.reload()
		return
	}
	ml.reloadQueued = true
	ml.svc.tasks.after(wait, func() {
		ml.svc.exec(func() {
			ml.reloadQueued = false
			ml.reload()
		})
	})
}

func (ml *messageList) reload() {
	ml.lastReload = time.Now()
	shown, scope := ml.shown, ml.scope
	var expanded []localcache.Message
	for _, e := range ml.open {
		if m, ok := ml.pageRow(e.row); ok {
			expanded = append(expanded, m)
		}
	}
	var want []int
	for p := range ml.pages {
		want = append(want, p)
	}
	for p := range ml.loading {
		want = append(want, p)
	}
	if len(want) == 0 {
		want = []int{0}
	}
	sctx := ml.scopeCtx
	ml.svc.tasks.reads.post("reload-list", func(ctx context.Context) {
		ctx, stop := inScope(ctx, sctx)
		defer stop()
		marks, total, err := readMarks(ctx, ml.svc.deps.Cache, scope)
		pages := map[int][]localcache.Message{}
		convs := map[int64]*localcache.Conversation{}
		members := map[string][]localcache.Message{}
		for _, m := range expanded {
			if err == nil {
				members[m.ThreadKey], err = ml.svc.deps.Cache.ConversationMembers(ctx, m.Account, m.FolderID, m.ThreadKey)
			}
		}
		for _, p := range want {
			if err != nil || p*pageSize >= total {
				continue
			}
			var after *localcache.Cursor
			if p > 0 {
				c := marks[p-1]
				after = &c
			}
			var msgs []localcache.Message
			var pconvs map[int64]*localcache.Conversation
			msgs, pconvs, err = readPage(ctx, ml.svc.deps.Cache, scope, after, pageSize)
			pages[p] = msgs
			maps.Copy(convs, pconvs)
		}
		ml.svc.exec(func() {
			if shown != ml.shown {
				return
			}
			if err != nil {
				ml.svc.showError("", err)
				return
			}
			ml.gen++
			ml.marks, ml.total, ml.pages, ml.convs = marks, total, pages, convs
			ml.reopenExpansions(members)
			clear(ml.loading)
			for p := range pages {
				ml.tick++
				ml.used[p] = ml.tick
			}
			ml.afterReload()
		})
	})
}

// replaceSearch shows fresh results of the same search, keeping the selection.
func (ml *messageList) replaceSearch(r *searchResults) {
	ml.scope.search = r
	ml.total = len(r.result.Messages)
	ml.gen++
	ml.afterReload()
}

// loadedRows maps the ids of the loaded messages to their rows.
func (ml *messageList) loadedRows() map[int64]int {
	present := map[int64]int{}
	if ml.scope.search != nil {
		for i, m := range ml.scope.search.result.Messages {
			present[m.ID] = i
		}
		return present
	}
	for p, msgs := range ml.pages {
		for i, m := range msgs {
			present[m.ID] = ml.shownRow(p*pageSize + i)
		}
	}
	for _, e := range ml.open {
		head := ml.shownRow(e.row)
		for k, m := range e.members {
			present[m.ID] = head + 1 + k
		}
	}
	return present
}

// afterReload keeps the selection and the reader on messages that still exist; when the open
// message went away (deleted, moved) the one now at its row opens, as in Thunderbird.
func (ml *messageList) afterReload() {
	present := ml.loadedRows()
	for id := range ml.selected {
		if _, ok := present[id]; !ok {
			delete(ml.selected, id)
		}
	}
	if ml.current != 0 {
		if row, ok := present[ml.current]; ok {
			ml.cursor = row
		} else {
			ml.current = 0
			ml.cursor = min(ml.cursor, ml.length()-1)
			if m, ok := ml.row(ml.cursor); ok && len(ml.selected) == 0 {
				ml.selectOnly(ml.cursor, m)
			} else {
				ml.hooks.selected(0, 0)
			}
		}
	}
	ml.updateHeader()
	ml.list.Refresh()
	ml.hooks.changed()
}

// syncCursor finds the open message's row again once its page is loaded. A cursor moved ahead to
// a row whose page is still being read (pending) stays there: it is where the keys took it.
func (ml *messageList) syncCursor() {
	if ml.current == 0 || ml.pending >= 0 {
		return
	}
	if m, ok := ml.row(ml.cursor); ok && m.ID == ml.current {
		return
	}
	if row, ok := ml.loadedRows()[ml.current]; ok {
		ml.cursor = row
	}
}

func (ml *messageList) countsChanged() { ml.updateHeader() }

func (ml *messageList) updateHeader() {
	s := ml.scope
	ml.title.SetText(s.title)
	ml.updateSortButton()
	ml.updateThreadButton()
	if s.search != nil {
		setDimText(ml.info, coverageLine(s.search))
	} else {
		total, unread := ml.hooks.counts(s.folders)
		if ml.marks != nil || ml.total > 0 {
			total = ml.total
		}
		text := trN("{{.Count}} messages", total)
		if s.threads {
			text = trN("{{.Count}} conversations", total)
		}
		if unread > 0 {
			text += " · " + trN("{{.Count}} unread", unread)
		}
		setDimText(ml.info, text)
	}
	if ml.total == 0 && s.key != "" {
		if s.search != nil {
			setDimText(ml.empty, tr("Nothing found"))
		} else {
			setDimText(ml.empty, tr("No messages"))
		}
		ml.empty.Show()
	} else {
		ml.empty.Hide()
	}
}

// tightVBox stacks objects without padding (a heading over its caption).
type tightVBox struct{}

func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height - theme.Padding()*1.5
	}
	return s.AddWidthHeight(0, theme.Padding()*1.5)
}

func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.Padding()*1.5
	}
}
