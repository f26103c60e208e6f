package imapsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"postbode/localcache"
)

// idler is the IDLE side of Run: a connection of its own IDLEing on one folder, INBOX or one of
// the few others where new mail lands (filters on the server put it there). When the server
// reports a change it stops IDLE, syncs the folder on this same connection (under the folder
// lock) and IDLEs again. IDLE is re-issued every idleRestart, well before the 30-minute limit
// servers enforce. When messages leave the folder (moved by another client, most likely) it
// nudges the main loop to poll the other folders at once. Its hand-off points with Run are nudge
// and the error run returns.
type idler struct {
	e      *Engine
	nudge  chan<- struct{}
	folder int64 // the folder watched; 0 for INBOX, found by run
	cn     *conn // set by run
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
	if d.folder == 0 {
		inbox, err := e.cache.FolderByRole(ctx, e.acc.Name, localcache.RoleInbox)
		if err != nil {
			return &idleSetupError{fmt.Errorf("imap idle: %w", err)}
		}
		d.folder = inbox.ID
	}
	d.cn = cn
	for {
		if err := e.syncFolder(ctx, cn, d.folder); err != nil {
			return fmt.Errorf("imap idle: sync folder %d: %w", d.folder, err)
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

// fetchArrivals adds what arrived in the folder since its last complete sync (UID uidnext:*) with
// bodies, before the loop reconciles the whole folder: new mail is in the cache after one FETCH
// instead of after reading every cached UID and searching the server's. The reconcile then finds
// these messages cached and only checks flags and expunges.
func (d *idler) fetchArrivals(ctx context.Context) error {
	e, cn := d.e, d.cn
	f, unlock, err := e.lockFolder(ctx, d.folder)
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

// nudgeIf nudges the main loop when messages left the folder.
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

// otherIdleRetry is how long a watcher of another folder waits before it connects again after
// its connection failed.
const otherIdleRetry = 30 * time.Second

// watchOtherFolders starts IDLE on the folders besides INBOX where new mail lands most
// (idleFolders of them), so that mail a filter on the server puts there shows at once rather
// than at the next poll. A watcher that fails retries after a while; one that cannot connect at
// all (the server's connection limit) stops, and the poll covers its folder. They end with ctx.
func (e *Engine) watchOtherFolders(ctx context.Context, wg *sync.WaitGroup, nudge chan<- struct{}) {
	folders, err := e.cache.Folders(ctx, e.acc.Name)
	if err != nil {
		return
	}
	for _, f := range busiestFolders(folders, e.opt.idleFolders) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := (&idler{e: e, nudge: nudge, folder: f.ID}).run(ctx)
				var setup *idleSetupError
				if ctx.Err() != nil || errors.As(err, &setup) {
					return
				}
				t := time.NewTimer(otherIdleRetry)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}()
	}
}

// busiestFolders picks up to n folders besides INBOX that receive mail, those with the most
// arrivals over their life (the highest UIDNEXT) first. Sent, Drafts, Trash and Archive only get
// what this account puts there, and a folder that cannot be selected holds no mail.
func busiestFolders(folders []localcache.Folder, n int) []localcache.Folder {
	var out []localcache.Folder
	for _, f := range folders {
		switch f.Role {
		case localcache.RoleInbox, localcache.RoleSent, localcache.RoleDrafts, localcache.RoleTrash, localcache.RoleArchive:
			continue
		}
		if strings.Contains(strings.ToLower(f.Attrs), `\noselect`) || f.UIDNext == 0 {
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b localcache.Folder) int { return cmp.Compare(b.UIDNext, a.UIDNext) })
	return out[:min(len(out), n)]
}
