package ui

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/ui/translations"
)

// dutchChecks runs in a child process started with a Dutch locale (see TestDutchFromTheSystemLocale).
func dutchChecks() []string {
	var fails []string
	check := func(got, want string) {
		if got != want {
			fails = append(fails, "got "+strconv.Quote(got)+", want "+strconv.Quote(want))
		}
	}
	check(tr("Get mail"), "Berichten ophalen")
	check(trN("{{.Count}} messages", 1), "1 bericht")
	check(trN("{{.Count}} messages", 12430), "12.430 berichten")
	check(formatCount(1234567), "1.234.567")
	check(coverageLine(&searchResults{limit: 500, result: localcache.SearchResult{Searched: 12430, WithoutBody: 310}}),
		"0 gevonden · 12.430 doorzocht; 310 alleen op kopregels")
	// The line above the results is cut off where it is wider than the message list, which is
	// about 400 wide in the first window (1200 wide, folders 20%, list 42% of the rest), less padding.
	test.NewApp()
	full := coverageLine(&searchResults{limit: 500, result: localcache.SearchResult{
		Messages: make([]localcache.Message, 500), Searched: 12430, WithoutBody: 310}})
	if w := fyne.MeasureText(full, theme.Size(theme.SizeNameCaptionText), fyne.TextStyle{}).Width; w > 390 {
		fails = append(fails, fmt.Sprintf("search line %q is %.0f wide, more than the message list", full, w))
	}
	check(trN("Delete the folder “{{.Name}}” and the {{.Count}} messages in it?", 1,
		map[string]any{"Name": "Oud", "Count": formatCount(1)}), "De map “Oud” en het bericht erin verwijderen?")
	now := time.Date(2025, 6, 14, 12, 0, 0, 0, time.Local)
	check(listDate(time.Date(2025, 3, 2, 9, 0, 0, 0, time.Local), now), "2 mrt")
	check(tr("Cancel"), "Annuleren") // Fyne's own dialog buttons follow the app's language
	dutchProblemChecks(check)
	return fails
}

func TestDutchFromTheSystemLocale(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "POSTBODE_TEST_LANG=nl", "LC_ALL=nl_NL.UTF-8", "LANGUAGE=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dutch ok") {
		t.Fatalf("Dutch checks: %v\n%s", err, out)
	}
}

// TestDutchWords keeps the Dutch words consistent: "sleutelbos" (as GNOME calls the keyring), not
// "sleutelhanger"; and "e-mail" for mail, never "mail" or "post" on its own.
func TestDutchWords(t *testing.T) {
	data, err := translations.FS.ReadFile("nl.json")
	if err != nil {
		t.Fatal(err)
	}
	nl := map[string]json.RawMessage{}
	if err := json.Unmarshal(data, &nl); err != nil {
		t.Fatal(err)
	}
	allowed := strings.NewReplacer("e-mail", "", "mailto:", "", "mail.voorbeeld.nl", "")
	bareMail := regexp.MustCompile(`mail|\bpost\b`)
	for key, raw := range nl {
		var texts []string
		var forms map[string]string
		if json.Unmarshal(raw, &forms) == nil {
			for _, f := range forms {
				texts = append(texts, f)
			}
		} else {
			var s string
			_ = json.Unmarshal(raw, &s)
			texts = append(texts, s)
		}
		for _, s := range texts {
			if strings.Contains(strings.ToLower(s), "sleutelhanger") {
				t.Errorf("%q: %q says sleutelhanger; the keyring is the sleutelbos", key, s)
			}
			if m := bareMail.FindString(allowed.Replace(strings.ToLower(s))); m != "" {
				t.Errorf("%q: %q says %q on its own; write e-mail", key, s, m)
			}
		}
	}
}

func TestEnglishFormats(t *testing.T) {
	now := time.Date(2025, 6, 14, 15, 30, 0, 0, time.Local)
	cases := map[string]string{
		listDate(time.Date(2025, 6, 14, 9, 5, 0, 0, time.Local), now):  "09:05",
		listDate(time.Date(2025, 1, 2, 9, 5, 0, 0, time.Local), now):   "2 Jan",
		listDate(time.Date(2023, 12, 24, 9, 5, 0, 0, time.Local), now): "24 Dec 2023",
		formatCount(12430):                     "12,430",
		formatCount(999):                       "999",
		formatCount(-1000):                     "-1,000",
		formatSize(1):                          "1 byte",
		formatSize(2048):                       "2 KB",
		formatSize(3 << 20):                    "3.0 MB",
		trN("{{.Count}} messages", 1):          "1 message",
		trN("{{.Count}} messages", 2):          "2 messages",
		mailfmt.PrefixSubject("Re:", "Hello"):  "Re: Hello",
		mailfmt.PrefixSubject("Re:", "RE: x"):  "RE: x",
		mailfmt.PrefixSubject("Re:", "Aw: x"):  "Aw: x",
		mailfmt.PrefixSubject("Fwd:", "Re: x"): "Fwd: Re: x",
		mailfmt.PrefixSubject("Fwd:", "FW: x"): "FW: x",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// TestEveryStringIsTranslated finds every tr("...") and trN("...") in this package and the packages
// under it (the wizard) and checks that Dutch has it, and that English has the singular of every
// plural.
func TestEveryStringIsTranslated(t *testing.T) {
	load := func(name string) map[string]json.RawMessage {
		data, err := translations.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	nl, en := load("nl.json"), load("en.json")
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(files, func(f string) bool { return strings.HasPrefix(f, "wizard"+string(filepath.Separator)) }) {
		t.Fatalf("the scan does not reach the wizard's package: %v", files)
	}
	fset := token.NewFileSet()
	keys := map[string]bool{}
	plurals := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok || (id.Name != "tr" && id.Name != "trN") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			keys[s] = true
			if id.Name == "trN" {
				plurals[s] = true
			}
			return true
		})
	}
	for _, m := range translations.MonthKeys {
		keys[m] = true
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d strings; is the scan broken?", len(keys))
	}
	for k := range keys {
		if _, ok := nl[k]; !ok {
			t.Errorf("no Dutch for %q", k)
		}
	}
	for k := range plurals {
		var forms map[string]string
		if err := json.Unmarshal(en[k], &forms); err != nil || forms["one"] == "" {
			t.Errorf("English plural %q has no singular", k)
		}
		if err := json.Unmarshal(nl[k], &forms); err != nil || forms["one"] == "" || forms["other"] == "" {
			t.Errorf("Dutch plural %q is incomplete", k)
		}
	}
}
