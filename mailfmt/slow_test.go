package mailfmt

import (
	"strings"
	"testing"
	"time"
)

// TestPathologicalInputsStayLinear feeds inputs that would take minutes with a quadratic step
// (string growth, rescanning, nesting stacks). Each must finish well within the bound even on a
// busy machine.
func TestPathologicalInputsStayLinear(t *testing.T) {
	const bound = 10 * time.Second
	cases := []struct {
		name string
		run  func()
	}{
		{"html same-style spans", func() { HTMLToRich(strings.Repeat("<span>ab</span>", 200_000)) }},
		{"html alternating styles", func() { HTMLToRich(strings.Repeat("<b>a</b>c", 200_000)) }},
		{"html open lists", func() { HTMLToRich(strings.Repeat("<ul><li>", 100_000) + "x") }},
		{"html open quotes and anchors", func() { HTMLToRich(strings.Repeat("<blockquote><a href=https://e.example/>", 100_000)) }},
		{"html many breaks", func() { HTMLToRich("<p>" + strings.Repeat("x<br>", 300_000)) }},
		{"html many attributes", func() {
			HTMLToRich("<meta http-equiv=refresh " + strings.Repeat(`content="0;url=http://x/" `, 100_000) + ">")
		}},
		{"text many mailto", func() { TextToRich(strings.Repeat("mailto: x ", 200_000) + "https://e.example/") }},
		{"text long url tail", func() { TextToRich("https://e.example/" + strings.Repeat(")", 1_000_000)) }},
		{"header many angle brackets", func() {
			ParseEnvelope([]byte("To: " + strings.Repeat("<", 250_000) + "\r\n"))
		}},
		{"header many commas", func() {
			ParseEnvelope([]byte("To: " + strings.Repeat("a@b <c, ", 30_000) + "\r\n"))
		}},
		{"many parts", func() {
			Parse(strings.NewReader("Content-Type: multipart/mixed; boundary=b\r\n\r\n"+strings.Repeat("--b\r\n\r\nx\r\n", 200_000)), DefaultLimits)
		}},
	}
	for _, tc := range cases {
		start := time.Now()
		tc.run()
		d := time.Since(start)
		t.Logf("%s: %v", tc.name, d)
		if d > bound {
			t.Errorf("%s took %v", tc.name, d)
		}
	}
}
