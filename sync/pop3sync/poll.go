package pop3sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"postbode/internal/pop3"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/internal/pipeline"
	"postbode/types"
)

const (
	// maxMessages bounds the maildrop size believed from STAT, so memory stays bounded.
	maxMessages = 2_000_000
	// contentPrefix marks a UIDL record that identifies a message by its content, for
	// servers without (usable) UIDL. It holds a space, which no real UIDL can.
	contentPrefix = "content "
)

// serverMsg is one message of the maildrop as listed in this session.
type serverMsg struct {
	num  int
	size int64
	uidl string // "" when the server gave none that can be trusted
	// byContent: the message has no unique UIDL (server without UIDL, a UIDL listed twice,
	// or a message number missing from the UIDL listing). Such a message is recognised by
	// its bytes and never deleted from the server.
	byContent bool
}

// skipKey names a message in notices shown once per session.
func skipKey(m serverMsg) string {
	if m.byContent {
		return fmt.Sprintf("#%d", m.num)
	}
	return m.uidl
}

// poll is one POP3 session. The caller holds e.mu.
func (e *Engine) poll(ctx context.Context) (err error) {
	password, err := e.deps.Password()
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	// The UIDL records (one row per message on the server) are first needed to compare with the
	// server's listing. They load beside the log-in when they will be needed; when the listing may
	// turn out to be the one of the last poll that had nothing to do, only once it is not.
	type records struct {
		known map[string]localcache.UIDLRecord
		err   error
	}
	loaded := make(chan records, 1)
	started := false
	load := func() {
		if !started {
			started = true
			go func() {
				known, err := e.deps.Cache.UIDLs(ctx, e.acc.Name)
				loaded <- records{known, err}
			}()
		}
	}
	var rec *records
	wait := func() (map[string]localcache.UIDLRecord, error) {
		load()
		if rec == nil {
			r := <-loaded
			rec = &r
		}
		return rec.known, rec.err
	}
	defer func() {
		if started {
			wait() //nolint:errcheck // the loader never outlives the poll
		}
	}()
	trust := e.acc.POP3.Leave != types.LeaveDays // time makes messages due under "days"
	if !trust {
		load() // beside the log-in and the listing
	}
	s, err := connect(ctx, e.acc, password)
	if err != nil {
		return err
	}
	defer s.c.Close() // without QUIT the server deletes nothing
	if e.maxMessage > 0 {
		s.c.MaxMessageBytes = e.maxMessage
	}
	e.emit(types.ConnState{Account: e.acc.Name, State: types.StateOnline})
	defer func() {
		if err != nil {
			e.emit(types.ConnState{Account: e.acc.Name, State: types.StateOffline, Err: err})
		} else {
			e.emit(types.ConnState{Account: e.acc.Name, State: types.StateWaiting})
		}
	}()

	drop, err := e.listing(ctx, s)
	if err != nil {
		return err
	}
	if trust && drop.digest != "" {
		if same, err := e.sameAsLastQuietPoll(ctx, drop.digest); err != nil {
			return err
		} else if same {
			e.hook("same-listing")
			if err := s.c.Quit(ctx); err != nil {
				return fmt.Errorf("quit: %w", err)
			}
			return nil
		}
	}
	known, err := wait()
	if err != nil {
		return err
	}
	if !drop.sized && drop.needsDownload(known) {
		// Something to download: its size bounds it and shapes the batches.
		if err := addSizes(ctx, s, drop.msgs); err != nil {
			return err
		}
		drop.sized = true
	}
	msgs := drop.msgs
	if drop.sized {
		e.checkHandled(msgs)
	} else {
		e.handled, e.handledSizes = map[int]bool{}, nil // nothing is identified by content now
	}

	added, dlErr := e.download(ctx, s, msgs, known)
	if len(added) > 0 {
		e.emit(types.NewMail{Account: e.acc.Name, Folder: e.inbox.Name, Messages: added})
	}
	if dlErr != nil {
		return dlErr
	}
	quiet, err := e.deleteAndQuit(ctx, s, msgs, known, drop.uidlOK)
	if err != nil {
		return err
	}
	if quiet && !drop.sized && drop.digest != "" {
		// Nothing was downloaded, deleted or forgotten: the same listing next time means the same.
		return e.deps.Cache.RememberListing(ctx, e.acc.Name, drop.digest)
	}
	// Only the last poll counts: what an earlier quiet one saw says nothing after this one.
	return e.deps.Cache.RememberListing(ctx, e.acc.Name, "")
}

