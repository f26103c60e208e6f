package mailfmt

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// maxFilenameBytes leaves room under the common 255-byte limit for a " (123)" suffix.
const maxFilenameBytes = 200

// maxExtBytes is the longest extension kept when a name is shortened.
const maxExtBytes = 16

// SanitizeFilename turns a name from a message into a safe base name: '\' is read as '/' and
// only the last element kept; control, format and bidirectional characters (U+202A-202E,
// U+2066-2069, U+200E/F, U+061C and the rest of Unicode's Cf) are dropped; runs of dots become
// one dot; leading and trailing dots and spaces go; characters Windows forbids become '_';
// the length is capped keeping the extension. An empty result becomes "attachment".
func SanitizeFilename(name string) string {
	name = fixUTF8(name)
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == unicode.ReplacementChar:
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	for strings.Contains(name, "..") {
		name = strings.ReplaceAll(name, "..", ".")
	}
	name = strings.Trim(name, ". ")
	if isReservedWindowsName(name) {
		name = "_" + name
	}
	if len(name) > maxFilenameBytes {
		stem, ext := splitExt(name)
		if len(ext) > maxExtBytes {
			stem, ext = name, ""
		}
		stem = strings.TrimRight(truncateBytes(stem, maxFilenameBytes-len(ext)), ". ")
		name = strings.Trim(stem+ext, ". ")
	}
	if name == "" {
		return "attachment"
	}
	return name
}

// truncateBytes cuts s to at most n bytes without splitting a character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// splitExt splits "a.tar.gz" into "a.tar" and ".gz"; a name without a dot has no extension.
func splitExt(name string) (string, string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i:]
}

// isReservedWindowsName reports device names such as CON or COM1.txt that Windows will not
// create as files.
func isReservedWindowsName(name string) bool {
	stem := strings.ToUpper(strings.TrimRight(strings.SplitN(name, ".", 2)[0], " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		return stem[3] >= '0' && stem[3] <= '9'
	}
	return false
}

// SaveAttachment writes r to a new file in dir named after SanitizeFilename(name). It never
// overwrites: when the name is taken it tries "name (1).ext", "name (2).ext" and so on. The file
// is created exclusively through an os.Root, so an existing symlink is never followed and no
// path can leave dir. The data is fsynced before the path is returned; on failure the partial
// file is removed.
func SaveAttachment(dir, name string, r io.Reader) (path string, err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("mailfmt: save attachment: %w", err)
	}
	defer root.Close()

	base := SanitizeFilename(name)
	stem, ext := splitExt(base)
	for i := 0; i < 10000; i++ {
		cand := base
		if i > 0 {
			cand = stem + " (" + strconv.Itoa(i) + ")" + ext
		}
		f, err := root.OpenFile(cand, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("mailfmt: save attachment %q: %w", cand, err)
		}
		if err := writeSynced(f, r); err != nil {
			if rmErr := root.Remove(cand); rmErr != nil {
				err = errors.Join(err, rmErr)
			}
			return "", fmt.Errorf("mailfmt: save attachment %q: %w", cand, err)
		}
		syncDir(root)
		return filepath.Join(dir, cand), nil
	}
	return "", fmt.Errorf("mailfmt: save attachment %q: too many files with this name", base)
}

func writeSynced(f *os.File, r io.Reader) error {
	_, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the new directory entry durable where the platform allows it. Windows cannot
// fsync a directory, so a failure here is not an error for the saved file.
func syncDir(root *os.Root) {
	d, err := root.Open(".")
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
