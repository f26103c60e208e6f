package imapsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/sync/internal/pipeline"
)

var (
	// errShortLiteral: the connection ended inside a literal; what was read is not the message.
	errShortLiteral = errors.New("imap: message data cut short")
	// errBodyTooLarge: a body beyond the configured limits is not downloaded.
	errBodyTooLarge = errors.New("imap: message too large to download")
)

// readCapped reads a literal, keeping at most max bytes (the rest is skipped by the client).
func readCapped(lit imap.LiteralReader, max int64) ([]byte, error) {
	// One allocation of the announced size (callers bound it): growing a buffer doubles and
	// clears it again and again for every large body.
	buf := make([]byte, min(lit.Size(), max))
	n, err := io.ReadFull(lit, buf)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w after %d of %d bytes: %v", errShortLiteral, n, lit.Size(), err)
	}
	return buf, nil
}

// bulkIndexMin is how many bodies make a download bulk work for the full-text index.
const bulkIndexMin = 1000

// fetchBodies downloads and stores the bodies of messages of folder f, which must belong to the
// folder's current UIDVALIDITY. Small bodies travel in batches bounded in count and bytes (one
// group commit each); large ones in partial chunks; those over the limit are skipped for good.
func (e *Engine) fetchBodies(ctx context.Context, cn *conn, f localcache.Folder, msgs []localcache.Message) (err error) {
	if len(msgs) == 0 {
		return nil
	}
	if err := cn.ensureSelected(f.Name); err != nil {
		return err
	}
	if cn.sel == nil || cn.sel.UIDValidity != f.UIDValidity {
		return nil // the folder was reset meanwhile; the next sync starts over
	}
	var batches [][]localcache.Message
	var large []localcache.Message
	var batch []localcache.Message
	var batchBytes int64
	for _, m := range msgs {
		if m.UID == 0 || m.UIDValidity != f.UIDValidity || e.skipBody(m.ID) {
			continue
		}
		switch {
		case m.Size > e.opt.maxBody:
			e.markSkip(m.ID)
		case m.Size > e.opt.wholeBodyMax:
			large = append(large, m)
		default:
			if len(batch) > 0 && (len(batch) >= e.opt.batchMessages || batchBytes+m.Size > e.opt.batchBytes) {
				batches = append(batches, batch)
				batch, batchBytes = nil, 0
			}
			batch = append(batch, m)
			batchBytes += m.Size
		}
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	if len(msgs) >= bulkIndexMin {
		end, berr := e.cache.BeginBulkIndex(ctx)
		if berr != nil {
			return berr
		}
		defer func() {
			if eerr := end(context.WithoutCancel(ctx)); err == nil {
				err = eerr
			}
		}()
	}
	type fetched struct {
		batch []localcache.Message
		raws  map[uint32][]byte
	}
	// While a batch travels, the one before is parsed, the one before that written to the store
	// and the one before that linked in the index (two databases, two writers).
	stop := make(chan struct{})
	got := pipeline.Stage(stop, batches, func(b []localcache.Message) (fetched, error) {
		raws, err := e.fetchWhole(cn, b)
		return fetched{b, raws}, err
	})
	prepared := pipeline.Then(stop, got, func(r fetched) (preparedBodies, error) { return e.prepareBodies(f, r.batch, r.raws), nil })
	stored := pipeline.Then(stop, prepared, func(p preparedBodies) (preparedBodies, error) {
		err := e.putBodies(ctx, p)
		p.bodies = nil // durable now; linking needs only the links (less memory in flight)
		return p, err
	})
	err = pipeline.Finish(stop, stored, func(p preparedBodies) error { return e.linkBodies(ctx, p) })
	if err != nil {
		return err
	}
	// Large bodies one at a time, so that only one is ever held in memory.
	for _, m := range large {
		raw, err := e.fetchChunked(cn, m)
		if errors.Is(err, errBodyTooLarge) {
			e.markSkip(m.ID)
			continue
		}
		if err != nil {
			return err
		}
		if raw != nil {
			p := e.prepareBodies(f, []localcache.Message{m}, map[uint32][]byte{m.UID: raw})
			if err := e.putBodies(ctx, p); err != nil {
				return err
			}
			if err := e.linkBodies(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// fetchWhole fetches BODY.PEEK[] of a batch. A literal larger than announced sizes allow ends the
// connection (after marking the message so it is not asked for again); a literal cut short is an
// error and nothing of the batch is returned.
func (e *Engine) fetchWhole(cn *conn, batch []localcache.Message) (map[uint32][]byte, error) {
	uids := make([]uint32, len(batch))
	idOf := map[uint32]int64{}
	var expected int64
	for i, m := range batch {
		uids[i] = m.UID
		idOf[m.UID] = m.ID
		expected += m.Size
	}
	// Sizes are only hints (some servers estimate RFC822.SIZE); what a batch may hold in memory is
	// bounded regardless.
	batchCap := 2*expected + e.opt.wholeLiteral
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}
	stop := cn.watch(cn.budget(expected))
	defer stop()
	cmd := cn.cl.Fetch(uidSet(uids), opts)
	defer cmd.Close()
	out := map[uint32][]byte{}
	var used int64
	for {
		m := cmd.Next()
		if m == nil {
			break
		}
		var uid uint32
		var raw []byte
		for item := m.Next(); item != nil; item = m.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = uint32(it.UID)
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				size := it.Literal.Size()
				if size > e.opt.wholeLiteral || used+size > batchCap {
					if id, ok := idOf[uid]; ok {
						e.markSkip(id)
					}
					err := fmt.Errorf("%w: server sent %d bytes for UID %d", errBodyTooLarge, size, uid)
					cn.kill(err) // draining it would mean reading it all
					return nil, err
				}
				b, err := readCapped(it.Literal, size)
				if err != nil {
					cn.killAfterShortRead(err)
					return nil, cn.wrap(err)
				}
				used += size
				raw = b
			}
		}
		if _, ok := idOf[uid]; ok && raw != nil {
			out[uid] = raw
		}
	}
	if err := cmd.Close(); err != nil {
		// A literal too large for the connection guard: do not ask for that message again (a
		// reconnect would only meet the same literal).
		if uid := cn.guard.RefusedUID(); uid != 0 {
			if id, ok := idOf[uid]; ok {
				e.markSkip(id)
			}
		} else if len(batch) == 1 && errors.Is(cn.guard.Failure(), errLiteralTooLong) {
			e.markSkip(batch[0].ID)
		}
		return nil, fmt.Errorf("fetch bodies: %w", cn.wrap(err))
	}
	return out, nil
}

// fetchChunked fetches a large body in partial pieces until the server returns a short piece,
// without trusting RFC822.SIZE for where it ends. It returns nil, nil when the message is gone.
func (e *Engine) fetchChunked(cn *conn, m localcache.Message) ([]byte, error) {
	var buf bytes.Buffer
	for offset := int64(0); ; {
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true,
			Partial: &imap.SectionPartial{Offset: offset, Size: e.opt.chunkSize}}}}
		stop := cn.watch(cn.budget(e.opt.chunkSize))
		cmd := cn.cl.Fetch(uidSet([]uint32{m.UID}), opts)
		var chunk []byte
		found := false
		var rerr error
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for item := msg.Next(); item != nil; item = msg.Next() {
				it, ok := item.(imapclient.FetchItemDataBodySection)
				if !ok {
					continue
				}
				found = true
				if it.Literal == nil {
					continue
				}
				if it.Literal.Size() > e.opt.chunkSize {
					rerr = fmt.Errorf("%w: server sent %d bytes for a %d-byte piece", errServerData, it.Literal.Size(), e.opt.chunkSize)
					cn.kill(rerr)
					break
				}
				chunk, rerr = readCapped(it.Literal, e.opt.chunkSize)
				if rerr != nil {
					cn.killAfterShortRead(rerr)
					break
				}
			}
			if rerr != nil {
				break
			}
		}
		err := cmd.Close()
		stop()
		if rerr != nil {
			return nil, cn.wrap(rerr)
		}
		if err != nil {
			return nil, fmt.Errorf("fetch body piece: %w", cn.wrap(err))
		}
		if !found {
			return nil, nil
		}
		if int64(buf.Len()+len(chunk)) > e.opt.maxBody {
			return nil, errBodyTooLarge
		}
		buf.Write(chunk)
		offset += int64(len(chunk))
		if int64(len(chunk)) < e.opt.chunkSize {
			return buf.Bytes(), nil
		}
	}
}

