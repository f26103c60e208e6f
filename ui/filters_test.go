package ui

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/rules"
)

// The filters editor builds a rule from its conditions and actions, refuses an incomplete one in
// words, saves through the Manager (and so to the rules file), and toggles, reorders and deletes
// rules; "Run filters now" on a folder runs them.
func TestFiltersEditor(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox, ids := seedInbox(h, 3)
	h.folder("work", "Receipts", "")
	p := h.openPreferences()
	test.Tap(buttonLabelled(t, p.win.Content(), "Edit filters…"))
	f := h.u.filtersWin
	if f == nil || !f.empty.Visible() || !f.edit.Disabled() {
		t.Fatal("an empty filters editor does not say so")
	}

	// A new filter: from contains "sender1", or a header; move to Receipts, flag.
	test.Tap(f.add)
	e := f.editor
	if e == nil || len(e.conds) != 1 || len(e.acts) != 1 {
		t.Fatal("no rule editor with one condition and one action")
	}
	test.Tap(e.save)
	if !e.problem.Visible() || e.problem.Text != "Give the filter a name." {
		t.Fatalf("an unnamed filter: %q", e.problem.Text)
	}
	test.Type(e.name, "Receipts")
	test.Type(e.conds[0].value, "sender1")
	test.Tap(e.save)
	if e.problem.Text != "Choose the folder to move or copy to." {
		t.Fatalf("a move without a folder: %q", e.problem.Text)
	}
	e.acts[0].folder.SetSelected("work: Receipts")
	test.Tap(buttonLabelled(t, e.win.Content(), "Add condition"))
	c := e.conds[1]
	c.field.SetSelected("Header")
	if !c.headerBox.Visible() || c.op.Selected != "contains" {
		t.Fatal("a header condition shows no header name")
	}
	test.Type(c.header, "List-Id")
	test.Type(c.value, "shop")
	e.match.SetSelected("any of the conditions")
	test.Tap(buttonLabelled(t, e.win.Content(), "Add action"))
	e.acts[1].kind.SetSelected("Flag")
	if e.acts[1].folder.Visible() || e.acts[1].keyword.Visible() {
		t.Fatal("a flag action asks for a folder or a tag")
	}
	test.Tap(e.save)
	h.settle()
	want := rules.Rule{Name: "Receipts", Enabled: true, Match: rules.MatchAny,
		Conditions: []rules.Condition{
			{Field: rules.FieldFrom, Op: rules.OpContains, Value: "sender1"},
			{Field: rules.FieldHeader, Header: "List-Id", Op: rules.OpContains, Value: "shop"},
		},
		Actions: []rules.Action{{Kind: rules.ActMove, Folder: &rules.Folder{Account: "work", Name: "Receipts"}}, {Kind: rules.ActFlag}}}
	got := h.mgr.Rules()
	if len(got.Rules) != 1 || !sameRule(got.Rules[0], want) {
		t.Fatalf("saved rules %+v", got)
	}
	if f.editor != nil || f.empty.Visible() {
		t.Fatal("the editor stays open after Save, or the list still says it is empty")
	}
	// Edit shows the saved rule as it was made.
	f.list.Select(0)
	test.Tap(f.edit)
	if again := f.editor.rule(); !sameRule(again, want) {
		t.Fatalf("the editor shows %+v", again)
	}
	f.editor.win.Close()
	f.list.UnselectAll()

	// A second filter; reorder, toggle, and the file holds what the list shows.
	f.openEditor(-1)
	test.Type(f.editor.name, "Big")
	f.editor.conds[0].field.SetSelected("Size (KB)")
	test.Type(f.editor.conds[0].value, "many")
	test.Tap(f.editor.save)
	if f.editor.problem.Text != "The size is a whole number of KB." {
		t.Fatalf("a size in words: %q", f.editor.problem.Text)
	}
	f.editor.conds[0].value.SetText("500")
	f.editor.acts[0].kind.SetSelected("Add tag")
	test.Type(f.editor.acts[0].keyword, "big")
	test.Tap(f.editor.save)
	h.settle()
	f.list.Select(1)
	test.Tap(f.up)
	h.settle()
	if names := ruleNames(h.mgr.Rules()); names != "Big,Receipts" || f.selected != 0 {
		t.Fatalf("after Move up: %s, selected %d", names, f.selected)
	}
	f.setEnabled(0, false)
	h.settle()
	onDisk, err := accounts.LoadRules(filepath.Join(h.cache.Dir(), "rules.json"))
	if err != nil || ruleNames(onDisk) != "Big,Receipts" || onDisk.Rules[0].Enabled || !onDisk.Rules[1].Enabled {
		t.Fatalf("rules file: %+v, %v", onDisk, err)
	}

	// Run filters now on the inbox: sender1's message moves to Receipts, flagged.
	pane := h.u.folders
	m := pane.contextMenu(entryIndex(t, pane, entryFolder, "Inbox"))
	run := m.Items[len(m.Items)-1]
	if run.Label != "Run filters now" || run.Disabled {
		t.Fatalf("folder menu ends with %+v", run)
	}
	run.Action()
	h.settle()
	if err := h.mgr.RunFilters(context.Background()); err != nil {
		t.Fatal(err)
	}
	receipts, _ := h.cache.FolderByName(context.Background(), "work", "Receipts")
	if msg := h.message(ids[1]); msg.FolderID != receipts.ID || !msg.Flags.Has(localcache.FlagFlagged) {
		t.Fatalf("sender1's message: folder %d (Receipts %d, Inbox %d), flags %v", msg.FolderID, receipts.ID, inbox.ID, msg.Flags)
	}
	if msg := h.message(ids[0]); msg.FolderID != inbox.ID {
		t.Fatal("another sender's message moved")
	}

	// Delete.
	f.list.Select(0)
	test.Tap(f.remove)
	h.settle()
	if names := ruleNames(h.mgr.Rules()); names != "Receipts" {
		t.Fatalf("after Delete: %s", names)
	}
	f.win.Close()
	if h.u.filtersWin != nil {
		t.Fatal("the editor stays registered after closing")
	}
}

