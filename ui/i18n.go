package ui

import (
	"strconv"
	"strings"
	"time"

	"postbode/ui/translations"
)

// tr, trN, language, formatCount, shortMonth and fullDate keep their short names in this package;
// the texts and formats live in ui/translations, shared with the account wizard.
var loadTranslations = translations.Load

func tr(s string, data ...any) string         { return translations.Tr(s, data...) }
func trN(s string, n int, data ...any) string { return translations.TrN(s, n, data...) }
func language() string                        { return translations.Language() }
func formatCount(n int) string                { return translations.FormatCount(n) }
func shortMonth(m time.Month) string          { return translations.ShortMonth(m) }
func fullDate(t time.Time) string             { return translations.FullDate(t) }

// listDate is the date column of the message list: the time for today, "2 Jan" for this year,
// and "2 Jan 2006" before.
func listDate(t, now time.Time) string {
	t = t.In(now.Location())
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return strconv.Itoa(t.Day()) + " " + shortMonth(t.Month())
	default:
		return strconv.Itoa(t.Day()) + " " + shortMonth(t.Month()) + " " + strconv.Itoa(t.Year())
	}
}

// formatSize writes a byte count for people: 512 bytes, 12 KB, 3.4 MB.
func formatSize(n int64) string {
	const k = 1024
	dec := "."
	if language() == "nl" {
		dec = ","
	}
	switch {
	case n < 0:
		return ""
	case n < k:
		return trN("{{.Count}} bytes", int(n))
	case n < k*k:
		return strconv.FormatInt((n+k/2)/k, 10) + " KB"
	case n < k*k*k:
		return strings.Replace(strconv.FormatFloat(float64(n)/(k*k), 'f', 1, 64), ".", dec, 1) + " MB"
	default:
		return strings.Replace(strconv.FormatFloat(float64(n)/(k*k*k), 'f', 1, 64), ".", dec, 1) + " GB"
	}
}
