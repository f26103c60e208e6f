package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// sortLabel names an order in the Sort by menu and on its button.
func sortLabel(k localcache.SortKey) string {
	switch k {
	case localcache.SortSender:
		return tr("Sender")
	case localcache.SortSubject:
		return tr("Subject")
	case localcache.SortSize:
		return tr("Size")
	case localcache.SortUnread:
		return tr("Unread first")
	case localcache.SortFlagged:
		return tr("Flagged first")
	default:
		return tr("Date")
	}
}

// sortFor is the order remembered for a list; one this build does not know is the default.
func (s *settings) sortFor(key string) localcache.Sort {
	o := s.Sorts[key]
	if !slices.Contains(localcache.SortKeys, o.Key) {
		return localcache.Sort{}
	}
	return o
}

// newSortButton is the list header's Sort by control: it says the order and opens the menu.
func (ml *messageList) newSortButton() *tipButton {
	b := newTipButton(ml.svc.tips, "", tr("Sort by"), nil, nil)
	b.Importance = widget.LowImportance
	b.OnTapped = func() {
		c := fyne.CurrentApp().Driver().CanvasForObject(b)
		if c == nil {
			return
		}
		widget.ShowPopUpMenuAtRelativePosition(ml.sortMenu(), c, fyne.NewPos(0, b.Size().Height), b)
	}
	return b
}

// sortMenu lists the orders and the two directions, with the current ones checked.
func (ml *messageList) sortMenu() *fyne.Menu {
	cur := ml.scope.sort
	if cur.Key == "" {
		cur.Key = localcache.SortDate
	}
	var items []*fyne.MenuItem
	for _, k := range localcache.SortKeys {
		it := fyne.NewMenuItem(sortLabel(k), func() { ml.setSort(localcache.DefaultSort(k)) })
		it.Checked = k == cur.Key
		items = append(items, it)
	}
	asc := fyne.NewMenuItem(tr("Ascending"), func() { ml.setSort(localcache.Sort{Key: cur.Key, Ascending: true}) })
	desc := fyne.NewMenuItem(tr("Descending"), func() { ml.setSort(localcache.Sort{Key: cur.Key}) })
	asc.Checked, desc.Checked = cur.Ascending, !cur.Ascending
	items = append(items, fyne.NewMenuItemSeparator(), asc, desc)
	return fyne.NewMenu(tr("Sort by"), items...)
}

// setSort orders the shown folders by s, remembers it for them and starts again at the top.
func (ml *messageList) setSort(s localcache.Sort) {
	if !ml.sortable() {
		return
	}
	if s.Key == localcache.SortDate && !s.Ascending {
		s = localcache.Sort{} // the default is not written down
	}
	if ml.svc.prefs.Sorts == nil {
		ml.svc.prefs.Sorts = map[string]localcache.Sort{}
	}
	if s == (localcache.Sort{}) {
		delete(ml.svc.prefs.Sorts, ml.scope.key)
	} else {
		ml.svc.prefs.Sorts[ml.scope.key] = s
	}
	ml.svc.storePrefs()
	ml.setScope(ml.scope)
}

// sortable reports whether the list shows folders (search results are newest first).
func (ml *messageList) sortable() bool { return ml.scope.search == nil && ml.scope.key != "" }

// updateSortButton shows the order on the button and in the View menu.
func (ml *messageList) updateSortButton() {
	ml.hooks.sortChanged()
	if !ml.sortable() {
		ml.sortBtn.Hide()
		return
	}
	s := ml.scope.sort
	ml.sortBtn.SetText(sortLabel(s.Key))
	if s.Ascending {
		ml.sortBtn.SetIcon(theme.MoveUpIcon())
	} else {
		ml.sortBtn.SetIcon(theme.MoveDownIcon())
	}
	ml.sortBtn.Show()
}
