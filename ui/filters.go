package ui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/rules"
	"postbode/types"
)

// filtersWindow is the message filters editor: the ordered list of rules, each with its enable
// toggle, and buttons to add, edit, delete and reorder them. Every change is saved at once
// through the Manager, which validates the rules and writes them to the profile.
type filtersWindow struct {
	u        *ui
	win      fyne.Window
	set      rules.Set
	selected int // -1: none
	list     *widget.List
	empty    *widget.Label
	add      *widget.Button
	edit     *widget.Button
	remove   *widget.Button
	up, down *widget.Button
	editor   *ruleEditor // the open rule editor, if any
}

func (u *ui) openFilters() {
	if u.filtersWin != nil {
		u.filtersWin.win.RequestFocus()
		return
	}
	f := &filtersWindow{u: u, set: u.deps.Manager.Rules(), selected: -1}
	u.filtersWin = f
	f.win = u.app.NewWindow(tr("Message filters"))
	f.list = widget.NewList(func() int { return len(f.set.Rules) },
		func() fyne.CanvasObject {
			return container.NewBorder(nil, nil, widget.NewCheck("", nil), nil, widget.NewLabel(""))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			label, check := row.Objects[0].(*widget.Label), row.Objects[1].(*widget.Check)
			r := f.set.Rules[i]
			label.SetText(r.Name)
			check.OnChanged = nil
			check.SetChecked(r.Enabled)
			check.OnChanged = func(on bool) { f.setEnabled(i, on) }
		})
	f.list.OnSelected = func(i widget.ListItemID) { f.selected = i; f.refreshButtons() }
	f.list.OnUnselected = func(widget.ListItemID) { f.selected = -1; f.refreshButtons() }
	// Texts here do not wrap: a wrapped text's height follows its width, and the list's
	// relayouts would move everything down.
	f.empty = widget.NewLabel(tr("No filters yet.\nAdd one to move mail from a sender into a folder, for example."))

	f.add = widget.NewButtonWithIcon(tr("New filter…"), theme.ContentAddIcon(), func() { f.openEditor(-1) })
	f.edit = widget.NewButtonWithIcon(tr("Edit…"), theme.DocumentCreateIcon(), func() { f.openEditor(f.selected) })
	f.remove = widget.NewButtonWithIcon(tr("Delete"), theme.DeleteIcon(), f.deleteSelected)
	f.up = widget.NewButtonWithIcon(tr("Move up"), theme.MoveUpIcon(), func() { f.moveSelected(-1) })
	f.down = widget.NewButtonWithIcon(tr("Move down"), theme.MoveDownIcon(), func() { f.moveSelected(1) })
	side := container.NewVBox(f.add, f.edit, f.remove, widget.NewSeparator(), f.up, f.down)
	note := widget.NewLabel(tr("Filters run from top to bottom on new mail in the inboxes,\nand on any folder with “Run filters now” in its menu."))
	closeButton := widget.NewButton(tr("Close"), f.win.Close)
	content := container.NewBorder(note, container.NewHBox(layout.NewSpacer(), closeButton), nil, side,
		container.NewStack(f.list, container.NewPadded(f.empty)))
	f.win.SetContent(container.NewPadded(content))
	f.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			f.win.Close()
		}
	})
	f.win.SetOnClosed(func() {
		if f.editor != nil {
			f.editor.win.Close()
		}
		u.filtersWin = nil
	})
	f.refreshButtons()
	f.win.Resize(fyne.NewSize(620, 420))
	f.win.Show()
}

