package ui

import (
	"context"
	"errors"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/types"
)

type entryKind int

const (
	entryAllInboxes entryKind = iota
	entryAccount
	entryFolder
	entryOutbox // messages waiting to be sent, of every account, after the accounts
)

// folderEntry is one row of the folder pane.
type folderEntry struct {
	kind    entryKind
	account string
	folder  localcache.Folder
	depth   int
	name    string
	unread  int
	total   int
	failed  int // outbox: messages that could not be sent
}

func (e folderEntry) key() string {
	switch e.kind {
	case entryAllInboxes:
		return "all"
	case entryAccount:
		return "account:" + e.account
	case entryOutbox:
		return "outbox"
	}
	return "folder:" + itoa(e.folder.ID)
}

// folderPane is the left pane: "All inboxes", then each account with its folders.
type folderPane struct {
	svc      *services
	hooks    folderHooks
	list     *folderList
	entries  []folderEntry
	folders  []localcache.Folder
	states   map[string]types.ConnState
	selected string // key of the selected entry
	outbox   folderEntry
	loaded   bool
	quiet    bool // selecting programmatically: do not reopen the scope
}

func newFolderPane(svc *services, hooks folderHooks) *folderPane {
	p := &folderPane{svc: svc, hooks: hooks, states: map[string]types.ConnState{}}
	p.list = &folderList{pane: p}
	p.list.Length = func() int { return len(p.entries) }
	p.list.CreateItem = func() fyne.CanvasObject { return newFolderRow() }
	p.list.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < len(p.entries) {
			e := p.entries[i]
			r := o.(*folderRow)
			r.pane, r.index = p, i
			r.set(e, p.states[e.account])
		}
	}
	p.list.HideSeparators = true
	p.list.OnSelected = p.onSelected
	p.list.ExtendBaseWidget(p.list)
	return p
}

// folderList is widget.List with the folder pane's keyboard handling: as in Thunderbird, the arrow
// keys open the folder above or below at once (widget.List would only move a focus mark).
type folderList struct {
	widget.List
	pane *folderPane
}

func (l *folderList) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp:
		l.step(-1)
	case fyne.KeyDown:
		l.step(1)
	case fyne.KeyHome:
		l.step(-len(l.pane.entries))
	case fyne.KeyEnd:
		l.step(len(l.pane.entries))
	default:
		l.List.TypedKey(ev)
	}
}

// step selects the row delta rows away from the selected one, skipping account rows (which only
// lead to their inbox) so that Up can pass over them.
func (l *folderList) step(delta int) {
	p := l.pane
	i := p.indexOf(p.selected)
	dir := 1
	if delta < 0 {
		dir = -1
	}
	target := -1
	for j, n := i+dir, 0; j >= 0 && j < len(p.entries); j += dir {
		if p.entries[j].kind == entryAccount {
			continue
		}
		target = j
		if n++; n >= max(delta, -delta) {
			break
		}
	}
	if target >= 0 {
		l.Select(target)
		l.ScrollTo(target)
	}
}

func (p *folderPane) view() fyne.CanvasObject { return p.list }

// reload reads the folder list and counts again (they are one small query).
func (p *folderPane) reload() {
	p.svc.tasks.reads.post("folders", func(ctx context.Context) {
		folders, err := p.svc.deps.Cache.Folders(ctx, "")
		outbox := folderEntry{kind: entryOutbox, name: tr("Outbox")}
		if err == nil {
			outbox.unread, outbox.failed, err = p.svc.deps.Cache.OutboxCount(ctx)
		}
		p.svc.exec(func() {
			if err != nil {
				p.svc.showError("", err)
				return
			}
			p.outbox = outbox
			p.setFolders(folders)
		})
	})
}

func (p *folderPane) setFolders(folders []localcache.Folder) {
	p.folders = folders
	names := accountNames(p.svc.deps.Manager, folders)
	p.entries = buildEntries(names, folders)
	if p.outbox.unread > 0 {
		p.entries = append(p.entries, p.outbox)
	}
	p.hooks.listed(len(names))
	p.loaded = true
	p.list.Refresh()
	if shown := p.hooks.showing(); p.selected == "" || p.selected == "account:"+shown.account && shown.folders == nil {
		// Nothing chosen yet (first start, or the first folders of a new account just arrived).
		p.selectInitial()
	} else {
		p.reselect()
	}
	p.hooks.counted()
}

