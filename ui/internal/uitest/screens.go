package uitest

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"postbode/ui/translations"
)

// SetLanguage gives a test binary its language before the tests run (call it from TestMain): the
// tests read English texts, unless a Dutch run of a screenshot test started this process (InDutch).
func SetLanguage() {
	if os.Getenv("POSTBODE_TEST_LANG") != "nl-screens" {
		os.Setenv("LC_ALL", "en_GB.UTF-8")
		os.Unsetenv("LANGUAGE")
	}
}

// LangSuffix names the language of this run's screenshots: "-en", or "-nl" in a Dutch run.
func LangSuffix() string {
	if translations.Language() == "nl" {
		return "-nl"
	}
	return "-en"
}

// InDutch runs the test named run again in a child process with a Dutch locale (its screenshots
// get the -nl suffix) and checks that it passed.
func InDutch(t *testing.T, run string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$")
	cmd.Env = append(os.Environ(), "POSTBODE_TEST_LANG=nl-screens", "LC_ALL=nl_NL.UTF-8", "LANGUAGE=")
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "PASS") {
		t.Fatalf("Dutch run of %s: %v\n%s", run, err, b)
	}
}

// ScreenshotDir is where screenshots go: postbode-screenshots in the temporary directory.
func ScreenshotDir(t *testing.T) string {
	dir := filepath.Join(os.TempDir(), "postbode-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// SavePNG writes a capture to the screenshot folder; a blank one fails the test.
func SavePNG(t *testing.T, img image.Image, name string) {
	t.Helper()
	// A blank capture means nothing was painted.
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	distinct := 0
	for y := b.Min.Y; y < b.Max.Y && distinct < 50; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if img.At(x, y) != first {
				distinct++
			}
		}
	}
	if distinct < 50 {
		t.Fatalf("%s: the capture is blank", name)
	}
	path := filepath.Join(ScreenshotDir(t), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