// preparedBodies are fetched bodies with their content keys and index text, ready to store.
type preparedBodies struct {
	bodies []localcache.Body
	links  []localcache.BodyLink
}

// prepareBodies does the CPU work of storing bodies (hashing, parsing for the index) outside the
// store stage, so it runs on another core than the disk writes.
func (e *Engine) prepareBodies(f localcache.Folder, msgs []localcache.Message, raws map[uint32][]byte) preparedBodies {
	var p preparedBodies
	for _, m := range msgs {
		raw, ok := raws[m.UID]
		if !ok {
			continue
		}
		b := localcache.Body{Account: e.acc.Name, Origin: "imap:" + f.Name, Folder: f.Name, Raw: raw}
		b.Key = localcache.BodyKey(b.Account, raw)
		link := localcache.BodyLink{MessageID: m.ID, Key: b.Key}
		// A body that cannot be parsed is stored as is; the reader shows it raw.
		if sum, err := mailfmt.Summarize(raw); err == nil {
			link.Text, link.Snippet, link.HasAttachment = sum.Text, sum.Snippet, sum.HasAttachment
		}
		p.bodies = append(p.bodies, b)
		p.links = append(p.links, link)
	}
	return p
}

// putBodies writes complete bodies durably (one group commit).
func (e *Engine) putBodies(ctx context.Context, p preparedBodies) error {
	if len(p.bodies) == 0 {
		return nil
	}
	_, err := e.cache.PutBodies(ctx, p.bodies)
	return err
}

