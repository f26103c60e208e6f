package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
)

// TestHTMLWithRemoteImagesLoadsNothing opens an HTML message full of remote references to a
// loopback server that counts requests: it renders as rich text with the "not loaded" note, no
// image segment or image object gets a URL, and the server sees nothing.
func TestHTMLWithRemoteImagesLoadsNothing(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
	}))
	defer srv.Close()
	remote := srv.URL

	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	html := `<html><head><link rel="stylesheet" href="` + remote + `/style.css"><link rel="prefetch" href="` + remote + `/next">
<style>@import url(` + remote + `/import.css); body { background: url(` + remote + `/bg.png) }</style></head>
<body background="` + remote + `/body.png"><h1>Spring sale</h1>
<p>Dear customer, <b>everything</b> is <i>half price</i>. <a href="https://shop.example/sale">Shop now</a></p>
<img src="` + remote + `/banner.png" alt="Sale banner"><img src="` + remote + `/pixel.gif" width="1" height="1">
<picture><source srcset="` + remote + `/a.webp"><img src="` + remote + `/b.jpg"></picture>
<table background="` + remote + `/t.png"><tr><td>Item</td><td>Price</td></tr></table>
<video poster="` + remote + `/poster.jpg"></video>
</body></html>`
	raw := "From: Shop <news@shop.example>\r\nTo: me@work.example\r\nSubject: Spring sale\r\nDate: Sat, 14 Jun 2025 10:00:00 +0200\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
	ids := h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Spring sale", FromName: "Shop", FromAddr: "news@shop.example", Date: h.now}, []byte(raw)
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	r := h.u.reader
	if r.id != ids[0] || r.parsed == nil || r.parsed.RemoteContentBlocked == 0 {
		t.Fatalf("message not parsed with blocked content: %+v", r.parsed)
	}
	if !r.remote.Visible() || !containsText(r.remote, "Remote content was blocked") {
		t.Fatal("no \"Remote content was blocked\" note")
	}
	if !containsText(r.body, "Spring sale") || !containsText(r.body, "half price") {
		t.Fatalf("body %q", texts(r.body))
	}
	// Paint the window: nothing may be fetched while rendering either.
	h.u.win.Canvas().Capture()
	h.settle()
	time.Sleep(100 * time.Millisecond)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server got %d requests", n)
	}
	links := 0
	for _, obj := range test.LaidOutObjects(h.u.win.Content()) {
		switch o := obj.(type) {
		case *widget.RichText:
			for _, seg := range o.Segments {
				switch s := seg.(type) {
				case *widget.ImageSegment:
					t.Fatalf("image segment with source %v", s.Source)
				case *widget.HyperlinkSegment:
					t.Fatalf("a link without its hover target: %v", s.URL)
				case *linkSegment:
					links++
					if strings.HasPrefix(s.URL.String(), remote) {
						t.Fatalf("link to the remote server: %v", s.URL)
					}
				}
			}
		case *canvas.Image:
			if o.File != "" || (o.Resource != nil && strings.Contains(o.Resource.Name(), "127.0.0.1")) {
				t.Fatalf("image object loads %q %v", o.File, o.Resource)
			}
		}
	}
	if links != 1 {
		t.Fatalf("%d links rendered, want the one to the shop", links)
	}
}