func (f *filtersWindow) refreshButtons() {
	sel := f.selected >= 0 && f.selected < len(f.set.Rules)
	for _, b := range []*widget.Button{f.edit, f.remove} {
		if sel {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if sel && f.selected > 0 {
		f.up.Enable()
	} else {
		f.up.Disable()
	}
	if sel && f.selected < len(f.set.Rules)-1 {
		f.down.Enable()
	} else {
		f.down.Disable()
	}
	if len(f.set.Rules) == 0 {
		f.empty.Show()
	} else {
		f.empty.Hide()
	}
}

// save hands the rules to the Manager off the UI goroutine; a failure is shown in a banner.
func (f *filtersWindow) save() {
	set := rules.Set{Rules: slices.Clone(f.set.Rules)}
	f.u.tasks.writes.post("", func(ctx context.Context) {
		if err := f.u.deps.Manager.SetRules(set); err != nil {
			f.u.exec(func() { f.u.showError("", err) })
		}
	})
	f.list.Refresh()
	f.refreshButtons()
}

func (f *filtersWindow) setEnabled(i int, on bool) {
	if i < len(f.set.Rules) && f.set.Rules[i].Enabled != on {
		f.set.Rules[i].Enabled = on
		f.save()
	}
}

func (f *filtersWindow) deleteSelected() {
	if f.selected < 0 || f.selected >= len(f.set.Rules) {
		return
	}
	f.set.Rules = slices.Delete(f.set.Rules, f.selected, f.selected+1)
	f.list.UnselectAll()
	f.selected = -1
	f.save()
}

func (f *filtersWindow) moveSelected(by int) {
	i, j := f.selected, f.selected+by
	if i < 0 || j < 0 || j >= len(f.set.Rules) {
		return
	}
	f.set.Rules[i], f.set.Rules[j] = f.set.Rules[j], f.set.Rules[i]
	f.save()
	f.list.Select(j)
}

// ruleEditor edits one rule in a window of its own; Save puts it in the list (index -1: a new one
// at the end).
type ruleEditor struct {
	f       *filtersWindow
	index   int
	win     fyne.Window
	name    *widget.Entry
	match   *widget.RadioGroup
	conds   []*condRow
	acts    []*actRow
	condBox *fyne.Container
	actBox  *fyne.Container
	scroll  *container.Scroll
	problem *widget.Label
	save    *widget.Button
	// folders are the choices of a move or copy, "account: folder", with what each names.
	folderLabels []string
	folders      []rules.Folder
	accounts     []string
}

type condRow struct {
	field     *widget.Select
	header    *widget.Entry
	headerBox *fyne.Container // the header name's room, hidden with it
	op        *widget.Select
	value     *widget.Entry
	account   *widget.Select
	box       *fyne.Container
}

type actRow struct {
	kind    *widget.Select
	folder  *widget.Select
	keyword *widget.Entry
	box     *fyne.Container
}

func fieldLabel(f rules.Field) string {
	switch f {
	case rules.FieldFrom:
		return tr("From")
	case rules.FieldToCc:
		return tr("To or Cc")
	case rules.FieldSubject:
		return tr("Subject")
	case rules.FieldHeader:
		return tr("Header")
	case rules.FieldSize:
		return tr("Size (KB)")
	case rules.FieldAttachment:
		return tr("Has attachments")
	case rules.FieldAccount:
		return tr("Account")
	}
	return string(f)
}

func opLabel(f rules.Field, op rules.Op) string {
	if f == rules.FieldAttachment {
		if op == rules.OpIs {
			return tr("yes")
		}
		return tr("no")
	}
	switch op {
	case rules.OpContains:
		return tr("contains")
	case rules.OpNotContains:
		return tr("does not contain")
	case rules.OpIs:
		return tr("is")
	case rules.OpIsNot:
		return tr("is not")
	case rules.OpStartsWith:
		return tr("starts with")
	case rules.OpEndsWith:
		return tr("ends with")
	case rules.OpGreater:
		return tr("is more than")
	case rules.OpLess:
		return tr("is less than")
	}
	return string(op)
}

func actionLabel(k rules.ActionKind) string {
	switch k {
	case rules.ActMove:
		return tr("Move to folder")
	case rules.ActCopy:
		return tr("Copy to folder")
	case rules.ActMarkRead:
		return tr("Mark as read")
	case rules.ActFlag:
		return tr("Flag")
	case rules.ActTag:
		return tr("Add tag")
	case rules.ActDelete:
		return tr("Delete")
	case rules.ActJunk:
		return tr("Mark as junk")
	case rules.ActStop:
		return tr("Stop processing later filters")
	}
	return string(k)
}

func (f *filtersWindow) openEditor(index int) {
	if f.editor != nil {
		f.editor.win.Close()
	}
	e := &ruleEditor{f: f, index: index}
	f.editor = e
	e.loadFolders()
	rule := rules.Rule{Enabled: true, Match: rules.MatchAll,
		Conditions: []rules.Condition{{Field: rules.FieldFrom, Op: rules.OpContains}},
		Actions:    []rules.Action{{Kind: rules.ActMove}}}
	title := tr("New filter")
	if index >= 0 && index < len(f.set.Rules) {
		rule, title = f.set.Rules[index], tr("Edit filter")
	}
	e.win = f.u.app.NewWindow(title)
	e.name = widget.NewEntry()
	e.name.SetPlaceHolder(tr("Name of the filter"))
	e.name.SetText(rule.Name)
	all, anyOne := tr("all of the conditions"), tr("any of the conditions")
	e.match = widget.NewRadioGroup([]string{all, anyOne}, nil)
	e.match.Horizontal = true
	e.match.Required = true
	e.match.SetSelected(map[rules.Match]string{rules.MatchAll: all, rules.MatchAny: anyOne}[rule.Match])
	e.condBox, e.actBox = container.NewVBox(), container.NewVBox()
	for _, c := range rule.Conditions {
		e.addCondition(c)
	}
	for _, a := range rule.Actions {
		e.addAction(a)
	}
	addCond := widget.NewButtonWithIcon(tr("Add condition"), theme.ContentAddIcon(), func() {
		e.addCondition(rules.Condition{Field: rules.FieldFrom, Op: rules.OpContains})
	})
	addAct := widget.NewButtonWithIcon(tr("Add action"), theme.ContentAddIcon(), func() {
		e.addAction(rules.Action{Kind: rules.ActMarkRead})
	})
	e.problem = widget.NewLabel("")
	e.problem.Importance = widget.DangerImportance
	e.problem.Hide()
	e.save = widget.NewButton(tr("Save"), e.apply)
	e.save.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("Cancel"), e.win.Close)
	body := container.NewVBox(
		widget.NewForm(widget.NewFormItem(tr("Name"), e.name), widget.NewFormItem(tr("Match"), e.match)),
		heading(tr("Conditions")), e.condBox, container.NewHBox(addCond),
		heading(tr("Actions")), e.actBox, container.NewHBox(addAct),
		e.problem,
	)
	buttons := container.NewHBox(layout.NewSpacer(), cancel, e.save)
	e.scroll = container.NewVScroll(body)
	e.win.SetContent(container.NewPadded(container.NewBorder(nil, buttons, nil, nil, e.scroll)))
	e.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			e.win.Close()
		}
	})
	e.win.SetOnClosed(func() {
		if f.editor == e {
			f.editor = nil
		}
	})
	e.win.Resize(fyne.NewSize(760, 560))
	e.win.Show()
}