// maildrop is the server's listing in message-number order. uidlOK says whether the server gave
// UIDLs; sized whether sizes (LIST) were asked, which happens only when something is to be
// downloaded or identified by content; digest sums up the UIDL listing when every message has a
// UIDL of its own ("" otherwise).
type maildrop struct {
	msgs          []serverMsg
	uidlOK, sized bool
	digest        string
}

// needsDownload reports whether a message of the listing is not among the records.
func (d maildrop) needsDownload(known map[string]localcache.UIDLRecord) bool {
	for _, m := range d.msgs {
		rec, ok := known[m.uidl]
		if m.byContent || !ok || !rec.DeletedAt.IsZero() {
			return true
		}
	}
	return false
}

// sameAsLastQuietPoll reports whether the listing is the one of the last poll that had nothing to
// do, with the records unchanged and no deletion queued since: this poll has nothing to do either.
func (e *Engine) sameAsLastQuietPoll(ctx context.Context, digest string) (bool, error) {
	if n, err := e.deps.Cache.PendingCount(ctx, e.acc.Name); err != nil || n > 0 {
		return false, err
	}
	return e.deps.Cache.ListingSeen(ctx, e.acc.Name, digest)
}

func addSizes(ctx context.Context, s *session, msgs []serverMsg) error {
	list, err := s.c.List(ctx)
	if err != nil {
		return err
	}
	for _, l := range list {
		if l.Num <= len(msgs) {
			msgs[l.Num-1].size = l.Size
		}
	}
	return nil
}

// listing asks STAT and UIDL (and LIST when the server has no UIDL).
func (e *Engine) listing(ctx context.Context, s *session) (maildrop, error) {
	count, _, err := s.c.Stat(ctx)
	if err != nil {
		return maildrop{}, err
	}
	if count > maxMessages {
		return maildrop{}, fmt.Errorf("server reports %d messages, more than the %d this client handles", count, maxMessages)
	}
	d := maildrop{msgs: make([]serverMsg, count), uidlOK: true}
	for i := range d.msgs {
		d.msgs[i] = serverMsg{num: i + 1, byContent: true}
	}
	if count == 0 {
		d.sized = true
		return d, nil
	}
	// Asked even when CAPA does not list it: a -ERR costs nothing, and some servers list less
	// than they do.
	uidls, err := s.c.UIDL(ctx)
	var se *pop3.ServerError
	if err != nil && !errors.As(err, &se) {
		return maildrop{}, err
	}
	if err != nil {
		if err := addSizes(ctx, s, d.msgs); err != nil {
			return maildrop{}, err
		}
		e.notice("no-uidl", fmt.Sprintf("The POP3 server of %s does not support UIDL, so Postbode cannot tell "+
			"which messages it downloaded before. Leaving mail on the server cannot work well: each time "+
			"Postbode starts it reads the whole mailbox again (messages it already has are recognised and "+
			"not added twice), and it never deletes anything from this server, whatever the account's "+
			"policy. Empty the mailbox another way, or use a server that supports UIDL.", e.acc.Name))
		d.uidlOK, d.sized = false, true
		return d, nil
	}
	perUIDL := make(map[string]int, len(uidls))
	perNum := make([]int32, count+1) // by message number, 1..count
	for _, u := range uidls {
		if u.Num >= 1 && u.Num <= count {
			perUIDL[u.UIDL]++
			perNum[u.Num]++
		}
	}
	dup := false
	for _, u := range uidls {
		if u.Num < 1 || u.Num > count || perNum[u.Num] != 1 {
			continue
		}
		if perUIDL[u.UIDL] > 1 {
			dup = true
			continue
		}
		d.msgs[u.Num-1].uidl, d.msgs[u.Num-1].byContent = u.UIDL, false
	}
	if dup {
		e.notice("dup-uidl", fmt.Sprintf("The POP3 server of %s gives several messages the same UIDL. "+
			"Postbode downloads them but will never delete them from the server.", e.acc.Name))
	}
	h := sha256.New()
	for _, m := range d.msgs {
		if m.byContent {
			return d, nil // identified by content: no digest
		}
		fmt.Fprintf(h, "%d %s\n", m.num, m.uidl)
	}
	d.digest = hex.EncodeToString(h.Sum(nil))
	return d, nil
}