func buildEntries(accountNames []string, folders []localcache.Folder) []folderEntry {
	var out []folderEntry
	all := folderEntry{kind: entryAllInboxes, name: tr("All inboxes")}
	byAccount := map[string][]localcache.Folder{}
	for _, f := range folders {
		byAccount[f.Account] = append(byAccount[f.Account], f)
		if f.Role == localcache.RoleInbox {
			all.unread += f.Unread
			all.total += f.Total
		}
	}
	if len(accountNames) > 1 {
		out = append(out, all)
	}
	for _, name := range accountNames {
		out = append(out, folderEntry{kind: entryAccount, account: name, name: accountLabel(name)})
		fs := byAccount[name]
		sortFolders(fs)
		prefix := namespacePrefix(fs)
		for _, f := range fs {
			e := folderEntry{kind: entryFolder, account: name, folder: f, unread: f.Unread, total: f.Total}
			e.name, e.depth = folderDisplay(f, prefix)
			out = append(out, e)
		}
	}
	return out
}

// accountLabel is how the folder pane names an account: its name, in the user's language for the
// folders on this computer.
func accountLabel(name string) string {
	if name == types.LocalAccountName {
		return tr("On this computer")
	}
	return name
}

var roleOrder = map[string]int{
	localcache.RoleInbox: 0, localcache.RoleDrafts: 1, localcache.RoleSent: 2,
	localcache.RoleArchive: 3, localcache.RoleJunk: 4, localcache.RoleTrash: 5,
}

func roleRank(role string) int {
	if r, ok := roleOrder[role]; ok {
		return r
	}
	return len(roleOrder)
}

// sortFolders puts special folders first in the usual order, then the others as a tree (a parent
// before its children, siblings by name, case-insensitively).
func sortFolders(fs []localcache.Folder) {
	slices.SortStableFunc(fs, func(a, b localcache.Folder) int {
		if ra, rb := roleRank(a.Role), roleRank(b.Role); ra != rb {
			return ra - rb
		}
		pa, pb := folderPath(a), folderPath(b)
		for i := 0; i < len(pa) && i < len(pb); i++ {
			if c := strings.Compare(strings.ToLower(pa[i]), strings.ToLower(pb[i])); c != 0 {
				return c
			}
		}
		return len(pa) - len(pb)
	})
}

func folderPath(f localcache.Folder) []string {
	if f.Delim == "" {
		return []string{f.Name}
	}
	return strings.Split(f.Name, f.Delim)
}

// roleName is the translated name of a special folder.
func roleName(role string) string {
	switch role {
	case localcache.RoleInbox:
		return tr("Inbox")
	case localcache.RoleDrafts:
		return tr("Drafts")
	case localcache.RoleSent:
		return tr("Sent")
	case localcache.RoleArchive:
		return tr("Archive")
	case localcache.RoleJunk:
		return tr("Junk")
	case localcache.RoleTrash:
		return tr("Trash")
	}
	return ""
}

// namespacePrefix is "INBOX" and the delimiter when every folder of an account but the inbox lies
// below INBOX: the personal namespace of servers such as Courier is "INBOX.", and its folders are
// shown without it, as Thunderbird does.
func namespacePrefix(fs []localcache.Folder) string {
	prefix, others := "", 0
	for _, f := range fs {
		if f.Role == localcache.RoleInbox || strings.EqualFold(f.Name, "INBOX") {
			continue
		}
		if f.Delim == "" || !strings.HasPrefix(f.Name, "INBOX"+f.Delim) || (prefix != "" && prefix != "INBOX"+f.Delim) {
			return ""
		}
		prefix = "INBOX" + f.Delim
		others++
	}
	if others == 0 {
		return ""
	}
	return prefix
}

// folderDisplay gives the name shown for a folder and how deep it is indented; prefix is the
// account's namespace prefix, not shown.
func folderDisplay(f localcache.Folder, prefix string) (string, int) {
	if n := roleName(f.Role); n != "" {
		return n, 0
	}
	if prefix != "" {
		f.Name = strings.TrimPrefix(f.Name, prefix)
	}
	path := folderPath(f)
	return path[len(path)-1], min(len(path)-1, 6)
}

