package imapsync

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/internal/pipeline"
	"postbode/types"
)

// errServerData is a server answer that makes no sense (a dynamic or oversized UID set, ...).
var errServerData = errors.New("imap: server sent inconsistent data")

// exclusions are a folder's messages with local changes not yet replayed: the server's state for
// them must not overwrite the local one.
type exclusions struct {
	uids    map[uint32]bool // server UIDs moved away or expunged locally
	flagIDs map[int64]bool  // messages with queued flag changes
}

func (e *Engine) pendingExclusions(ctx context.Context, folderID int64) (exclusions, error) {
	ex := exclusions{uids: map[uint32]bool{}, flagIDs: map[int64]bool{}}
	ops, err := e.cache.PendingOps(ctx, e.acc.Name)
	if err != nil {
		return ex, err
	}
	for _, op := range ops {
		switch op.Kind() {
		case localcache.OpMove, localcache.OpExpunge:
			if op.FolderID != folderID {
				continue
			}
			for _, it := range op.Items() {
				if it.UID != 0 {
					ex.uids[it.UID] = true
				}
			}
		case localcache.OpFlags:
			for _, it := range op.Items() {
				ex.flagIDs[it.MessageID] = true
			}
		}
	}
	return ex, nil
}

// syncFolder brings one folder in step: UIDVALIDITY, expunged messages, flag changes, new messages
// (newest first, in growing batches), bodies of new messages within the window; then records the
// state seen at SELECT time, so a pass cut short is simply done again. Each phase is a method of
// folderPass, in the order they run; what counts as new mail is decided by announceNewMail, which
// IDLE's fast path shares.
func (e *Engine) syncFolder(ctx context.Context, cn *conn, folderID int64) error {
	f, unlock, err := e.lockFolder(ctx, folderID)
	if err != nil {
		return err
	}
	defer unlock()
	sel, err := cn.selectFolder(f.Name)
	if err != nil {
		return err
	}
	p := &folderPass{e: e, cn: cn, f: f, sel: sel}
	if err := p.checkIdentity(ctx); err != nil {
		return err
	}
	if err := p.prepare(ctx); err != nil {
		return err
	}
	if done, err := p.condstoreFastPath(ctx); done || err != nil {
		return err
	}
	for _, phase := range []func(context.Context) error{
		p.listUIDs,
		p.removeExpunged,
		p.syncFlagChanges,
		p.addNewMessages,
		p.record,
	} {
		if err := phase(ctx); err != nil {
			return err
		}
	}
	e.announceNewMail(p.f, p.added)
	return p.fetchNewBodies(ctx)
}

// folderPass is one sync of one folder, handed from phase to phase: the folder as cached, what the
// server said at SELECT, and what the phases found so far.
type folderPass struct {
	e  *Engine
	cn *conn

	// f is the folder as cached. Its UIDNext and HighestModSeq are those of the last complete
	// pass (zero after a UIDVALIDITY change); its UIDValidity is the server's once checked.
	f         localcache.Folder
	sel       *imap.SelectData
	condstore bool       // the server reports modseqs for this folder
	ex        exclusions // local changes not yet replayed

	cached  []localcache.UIDState          // the cache's UIDs before this pass
	known   map[uint32]localcache.UIDState // cached, by UID
	server  uidRanges                      // the server's UIDs, as ranges
	uidNext uint32                         // the UIDNEXT to record
	gone    []uint32                       // cached UIDs no longer on the server
	added   []localcache.Message           // new messages, stored with their local ids
	bodied  map[int64]bool                 // of added, those whose body came with the headers
}

// firstSync reports that the folder was never synced completely (or was reset).
func (p *folderPass) firstSync() bool { return p.f.UIDNext == 0 }

// snapshot is the server's state at SELECT, with uidNext as the UIDNEXT recorded.
func (p *folderPass) snapshot(uidNext uint32) snapshot {
	return snapshot{uidValidity: p.sel.UIDValidity, uidNext: uidNext, modSeq: p.sel.HighestModSeq,
		messages: p.sel.NumMessages, unseen: -1}
}

