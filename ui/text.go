package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ellipsize shortens s with "…" so that it fits in width when drawn at size and style.
func ellipsize(s string, width, size float32, style fyne.TextStyle) string {
	if s == "" || fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	runes := []rune(s)
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(runes[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(runes[:lo]), " ") + "…"
}

// oneLine folds line breaks and runs of white space, for single-line labels.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
