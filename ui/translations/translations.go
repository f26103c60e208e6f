// Package translations holds the English and Dutch texts of every window (the JSON files beside
// this one, embedded once) and the few number and date formats that follow the language. The ui
// package and its sub-packages (the account wizard) translate through it.
package translations

import (
	"embed"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// FS holds en.json and nl.json: the English text is the key, and every file names its language
// under "_language".
//
//go:embed *.json
var FS embed.FS

// Load hands the files to Fyne once (Tr and TrN call it; Run calls it before the app starts). lang.AddTranslationsFS wants them in a subdirectory of the
// embedded tree; here they sit beside the code, so each goes in as a resource named by its language.
var Load = sync.OnceFunc(func() {
	files, err := FS.ReadDir(".")
	if err != nil {
		fyne.LogError("load translations", err)
		return
	}
	for _, f := range files {
		data, err := FS.ReadFile(f.Name())
		if err == nil {
			err = lang.AddTranslations(fyne.NewStaticResource(f.Name(), data))
		}
		if err != nil {
			fyne.LogError("load translations "+f.Name(), err)
		}
	}
})

// Tr translates a user-visible string; the English text is the key. data fills {{.Field}} templates.
func Tr(s string, data ...any) string {
	Load()
	return lang.L(s, data...)
}

// TrN translates a string with plural forms; the count is available as {{.Count}} in data.
func TrN(s string, n int, data ...any) string {
	Load()
	if len(data) == 0 {
		data = []any{map[string]any{"Count": FormatCount(n)}}
	}
	return lang.N(s, n, data...)
}

// Language is the language the translations were chosen in ("en" or "nl"), so number and date
// formats always match the words.
func Language() string {
	if Tr("_language") == "nl" {
		return "nl"
	}
	return "en"
}

// FormatCount writes n with thousands separators: 12,430 in English, 12.430 in Dutch.
func FormatCount(n int) string {
	sep := ","
	if Language() == "nl" {
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

// MonthKeys are the translation keys of the short month names.
var MonthKeys = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// ShortMonth is a month's short name in the current language.
func ShortMonth(m time.Month) string { return Tr(MonthKeys[m-1]) }

// FullDate is the date shown in the reader, in reply attributions and on certificates.
func FullDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	return strconv.Itoa(t.Day()) + " " + ShortMonth(t.Month()) + " " + strconv.Itoa(t.Year()) + ", " + t.Format("15:04")
}