func (p *folderPane) indexOf(key string) int {
	for i, e := range p.entries {
		if e.key() == key {
			return i
		}
	}
	return -1
}

// selectInitial opens the folder of the last session, else "All inboxes" or the first inbox.
func (p *folderPane) selectInitial() {
	if id := p.svc.prefs.LastFolder; id != 0 {
		if i := p.indexOf("folder:" + itoa(id)); i >= 0 {
			p.list.Select(i)
			return
		}
	}
	for i, e := range p.entries {
		if e.kind == entryAllInboxes || (e.kind == entryFolder && e.folder.Role == localcache.RoleInbox) {
			p.list.Select(i)
			return
		}
	}
	if len(p.entries) > 1 {
		p.list.Select(1)
	}
}

// reselect keeps the selection on the same folder after the list was rebuilt.
func (p *folderPane) reselect() {
	if p.selected == "" {
		return
	}
	i := p.indexOf(p.selected)
	if i < 0 {
		// The folder is gone (deleted elsewhere): fall back to the first inbox.
		p.selected = ""
		p.selectInitial()
		return
	}
	p.quiet = true
	p.list.Select(i)
	p.quiet = false
}

func (p *folderPane) onSelected(i widget.ListItemID) {
	if i < 0 || i >= len(p.entries) {
		return
	}
	e := p.entries[i]
	if e.kind == entryAccount {
		// An account row opens that account's inbox, as in Thunderbird's folder pane.
		for j := i + 1; j < len(p.entries) && p.entries[j].account == e.account; j++ {
			if p.entries[j].kind == entryFolder && p.entries[j].folder.Role == localcache.RoleInbox {
				p.list.Select(j)
				return
			}
		}
		if i+1 < len(p.entries) && p.entries[i+1].account == e.account {
			p.list.Select(i + 1)
			return
		}
	}
	if p.quiet || e.key() == p.selected {
		p.selected = e.key()
		return
	}
	p.selected = e.key()
	if e.kind == entryFolder {
		p.svc.prefs.LastFolder = e.folder.ID
	}
	p.hooks.opened(p.scopeOf(e), e.kind == entryOutbox)
}

func (p *folderPane) scopeOf(e folderEntry) listScope {
	s := listScope{key: e.key(), title: e.name, account: e.account}
	switch e.kind {
	case entryAllInboxes:
		for _, f := range p.folders {
			if f.Role == localcache.RoleInbox {
				s.folders = append(s.folders, f.ID)
			}
		}
	case entryFolder:
		s.folders = []int64{e.folder.ID}
	}
	return s
}

// current is the scope of the selected entry (for "search this folder").
func (p *folderPane) current() (listScope, bool) {
	i := p.indexOf(p.selected)
	if i < 0 {
		return listScope{}, false
	}
	return p.scopeOf(p.entries[i]), true
}

// counts sums the totals and unread counts of folders.
func (p *folderPane) counts(ids []int64) (total, unread int) {
	for _, f := range p.folders {
		if slices.Contains(ids, f.ID) {
			total += f.Total
			unread += f.Unread
		}
	}
	return total, unread
}

// foldersOf lists one account's folders among the folder pane's rows, in their order.
func foldersOf(rows []folderEntry, account string) []folderEntry {
	var out []folderEntry
	for _, e := range rows {
		if e.kind == entryFolder && e.account == account {
			out = append(out, e)
		}
	}
	return out
}

func (p *folderPane) setState(s types.ConnState) {
	p.states[s.Account] = s
	for i, e := range p.entries {
		if e.kind == entryAccount && e.account == s.Account {
			p.list.RefreshItem(i)
		}
	}
}

// folderRow draws one folder pane row: indentation, icon, name and unread count.
type folderRow struct {
	widget.BaseWidget
	icon   *widget.Icon
	name   *canvas.Text
	badge  *canvas.Rectangle
	count  *canvas.Text
	state  *widget.Icon
	pane   *folderPane // for the context menu
	index  int         // the entry this row shows
	full   string
	depth  int
	header bool
}

