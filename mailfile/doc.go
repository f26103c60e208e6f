// Package mailfile reads and writes mail in the file formats other programs use: mbox (mboxrd and
// mboxo), Maildir (with Maildir++ subfolders), single .eml files, and Thunderbird's "Local Folders".
// It knows nothing of accounts, the cache or the network: a message is its exact bytes plus what the
// container says about it (envelope sender, date, flags, keywords).
package mailfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Flags are what a container records about a message besides its bytes.
type Flags uint8

const (
	Seen      Flags = 1 << iota // read
	Answered                    // replied to
	Flagged                     // starred, important
	Draft                       // not yet sent
	Forwarded                   // passed on (Maildir "P")
	Trashed                     // marked for deletion (Maildir "T")
)

// Has reports whether every bit of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Message is one message read from or written to a container.
type Message struct {
	// Raw is the message exactly as stored: header and body, line ends untouched.
	Raw []byte
	// Sender is the envelope sender of an mbox From_ line ("" when unknown).
	Sender string
	// Date is the From_ line's date (mbox) or the file's modification time (Maildir, .eml); zero
	// when unknown.
	Date     time.Time
	Flags    Flags
	Keywords []string
}

// DefaultMaxSize is the largest message a reader accepts unless told otherwise: a limit on the
// memory one message may take.
const DefaultMaxSize = 64 << 20

// ErrTooLarge is wrapped by the error a reader returns for a message over its size limit. The
// reader has skipped that message: the next call goes on with the one after it.
var ErrTooLarge = errors.New("message too large")

func tooLarge(size, limit int64) error {
	return fmt.Errorf("%w: more than %d bytes (limit %d)", ErrTooLarge, size, limit)
}

// Folder is one mail folder found on disk.
type Folder struct {
	// Path is the folder's names from the top, each decoded ("Archive", "2024").
	Path []string
	// File is the mbox file, the Maildir directory, or (.eml) the file or directory of files.
	File   string
	Format Format
}

// Name is the folder's path joined with "/".
func (f Folder) Name() string { return strings.Join(f.Path, "/") }

// Format is a container format.
type Format string

const (
	FormatMbox    Format = "mbox"
	FormatMaildir Format = "maildir"
	FormatEML     Format = "eml"
)

func sortFolders(fs []Folder) {
	slices.SortFunc(fs, func(a, b Folder) int { return slices.Compare(a.Path, b.Path) })
}
