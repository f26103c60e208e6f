package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// actions holds the commands shared by the toolbar, the menus, the context menu and the keyboard.
type actions struct {
	u *ui

	getMail, write, reply, replyAll, forward *tipButton
	del, markRead, flag, move                *tipButton
	markAsRead                               bool // what the read button does now
	row                                      *adaptiveRow

	menu         *fyne.MainMenu
	readerRight  *fyne.MenuItem
	readerBelow  *fyne.MenuItem
	sortBy       *fyne.MenuItem   // View → Sort by, the list header's menu for the keyboard
	sortShown    *localcache.Sort // the order sortBy last checked; nil: not yet
	threads      *fyne.MenuItem   // View → Conversations
	messageItems []*fyne.MenuItem
}

func newActions(u *ui) *actions {
	a := &actions{u: u}
	btn := func(label string, icon fyne.Resource, fn func()) *tipButton {
		b := newTipButton(u.tips, label, label, icon, fn)
		b.Importance = widget.LowImportance
		return b
	}
	a.getMail = btn(tr("Get mail"), theme.DownloadIcon(), a.doGetMail)
	a.write = btn(tr("Write"), theme.MailComposeIcon(), a.doWrite)
	a.reply = btn(tr("Reply"), theme.MailReplyIcon(), func() { a.doReply(false) })
	a.replyAll = btn(tr("Reply all"), theme.MailReplyAllIcon(), func() { a.doReply(true) })
	a.forward = btn(tr("Forward"), theme.MailForwardIcon(), a.doForward)
	a.del = btn(tr("Delete"), theme.DeleteIcon(), a.doDelete)
	a.markAsRead = true
	a.markRead = btn(tr("Mark read"), iconMailRead, func() { a.doMarkRead(a.markAsRead) })
	a.flag = btn(tr("Flag"), iconStarOutline, a.doToggleFlag)
	a.move = btn(tr("Move to…"), iconMoveTo, a.doMove)
	a.write.Importance = widget.HighImportance
	return a
}

// toolbar is the row of buttons over the panes, with the search field at the end. Labels are
// dropped, right to left, when the window is too narrow for them.
func (a *actions) toolbar() fyne.CanvasObject {
	buttons := []*tipButton{a.getMail, a.write, a.reply, a.replyAll, a.forward, a.del,
		a.markRead, a.flag, a.move}
	objs := make([]fyne.CanvasObject, 0, len(buttons)+3)
	for i, b := range buttons {
		objs = append(objs, b)
		if i == 1 || i == 4 {
			objs = append(objs, newToolbarSep())
		}
	}
	a.row = newAdaptiveRow(buttons)
	bar := container.New(a.row, objs...)
	return container.NewBorder(nil, nil, nil, a.u.search.view(), bar)
}

// update enables the commands that apply to the current selection.
func (a *actions) update() {
	if a.reply == nil {
		return
	}
	one := a.u.reader.id != 0
	some := len(a.u.list.selectedIDs()) > 0
	for _, b := range []*tipButton{a.reply, a.replyAll, a.forward} {
		setEnabled(b, one)
	}
	for _, b := range []*tipButton{a.del, a.markRead, a.flag, a.move} {
		setEnabled(b, some)
	}
	msgs := a.u.list.selectedMessages()
	flagged := len(msgs) > 0
	a.markAsRead = len(msgs) == 0
	for _, m := range msgs {
		if !m.Flags.Has(localcache.FlagFlagged) {
			flagged = false
		}
		if !m.Flags.Has(localcache.FlagSeen) {
			a.markAsRead = true
		}
	}
	if a.markAsRead {
		a.setButton(a.markRead, tr("Mark read"), iconMailRead)
	} else {
		a.setButton(a.markRead, tr("Mark unread"), iconMailUnread)
	}
	if flagged {
		a.setButton(a.flag, tr("Unflag"), iconStar)
	} else {
		a.setButton(a.flag, tr("Flag"), iconStarOutline)
	}
	for _, it := range a.messageItems {
		it.Disabled = !some
	}
	if a.menu != nil {
		a.menu.Refresh()
	}
}

