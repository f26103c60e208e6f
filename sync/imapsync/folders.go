package imapsync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/localcache"
)

type passKind int

const (
	// passFull syncs every folder (CONDSTORE servers still skip folders whose state is unchanged).
	passFull passKind = iota
	// passPoll syncs only folders whose STATUS differs from what the last sync saw.
	passPoll
	// passOnce is passFull for SyncOnce, whose connection closes right after.
	passOnce
	// passVerify is passFull that SELECTs every folder whatever its STATUS says (see needsSync).
	passVerify
)

const (
	// maxFolders is the most folders an account may list: a server listing more is refused
	// rather than followed into unbounded memory and a STATUS per folder.
	maxFolders = 10_000
	// statusWindow is the most STATUS commands in flight at once on a connection.
	statusWindow = 32
)

var errTooManyFolders = fmt.Errorf("imap: the server lists more than %d folders", maxFolders)

// serverFolder is one mailbox from LIST, with its STATUS when the server sent it.
type serverFolder struct {
	name       string
	delim      string
	attrs      []imap.MailboxAttr
	role       string
	subscribed bool
	status     *imap.StatusData
	rawName    bool // listed under a name the client cannot send back (errRawName)
}

// pass is the main connection's unit of work: replay, folder list, then the folders that need it.
// dirty names folders to sync whatever their status says.
func (e *Engine) pass(ctx context.Context, cn *conn, kind passKind, dirty []string) error {
	e.replayMu.Lock()
	err := e.replay(ctx, cn)
	e.replayMu.Unlock()
	if err != nil {
		return err
	}
	list, err := e.listFolders(cn)
	if err != nil {
		return err
	}
	folders, err := e.reconcileFolders(ctx, list)
	if err != nil {
		return err
	}
	force := map[string]bool{}
	for _, n := range dirty {
		force[n] = true
	}
	inbox := ""
	idling := e.idleActive.Load()
	for _, sf := range list {
		f, ok := folders[sf.name]
		if !ok {
			continue
		}
		if sf.rawName {
			if e.noteRefused(f.ID, true) {
				e.emitError("sync "+f.Name, fmt.Errorf("folder %q: %w", f.Name, errRawName))
			}
			continue
		}
		if f.Role == localcache.RoleInbox {
			inbox = f.Name
			if idling && kind == passPoll && !force[sf.name] {
				continue // the IDLE connection keeps INBOX in step
			}
		}
		if sf.status != nil && sf.status.NumMessages != nil && int(*sf.status.NumMessages) != f.ServerTotal {
			if err := e.cache.SetServerTotal(ctx, f.ID, int(*sf.status.NumMessages)); err != nil {
				return err
			}
		}
		need, err := e.needsSync(ctx, cn, f, sf.status, kind, force[sf.name])
		if err != nil {
			return err
		}
		if need {
			if err := e.syncFolder(ctx, cn, f.ID); err != nil {
				if isRefusal(err) {
					// The folder cannot be selected (deleted meanwhile, no rights): the next LIST
					// settles it; the other folders go on. Said once, not at every poll.
					if e.noteRefused(f.ID, true) {
						e.emitError("sync "+f.Name, err)
					}
					continue
				}
				return err
			}
			e.noteRefused(f.ID, false)
		}
		if kind != passPoll {
			if err := e.fetchWindowBodies(ctx, cn, f.ID); err != nil {
				return err
			}
		}
	}
	// Without IDLE, leave INBOX selected: the NOOP of the next poll then reports its changes.
	if kind != passOnce && !idling && inbox != "" && cn.selected != inbox {
		if _, err := cn.selectFolder(inbox); err != nil && !isRefusal(err) {
			return err
		}
	}
	return nil
}

// listFolders lists every mailbox with its special use and, where the server can, its STATUS in
// the same command; otherwise STATUS commands are pipelined.
func (e *Engine) listFolders(cn *conn) ([]serverFolder, error) {
	opts, statusOpts := listOptions(cn)
	out, err := readList(cn, opts)
	if err != nil {
		return nil, err
	}
	assignRoles(out)
	if opts.ReturnStatus == nil {
		if err := statusFolders(cn, out, statusOpts); err != nil {
			return nil, err
		}
	}
	sortFolders(out)
	return out, nil
}

