package ui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
	"postbode/ui/internal/uitest"
)

// shownTexts lists the canvas texts under o that are drawn: hidden subtrees are left out.
func shownTexts(o fyne.CanvasObject) []*canvas.Text {
	if !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *canvas.Text:
		return []*canvas.Text{x}
	case *fyne.Container:
		var out []*canvas.Text
		for _, c := range x.Objects {
			out = append(out, shownTexts(c)...)
		}
		return out
	case fyne.Widget:
		var out []*canvas.Text
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, shownTexts(c)...)
		}
		return out
	}
	return nil
}

// TestComposerBodyWrapsLongLines: a URL of 500 characters and a long word wrap inside the body
// field; no text is drawn beyond its right edge.
func TestComposerBodyWrapsLongLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		typed bool
		first float32
	}{{"typed", true, 780}, {"set", false, 780}, {"shrunk", true, 1400}, {"shrunkset", false, 1400}, {"narrow", true, 300}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{})
			c := h.u.openComposer(Draft{Account: "work"})
			url := "https://example.org/" + strings.Repeat("abcdefghij", 48)
			word := "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstaltsdirektorsstellvertreter"
			text := "See " + url + " and " + word + " and " + strings.Repeat(word, 3) + "\nbye\n" + url + "\n\t" + url
			c.win.Resize(fyne.NewSize(tc.first, 640))
			c.win.Canvas().Focus(c.body)
			if tc.typed {
				test.Type(c.body, text)
			} else {
				c.body.SetText(text)
			}
			c.win.Resize(fyne.NewSize(780, 640))
			drv := fyne.CurrentApp().Driver()
			origin := drv.AbsolutePositionForObject(c.body)
			right := origin.X + c.body.Size().Width
			if c.body.Size().Width <= 0 || c.body.Size().Width > 780 {
				t.Fatalf("body is %v wide", c.body.Size())
			}
			n := 0
			for _, txt := range shownTexts(c.body) {
				if txt.Text == "" {
					continue
				}
				n++
				pos := drv.AbsolutePositionForObject(txt)
				w := fyne.MeasureText(txt.Text, txt.TextSize, txt.TextStyle).Width
				if pos.X < origin.X || pos.X+w > right+0.5 {
					t.Errorf("text %q…(%d chars) spans x %.0f to %.0f, the field %.0f to %.0f",
						txt.Text[:min(len(txt.Text), 20)], len(txt.Text), pos.X, pos.X+w, origin.X, right)
				}
			}
			if n < 5 {
				t.Fatalf("only %d lines of text laid out", n)
			}
		})
	}
}

// shownStrings is the text drawn under o (hidden parts left out), one string per canvas text.
func shownStrings(o fyne.CanvasObject) []string {
	var out []string
	for _, t := range shownTexts(o) {
		out = append(out, t.Text)
	}
	return out
}

func showsText(o fyne.CanvasObject, want string) bool {
	return uitest.AnyContains(shownStrings(o), want)
}

// errorBorder reports whether the entry draws its border in the theme's error colour.
func errorBorder(e fyne.Widget) bool {
	th := fyne.CurrentApp().Settings().Theme()
	want := th.Color(theme.ColorNameError, fyne.CurrentApp().Settings().ThemeVariant())
	for _, o := range test.WidgetRenderer(e).Objects() { // the live renderer: LaidOutObjects makes new ones
		if r, ok := o.(*canvas.Rectangle); ok && r.StrokeWidth > 0 && r.StrokeColor == want {
			return true
		}
	}
	return false
}

// TestComposerMarksBadAddresses: an address field says which addresses it cannot read, for the
// finished addresses while typing and for the whole field when it loses the focus.
func TestComposerMarksBadAddresses(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.u.openComposer(Draft{Account: "work"})
	cv := c.win.Canvas()
	win := c.win.Content()
	cv.Focus(c.to)
	test.Type(c.to, "bob@")
	if showsText(win, "Not an e-mail address") {
		t.Fatal("the address being typed was called wrong")
	}
	test.Type(c.to, ", car")
	if !showsText(win, "Not an e-mail address: bob@") {
		t.Fatalf("a finished bad address is not shown: %q", shownStrings(win))
	}
	// The hint has room of its own under the field.
	drv := fyne.CurrentApp().Driver()
	for _, txt := range shownTexts(win) {
		if strings.HasPrefix(txt.Text, "Not an e-mail address") {
			pos, to := drv.AbsolutePositionForObject(txt), drv.AbsolutePositionForObject(c.to)
			if txt.Size().Height <= 0 || pos.Y < to.Y+c.to.Size().Height-1 ||
				pos.Y > drv.AbsolutePositionForObject(c.cc).Y {
				t.Fatalf("hint at %v size %v; To at %v size %v", pos, txt.Size(), to, c.to.Size())
			}
		}
	}
	for _, s := range shownStrings(win) {
		if strings.Contains(s, "Not an e-mail address") && strings.Contains(s, "car") {
			t.Fatalf("the address being typed was judged: %q", s)
		}
	}
	// Mending it takes the mark away at once.
	c.to.SetText("bob@example.org, car")
	if showsText(win, "Not an e-mail address") {
		t.Fatalf("still marked after mending: %q", shownStrings(win))
	}
	if errorBorder(c.to) {
		t.Fatal("error border on a good field")
	}
	// Leaving the field judges the last address too, and the field shows its error state.
	cv.Focus(c.cc)
	h.settle()
	if !showsText(win, "Not an e-mail address: car") || !errorBorder(c.to) {
		t.Fatalf("after leaving the field: %q, error border %v", shownStrings(win), errorBorder(c.to))
	}
	// A quoted name with a comma is one address; separators inside it do not end an address.
	test.Type(c.cc, `"Doe, Jane" <jane@example.org>, ann@example.org; `)
	cv.Focus(c.bcc)
	h.settle()
	if errorBorder(c.cc) {
		t.Fatal("good Cc marked")
	}
	for _, s := range shownStrings(win) {
		if strings.Contains(s, "Not an e-mail address") && strings.Contains(s, "Doe") {
			t.Fatalf("good Cc marked: %q", s)
		}
	}
	d, err := c.draft()
	if err == nil || len(d.Cc) != 2 || d.Cc[0].Name != "Doe, Jane" {
		t.Fatalf("draft: %v, cc %+v", err, d.Cc)
	}
	// Sending still refuses with a dialog.
	c.doSend()
	h.settle()
	if over := cv.Overlays().Top(); over == nil || !containsText(over, "Not an e-mail address: car") {
		t.Fatal("no refusal")
	}
	if len(h.sender.sent) != 0 {
		t.Fatal("sent with a bad address")
	}
}

