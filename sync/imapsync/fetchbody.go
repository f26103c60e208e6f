package imapsync

import (
	"context"
	"fmt"
	"sync"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// FetchBody downloads the body of one message now, on a connection of its own so that opening a
// message never waits for a long sync. It returns when the body is stored.
func (e *Engine) FetchBody(ctx context.Context, messageID int64) error {
	m, err := e.cache.Message(ctx, messageID)
	if err != nil {
		return err
	}
	if m.BodyKey != "" {
		return nil
	}
	if m.UID == 0 {
		return fmt.Errorf("message %d is not on the server yet", messageID)
	}
	if m.Size > e.opt.maxBody {
		return fmt.Errorf("%w (%d bytes)", errBodyTooLarge, m.Size)
	}
	f, err := e.cache.Folder(ctx, m.FolderID)
	if err != nil {
		return err
	}
	cn, release, err := e.fetcher.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	// The connection outlives this call; this call's context bounds only this work.
	stop := context.AfterFunc(ctx, func() { cn.kill(ctx.Err()) })
	defer stop()
	if cn.selected != f.Name {
		if _, err := cn.selectFolder(f.Name); err != nil {
			e.fetcher.drop(err)
			return err
		}
	}
	if cn.sel.UIDValidity != m.UIDValidity {
		return fmt.Errorf("message %d: folder %q changed on the server; it will be refetched", messageID, f.Name)
	}
	f.UIDValidity = m.UIDValidity
	e.unmarkSkip(messageID) // asked for explicitly: try again whatever an earlier sync gave up on
	if err := e.fetchBodies(ctx, cn, f, []localcache.Message{m}); err != nil {
		e.fetcher.drop(err)
		return err
	}
	m, err = e.cache.Message(ctx, messageID)
	if err != nil {
		return err
	}
	if m.BodyKey == "" {
		if e.skipBody(messageID) {
			return fmt.Errorf("message %d: %w", messageID, errBodyTooLarge)
		}
		return fmt.Errorf("message %d is no longer on the server", messageID)
	}
	return nil
}

// bodyFetcher owns the on-demand connection FetchBody uses: dialed when a body is wanted, used by
// one fetch at a time (between acquire and release), closed once unused for opt.fetchIdleClose.
type bodyFetcher struct {
	acc      types.Account
	opt      *options
	password func() (string, error)

	mu         sync.Mutex // held from acquire to release
	cn         *conn
	closeTimer *time.Timer
}

func newBodyFetcher(acc types.Account, opt *options, password func() (string, error)) *bodyFetcher {
	return &bodyFetcher{acc: acc, opt: opt, password: password}
}

// acquire hands the caller the connection, dialing it when needed, for one fetch; release hands
// it back and arms the close timer. Until release, the caller is its only user.
func (b *bodyFetcher) acquire(ctx context.Context) (cn *conn, release func(), err error) {
	b.mu.Lock()
	cn, err = b.connLocked(ctx)
	if err != nil {
		b.mu.Unlock()
		return nil, nil, err
	}
	return cn, func() {
		b.armCloseLocked()
		b.mu.Unlock()
	}, nil
}

// connLocked returns the connection, dialing it when needed. Caller holds mu.
func (b *bodyFetcher) connLocked(ctx context.Context) (*conn, error) {
	if b.closeTimer != nil {
		b.closeTimer.Stop()
		b.closeTimer = nil
	}
	if b.cn != nil {
		select {
		case <-b.cn.cl.Closed():
			b.cn.abandon()
			b.cn = nil
		default:
			return b.cn, nil
		}
	}
	pw, err := b.password()
	if err != nil {
		return nil, fmt.Errorf("imap password for %s: %w", b.acc.Name, err)
	}
	// Dial under the caller's context, but do not tie the connection's life to it.
	life := context.WithoutCancel(ctx)
	dialCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		cn  *conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		cn, err := connect(life, b.acc, pw, b.opt)
		ch <- result{cn, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		b.cn = r.cn
		return r.cn, nil
	case <-dialCtx.Done():
		go func() { // the dial ends within its own timeouts; do not leak what it returns
			if r := <-ch; r.cn != nil {
				r.cn.abandon()
			}
		}()
		return nil, ctx.Err()
	}
}

// drop abandons the connection after err, unless the server only refused one command. Only
// between acquire and release.
func (b *bodyFetcher) drop(err error) {
	if b.cn != nil && !isRefusal(err) {
		b.cn.abandon()
		b.cn = nil
	}
}

// armCloseLocked closes the connection once it has been unused for a while. Caller holds mu.
func (b *bodyFetcher) armCloseLocked() {
	if b.cn == nil {
		return
	}
	b.closeTimer = time.AfterFunc(b.opt.fetchIdleClose, b.close)
}

// close closes the connection now (when Run ends, or its timer fires).
func (b *bodyFetcher) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closeTimer != nil {
		b.closeTimer.Stop()
		b.closeTimer = nil
	}
	if b.cn != nil {
		b.cn.close()
		b.cn = nil
	}
}