// checkHandled forgets which message numbers were handled by content when the maildrop
// changed under them (a message before them went away, so numbers shifted).
func (e *Engine) checkHandled(msgs []serverMsg) {
	same := len(e.handledSizes) <= len(msgs)
	for i := 0; same && i < len(e.handledSizes); i++ {
		same = msgs[i].size == e.handledSizes[i]
	}
	if !same {
		e.handled = map[int]bool{}
	}
	e.handledSizes = e.handledSizes[:0]
	for _, m := range msgs {
		e.handledSizes = append(e.handledSizes, m.size)
	}
}

// download fetches what is new, in message-number order, storing each batch durably before
// recording its UIDLs. It returns the index entries it added; on error those of the batches
// committed before it.
func (e *Engine) download(ctx context.Context, s *session, msgs []serverMsg, known map[string]localcache.UIDLRecord) ([]localcache.Message, error) {
	var todo []serverMsg
	for _, m := range msgs {
		if m.byContent {
			if !e.handled[m.num] {
				todo = append(todo, m)
			}
			continue
		}
		if rec, ok := known[m.uidl]; !ok || !rec.DeletedAt.IsZero() {
			// New, or listed again after we saw it deleted: a reused UIDL is a new message.
			todo = append(todo, m)
		}
	}
	limit := s.c.MaxMessageBytes
	todo = slices.DeleteFunc(todo, func(m serverMsg) bool {
		if m.size <= limit && !e.skip[m.uidl] {
			return false
		}
		e.notice("too-big "+skipKey(m), fmt.Sprintf("A message on the POP3 server of %s is larger than "+
			"the %d MB limit; it was not downloaded and stays on the server.", e.acc.Name, limit>>20))
		return true
	})
	if len(todo) == 0 {
		return nil, nil
	}
	total := len(todo)
	e.emit(types.SyncProgress{Account: e.acc.Name, Folder: e.inbox.Name, Done: 0, Total: total})
	if total >= bulkIndexMin {
		end, err := e.deps.Cache.BeginBulkIndex(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { _ = end(context.WithoutCancel(ctx)) }() // a failed merge is redone by the next bulk
	}

	// While a batch is RETRed, the one before is parsed, the one before that written to the store
	// and the one before that indexed; the order per batch (store, index, record) is unchanged and
	// nothing is deleted before all of it is done. The fetch stage alone uses the session.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := func(err error) error {
		if err != nil {
			cancel() // stops the fetcher; the session is abandoned without QUIT
		}
		return err
	}
	var broken bool // fetch stage only: the session failed, fetch no more
	stop := make(chan struct{})
	fetched := pipeline.Stage(stop, e.splitBatches(todo), func(ms []serverMsg) (batch, error) {
		if broken {
			return batch{}, errSessionBroken
		}
		b := e.retrBatch(fctx, s, ms)
		broken = b.err != nil
		return b, nil
	})
	prepared := pipeline.Then(stop, fetched, func(b batch) (batch, error) { return e.prepare(b), nil })
	stored := pipeline.Then(stop, prepared, func(b batch) (batch, error) { return b, failed(e.put(ctx, b)) })
	var (
		added []localcache.Message
		done  int
	)
	err := pipeline.Finish(stop, stored, func(b batch) error {
		e.noticeBatch(b, limit)
		if len(b.items) > 0 {
			// Whole messages fetched before a failure are kept too.
			msgs, err := e.index(ctx, b.items, known)
			if err != nil {
				return failed(err)
			}
			added = append(added, msgs...)
			done += len(b.items)
			e.emit(types.SyncProgress{Account: e.acc.Name, Folder: e.inbox.Name, Done: done, Total: total})
		}
		return b.err
	})
	return added, err
}

// errSessionBroken stops the fetch stage after a batch that ended with a session error; that
// batch's own error is what the poll reports.
var errSessionBroken = errors.New("pop3: session broken")

