package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/sync/imapsync"
	"postbode/types"
)

// imapSession is a plain go-imap client for the floors and for acting as "another client".
type imapSession struct {
	c    *imapclient.Client
	conn net.Conn
}

// dialIMAP logs in over IMAPS (or plain IMAP on loopback). Every read and write of the session must
// finish before deadline.
func dialIMAP(ctx context.Context, d *testbed.Dovecot, user string, plain bool, deadline time.Duration) (*imapSession, error) {
	return dialIMAPWith(ctx, d, user, plain, deadline, nil)
}

func dialIMAPWith(ctx context.Context, d *testbed.Dovecot, user string, plain bool, deadline time.Duration, opts *imapclient.Options) (*imapSession, error) {
	var dialer net.Dialer
	addr := d.IMAPSAddr()
	if plain {
		addr = d.IMAPAddr()
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if !plain {
		tc := tls.Client(conn, d.TLSConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("tls %s: %w", addr, err)
		}
		conn = tc
	}
	_ = conn.SetDeadline(time.Now().Add(deadline))
	s := &imapSession{c: imapclient.New(conn, opts), conn: conn}
	if err := s.c.Login(user, d.Password(user)).Wait(); err != nil {
		s.close()
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	return s, nil
}

func (s *imapSession) close() {
	_ = s.c.Logout().Wait()
	_ = s.c.Close()
}

// fetchBodies streams BODY.PEEK[] of the set and discards it; it returns messages and bytes.
func (s *imapSession) fetchBodies(set imap.NumSet) (int, int64, error) {
	cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	n, total := 0, int64(0)
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		for it := m.Next(); it != nil; it = m.Next() {
			if b, ok := it.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
				k, err := io.Copy(io.Discard, b.Literal)
				total += k
				if err != nil {
					cmd.Close()
					return n, total, fmt.Errorf("read body: %w", err)
				}
			}
		}
		n++
	}
	if err := cmd.Close(); err != nil {
		return n, total, fmt.Errorf("fetch: %w", err)
	}
	return n, total, nil
}

// rawFetchAll is the floor: log in, EXAMINE INBOX, UID FETCH 1:* BODY.PEEK[] streamed and discarded.
func rawFetchAll(ctx context.Context, d *testbed.Dovecot, user string, plain bool, want int) (time.Duration, error) {
	start := time.Now()
	s, err := dialIMAP(ctx, d, user, plain, 10*time.Minute)
	if err != nil {
		return 0, err
	}
	defer s.close()
	if _, err := s.c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, fmt.Errorf("examine: %w", err)
	}
	n, _, err := s.fetchBodies(imap.UIDSet{{Start: 1, Stop: 0}})
	if err != nil {
		return 0, err
	}
	if err := s.c.Logout().Wait(); err != nil {
		return 0, fmt.Errorf("logout: %w", err)
	}
	el := time.Since(start)
	if n != want {
		return 0, fmt.Errorf("raw fetch got %d messages, want %d", n, want)
	}
	return el, nil
}

// rawNewest is the floor of "newest 50 readable": log in, EXAMINE, fetch the last n bodies.
func rawNewest(ctx context.Context, d *testbed.Dovecot, user string, n uint32) (time.Duration, error) {
	start := time.Now()
	s, err := dialIMAP(ctx, d, user, false, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	defer s.close()
	sel, err := s.c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return 0, fmt.Errorf("examine: %w", err)
	}
	if sel.NumMessages < n {
		return 0, fmt.Errorf("INBOX has %d messages, want at least %d", sel.NumMessages, n)
	}
	got, _, err := s.fetchBodies(imap.SeqSet{{Start: sel.NumMessages - n + 1, Stop: sel.NumMessages}})
	if err != nil {
		return 0, err
	}
	el := time.Since(start)
	if got != int(n) {
		return 0, fmt.Errorf("fetched %d of the newest %d", got, n)
	}
	return el, nil
}

