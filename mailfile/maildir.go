package mailfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// infoSep separates a Maildir file's unique name from its info (":2,FLAGS"). Windows forbids ":"
// in file names; ";" is what Dovecot and others use there.
var infoSep = func() byte {
	if runtime.GOOS == "windows" {
		return ';'
	}
	return ':'
}()

// maildirFlags are the info letters in the ASCII order the specification asks for.
var maildirFlags = []struct {
	letter byte
	flag   Flags
}{
	{'D', Draft}, {'F', Flagged}, {'P', Forwarded}, {'R', Answered}, {'S', Seen}, {'T', Trashed},
}

// MaildirInfo is the info part (without the separator) for flags: "2,FRS".
func MaildirInfo(f Flags) string {
	b := []byte("2,")
	for _, mf := range maildirFlags {
		if f.Has(mf.flag) {
			b = append(b, mf.letter)
		}
	}
	return string(b)
}

// ParseMaildirName splits a Maildir file name into its unique part, the size from ",S=" (-1 when
// absent) and the flags of its ":2," info (unknown letters, such as Dovecot's lowercase keywords,
// are ignored). ok is false for names a Maildir reader must skip.
func ParseMaildirName(name string) (unique string, size int64, flags Flags, ok bool) {
	if name == "" || name[0] == '.' || strings.ContainsAny(name, "/\\\x00") {
		return "", -1, 0, false
	}
	unique = name
	for _, sep := range []string{":2,", ";2,", "!2,"} {
		if i := strings.LastIndex(name, sep); i >= 0 {
			unique = name[:i]
			for _, c := range []byte(name[i+len(sep):]) {
				for _, mf := range maildirFlags {
					if c == mf.letter {
						flags |= mf.flag
					}
				}
			}
			break
		}
	}
	size = -1
	if i := strings.Index(unique, ",S="); i >= 0 {
		digits := unique[i+3:]
		if j := strings.IndexByte(digits, ','); j >= 0 {
			digits = digits[:j]
		}
		if n, err := strconv.ParseInt(digits, 10, 64); err == nil && n >= 0 {
			size = n
		}
	}
	return unique, size, flags, unique != ""
}

var maildirSeq atomic.Uint64

func randomHex() string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand does not fail on supported systems
	return hex.EncodeToString(rnd[:])
}

// NewMaildirName makes a unique name: <seconds>.M<microseconds>P<pid>Q<sequence>R<random>.<host>,S=<size>.
func NewMaildirName(now time.Time, size int) string {
	return fmt.Sprintf("%d.M%dP%dQ%dR%s.%s,S=%d", now.Unix(), now.Nanosecond()/1000, os.Getpid(),
		maildirSeq.Add(1), randomHex(), maildirHost(), size)
}

// maildirHost is the host name for unique names, read once (it costs three system calls).
var maildirHost = sync.OnceValue(func() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	// The specification's escapes for the characters a host name must not bring in.
	return strings.NewReplacer("/", `\057`, ":", `\072`, ";", `\073`).Replace(host)
})

// IsMaildir reports whether dir has the cur and new subdirectories of a Maildir.
func IsMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// MaildirWriter delivers messages into one Maildir.
type MaildirWriter struct {
	dir string
	// Deferred leaves out the fsync of each file before its rename and makes everything durable in
	// Close instead (syncfs on Linux, one fsync per file elsewhere). For exports: thousands of files
	// would otherwise wait for the disk one at a time (about 0.75 ms each measured), and an export
	// is not finished before Close returns anyway.
	Deferred bool
	written  []string // files renamed into cur while Deferred, for Close
}

// CreateMaildir makes dir with cur, new and tmp (existing ones are kept) and writes into it.
func CreateMaildir(dir string) (*MaildirWriter, error) {
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("maildir %s: %w", dir, err)
		}
	}
	return &MaildirWriter{dir: dir}, nil
}

// Write stores a message as the specification asks: written and fsynced in tmp, its time set to
// the message's date, then renamed into cur with its flags. It returns the file's name in cur.
// The rename is made durable by Close (one directory fsync for the whole batch).
func (w *MaildirWriter) Write(m *Message) (string, error) {
	unique := NewMaildirName(time.Now(), len(m.Raw))
	tmp := filepath.Join(w.dir, "tmp", unique)
	if err := writeFile(tmp, m.Raw, !w.Deferred); err != nil {
		return "", fmt.Errorf("maildir %s: %w", w.dir, err)
	}
	if !m.Date.IsZero() {
		if err := os.Chtimes(tmp, m.Date, m.Date); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("maildir %s: %w", w.dir, err)
		}
	}
	name := unique + string(infoSep) + MaildirInfo(m.Flags)
	final := filepath.Join(w.dir, "cur", name)
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("maildir %s: %w", w.dir, err)
	}
	if w.Deferred {
		w.written = append(w.written, final)
	}
	return name, nil
}