func newFolderRow() *folderRow {
	r := &folderRow{
		icon:  widget.NewIcon(theme.FolderIcon()),
		name:  canvas.NewText("", theme.Color(theme.ColorNameForeground)),
		badge: canvas.NewRectangle(color.Transparent),
		count: canvas.NewText("", theme.Color(theme.ColorNameForegroundOnPrimary)),
		state: widget.NewIcon(nil),
	}
	r.count.TextStyle.Bold = true
	r.count.Alignment = fyne.TextAlignCenter
	r.ExtendBaseWidget(r)
	return r
}

func (r *folderRow) set(e folderEntry, st types.ConnState) {
	r.depth = e.depth
	r.header = e.kind == entryAccount
	r.full = e.name
	r.name.TextStyle.Bold = e.unread > 0 || r.header
	switch e.kind {
	case entryAllInboxes:
		r.icon.SetResource(iconAllInboxes)
	case entryAccount:
		if e.account == types.LocalAccountName {
			r.icon.SetResource(theme.ComputerIcon())
		} else {
			r.icon.SetResource(theme.AccountIcon())
		}
	case entryOutbox:
		r.icon.SetResource(theme.MailSendIcon())
	default:
		r.icon.SetResource(folderIcon(e.folder.Role))
	}
	r.count.Text = ""
	if e.unread > 0 && !r.header {
		r.count.Text = formatCount(e.unread)
	}
	switch {
	case r.header && st.State == types.StateError:
		r.state.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
	case r.header && st.State == types.StateOffline:
		r.state.SetResource(theme.NewDisabledResource(theme.VisibilityOffIcon()))
	case e.failed > 0:
		r.state.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
	default:
		r.state.SetResource(nil)
	}
	r.Refresh()
}

// Tapped opens the folder. Without it a left click would stop at this row, which takes right
// clicks, and never reach the list item below it.
func (r *folderRow) Tapped(*fyne.PointEvent) {
	if r.pane == nil {
		return
	}
	l := r.pane.list
	l.Select(r.index)
	if c := fyne.CurrentApp().Driver().CanvasForObject(l); c != nil {
		c.Focus(l)
	}
}

// TappedSecondary opens the folder's context menu.
func (r *folderRow) TappedSecondary(ev *fyne.PointEvent) {
	if r.pane == nil {
		return
	}
	m := r.pane.contextMenu(r.index)
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if m == nil || c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(m, c, ev.AbsolutePosition)
}

func (r *folderRow) CreateRenderer() fyne.WidgetRenderer {
	return &folderRowRenderer{r: r}
}

type folderRowRenderer struct{ r *folderRow }

func (rr *folderRowRenderer) Objects() []fyne.CanvasObject {
	r := rr.r
	return []fyne.CanvasObject{r.icon, r.name, r.badge, r.count, r.state}
}

func (rr *folderRowRenderer) Destroy() {}

func (rr *folderRowRenderer) MinSize() fyne.Size {
	th := rr.r.Theme()
	pad := th.Size(theme.SizeNameInnerPadding)
	h := fyne.MeasureText("Ag", th.Size(theme.SizeNameText), fyne.TextStyle{Bold: true}).Height
	return fyne.NewSize(120, max(h, th.Size(theme.SizeNameInlineIcon))+pad)
}

