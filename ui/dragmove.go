package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
)

// dragMove is a drag of messages from the list onto a folder of the folder pane (of any
// account), which moves them there, as in Thunderbird.
type dragMove struct {
	ids   []int64
	label *widget.Label
	pop   *widget.PopUp
	at    fyne.Position // the pointer, in window coordinates
}

var _ fyne.Draggable = (*msgRow)(nil)

// Dragged starts a drag of the row's messages (the selection when the row is in it) or follows it.
func (r *msgRow) Dragged(ev *fyne.DragEvent) {
	if r.loading {
		return
	}
	ml := r.ml
	if ml.drag == nil {
		if !ml.selected[r.msg.ID] {
			ml.click(r.row, 0)
		}
		ids := ml.selectedIDs()
		c := fyne.CurrentApp().Driver().CanvasForObject(r)
		if len(ids) == 0 || c == nil {
			return
		}
		d := &dragMove{ids: ids, label: widget.NewLabel("")}
		d.pop = widget.NewPopUp(d.label, c)
		ml.drag = d
	}
	d := ml.drag
	d.at = ev.AbsolutePosition
	text := trN("Move {{.Count}} messages", len(d.ids))
	if f, ok := ml.hooks.folderAt(d.at); ok {
		text = tr("Move {{.Count}} to {{.Folder}}", map[string]any{"Count": formatCount(len(d.ids)), "Folder": f.name})
	}
	d.label.SetText(text)
	d.pop.ShowAtPosition(d.at.Add(fyne.NewPos(theme.Padding()*4, theme.Padding()*2)))
}

// DragEnd moves the dragged messages to the folder under the pointer, if any.
func (r *msgRow) DragEnd() {
	ml := r.ml
	d := ml.drag
	ml.drag = nil
	if d == nil {
		return
	}
	d.pop.Hide()
	f, ok := ml.hooks.folderAt(d.at)
	if !ok || len(ml.scope.folders) == 1 && ml.scope.folders[0] == f.folder.ID {
		return
	}
	ml.svc.doUndoable(types.Move{IDs: d.ids, To: f.folder.ID}, tr("Moved to {{.Folder}}.", map[string]any{"Folder": f.name}))
}

// folderAt is the folder whose row lies under pos (window coordinates); account rows, "All
// inboxes" and the Outbox are no target.
func (p *folderPane) folderAt(pos fyne.Position) (folderEntry, bool) {
	c := fyne.CurrentApp().Driver()
	at := c.AbsolutePositionForObject(p.list)
	size := p.list.Size()
	rel := pos.Subtract(at)
	if rel.X < 0 || rel.Y < 0 || rel.X > size.Width || rel.Y > size.Height {
		return folderEntry{}, false
	}
	// Rows are all as high as the template, a padding apart (widget.List's layout).
	step := newFolderRow().MinSize().Height + p.list.Theme().Size(theme.SizeNamePadding)
	i := int((rel.Y + p.list.GetScrollOffset()) / step)
	if i < 0 || i >= len(p.entries) || p.entries[i].kind != entryFolder {
		return folderEntry{}, false
	}
	return p.entries[i], p.entries[i].folder.ID != 0
}