// noopRTT is the median round trip of a NOOP on an open IMAPS session.
func noopRTT(ctx context.Context, d *testbed.Dovecot, user string, n int) (float64, error) {
	s, err := dialIMAP(ctx, d, user, false, time.Minute)
	if err != nil {
		return 0, err
	}
	defer s.close()
	var rtt series
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := s.c.Noop().Wait(); err != nil {
			return 0, fmt.Errorf("noop: %w", err)
		}
		rtt = append(rtt, secs(time.Since(start)))
	}
	return rtt.median(), nil
}

// newestUIDs returns the highest n UIDs of user's INBOX.
func newestUIDs(ctx context.Context, d *testbed.Dovecot, user string, n int) ([]uint32, error) {
	s, err := dialIMAP(ctx, d, user, false, time.Minute)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if _, err := s.c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("examine: %w", err)
	}
	data, err := s.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("uid search: %w", err)
	}
	uids := data.AllUIDs()
	if len(uids) < n {
		return nil, fmt.Errorf("INBOX has %d messages, want at least %d", len(uids), n)
	}
	out := make([]uint32, 0, n)
	for _, u := range uids[len(uids)-n:] {
		out = append(out, uint32(u))
	}
	return out, nil
}

// toggleSeen flips \Seen on the given UIDs of user's INBOX, as another client would; it returns the
// state each message has afterwards.
func toggleSeen(ctx context.Context, d *testbed.Dovecot, user string, uids []uint32) (map[uint32]bool, error) {
	s, err := dialIMAP(ctx, d, user, false, time.Minute)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if _, err := s.c.Select("INBOX", nil).Wait(); err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	set := imap.UIDSetNum()
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	msgs, err := s.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch flags: %w", err)
	}
	after := map[uint32]bool{}
	var seen, unseen imap.UIDSet
	for _, m := range msgs {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			seen.AddNum(m.UID)
			after[uint32(m.UID)] = false
		} else {
			unseen.AddNum(m.UID)
			after[uint32(m.UID)] = true
		}
	}
	if len(after) != len(uids) {
		return nil, fmt.Errorf("found %d of %d messages to flag", len(after), len(uids))
	}
	for _, op := range []struct {
		set imap.UIDSet
		op  imap.StoreFlagsOp
	}{{seen, imap.StoreFlagsDel}, {unseen, imap.StoreFlagsAdd}} {
		if len(op.set) == 0 {
			continue
		}
		if err := s.c.Store(op.set, &imap.StoreFlags{Op: op.op, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return nil, fmt.Errorf("store flags: %w", err)
		}
	}
	return after, nil
}

// openCache opens a cache for the driver's own checks and in-process runs.
func openCache(dir string) (*localcache.Cache, error) {
	c, err := localcache.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open cache %s: %w", dir, err)
	}
	return c, nil
}

// newest50 runs the IMAP engine on an empty cache and returns how long it took until the newest n
// messages of INBOX were listed with their bodies; the rest of the sync is then cancelled.
func newest50(ctx context.Context, acc types.Account, password string, want []uint32) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "pbbench-newest-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	c, err := openCache(dir)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	sub := c.Subscribe()
	defer sub.Close()

	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	eng := imapsync.New(types.EngineDeps{Account: acc, Cache: c,
		Password: func() (string, error) { return password, nil }, Emit: func(types.Event) {}})
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- eng.SyncOnce(ctx) }()
	// Notifications drive the checks; the ticker only guards against a missed one.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	finished := false
	for {
		select {
		case <-sub.C:
			sub.Take()
		case <-tick.C:
		case err := <-done:
			if err != nil {
				return 0, fmt.Errorf("sync: %w", err)
			}
			finished = true
		case <-ctx.Done():
			return 0, fmt.Errorf("newest %d not readable within 5 minutes", len(want))
		}
		ok, err := readable(ctx, c, acc.Name, want)
		if err != nil && !errors.Is(err, localcache.ErrNotFound) {
			return 0, err
		}
		if ok {
			el := time.Since(start)
			cancel()
			if !finished {
				<-done
			}
			return el, nil
		}
		if finished {
			return 0, fmt.Errorf("sync ended but the newest %d were not all readable", len(want))
		}
	}
}

