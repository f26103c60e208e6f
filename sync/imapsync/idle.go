package imapsync

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"postbode/localcache"
)

// idler is the IDLE side of Run: a connection of its own IDLEing on INBOX. When the server reports
// a change it stops IDLE, syncs INBOX on this same connection (under the folder lock) and IDLEs
// again. IDLE is re-issued every idleRestart, well before the 30-minute limit servers enforce.
// When messages leave INBOX (moved by another client, most likely) it nudges the main loop to poll
// the other folders at once. Its hand-off points with Run are nudge and the error run returns.
type idler struct {
	e     *Engine
	nudge chan<- struct{}
	cn    *conn // set by run
	inbox int64 // INBOX's folder id, set by run
}

// run dials and keeps IDLEing until ctx ends or the connection fails. It returns the connection's
// error (an *idleSetupError when it could not start at all); the caller restarts the engine.
func (d *idler) run(ctx context.Context) error {
	e := d.e
	cn, err := e.connect(ctx)
	if err != nil {
		return &idleSetupError{fmt.Errorf("imap idle connection: %w", err)}
	}
	defer cn.close()
	inbox, err := e.cache.FolderByRole(ctx, e.acc.Name, localcache.RoleInbox)
	if err != nil {
		return &idleSetupError{fmt.Errorf("imap idle: %w", err)}
	}
	d.cn, d.inbox = cn, inbox.ID
	for {
		if err := e.syncFolder(ctx, cn, inbox.ID); err != nil {
			return fmt.Errorf("imap idle: sync INBOX: %w", err)
		}
		if ev := cn.takeEvents(); ev != 0 {
			// Changes arrived while syncing; look again before idling.
			d.nudgeIf(ev)
			continue
		}
		select {
		case <-cn.notify: // stale token: its events were taken above
		default:
		}
		ev, err := d.idleOnce(ctx)
		if err != nil {
			return err
		}
		if ev&evExists != 0 {
			if err := d.fetchArrivals(ctx); err != nil {
				return fmt.Errorf("imap idle: new mail: %w", err)
			}
		}
		d.nudgeIf(ev)
	}
}

// arrivalsBudget is how many messages the fast path's command timeout allows for.
const arrivalsBudget = 200

// fetchArrivals adds what arrived in INBOX since its last complete sync (UID uidnext:*) with
// bodies, before the loop reconciles the whole folder: new mail is in the cache after one FETCH
// instead of after reading every cached UID and searching the server's. The reconcile then finds
// these messages cached and only checks flags and expunges.
func (d *idler) fetchArrivals(ctx context.Context) error {
	e, cn := d.e, d.cn
	f, unlock, err := e.lockFolder(ctx, d.inbox)
	if err != nil {
		return err
	}
	defer unlock()
	sel := cn.sel
	if f.UIDNext == 0 || sel == nil || cn.selected != f.Name || sel.UIDValidity != f.UIDValidity {
		return nil // not synced yet, or the folder changed identity: the reconcile handles it
	}
	set := imap.UIDSet{imap.UIDRange{Start: imap.UID(f.UIDNext), Stop: 0}} // UIDNEXT:*
	msgs, err := e.fetchHeaderSet(cn, f, set, arrivalsBudget)
	if err != nil {
		return err
	}
	uids := make([]uint32, len(msgs))
	for i, m := range msgs {
		uids[i] = m.UID
	}
	cached, err := e.cache.UIDStates(ctx, f.ID, uids)
	if err != nil {
		return err
	}
	var fresh []localcache.Message
	for _, m := range msgs {
		// "n:*" always names the last message, even below n; one cached by an earlier fast path
		// waits for the reconcile.
		if _, ok := cached[m.UID]; !ok && m.UID >= f.UIDNext {
			fresh = append(fresh, m)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	ids, err := e.cache.AddMessages(ctx, fresh)
	if err != nil {
		return err
	}
	var want []localcache.Message
	since := e.windowStart()
	for i := range fresh {
		fresh[i].ID = ids[i]
		if inWindow(fresh[i], since) {
			want = append(want, fresh[i])
		}
	}
	e.announceNewMail(f, fresh)
	if err := e.fetchBodies(ctx, cn, f, want); err != nil {
		return err
	}
	return e.cache.IndexPending(ctx, f.ID)
}

// nudgeIf nudges the main loop when messages left INBOX.
func (d *idler) nudgeIf(ev uint32) {
	if ev&evExpunge == 0 {
		return
	}
	select {
	case d.nudge <- struct{}{}:
	default:
	}
}

// idleOnce runs one IDLE command until the server reports something, the restart interval
// passes or ctx ends, and returns the events seen.
func (d *idler) idleOnce(ctx context.Context) (uint32, error) {
	e, cn := d.e, d.cn
	// Only unilateral data (and Dovecot's keepalives) arrive while idling: allow long silences.
	cn.tc.SetIOTimeout(e.opt.idleIOTimeout)
	defer cn.tc.SetIOTimeout(e.opt.ioTimeout)
	stop := cn.watch(e.opt.cmdTimeout)
	idle, err := cn.cl.Idle()
	stop()
	if err != nil {
		return 0, fmt.Errorf("imap idle: %w", cn.wrap(err))
	}
	restart := time.NewTimer(e.opt.idleRestart)
	defer restart.Stop()
	select {
	case <-cn.notify:
	case <-restart.C:
	case <-ctx.Done():
	case <-cn.cl.Closed():
	}
	stop = cn.watch(e.opt.cmdTimeout)
	cerr := idle.Close()
	werr := idle.Wait()
	stop()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if cerr != nil {
		return 0, fmt.Errorf("imap idle done: %w", cn.wrap(cerr))
	}
	if werr != nil {
		return 0, fmt.Errorf("imap idle: %w", cn.wrap(werr))
	}
	return cn.takeEvents(), nil
}
