package mailfmt

import (
	"strings"
	"testing"
)

// TestHTMLTablesBecomeGrids checks the table model: a receipt's rows and columns with their
// backgrounds, alignment and widths; one-column wrapper tables dissolved; tables nested past the
// limit read as text.
func TestHTMLTablesBecomeGrids(t *testing.T) {
	src := `<table width="100%"><tr><td align="center">
<table bgcolor="#F4F4F4" width="600"><tr>
  <th style="background-color: rgb(0, 51, 102); color: #fff" width="70%">Item</th><th align="right">Price</th></tr>
<tr style="background:#eee url(x.png)"><td>Coffee <b>beans</b></td><td style="text-align:right"><font color="red">€ 12,50</font></td></tr>
<tr><td colspan="2"><table><tr><td>inner a</td><td>inner b</td></tr></table></td></tr>
<tr><td style="color:#777" colspan="2">grey <a href="https://a.example/">link</a> <a href="https://b.example/" style="color:#fff">white</a></td></tr>
</table></td></tr></table><p>after</p>`
	blocks, _ := HTMLToRich(src)
	if len(blocks) != 2 || blocks[0].Kind != Table || blocks[1].Text() != "after" {
		t.Fatalf("blocks %+v", summarize(blocks))
	}
	g := blocks[0].Table
	if g.Bg != "#f4f4f4" || len(g.Rows) != 4 || len(g.Rows[0]) != 2 || g.Px != 600 || g.Align != AlignCenter {
		t.Fatalf("grid %+v", g)
	}
	th := g.Rows[0][0]
	if !th.Header || th.Bg != "#003366" || th.Width != 70 || th.Blocks[0].Spans[0].Color != "#ffffff" {
		t.Fatalf("header cell %+v", th)
	}
	if g.Rows[0][1].Align != AlignRight || g.Rows[1][1].Align != AlignRight || g.Rows[1][1].Blocks[0].Align != AlignRight {
		t.Fatalf("right-aligned price cells %+v %+v", g.Rows[0][1], g.Rows[1][1])
	}
	if g.Rows[1][0].Bg != "#eeeeee" || g.Rows[1][1].Bg != "#eeeeee" {
		t.Fatalf("row background not on its cells: %+v", g.Rows[1])
	}
	price := g.Rows[1][1].Blocks[0].Spans[0]
	if price.Color != "#ff0000" || price.Text != "€ 12,50" {
		t.Fatalf("price span %+v", price)
	}
	if b := g.Rows[1][0].Blocks[0]; b.Align != AlignCenter || len(b.Spans) != 2 || !b.Spans[1].Bold {
		t.Fatalf("item cell keeps the outer cell's centring and its bold word: %+v", b)
	}
	nested := g.Rows[2][0]
	if nested.ColSpan != 2 || len(nested.Blocks) != 1 || nested.Blocks[0].Kind != Table ||
		nested.Blocks[0].Text() != "inner a | inner b" {
		t.Fatalf("nested cell %+v", nested)
	}
	var colors []string
	for _, s := range g.Rows[3][0].Blocks[0].Spans {
		colors = append(colors, strings.TrimSpace(s.Text)+"="+s.Color)
	}
	if got := strings.Join(colors, " "); got != "grey=#777777 = link= = white=#ffffff" {
		t.Fatalf("link colours %q: a link takes only a colour set on it", got)
	}
	if got, want := RichToText(blocks), "Item | Price\nCoffee beans | € 12,50\ninner a | inner b\ngrey link <https://a.example/> white <https://b.example/>\n\nafter"; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}

	// Nested past the limit: the inner tables are read as lines of text, nothing is lost.
	deep := strings.Repeat("<table><tr><td>x</td><td>", maxTableDepth+3) + "core" + strings.Repeat("</td></tr></table>", maxTableDepth+3)
	blocks, _ = HTMLToRich(deep)
	if !strings.Contains(RichToText(blocks), "core") {
		t.Fatalf("deep table lost its content: %q", RichToText(blocks))
	}
	checkBlocks(t, blocks)

	// Unclosed tables and text between cells.
	blocks, _ = HTMLToRich(`<table><tr>stray<td>a<td>b`)
	if got := RichToText(blocks); got != "stray\n\na | b" {
		t.Fatalf("unclosed table %q", got)
	}
}

// TestHTMLImagesAreReferences checks that images become references the reader may resolve:
// cid: parts and remote http(s) URLs, with their size; tracking pixels and other schemes do not.
func TestHTMLImagesAreReferences(t *testing.T) {
	blocks, blocked := HTMLToRich(`<p><a href="https://shop.example/"><img src="cid:logo%40shop" alt="Logo" width="120" height="40"></a>
<img src="https://img.example/banner.png"> <img src="data:image/png;base64,AAAA" alt="inline data">
<img src="https://t.example/p.gif" width="1" height="1"><img src="javascript:x" alt="js"></p>`)
	if blocked != 2 {
		t.Errorf("blocked %d, want 2 (banner and pixel)", blocked)
	}
	var ims []Image
	for _, s := range blocks[0].Spans {
		if s.Image != nil {
			ims = append(ims, *s.Image)
			if s.Image.Src == "cid:logo@shop" && s.Link != "https://shop.example/" {
				t.Errorf("linked image lost its link: %+v", s)
			}
		}
	}
	want := []Image{{Src: "cid:logo@shop", Alt: "Logo", Width: 120, Height: 40}, {Src: "https://img.example/banner.png"}}
	if len(ims) != 2 || ims[0] != want[0] || ims[1] != want[1] {
		t.Fatalf("images %+v, want %+v", ims, want)
	}
	if ims[0].Remote() || !ims[1].Remote() {
		t.Fatal("Remote() wrong")
	}
	if got := blocks[0].Text(); got != "[image: Logo] [image] [image: inline data] [image: js]" {
		t.Fatalf("text %q", got)
	}
}

func TestParseColor(t *testing.T) {
	for in, want := range map[string]string{"#ABC": "#aabbcc", "#a1b2c3": "#a1b2c3", "Navy": "#000080",
		"rgb(1, 2, 3)": "#010203", "rgba(1,2,3,0.2)": "", "rgba(1 2 3 / 0.9)": "#010203",
		"#12": "", "transparent": "", "rgb(300,0,0)": "", "red !important": "#ff0000", "#ggg": ""} {
		if got := parseColor(in); got != want {
			t.Errorf("parseColor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLinkTextMisleads(t *testing.T) {
	for _, c := range []struct {
		text, target string
		want         bool
	}{
		{"https://www.bank.example/login", "https://evil.example/x", true},
		{"www.bank.example", "https://bank.example/login", false},
		{"bank.example/login", "http://bank.example.evil.example/", true},
		{"HTTPS://Bank.Example", "https://bank.example/", false},
		{"Click here", "https://evil.example/", false},
		{"Version 2.0", "https://evil.example/", false},
		{"shop.example", "mailto:x@evil.example", true},
		{"mailto:x@bank.example", "mailto:x@bank.example", false},
	} {
		if got := LinkTextMisleads(c.text, c.target); got != c.want {
			t.Errorf("LinkTextMisleads(%q, %q) = %v, want %v", c.text, c.target, got, c.want)
		}
	}
}
