package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"postbode/localcache"
)

// TestTableColumnWidths: columns take the percent or pixels the HTML gives them, never less
// than content that cannot wrap, and share what is left.
func TestTableColumnWidths(t *testing.T) {
	fixed := func(w float32) fyne.CanvasObject {
		r := canvas.NewRectangle(nil)
		r.SetMinSize(fyne.NewSize(w, 10))
		return r
	}
	for _, c := range []struct {
		name    string
		pct, px []int
		minW    []float32
		width   float32
		want    []float32
	}{
		{"flex shares", []int{0, 0}, []int{0, 0}, []float32{0, 0}, 600, []float32{300, 300}},
		{"percent and flex", []int{70, 0}, []int{0, 0}, []float32{0, 0}, 600, []float32{420, 180}},
		{"pixels and flex", []int{0, 0}, []int{20, 0}, []float32{0, 0}, 600, []float32{20, 580}},
		{"picture wider than its share", []int{50, 50}, []int{0, 0}, []float32{400, 0}, 600, []float32{400, 200}},
		{"too narrow: shrinks what can wrap, in proportion", []int{0, 0}, []int{400, 400}, []float32{300, 0}, 600, []float32{360, 240}},
		{"pixels stretched to the width", []int{0, 0}, []int{100, 100}, []float32{0, 0}, 600, []float32{300, 300}},
	} {
		tl := &tableLayout{rows: 1, cols: 2, pct: c.pct, px: c.px,
			cells: []tableCell{{0, 0, 1}, {0, 1, 1}}}
		got := tl.colWidths([]fyne.CanvasObject{fixed(c.minW[0]), fixed(c.minW[1])}, c.width)
		if math.Abs(float64(got[0]-c.want[0])) > 0.01 || math.Abs(float64(got[1]-c.want[1])) > 0.01 {
			t.Errorf("%s: widths %v, want %v", c.name, got, c.want)
		}
	}
	// A cell spanning two columns is placed over both.
	tl := &tableLayout{rows: 2, cols: 2, pct: []int{0, 0}, px: []int{0, 0},
		cells: []tableCell{{0, 0, 1}, {0, 1, 1}, {1, 0, 2}}}
	objs := []fyne.CanvasObject{fixed(0), fixed(0), fixed(0)}
	tl.Layout(objs, fyne.NewSize(400, 100))
	if objs[2].Size().Width != 400 || objs[2].Position().Y != 10 || objs[1].Position().X != 200 {
		t.Fatalf("spanning cell at %v size %v; second cell at %v", objs[2].Position(), objs[2].Size(), objs[1].Position())
	}
	if m := tl.MinSize(objs); m.Height != 20 {
		t.Fatalf("min size %v", m)
	}
}

// TestImageAttachmentShown: a picture attached to a message shows below its text (and stays in
// the attachment list); a picture claiming too many pixels is not decoded.
func TestImageAttachmentShown(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	raw := "From: <tom@personal.example>\r\nSubject: Photo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nSee the photo.\r\n" +
		"--b\r\nContent-Type: image/png; name=beach.png\r\nContent-Disposition: attachment; filename=beach.png\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(testPNG("beach", 300, 200)) + "\r\n" +
		"--b\r\nContent-Type: image/png; name=broken.png\r\nContent-Disposition: attachment; filename=broken.png\r\n\r\nnot a png\r\n--b--\r\n"
	ids := h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Photo", FromAddr: "tom@personal.example", Date: h.now}, []byte(raw)
	})
	r := h.u.reader
	r.show(ids[0])
	h.settle()
	if len(r.attachPics) != 1 || pictures(r.body) != 1 || !r.attachBx.Visible() || !containsText(r.attachBx, "beach.png") {
		t.Fatalf("%d attachment pictures, %d shown, list shown %v", len(r.attachPics), pictures(r.body), r.attachBx.Visible())
	}

	var big bytes.Buffer
	if err := png.Encode(&big, image.NewGray(image.Rect(0, 0, 5001, 5001))); err != nil {
		t.Fatal(err)
	}
	if _, err := decodePicture(big.Bytes()); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("a 25-megapixel picture decoded: %v", err)
	}
	if pics, _ := messagePictures(context.Background(), nil, nil); pics != nil {
		t.Fatal("pictures of no message")
	}
}
