package mailmove

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"postbode/localcache"
	"postbode/mailfile"
)

// ExportOptions say what to export and where. With neither Folder nor IDs the whole account is
// exported as a tree under Out: for mbox one file per folder and "<name>.sbd/" directories for
// subfolders (Thunderbird's layout), for Maildir one Maildir per folder in nested directories,
// for .eml a directory per folder. With Folder or IDs, Out is the one mbox file or Maildir, or the
// directory for .eml files (or the .eml file itself for one message when Out ends in ".eml").
// Out must not exist yet: an export never mixes with or overwrites other mail.
type ExportOptions struct {
	Account string
	Folder  string  // a folder name or role ("inbox", "sent", ...)
	IDs     []int64 // local message ids
	Format  mailfile.Format
	Out     string
	// Fetch downloads a body that is not on this computer yet (Manager.FetchBody); nil exports
	// only what is downloaded and counts the rest in Summary.NotDownloaded.
	Fetch    func(ctx context.Context, messageID int64) error
	Progress func(Progress)
}

// exportGroup is one folder's messages, oldest first.
type exportGroup struct {
	folder localcache.Folder
	ids    []int64
}

// Export writes messages from the cache to files. Message bytes are written exactly as stored;
// flags go into Maildir file names (mbox and .eml have no place for them that leaves the bytes
// alone). Keywords other than $Forwarded are not exported.
func Export(ctx context.Context, cache *localcache.Cache, opt ExportOptions) (Summary, error) {
	var sum Summary
	switch opt.Format {
	case mailfile.FormatMbox, mailfile.FormatMaildir, mailfile.FormatEML:
	default:
		return sum, fmt.Errorf("export: unknown format %q (mbox, maildir or eml)", opt.Format)
	}
	if opt.Out == "" {
		return sum, errors.New("export: no output path")
	}
	if _, err := os.Lstat(opt.Out); err == nil {
		return sum, fmt.Errorf("export: %s exists already; give a new path", opt.Out)
	}
	groups, err := exportGroups(ctx, cache, opt)
	if err != nil {
		return sum, err
	}
	total := 0
	for _, g := range groups {
		total += len(g.ids)
	}
	tree := opt.Folder == "" && len(opt.IDs) == 0
	single := !tree && opt.Format == mailfile.FormatEML && total == 1 && strings.EqualFold(filepath.Ext(opt.Out), ".eml")
	e := &exporter{cache: cache, opt: opt, sum: &sum, total: total}
	var target sink
	for _, g := range groups {
		if tree || target == nil {
			if target != nil {
				if err := target.close(); err != nil {
					return sum, err
				}
			}
			path := opt.Out
			if tree {
				path = treePath(opt.Out, g.folder, opt.Format)
			}
			if target, err = openSink(opt.Format, path, single); err != nil {
				return sum, fmt.Errorf("export %s: %w", g.folder.Name, err)
			}
		}
		sum.Folders++
		if err := e.folder(ctx, g, target); err != nil {
			target.abort()
			return sum, err
		}
	}
	if target != nil {
		if err := target.close(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func exportGroups(ctx context.Context, cache *localcache.Cache, opt ExportOptions) ([]exportGroup, error) {
	if len(opt.IDs) > 0 {
		var groups []exportGroup
		at := map[int64]int{}
		for _, id := range opt.IDs {
			m, err := cache.Message(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("export: %w", err)
			}
			if opt.Account != "" && m.Account != opt.Account {
				return nil, fmt.Errorf("export: message %d belongs to account %s, not %s", id, m.Account, opt.Account)
			}
			i, ok := at[m.FolderID]
			if !ok {
				f, err := cache.Folder(ctx, m.FolderID)
				if err != nil {
					return nil, fmt.Errorf("export: %w", err)
				}
				i = len(groups)
				at[m.FolderID] = i
				groups = append(groups, exportGroup{folder: f})
			}
			groups[i].ids = append(groups[i].ids, id)
		}
		return groups, nil
	}
	folders, err := cache.Folders(ctx, opt.Account)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if opt.Folder != "" {
		folders = slices.DeleteFunc(folders, func(f localcache.Folder) bool {
			return !strings.EqualFold(f.Name, opt.Folder) && !(f.Role != "" && strings.EqualFold(f.Role, opt.Folder))
		})
		if len(folders) == 0 {
			return nil, fmt.Errorf("export: account %s has no folder %q", opt.Account, opt.Folder)
		}
		folders = folders[:1]
	}
	if len(folders) == 0 {
		return nil, fmt.Errorf("export: account %q has no folders", opt.Account)
	}
	groups := make([]exportGroup, 0, len(folders))
	for _, f := range folders {
		ids, err := folderIDs(ctx, cache, f.ID)
		if err != nil {
			return nil, err
		}
		groups = append(groups, exportGroup{folder: f, ids: ids})
	}
	return groups, nil
}

// folderIDs lists a folder's message ids oldest first (the order mail files keep).
func folderIDs(ctx context.Context, cache *localcache.Cache, folderID int64) ([]int64, error) {
	var ids []int64
	var after *localcache.Cursor
	for {
		page, err := cache.Page(ctx, []int64{folderID}, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		for _, m := range page {
			ids = append(ids, m.ID)
		}
		if len(page) < 1000 {
			break
		}
		after = localcache.CursorOf(page[len(page)-1])
	}
	slices.Reverse(ids)
	return ids, nil
}

// treePath places a folder of a whole-account export under root.
func treePath(root string, f localcache.Folder, format mailfile.Format) string {
	delim := f.Delim
	if delim == "" {
		delim = "/"
	}
	segs := strings.Split(f.Name, delim)
	parts := []string{root}
	for i, s := range segs {
		s = mailfile.EncodeSegment(s)
		if format == mailfile.FormatMbox && i < len(segs)-1 {
			s += ".sbd"
		}
		parts = append(parts, s)
	}
	return filepath.Join(parts...)
}

type exporter struct {
	cache *localcache.Cache
	opt   ExportOptions
	sum   *Summary
	total int
	done  int
}

func (e *exporter) folder(ctx context.Context, g exportGroup, target sink) error {
	e.report(g.folder.Name)
	for _, id := range g.ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := e.cache.Message(ctx, id)
		if errors.Is(err, localcache.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("export %s: %w", g.folder.Name, err)
		}
		if m.BodyKey == "" && e.opt.Fetch != nil {
			// A failed download is counted below like any body that is not here.
			if e.opt.Fetch(ctx, id) == nil {
				if m, err = e.cache.Message(ctx, id); err != nil {
					return fmt.Errorf("export %s: %w", g.folder.Name, err)
				}
			}
		}
		e.done++
		if m.BodyKey == "" {
			e.sum.NotDownloaded++
			e.report(g.folder.Name)
			continue
		}
		raw, err := e.cache.Body(ctx, m.BodyKey)
		if err != nil {
			return fmt.Errorf("export %s: message %d: %w", g.folder.Name, id, err)
		}
		msg := &mailfile.Message{Raw: raw, Sender: m.FromAddr, Date: m.Date, Flags: fromCacheFlags(m.Flags, m.Keywords)}
		if err := target.write(msg, m.ID); err != nil {
			return fmt.Errorf("export %s: message %d: %w", g.folder.Name, id, err)
		}
		e.sum.Messages++
		e.sum.Bytes += int64(len(raw))
		e.report(g.folder.Name)
	}
	return nil
}

func (e *exporter) report(folder string) {
	if e.opt.Progress != nil {
		e.opt.Progress(Progress{Folder: folder, Done: e.done, Total: e.total, Bytes: e.sum.Bytes})
	}
}

// sink is one output: an mbox file, a Maildir, a directory of .eml files or one .eml file.
type sink interface {
	write(m *mailfile.Message, id int64) error
	close() error
	abort()
}

func openSink(format mailfile.Format, path string, single bool) (sink, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	switch format {
	case mailfile.FormatMbox:
		// Written beside its name and renamed when complete: a cut-short export never looks whole.
		f, err := os.OpenFile(path+".part", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		return &mboxSink{f: f, w: mailfile.NewMboxWriter(f), path: path}, nil
	case mailfile.FormatMaildir:
		w, err := mailfile.CreateMaildir(path)
		if err != nil {
			return nil, err
		}
		w.Deferred = true
		return maildirSink{w}, nil
	default:
		if single {
			return emlSink{file: path}, nil
		}
		if err := os.MkdirAll(path, 0o700); err != nil {
			return nil, err
		}
		return emlSink{dir: path}, nil
	}
}

type mboxSink struct {
	f    *os.File
	w    *mailfile.MboxWriter
	path string
}

func (s *mboxSink) write(m *mailfile.Message, _ int64) error { return s.w.Write(m) }

func (s *mboxSink) close() error {
	err := s.w.Flush()
	if err == nil {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.path+".part", s.path)
	}
	if err != nil {
		os.Remove(s.path + ".part")
		return fmt.Errorf("export %s: %w", s.path, err)
	}
	return nil
}

func (s *mboxSink) abort() {
	s.f.Close()
	os.Remove(s.path + ".part")
}

type maildirSink struct{ w *mailfile.MaildirWriter }

func (s maildirSink) write(m *mailfile.Message, _ int64) error {
	_, err := s.w.Write(m)
	return err
}
func (s maildirSink) close() error { return s.w.Close() }
func (s maildirSink) abort()       { _ = s.w.Close() } // what was written stays whole

type emlSink struct{ dir, file string }

func (s emlSink) write(m *mailfile.Message, id int64) error {
	path := s.file
	if path == "" {
		path = filepath.Join(s.dir, strconv.FormatInt(id, 10)+".eml")
	}
	return mailfile.WriteEML(path, m)
}
func (s emlSink) close() error { return nil }
func (s emlSink) abort()       {}
