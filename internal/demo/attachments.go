package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// pdfDoc makes a small, valid one-page PDF with a title and lines of text in Helvetica.
func pdfDoc(title string, lines []string) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 16 Tf 56 780 Td (" + pdfString(title) + ") Tj ET\n")
	y := 750
	for _, l := range lines {
		fmt.Fprintf(&content, "BT /F1 11 Tf 56 %d Td (%s) Tj ET\n", y, pdfString(l))
		y -= 16
	}
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, obj := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, obj)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// pdfString escapes text for a PDF literal string in WinAnsiEncoding (Latin-1 for these letters).
func pdfString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '€':
			b.WriteString(`\200`)
		case r >= 0xa0 && r <= 0xff:
			fmt.Fprintf(&b, `\%03o`, r)
		case r < 0x20 || r >= 0x80:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// barChart draws a small bar chart as PNG: the webshop orders per week in Fleur's mail.
func barChart(values []int) []byte {
	const w, h, margin = 360, 180, 20
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{0xfa, 0xfa, 0xf7, 0xff}
	axis := color.RGBA{0x55, 0x55, 0x55, 0xff}
	bars := []color.RGBA{{0xe8, 0x6a, 0x1c, 0xff}, {0x2b, 0x6c, 0xb0, 0xff}}
	fill := func(x0, y0, x1, y1 int, c color.Color) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.Set(x, y, c)
			}
		}
	}
	fill(0, 0, w, h, bg)
	fill(margin, h-margin, w-margin, h-margin+2, axis)
	fill(margin, margin, margin+2, h-margin, axis)
	maxV := 1
	for _, v := range values {
		maxV = max(maxV, v)
	}
	slot := (w - 2*margin - 10) / max(1, len(values))
	for i, v := range values {
		x0 := margin + 10 + i*slot
		barH := v * (h - 2*margin - 10) / maxV
		fill(x0, h-margin-barH, x0+slot*2/3, h-margin, bars[i%2])
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil // png.Encode of an in-memory RGBA image does not fail
	}
	return b.Bytes()
}