// checkIdentity compares UIDVALIDITY with the cached one (resetting the folder when it changed)
// and records the server's message count.
func (p *folderPass) checkIdentity(ctx context.Context) error {
	e, f, sel := p.e, &p.f, p.sel
	if sel.UIDValidity == 0 {
		return fmt.Errorf("select %q: %w: no UIDVALIDITY", f.Name, errServerData)
	}
	if f.UIDValidity != 0 && f.UIDValidity != sel.UIDValidity {
		// Every cached UID of this folder is meaningless now; queued local mail stays, queued
		// changes to its old messages are undone (they would hit other messages).
		if err := e.refuseStaleOps(ctx, f.ID); err != nil {
			return err
		}
		if err := e.cache.ResetFolder(ctx, f.ID, sel.UIDValidity); err != nil {
			return err
		}
		e.dropSnapshot(f.ID)
		f.UIDNext, f.HighestModSeq = 0, 0
	}
	f.UIDValidity = sel.UIDValidity
	if int(sel.NumMessages) != f.ServerTotal {
		if err := e.cache.SetServerTotal(ctx, f.ID, int(sel.NumMessages)); err != nil {
			return err
		}
	}
	return nil
}

// prepare reads the local changes not yet replayed, which the server's state must not overwrite.
func (p *folderPass) prepare(ctx context.Context) error {
	p.condstore = p.cn.condstore() && p.sel.HighestModSeq != 0
	ex, err := p.e.pendingExclusions(ctx, p.f.ID)
	p.ex = ex
	return err
}

// condstoreFastPath settles a folder where nothing arrived or left; done reports it did.
//
// With CONDSTORE, the same UIDNEXT and as many messages as cached, nothing arrived and nothing
// left (only new UIDs could have replaced expunged ones). Then either nothing changed since the
// last complete pass (one SELECT was enough) or only flags did: fetching those CHANGEDSINCE the
// last pass needs neither every cached UID nor the server's list. Counting reads the index only.
func (p *folderPass) condstoreFastPath(ctx context.Context) (done bool, err error) {
	e, f, sel := p.e, p.f, p.sel
	if p.firstSync() || !p.condstore || f.HighestModSeq == 0 || f.UIDNext != uint32(sel.UIDNext) {
		return false, nil
	}
	n, err := e.cache.CountUIDs(ctx, f.ID)
	if err != nil {
		return false, err
	}
	if n+len(p.ex.uids) != int(sel.NumMessages) {
		return false, nil
	}
	if f.HighestModSeq != sel.HighestModSeq {
		if err := e.syncFlags(ctx, p.cn, f.ID, nil, n+len(p.ex.uids), p.ex, f.HighestModSeq, true); err != nil {
			return false, err
		}
		if err := e.cache.SetFolderSyncState(ctx, f.ID, sel.UIDValidity, uint32(sel.UIDNext), sel.HighestModSeq); err != nil {
			return false, err
		}
	}
	e.setSnapshot(f.ID, p.snapshot(uint32(sel.UIDNext)))
	return true, nil
}

// listUIDs reads the cached UIDs and the server's (as ranges; never expanded).
func (p *folderPass) listUIDs(ctx context.Context) error {
	var err error
	if p.cached, err = p.e.cache.FolderUIDs(ctx, p.f.ID); err != nil {
		return err
	}
	p.known = make(map[uint32]localcache.UIDState, len(p.cached))
	for _, c := range p.cached {
		p.known[c.UID] = c
	}
	if p.server, err = p.e.searchAll(p.cn, p.f.Name, p.sel.NumMessages); err != nil {
		return err
	}
	p.uidNext = uint32(p.sel.UIDNext)
	if last := p.server.last(); p.uidNext == 0 && last != 0 && last < math.MaxUint32 {
		p.uidNext = last + 1 // servers may omit UIDNEXT (RFC 2060)
	}
	return nil
}

