package imapsync

import (
	"context"
	"fmt"
	"time"

	"postbode/localcache"
)

// idleLoop keeps a connection of its own IDLEing on INBOX. When the server reports a change it
// stops IDLE, syncs INBOX on this same connection (under the folder lock) and IDLEs again. IDLE is
// re-issued every idleRestart, well before the 30-minute limit servers enforce. When messages
// leave INBOX (moved by another client, most likely) it nudges the main loop to poll the other
// folders at once. It returns the connection's error; the caller restarts the engine.
func (e *Engine) idleLoop(ctx context.Context, nudge chan<- struct{}) error {
	cn, err := e.connect(ctx)
	if err != nil {
		return &idleSetupError{fmt.Errorf("imap idle connection: %w", err)}
	}
	defer cn.close()
	inbox, err := e.cache.FolderByRole(ctx, e.acc.Name, localcache.RoleInbox)
	if err != nil {
		return &idleSetupError{fmt.Errorf("imap idle: %w", err)}
	}
	for {
		if err := e.syncFolder(ctx, cn, inbox.ID); err != nil {
			return fmt.Errorf("imap idle: sync INBOX: %w", err)
		}
		if ev := cn.takeEvents(); ev != 0 {
			// Changes arrived while syncing; look again before idling.
			e.nudgeIf(ev, nudge)
			continue
		}
		select {
		case <-cn.notify: // stale token: its events were taken above
		default:
		}
		ev, err := e.idleOnce(ctx, cn)
		if err != nil {
			return err
		}
		e.nudgeIf(ev, nudge)
	}
}

func (e *Engine) nudgeIf(ev uint32, nudge chan<- struct{}) {
	if ev&evExpunge == 0 {
		return
	}
	select {
	case nudge <- struct{}{}:
	default:
	}
}

// idleOnce runs one IDLE command until the server reports something, the restart interval
// passes or ctx ends, and returns the events seen.
func (e *Engine) idleOnce(ctx context.Context, cn *conn) (uint32, error) {
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
