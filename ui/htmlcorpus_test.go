package ui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/ui/uikit"
	"postbode/webfetch"
)

// testPNG is a w×h picture with a colour and a frame made from seed, so pictures can be told apart.
func testPNG(seed string, w, h int) []byte {
	f := fnv.New32a()
	f.Write([]byte(seed))
	n := f.Sum32()
	fill := color.NRGBA{R: uint8(n), G: uint8(n >> 8), B: uint8(n >> 16), A: 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := fill
			if x < 3 || y < 3 || x >= w-3 || y >= h-3 || (x+y)%17 == 0 {
				c = color.NRGBA{R: 255 - fill.R, G: 255 - fill.G, B: 255 - fill.B, A: 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// pictureServer serves a PNG for every path and counts the requests.
type pictureServer struct {
	*httptest.Server
	hits  atomic.Int32
	mu    sync.Mutex
	paths map[string]int
}

func newPictureServer(t *testing.T) *pictureServer {
	s := &pictureServer{paths: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.paths[r.URL.Path]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		w.Write(testPNG(r.URL.Path, 180, 120))
	}))
	t.Cleanup(s.Close)
	return s
}

var (
	cidRef   = regexp.MustCompile(`cid:([^"' >]+)`)
	titleTag = regexp.MustCompile(`<title>([^<]*)</title>`)
)

// corpusMessage wraps a corpus page as the mail it stands for: multipart/related with a PNG
// part for each cid: reference, its remote references pointed at base.
func corpusMessage(name, page, base string) (subject string, raw []byte) {
	page = strings.ReplaceAll(page, "REMOTE", base)
	subject = name
	if m := titleTag.FindStringSubmatch(page); m != nil {
		subject = m[1]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <news@%s.example>\r\nTo: me@work.example\r\nSubject: %s\r\n", name, name, subject)
	b.WriteString("Date: Sat, 14 Jun 2025 10:00:00 +0200\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n--rel\r\n")
	b.WriteString("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(page + "\r\n")
	seen := map[string]bool{}
	for _, m := range cidRef.FindAllStringSubmatch(page, -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		fmt.Fprintf(&b, "--rel\r\nContent-Type: image/png\r\nContent-ID: <%s>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
			m[1], base64.StdEncoding.EncodeToString(testPNG(m[1], 200, 60)))
	}
	b.WriteString("--rel--\r\n")
	return subject, []byte(b.String())
}

type corpusHarness struct {
	*harness
	srv   *pictureServer
	files []string
	ids   []int64
}

func newCorpusHarness(t *testing.T, v fyne.ThemeVariant) *corpusHarness {
	files, err := filepath.Glob("testdata/htmlcorpus/*.html")
	if err != nil || len(files) != 20 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	srv := newPictureServer(t)
	h := newHarness(t, harnessOpts{})
	h.app.Settings().SetTheme(uikit.FixedVariant(v))
	h.u.deps.Images = webfetch.New(webfetch.Options{}) // the production fetcher, on loopback
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	ids := h.addMessages(inbox, len(files), func(i int) (localcache.Message, []byte) {
		page, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(files[i]), ".html")
		subject, raw := corpusMessage(name, string(page), srv.URL)
		return localcache.Message{Subject: subject, FromName: name, FromAddr: "news@" + name + ".example",
			Date: h.now.Add(-time.Duration(i) * time.Hour)}, raw
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	return &corpusHarness{harness: h, srv: srv, files: files, ids: ids}
}

// pictures counts the pictures shown in o.
func pictures(o fyne.CanvasObject) int {
	n := 0
	for _, obj := range test.LaidOutObjects(o) {
		if img, ok := obj.(*canvas.Image); ok && img.Image != nil && img.Visible() {
			n++
		}
	}
	return n
}

// TestHTMLCorpus opens 20 newsletters and receipts shaped like real ones (tables nested deep,
// cid: pictures, backgrounds, tracking pixels, CSS imports): each renders, none makes a request
// until "Load once", and then the loopback server is asked exactly once per distinct remote
// picture of the message.
func TestHTMLCorpus(t *testing.T) {
	h := newCorpusHarness(t, theme.VariantLight)
	r := h.u.reader
	withRemote, withCid, tables := 0, 0, 0
	for i, id := range h.ids {
		name := filepath.Base(h.files[i])
		r.show(id)
		h.settle()
		if r.id != id || r.parsed == nil || !r.parsed.HasHTML || len(r.body.Objects) == 0 {
			t.Fatalf("%s: not rendered (%+v)", name, r.parsed)
		}
		h.u.win.Canvas().Capture()
		if n := h.srv.hits.Load(); n != 0 {
			t.Fatalf("%s: %d requests before Load once", name, n)
		}
		for _, b := range r.parsed.Rich {
			if b.Table != nil {
				tables++
				break
			}
		}
		if len(r.pics) > 0 {
			withCid++
			if pictures(r.body) < len(r.pics) {
				t.Errorf("%s: %d cid pictures decoded, %d shown", name, len(r.pics), pictures(r.body))
			}
		}
		if len(r.pics) > 0 && r.attachBx.Visible() {
			t.Errorf("%s: the pictures shown in the text are listed as attachments too", name)
		}
		if bytes.Contains(r.raw, []byte("cid:")) && len(r.pics) == 0 {
			t.Errorf("%s: its cid: pictures were not decoded", name)
		}
		srcs := remoteSources(r.parsed.Rich)
		if r.remote.Visible() != (r.parsed.RemoteContentBlocked > 0) {
			t.Errorf("%s: remote bar shown %v with %d blocked", name, r.remote.Visible(), r.parsed.RemoteContentBlocked)
		}
		if len(srcs) == 0 {
			continue
		}
		withRemote++
		shown := pictures(r.body)
		before := h.srv.hits.Load()
		test.Tap(r.remoteBtns[0]) // Load once
		h.settle()
		if got := int(h.srv.hits.Load() - before); got != len(srcs) {
			t.Errorf("%s: %d requests after Load once, want %d (distinct pictures)", name, got, len(srcs))
		}
		if r.remote.Visible() || pictures(r.body) <= shown {
			t.Errorf("%s: after Load once the bar shows %v, pictures %d→%d", name, r.remote.Visible(), shown, pictures(r.body))
		}
		h.u.win.Canvas().Capture()
		h.srv.hits.Store(0)
	}
	h.srv.mu.Lock()
	for p, n := range h.srv.paths {
		if n > 1 && !strings.HasPrefix(p, "/c/1") {
			t.Errorf("%s fetched %d times", p, n)
		}
		if strings.HasSuffix(p, ".gif") || strings.HasSuffix(p, ".css") || strings.Contains(p, "bg.png") {
			t.Errorf("%s fetched: not a picture shown", p)
		}
	}
	h.srv.mu.Unlock()
	t.Logf("%d messages: %d with tables, %d with cid: pictures, %d with remote pictures", len(h.ids), tables, withCid, withRemote)
	if tables < 15 || withCid < 7 || withRemote < 7 {
		t.Errorf("the corpus lost its shape: %d tables, %d cid, %d remote", tables, withCid, withRemote)
	}
}

// TestRemoteContentAlwaysForSender: "Always for this sender" loads now, is remembered, and
// loads the sender's next message unasked; another sender stays blocked.
func TestRemoteContentAlwaysForSender(t *testing.T) {
	srv := newPictureServer(t)
	h := newHarness(t, harnessOpts{})
	h.u.deps.Images = webfetch.New(webfetch.Options{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	mk := func(from, pic string) []byte {
		return []byte("From: <" + from + ">\r\nSubject: News\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n" +
			`<p>Hello <img src="` + srv.URL + pic + `" alt="a"><img src="` + srv.URL + pic + `" alt="same"></p>`)
	}
	senders := []string{"News@Shop.example", "news@shop.example", "other@elsewhere.example"}
	ids := h.addMessages(inbox, 3, func(i int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "News", FromAddr: senders[i], Date: h.now}, mk(senders[i], fmt.Sprintf("/%d.png", i))
	})
	r := h.u.reader
	r.show(ids[0])
	h.settle()
	test.Tap(r.remoteBtns[1])
	h.settle()
	if got := h.u.prefs.RemoteSenders; len(got) != 1 || got[0] != "news@shop.example" {
		t.Fatalf("remembered %q", got)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	r.show(ids[1])
	h.settle()
	if r.remote.Visible() || srv.hits.Load() != 2 || pictures(r.body) != 2 {
		t.Fatalf("same sender: bar %v, %d requests, %d pictures", r.remote.Visible(), srv.hits.Load(), pictures(r.body))
	}
	r.show(ids[2])
	h.settle()
	if !r.remote.Visible() || srv.hits.Load() != 2 {
		t.Fatalf("other sender: bar %v, %d requests", r.remote.Visible(), srv.hits.Load())
	}
}

// TestHTMLLinkTargetsAndConfirmation: hovering a link shows where it leads; a link whose text
// shows another site asks before opening, an honest one does not.
func TestHTMLLinkTargetsAndConfirmation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	raw := "From: <it@work.example>\r\nSubject: Verify\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n" +
		`<p>Go to <a href="http://203.0.113.9/verify.php">https://webmail.work.example/verify</a> now.</p>` +
		`<p><a href="https://work.example/help">Help</a></p>`
	ids := h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Verify", FromAddr: "it@work.example", Date: h.now}, []byte(raw)
	})
	h.u.tips.later = func(_ time.Duration, fn func()) func() { fn(); return func() {} }
	r := h.u.reader
	r.show(ids[0])
	h.settle()
	h.u.win.Canvas().Capture()
	var hovers []*linkHover
	var links []*widget.Hyperlink
	for _, o := range test.LaidOutObjects(h.u.win.Content()) {
		switch o := o.(type) {
		case *linkHover:
			hovers = append(hovers, o)
		case *widget.Hyperlink:
			links = append(links, o)
		}
	}
	if len(hovers) != 2 || len(links) != 2 {
		t.Fatalf("%d hover areas, %d links", len(hovers), len(links))
	}
	hovers[0].MouseIn(&desktop.MouseEvent{})
	if !h.u.tips.box.Visible() || h.u.tips.text.Text != "http://203.0.113.9/verify.php" {
		t.Fatalf("tooltip %v %q", h.u.tips.box.Visible(), h.u.tips.text.Text)
	}
	hovers[0].MouseOut()
	if h.u.tips.box.Visible() {
		t.Fatal("tooltip stays after the pointer left")
	}
	cv := h.u.win.Canvas()
	links[1].TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // as a tap on its text
	if cv.Overlays().Top() != nil {
		t.Fatal("an honest link asked for confirmation")
	}
	links[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	over := cv.Overlays().Top()
	if over == nil || !containsText(over, "http://203.0.113.9/verify.php") || !containsText(over, "webmail.work.example") {
		t.Fatalf("no confirmation naming both addresses: %v", texts(over))
	}
}

// TestViewSource opens the source window of a message: its headers and raw text.
func TestViewSource(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	raw := "From: <a@work.example>\r\nSubject: Source me\r\nX-Mailer: Test\x1b[31m\r\n\r\nBody line\xff\r\n"
	ids := h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Source me", FromAddr: "a@work.example", Date: h.now}, []byte(raw)
	})
	h.u.reader.show(ids[0])
	h.settle()
	before := len(h.app.Driver().AllWindows())
	h.u.showSource(h.u.reader)
	wins := h.app.Driver().AllWindows()
	if len(wins) != before+1 {
		t.Fatal("no source window")
	}
	w := wins[len(wins)-1]
	if !strings.Contains(w.Title(), "Source me") || !containsText(w.Content(), "X-Mailer: Test[31m") ||
		containsText(w.Content(), "\x1b") {
		t.Fatalf("source window %q: %q", w.Title(), texts(w.Content()))
	}
	// The Source tab shows the whole message, invalid bytes replaced.
	if got, cut := rawText([]byte(raw), 1<<20); cut || !strings.Contains(got, "Body line\uFFFD") || strings.Contains(got, "\r") {
		t.Fatalf("raw text %q", got)
	}
	// Ctrl+U in a message window of its own.
	h.u.openMessageWindow(ids[0])
	h.settle()
	mw := h.u.popouts[len(h.u.popouts)-1]
	n := len(h.app.Driver().AllWindows())
	mw.r.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyU, Modifier: fyne.KeyModifierShortcutDefault})
	if wins := h.app.Driver().AllWindows(); len(wins) != n+1 || !strings.Contains(wins[len(wins)-1].Title(), "Source me") {
		t.Fatal("Ctrl+U in a message window opened no source window")
	}
	if got, cut := rawText([]byte(strings.Repeat("x", 100)), 10); !cut || got != strings.Repeat("x", 10) {
		t.Fatalf("cut %q %v", got, cut)
	}
}

// TestHTMLCorpusScreenshots renders five corpus messages in a message window, with their
// pictures loaded, for looking at (docs/screenshots/html-*.png).
func TestHTMLCorpusScreenshots(t *testing.T) {
	for _, shot := range []struct {
		file string
		v    fyne.ThemeVariant
	}{{"01-webshop-receipt", theme.VariantLight}, {"09-marketing-mso", theme.VariantLight},
		{"10-invoice", theme.VariantLight}, {"14-utility-deep", theme.VariantDark}, {"03-flight-booking", theme.VariantDark}} {
		h := newCorpusHarness(t, shot.v)
		idx := -1
		for i, f := range h.files {
			if strings.Contains(f, shot.file) {
				idx = i
			}
		}
		h.u.openMessageWindow(h.ids[idx])
		h.settle()
		mw := h.u.popouts[len(h.u.popouts)-1]
		mw.r.win.Resize(fyne.NewSize(820, 900))
		if mw.r.remote.Visible() {
			test.Tap(mw.r.remoteBtns[0])
			h.settle()
		}
		mw.r.win.Canvas().Capture() // lays out twice: wrapped text settles its height
		savePNG(t, mw.r.win.Canvas().Capture(), "html-"+shot.file+".png")
	}
}