// readable says whether every wanted UID of INBOX is listed on the first page with a body.
func readable(ctx context.Context, c *localcache.Cache, account string, want []uint32) (bool, error) {
	f, err := c.FolderByRole(ctx, account, localcache.RoleInbox)
	if err != nil {
		return false, err
	}
	page, err := c.Page(ctx, []int64{f.ID}, nil, len(want))
	if err != nil {
		return false, err
	}
	if len(page) < len(want) {
		return false, nil
	}
	have := map[uint32]bool{}
	for _, m := range page {
		if m.BodyKey != "" {
			have[m.UID] = true
		}
	}
	for _, u := range want {
		if !have[u] {
			return false, nil
		}
	}
	return true, nil
}

// pushGap separates deliveries. Dovecot tells IDLE sessions about a change 500 ms after the first
// change it notices (NOTIFY_DELAY_MSECS), and a client's own commands count as changes: a delivery
// sooner than that after the previous sync would ride on a timer that is already running and look
// faster than it is.
const pushGap = 700 * time.Millisecond

// pushResult is the IDLE latency of each delivered message.
type pushResult struct {
	Listed, Bodied, LMTP series
}

// idleLatency runs the engine (IDLE on INBOX) over an up-to-date cache, delivers n messages over LMTP
// one at a time and measures delivery → listed in the cache, and → body stored. The delivered messages
// are expunged again afterwards so the corpus stays as generated.
func idleLatency(ctx context.Context, d *testbed.Dovecot, acc types.Account, password, cacheDir string, n int) (pushResult, error) {
	var res pushResult
	c, err := openCache(cacheDir)
	if err != nil {
		return res, err
	}
	defer c.Close()
	sub := c.Subscribe()
	defer sub.Close()

	runCtx, stop := context.WithCancel(ctx)
	online := make(chan struct{}, 1)
	eng := imapsync.New(types.EngineDeps{Account: acc, Cache: c,
		Password: func() (string, error) { return password, nil },
		Emit: func(ev types.Event) {
			if cs, ok := ev.(types.ConnState); ok && cs.State == types.StateOnline {
				select {
				case online <- struct{}{}:
				default:
				}
			}
		}})
	runErr := make(chan error, 1)
	go func() { runErr <- eng.Run(runCtx) }()
	var delivered []string
	defer func() {
		stop()
		<-runErr
		expungeDelivered(d, acc.Incoming.User, delivered)
	}()

	select {
	case <-online:
	case err := <-runErr:
		return res, fmt.Errorf("engine stopped before it was online: %w", err)
	case <-time.After(5 * time.Minute):
		return res, errors.New("engine not online within 5 minutes")
	}
	// The IDLE connection is the account's second session.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if k, err := d.Sessions(acc.Incoming.User); err == nil && k >= 2 {
			break
		}
		if time.Now().After(deadline) {
			return res, errors.New("no IDLE session within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let IDLE be issued

	runID := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		mid := fmt.Sprintf("push-%d-%d@bench.mail.test", runID, i)
		msg := pushMessage(mid, i)
		sub.Take()
		start := time.Now()
		if err := d.DeliverLMTP(ctx, acc.Incoming.User, msg); err != nil {
			return res, err
		}
		res.LMTP = append(res.LMTP, secs(time.Since(start)))
		delivered = append(delivered, mid)
		listed, bodied := time.Duration(0), time.Duration(0)
		limit := time.After(30 * time.Second)
		for bodied == 0 {
			select {
			case <-sub.C:
				sub.Take()
			case <-time.After(250 * time.Millisecond): // notifications drive this; a guard only
			case err := <-runErr:
				runErr <- err // for the deferred wait
				return res, fmt.Errorf("engine stopped: %w", err)
			case <-limit:
				return res, fmt.Errorf("message %d not in the cache within 30 s", i)
			}
			ms, err := c.MessagesByMessageID(ctx, acc.Name, mid)
			if err != nil {
				return res, err
			}
			if len(ms) > 0 && listed == 0 {
				listed = time.Since(start)
			}
			if len(ms) > 0 && ms[0].BodyKey != "" {
				bodied = time.Since(start)
			}
		}
		res.Listed = append(res.Listed, secs(listed))
		res.Bodied = append(res.Bodied, secs(bodied))
		time.Sleep(pushGap)
	}
	return res, nil
}