// removeExpunged drops what was expunged elsewhere: cached but no longer on the server. The
// server's set is compared range by range; it is never expanded.
func (p *folderPass) removeExpunged(ctx context.Context) error {
	for _, c := range p.cached {
		if !p.server.contains(c.UID) {
			p.gone = append(p.gone, c.UID)
		}
	}
	return p.e.cache.RemoveUIDs(ctx, p.f.ID, p.gone)
}

// syncFlagChanges applies flag changes of the messages we already have.
func (p *folderPass) syncFlagChanges(ctx context.Context) error {
	if len(p.cached) <= len(p.gone) {
		return nil
	}
	var since uint64
	if p.condstore && !p.firstSync() && p.f.HighestModSeq != 0 {
		since = p.f.HighestModSeq
	}
	return p.e.syncFlags(ctx, p.cn, p.f.ID, p.known, 0, p.ex, since, p.condstore)
}

// addNewMessages fetches what is new to us: on the server, not cached, not moved away locally;
// walked newest first.
func (p *folderPass) addNewMessages(ctx context.Context) error {
	seen := func(uid uint32) bool {
		_, ok := p.known[uid]
		return ok || p.ex.uids[uid]
	}
	var err error
	p.added, p.bodied, err = p.e.fetchNew(ctx, p.cn, p.f, p.server.newestFirst(seen),
		newCount(p.server, len(p.cached)-len(p.gone), p.known, p.ex))
	return err
}

// record stores the state seen at SELECT time as the folder's last complete pass.
func (p *folderPass) record(ctx context.Context) error {
	if err := p.e.cache.SetFolderSyncState(ctx, p.f.ID, p.sel.UIDValidity, p.uidNext, p.sel.HighestModSeq); err != nil {
		return err
	}
	p.e.setSnapshot(p.f.ID, p.snapshot(p.uidNext))
	return nil
}

// announceNewMail emits NewMail for the messages of msgs, just added to folder f, that count as
// new mail: unread (and not deleted) messages that arrived in INBOX since its last complete pass
// (UID at least f.UIDNext). A first pass (f.UIDNext zero) announces nothing: the whole folder is
// new to the cache, not new mail. Other folders are never announced, as in Thunderbird by default.
// The full sync and IDLE's fast path both decide through here.
func (e *Engine) announceNewMail(f localcache.Folder, msgs []localcache.Message) {
	if f.Role != localcache.RoleInbox || f.UIDNext == 0 {
		return
	}
	var fresh []localcache.Message
	for _, m := range msgs {
		if m.UID >= f.UIDNext && !m.Flags.Has(localcache.FlagSeen) && !m.Flags.Has(localcache.FlagDeleted) {
			fresh = append(fresh, m)
		}
	}
	if len(fresh) > 0 {
		e.emit(types.NewMail{Account: e.acc.Name, Folder: f.Name, Messages: fresh})
	}
}

// fetchNewBodies downloads the bodies of the new messages within the window (the header pass
// already fetched INBOX's newest), then indexes what was deferred but got no body.
func (p *folderPass) fetchNewBodies(ctx context.Context) error {
	var want []localcache.Message
	since := p.e.windowStart()
	for _, m := range p.added {
		if !p.bodied[m.ID] && inWindow(m, since) && !p.e.skipBody(m.ID) {
			want = append(want, m)
		}
	}
	if err := p.e.fetchBodies(ctx, p.cn, p.f, want); err != nil {
		return err
	}
	return p.e.cache.IndexPending(ctx, p.f.ID)
}

// lockFolder takes the folder's lock and reads the folder under it.
func (e *Engine) lockFolder(ctx context.Context, folderID int64) (localcache.Folder, func(), error) {
	unlock, err := e.locks.lock(ctx, folderID)
	if err != nil {
		return localcache.Folder{}, nil, err
	}
	f, err := e.cache.Folder(ctx, folderID)
	if err != nil {
		unlock()
		return localcache.Folder{}, nil, err
	}
	return f, unlock, nil
}