// listOptions are the LIST options the server supports, and the STATUS items wanted.
func listOptions(cn *conn) (*imap.ListOptions, *imap.StatusOptions) {
	opts := &imap.ListOptions{}
	if cn.caps.Has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	if cn.caps.Has(imap.CapListExtended) {
		opts.ReturnSubscribed = true
	}
	statusOpts := &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true,
		HighestModSeq: cn.condstore()}
	if cn.caps.Has(imap.CapListStatus) || cn.caps.Has(imap.CapIMAP4rev2) {
		opts.ReturnStatus = statusOpts
	}
	return opts, statusOpts
}

// readList runs LIST and reads its answers one at a time. Past maxFolders it stops reading and
// drops the connection: the rest of the answer is never held.
func readList(cn *conn, opts *imap.ListOptions) ([]serverFolder, error) {
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	cmd := cn.cl.List("", "*", opts)
	var out []serverFolder
	n := 0
	for d := cmd.Next(); d != nil; d = cmd.Next() {
		if n++; n > maxFolders {
			cn.kill(errTooManyFolders)
			_ = cmd.Close() // unblocks the decoder, which then finds the connection closed
			return nil, errTooManyFolders
		}
		if sf, ok := listedFolder(d, opts.ReturnSubscribed); ok {
			out = append(out, sf)
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap list: %w", cn.wrap(err))
	}
	return out, nil
}

// listedFolder turns one LIST answer into a folder; ok is false for a name that cannot be selected.
func listedFolder(d *imap.ListData, returnSubscribed bool) (sf serverFolder, ok bool) {
	if hasAttr(d.Attrs, imap.MailboxAttrNoSelect) || hasAttr(d.Attrs, imap.MailboxAttrNonExistent) {
		return sf, false
	}
	sf = serverFolder{name: d.Mailbox, status: d.Status,
		subscribed: !returnSubscribed || hasAttr(d.Attrs, imap.MailboxAttrSubscribed)}
	for _, a := range d.Attrs {
		if strings.EqualFold(string(a), string(attrRawName)) {
			sf.rawName = true
		} else {
			sf.attrs = append(sf.attrs, a)
		}
	}
	if d.Delim != 0 {
		sf.delim = string(d.Delim)
	}
	if strings.EqualFold(d.Mailbox, "INBOX") {
		sf.name = "INBOX"
		sf.subscribed = true
	}
	return sf, true
}

// statusFolders asks each folder's STATUS, pipelined, with at most statusWindow commands in
// flight. A folder whose STATUS is refused keeps none.
func statusFolders(cn *conn, fs []serverFolder, opts *imap.StatusOptions) error {
	stop := cn.watch(cn.budget(int64(len(fs)) * 200)) // len(fs) is at most maxFolders
	defer stop()
	type asked struct {
		i   int
		cmd *imapclient.StatusCommand
	}
	var queue []asked
	wait := func(a asked) error {
		st, err := a.cmd.Wait()
		switch {
		case err == nil:
			fs[a.i].status = st
		case !isRefusal(err):
			return fmt.Errorf("imap status %q: %w", fs[a.i].name, cn.wrap(err))
		}
		return nil
	}
	for i := range fs {
		if fs[i].rawName {
			continue // the client cannot name it to the server
		}
		if len(queue) == statusWindow {
			if err := wait(queue[0]); err != nil {
				return err
			}
			queue = queue[1:]
		}
		queue = append(queue, asked{i, cn.cl.Status(fs[i].name, opts)})
	}
	for _, a := range queue {
		if err := wait(a); err != nil {
			return err
		}
	}
	return nil
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if strings.EqualFold(string(a), string(want)) {
			return true
		}
	}
	return false
}

var roleAttrs = []struct {
	attr imap.MailboxAttr
	role string
}{
	{imap.MailboxAttrSent, localcache.RoleSent},
	{imap.MailboxAttrDrafts, localcache.RoleDrafts},
	{imap.MailboxAttrTrash, localcache.RoleTrash},
	{imap.MailboxAttrJunk, localcache.RoleJunk},
	{imap.MailboxAttrArchive, localcache.RoleArchive},
}