// linkBodies records durable bodies in the index with the text for search, the list snippet and
// whether they carry attachments.
func (e *Engine) linkBodies(ctx context.Context, p preparedBodies) error {
	return e.cache.LinkBodies(ctx, p.links)
}

// fetchWindowBodies downloads the bodies still missing in the window (interrupted earlier runs,
// a window made larger).
func (e *Engine) fetchWindowBodies(ctx context.Context, cn *conn, folderID int64) error {
	f, err := e.cache.Folder(ctx, folderID)
	if err != nil || f.UIDValidity == 0 {
		return nil //nolint:nilerr // a folder deleted meanwhile has nothing to fetch
	}
	if f.WithBody >= f.Total {
		return e.cache.IndexPending(ctx, f.ID) // every body is here: nothing to look for
	}
	since := e.windowStart()
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	for {
		msgs, err := e.cache.MessagesWithoutBody(ctx, f.ID, since, 500)
		if err != nil {
			return err
		}
		var todo []localcache.Message
		for _, m := range msgs {
			if !e.skipBody(m.ID) && m.UIDValidity == f.UIDValidity {
				todo = append(todo, m)
			}
		}
		if len(todo) == 0 {
			return e.cache.IndexPending(ctx, f.ID)
		}
		before := len(todo)
		if err := e.fetchBodies(ctx, cn, f, todo); err != nil {
			return err
		}
		// Messages the server no longer has stay without a body until the next sync drops them;
		// do not loop on them.
		after, err := e.cache.MessagesWithoutBody(ctx, f.ID, since, 500)
		if err != nil {
			return err
		}
		stuck := 0
		for _, m := range after {
			if !e.skipBody(m.ID) && m.UIDValidity == f.UIDValidity {
				stuck++
			}
		}
		if stuck >= before {
			for _, m := range after {
				e.markSkip(m.ID)
			}
			return nil
		}
	}
}
