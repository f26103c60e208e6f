package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

const searchLimit = 500

// searchBar is the search field in the toolbar. Results replace the message list until the field
// is cleared; a line above them says how much was searched.
type searchBar struct {
	u      *ui
	entry  *searchEntry
	scope  *widget.Select
	box    fyne.CanvasObject
	active bool
	back   listScope // what the list showed before searching
	query  string
	gen    int
	stop   func()
	asked  serverAnswer // the servers' answer to the last query sent to them
}

func newSearchBar(u *ui) *searchBar {
	s := &searchBar{u: u}
	s.entry = newSearchEntry(s)
	s.entry.SetPlaceHolder(tr("Search messages"))
	s.entry.ActionItem = widget.NewIcon(theme.SearchIcon())
	s.entry.OnChanged = func(text string) {
		if s.stop != nil {
			s.stop()
		}
		s.stop = s.u.tasks.after(300*time.Millisecond, func() {
			s.u.exec(func() {
				if s.entry.Text == text {
					s.run(text)
				}
			})
		})
	}
	s.entry.OnSubmitted = s.run
	s.scope = widget.NewSelect([]string{tr("All accounts"), tr("This folder")}, func(string) {
		if s.active {
			s.run(s.query)
		}
	})
	s.scope.SetSelectedIndex(0)
	s.box = container.NewBorder(nil, nil, nil, s.scope,
		container.NewGridWrap(fyne.NewSize(260, s.entry.MinSize().Height), s.entry))
	return s
}

func (s *searchBar) view() fyne.CanvasObject { return s.box }

func (s *searchBar) focus() { s.u.win.Canvas().Focus(s.entry) }

// run searches for text, or goes back to the folder when text is empty.
func (s *searchBar) run(text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		if s.active {
			s.active = false
			s.u.list.setScope(s.back)
		}
		return
	}
	if !s.active {
		if cur, ok := s.u.folders.current(); ok {
			s.back = cur
		}
	}
	s.active = true
	s.query = text
	s.gen++
	gen := s.gen
	all := s.scope.SelectedIndex() != 1
	q := localcache.SearchQuery{Text: text, Limit: searchLimit}
	title := tr("Search: {{.Query}}", map[string]any{"Query": text})
	if !all {
		q.FolderIDs = s.back.folders
		title = tr("Search in {{.Folder}}: {{.Query}}", map[string]any{"Query": text, "Folder": s.back.title})
	}
	key := fmt.Sprint(all, q.FolderIDs, text)
	asked := s.asked
	s.u.tasks.reads.post("search", func(ctx context.Context) {
		res, err := s.u.deps.Cache.Search(ctx, q)
		// The servers were asked this already (the cache changed since): keep their answer, less
		// what is gone or has its body now, rather than ask again with every change.
		var again []localcache.Message
		if asked.key == key && err == nil {
			for _, m := range asked.found {
				if m, merr := s.u.deps.Cache.Message(ctx, m.ID); merr == nil && m.BodyKey == "" {
					again = append(again, m)
				}
			}
		}
		s.u.exec(func() {
			if gen != s.gen || !s.active {
				return
			}
			results := &searchResults{query: text, all: all, result: res, limit: searchLimit}
			// A query still being typed ("before:2025-") is said in the coverage line, not in a
			// dialog that would take the focus from the field.
			var qe *localcache.QueryError
			if errors.As(err, &qe) {
				results.problem = queryProblem(qe)
			} else if err != nil {
				s.u.showError("", err)
				return
			}
			switch {
			case asked.key == key:
				results = withServer(results, again, asked.err)
			case res.WithoutBody > 0 && results.problem == "":
				results.server.state = serverSearching
				s.searchServers(gen, key, q, results)
			}
			if s.u.list.scope.search != nil && s.u.list.scope.key == "search:"+text {
				s.u.list.replaceSearch(results)
				return
			}
			s.u.list.setScope(listScope{key: "search:" + text, title: title, search: results})
		})
	})
}

// serverPart is what a search on the servers added to the local results.
type serverPart struct {
	state serverState
	found int    // messages found there only
	err   string // why some server could not be searched
}

type serverState int

const (
	serverNone      serverState = iota // not asked: every body in scope is here, or nothing to ask
	serverSearching                    // asked, no answer yet
	serverDone
)

// serverAnswer is what the servers found for one query in one scope.
type serverAnswer struct {
	key   string
	found []localcache.Message
	err   error
}