// loadFolders lists every account's folders as the choices of a move or copy.
func (e *ruleEditor) loadFolders() {
	accs := e.f.u.deps.Manager.Accounts()
	slices.SortFunc(accs, func(a, b types.Account) int { return strings.Compare(a.Name, b.Name) })
	for _, acc := range accs {
		e.accounts = append(e.accounts, acc.Name)
		folders, err := e.f.u.deps.Cache.Folders(e.f.u.ctx, acc.Name)
		if err != nil {
			e.f.u.showError(acc.Name, err)
			continue
		}
		for _, fo := range folders {
			e.folders = append(e.folders, rules.Folder{Account: acc.Name, Name: fo.Name})
			e.folderLabels = append(e.folderLabels, acc.Name+": "+fo.Name)
		}
	}
}

func (e *ruleEditor) addCondition(c rules.Condition) {
	r := &condRow{header: widget.NewEntry(), value: widget.NewEntry(), op: widget.NewSelect(nil, nil),
		account: widget.NewSelect(e.accounts, nil)}
	r.header.SetPlaceHolder(tr("Header name"))
	r.header.SetText(c.Header)
	r.headerBox = fixedWidth(150, r.header)
	labels := make([]string, len(rules.Fields))
	for i, fl := range rules.Fields {
		labels[i] = fieldLabel(fl)
	}
	r.field = widget.NewSelect(labels, func(string) { e.fieldChanged(r, "") })
	r.field.SetSelectedIndex(max(0, slices.Index(rules.Fields, c.Field)))
	e.fieldChanged(r, c.Op)
	if c.Field == rules.FieldAccount {
		r.account.SetSelected(c.Value)
	} else {
		r.value.SetText(c.Value)
	}
	remove := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), nil)
	r.box = container.NewBorder(nil, nil, container.NewHBox(fixedWidth(170, r.field), r.headerBox, fixedWidth(170, r.op)), remove,
		container.NewStack(r.value, r.account))
	remove.OnTapped = func() {
		e.conds = slices.DeleteFunc(e.conds, func(x *condRow) bool { return x == r })
		e.condBox.Remove(r.box)
		e.relayout()
	}
	e.conds = append(e.conds, r)
	e.condBox.Add(r.box)
	e.fieldChanged(r, c.Op)
	e.relayout()
}

