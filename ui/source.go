package ui

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// maxSourceShown is how much of a message the source window shows: a label of many megabytes
// would make the window crawl.
const maxSourceShown = 1 << 20

// rawText makes raw message bytes fit to show: invalid UTF-8 replaced, control characters
// other than tab and newline dropped (escape sequences included), cut at limit.
func rawText(raw []byte, limit int) (text string, cut bool) {
	if len(raw) > limit {
		raw, cut = raw[:limit], true
	}
	s := strings.ToValidUTF8(string(raw), string(utf8.RuneError))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return s, cut
}

// headerSection is the header of a raw message: everything before the first empty line.
func headerSection(raw []byte) []byte {
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 {
			return raw[:i]
		}
	}
	return raw
}

// showSource opens a window with the message's headers and its raw text as stored.
func (u *ui) showSource(r *reader) {
	if r.id == 0 || r.raw == nil {
		return
	}
	subject := r.subject.Text
	w := u.app.NewWindow(tr("Source of {{.Subject}}", map[string]any{"Subject": subject}))
	page := func(raw []byte) fyne.CanvasObject {
		text, cut := rawText(raw, maxSourceShown)
		l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		l.Selectable = true
		l.Wrapping = fyne.TextWrapBreak
		content := fyne.CanvasObject(l)
		if cut {
			note := widget.NewLabel(tr("Only the first megabyte is shown."))
			note.Importance = widget.LowImportance
			content = container.NewVBox(note, l)
		}
		return container.NewScroll(content)
	}
	tabs := container.NewAppTabs(
		container.NewTabItem(tr("Headers"), page(headerSection(r.raw))),
		container.NewTabItem(tr("Source"), page(r.raw)),
	)
	w.SetContent(tabs)
	w.Resize(fyne.NewSize(820, 640))
	w.Show()
}
