package ui

import (
	"embed"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

//go:embed translations/*.json
var translations embed.FS

var loadTranslations = sync.OnceFunc(func() {
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("load translations", err)
	}
})

// tr translates a user-visible string; the English text is the key. data fills {{.Field}} templates.
func tr(s string, data ...any) string {
	loadTranslations()
	return lang.L(s, data...)
}

// trN translates a string with plural forms; the count is available as {{.Count}} in data.
func trN(s string, n int, data ...any) string {
	loadTranslations()
	if len(data) == 0 {
		data = []any{map[string]any{"Count": formatCount(n)}}
	}
	return lang.N(s, n, data...)
}

// language is the language the translations were chosen in ("en" or "nl"): every translation file
// carries it under the key "_language", so number and date formats always match the words.
func language() string {
	if tr("_language") == "nl" {
		return "nl"
	}
	return "en"
}

// formatCount writes n with thousands separators: 12,430 in English, 12.430 in Dutch.
func formatCount(n int) string {
	sep := ","
	if language() == "nl" {
		sep = "."
	}
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

var monthKeys = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func shortMonth(m time.Month) string { return tr(monthKeys[m-1]) }

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

// fullDate is the date shown in the reader and in reply attributions.
func fullDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	return strconv.Itoa(t.Day()) + " " + shortMonth(t.Month()) + " " + strconv.Itoa(t.Year()) + ", " + t.Format("15:04")
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