// setButton changes a toolbar button's label and icon; a label the toolbar has hidden for lack of
// room stays hidden (the toolbar puts the new one back when there is room).
func (a *actions) setButton(b *tipButton, label string, icon fyne.Resource) {
	b.tip = label
	if b.Icon != icon {
		b.Icon = icon
		b.Refresh()
	}
	if b.Text != "" && b.Text != label {
		b.SetText(label)
	}
	if a.row != nil {
		a.row.want(b, label)
	}
}

func (a *actions) doGetMail() { a.u.do(types.CheckNow{}) }

func (a *actions) doWrite() {
	account := a.u.defaultAccount()
	id := a.u.identity(account)
	a.u.openComposer(Draft{Account: account, Draft: mailfmt.Draft{From: id.Address(), Text: a.u.signed(id, "")}})
}

func (a *actions) doReply(all bool) { a.u.replyTo(a.u.reader, all) }

func (a *actions) doForward() { a.u.forwardFrom(a.u.reader) }

func (a *actions) doForwardAttached() { a.u.forwardAttachedFrom(a.u.reader) }

// replyTo opens a composer answering the message r shows (the pane or a message window).
func (u *ui) replyTo(r *reader, all bool) {
	if r.id != 0 {
		u.openComposer(u.replyDraft(r.msg, r.parsed, all))
	}
}

// forwardFrom opens a composer forwarding the message r shows.
func (u *ui) forwardFrom(r *reader) {
	if r.id != 0 {
		u.openComposer(u.forwardDraft(r.msg, r.parsed, r.raw))
	}
}

// doOpenWindow opens the message shown in the pane in a window of its own.
func (a *actions) doOpenWindow() { a.u.openMessageWindow(a.u.reader.id) }

func (a *actions) doDelete() {
	ids := a.u.list.selectedIDs()
	if len(ids) == 0 {
		return
	}
	a.u.doUndoable(types.Delete{IDs: ids}, tr("Deleted."))
}

func (a *actions) doMarkRead(read bool) {
	done := tr("Marked as read.")
	if !read {
		done = tr("Marked as unread.")
	}
	if folders := a.u.list.wholeFolders(); len(folders) > 0 {
		a.u.doUndoable(types.MarkRead{Folders: folders, Read: read}, done)
		return
	}
	if ids := a.u.list.selectedIDs(); len(ids) > 0 {
		a.u.doUndoable(types.MarkRead{IDs: ids, Read: read}, done)
	}
}

// doToggleRead is "M": unread messages in the selection make it mark read, else unread.
func (a *actions) doToggleRead() {
	msgs := a.u.list.selectedMessages()
	if len(msgs) == 0 {
		return
	}
	read := false
	for _, m := range msgs {
		if !m.Flags.Has(localcache.FlagSeen) {
			read = true
		}
	}
	a.doMarkRead(read)
}

// doToggleFlag flags the selection unless all of it is flagged already.
func (a *actions) doToggleFlag() {
	msgs := a.u.list.selectedMessages()
	ids := a.u.list.selectedIDs()
	if len(ids) == 0 {
		return
	}
	on := len(msgs) == 0
	for _, m := range msgs {
		if !m.Flags.Has(localcache.FlagFlagged) {
			on = true
		}
	}
	done := tr("Flagged.")
	if !on {
		done = tr("Flag removed.")
	}
	a.u.doUndoable(types.SetFlag{IDs: ids, Flag: localcache.FlagFlagged, On: on}, done)
}

// doJunk moves the selection to Junk with $Junk, or with junk false out of Junk with $NotJunk.
func (a *actions) doJunk(junk bool) {
	if ids := a.u.list.selectedIDs(); len(ids) > 0 {
		done := tr("Moved to Junk.")
		if !junk {
			done = tr("Marked as not junk.")
		}
		a.u.doUndoable(types.MarkJunk{IDs: ids, Junk: junk}, done)
	}
}

