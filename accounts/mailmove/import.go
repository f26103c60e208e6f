package mailmove

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/mailfile"
	"postbode/mailfmt"
	"postbode/types"
)

// ImportOptions say what to import and where.
type ImportOptions struct {
	Account string
	// Folder is the folder to import into when the source is one folder, and the parent of the
	// imported folders when it is a tree. "" keeps the source's names (an mbox file's name without
	// its extension for a single file, "Imported" for one .eml file); names match existing folders case-insensitively, so
	// Thunderbird's "Inbox" lands in the account's inbox.
	Folder string
	// Source is an mbox file, an .eml file, a Maildir (with Maildir++ or nested subfolders), a
	// directory of mbox files in Thunderbird's layout, or a directory of .eml files.
	Source string
	// Thunderbird imports the Local Folders of the default Thunderbird profile instead of Source,
	// found from Home and Getenv (os.Getenv when nil) for the system GOOS (runtime.GOOS when "").
	Thunderbird bool
	Home        string
	Getenv      func(string) string
	GOOS        string
	MaxSize     int64 // the largest message accepted (mailfile.DefaultMaxSize when 0)
	Progress    func(Progress)
}

// source is one folder to import.
type source struct {
	folder mailfile.Folder
	flavor mailfile.MboxFlavor
	target string
}

// batch limits, as the POP3 download's: one group commit per 200 messages or 4 MiB.
const (
	batchMessages = 200
	batchBytes    = 4 << 20
)

// Import adds the messages of mail files to folders of an account, creating folders as needed and
// carrying flags: into local folders (a POP3 account's, or "On this computer"), or into an IMAP
// account's, where each is uploaded by its engine and checked there (Manager.QueueUploads). A
// message the target folder holds already (the same bytes, or the same Message-ID and size) is
// skipped, so that an interrupted import can simply be run again. Bodies are stored before their
// index entries, a batch at a time.
func Import(ctx context.Context, cache *localcache.Cache, m *accounts.Manager, opt ImportOptions) (Summary, error) {
	var sum Summary
	acc, ok := m.Account(opt.Account)
	if !ok {
		return sum, fmt.Errorf("import: no account named %q", opt.Account)
	}
	sources, err := findSources(opt)
	if err != nil {
		return sum, err
	}
	im := &importer{cache: cache, m: m, acc: acc, opt: opt, sum: &sum, toServer: m.KeepsMailOnServer(acc.Kind)}
	if im.toServer {
		// What the server holds already is known only after a pass; the uploads go with the next.
		if err := m.SyncOnce(ctx, acc.Name); err != nil {
			return sum, fmt.Errorf("import: learn what %s holds already: %w", acc.Name, err)
		}
	}
	if opt.MaxSize <= 0 {
		im.opt.MaxSize = mailfile.DefaultMaxSize
	}
	if err := im.count(ctx, sources); err != nil {
		return sum, err
	}
	if im.total >= 1000 {
		// As a first download does: merge the full-text index once at the end.
		end, err := cache.BeginBulkIndex(ctx)
		if err != nil {
			return sum, err
		}
		defer func() { _ = end(context.WithoutCancel(ctx)) }()
	}
	for _, src := range sources {
		if err := im.folder(ctx, src); err != nil {
			return sum, err
		}
		sum.Folders++
	}
	return sum, nil
}

// findSources works out the folders of the source and the names they get.
func findSources(opt ImportOptions) ([]source, error) {
	if opt.Thunderbird {
		return thunderbirdSources(opt)
	}
	if opt.Source == "" {
		return nil, errors.New("import: nothing to import: give a file or directory, or Thunderbird")
	}
	fi, err := os.Stat(opt.Source)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(opt.Source), filepath.Ext(opt.Source))
	if !fi.IsDir() {
		f := mailfile.Folder{Path: []string{base}, File: opt.Source, Format: mailfile.FormatMbox}
		if strings.EqualFold(filepath.Ext(opt.Source), ".eml") || !mailfile.LooksLikeMbox(opt.Source) {
			// One message: a folder named after its file would be odd.
			f.Format, f.Path = mailfile.FormatEML, []string{"Imported"}
		}
		return named([]source{{folder: f}}, opt.Folder, true), nil
	}
	var folders []mailfile.Folder
	if folders, err = mailfile.MaildirFolders(opt.Source); err == nil && len(folders) == 0 {
		folders, err = mailfile.MboxFolders(opt.Source)
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if len(folders) == 0 {
		emls, _ := filepath.Glob(filepath.Join(opt.Source, "*.eml"))
		if len(emls) == 0 {
			return nil, fmt.Errorf("import: no mail found in %s (no Maildir, mbox or .eml files)", opt.Source)
		}
		folders = []mailfile.Folder{{Path: []string{filepath.Base(opt.Source)}, File: opt.Source, Format: mailfile.FormatEML}}
	}
	srcs := make([]source, len(folders))
	for i, f := range folders {
		srcs[i] = source{folder: f}
	}
	return named(srcs, opt.Folder, len(srcs) == 1), nil
}