func pushMessage(messageID string, i int) []byte {
	body := ""
	for len(body) < 3000 {
		body += fmt.Sprintf("Line %d of a short message delivered while the client idles.\r\n", len(body)/60)
	}
	return []byte(fmt.Sprintf("From: Push Test <push@mail.test>\r\nTo: alice@mail.test\r\nSubject: Push %d\r\n"+
		"Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s",
		i, time.Now().Format(time.RFC1123Z), messageID, body))
}

// expungeDelivered removes the push test's messages from the server again.
func expungeDelivered(d *testbed.Dovecot, user string, mids []string) {
	if len(mids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := dialIMAP(ctx, d, user, false, time.Minute)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pbbench: clean up push messages: %v\n", err)
		return
	}
	defer s.close()
	if _, err := s.c.Select("INBOX", nil).Wait(); err != nil {
		return
	}
	data, err := s.c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "push@mail.test"}}}, nil).Wait()
	if err != nil || len(data.AllUIDs()) == 0 {
		return
	}
	set := imap.UIDSetNum(data.AllUIDs()...)
	if err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		fmt.Fprintf(os.Stderr, "pbbench: clean up push messages: %v\n", err)
		return
	}
	if err := s.c.UIDExpunge(set).Close(); err != nil {
		fmt.Fprintf(os.Stderr, "pbbench: clean up push messages: %v\n", err)
	}
}

// rawIdleFloor is the floor of push latency: a bare go-imap session IDLEs on INBOX and each sample is
// LMTP delivery → the server's untagged EXISTS. Dovecot waits 500 ms after a maildir change before it
// tells IDLE sessions (NOTIFY_DELAY_MSECS in its mailbox watcher), so this is far above a round trip.
func rawIdleFloor(ctx context.Context, d *testbed.Dovecot, user string, n int) (series, error) {
	exists := make(chan struct{}, 16)
	opts := &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(m *imapclient.UnilateralDataMailbox) {
			if m.NumMessages != nil {
				select {
				case exists <- struct{}{}:
				default:
				}
			}
		}}}
	s, err := dialIMAPWith(ctx, d, user, false, 5*time.Minute, opts)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if _, err := s.c.Select("INBOX", nil).Wait(); err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	delivered := []string{}
	defer func() { expungeDelivered(d, user, delivered) }()
	idle, err := s.c.Idle()
	if err != nil {
		return nil, fmt.Errorf("idle: %w", err)
	}
	var lat series
	runID := time.Now().UnixNano()
	for i := 0; i < n; i++ {
		for len(exists) > 0 {
			<-exists
		}
		mid := fmt.Sprintf("floor-%d-%d@bench.mail.test", runID, i)
		start := time.Now()
		if err := d.DeliverLMTP(ctx, user, pushMessage(mid, i)); err != nil {
			return lat, err
		}
		delivered = append(delivered, mid)
		select {
		case <-exists:
			lat = append(lat, secs(time.Since(start)))
		case <-time.After(30 * time.Second):
			return lat, fmt.Errorf("no EXISTS within 30 s of delivery %d", i)
		case <-ctx.Done():
			return lat, ctx.Err()
		}
		time.Sleep(pushGap)
	}
	if err := idle.Close(); err != nil {
		return lat, fmt.Errorf("idle done: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return lat, fmt.Errorf("idle: %w", err)
	}
	return lat, nil
}
