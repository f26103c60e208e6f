package imapsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/localcache"
	"postbode/types"
)

var (
	// errDropOp: the operation has nothing left to do (its folder or message is gone).
	errDropOp = errors.New("nothing left to replay")
	// errStaleOp: the folder's UIDVALIDITY changed since the operation was queued; its UIDs now
	// name other messages or none.
	errStaleOp = errors.New("the folder was rebuilt on the server since the change was made")
	// errCopyOnly: a moved message was copied but the copy could not be checked, so its source
	// stays where it was.
	errCopyOnly = errors.New("the original was kept")
)

// replayState carries what earlier operations of one replay taught the later ones.
type replayState struct {
	// serverName is a folder's name on the server while a local rename is not replayed yet.
	serverName map[int64]string
	// moved is where a message went on the server (from COPYUID), for later operations that were
	// queued while the message had no UID locally.
	moved map[int64]movedTo
	// ops is the whole replay, oldest first.
	ops []localcache.PendingOp
	// stored is, by folder, what the server holds of the transfers queued for it: UIDs by SHA-256
	// (see storedTransfers).
	stored map[int64]map[string][]imap.UID
}

type movedTo struct {
	folderID int64
	uid      uint32
}

// errClosedByRefusal ends a replay whose connection closed with a refused change; the change is
// settled, so a new connection goes on with the next.
var errClosedByRefusal = errors.New("imap: the connection closed after the server refused a change")

// replay sends the queued local changes to the server, oldest first. Accepted operations are
// completed, refused ones (NO/BAD) undone locally and reported; a connection error keeps the
// operation queued and ends the replay with that error.
func (e *Engine) replay(ctx context.Context, cn *conn) error {
	ops, err := e.cache.PendingOps(ctx, e.acc.Name)
	if err != nil || len(ops) == 0 {
		return err
	}
	st := &replayState{serverName: map[int64]string{}, moved: map[int64]movedTo{}, ops: ops, stored: map[int64]map[string][]imap.UID{}}
	for _, op := range ops {
		if r, ok := op.Op.(localcache.RenameFolderOp); ok {
			if _, ok := st.serverName[op.FolderID]; !ok {
				st.serverName[op.FolderID] = r.Name
			}
		}
	}
	for _, op := range ops {
		err := e.replayOne(ctx, cn, st, op)
		switch {
		case err == nil || errors.Is(err, errDropOp):
			if err := e.cache.CompletePending(ctx, op); err != nil {
				return err
			}
			if t, ok := op.Op.(localcache.TransferOp); ok && t.From != nil && t.From.Queue {
				e.emit(types.ChangesQueued{Account: t.From.Account})
			}
		case errors.Is(err, errCopyOnly):
			// Done without its follow-up: the source of the move is not removed.
			if err := e.cache.CompletePending(ctx, localcache.PendingOp{ID: op.ID}); err != nil {
				return err
			}
			e.emitError("move", err)
		case isRefusal(err) || errors.Is(err, errStaleOp):
			if err := e.cache.RefusePending(ctx, op); err != nil {
				return err
			}
			if c, ok := op.Op.(localcache.CreateFolderOp); ok {
				// The folder exists only here; without the server it cannot hold mail.
				if f, ferr := e.cache.FolderByName(ctx, e.acc.Name, c.Name); ferr == nil && f.UIDValidity == 0 {
					_ = e.cache.DeleteFolder(ctx, f.ID)
				}
			}
			if hasCode(err, imap.ResponseCodeOverQuota) {
				err = fmt.Errorf("%w: %w", types.ErrOverQuota, err)
			}
			e.emitError("replay "+string(op.Kind()), fmt.Errorf("%w: %w", types.ErrRefused, err))
			select {
			case <-cn.cl.Closed():
				// go-imap closes the connection when the server refuses an APPEND before its
				// literal (NO [OVERQUOTA] instead of "+"): the rest needs a new one.
				return errClosedByRefusal
			default:
			}
		default:
			if rerr := e.cache.RetryPending(ctx, op.ID, err); rerr != nil {
				return errors.Join(err, rerr)
			}
			return fmt.Errorf("replay %s: %w", op.Kind(), err)
		}
	}
	return nil
}

// replayFunc sends one queued operation to the server.
type replayFunc func(e *Engine, ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp) error

