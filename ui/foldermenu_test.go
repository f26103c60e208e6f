package ui

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/types"
)

// entryIndex finds a folder pane row by its shown name and kind.
func entryIndex(t *testing.T, p *folderPane, kind entryKind, name string) int {
	t.Helper()
	for i, e := range p.entries {
		if e.kind == kind && e.name == name {
			return i
		}
	}
	t.Fatalf("no folder pane row %q", name)
	return -1
}

// overlayWidgets returns the entry and the button labelled button in the topmost overlay.
func overlayWidgets(t *testing.T, h *harness, button string) (*widget.Entry, *widget.Button) {
	t.Helper()
	over := h.u.win.Canvas().Overlays().Top()
	if over == nil {
		t.Fatal("no dialog shown")
	}
	var entry *widget.Entry
	var btn *widget.Button
	for _, obj := range test.LaidOutObjects(over) {
		switch w := obj.(type) {
		case *widget.Entry:
			entry = w
		case *widget.Button:
			if w.Text == button {
				btn = w
			}
		}
	}
	if btn == nil {
		t.Fatalf("the dialog has no %q button: %q", button, texts(over))
	}
	return entry, btn
}

func closeOverlays(h *harness) {
	for o := h.u.win.Canvas().Overlays().Top(); o != nil; o = h.u.win.Canvas().Overlays().Top() {
		h.u.win.Canvas().Overlays().Remove(o)
	}
}

func TestFolderContextMenuCreatesRenamesAndDeletes(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, _ = seedInbox(h, 1)
	projects, err := h.cache.FolderByName(context.Background(), "work", "Projects")
	if err != nil {
		t.Fatal(err)
	}
	h.addMessages(projects, 2, func(i int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "plan", Date: h.now, MessageID: "p" + itoa(int64(i)) + "@example.org"}, nil
	})
	h.u.folders.reload()
	h.settle()
	p := h.u.folders
	ctx := context.Background()

	// A right click on a row opens its menu.
	inbox := entryIndex(t, p, entryFolder, "Inbox")
	var row *folderRow
	for _, obj := range test.LaidOutObjects(p.list) {
		if r, ok := obj.(*folderRow); ok && r.Visible() && r.index == inbox {
			row = r
		}
	}
	if row == nil {
		t.Fatal("the Inbox row is not laid out")
	}
	row.TappedSecondary(&fyne.PointEvent{AbsolutePosition: fyne.NewPos(20, 60)})
	var shown *widget.PopUpMenu
	if over := h.u.win.Canvas().Overlays().Top(); over != nil {
		for _, obj := range test.LaidOutObjects(over) {
			if m, ok := obj.(*widget.PopUpMenu); ok {
				shown = m
			}
		}
	}
	if shown == nil || len(shown.Items) != 7 {
		t.Fatal("right click shows no folder menu")
	}
	closeOverlays(h)

	// Special folders and account rows cannot be renamed or deleted.
	for _, i := range []int{inbox, entryIndex(t, p, entryAccount, "work")} {
		m := p.contextMenu(i)
		if len(m.Items) != 7 || m.Items[0].Label != "New folder…" || m.Items[0].Disabled ||
			!m.Items[1].Disabled || !m.Items[2].Disabled {
			t.Fatalf("menu of %q: %+v %+v %+v", p.entries[i].name, m.Items[0], m.Items[1], m.Items[2])
		}
	}
	p.askRename(p.entries[inbox])
	p.askDelete(p.entries[inbox])
	if h.u.win.Canvas().Overlays().Top() != nil {
		t.Fatal("rename or delete offered for the Inbox")
	}

	// New folder on the account row: a top-level folder. An existing name is refused first.
	p.contextMenu(entryIndex(t, p, entryAccount, "work")).Items[0].Action()
	entry, create := overlayWidgets(t, h, "Create")
	test.Type(entry, "Projects")
	if entry.Validate() == nil {
		t.Fatal("a second folder named Projects was accepted")
	}
	entry.SetText("")
	test.Type(entry, "Receipts")
	test.Tap(create)
	h.settle()
	if _, err := h.cache.FolderByName(ctx, "work", "Receipts"); err != nil {
		t.Fatalf("Receipts not created: %v", err)
	}
	h.u.folders.reload()
	h.settle()

	// Rename Projects.
	m := p.contextMenu(entryIndex(t, p, entryFolder, "Projects"))
	if m.Items[1].Disabled || m.Items[2].Disabled {
		t.Fatal("rename/delete disabled for an ordinary folder")
	}
	m.Items[1].Action()
	entry, rename := overlayWidgets(t, h, "Rename")
	if entry.Text != "Projects" {
		t.Fatalf("rename starts from %q", entry.Text)
	}
	entry.SetText("")
	test.Type(entry, "Plans")
	test.Tap(rename)
	h.settle()
	if _, err := h.cache.FolderByName(ctx, "work", "Projects"); err == nil {
		t.Fatal("Projects still exists after the rename")
	}
	plans, err := h.cache.FolderByName(ctx, "work", "Plans")
	if err != nil || plans.ID != projects.ID {
		t.Fatalf("Plans: %+v %v", plans, err)
	}
	h.u.folders.reload()
	h.settle()

	// Delete Plans: the confirmation names the folder and its messages; Cancel keeps it.
	p.contextMenu(entryIndex(t, p, entryFolder, "Plans")).Items[2].Action()
	over := h.u.win.Canvas().Overlays().Top()
	if over == nil || !containsText(over, "Delete the folder “Plans” and the 2 messages in it?") {
		t.Fatalf("delete confirmation: %q", texts(over))
	}
	_, cancel := overlayWidgets(t, h, "Cancel")
	test.Tap(cancel)
	h.settle()
	if _, err := h.cache.FolderByName(ctx, "work", "Plans"); err != nil {
		t.Fatal("Cancel deleted the folder")
	}
	p.contextMenu(entryIndex(t, p, entryFolder, "Plans")).Items[2].Action()
	_, del := overlayWidgets(t, h, "Delete")
	test.Tap(del)
	h.settle()
	if _, err := h.cache.FolderByName(ctx, "work", "Plans"); err == nil {
		t.Fatal("Plans still exists after Delete")
	}
	if _, err := h.cache.FolderByName(ctx, "work", "INBOX"); err != nil {
		t.Fatal("the Inbox went too")
	}
	if len(h.u.banners.items) != 0 {
		t.Fatalf("errors shown: %+v", h.u.banners.items)
	}
}