// splitBatches cuts todo into batches of at most e.batchMessages messages or e.batchBytes bytes
// (by LIST sizes).
func (e *Engine) splitBatches(todo []serverMsg) [][]serverMsg {
	var out [][]serverMsg
	var size int64
	start := 0
	for i, m := range todo {
		if i > start && (i-start >= e.batchMessages || size+m.size > e.batchBytes) {
			out = append(out, todo[start:i])
			start, size = i, 0
		}
		size += m.size
	}
	if start < len(todo) {
		out = append(out, todo[start:])
	}
	return out
}

// noticeBatch tells the user about messages the server would not send or that are too large.
func (e *Engine) noticeBatch(b batch, limit int64) {
	for _, r := range b.refused {
		e.notice("retr "+skipKey(r.msg), fmt.Sprintf("The POP3 server of %s refused to send a message "+
			"(%v); it stays on the server.", e.acc.Name, r.err))
	}
	if m := b.tooBig; m != nil {
		// LIST understated the size. Skip it from now on in this session.
		if m.byContent {
			e.handled[m.num] = true
		} else {
			e.skip[m.uidl] = true
		}
		e.notice("too-big "+skipKey(*m), fmt.Sprintf("A message on the POP3 server of %s is larger than "+
			"the %d MB limit; it was not downloaded and stays on the server.", e.acc.Name, limit>>20))
	}
}

// batch is what the fetch stage hands over: whole messages, and what went wrong.
type batch struct {
	items   []fetched
	refused []refusal  // RETR answered -ERR; the session goes on
	tooBig  *serverMsg // RETR exceeded the size limit; err is set
	err     error      // the session failed; this is the last batch
}

type refusal struct {
	msg serverMsg
	err error
}

// fetched is one downloaded message with its content key and index entry (all but the body
// key, set once the body is stored).
type fetched struct {
	msg   serverMsg
	raw   []byte
	key   string
	entry localcache.Message
}

// retrWindow is how many RETR commands are sent ahead to a server that announces PIPELINING.
const retrWindow = 16

// retrBatch downloads ms in order. A refused message is skipped; a session error ends the batch
// with what was fetched before it.
func (e *Engine) retrBatch(ctx context.Context, s *session, ms []serverMsg) batch {
	var b batch
	reqs := make([]pop3.RetrRequest, len(ms))
	for i, m := range ms {
		reqs[i] = pop3.RetrRequest{Num: m.num, SizeHint: m.size}
	}
	window := 1
	if pop3.HasCapability(s.caps, "PIPELINING") {
		window = retrWindow
	}
	answered := 0
	err := s.c.RetrEach(ctx, reqs, window, func(i int, raw []byte, err error) {
		answered = i + 1
		if err != nil {
			// The server cannot give this one; go on with the others and try again next poll.
			b.refused = append(b.refused, refusal{msg: ms[i], err: err})
			return
		}
		b.items = append(b.items, fetched{msg: ms[i], raw: raw})
	})
	if err != nil {
		if errors.Is(err, pop3.ErrTooLarge) && answered < len(ms) {
			b.tooBig = &ms[answered]
		}
		b.err = err
	}
	return b
}

// prepare does the CPU work of a batch off the session's and the disks' goroutines: content keys
// and index entries.
func (e *Engine) prepare(b batch) batch {
	now := time.Now()
	for i := range b.items {
		f := &b.items[i]
		f.key = localcache.BodyKey(e.acc.Name, f.raw)
		f.entry = e.entry(f.msg, f.raw, now)
	}
	return b
}

// put makes the bodies of a batch durable: the first step of the order the delete policy relies
// on (bodies fsynced, then the index, then the UIDL records).
func (e *Engine) put(ctx context.Context, b batch) error {
	if len(b.items) == 0 {
		return nil
	}
	e.hook("after-retr")
	bodies := make([]localcache.Body, len(b.items))
	for i, f := range b.items {
		bodies[i] = localcache.Body{Account: e.acc.Name, Origin: "pop3:" + f.msg.uidl, Folder: e.inbox.Name, Raw: f.raw, Key: f.key}
	}
	if _, err := e.deps.Cache.PutBodies(ctx, bodies); err != nil {
		return err
	}
	for i := range b.items {
		b.items[i].raw = nil // durable now; the index needs only the entry (less memory in flight)
	}
	e.hook("after-store")
	return nil
}