// replayer is how this engine replays one kind of operation.
type replayer struct {
	run replayFunc
	// uidBound: the op names messages by UID in its folder, so a new UIDVALIDITY there voids it.
	uidBound bool
}

// replayAs adapts a replay method for op type T.
func replayAs[T localcache.Op](f func(e *Engine, ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op T) error) replayFunc {
	return func(e *Engine, ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp) error {
		op, ok := p.Op.(T)
		if !ok {
			return errDropOp
		}
		return f(e, ctx, cn, st, p, op)
	}
}

// replayers is the one table from a kind of local change to its replay on the server.
var replayers = map[localcache.OpKind]replayer{
	localcache.OpFlags:        {run: replayAs((*Engine).replayFlags), uidBound: true},
	localcache.OpKeywords:     {run: replayAs((*Engine).replayKeywords), uidBound: true},
	localcache.OpMove:         {run: replayAs((*Engine).replayMove), uidBound: true},
	localcache.OpExpunge:      {run: replayAs((*Engine).replayExpunge), uidBound: true},
	localcache.OpCreateFolder: {run: replayAs((*Engine).replayCreate)},
	localcache.OpRenameFolder: {run: replayAs((*Engine).replayRename)},
	localcache.OpDeleteFolder: {run: replayAs((*Engine).replayDelete)},
	localcache.OpAppend:       {run: replayAs((*Engine).replayAppend)},
	localcache.OpTransfer:     {run: replayAs((*Engine).replayTransfer)},
}

func (e *Engine) replayOne(ctx context.Context, cn *conn, st *replayState, op localcache.PendingOp) error {
	r, ok := replayers[op.Kind()]
	if !ok {
		return errDropOp // an operation this engine does not know cannot ever succeed
	}
	return r.run(e, ctx, cn, st, op)
}

// folderName is the server's current name of a local folder.
func (e *Engine) folderName(ctx context.Context, st *replayState, id int64, fallback string) (string, localcache.Folder, error) {
	f, err := e.cache.Folder(ctx, id)
	if errors.Is(err, localcache.ErrNotFound) {
		if fallback != "" {
			return fallback, localcache.Folder{ID: id, Name: fallback}, nil
		}
		return "", f, errDropOp
	}
	if err != nil {
		return "", f, err
	}
	if n, ok := st.serverName[id]; ok {
		return n, f, nil
	}
	return f.Name, f, nil
}

// itemUIDs returns the server UIDs of an operation's messages in folder folderID; unknown lists the
// messages whose UID there is not known.
func (e *Engine) itemUIDs(st *replayState, folderID int64, items []localcache.OpItem) (uids []uint32, byUID map[uint32]int64, unknown []int64) {
	byUID = map[uint32]int64{}
	for _, it := range items {
		uid := it.UID
		if uid == 0 {
			if mv, ok := st.moved[it.MessageID]; ok && mv.folderID == folderID {
				uid = mv.uid
			}
		}
		if uid == 0 {
			unknown = append(unknown, it.MessageID)
			continue
		}
		if _, dup := byUID[uid]; !dup {
			uids = append(uids, uid)
			byUID[uid] = it.MessageID
		}
	}
	return uids, byUID, unknown
}

func (e *Engine) replayFlags(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.FlagsOp) error {
	if op.Set == 0 && op.Clear == 0 {
		return errDropOp
	}
	return e.storeItems(ctx, cn, st, p, op.Items, op.UpTo, func(set imap.UIDSet) error {
		return cn.storeAddDel(set, imapFlags(op.Set), imapFlags(op.Clear))
	})
}

func (e *Engine) replayKeywords(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.KeywordsOp) error {
	if len(op.Add) == 0 && len(op.Remove) == 0 {
		return errDropOp
	}
	return e.storeItems(ctx, cn, st, p, op.Items, 0, func(set imap.UIDSet) error {
		return cn.storeAddDel(set, keywordFlags(op.Add), keywordFlags(op.Remove))
	})
}

func keywordFlags(kws []string) []imap.Flag {
	out := make([]imap.Flag, len(kws))
	for i, k := range kws {
		out[i] = imap.Flag(k)
	}
	return out
}