// inWindow reports whether m's body is downloaded ahead of time, given windowStart.
func inWindow(m localcache.Message, since time.Time) bool {
	return since.IsZero() || !m.Date.Before(since)
}

// windowStart is the oldest date whose bodies are downloaded ahead of time; zero means all.
func (e *Engine) windowStart() time.Time {
	days := e.acc.IMAP.BodyWindowDays
	if days < 0 {
		return time.Time{}
	}
	if days == 0 {
		days = 30
	}
	return time.Now().AddDate(0, 0, -days)
}

// newCount is how many UIDs of server are new to the cache: neither among the inServer cached
// messages still on the server nor moved away locally.
func newCount(server uidRanges, inServer int, known map[uint32]localcache.UIDState, ex exclusions) int {
	n := server.count() - uint64(inServer)
	for uid := range ex.uids {
		if _, ok := known[uid]; !ok && server.contains(uid) {
			n--
		}
	}
	return int(n)
}

// searchAll returns the folder's UIDs as ranges. ESEARCH keeps the answer compact.
func (e *Engine) searchAll(cn *conn, folder string, exists uint32) (uidRanges, error) {
	if exists == 0 {
		return nil, nil
	}
	var opts *imap.SearchOptions
	if cn.caps.Has(imap.CapESearch) || cn.caps.Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	stop := cn.watch(cn.lineBudget(int64(exists) * 8))
	data, err := cn.cl.UIDSearch(&imap.SearchCriteria{}, opts).Wait()
	stop()
	if err != nil {
		return nil, fmt.Errorf("uid search all in %q: %w", folder, cn.wrap(err))
	}
	set, _ := data.All.(imap.UIDSet)
	uids, err := rangesOf(set)
	if err == nil {
		err = checkUIDCount(uids.count(), exists)
	}
	if err != nil {
		cn.kill(err)
		return nil, fmt.Errorf("uid search all in %q: %w", folder, err)
	}
	return uids, nil
}

// checkUIDCount refuses a search answer of n UIDs that no folder of exists messages can give:
// more than mail arriving between SELECT and SEARCH explains, or more than any folder holds.
func checkUIDCount(n uint64, exists uint32) error {
	if n > maxFolderUIDs {
		return fmt.Errorf("%w: the server claims %d messages in one folder, more than the %d allowed",
			errServerData, n, maxFolderUIDs)
	}
	if n > uint64(exists)+100000 {
		return fmt.Errorf("%w: %d UIDs listed for %d messages", errServerData, n, exists)
	}
	return nil
}

