package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// CopyResult counts what CopyAccount did.
type CopyResult struct {
	Folders int `json:"folders"` // folders of the source that were gone through
	Copied  int `json:"copied"`  // messages copied
	Skipped int `json:"skipped"` // messages the target holds already
	Refused int `json:"refused"` // copies the target's server refused (UploadAccount)
}

// copyBatch and copyBatchBytes bound one commit of CopyAccount: bodies, index entries and queued
// transfers are written for this many messages (or bytes) at once, not one by one.
const (
	copyBatch      = 250
	copyBatchBytes = 16 << 20
)

// carriedFlags are the flags a copy the target holds already takes from its original.
const carriedFlags = localcache.FlagSeen | localcache.FlagAnswered | localcache.FlagFlagged | localcache.FlagDraft

// CopyAccount copies the mail of one account into another, folder by folder: a special folder
// (Inbox, Sent, Drafts, Trash, Junk, Archive) into the target's folder of the same role, any other
// into a folder of the same name and nesting, created when missing. A message the target folder
// holds already is skipped: the same bytes, or the same Message-ID and size (the copies a POP3
// "keep" policy left on the server); it gets the read, answered and flagged state of the original
// (a POP3 download marks the server's copy read, the user may not have read it here). So an interrupted copy is simply run again, and nothing is
// copied twice. A target that keeps its mail on a server is synced first, so that what the server
// holds is known. The source is not changed. Copies into an IMAP account are transfers, replayed
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
	if m.KeepsMailOnServer(dst.Kind) {
		if err := m.SyncOnce(ctx, dst.Name); err != nil {
			return res, fmt.Errorf("learn what %s holds already: %w", dst.Name, err)
		}
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
	defer m.wake(dst.Name)
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
		c := &copier{m: m, folder: target, toServer: m.KeepsMailOnServer(dst.Kind), carry: map[flagChange][]int64{}}
		err = m.eachMessage(ctx, f.ID, func(msg localcache.Message) error {
			done++
			twin, raw, err := m.heldAlready(ctx, held, dst.Name, msg)
			if err != nil {
				return err
			}
			if twin != nil {
				res.Skipped++
				change := flagChange{set: msg.Flags & carriedFlags &^ twin.Flags, clear: twin.Flags & carriedFlags &^ msg.Flags}
				if change != (flagChange{}) {
					c.carry[change] = append(c.carry[change], twin.ID)
				}
			} else if err := c.add(ctx, msg, raw); err != nil {
				return err
			}
			if progress != nil {
				progress(done, total)
			}
			return nil
		})
		if err == nil {
			err = c.finish(ctx)
		}
		res.Copied += c.copied
		if err != nil {
			return res, fmt.Errorf("copy %q: %w", f.Name, err)
		}
		res.Folders++
	}
	return res, nil
}

// copier files copies into one folder a batch at a time.
type copier struct {
	m        *Manager
	folder   localcache.Folder
	toServer bool // the folder's account keeps its mail on a server: each copy is a queued transfer
	move     bool // the originals go once the server's copy is checked (with toServer)
	batch    []localcache.Message
	raws     [][]byte
	size     int
	copied   int
	// carry lists the copies held already whose state is not their original's, by the change.
	carry map[flagChange][]int64
}

// flagChange is the flags to set and to clear on a message.
type flagChange struct{ set, clear localcache.Flags }

// add files a copy of msg (whose bytes are raw) with the next batch.
func (c *copier) add(ctx context.Context, msg localcache.Message, raw []byte) error {
	c.batch = append(c.batch, msg)
	c.raws = append(c.raws, raw)
	c.size += len(raw)
	if len(c.batch) >= copyBatch || c.size >= copyBatchBytes {
		return c.flush(ctx)
	}
	return nil
}

