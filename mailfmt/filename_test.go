package mailfmt

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitizeFilename(t *testing.T) {
	long := strings.Repeat("ü", 300) + ".pdf"
	for _, tc := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\win.ini`, "win.ini"},
		{`C:\Users\x\Desktop\evil.lnk`, "evil.lnk"},
		{"a\u202Egnp.exe", "agnp.exe"},
		{"\u2066invoice\u2069\u200e\u200f\u061c.pdf", "invoice.pdf"},
		{"bell\x07\x00\x1b[31m.txt", "bell[31m.txt"},
		{"tab\tand\nnewline.txt", "tab and newline.txt"},
		{"", "attachment"},
		{".", "attachment"},
		{"..", "attachment"},
		{"/", "attachment"},
		{"dir/", "attachment"},
		{"...hidden", "hidden"},
		{"  spaced  out  .txt. . ", "spaced out .txt"},
		{"report..pdf", "report.pdf"},
		{`what?<>:"|*.txt`, "what_______.txt"},
		{"CON", "_CON"},
		{"com1.txt", "_com1.txt"},
		{"console.txt", "console.txt"},
		{"photo.jpg                    .exe", "photo.jpg .exe"},
		{"na\xefve.txt", "naïve.txt"},
	} {
		got := SanitizeFilename(tc.in)
		if got != tc.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tc.in, got, tc.want)
		}
		checkSafeName(t, tc.in, got)
	}

	got := SanitizeFilename(long)
	if len(got) > maxFilenameBytes || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("long name: %d bytes, %q", len(got), got)
	}
	got = SanitizeFilename(strings.Repeat("x", 300) + "." + strings.Repeat("y", 40))
	if len(got) > maxFilenameBytes || !strings.HasPrefix(got, "xxx") {
		t.Errorf("long extension: %d bytes, %q", len(got), got)
	}
}

// checkSafeName holds for every output of SanitizeFilename.
func checkSafeName(t *testing.T, in, out string) {
	t.Helper()
	bad := func(r rune) bool {
		return r == '/' || r == '\\' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			(r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
	}
	switch {
	case out == "":
		t.Fatalf("SanitizeFilename(%q) is empty", in)
	case !utf8.ValidString(out):
		t.Fatalf("SanitizeFilename(%q) = %q is not UTF-8", in, out)
	case strings.ContainsFunc(out, bad):
		t.Fatalf("SanitizeFilename(%q) = %q has a separator, control or bidi character", in, out)
	case strings.Contains(out, ".."), out == ".":
		t.Fatalf("SanitizeFilename(%q) = %q has ..", in, out)
	case strings.Trim(out, ". ") != out:
		t.Fatalf("SanitizeFilename(%q) = %q has dots or spaces at an edge", in, out)
	case len(out) > maxFilenameBytes+1:
		t.Fatalf("SanitizeFilename(%q) = %q is %d bytes", in, out, len(out))
	case SanitizeFilename(out) != out:
		t.Fatalf("SanitizeFilename is not idempotent on %q: %q", out, SanitizeFilename(out))
	}
}

func TestSaveAttachment(t *testing.T) {
	dir := t.TempDir()

	p, err := SaveAttachment(dir, "../../etc/passwd", strings.NewReader("one"))
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, "passwd") {
		t.Errorf("path = %q", p)
	}
	assertFile(t, p, "one")

	// The name is taken: never overwrite.
	p2, err := SaveAttachment(dir, "passwd", strings.NewReader("two"))
	if err != nil {
		t.Fatal(err)
	}
	if p2 != filepath.Join(dir, "passwd (1)") {
		t.Errorf("second path = %q", p2)
	}
	assertFile(t, p, "one")
	assertFile(t, p2, "two")

	p3, err := SaveAttachment(dir, `..\..\report.pdf`, strings.NewReader("a"))
	if err != nil {
		t.Fatal(err)
	}
	p4, err := SaveAttachment(dir, "report.pdf", strings.NewReader("b"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p3) != "report.pdf" || filepath.Base(p4) != "report (1).pdf" {
		t.Errorf("paths %q %q", p3, p4)
	}

	// An empty or dot name still lands inside dir.
	p5, err := SaveAttachment(dir, "..", strings.NewReader("c"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p5) != dir || filepath.Base(p5) != "attachment" {
		t.Errorf("path = %q", p5)
	}
}

func TestSaveAttachmentDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim.txt")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "invoice.pdf")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	dangling := filepath.Join(outside, "not-yet-there")
	if err := os.Symlink(dangling, filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}

	p, err := SaveAttachment(dir, "invoice.pdf", strings.NewReader("attacker data"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "invoice (1).pdf" {
		t.Errorf("path = %q", p)
	}
	assertFile(t, victim, "precious")
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("saved file is not a regular file: %v %v", fi, err)
	}

	p, err = SaveAttachment(dir, "notes.txt", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "notes (1).txt" {
		t.Errorf("path = %q", p)
	}
	if _, err := os.Stat(dangling); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling symlink was followed: %v", err)
	}
}

type brokenReader struct{ n int }

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n > 0 {
		b.n--
		return copy(p, "partial"), nil
	}
	return 0, errors.New("connection reset")
}

func TestSaveAttachmentRemovesPartialFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := SaveAttachment(dir, "big.iso", &brokenReader{n: 2}); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("partial file left behind: %v", entries)
	}
	if _, err := SaveAttachment(filepath.Join(dir, "missing"), "x", strings.NewReader("")); err == nil {
		t.Error("saving into a missing folder should fail")
	}
}

func TestSaveAttachmentFromOpenPart(t *testing.T) {
	m := mustParse(t, msgMixed, Limits{})
	dir := t.TempDir()
	for _, a := range m.Attachments {
		r, _, err := OpenPart(strings.NewReader(msgMixed), a.Path, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := SaveAttachment(dir, a.Filename, r)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != a.Size {
			t.Errorf("%s: saved %v bytes, Part.Size %d (%v)", a.Filename, fi.Size(), a.Size, err)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "€ rates 2025.pdf"))
	if string(data) != string(pdfBytes) {
		t.Errorf("pdf content = %q", data)
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	if string(data) != want {
		t.Errorf("%s = %q, want %q", path, data, want)
	}
}