// storeItems selects the folder of an operation's messages, under its lock, and runs store on
// their UIDs there; upTo (not zero) adds every UID from 1 to it (a whole folder: one range).
func (e *Engine) storeItems(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, items []localcache.OpItem,
	upTo uint32, store func(imap.UIDSet) error) error {
	name, _, err := e.folderName(ctx, st, p.FolderID, p.FolderName)
	if err != nil {
		return err
	}
	uids, _, _ := e.itemUIDs(st, p.FolderID, items)
	var set imap.UIDSet
	if upTo > 0 {
		// Items up to upTo are in the range already; those above it (moved in, their UIDs learnt
		// in this replay) are added to it.
		uids = slices.DeleteFunc(uids, func(u uint32) bool { return u <= upTo })
		set = imap.UIDSet{{Start: 1, Stop: imap.UID(upTo)}}
	}
	set = append(set, uidSet(uids)...)
	if len(set) == 0 {
		return errDropOp
	}
	unlock, err := e.locks.lock(ctx, p.FolderID)
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.selectForOp(ctx, cn, p, p.FolderID, name); err != nil {
		return err
	}
	return store(set)
}

// storeAddDel adds one list of flags and removes another (either may be empty).
func (cn *conn) storeAddDel(set imap.UIDSet, add, del []imap.Flag) error {
	if len(add) > 0 {
		if err := cn.store(set, imap.StoreFlagsAdd, add); err != nil {
			return err
		}
	}
	if len(del) > 0 {
		return cn.store(set, imap.StoreFlagsDel, del)
	}
	return nil
}

// store runs UID STORE [+-]FLAGS.SILENT and consumes whatever FETCH data comes back.
func (cn *conn) store(set imap.UIDSet, op imap.StoreFlagsOp, flags []imap.Flag) error {
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	cmd := cn.cl.Store(set, &imap.StoreFlags{Op: op, Silent: true, Flags: flags}, nil)
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("uid store: %w", cn.wrap(err))
	}
	return nil
}

// expunge removes the \Deleted messages among uids: UID EXPUNGE with UIDPLUS; otherwise a plain
// EXPUNGE, but only when no other message of the folder is marked \Deleted (it would go too).
func (cn *conn) expunge(uids []uint32) error {
	stop := cn.watch(cn.budget(int64(len(uids)) * 16))
	defer stop()
	if cn.caps.Has(imap.CapUIDPlus) || cn.caps.Has(imap.CapIMAP4rev2) {
		if err := cn.cl.UIDExpunge(uidSet(uids)).Close(); err != nil {
			return fmt.Errorf("uid expunge: %w", cn.wrap(err))
		}
		return nil
	}
	data, err := cn.cl.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search deleted: %w", cn.wrap(err))
	}
	set, _ := data.All.(imap.UIDSet)
	marked, err := expandUIDSet(set, len(uids)+100000)
	if err != nil {
		cn.kill(err)
		return err
	}
	for _, u := range marked {
		if !slices.Contains(uids, u) {
			// Someone else's \Deleted messages: leave ours marked; the server or the other client
			// expunges them later, and the cache already shows them gone.
			return nil
		}
	}
	if err := cn.cl.Expunge().Close(); err != nil {
		return fmt.Errorf("expunge: %w", cn.wrap(err))
	}
	return nil
}

func (e *Engine) replayMove(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.MoveOp) error {
	src, _, err := e.folderName(ctx, st, p.FolderID, p.FolderName)
	if err != nil {
		return e.dropLocalCopies(ctx, op.ToFolderID, op.Items, err)
	}
	dst, dstFolder, err := e.folderName(ctx, st, op.ToFolderID, "")
	if err != nil {
		return err // the target is gone locally, and its rows with it; the source sync restores them
	}
	uids, byUID, unknown := e.itemUIDs(st, p.FolderID, op.Items)
	unlock, err := e.locks.lock(ctx, p.FolderID, op.ToFolderID)
	if err != nil {
		return err
	}
	defer unlock()
	if len(uids) > 0 {
		if err := e.selectForOp(ctx, cn, p, p.FolderID, src); err != nil {
			return err
		}
		if dstFolder, err = e.cache.Folder(ctx, op.ToFolderID); err != nil {
			return err
		}
		validity, srcUIDs, dstUIDs, err := cn.move(uids, dst)
		if err != nil {
			return err
		}
		dest := map[uint32]uint32{}
		if len(srcUIDs) == len(dstUIDs) {
			for i := range srcUIDs {
				dest[srcUIDs[i]] = dstUIDs[i]
			}
		}
		usable := validity != 0 && (dstFolder.UIDValidity == 0 || dstFolder.UIDValidity == validity)
		for uid, id := range byUID {
			newUID, ok := dest[uid]
			if ok {
				st.moved[id] = movedTo{folderID: op.ToFolderID, uid: newUID}
			}
			m, err := e.cache.Message(ctx, id)
			if errors.Is(err, localcache.ErrNotFound) || (err == nil && (m.FolderID != op.ToFolderID || m.UID != 0)) {
				continue // deleted or moved on locally meanwhile
			}
			if err != nil {
				return err
			}
			if ok && usable {
				if err := e.cache.SetUID(ctx, id, newUID, validity); err != nil {
					return err
				}
				continue
			}
			// No usable COPYUID: drop the local copy; the target's next sync brings the message
			// back with its UID.
			if err := e.cache.RemoveMessages(ctx, []int64{id}); err != nil {
				return err
			}
		}
		e.dropSnapshot(op.ToFolderID)
	}
	if len(unknown) > 0 {
		return e.dropLocalCopies(ctx, op.ToFolderID, idsToItems(unknown), nil)
	}
	return nil
}