// fixedWidth gives o a width of its own, so that a choice is not cut short.
func fixedWidth(w float32, o fyne.CanvasObject) *fyne.Container {
	return container.NewGridWrap(fyne.NewSize(w, o.MinSize().Height), o)
}

// relayout fits the editor's content after rows come or go.
func (e *ruleEditor) relayout() {
	if e.scroll != nil {
		e.scroll.Content.Refresh()
		e.scroll.Refresh()
	}
}

// fieldChanged offers the comparisons of the row's field and the inputs it needs; op is kept
// when the field allows it.
func (e *ruleEditor) fieldChanged(r *condRow, op rules.Op) {
	field := r.fieldValue()
	ops := rules.OpsFor(field)
	labels := make([]string, len(ops))
	for i, o := range ops {
		labels[i] = opLabel(field, o)
	}
	if op == "" && r.op.SelectedIndex() >= 0 && r.op.SelectedIndex() < len(ops) {
		op = ops[r.op.SelectedIndex()]
	}
	r.op.SetOptions(labels)
	r.op.SetSelectedIndex(max(0, slices.Index(ops, op)))
	show := func(o fyne.CanvasObject, on bool) {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
	show(r.headerBox, field == rules.FieldHeader)
	show(r.value, field != rules.FieldAttachment && field != rules.FieldAccount)
	show(r.account, field == rules.FieldAccount)
}

func (r *condRow) fieldValue() rules.Field {
	if i := r.field.SelectedIndex(); i >= 0 {
		return rules.Fields[i]
	}
	return rules.FieldFrom
}

func (r *condRow) condition() rules.Condition {
	c := rules.Condition{Field: r.fieldValue()}
	if i := r.op.SelectedIndex(); i >= 0 {
		c.Op = rules.OpsFor(c.Field)[i]
	}
	switch c.Field {
	case rules.FieldHeader:
		c.Header, c.Value = strings.TrimSpace(r.header.Text), r.value.Text
	case rules.FieldAccount:
		c.Value = r.account.Selected
	case rules.FieldAttachment:
	case rules.FieldSize:
		c.Value = strings.TrimSpace(r.value.Text)
	default:
		c.Value = r.value.Text
	}
	return c
}

func (e *ruleEditor) addAction(a rules.Action) {
	r := &actRow{folder: widget.NewSelect(e.folderLabels, nil), keyword: widget.NewEntry()}
	r.folder.PlaceHolder = tr("Choose a folder")
	r.keyword.SetPlaceHolder(tr("Tag"))
	r.keyword.SetText(a.Keyword)
	if a.Folder != nil {
		r.folder.SetSelectedIndex(slices.Index(e.folders, *a.Folder))
	}
	labels := make([]string, len(rules.ActionKinds))
	for i, k := range rules.ActionKinds {
		labels[i] = actionLabel(k)
	}
	r.kind = widget.NewSelect(labels, func(string) { r.kindChanged() })
	r.kind.SetSelectedIndex(max(0, slices.Index(rules.ActionKinds, a.Kind)))
	remove := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), nil)
	r.box = container.NewBorder(nil, nil, fixedWidth(260, r.kind), remove, container.NewStack(r.folder, r.keyword))
	remove.OnTapped = func() {
		e.acts = slices.DeleteFunc(e.acts, func(x *actRow) bool { return x == r })
		e.actBox.Remove(r.box)
		e.relayout()
	}
	r.kindChanged()
	e.acts = append(e.acts, r)
	e.actBox.Add(r.box)
	e.relayout()
}