// Common names for servers without SPECIAL-USE, used only when no folder carries the attribute.
var roleNames = map[string]string{
	"sent": localcache.RoleSent, "sent items": localcache.RoleSent, "sent messages": localcache.RoleSent,
	"sent mail": localcache.RoleSent, "verzonden": localcache.RoleSent, "verzonden items": localcache.RoleSent,
	"drafts": localcache.RoleDrafts, "concepten": localcache.RoleDrafts,
	"trash": localcache.RoleTrash, "deleted items": localcache.RoleTrash, "deleted messages": localcache.RoleTrash,
	"prullenbak": localcache.RoleTrash,
	"junk":       localcache.RoleJunk, "spam": localcache.RoleJunk, "junk e-mail": localcache.RoleJunk,
	"ongewenste e-mail": localcache.RoleJunk,
	"archive":           localcache.RoleArchive, "archief": localcache.RoleArchive,
}

// assignRoles gives each role to at most one folder: INBOX by name, the others by SPECIAL-USE
// attribute, then by well-known name.
func assignRoles(fs []serverFolder) {
	taken := map[string]bool{}
	for i := range fs {
		if fs[i].name == "INBOX" {
			fs[i].role = localcache.RoleInbox
			taken[localcache.RoleInbox] = true
		}
	}
	for _, ra := range roleAttrs {
		for i := range fs {
			if fs[i].role == "" && !taken[ra.role] && hasAttr(fs[i].attrs, ra.attr) {
				fs[i].role = ra.role
				taken[ra.role] = true
			}
		}
	}
	for i := range fs {
		if fs[i].role != "" {
			continue
		}
		leaf := fs[i].name
		if fs[i].delim != "" {
			if j := strings.LastIndex(leaf, fs[i].delim); j >= 0 && strings.Count(fs[i].name, fs[i].delim) == 1 &&
				strings.EqualFold(leaf[:j], "INBOX") {
				leaf = leaf[j+1:] // "INBOX.Sent" on servers that nest everything under INBOX
			} else if j >= 0 {
				continue
			}
		}
		if r, ok := roleNames[strings.ToLower(leaf)]; ok && !taken[r] {
			fs[i].role = r
			taken[r] = true
		}
	}
}

// sortFolders puts INBOX, Sent and Drafts first, then the other special folders, then by name.
func sortFolders(fs []serverFolder) {
	rank := map[string]int{localcache.RoleInbox: 0, localcache.RoleSent: 1, localcache.RoleDrafts: 2,
		localcache.RoleArchive: 3, localcache.RoleTrash: 5, localcache.RoleJunk: 6}
	r := func(f serverFolder) int {
		if v, ok := rank[f.role]; ok {
			return v
		}
		return 4
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if r(fs[i]) != r(fs[j]) {
			return r(fs[i]) < r(fs[j])
		}
		return fs[i].name < fs[j].name
	})
}