func idsToItems(ids []int64) []localcache.OpItem {
	out := make([]localcache.OpItem, len(ids))
	for i, id := range ids {
		out[i].MessageID = id
	}
	return out
}

// dropLocalCopies removes the UID-less local rows of items that sit in folderID: where they are
// on the server is unknown, so a later sync shows them where they really are. It returns ret.
func (e *Engine) dropLocalCopies(ctx context.Context, folderID int64, items []localcache.OpItem, ret error) error {
	var ids []int64
	for _, it := range items {
		m, err := e.cache.Message(ctx, it.MessageID)
		if err == nil && m.FolderID == folderID && m.UID == 0 {
			ids = append(ids, it.MessageID)
		}
	}
	if err := e.cache.RemoveMessages(ctx, ids); err != nil {
		return err
	}
	return ret
}

// move moves messages of the selected folder with UID MOVE, or COPY + STORE \Deleted + EXPUNGE
// where MOVE is missing, expunging only after the copy succeeded. It returns the COPYUID mapping
// when the server gave one.
func (cn *conn) move(uids []uint32, dst string) (validity uint32, src, dest []uint32, err error) {
	set := uidSet(uids)
	var srcSet, dstSet imap.NumSet
	stop := cn.watch(cn.budget(int64(len(uids)) * 64))
	if cn.caps.Has(imap.CapMove) || cn.caps.Has(imap.CapIMAP4rev2) {
		data, merr := cn.cl.Move(set, dst).Wait()
		stop()
		if merr != nil {
			return 0, nil, nil, fmt.Errorf("uid move to %q: %w", dst, cn.wrap(merr))
		}
		validity, srcSet, dstSet = data.UIDValidity, data.SourceUIDs, data.DestUIDs
	} else {
		data, cerr := cn.cl.Copy(set, dst).Wait()
		stop()
		if cerr != nil {
			return 0, nil, nil, fmt.Errorf("uid copy to %q: %w", dst, cn.wrap(cerr))
		}
		validity, srcSet, dstSet = data.UIDValidity, data.SourceUIDs, data.DestUIDs
		if err := cn.store(set, imap.StoreFlagsAdd, []imap.Flag{imap.FlagDeleted}); err != nil {
			return 0, nil, nil, err
		}
		if err := cn.expunge(uids); err != nil {
			return 0, nil, nil, err
		}
	}
	s, _ := srcSet.(imap.UIDSet)
	d, _ := dstSet.(imap.UIDSet)
	if validity == 0 || len(s) == 0 || len(d) == 0 {
		return 0, nil, nil, nil
	}
	if src, err = expandUIDSet(s, len(uids)); err != nil {
		return 0, nil, nil, nil // an unusable COPYUID is treated as none
	}
	if dest, err = expandUIDSet(d, len(uids)); err != nil || len(dest) != len(src) {
		return 0, nil, nil, nil
	}
	return validity, src, dest, nil
}

func (e *Engine) replayExpunge(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.ExpungeOp) error {
	name, _, err := e.folderName(ctx, st, p.FolderID, p.FolderName)
	if err != nil {
		return err
	}
	uids, _, _ := e.itemUIDs(st, p.FolderID, op.Items)
	if len(uids) == 0 {
		return errDropOp
	}
	unlock, err := e.locks.lock(ctx, p.FolderID)
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.selectForOp(ctx, cn, p, p.FolderID, name); err != nil {
		return err
	}
	if err := cn.store(uidSet(uids), imap.StoreFlagsAdd, []imap.Flag{imap.FlagDeleted}); err != nil {
		return err
	}
	return cn.expunge(uids)
}