// TestFiltersScreenshots renders the filters list and a rule in the editor in the language of the
// process (TestFiltersScreenshotsInDutch runs it again in Dutch).
func TestFiltersScreenshots(t *testing.T) {
	h := demoHarness(t, theme.VariantLight)
	h.folder("work", "Receipts", "")
	receipts := &rules.Folder{Account: "work", Name: "Receipts"}
	if err := h.mgr.SetRules(rules.Set{Rules: []rules.Rule{
		{Name: "Receipts", Enabled: true, Match: rules.MatchAny,
			Conditions: []rules.Condition{
				{Field: rules.FieldFrom, Op: rules.OpEndsWith, Value: "@shop.example"},
				{Field: rules.FieldHeader, Header: "List-Id", Op: rules.OpContains, Value: "receipts"},
				{Field: rules.FieldAttachment, Op: rules.OpIs},
			},
			Actions: []rules.Action{{Kind: rules.ActMarkRead}, {Kind: rules.ActTag, Keyword: "receipt"}, {Kind: rules.ActMove, Folder: receipts}}},
		{Name: "Newsletters", Enabled: true, Match: rules.MatchAll,
			Conditions: []rules.Condition{{Field: rules.FieldSubject, Op: rules.OpStartsWith, Value: "[news]"}},
			Actions:    []rules.Action{{Kind: rules.ActJunk}, {Kind: rules.ActStop}}},
		{Name: "Large attachments", Enabled: false, Match: rules.MatchAll,
			Conditions: []rules.Condition{{Field: rules.FieldSize, Op: rules.OpGreater, Value: "5000"}},
			Actions:    []rules.Action{{Kind: rules.ActFlag}}},
	}}); err != nil {
		t.Fatal(err)
	}
	h.u.openFilters()
	f := h.u.filtersWin
	savePNG(t, f.win.Canvas().Capture(), "filters"+langSuffix()+".png")
	f.openEditor(0)
	savePNG(t, f.editor.win.Canvas().Capture(), "filter-editor"+langSuffix()+".png")
}

func TestFiltersScreenshotsInDutch(t *testing.T) {
	screenshotInDutch(t, "TestFiltersScreenshots", "filters-nl.png", "filter-editor-nl.png")
}

func ruleNames(s rules.Set) string {
	var out string
	for i, r := range s.Rules {
		if i > 0 {
			out += ","
		}
		out += r.Name
	}
	return out
}

func sameRule(a, b rules.Rule) bool {
	x, _ := rules.Set{Rules: []rules.Rule{a}}.Marshal()
	y, _ := rules.Set{Rules: []rules.Rule{b}}.Marshal()
	return string(x) == string(y)
}

// buttonLabelled finds the button with that text in o.
func buttonLabelled(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}