// doArchive moves the selection into its account's Archive folder (made when missing).
func (a *actions) doArchive() {
	if ids := a.u.list.selectedIDs(); len(ids) > 0 {
		a.u.doUndoable(types.Archive{IDs: ids}, tr("Archived."))
	}
}

// doMove asks for a folder, of any account, and moves the selected messages there. Into another
// account the Manager copies the exact bytes and removes the originals once the copies are safe.
func (a *actions) doMove() { a.transfer(false) }

// doCopy asks for a folder, of any account, and copies the selected messages there.
func (a *actions) doCopy() { a.transfer(true) }

func (a *actions) transfer(copy bool) {
	ids := a.u.list.selectedIDs()
	if len(ids) == 0 {
		return
	}
	account := a.u.list.scope.account
	if account == "" {
		if msgs := a.u.list.selectedMessages(); len(msgs) > 0 {
			account = msgs[0].Account
		}
	}
	a.u.pickFolder(a.u.win, account, copy, func(f localcache.Folder) {
		if copy {
			a.u.do(types.Copy{IDs: ids, To: f.ID})
		} else {
			a.u.doUndoable(types.Move{IDs: ids, To: f.ID}, tr("Moved to {{.Folder}}.", map[string]any{"Folder": f.Name}))
		}
	})
}

// pickFolder shows a dialog listing the folders of every account, those of account first, and
// calls picked with the chosen one; copy names the action Copy instead of Move.
func (u *ui) pickFolder(parent fyne.Window, account string, copy bool, picked func(localcache.Folder)) {
	entries := foldersOf(u.folders.entries, account)
	for _, e := range u.folders.entries {
		if e.kind == entryFolder && e.account != account {
			e.name = e.account + " › " + strings.TrimLeft(e.name, " ")
			e.depth = 0
			entries = append(entries, e)
		}
	}
	title, verb := tr("Move to…"), tr("Move")
	if copy {
		title, verb = tr("Copy to…"), tr("Copy")
	}
	var shown []folderEntry
	filter := widget.NewEntry()
	filter.SetPlaceHolder(tr("Filter folders"))
	chosen := -1
	list := widget.NewList(
		func() int { return len(shown) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.FolderIcon()), widget.NewLabel(""))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			e := shown[i]
			box.Objects[0].(*widget.Icon).SetResource(folderIcon(e.folder.Role))
			box.Objects[1].(*widget.Label).SetText(strings.Repeat("    ", e.depth) + e.name)
		})
	apply := func(text string) {
		shown = shown[:0]
		for _, e := range entries {
			if text == "" || strings.Contains(strings.ToLower(e.folder.Name+" "+e.name), strings.ToLower(text)) {
				shown = append(shown, e)
			}
		}
		chosen = -1
		list.UnselectAll()
		list.Refresh()
	}
	apply("")
	filter.OnChanged = apply
	list.OnSelected = func(i widget.ListItemID) { chosen = i }
	content := container.NewBorder(filter, nil, nil, nil, list)
	d := dialog.NewCustomConfirm(title, verb, tr("Cancel"), content, func(ok bool) {
		if ok && chosen >= 0 && chosen < len(shown) {
			picked(shown[chosen].folder)
		}
	}, parent)
	d.Resize(fyne.NewSize(380, 460))
	d.Show()
	parent.Canvas().Focus(filter)
}

// typedKey handles the single keys of the main window (when no text field has the focus).
func (a *actions) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyDelete:
		a.doDelete()
	case fyne.KeyF5:
		a.doGetMail()
	case fyne.KeyReturn, fyne.KeyEnter:
		a.doOpenWindow()
	case fyne.KeyUp, fyne.KeyDown, fyne.KeyLeft, fyne.KeyRight:
		// Arrow keys walk the message list (and open and close conversations) even before it
		// was clicked.
		a.u.list.focus()
		a.u.list.list.TypedKey(ev)
	}
}