func (e *Engine) replayCreate(_ context.Context, cn *conn, _ *replayState, _ localcache.PendingOp, op localcache.CreateFolderOp) error {
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	if err := cn.cl.Create(op.Name, nil).Wait(); err != nil && !hasCode(err, imap.ResponseCodeAlreadyExists) {
		return fmt.Errorf("create %q: %w", op.Name, cn.wrap(err))
	}
	if err := cn.cl.Subscribe(op.Name).Wait(); err != nil && !isRefusal(err) {
		return fmt.Errorf("subscribe %q: %w", op.Name, cn.wrap(err))
	}
	return nil
}

func (e *Engine) replayRename(_ context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.RenameFolderOp) error {
	if strings.EqualFold(op.Name, "INBOX") {
		return errDropOp // renaming INBOX moves its mail on most servers; never replayed
	}
	if err := cn.leave(op.Name); err != nil {
		return err
	}
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	if err := cn.cl.Rename(op.Name, op.NewName, nil).Wait(); err != nil {
		return fmt.Errorf("rename %q: %w", op.Name, cn.wrap(err))
	}
	st.serverName[p.FolderID] = op.NewName
	_ = cn.cl.Subscribe(op.NewName).Wait()
	return nil
}

func (e *Engine) replayDelete(_ context.Context, cn *conn, _ *replayState, _ localcache.PendingOp, op localcache.DeleteFolderOp) error {
	if strings.EqualFold(op.Name, "INBOX") {
		return errDropOp
	}
	if err := cn.leave(op.Name); err != nil {
		return err
	}
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	if err := cn.cl.Delete(op.Name).Wait(); err != nil && !hasCode(err, imap.ResponseCodeNonExistent) {
		return fmt.Errorf("delete %q: %w", op.Name, cn.wrap(err))
	}
	if err := cn.cl.Unsubscribe(op.Name).Wait(); err != nil && !isRefusal(err) {
		return fmt.Errorf("unsubscribe %q: %w", op.Name, cn.wrap(err))
	}
	return nil
}

// leave makes sure name is not the selected mailbox (some servers refuse to rename or delete it).
func (cn *conn) leave(name string) error {
	if cn.selected != name {
		return nil
	}
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	var err error
	if cn.caps.Has(imap.CapUnselect) || cn.caps.Has(imap.CapIMAP4rev2) {
		err = cn.cl.Unselect().Wait()
	} else {
		_, err = cn.cl.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	}
	cn.selected, cn.sel = "", nil
	if err != nil && !isRefusal(err) {
		return fmt.Errorf("leave %q: %w", name, cn.wrap(err))
	}
	return nil
}

func (e *Engine) replayAppend(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.AppendOp) error {
	_, _, err := e.appendCopy(ctx, cn, st, p, op)
	return err
}

// replayTransfer stores a message that came from another account or folder and, before its source
// may go, reads the server's copy back and compares its SHA-256 with the bytes sent. Without a UID
// for the copy (no UIDPLUS) it cannot be checked, so a move is kept as a copy and the user told.
//
// A transfer interrupted after the server stored the message but before the op was completed here
// (a crash, a lost connection) is not stored twice: a copy already on the server, found by
// Message-ID and checked by SHA-256, is taken for this op's.
func (e *Engine) replayTransfer(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.TransferOp) error {
	name, uid, err := e.claimStored(ctx, cn, st, p, op)
	if err == nil && uid == 0 {
		name, uid, err = e.appendCopy(ctx, cn, st, p, op.AppendOp)
	}
	if err != nil || op.From == nil {
		return err
	}
	if uid == 0 {
		return fmt.Errorf("%s did not say where it stored the copy in %q: %w", e.acc.Incoming.Host, name, errCopyOnly)
	}
	sum, err := cn.bodySHA256(name, uid, op.Size)
	if err != nil {
		return fmt.Errorf("check the copy in %q: %w", name, err)
	}
	if sum != op.SHA256 {
		return fmt.Errorf("the copy in %q differs from the original (SHA-256 %s, not %s): %w", name, sum, op.SHA256, errCopyOnly)
	}
	return nil
}