// index adds the stored messages of a batch to the index, then records their UIDLs. known is
// updated with the new records.
func (e *Engine) index(ctx context.Context, items []fetched, known map[string]localcache.UIDLRecord) ([]localcache.Message, error) {
	for i := range items {
		items[i].entry.BodyKey = items[i].key
		if items[i].entry.ThreadKey == "" {
			items[i].entry.ThreadKey = "pop3:" + items[i].key
		}
	}
	var (
		entries []localcache.Message
		records []string
		inBatch = map[string]bool{}
	)
	indexed, err := e.indexedBodies(ctx, items)
	if err != nil {
		return nil, err
	}
	for _, f := range items {
		id := f.msg.uidl
		if f.msg.byContent {
			id = contentPrefix + f.key
			if _, ok := known[id]; ok || inBatch[id] {
				continue // downloaded before: the same bytes are listed again
			}
		}
		inBatch[id] = true
		records = append(records, id)
		if !indexed[f.key] {
			entries = append(entries, f.entry)
		}
	}
	ids, err := e.deps.Cache.AddMessages(ctx, entries)
	if err != nil {
		return nil, err
	}
	e.hook("after-index")
	now := time.Now()
	if err := e.deps.Cache.SaveUIDLs(ctx, e.acc.Name, records, now); err != nil {
		return nil, err
	}
	e.hook("after-uidl")
	for _, id := range records {
		known[id] = localcache.UIDLRecord{UIDL: id, DownloadedAt: now}
	}
	for _, f := range items {
		if f.msg.byContent {
			e.handled[f.msg.num] = true
		}
	}
	for i := range entries {
		entries[i].ID = ids[i]
		entries[i].BodyText = ""
	}
	return entries, nil
}

// indexedBodies returns which of the batch's bodies are in the account's index already: a crash
// after indexing and before the UIDL record was saved makes the next poll fetch them again, and
// a message whose UIDL stopped being unique is fetched again by content.
func (e *Engine) indexedBodies(ctx context.Context, items []fetched) (map[string]bool, error) {
	var ids []string
	for _, f := range items {
		if f.entry.MessageID != "" {
			ids = append(ids, f.entry.MessageID)
		}
	}
	return e.deps.Cache.IndexedBodyKeys(ctx, e.acc.Name, ids)
}

// entry builds the index entry of a downloaded message. The envelope comes from the full
// parse when that succeeds (it reads the same header), else from the header alone.
func (e *Engine) entry(msg serverMsg, raw []byte, now time.Time) localcache.Message {
	m := localcache.Message{
		Account: e.acc.Name, FolderID: e.inbox.ID, UIDL: msg.uidl, Size: int64(len(raw)),
	}
	// A message whose body cannot be parsed is indexed from its header, or without an envelope.
	sum, _ := mailfmt.Summarize(raw)
	m.SetSummary(sum)
	if m.Date.IsZero() {
		m.Date = now
	}
	return m
}

