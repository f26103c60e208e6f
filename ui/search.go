package ui

import (
	"context"
	"errors"
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
	s.u.tasks.reads.post("search", func(ctx context.Context) {
		res, err := s.u.deps.Cache.Search(ctx, q)
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
			if s.u.list.scope.search != nil && s.u.list.scope.key == "search:"+text {
				s.u.list.replaceSearch(results)
				return
			}
			s.u.list.setScope(listScope{key: "search:" + text, title: title, search: results})
		})
	})
}

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
	return found + " · " + line
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