// claimStored returns the UID of a copy of op's message the server holds already (0 when it holds
// none) and gives it to the op's local copy.
func (e *Engine) claimStored(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.TransferOp) (string, imap.UID, error) {
	if op.SHA256 == "" {
		return "", 0, nil
	}
	name, _, err := e.folderName(ctx, st, p.FolderID, p.FolderName)
	if err != nil {
		return "", 0, err
	}
	found, ok := st.stored[p.FolderID]
	if !ok {
		if found, err = e.storedTransfers(ctx, cn, st, p.FolderID, name); err != nil {
			return "", 0, err
		}
		st.stored[p.FolderID] = found
	}
	uids := found[op.SHA256]
	if len(uids) == 0 {
		return name, 0, nil
	}
	uid := uids[0]
	found[op.SHA256] = uids[1:]
	validity := cn.sel.UIDValidity
	for _, it := range op.Items {
		m, err := e.cache.Message(ctx, it.MessageID)
		if err != nil || m.FolderID != p.FolderID || m.UID != 0 {
			continue
		}
		st.moved[it.MessageID] = movedTo{folderID: p.FolderID, uid: uint32(uid)}
		if other, err := e.cache.MessageByUID(ctx, p.FolderID, uint32(uid)); err == nil && other.ID != it.MessageID {
			// A sync listed the server's copy already: that entry stands for it.
			if err := e.cache.RemoveMessages(ctx, []int64{it.MessageID}); err != nil {
				return "", 0, err
			}
			continue
		}
		if err := e.cache.SetUID(ctx, it.MessageID, uint32(uid), validity); err != nil {
			return "", 0, err
		}
	}
	e.dropSnapshot(p.FolderID)
	return name, uid, nil
}

// storedTransfers finds the messages of the mailbox name (folder folderID) that transfers queued
// for it may have stored already: those with the Message-ID of one (UID SEARCH, in chunks), read
// back and keyed by SHA-256. The server is asked once per folder and replay. A message that was
// there before the transfer was queued is found too: a copy of the same bytes into a folder that
// holds them adds nothing.
func (e *Engine) storedTransfers(ctx context.Context, cn *conn, st *replayState, folderID int64, name string) (map[string][]imap.UID, error) {
	found := map[string][]imap.UID{}
	var ids []string
	for _, p := range st.ops {
		t, ok := p.Op.(localcache.TransferOp)
		if !ok || p.FolderID != folderID || t.SHA256 == "" {
			continue
		}
		for _, it := range t.Items {
			if m, err := e.cache.Message(ctx, it.MessageID); err == nil && m.MessageID != "" {
				ids = append(ids, m.MessageID)
			}
		}
	}
	if len(ids) == 0 {
		return found, nil
	}
	if err := cn.ensureSelected(name); err != nil {
		return nil, err
	}
	if cn.sel == nil || cn.sel.NumMessages == 0 {
		return found, nil
	}
	var hits []uint32
	for chunk := range slices.Chunk(ids, 50) {
		crit := imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: chunk[0]}}}
		for _, id := range chunk[1:] {
			crit = imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{crit, {Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}}}}
		}
		stop := cn.watch(cn.opt.cmdTimeout)
		data, err := cn.cl.UIDSearch(&crit, nil).Wait()
		stop()
		if err != nil {
			return nil, fmt.Errorf("search %q for copies stored already: %w", name, cn.wrap(err))
		}
		for _, u := range data.AllUIDs() {
			hits = append(hits, uint32(u))
		}
	}
	for _, uid := range hits {
		sum, err := cn.bodySHA256(name, imap.UID(uid), 0)
		if err != nil {
			return nil, fmt.Errorf("read back UID %d of %q: %w", uid, name, err)
		}
		found[sum] = append(found[sum], imap.UID(uid))
	}
	return found, nil
}