// typedRune handles Thunderbird's one-letter shortcuts: M toggles read, S toggles the flag, A
// archives, J is junk and Shift+J not junk.
func (a *actions) typedRune(r rune) {
	switch r {
	case 'a', 'A':
		a.doArchive()
	case 'm', 'M':
		a.doToggleRead()
	case 's', 'S':
		a.doToggleFlag()
	case 'j':
		a.doJunk(true)
	case 'J':
		a.doJunk(false)
	}
}

func (a *actions) installShortcuts(c fyne.Canvas) {
	c.SetOnTypedKey(a.typedKey)
	c.SetOnTypedRune(a.typedRune)
	// Ctrl+K is the second search shortcut (Ctrl+F is on the menu item).
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { a.u.search.focus() })
}

func (a *actions) mainMenu() *fyne.MainMenu {
	ctrl := fyne.KeyModifierShortcutDefault
	sc := func(k fyne.KeyName, m fyne.KeyModifier) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: m}
	}
	item := func(label string, icon fyne.Resource, s fyne.Shortcut, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Icon, it.Shortcut = icon, s
		return it
	}
	a.readerRight = fyne.NewMenuItem(tr("Reader on the right"), func() { a.u.setReaderBelow(false) })
	a.readerBelow = fyne.NewMenuItem(tr("Reader below the list"), func() { a.u.setReaderBelow(true) })
	a.sortBy = fyne.NewMenuItem(tr("Sort by"), nil)
	a.sortBy.ChildMenu = a.u.list.sortMenu()
	a.threads = fyne.NewMenuItem(tr("Conversations"), func() { a.u.list.setThreads(!a.u.list.scope.threads) })
	markRead := item(tr("Mark as read"), iconMailRead, nil, func() { a.doMarkRead(true) })
	markUnread := item(tr("Mark as unread"), iconMailUnread, nil, func() { a.doMarkRead(false) })
	flag := item(tr("Flag / unflag"), iconStarOutline, nil, a.doToggleFlag)
	move := item(tr("Move to…"), iconMoveTo, nil, a.doMove)
	copyTo := item(tr("Copy to…"), theme.ContentCopyIcon(), nil, a.doCopy)
	del := item(tr("Delete"), theme.DeleteIcon(), nil, a.doDelete)
	archive := item(tr("Archive"), folderIcon(localcache.RoleArchive), nil, a.doArchive)
	junk := item(tr("Junk"), iconJunk, nil, func() { a.doJunk(true) })
	notJunk := item(tr("Not junk"), nil, nil, func() { a.doJunk(false) })
	source := item(tr("View source"), nil, sc(fyne.KeyU, ctrl), func() { a.u.showSource(a.u.reader) })
	saveEML := item(tr("Save as .eml…"), theme.DocumentSaveIcon(), nil, a.doSaveEML)
	exportSel := item(tr("Export selection…"), theme.DownloadIcon(), nil, a.doExportSelection)
	a.messageItems = []*fyne.MenuItem{markRead, markUnread, flag, move, copyTo, del, archive, junk, notJunk, source, saveEML, exportSel}
	a.menu = fyne.NewMainMenu(
		fyne.NewMenu(tr("File"),
			item(tr("New message"), theme.MailComposeIcon(), sc(fyne.KeyN, ctrl), a.doWrite),
			item(tr("Get mail"), theme.DownloadIcon(), sc(fyne.KeyT, ctrl), a.doGetMail),
			fyne.NewMenuItemSeparator(),
			item(tr("Add account…"), theme.ContentAddIcon(), nil, func() { a.u.openWizard() }),
			item(tr("Account settings…"), theme.SettingsIcon(), nil, func() { a.u.openAccountSettings("") }),
			fyne.NewMenuItemSeparator(),
			a.importItem(),
			a.exportItem(),
			fyne.NewMenuItemSeparator(),
			a.quitItem(sc(fyne.KeyQ, ctrl)),
		),
		fyne.NewMenu(tr("Edit"),
			item(tr("Undo"), theme.ContentUndoIcon(), sc(fyne.KeyZ, ctrl), a.u.undoLast),
			fyne.NewMenuItemSeparator(),
			item(tr("Search"), theme.SearchIcon(), sc(fyne.KeyF, ctrl), func() { a.u.search.focus() }),
			fyne.NewMenuItemSeparator(),
			item(tr("Message filters…"), nil, nil, a.u.openFilters),
			item(tr("Preferences…"), theme.SettingsIcon(), sc(fyne.KeyComma, ctrl), a.u.openPreferences),
		),
		fyne.NewMenu(tr("View"), a.readerRight, a.readerBelow, fyne.NewMenuItemSeparator(), a.sortBy, a.threads),
		fyne.NewMenu(tr("Message"),
			item(tr("Open in new window"), nil, sc(fyne.KeyO, ctrl), a.doOpenWindow),
			fyne.NewMenuItemSeparator(),
			item(tr("Reply"), theme.MailReplyIcon(), sc(fyne.KeyR, ctrl), func() { a.doReply(false) }),
			item(tr("Reply all"), theme.MailReplyAllIcon(), sc(fyne.KeyR, ctrl|fyne.KeyModifierShift), func() { a.doReply(true) }),
			item(tr("Forward"), theme.MailForwardIcon(), sc(fyne.KeyL, ctrl), a.doForward),
			item(tr("Forward as attachment"), theme.MailForwardIcon(), sc(fyne.KeyL, ctrl|fyne.KeyModifierShift), a.doForwardAttached),
			fyne.NewMenuItemSeparator(),
			markRead, markUnread, flag,
			fyne.NewMenuItemSeparator(),
			move, copyTo, archive, del,
			fyne.NewMenuItemSeparator(),
			junk, notJunk,
			fyne.NewMenuItemSeparator(),
			source,
			saveEML,
			exportSel,
		),
		fyne.NewMenu(tr("Help"),
			fyne.NewMenuItem(tr("About Postbode"), a.u.showAbout),
		),
	)
	a.refreshMenu()
	return a.menu
}