// deleteAndQuit sends DELE for what the policy and the queued local deletions allow, then QUIT,
// and records the deletions only when QUIT succeeded. Only messages with a unique UIDL whose
// record is durable are ever deleted. quiet reports that it had nothing to delete and no record
// to forget.
func (e *Engine) deleteAndQuit(ctx context.Context, s *session, msgs []serverMsg, known map[string]localcache.UIDLRecord, uidlOK bool) (quiet bool, err error) {
	now := time.Now()
	durable := func(uidl string) bool {
		rec, ok := known[uidl]
		return ok && rec.DeletedAt.IsZero()
	}
	marked := map[int]string{}
	pol := e.acc.POP3
	for _, m := range msgs {
		if m.byContent || !durable(m.uidl) {
			continue
		}
		switch pol.Leave {
		case types.LeaveDelete:
			marked[m.num] = m.uidl
		case types.LeaveDays:
			if now.Sub(known[m.uidl].DownloadedAt) >= time.Duration(max(pol.Days, 1))*24*time.Hour {
				marked[m.num] = m.uidl
			}
		}
	}
	// Messages deleted here: queued only under the delete-locally policy, but honoured whatever
	// the policy is now, since the user asked for them when they were queued.
	var ops []localcache.PendingOp
	if uidlOK {
		pending, err := e.deps.Cache.PendingOps(ctx, e.acc.Name)
		if err != nil {
			return false, err
		}
		var numOf map[string]int // message numbers by UIDL, built for the first queued deletion
		for _, op := range pending {
			if op.Kind() != localcache.OpExpunge {
				continue
			}
			if numOf == nil {
				numOf = make(map[string]int, len(msgs))
				for _, m := range msgs {
					if !m.byContent {
						numOf[m.uidl] = m.num
					}
				}
			}
			for _, it := range op.Items() {
				if num, ok := numOf[it.UIDL]; ok && durable(it.UIDL) {
					marked[num] = it.UIDL
				}
			}
			ops = append(ops, op)
		}
	}

	nums := make([]int, 0, len(marked))
	for n := range marked {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var (
		deleted    []string
		deletedNum []int
	)
	for _, n := range nums {
		err := s.c.Dele(ctx, n)
		var se *pop3.ServerError
		if errors.As(err, &se) {
			continue // e.g. already deleted by another session; not recorded
		}
		if err != nil {
			return false, err
		}
		deleted, deletedNum = append(deleted, marked[n]), append(deletedNum, n)
	}
	if len(nums) > 0 {
		e.hook("after-dele")
	}
	if err := s.c.Quit(ctx); err != nil {
		return false, fmt.Errorf("deletions not confirmed: %w", err)
	}
	if len(deleted) > 0 {
		e.renumber(deletedNum)
		if err := e.deps.Cache.MarkUIDLsDeleted(ctx, e.acc.Name, deleted, now); err != nil {
			return false, err
		}
	}
	for _, op := range ops {
		if err := e.deps.Cache.CompletePending(ctx, op); err != nil {
			return false, err
		}
	}
	quiet = len(nums) == 0 && len(ops) == 0
	if uidlOK {
		forgot, err := e.forget(ctx, msgs, known)
		return quiet && !forgot, err
	}
	return quiet, nil
}

// renumber carries the session memory of messages handled by content over the deletions the
// server just committed: later messages move down by the number of deleted ones before them.
func (e *Engine) renumber(deleted []int) {
	gone := map[int]bool{}
	for _, n := range deleted {
		gone[n] = true
	}
	handled := map[int]bool{}
	var sizes []int64
	for i, size := range e.handledSizes {
		num := i + 1
		if gone[num] {
			continue
		}
		sizes = append(sizes, size)
		if e.handled[num] {
			handled[len(sizes)] = true
		}
	}
	e.handled, e.handledSizes = handled, sizes
}

// forget drops UIDL records of messages that are no longer on the server, so the table does
// not grow forever and a UIDL the server hands out again counts as new. Under the keep policy
// only records of messages we deleted ourselves go: some servers list a moving window of the
// mailbox, and forgetting a message that comes back would download it twice. An empty listing
// forgets nothing else either, in case the server showed an empty mailbox by mistake.
// It reports whether it forgot any.
func (e *Engine) forget(ctx context.Context, msgs []serverMsg, known map[string]localcache.UIDLRecord) (bool, error) {
	// Usually every record is listed still: count before building a set of 10,000 names.
	stillListed := 0
	for _, m := range msgs {
		if _, ok := known[m.uidl]; ok && !m.byContent {
			stillListed++
		}
	}
	if stillListed == len(known) {
		return false, nil
	}
	listed := map[string]bool{}
	for _, m := range msgs {
		listed[m.uidl] = true
	}
	all := e.acc.POP3.Leave != types.LeaveKeep && len(msgs) > 0
	var gone []string
	for u, rec := range known {
		if listed[u] || strings.HasPrefix(u, contentPrefix) {
			continue
		}
		if !rec.DeletedAt.IsZero() || all {
			gone = append(gone, u)
		}
	}
	if len(gone) == 0 {
		return false, nil
	}
	return true, e.deps.Cache.ForgetUIDLs(ctx, e.acc.Name, gone)
}