// expandUIDSet lists a static UID set in ascending order, refusing one with more than max members.
// max must come from what the client knows (such as the UIDs it asked about), never from a count
// the server announced.
func expandUIDSet(set imap.UIDSet, max int) ([]uint32, error) {
	if set.Dynamic() {
		return nil, fmt.Errorf("%w: dynamic UID set", errServerData)
	}
	n := 0
	for _, r := range set {
		if r.Start == 0 || r.Stop < r.Start {
			return nil, fmt.Errorf("%w: bad UID range", errServerData)
		}
		n += int(r.Stop-r.Start) + 1
		if n > max {
			return nil, fmt.Errorf("%w: UID set larger than %d", errServerData, max)
		}
	}
	out := make([]uint32, 0, n)
	for _, r := range set {
		for u := r.Start; ; u++ {
			out = append(out, uint32(u))
			if u == r.Stop {
				break
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// uidSet builds a compact set from UIDs in any order.
func uidSet(uids []uint32) imap.UIDSet {
	s := slices.Clone(uids)
	slices.Sort(s)
	var set imap.UIDSet
	for _, u := range s {
		if n := len(set); n > 0 && uint32(set[n-1].Stop)+1 >= u {
			if imap.UID(u) > set[n-1].Stop {
				set[n-1].Stop = imap.UID(u)
			}
			continue
		}
		set = append(set, imap.UIDRange{Start: imap.UID(u), Stop: imap.UID(u)})
	}
	return set
}

// flagsSeen is one message's flags as a FETCH reported them.
type flagsSeen struct {
	uid    uint32
	flags  []imap.Flag
	modSeq uint64
}

// syncFlags fetches flags (only those changed since modseq `since` when non-zero) and stores the
// ones that differ from the cache. known is the folder's cached messages by UID; nil looks up only
// the UIDs the server names, of which there may be at most expect (the folder's message count as
// the cache knows it).
func (e *Engine) syncFlags(ctx context.Context, cn *conn, folderID int64, known map[uint32]localcache.UIDState,
	expect int, ex exclusions, since uint64, condstore bool) error {
	limit := len(known)
	if known == nil {
		limit = expect + 100000 // mail may arrive meanwhile
	}
	watch := cn.budget(int64(max(len(known), 10_000)) * 80)
	got, err := fetchFlags(cn, watch, since, condstore, limit, func(uid uint32) bool {
		_, ok := known[uid]
		return ok || known == nil
	})
	if err != nil {
		return err
	}
	if known == nil {
		// Only what changed was asked for: look just those up.
		uids := make([]uint32, len(got))
		for i, g := range got {
			uids[i] = g.uid
		}
		if known, err = e.cache.UIDStates(ctx, folderID, uids); err != nil {
			return err
		}
	}
	var updates []localcache.FlagUpdate
	for _, g := range got {
		c, ok := known[g.uid]
		if !ok || ex.flagIDs[c.ID] {
			continue
		}
		fl, kw := convertFlags(g.flags)
		if since != 0 || fl != c.Flags || (g.modSeq != 0 && g.modSeq != c.ModSeq) {
			updates = append(updates, localcache.FlagUpdate{UID: g.uid, Flags: fl, Keywords: kw, ModSeq: g.modSeq})
		}
	}
	return e.cache.ApplyServerFlags(ctx, folderID, updates)
}

// fetchFlags runs UID FETCH 1:* FLAGS under a watchdog of d and returns the answers for the
// UIDs wanted says it keeps, one per UID. A server answering for more than limit UIDs is refused:
// what it sends is kept only as far as the client has room for.
func fetchFlags(cn *conn, d time.Duration, since uint64, condstore bool, limit int, wanted func(uint32) bool) ([]flagsSeen, error) {
	opts := &imap.FetchOptions{UID: true, Flags: true, ModSeq: condstore, ChangedSince: since}
	all := imap.UIDSet{{Start: 1, Stop: 0}} // 1:*
	stop := cn.watch(d)
	defer stop()
	cmd := cn.cl.Fetch(all, opts)
	defer cmd.Close()
	var got []flagsSeen
	at := map[uint32]int{}
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		g, ok := readFlags(m)
		if !ok || !wanted(g.uid) {
			continue
		}
		if i, dup := at[g.uid]; dup {
			got[i] = g
			continue
		}
		if len(got) >= limit {
			err := fmt.Errorf("%w: flags of more than %d messages", errServerData, limit)
			cn.kill(err)
			return nil, fmt.Errorf("fetch flags: %w", err)
		}
		at[g.uid] = len(got)
		got = append(got, g)
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch flags: %w", cn.wrap(err))
	}
	return got, nil
}

// readFlags reads one FETCH answer; ok is false without a UID or flags.
func readFlags(m *imapclient.FetchMessageData) (g flagsSeen, ok bool) {
	gotFl := false
	for item := m.Next(); item != nil; item = m.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			g.uid = uint32(it.UID)
		case imapclient.FetchItemDataFlags:
			g.flags, gotFl = it.Flags, true
		case imapclient.FetchItemDataModSeq:
			g.modSeq = it.ModSeq
		}
	}
	return g, g.uid != 0 && gotFl
}

// convertFlags splits IMAP flags into the cache's system flag bits and a keyword list.
func convertFlags(flags []imap.Flag) (localcache.Flags, string) {
	var out localcache.Flags
	var kw []string
	for _, f := range flags {
		switch strings.ToLower(string(f)) {
		case `\seen`:
			out |= localcache.FlagSeen
		case `\answered`:
			out |= localcache.FlagAnswered
		case `\flagged`:
			out |= localcache.FlagFlagged
		case `\deleted`:
			out |= localcache.FlagDeleted
		case `\draft`:
			out |= localcache.FlagDraft
		case `\recent`:
		default:
			if !strings.HasPrefix(string(f), `\`) {
				kw = append(kw, string(f))
			}
		}
	}
	sort.Strings(kw)
	return out, strings.Join(kw, " ")
}

// imapFlags turns cache flag bits into IMAP system flags.
func imapFlags(f localcache.Flags) []imap.Flag {
	var out []imap.Flag
	for _, p := range []struct {
		bit  localcache.Flags
		flag imap.Flag
	}{
		{localcache.FlagSeen, imap.FlagSeen}, {localcache.FlagAnswered, imap.FlagAnswered},
		{localcache.FlagFlagged, imap.FlagFlagged}, {localcache.FlagDeleted, imap.FlagDeleted},
		{localcache.FlagDraft, imap.FlagDraft},
	} {
		if f.Has(p.bit) {
			out = append(out, p.flag)
		}
	}
	return out
}

// fetchNew downloads the headers of the total UIDs missing walks over (newest first) in growing
// batches and adds them to the cache. In INBOX the first batch gets its bodies at once, so the
// newest mail is readable before anything else is fetched. After that the next batch is fetched
// while the previous one is written to the cache. Only one batch of UIDs exists at a time.
func (e *Engine) fetchNew(ctx context.Context, cn *conn, f localcache.Folder, missing *uidWalker, total int) (added []localcache.Message, bodied map[int64]bool, err error) {
	bodied = map[int64]bool{}
	if total <= 0 {
		return nil, bodied, nil
	}
	batches := e.batchSizes(total)
	e.emit(types.SyncProgress{Account: e.acc.Name, Folder: f.Name, Done: 0, Total: total})
	store := func(msgs []localcache.Message) error {
		ids, err := e.cache.AddMessages(ctx, msgs)
		if err != nil {
			return err
		}
		for j := range msgs {
			msgs[j].ID = ids[j]
		}
		added = append(added, msgs...)
		e.emit(types.SyncProgress{Account: e.acc.Name, Folder: f.Name, Done: len(added), Total: total})
		return nil
	}
	if f.Role == localcache.RoleInbox {
		msgs, err := e.fetchHeaders(cn, f, missing.take(batches[0]))
		if err != nil {
			return added, bodied, err
		}
		if err := store(msgs); err != nil {
			return added, bodied, err
		}
		if err := e.fetchBodies(ctx, cn, f, msgs); err != nil {
			return added, bodied, err
		}
		for _, m := range msgs {
			bodied[m.ID] = true
		}
		batches = batches[1:]
	}
	stop := make(chan struct{})
	// Stage calls its function on one goroutine, in order: the walk is never shared.
	fetched := pipeline.Stage(stop, batches, func(n int) ([]localcache.Message, error) {
		return e.fetchHeaders(cn, f, missing.take(n))
	})
	err = pipeline.Finish(stop, fetched, store)
	return added, bodied, err
}

// batchSizes splits total messages into the growing header batches.
func (e *Engine) batchSizes(total int) []int {
	var sizes []int
	for i := 0; total > 0; i++ {
		n := min(e.opt.headerBatches[min(i, len(e.opt.headerBatches)-1)], total)
		sizes = append(sizes, n)
		total -= n
	}
	return sizes
}

// headerFields are what the index needs; mailfmt decodes them (all charsets, not just UTF-8).
var headerFields = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Message-ID",
	"In-Reply-To", "References", "Content-Type"}

// fetchHeaders fetches index data for a batch of UIDs of the selected folder. BODYSTRUCTURE is
// deliberately not asked for: a structure go-imap cannot parse closes the connection.
func (e *Engine) fetchHeaders(cn *conn, f localcache.Folder, uids []uint32) ([]localcache.Message, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	return e.fetchHeaderSet(cn, f, uidSet(uids), len(uids))
}

// fetchHeaderSet is fetchHeaders for a UID set of at most n messages (a range may be open: then
// the first n answers are kept).
func (e *Engine) fetchHeaderSet(cn *conn, f localcache.Folder, set imap.UIDSet, n int) ([]localcache.Message, error) {
	opts := &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true, InternalDate: true, ModSeq: cn.condstore(),
		BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: headerFields, Peek: true}},
	}
	stop := cn.watch(cn.budget(int64(n) * 4096))
	defer stop()
	cmd := cn.cl.Fetch(set, opts)
	defer cmd.Close()
	since := e.windowStart()
	var out []localcache.Message
	for {
		m := cmd.Next()
		if m == nil {
			break
		}
		msg := localcache.Message{Account: e.acc.Name, FolderID: f.ID, UIDValidity: f.UIDValidity}
		var header []byte
		var internal time.Time
		var readErr error
		for item := m.Next(); item != nil; item = m.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				msg.UID = uint32(it.UID)
			case imapclient.FetchItemDataFlags:
				msg.Flags, msg.Keywords = convertFlags(it.Flags)
			case imapclient.FetchItemDataRFC822Size:
				msg.Size = it.Size
			case imapclient.FetchItemDataInternalDate:
				internal = it.Time
			case imapclient.FetchItemDataModSeq:
				msg.ModSeq = it.ModSeq
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					header, readErr = readCapped(it.Literal, e.opt.headerCap)
				}
			}
			if readErr != nil {
				cn.killAfterShortRead(readErr)
				return nil, fmt.Errorf("fetch headers: %w", cn.wrap(readErr))
			}
		}
		if msg.UID == 0 || len(out) >= n {
			// More answers than messages asked for are read and dropped, not kept: the
			// watchdog bounds how long a server may go on sending them.
			continue
		}
		fillFromHeader(&msg, header, internal)
		// Its body follows in this pass: the full-text entry is written once, with it.
		msg.DeferIndex = inWindow(msg, since) && msg.Size <= e.opt.maxBody
		out = append(out, msg)
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetch headers in %q: %w", f.Name, cn.wrap(err))
	}
	return out, nil
}

// fillFromHeader sets the envelope fields of msg from a header block.
func fillFromHeader(msg *localcache.Message, header []byte, internal time.Time) {
	if env, err := mailfmt.ParseEnvelope(header); err == nil {
		msg.SetEnvelope(env)
	}
	if msg.Date.IsZero() {
		msg.Date = internal
	}
	if msg.ThreadKey == "" {
		msg.ThreadKey = fmt.Sprintf("nomsgid:%d:%d", msg.FolderID, msg.UID)
	}
	msg.HasAttachment = contentTypeSuggestsAttachment(header)
}

// contentTypeSuggestsAttachment guesses from the top-level Content-Type alone (the body is not
// there yet): multipart/mixed and non-text single parts usually are, or carry, attachments. The
// guess is replaced by the real answer when the body is downloaded.
func contentTypeSuggestsAttachment(header []byte) bool {
	v := headerValue(header, "content-type")
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
	switch {
	case mt == "multipart/mixed":
		return true
	case strings.HasPrefix(mt, "application/"), strings.HasPrefix(mt, "image/"),
		strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
		return !strings.HasPrefix(mt, "application/pkcs7") && mt != "application/ms-tnef"
	}
	return false
}

// headerValue returns the unfolded value of the first field called name (lower case).
func headerValue(header []byte, name string) string {
	lines := strings.Split(strings.ReplaceAll(string(header), "\r\n", "\n"), "\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.ToLower(strings.TrimSpace(k)) != name || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue
		}
		for _, c := range lines[i+1:] {
			if !strings.HasPrefix(c, " ") && !strings.HasPrefix(c, "\t") {
				break
			}
			v += " " + strings.TrimSpace(c)
		}
		return strings.TrimSpace(v)
	}
	return ""
}