// quitItem ends Postbode (Fyne would add a Quit item without a shortcut by itself).
func (a *actions) quitItem(s fyne.Shortcut) *fyne.MenuItem {
	it := fyne.NewMenuItem(tr("Quit"), a.u.app.Quit)
	it.IsQuit, it.Shortcut = true, s
	return it
}

func (a *actions) refreshMenu() {
	if a.readerRight == nil {
		return
	}
	a.sortShown = nil
	a.syncSortItem()
	a.readerRight.Checked = !a.u.readerBelow
	a.readerBelow.Checked = a.u.readerBelow
	a.menu.Refresh()
}

// refreshSortMenu makes View → Sort by check the list's order; the menu bar is redrawn only
// when that changed, not on every reload of the list.
func (a *actions) refreshSortMenu() {
	if a.sortBy != nil && a.syncSortItem() {
		a.menu.Refresh()
	}
}

// syncSortItem brings View → Sort by and Conversations up to date and reports whether they changed.
func (a *actions) syncSortItem() bool {
	cur, sortable := a.u.list.scope.sort, a.u.list.sortable()
	threads, threadable := a.u.list.scope.threads, a.u.list.scope.threadable()
	if a.sortShown != nil && *a.sortShown == cur && a.sortBy.Disabled == !sortable &&
		a.threads.Checked == threads && a.threads.Disabled == !threadable {
		return false
	}
	a.threads.Checked, a.threads.Disabled = threads, !threadable
	a.sortShown = &cur
	a.sortBy.ChildMenu = a.u.list.sortMenu()
	a.sortBy.Disabled = !sortable
	return true
}