// flush stores the batch's bodies durably, then indexes the copies and queues their transfers in
// one transaction.
func (c *copier) flush(ctx context.Context) error {
	if len(c.batch) == 0 {
		return nil
	}
	bodies := make([]localcache.Body, len(c.raws))
	for i, raw := range c.raws {
		bodies[i] = localcache.Body{Account: c.folder.Account, Origin: "local", Folder: c.folder.Name, Raw: raw}
	}
	keys, err := c.m.cache.PutBodies(ctx, bodies)
	if err != nil {
		return err
	}
	entries := make([]localcache.Message, len(c.batch))
	for i, src := range c.batch {
		sum, err := mailfmt.Summarize(c.raws[i])
		if err != nil {
			return fmt.Errorf("message %d: %w", src.ID, err)
		}
		e := localcache.Message{Account: c.folder.Account, FolderID: c.folder.ID, Size: int64(len(c.raws[i])),
			Flags: src.Flags &^ localcache.FlagDeleted, Keywords: src.Keywords, BodyKey: keys[i]}
		e.SetSummary(sum)
		if e.Date.IsZero() {
			e.Date = src.Date
		}
		if e.MessageID == "" {
			e.MessageID = src.MessageID
		}
		entries[i] = e
	}
	if c.toServer {
		var source func(int) *localcache.TransferSource
		if c.move {
			source = func(i int) *localcache.TransferSource {
				src := c.batch[i]
				acc, _ := c.m.Account(src.Account)
				return &localcache.TransferSource{Account: src.Account, FolderID: src.FolderID,
					Items: []localcache.OpItem{src.OpItem()}, Queue: c.m.replaysDeletion(acc)}
			}
		}
		err = c.m.queueUploads(ctx, c.folder, entries, c.raws, source)
	} else {
		_, err = c.m.cache.AddMessages(ctx, entries)
	}
	if err != nil {
		return err
	}
	c.copied += len(c.batch)
	c.batch, c.raws, c.size = c.batch[:0], c.raws[:0], 0
	return nil
}

// QueueUploads indexes copies in a folder of an account that keeps its mail on a server and
// queues their upload for its engine, which checks each against its SHA-256 once it is there.
// Their bodies are stored already (the entries' BodyKey); raws are those bytes.
func (m *Manager) QueueUploads(ctx context.Context, folder localcache.Folder, entries []localcache.Message, raws [][]byte) error {
	if acc, ok := m.Account(folder.Account); !ok || !m.KeepsMailOnServer(acc.Kind) {
		return fmt.Errorf("%s keeps its mail on this computer: nothing to upload", folder.Account)
	}
	err := m.queueUploads(ctx, folder, entries, raws, nil)
	m.wake(folder.Account)
	return err
}

// queueUploads is QueueUploads; source, when set, gives the original each copy replaces (a move).
func (m *Manager) queueUploads(ctx context.Context, folder localcache.Folder, entries []localcache.Message, raws [][]byte, source func(int) *localcache.TransferSource) error {
	_, err := m.cache.AddQueuedMany(ctx, folder, entries, func(i int, id int64) localcache.Op {
		sum := sha256.Sum256(raws[i])
		op := localcache.TransferOp{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(raws[i])),
			AppendOp: localcache.AppendOp{BodyKey: entries[i].BodyKey, Flags: entries[i].Flags, Items: []localcache.OpItem{{MessageID: id}}}}
		if source != nil {
			op.From = source(i)
		}
		return op
	})
	return err
}

// finish flushes the last batch and gives the copies held already their originals' state.
func (c *copier) finish(ctx context.Context) error {
	if err := c.flush(ctx); err != nil {
		return err
	}
	for change, ids := range c.carry {
		if err := c.m.cache.SetFlags(ctx, ids, change.set, change.clear, c.toServer); err != nil {
			return fmt.Errorf("carry flags over: %w", err)
		}
	}
	return nil
}

// heldAlready returns the copy of msg that a folder whose contents are held (heldIn) has already:
// one with the same Message-ID and size, or the same bytes stored for the target account. When
// there is none it returns msg's bytes, downloading them first when they are not here yet.
func (m *Manager) heldAlready(ctx context.Context, held map[string]localcache.Message, account string, msg localcache.Message) (*localcache.Message, []byte, error) {
	if k := sizeKey(msg); k != "" {
		if c, ok := held[k]; ok {
			return &c, nil, nil
		}
	}
	raw, err := m.bodyOf(ctx, msg)
	if err != nil {
		return nil, nil, err
	}
	if c, ok := held[localcache.BodyKey(account, raw)]; ok {
		return &c, nil, nil
	}
	return nil, raw, nil
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
func (m *Manager) heldIn(ctx context.Context, f localcache.Folder) (map[string]localcache.Message, error) {
	held := map[string]localcache.Message{}
	err := m.eachMessage(ctx, f.ID, func(msg localcache.Message) error {
		if k := sizeKey(msg); k != "" {
			held[k] = msg
		}
		if msg.BodyKey != "" {
			held[msg.BodyKey] = msg
		}
		return nil
	})
	return held, err
}

func sizeKey(msg localcache.Message) string { return localcache.SizeKey(msg.MessageID, msg.Size) }

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