// TestComposerStaysInsideTheWindow: long words in every field never make the composer wider than
// its window.
func TestComposerStaysInsideTheWindow(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.u.openComposer(Draft{Account: "work"})
	long := strings.Repeat("abcdefghij", 50)
	test.Type(c.to, long+"@, ")
	test.Type(c.subject, long)
	c.addFile(mailfmt.Attachment{Name: long + ".pdf", Data: []byte("x")})
	test.Type(c.body, long)
	if w := c.win.Content().MinSize().Width; w > 780 {
		t.Fatalf("the composer needs %.0f wide", w)
	}
}

// TestSentMessagesAreAnnounced: a Sent event shows a quiet banner that goes away by itself.
func TestSentMessagesAreAnnounced(t *testing.T) {
	h := newHarness(t, harnessOpts{noticeTime: 100 * time.Millisecond})
	h.u.apply(Batch{Events: []types.Event{types.Sent{Account: "work", Subject: "Lunch"}}})
	if got := h.u.banners.texts(); len(got) != 1 || got[0] != "Message sent: Lunch" {
		t.Fatalf("banners %q", got)
	}
	if !showsText(h.u.banners.view(), "work: Message sent: Lunch") {
		t.Fatalf("shown %q", shownStrings(h.u.banners.view()))
	}
	h.settle() // waits for the banner's timer
	if got := h.u.banners.texts(); len(got) != 0 {
		t.Fatalf("banners after a while: %q", got)
	}
	// An error stays.
	h.u.apply(Batch{Events: []types.Event{types.Sent{Account: "work"},
		types.Error{Account: "work", Op: "send", Err: errors.New("mailbox full")}}})
	if got := h.u.banners.texts(); len(got) != 2 || got[0] != "Message sent" {
		t.Fatalf("banners %q", got)
	}
	h.settle()
	if got := h.u.banners.texts(); len(got) != 1 || !strings.Contains(got[0], "mailbox full") {
		t.Fatalf("banners after a while: %q", got)
	}
}

// tapExactButton taps the button labelled exactly label under o.
func tapExactButton(t *testing.T, o fyne.CanvasObject, label string) {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == label && b.Visible() {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no button %q in %q", label, texts(o))
}

func attachmentMessage(name string, data []byte) []byte {
	return []byte("From: Ann <ann@example.org>\r\nTo: me@work.example\r\nSubject: Report\r\n" +
		"Date: Sat, 14 Jun 2025 10:00:00 +0200\r\nMessage-ID: <report@example.org>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(data) + "\r\n--b--\r\n")
}

// TestAttachmentSaveAsksForAName: Save opens a file-save dialog with the sanitised name filled in;
// the user may change it, the bytes land in the chosen file, and an existing file is only replaced
// after a question.
func TestAttachmentSaveAsksForAName(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.Mkdir(filepath.Join(home, "Downloads"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	data := []byte("%PDF-1.4 report\x00\x01\x02")
	h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Report", FromName: "Ann", FromAddr: "ann@example.org", Date: h.now},
			attachmentMessage(`..\..\evil\re:port?.pdf`, data)
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	cv := h.u.win.Canvas()

	save := func() *widget.Entry {
		t.Helper()
		tapExactButton(t, h.u.reader.attachBx, "Save")
		over := cv.Overlays().Top()
		if over == nil {
			t.Fatal("no dialog")
		}
		for _, o := range test.LaidOutObjects(over) {
			if e, ok := o.(*widget.Entry); ok && !e.MultiLine {
				return e
			}
		}
		t.Fatalf("no file name field in %q", texts(over))
		return nil
	}
	name := save()
	if name.Text != "re_port_.pdf" {
		t.Fatalf("file name filled in %q", name.Text)
	}
	name.SetText("renamed.pdf")
	tapExactButton(t, cv.Overlays().Top(), "Save")
	h.settle()
	got, err := os.ReadFile(filepath.Join(home, "Downloads", "renamed.pdf"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("saved %q, %v", got, err)
	}

	// Saving over it asks first; saying no leaves the file alone.
	if err := os.WriteFile(filepath.Join(home, "Downloads", "renamed.pdf"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	name = save()
	name.SetText("renamed.pdf")
	tapExactButton(t, cv.Overlays().Top(), "Save")
	over := cv.Overlays().Top()
	if over == nil || !containsText(over, "overwrite") {
		t.Fatalf("no question before replacing a file: %q", texts(over))
	}
	tapExactButton(t, over, "No")
	h.settle()
	if got, _ := os.ReadFile(filepath.Join(home, "Downloads", "renamed.pdf")); string(got) != "mine" {
		t.Fatalf("the file was replaced without asking: %q", got)
	}
}