func thunderbirdSources(opt ImportOptions) ([]source, error) {
	goos, getenv, home := opt.GOOS, opt.Getenv, opt.Home
	if goos == "" {
		goos = runtime.GOOS
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return nil, fmt.Errorf("import from Thunderbird: %w", err)
		}
	}
	dir, err := mailfile.ThunderbirdLocalFolders(goos, home, getenv)
	if err != nil {
		return nil, fmt.Errorf("import from Thunderbird: %w", err)
	}
	if dir != "" {
		folders, err := mailfile.MboxFolders(dir)
		if err != nil {
			return nil, fmt.Errorf("import from Thunderbird: %w", err)
		}
		srcs := make([]source, len(folders))
		for i, f := range folders {
			// Thunderbird escapes only "From " lines (mboxo).
			srcs[i] = source{folder: f, flavor: mailfile.MboxO}
		}
		return named(srcs, opt.Folder, false), nil
	}
	return nil, fmt.Errorf("import from Thunderbird: no profile with Local Folders found (looked in %s)",
		strings.Join(mailfile.ThunderbirdRoots(goos, home, getenv), ", "))
}

// named sets the target folder names: Folder for a single source, Folder/<path> for a tree.
func named(srcs []source, parent string, single bool) []source {
	for i := range srcs {
		switch {
		case single && parent != "":
			srcs[i].target = parent
		case parent != "":
			srcs[i].target = parent + "/" + srcs[i].folder.Name()
		default:
			srcs[i].target = srcs[i].folder.Name()
		}
	}
	return srcs
}

type importer struct {
	cache    *localcache.Cache
	m        *accounts.Manager
	acc      types.Account
	opt      ImportOptions
	total    int
	toServer bool // the account keeps its mail on a server: the copies are uploads

	mu   sync.Mutex // guards sum and done, written by the reader and the committer
	sum  *Summary
	done int // messages read and dealt with: committed, found there already or skipped
}

// count finds the number of messages before the first is imported, for the progress total. An
// mbox is read once more for it, with a one-byte size limit so that no message is kept.
func (im *importer) count(ctx context.Context, srcs []source) error {
	for _, src := range srcs {
		n := 0
		count := func() error { n++; return ctx.Err() }
		err := im.each(src, 1, func(*mailfile.Message) error { return count() }, count)
		if err != nil {
			return err
		}
		im.total += n
	}
	return nil
}

// each calls fn for every message of the source, and tooLarge for each one over maxSize.
func (im *importer) each(src source, maxSize int64, fn func(*mailfile.Message) error, tooLarge func() error) error {
	f := src.folder
	next, closeFn, err := openReader(f, src.flavor, maxSize)
	if err != nil {
		return fmt.Errorf("import %s: %w", f.File, err)
	}
	defer closeFn()
	for {
		msg, err := next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, mailfile.ErrTooLarge) {
			if err := tooLarge(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("import %s: %w", f.File, err)
		}
		if err := fn(msg); err != nil {
			return err
		}
	}
}

func openReader(f mailfile.Folder, flavor mailfile.MboxFlavor, maxSize int64) (next func() (*mailfile.Message, error), closeFn func(), err error) {
	switch f.Format {
	case mailfile.FormatMbox:
		file, err := os.Open(f.File)
		if err != nil {
			return nil, nil, err
		}
		r := mailfile.NewMboxReader(file, mailfile.MboxOptions{Flavor: flavor, MaxSize: maxSize})
		return r.Next, func() { file.Close() }, nil
	case mailfile.FormatMaildir:
		r, err := mailfile.OpenMaildir(f.File, maxSize)
		if err != nil {
			return nil, nil, err
		}
		return r.Next, func() {}, nil
	default:
		files := []string{f.File}
		if fi, err := os.Stat(f.File); err == nil && fi.IsDir() {
			files, _ = filepath.Glob(filepath.Join(f.File, "*.eml"))
			slices.Sort(files)
		}
		return func() (*mailfile.Message, error) {
			if len(files) == 0 {
				return nil, io.EOF
			}
			path := files[0]
			files = files[1:]
			return mailfile.ReadEML(path, maxSize)
		}, func() {}, nil
	}
}

// pending is one message read and waiting for its batch's commit.
type pending struct {
	key   string
	raw   []byte
	entry localcache.Message
}