func TestFolderNewFolderUnderAFolder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.folder("work", "INBOX", localcache.RoleInbox)
	if _, err := h.cache.EnsureFolder(context.Background(), localcache.Folder{Account: "work", Name: "Clients", Delim: "/", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	h.u.folders.reload()
	h.settle()
	p := h.u.folders
	p.contextMenu(entryIndex(t, p, entryFolder, "Clients")).Items[0].Action()
	entry, create := overlayWidgets(t, h, "Create")
	test.Type(entry, "a/b")
	if entry.Validate() == nil {
		t.Fatal("a name with the delimiter was accepted")
	}
	entry.SetText("")
	test.Type(entry, "Acme")
	test.Tap(create)
	h.settle()
	if _, err := h.cache.FolderByName(context.Background(), "work", "Clients/Acme"); err != nil {
		t.Fatalf("Clients/Acme not created: %v", err)
	}
}

func TestSavingADraftTwiceKeepsOneCopy(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 1)
	h.u.deps.Sender = ManagerSender{Manager: h.mgr}
	c := h.u.openComposer(Draft{Account: "work"})
	test.Type(c.subject, "Plan")
	test.Type(c.body, "first")
	c.doSave()
	h.settle()
	first := c.base.Replaces
	if first == 0 || c.status.Text != "Draft saved" {
		t.Fatalf("first save: id %d, status %q", first, c.status.Text)
	}
	test.Type(c.body, " and second")
	c.doSave()
	h.settle()
	ctx := context.Background()
	drafts, err := h.cache.FolderByRole(ctx, "work", localcache.RoleDrafts)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := h.cache.Page(ctx, []int64{drafts.ID}, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ID != c.base.Replaces || msgs[0].ID == first || msgs[0].Subject != "Plan" {
		t.Fatalf("Drafts holds %d messages (%+v); composer keeps id %d", len(msgs), msgs, c.base.Replaces)
	}
}

func TestSecondDraftSaveNamesTheFirst(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seedInbox(h, 1)
	c := h.u.openComposer(Draft{Account: "work"})
	test.Type(c.subject, "Later")
	c.doSave()
	h.settle()
	c.doSave()
	h.settle()
	if len(h.sender.drafts) != 2 || h.sender.drafts[0].Replaces != 0 || h.sender.drafts[1].Replaces != 1 {
		t.Fatalf("drafts %+v", h.sender.drafts)
	}
	// Sending names the last saved copy, so that it leaves Drafts.
	test.Type(c.to, "bob@example.org")
	c.doSend()
	h.settle()
	if len(h.sender.sent) != 1 || h.sender.sent[0].Replaces != 2 {
		t.Fatalf("sent %+v, want one naming draft 2", h.sender.sent)
	}
}

// "New folder on this computer…" sets up the account for folders on this computer the first time,
// shows it in the folder pane by its name in the user's language, and creates the folder there;
// its own rows do not offer it again.
func TestNewFolderOnThisComputer(t *testing.T) {
	h := newHarness(t, harnessOpts{configPath: filepath.Join(t.TempDir(), "accounts.json")})
	_, _ = seedInbox(h, 1)
	p := h.u.folders
	p.contextMenu(entryIndex(t, p, entryAccount, "work")).Items[3].Action()
	h.settle()
	entry, create := overlayWidgets(t, h, tr("Create"))
	test.Type(entry, "Receipts 2026")
	test.Tap(create)
	h.settle()
	f, err := h.cache.FolderByName(context.Background(), types.LocalAccountName, "Receipts 2026")
	if err != nil {
		t.Fatalf("the folder on this computer: %v", err)
	}
	h.u.folders.reload()
	h.settle()
	local := entryIndex(t, p, entryAccount, accountLabel(types.LocalAccountName))
	if p.entries[local+1].folder.ID != f.ID {
		t.Errorf("the row under %q is %q", p.entries[local].name, p.entries[local+1].name)
	}
	if m := p.contextMenu(local); len(m.Items) != 6 {
		t.Errorf("the local account's menu has %d items, want 6 (no second way to the same place)", len(m.Items))
	}
	savePNG(t, h.u.win.Canvas().Capture(), "local-folders"+langSuffix()+".png")
}

func TestNewFolderOnThisComputerInDutch(t *testing.T) { inDutch(t, "TestNewFolderOnThisComputer") }