func attrString(attrs []imap.MailboxAttr) string {
	s := make([]string, len(attrs))
	for i, a := range attrs {
		s[i] = string(a)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// reconcileFolders makes the local folder list match the server's, leaving alone folders whose
// creation, renaming or deletion is still waiting to be replayed. It returns the local folders by
// server name.
func (e *Engine) reconcileFolders(ctx context.Context, list []serverFolder) (map[string]localcache.Folder, error) {
	local, err := e.cache.Folders(ctx, e.acc.Name)
	if err != nil {
		return nil, err
	}
	ops, err := e.cache.PendingOps(ctx, e.acc.Name)
	if err != nil {
		return nil, err
	}
	keepLocal, keepAway := map[string]bool{}, map[string]bool{}
	for _, op := range ops {
		switch o := op.Op.(type) {
		case localcache.CreateFolderOp:
			keepLocal[o.Name] = true
		case localcache.RenameFolderOp:
			keepLocal[o.NewName] = true
			keepAway[o.Name] = true
		case localcache.DeleteFolderOp:
			keepAway[o.Name] = true
		}
	}
	byName := map[string]localcache.Folder{}
	for _, f := range local {
		byName[f.Name] = f
	}
	onServer := map[string]bool{}
	out := map[string]localcache.Folder{}
	e.listedMu.Lock()
	for _, sf := range list {
		e.listed[sf.name] = true
	}
	e.listedMu.Unlock()
	for _, sf := range list {
		onServer[sf.name] = true
		if keepAway[sf.name] {
			continue
		}
		want := localcache.Folder{Account: e.acc.Name, Name: sf.name, Delim: sf.delim, Role: sf.role,
			Attrs: attrString(sf.attrs), Subscribed: sf.subscribed}
		if want.Delim == "" {
			want.Delim = "/"
		}
		f, ok := byName[sf.name]
		if !ok || f.Role != want.Role || f.Attrs != want.Attrs || f.Delim != want.Delim || f.Subscribed != want.Subscribed {
			if f, err = e.cache.EnsureFolder(ctx, want); err != nil {
				return nil, err
			}
		}
		out[sf.name] = f
	}
	for _, f := range local {
		if onServer[f.Name] || keepLocal[f.Name] || strings.EqualFold(f.Name, "INBOX") {
			continue
		}
		e.listedMu.Lock()
		listed := e.listed[f.Name]
		orphan := e.orphans[f.Name]
		if f.UIDValidity == 0 && !listed && !orphan {
			// Never on the server as far as we know: perhaps a folder being created here right
			// now (its operation is queued just after the folder). Give it one more pass.
			e.orphans[f.Name] = true
			e.listedMu.Unlock()
			continue
		}
		delete(e.orphans, f.Name)
		e.listedMu.Unlock()
		if err := e.cache.DeleteFolder(ctx, f.ID); err != nil && !errors.Is(err, localcache.ErrNotFound) {
			return nil, err
		}
		e.dropSnapshot(f.ID)
	}
	return out, nil
}

// needsSync decides from a folder's STATUS whether it changed since its last complete sync.
//
// With CONDSTORE, a folder whose UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ are those of its last
// complete pass, and whose message count is what the cache holds, has not changed: nothing
// arrived (UIDNEXT), no flag changed (HIGHESTMODSEQ), nothing left (the count). Such a folder
// costs no command beyond the LIST that carried its STATUS. Without CONDSTORE, STATUS does not
// show flag changes, so full passes SELECT every folder and polls go by the counts.
//
// A server may answer STATUS from a cache that misses mail dropped into the folder by other
// means; SELECT makes it look. passVerify, which Run makes every verifyEvery-th full pass, and
// the folder this connection has selected (whose STATUS may be the session's stale view) are
// therefore always synced.
func (e *Engine) needsSync(ctx context.Context, cn *conn, f localcache.Folder, st *imap.StatusData, kind passKind, forced bool) (bool, error) {
	if forced || kind == passVerify || f.UIDValidity == 0 || st == nil || st.NumMessages == nil {
		return true, nil
	}
	if kind != passPoll && cn.selected == f.Name {
		return true, nil
	}
	if st.UIDValidity != f.UIDValidity || uint32(st.UIDNext) != f.UIDNext {
		return true, nil
	}
	condstore := cn.condstore() && f.HighestModSeq != 0
	if condstore && st.HighestModSeq != f.HighestModSeq {
		return true, nil
	}
	if !condstore && kind != passPoll {
		return true, nil
	}
	unseen := int64(-1)
	if st.NumUnseen != nil {
		unseen = int64(*st.NumUnseen)
	}
	snap, ok := e.snapshot(f.ID)
	if !ok || snap.uidValidity != f.UIDValidity || snap.uidNext != f.UIDNext {
		// No memory of the last sync (a restart, or a one-shot sync): count what the cache holds.
		n, err := e.cache.CountUIDs(ctx, f.ID)
		if err != nil {
			return false, err
		}
		if n+e.pendingAway(ctx, f.ID) != int(*st.NumMessages) {
			return true, nil
		}
		e.setSnapshot(f.ID, snapshot{uidValidity: f.UIDValidity, uidNext: f.UIDNext, modSeq: f.HighestModSeq,
			messages: *st.NumMessages, unseen: unseen})
		return false, nil
	}
	if snap.messages != *st.NumMessages {
		return true, nil
	}
	if !condstore && snap.unseen >= 0 && unseen >= 0 && snap.unseen != unseen {
		return true, nil
	}
	if snap.unseen < 0 && unseen >= 0 {
		snap.unseen = unseen
		e.setSnapshot(f.ID, snap)
	}
	return false, nil
}

// pendingAway counts messages of a folder that are gone locally but not yet on the server
// (queued moves out and expunges).
func (e *Engine) pendingAway(ctx context.Context, folderID int64) int {
	ex, err := e.pendingExclusions(ctx, folderID)
	if err != nil {
		return 0
	}
	return len(ex.uids)
}

// noteRefused records whether a folder's last sync was refused and reports whether that is news.
func (e *Engine) noteRefused(id int64, refused bool) bool {
	e.skipMu.Lock()
	defer e.skipMu.Unlock()
	was := e.refused[id]
	if refused {
		e.refused[id] = true
	} else {
		delete(e.refused, id)
	}
	return refused && !was
}