func (r *actRow) kindValue() rules.ActionKind {
	if i := r.kind.SelectedIndex(); i >= 0 {
		return rules.ActionKinds[i]
	}
	return rules.ActMarkRead
}

func (r *actRow) kindChanged() {
	k := r.kindValue()
	if k == rules.ActMove || k == rules.ActCopy {
		r.folder.Show()
	} else {
		r.folder.Hide()
	}
	if k == rules.ActTag {
		r.keyword.Show()
	} else {
		r.keyword.Hide()
	}
}

func (e *ruleEditor) action(r *actRow) rules.Action {
	a := rules.Action{Kind: r.kindValue()}
	switch a.Kind {
	case rules.ActMove, rules.ActCopy:
		if i := r.folder.SelectedIndex(); i >= 0 {
			a.Folder = &e.folders[i]
		}
	case rules.ActTag:
		a.Keyword = strings.TrimSpace(r.keyword.Text)
	}
	return a
}

// rule is what the editor holds now.
func (e *ruleEditor) rule() rules.Rule {
	r := rules.Rule{Name: strings.TrimSpace(e.name.Text), Enabled: true, Match: rules.MatchAll}
	if e.index >= 0 && e.index < len(e.f.set.Rules) {
		r.Enabled = e.f.set.Rules[e.index].Enabled
	}
	if e.match.Selected == tr("any of the conditions") {
		r.Match = rules.MatchAny
	}
	for _, c := range e.conds {
		r.Conditions = append(r.Conditions, c.condition())
	}
	for _, a := range e.acts {
		r.Actions = append(r.Actions, e.action(a))
	}
	return r
}

// apply checks the rule, says what is wrong in words of the editor, or puts it in the list.
func (e *ruleEditor) apply() {
	r := e.rule()
	if msg := e.problemOf(r); msg != "" {
		e.problem.SetText(msg)
		e.problem.Show()
		return
	}
	if e.index >= 0 && e.index < len(e.f.set.Rules) {
		e.f.set.Rules[e.index] = r
	} else {
		e.f.set.Rules = append(e.f.set.Rules, r)
	}
	e.f.save()
	e.win.Close()
}

// problemOf words the first thing that keeps the rule from being saved ("" when none).
func (e *ruleEditor) problemOf(r rules.Rule) string {
	if r.Name == "" {
		return tr("Give the filter a name.")
	}
	if len(r.Conditions) == 0 {
		return tr("Add at least one condition.")
	}
	for _, c := range r.Conditions {
		if c.Validate() == nil {
			continue
		}
		switch c.Field {
		case rules.FieldHeader:
			return tr("Fill in the name of the header, such as List-Id.")
		case rules.FieldSize:
			return tr("The size is a whole number of KB.")
		case rules.FieldAccount:
			return tr("Choose an account.")
		}
	}
	if len(r.Actions) == 0 {
		return tr("Add at least one action.")
	}
	for _, a := range r.Actions {
		if a.Validate() == nil {
			continue
		}
		if a.Kind == rules.ActTag {
			return tr("A tag is one word of letters and digits.")
		}
		return tr("Choose the folder to move or copy to.")
	}
	if err := r.Validate(); err != nil {
		return err.Error()
	}
	return ""
}
