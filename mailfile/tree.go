package mailfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EncodeSegment turns one folder name into a file name that every system accepts and that no
// reader takes for something else: characters that are not allowed in file names (and "%") become
// %XX, as do a leading "." (hidden files, Maildir++ folders), the "." before an extension readers
// skip (".msf", ".sbd", ...) and the first letter of "cur", "new", "tmp" and Windows' device
// names ("CON", "NUL.txt"). DecodeSegment undoes it.
func EncodeSegment(name string) string {
	if name == "" {
		return "%"
	}
	var sb strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(`/\:*?"<>|%`, c) >= 0 || (i == 0 && c == '.') {
			fmt.Fprintf(&sb, "%%%02X", c)
			continue
		}
		sb.WriteByte(c)
	}
	s := sb.String()
	stem, _, _ := strings.Cut(strings.ToLower(s), ".")
	if reservedName[stem] {
		s = fmt.Sprintf("%%%02X", s[0]) + s[1:]
	}
	if ext := filepath.Ext(s); ext != "" && ignoredExt[strings.ToLower(ext)] {
		return s[:len(s)-len(ext)] + "%2E" + ext[1:]
	}
	return s
}

// DecodeSegment undoes EncodeSegment; text that is not a valid %XX escape stays as it is.
func DecodeSegment(s string) string { return decodeSegment(s) }

func decodeSegment(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if s == "%" {
		return ""
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// reservedName are names a folder's file must not take: the Maildir subdirectories, and the
// device names Windows reserves whatever the extension.
var reservedName = map[string]bool{
	"cur": true, "new": true, "tmp": true,
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// ignoredExt are the files next to mbox files in a Thunderbird profile (and elsewhere) that are
// not mail: summaries, filter rules, logs, indexes.
var ignoredExt = map[string]bool{
	".msf": true, ".dat": true, ".html": true, ".htm": true, ".json": true, ".sqlite": true,
	".js": true, ".log": true, ".txt": true, ".bak": true, ".mozlz4": true, ".sbd": true,
	".lock": true, ".tmp": true,
}

// MboxFolders finds the mbox files under dir in Thunderbird's layout: a file per folder, the
// folder's subfolders in "<name>.sbd/". Files with the extensions Thunderbird keeps beside them
// (.msf, .dat, .html, ...) and files that do not start with "From " (and are not empty) are
// skipped.
func MboxFolders(dir string) ([]Folder, error) {
	var out []Folder
	if err := mboxFolders(dir, nil, 0, &out); err != nil {
		return nil, err
	}
	sortFolders(out)
	return out, nil
}

func mboxFolders(dir string, parent []string, depth int, out *[]Folder) error {
	if depth > maxDepth {
		return fmt.Errorf("mbox folders %s: nested more than %d deep", dir, maxDepth)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("mbox folders %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(dir, name)
		if e.IsDir() {
			if base, ok := strings.CutSuffix(name, ".sbd"); ok {
				path := append(slices.Clip(parent), decodeSegment(base))
				if err := mboxFolders(full, path, depth+1, out); err != nil {
					return err
				}
			}
			continue
		}
		if !e.Type().IsRegular() || ignoredExt[strings.ToLower(filepath.Ext(name))] || !LooksLikeMbox(full) {
			continue
		}
		*out = append(*out, Folder{Path: append(slices.Clip(parent), decodeSegment(name)), File: full, Format: FormatMbox})
	}
	return nil
}

// LooksLikeMbox reports whether the file is empty or starts with "From ".
func LooksLikeMbox(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 5)
	n, err := io.ReadFull(f, head)
	return n == 0 && err == io.EOF || bytes.Equal(head[:n], []byte("From "))
}

// ReadEML reads one message file (.eml), its modification time as the date.
func ReadEML(path string, maxSize int64) (*Message, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	m, err := readMessageFile(path, maxSize)
	if err != nil {
		return nil, fmt.Errorf("eml %s: %w", path, err)
	}
	return m, nil
}

// WriteEML writes one message to path: into a temporary file beside it, fsynced, then renamed,
// so that path holds either nothing or the whole message.
func WriteEML(path string, m *Message) error {
	tmp := path + ".tmp-" + randomHex()
	if err := writeFileSync(tmp, m.Raw); err != nil {
		return fmt.Errorf("eml %s: %w", path, err)
	}
	if !m.Date.IsZero() {
		_ = os.Chtimes(tmp, m.Date, m.Date) // the date is a courtesy; the bytes are what matter
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("eml %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("eml %s: %w", path, err)
	}
	return nil
}