func (rr *folderRowRenderer) Layout(size fyne.Size) {
	r := rr.r
	th := r.Theme()
	pad := th.Size(theme.SizeNamePadding)
	inner := th.Size(theme.SizeNameInnerPadding)
	iconSize := th.Size(theme.SizeNameInlineIcon)
	x := inner + float32(r.depth)*iconSize*0.75
	if r.header {
		x = pad
	}
	r.icon.Resize(fyne.NewSquareSize(iconSize))
	r.icon.Move(fyne.NewPos(x, (size.Height-iconSize)/2))
	x += iconSize + pad*1.5

	right := size.Width - inner
	if r.count.Text != "" {
		cs := fyne.MeasureText(r.count.Text, r.count.TextSize, r.count.TextStyle)
		bw := max(cs.Width+inner*1.5, cs.Height+pad)
		bh := cs.Height + pad/2
		r.badge.Resize(fyne.NewSize(bw, bh))
		r.badge.Move(fyne.NewPos(right-bw, (size.Height-bh)/2))
		r.count.Resize(fyne.NewSize(bw, cs.Height))
		r.count.Move(fyne.NewPos(right-bw, (size.Height-cs.Height)/2))
		right -= bw + pad
	}
	if r.state.Resource != nil {
		r.state.Resize(fyne.NewSquareSize(iconSize * 0.8))
		r.state.Move(fyne.NewPos(right-iconSize*0.8, (size.Height-iconSize*0.8)/2))
		right -= iconSize*0.8 + pad
	}
	r.name.Text = ellipsize(r.full, right-x, r.name.TextSize, r.name.TextStyle)
	ns := fyne.MeasureText(r.name.Text, r.name.TextSize, r.name.TextStyle)
	r.name.Move(fyne.NewPos(x, (size.Height-ns.Height)/2))
	r.name.Resize(ns)
	r.name.Refresh()
}

func (rr *folderRowRenderer) Refresh() {
	r := rr.r
	th := r.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.name.Color = th.Color(theme.ColorNameForeground, v)
	r.name.TextSize = th.Size(theme.SizeNameText)
	r.count.Color = th.Color(theme.ColorNameForegroundOnPrimary, v)
	r.count.TextSize = th.Size(theme.SizeNameCaptionText)
	r.badge.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.badge.CornerRadius = th.Size(theme.SizeNameSelectionRadius) * 2
	if r.count.Text == "" {
		r.badge.Hide()
		r.count.Hide()
	} else {
		r.badge.Show()
		r.count.Show()
	}
	if r.state.Resource == nil {
		r.state.Hide()
	} else {
		r.state.Show()
	}
	rr.Layout(r.Size())
	r.badge.Refresh()
	r.count.Refresh()
}

// contextMenu is the right-click menu of a folder pane row: new folder (under a folder, or at the top
// for an account row), rename and delete. Special folders and account rows cannot be renamed or
// deleted; the Manager refuses that too, the menu just does not offer it.
func (p *folderPane) contextMenu(i int) *fyne.Menu {
	if i < 0 || i >= len(p.entries) || p.entries[i].kind == entryAllInboxes || p.entries[i].kind == entryOutbox {
		return nil
	}
	e := p.entries[i]
	editable := e.kind == entryFolder && e.folder.Role == ""
	item := func(label string, icon fyne.Resource, enabled bool, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Icon, it.Disabled = icon, !enabled
		return it
	}
	items := []*fyne.MenuItem{
		item(tr("New folder…"), theme.FolderNewIcon(), true, func() { p.askNewFolder(e) }),
		item(tr("Rename…"), theme.DocumentCreateIcon(), editable, func() { p.askRename(e) }),
		item(tr("Delete…"), theme.DeleteIcon(), editable, func() { p.askDelete(e) }),
	}
	if e.account != types.LocalAccountName {
		items = append(items, item(tr("New folder on this computer…"), theme.ComputerIcon(), true, p.askLocalFolder))
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		p.hooks.exportItem(e),
		item(tr("Run filters now"), theme.MediaPlayIcon(), e.kind == entryFolder, func() { p.hooks.runFilters(e.folder.ID) }))
	if acc, ok := p.svc.deps.Manager.Account(e.account); ok && e.kind == entryAccount && !p.svc.deps.Manager.KeepsMailOnServer(acc.Kind) && acc.Sends() {
		items = append(items, fyne.NewMenuItemSeparator(),
			item(tr("Move this account to IMAP…"), theme.UploadIcon(), true, func() { p.hooks.moveToIMAP(e.account) }))
	}
	return fyne.NewMenu("", items...)
}

// askLocalFolder asks for the name of a new top folder on this computer, setting up the account
// that holds them first when there is none yet.
func (p *folderPane) askLocalFolder() {
	p.svc.tasks.writes.post("", func(ctx context.Context) {
		local, err := p.svc.deps.Manager.LocalAccount(ctx)
		p.svc.exec(func() {
			if err != nil {
				p.svc.showError("", err)
				return
			}
			p.askNewFolder(folderEntry{kind: entryAccount, account: local.Name, name: accountLabel(local.Name)})
		})
	})
}