// folder imports one source folder in two stages, as the POP3 download does: this goroutine
// reads and parses (content keys, index entries) while a second one commits the previous batch,
// so parsing and SQLite's work overlap. At most three batches are in memory (filling, queued,
// committing).
func (im *importer) folder(ctx context.Context, src source) error {
	target, err := im.ensureFolder(ctx, src.target)
	if err != nil {
		return err
	}
	im.update(target.Name, func() {})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []pending, 1)
	committed := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = im.commit(ctx, target, b); err != nil {
					cancel() // the reader stops at its next message
				}
			}
		}
		committed <- err
	}()
	var (
		batch []pending
		size  int
	)
	readErr := im.each(src, im.opt.MaxSize, func(msg *mailfile.Message) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		deleted := msg.Flags.Has(mailfile.Trashed)
		if src.folder.Format == mailfile.FormatMbox {
			// Thunderbird's state, wherever the mbox came from (a copied profile folder too).
			var expunged bool
			msg.Flags, msg.Keywords, expunged = mailfile.MozillaState(msg.Raw)
			deleted = deleted || expunged
		}
		if deleted {
			// Marked for removal (Maildir T, Thunderbird's expunged): the user had let it go.
			im.update(target.Name, func() { im.done++; im.sum.Deleted++ })
			return nil
		}
		flags, keywords := toCacheFlags(msg.Flags, msg.Keywords)
		batch = append(batch, pending{
			key:   localcache.BodyKey(im.acc.Name, msg.Raw),
			raw:   msg.Raw,
			entry: im.entry(target, msg, flags, keywords),
		})
		size += len(msg.Raw)
		if len(batch) >= batchMessages || size >= batchBytes {
			batches <- batch
			batch, size = nil, 0
		}
		return nil
	}, func() error {
		im.update(target.Name, func() { im.done++; im.sum.TooLarge++ })
		return ctx.Err()
	})
	if readErr == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	// A commit error is the cause of a reader's "context canceled"; report it first.
	if err := <-committed; err != nil {
		return fmt.Errorf("import into %s: %w", target.Name, err)
	}
	if readErr != nil {
		return fmt.Errorf("import into %s: %w", target.Name, readErr)
	}
	return nil
}

// entry builds the index entry as the POP3 download does: the envelope and text from the whole
// message when it parses, else from what can be read, and a date from the container when the
// message has none.
func (im *importer) entry(folder localcache.Folder, msg *mailfile.Message, flags localcache.Flags, keywords string) localcache.Message {
	e := localcache.Message{Account: im.acc.Name, FolderID: folder.ID, Size: int64(len(msg.Raw)), Flags: flags, Keywords: keywords}
	s, _ := mailfmt.Summarize(msg.Raw)
	e.SetSummary(s)
	if e.Date.IsZero() {
		e.Date = msg.Date
	}
	if e.Date.IsZero() {
		e.Date = time.Now()
	}
	return e
}

// commit stores a batch: duplicates dropped, bodies made durable, then the index entries.
func (im *importer) commit(ctx context.Context, folder localcache.Folder, batch []pending) error {
	if len(batch) == 0 {
		return nil
	}
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.entry.MessageID
	}
	have, err := im.cache.FolderHolds(ctx, im.acc.Name, folder.ID, ids)
	if err != nil {
		return err
	}
	var (
		bodies     []localcache.Body
		entries    []localcache.Message
		raws       [][]byte
		bytes      int64
		duplicates int
	)
	for _, p := range batch {
		sizeKey := localcache.SizeKey(p.entry.MessageID, p.entry.Size)
		if have[p.key] || sizeKey != "" && have[sizeKey] {
			duplicates++
			continue
		}
		// The same message twice in one file.
		have[p.key] = true
		if sizeKey != "" {
			have[sizeKey] = true
		}
		bodies = append(bodies, localcache.Body{Account: im.acc.Name, Origin: "import", Folder: folder.Name, Raw: p.raw, Key: p.key})
		e := p.entry
		e.BodyKey = p.key
		if e.ThreadKey == "" {
			e.ThreadKey = "import:" + p.key
		}
		entries = append(entries, e)
		raws = append(raws, p.raw)
		bytes += int64(len(p.raw))
	}
	if len(bodies) > 0 {
		if _, err := im.cache.PutBodies(ctx, bodies); err != nil {
			return err
		}
		if im.toServer {
			err = im.m.QueueUploads(ctx, folder, entries, raws)
		} else {
			_, err = im.cache.AddMessages(ctx, entries)
		}
		if err != nil {
			return err
		}
	}
	im.update(folder.Name, func() {
		im.done += len(batch)
		im.sum.Messages += len(entries)
		im.sum.Duplicates += duplicates
		im.sum.Bytes += bytes
	})
	return nil
}

// ensureFolder finds the folder by name (case-insensitively) or creates it with a CreateFolder
// request, as the folder menu does.
func (im *importer) ensureFolder(ctx context.Context, name string) (localcache.Folder, error) {
	folders, err := im.cache.Folders(ctx, im.acc.Name)
	if err != nil {
		return localcache.Folder{}, err
	}
	for _, f := range folders {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
	}
	if err := im.m.Do(ctx, types.CreateFolder{Account: im.acc.Name, Name: name}); err != nil {
		return localcache.Folder{}, fmt.Errorf("import: create folder %q: %w", name, err)
	}
	return im.cache.FolderByName(ctx, im.acc.Name, name)
}

// update changes the counts and reports progress; the reader and the committer both call it.
// Progress is called by one goroutine at a time.
func (im *importer) update(folder string, change func()) {
	im.mu.Lock()
	defer im.mu.Unlock()
	change()
	if im.opt.Progress != nil {
		im.opt.Progress(Progress{Folder: folder, Done: im.done, Total: im.total, Bytes: im.sum.Bytes})
	}
}