// searchServers asks the IMAP servers for what the local search could not see, the bodies never
// downloaded, and merges what they find into the results. It runs beside the read queue, so that
// paging is never held up by a slow server.
func (s *searchBar) searchServers(gen int, key string, q localcache.SearchQuery, local *searchResults) {
	s.u.tasks.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, serverSearchTimeout)
		defer cancel()
		found, err := s.u.deps.Manager.SearchServer(ctx, q)
		s.u.exec(func() {
			if gen != s.gen || !s.active || s.u.list.scope.search != local {
				return
			}
			s.asked = serverAnswer{key: key, found: found.Messages, err: err}
			s.u.list.replaceSearch(withServer(local, found.Messages, err))
		})
	})
}

// withServer is local with the messages the servers found merged in, newest first, within the
// limit; err says why some server could not be searched.
func withServer(local *searchResults, found []localcache.Message, err error) *searchResults {
	merged := *local
	merged.server = serverPart{state: serverDone}
	if err != nil {
		merged.server.err = err.Error()
	}
	have := map[int64]bool{}
	for _, m := range local.result.Messages {
		have[m.ID] = true
	}
	msgs := slices.Clone(local.result.Messages)
	for _, m := range found {
		if !have[m.ID] {
			msgs = append(msgs, m)
			merged.server.found++
		}
	}
	slices.SortStableFunc(msgs, func(a, b localcache.Message) int { return b.Date.Compare(a.Date) })
	merged.result.Messages = msgs[:min(len(msgs), local.limit)]
	return &merged
}

// serverSearchTimeout bounds a search on the servers: a hanging one must not keep saying
// "searching".
const serverSearchTimeout = 30 * time.Second

// rerun refreshes the results after the cache changed.
func (s *searchBar) rerun() {
	if s.active {
		s.run(s.query)
	}
}

// clear empties the field without leaving the current folder (a folder was chosen meanwhile).
func (s *searchBar) clear() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.active = false
	s.gen++
	if s.entry.Text != "" {
		on := s.entry.OnChanged
		s.entry.OnChanged = nil
		s.entry.SetText("")
		s.entry.OnChanged = on
	}
}

// coverageLine says what a search covered: "Searched 12,430 messages; 310 not downloaded
// (headers only)".
func coverageLine(s *searchResults) string {
	if s.problem != "" {
		return s.problem
	}
	r := s.result
	found := trN("{{.Count}} found", len(r.Messages))
	if len(r.Messages) >= s.limit {
		found = tr("Newest {{.Count}} shown", map[string]any{"Count": formatCount(len(r.Messages))})
	}
	line := tr("Searched {{.Searched}} messages", map[string]any{"Searched": formatCount(r.Searched)})
	if r.WithoutBody > 0 {
		line = tr("Searched {{.Searched}} messages; {{.WithoutBody}} not downloaded (headers only)", map[string]any{
			"Searched": formatCount(r.Searched), "WithoutBody": formatCount(r.WithoutBody)})
	}
	line = found + " · " + line
	switch sp := s.server; {
	case sp.state == serverSearching:
		line += " · " + tr("searching the server…")
	case sp.err != "":
		line += " · " + tr("the server could not be searched: {{.Err}}", map[string]any{"Err": sp.err})
	case sp.state == serverDone && sp.found > 0:
		line += " · " + trN("{{.Count}} of them found on the server", sp.found)
	case sp.state == serverDone:
		line += " · " + tr("the server found no more")
	}
	return line
}

// queryProblem says what is wrong with an operator in the search field.
func queryProblem(e *localcache.QueryError) string {
	data := map[string]any{"Operator": e.Operator, "Value": e.Value}
	switch {
	case e.Kind == localcache.QueryNoValue:
		return tr("{{.Operator}}: needs a value", data)
	case e.Kind == localcache.QueryBadDate:
		return tr("{{.Operator}}:{{.Value}} is not a date: write it as YYYY-MM-DD", data)
	case e.Operator == "has":
		return tr("has:{{.Value}} is not known: try has:attachment", data)
	default:
		return tr("is:{{.Value}} is not known: try is:unread, is:read or is:flagged", data)
	}
}

// searchEntry is the search field: Escape clears it, Down moves into the results.
type searchEntry struct {
	widget.Entry
	s *searchBar
}

func newSearchEntry(s *searchBar) *searchEntry {
	e := &searchEntry{s: s}
	e.ExtendBaseWidget(e)
	return e
}

func (e *searchEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		e.SetText("")
		e.s.run("")
	case fyne.KeyDown:
		e.s.u.list.focus()
		e.s.u.list.move(1, false)
	default:
		e.Entry.TypedKey(ev)
	}
}