// runFilters runs the message filters on a folder's mail, off the UI goroutine.
func (u *ui) runFilters(folderID int64) {
	u.tasks.writes.post("", func(ctx context.Context) {
		if err := u.deps.Manager.RunFiltersOn(ctx, folderID); err != nil {
			u.exec(func() { u.showError("", err) })
		}
	})
}

// askNewFolder asks for a name and creates the folder under e's folder (at the top for an account
// row, or when the account has no hierarchy delimiter).
func (p *folderPane) askNewFolder(e folderEntry) {
	title, prefix, delim := tr("New folder"), "", p.delimiter(e.account)
	if e.kind == entryFolder && e.folder.Delim != "" {
		delim = e.folder.Delim
		prefix = e.folder.Name + delim
		title = tr("New folder in “{{.Parent}}”", map[string]any{"Parent": e.name})
	}
	p.askName(title, tr("Create"), "", e.account, prefix, delim, func(name string) {
		p.svc.do(types.CreateFolder{Account: e.account, Name: prefix + name})
	})
}

// askRename asks for a folder's new name; it stays where it is in the tree.
func (p *folderPane) askRename(e folderEntry) {
	if e.kind != entryFolder || e.folder.Role != "" {
		return
	}
	prefix := ""
	if path := folderPath(e.folder); len(path) > 1 {
		prefix = strings.Join(path[:len(path)-1], e.folder.Delim) + e.folder.Delim
	}
	p.askName(tr("Rename folder"), tr("Rename"), e.name, e.account, prefix, e.folder.Delim, func(name string) {
		if prefix+name != e.folder.Name {
			p.svc.do(types.RenameFolder{FolderID: e.folder.ID, NewName: prefix + name})
		}
	})
}

// askDelete asks before deleting a folder with the messages in it.
func (p *folderPane) askDelete(e folderEntry) {
	if e.kind != entryFolder || e.folder.Role != "" {
		return
	}
	msg := trN("Delete the folder “{{.Name}}” and the {{.Count}} messages in it?", e.total,
		map[string]any{"Name": e.name, "Count": formatCount(e.total)})
	d := dialog.NewConfirm(tr("Delete folder"), msg, func(ok bool) {
		if ok {
			p.svc.do(types.DeleteFolder{FolderID: e.folder.ID})
		}
	}, p.svc.win)
	d.SetConfirmText(tr("Delete"))
	d.SetDismissText(tr("Cancel"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// askName shows a dialog with one name field; done gets the trimmed name once it is valid: not
// empty, without the hierarchy delimiter, and not the name of another folder of the account.
func (p *folderPane) askName(title, confirm, initial, account, prefix, delim string, done func(string)) {
	entry := widget.NewEntry()
	entry.SetText(initial)
	entry.Validator = func(s string) error {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return errors.New(tr("Enter a name."))
		case delim != "" && strings.Contains(s, delim):
			return errors.New(tr("A folder name cannot contain “{{.Delim}}”.", map[string]any{"Delim": delim}))
		case s != initial && p.hasFolder(account, prefix+s):
			return errors.New(tr("There is already a folder with this name."))
		}
		return nil
	}
	d := dialog.NewForm(title, confirm, tr("Cancel"), []*widget.FormItem{widget.NewFormItem(tr("Name"), entry)},
		func(ok bool) {
			if ok && entry.Validate() == nil {
				done(strings.TrimSpace(entry.Text))
			}
		}, p.svc.win)
	d.Resize(fyne.NewSize(380, d.MinSize().Height))
	d.Show()
	p.svc.win.Canvas().Focus(entry)
}

func (p *folderPane) hasFolder(account, name string) bool {
	for _, f := range p.folders {
		if f.Account == account && f.Name == name {
			return true
		}
	}
	return false
}

// delimiter is the hierarchy delimiter the account's folders use ("" when none is known).
func (p *folderPane) delimiter(account string) string {
	for _, f := range p.folders {
		if f.Account == account && f.Delim != "" {
			return f.Delim
		}
	}
	return ""
}