// contextMenu is the right-click menu of the message list.
func (a *actions) contextMenu() *fyne.Menu {
	one := a.u.reader.id != 0
	item := func(label string, icon fyne.Resource, enabled bool, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Icon, it.Disabled = icon, !enabled
		return it
	}
	return fyne.NewMenu("",
		item(tr("Open in new window"), nil, one, a.doOpenWindow),
		fyne.NewMenuItemSeparator(),
		item(tr("Reply"), theme.MailReplyIcon(), one, func() { a.doReply(false) }),
		item(tr("Reply all"), theme.MailReplyAllIcon(), one, func() { a.doReply(true) }),
		item(tr("Forward"), theme.MailForwardIcon(), one, a.doForward),
		item(tr("Forward as attachment"), theme.MailForwardIcon(), one, a.doForwardAttached),
		fyne.NewMenuItemSeparator(),
		item(tr("Mark as read"), iconMailRead, true, func() { a.doMarkRead(true) }),
		item(tr("Mark as unread"), iconMailUnread, true, func() { a.doMarkRead(false) }),
		item(tr("Flag / unflag"), iconStarOutline, true, a.doToggleFlag),
		fyne.NewMenuItemSeparator(),
		item(tr("Move to…"), iconMoveTo, true, a.doMove),
		item(tr("Copy to…"), theme.ContentCopyIcon(), true, a.doCopy),
		item(tr("Archive"), folderIcon(localcache.RoleArchive), true, a.doArchive),
		item(tr("Delete"), theme.DeleteIcon(), true, a.doDelete),
		fyne.NewMenuItemSeparator(),
		item(tr("Junk"), iconJunk, true, func() { a.doJunk(true) }),
		item(tr("Not junk"), nil, true, func() { a.doJunk(false) }),
		fyne.NewMenuItemSeparator(),
		item(tr("Save as .eml…"), theme.DocumentSaveIcon(), one && a.u.deps.MailFiles != nil, a.doSaveEML),
		item(tr("Export selection…"), theme.DownloadIcon(), a.u.deps.MailFiles != nil, a.doExportSelection),
	)
}

func (u *ui) showAbout() {
	text := widget.NewLabel(fmt.Sprintf("Postbode %s\n\n%s", u.deps.Version,
		tr("A mail client for IMAP and POP3 accounts.")))
	text.Alignment = fyne.TextAlignCenter
	dialog.ShowCustom(tr("About Postbode"), tr("Close"), text, u.win)
}

// newToolbarSep is a short vertical line between toolbar groups.
func newToolbarSep() fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(6, 6, 2, 2), widget.NewSeparator())
}

// adaptiveRow lays buttons out in a row; when they do not fit it drops their labels, last first,
// so that the toolbar stays whole in a narrow window.
type adaptiveRow struct {
	buttons []*tipButton
	labels  []string
}

func newAdaptiveRow(buttons []*tipButton) *adaptiveRow {
	r := &adaptiveRow{buttons: buttons}
	for _, b := range buttons {
		r.labels = append(r.labels, b.Text)
	}
	return r
}

func (r *adaptiveRow) want(b *tipButton, label string) {
	for i, x := range r.buttons {
		if x == b {
			r.labels[i] = label
		}
	}
}

func (r *adaptiveRow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	// Only the icons are required; labels come when there is room.
	return fyne.NewSize(float32(len(r.buttons))*(theme.IconInlineSize()+theme.InnerPadding()*2), h)
}

func (r *adaptiveRow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	width := func() float32 {
		var w float32
		for _, o := range objs {
			w += o.MinSize().Width + theme.Padding()
		}
		return w
	}
	for i, b := range r.buttons {
		if b.Text != r.labels[i] {
			b.Text = r.labels[i]
			b.Refresh()
		}
	}
	for i := len(r.buttons) - 1; i >= 0 && width() > size.Width; i-- {
		r.buttons[i].Text = ""
		r.buttons[i].Refresh()
	}
	x := float32(0)
	for _, o := range objs {
		m := o.MinSize()
		o.Move(fyne.NewPos(x, (size.Height-m.Height)/2))
		o.Resize(m)
		x += m.Width + theme.Padding()
	}
}
