package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"postbode/localcache"
	"postbode/types"
)

// CopyResult counts what CopyAccount did.
type CopyResult struct {
	Folders int `json:"folders"` // folders of the source that were gone through
	Copied  int `json:"copied"`  // messages copied
	Skipped int `json:"skipped"` // messages the target holds already
}

// CopyAccount copies the mail of one account into another, folder by folder: a special folder
// (Inbox, Sent, Drafts, Trash, Junk, Archive) into the target's folder of the same role, any other
// into a folder of the same name and nesting, created when missing. A message the target folder
// holds already is skipped: the same bytes, or the same Message-ID and size (the copies a POP3
// "keep" policy left on the server). So an interrupted copy is simply run again, and nothing is
// copied twice. The source is not changed. Copies into an IMAP account are transfers, replayed
// (and checked) by its engine. progress, when set, is told after every message.
func (m *Manager) CopyAccount(ctx context.Context, from, to string, progress func(done, total int)) (CopyResult, error) {
	var res CopyResult
	src, ok := m.Account(from)
	if !ok {
		return res, fmt.Errorf("no account named %q", from)
	}
	dst, ok := m.Account(to)
	if !ok {
		return res, fmt.Errorf("no account named %q", to)
	}
	if src.Name == dst.Name {
		return res, errors.New("an account cannot be copied into itself")
	}
	folders, err := m.cache.Folders(ctx, src.Name)
	if err != nil {
		return res, err
	}
	targets, err := m.cache.Folders(ctx, dst.Name)
	if err != nil {
		return res, err
	}
	delim := "/"
	if len(targets) > 0 && targets[0].Delim != "" {
		delim = targets[0].Delim
	}
	total, done := 0, 0
	for _, f := range folders {
		total += f.Total
	}
	for _, f := range folders {
		var target localcache.Folder
		if f.Role != "" {
			target, err = m.specialFolder(ctx, dst, f.Role, f.Name)
		} else {
			target, err = m.folderNamed(ctx, dst, strings.Join(strings.Split(f.Name, f.Delim), delim))
		}
		if err != nil {
			return res, fmt.Errorf("folder %q in %s: %w", f.Name, dst.Name, err)
		}
		held, err := m.heldIn(ctx, target)
		if err != nil {
			return res, err
		}
		var fresh []int64
		err = m.eachMessage(ctx, f.ID, func(msg localcache.Message) error {
			done++
			dup, err := m.heldAlready(ctx, held, dst.Name, msg)
			if err != nil {
				return err
			}
			if dup {
				res.Skipped++
			} else {
				fresh = append(fresh, msg.ID)
			}
			if progress != nil {
				progress(done, total)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		if len(fresh) > 0 {
			if err := m.transfer(ctx, fresh, target.ID, false); err != nil {
				return res, fmt.Errorf("copy %q: %w", f.Name, err)
			}
		}
		res.Folders++
		res.Copied += len(fresh)
	}
	return res, nil
}

// heldAlready reports whether a folder whose contents are held (heldIn) has msg already: the same
// Message-ID and size, or the same bytes stored for the target account.
func (m *Manager) heldAlready(ctx context.Context, held map[string]bool, account string, msg localcache.Message) (bool, error) {
	if k := sizeKey(msg); k != "" && held[k] {
		return true, nil
	}
	if msg.BodyKey == "" {
		return false, nil // not downloaded: the transfer fetches it
	}
	raw, err := m.cache.Body(ctx, msg.BodyKey)
	if err != nil {
		return false, fmt.Errorf("message %d: %w", msg.ID, err)
	}
	return held[localcache.BodyKey(account, raw)], nil
}

// folderNamed finds or creates (here and, for IMAP, on the server) the account's folder name.
func (m *Manager) folderNamed(ctx context.Context, acc types.Account, name string) (localcache.Folder, error) {
	if f, err := m.cache.FolderByName(ctx, acc.Name, name); err == nil {
		return f, nil
	}
	if err := m.createFolder(ctx, types.CreateFolder{Account: acc.Name, Name: name}); err != nil {
		return localcache.Folder{}, err
	}
	return m.cache.FolderByName(ctx, acc.Name, name)
}

// heldIn lists what a folder holds, by body key and by Message-ID with size.
func (m *Manager) heldIn(ctx context.Context, f localcache.Folder) (map[string]bool, error) {
	held := map[string]bool{}
	err := m.eachMessage(ctx, f.ID, func(msg localcache.Message) error {
		if k := sizeKey(msg); k != "" {
			held[k] = true
		}
		if msg.BodyKey != "" {
			held[msg.BodyKey] = true
		}
		return nil
	})
	return held, err
}

// sizeKey names a message by its Message-ID and size ("" when it has no Message-ID).
func sizeKey(msg localcache.Message) string {
	if msg.MessageID == "" {
		return ""
	}
	return msg.MessageID + "\x00" + strconv.FormatInt(msg.Size, 10)
}

// eachMessage calls fn for every message of a folder, a page at a time.
func (m *Manager) eachMessage(ctx context.Context, folderID int64, fn func(localcache.Message) error) error {
	var after *localcache.Cursor
	for {
		page, err := m.cache.Page(ctx, []int64{folderID}, after, 500)
		if err != nil {
			return err
		}
		for _, msg := range page {
			if err := fn(msg); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		after = localcache.CursorOf(page[len(page)-1])
	}
}