// Close makes the messages written and their renames into cur durable.
func (w *MaildirWriter) Close() error {
	if len(w.written) > 0 {
		if err := syncFiles(w.written); err != nil {
			return fmt.Errorf("maildir %s: %w", w.dir, err)
		}
		w.written = nil
	}
	if err := syncDir(filepath.Join(w.dir, "cur")); err != nil {
		return fmt.Errorf("maildir %s: %w", w.dir, err)
	}
	return nil
}

// writeFileSync creates path with data and fsyncs it before closing.
func writeFileSync(path string, data []byte) error { return writeFile(path, data, true) }

// writeFile creates path (which must not exist) with data, fsynced when sync is set.
func writeFile(path string, data []byte, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for fsync there; NTFS journals renames
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// MaildirReader reads the messages of one Maildir, new first, then cur, each by name.
type MaildirReader struct {
	dir   string
	max   int64
	files []string // "new/NAME" or "cur/NAME"
	next  int
}

// OpenMaildir lists the messages in dir (names only); maxSize <= 0 means DefaultMaxSize.
func OpenMaildir(dir string, maxSize int64) (*MaildirReader, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	r := &MaildirReader{dir: dir, max: maxSize}
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("maildir %s: %w", dir, err)
		}
		var names []string
		for _, e := range entries {
			if _, _, _, ok := ParseMaildirName(e.Name()); ok && e.Type().IsRegular() {
				names = append(names, e.Name())
			}
		}
		slices.Sort(names)
		for _, n := range names {
			r.files = append(r.files, sub+"/"+n)
		}
	}
	return r, nil
}

// Len is the number of messages listed.
func (r *MaildirReader) Len() int { return len(r.files) }

// Next returns the next message, or io.EOF after the last. A message over the size limit is
// skipped with an error wrapping ErrTooLarge; a file that disappeared (another program moved it)
// is passed over.
func (r *MaildirReader) Next() (*Message, error) {
	for r.next < len(r.files) {
		rel := r.files[r.next]
		r.next++
		path := filepath.Join(r.dir, filepath.FromSlash(rel))
		m, err := readMessageFile(path, r.max)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("maildir %s: %s: %w", r.dir, rel, err)
		}
		if strings.HasPrefix(rel, "cur/") {
			_, _, m.Flags, _ = ParseMaildirName(rel[4:])
		}
		return m, nil
	}
	return nil, io.EOF
}

// readMessageFile reads one message file, its modification time as the date.
func readMessageFile(path string, max int64) (*Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if fi.Size() > max {
		return nil, tooLarge(fi.Size(), max)
	}
	// Read at most one byte more than the limit: the file may have grown since Stat.
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, tooLarge(int64(len(raw)), max)
	}
	return &Message{Raw: raw, Date: fi.ModTime()}, nil
}

// maxDepth bounds folder recursion (links or odd trees cannot make it run forever).
const maxDepth = 32

// MaildirFolders finds the Maildirs under root: root itself (as INBOX, the Maildir++ layout),
// Maildir++ subfolders (".Name.Sub", names in modified UTF-7) and plain nested directories
// ("Name/Sub", as Postbode exports them).
func MaildirFolders(root string) ([]Folder, error) {
	var out []Folder
	if IsMaildir(root) {
		out = append(out, Folder{Path: []string{"INBOX"}, File: root, Format: FormatMaildir})
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("maildir %s: %w", root, err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "." || name == ".." || !strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(root, name)
		if !IsMaildir(dir) {
			continue
		}
		var path []string
		for _, seg := range strings.Split(name[1:], ".") {
			path = append(path, decodeFolderName(seg))
		}
		out = append(out, Folder{Path: path, File: dir, Format: FormatMaildir})
	}
	if err := plainMaildirs(root, nil, 0, &out); err != nil {
		return nil, err
	}
	sortFolders(out)
	return out, nil
}

func plainMaildirs(dir string, parent []string, depth int, out *[]Folder) error {
	if depth > maxDepth {
		return fmt.Errorf("maildir %s: folders nested more than %d deep", dir, maxDepth)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("maildir %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || name == "cur" || name == "new" || name == "tmp" {
			continue
		}
		sub := filepath.Join(dir, name)
		path := append(slices.Clip(parent), decodeSegment(name))
		if IsMaildir(sub) {
			*out = append(*out, Folder{Path: path, File: sub, Format: FormatMaildir})
		}
		if err := plainMaildirs(sub, path, depth+1, out); err != nil {
			return err
		}
	}
	return nil
}