// bodySHA256 reads the bytes the server stores as uid in the mailbox name (about size of them)
// and returns their hex SHA-256.
func (cn *conn) bodySHA256(name string, uid imap.UID, size int64) (string, error) {
	if err := cn.ensureSelected(name); err != nil {
		return "", err
	}
	stop := cn.watch(cn.budget(size))
	defer stop()
	cmd := cn.cl.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	defer cmd.Close()
	h := sha256.New()
	found := false
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		for item := m.Next(); item != nil; item = m.Next() {
			if it, ok := item.(imapclient.FetchItemDataBodySection); ok && it.Literal != nil {
				if _, err := io.Copy(h, it.Literal); err != nil {
					cn.killAfterShortRead(err)
					return "", cn.wrap(err)
				}
				found = true
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return "", fmt.Errorf("fetch UID %d: %w", uid, cn.wrap(err))
	}
	if !found {
		return "", fmt.Errorf("fetch UID %d: the server sent no body", uid)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// appendCopy APPENDs an op's body to its folder and gives the local copy the server's UID; it
// returns the folder's server name and that UID (0 when the server did not say).
func (e *Engine) appendCopy(ctx context.Context, cn *conn, st *replayState, p localcache.PendingOp, op localcache.AppendOp) (string, imap.UID, error) {
	name, f, err := e.folderName(ctx, st, p.FolderID, p.FolderName)
	if err != nil {
		return "", 0, err
	}
	raw, err := e.cache.Body(ctx, op.BodyKey)
	if errors.Is(err, localcache.ErrNotFound) {
		return "", 0, errDropOp
	}
	if err != nil {
		return "", 0, err
	}
	unlock, err := e.locks.lock(ctx, p.FolderID)
	if err != nil {
		return "", 0, err
	}
	defer unlock()
	stop := cn.watch(cn.budget(int64(len(raw))))
	cmd := cn.cl.Append(name, int64(len(raw)), &imap.AppendOptions{Flags: imapFlags(op.Flags)})
	_, werr := cmd.Write(raw)
	cerr := cmd.Close()
	data, err := cmd.Wait()
	stop()
	if err != nil {
		return "", 0, fmt.Errorf("append to %q: %w", name, cn.wrap(err))
	}
	if werr != nil || cerr != nil {
		return "", 0, fmt.Errorf("append to %q: %w", name, cn.wrap(errors.Join(werr, cerr)))
	}
	usable := data.UID != 0 && data.UIDValidity != 0 && (f.UIDValidity == 0 || f.UIDValidity == data.UIDValidity)
	for _, it := range op.Items {
		m, err := e.cache.Message(ctx, it.MessageID)
		if err != nil || m.FolderID != p.FolderID || m.UID != 0 {
			continue
		}
		if usable && len(op.Items) == 1 {
			st.moved[it.MessageID] = movedTo{folderID: p.FolderID, uid: uint32(data.UID)}
			if err := e.cache.SetUID(ctx, it.MessageID, uint32(data.UID), data.UIDValidity); err != nil {
				return "", 0, err
			}
			continue
		}
		if err := e.cache.RemoveMessages(ctx, []int64{it.MessageID}); err != nil {
			return "", 0, err
		}
	}
	e.dropSnapshot(p.FolderID)
	if !usable {
		return name, 0, nil
	}
	return name, data.UID, nil
}

// selectForOp selects the folder an operation's UIDs belong to, once the caller holds the
// folder's lock: the operation must still be queued (a sync may have settled it meanwhile) and
// the folder's UIDVALIDITY must be the one the cache knew when the UIDs were recorded.
func (e *Engine) selectForOp(ctx context.Context, cn *conn, op localcache.PendingOp, folderID int64, name string) error {
	ops, err := e.cache.PendingOps(ctx, e.acc.Name)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ops, func(o localcache.PendingOp) bool { return o.ID == op.ID }) {
		return errDropOp
	}
	if err := cn.ensureSelected(name); err != nil {
		return err
	}
	f, err := e.cache.Folder(ctx, folderID)
	if errors.Is(err, localcache.ErrNotFound) {
		return errDropOp
	}
	if err != nil {
		return err
	}
	if f.UIDValidity != 0 && cn.sel != nil && cn.sel.UIDValidity != f.UIDValidity {
		return errStaleOp
	}
	return nil
}

// refuseStaleOps undoes the queued changes whose UIDs belong to a folder's old UIDVALIDITY.
// Caller holds the folder's lock.
func (e *Engine) refuseStaleOps(ctx context.Context, folderID int64) error {
	ops, err := e.cache.PendingOps(ctx, e.acc.Name)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if !replayers[op.Kind()].uidBound || op.FolderID != folderID {
			continue
		}
		if err := e.cache.RefusePending(ctx, op); err != nil {
			return err
		}
		e.emitError("replay "+string(op.Kind()), fmt.Errorf("change not applied: %w", errStaleOp))
	}
	return nil
}
