package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"postbode/accounts/oauth"
	"postbode/internal/redact"
	"postbode/sync/transport"
	"postbode/types"
)

// errCommandTimeout is the reason a connection was closed by its watchdog.
var errCommandTimeout = errors.New("imap: server too slow, command timed out")

// Unilateral events seen on a connection, as bits.
const (
	evExists uint32 = 1 << iota
	evExpunge
	evFetch
)

// conn is one logged-in IMAP connection. It is used by one goroutine at a time; only the watchdog
// and the unilateral handlers touch it from elsewhere, and they only close it or note events.
type conn struct {
	cl    *imapclient.Client
	tc    *transport.Conn
	guard *guardConn
	caps  imap.CapSet
	opt   *options

	selected string           // mailbox currently selected, "" for none
	sel      *imap.SelectData // what the last SELECT returned
	stopCtx  func() bool      // detaches the context watcher
	failMu   sync.Mutex       // guards failErr
	failErr  error            // why the connection was closed on purpose
	events   atomic.Uint32    // unilateral events since the last take
	notify   chan struct{}    // one token when events arrive; never blocks the client
	closed   atomic.Bool
}

func (cn *conn) condstore() bool {
	return cn.caps.Has(imap.CapCondStore) || cn.caps.Has(imap.CapIMAP4rev2)
}

// kill closes the connection at once and remembers why, so later errors name the real cause.
func (cn *conn) kill(reason error) {
	cn.failMu.Lock()
	if cn.failErr == nil {
		cn.failErr = reason
	}
	cn.failMu.Unlock()
	_ = cn.tc.Close()
}

// killAfterShortRead closes the connection after a literal could not be read to its end, and
// waits (bounded) for the client's reader to stop. Only then may the command be drained: go-imap
// would otherwise re-read the failed literal from the stream its reader goroutine is using.
func (cn *conn) killAfterShortRead(reason error) {
	cn.kill(reason)
	t := time.NewTimer(cn.opt.cmdTimeout)
	defer t.Stop()
	select {
	case <-cn.cl.Closed():
	case <-t.C:
	}
}

// wrap adds the reason for a deliberate close to err.
func (cn *conn) wrap(err error) error {
	if err == nil {
		return nil
	}
	cn.failMu.Lock()
	reason := cn.failErr
	cn.failMu.Unlock()
	if reason == nil {
		reason = cn.guard.Failure()
	}
	if reason != nil && !errors.Is(err, reason) {
		return fmt.Errorf("%w (%v)", reason, err)
	}
	return err
}

// watch arms a watchdog that kills the connection if the work is not done within d. A server that
// trickles bytes defeats per-read timeouts; this bounds the whole command.
func (cn *conn) watch(d time.Duration) (stop func()) {
	t := time.AfterFunc(d, func() { cn.kill(errCommandTimeout) })
	return func() { t.Stop() }
}

// budget is the watchdog time for a command expected to move about n bytes.
func (cn *conn) budget(n int64) time.Duration {
	return cn.opt.cmdTimeout + time.Duration(float64(n)/float64(cn.opt.minRate)*float64(time.Second))
}

// lineBudget is the watchdog time for a one-line answer the server says is about n bytes: no
// line is longer than the guard allows, whatever count the estimate came from.
func (cn *conn) lineBudget(n int64) time.Duration {
	return cn.budget(min(n, int64(cn.opt.maxLine)))
}

func (cn *conn) note(ev uint32) {
	cn.events.Or(ev)
	select {
	case cn.notify <- struct{}{}:
	default:
	}
}

// takeEvents returns and clears the unilateral events seen so far.
func (cn *conn) takeEvents() uint32 { return cn.events.Swap(0) }

// close logs out politely (bounded) and closes the connection.
func (cn *conn) close() {
	if cn.closed.Swap(true) {
		return
	}
	if cn.cl.State() != imap.ConnStateLogout {
		stop := cn.watch(5 * time.Second)
		_ = cn.cl.Logout().Wait()
		stop()
	}
	_ = cn.cl.Close()
	if cn.stopCtx != nil {
		cn.stopCtx()
	}
}

// abandon closes the connection without a goodbye.
func (cn *conn) abandon() {
	if cn.closed.Swap(true) {
		return
	}
	cn.kill(net.ErrClosed)
	_ = cn.cl.Close()
	if cn.stopCtx != nil {
		cn.stopCtx()
	}
}

// dialConfig builds the transport configuration for the account.
func dialConfig(acc types.Account, opt *options) (transport.Config, error) {
	cfg, err := transport.ForServer(acc.Incoming, types.IMAP)
	if err != nil {
		return cfg, fmt.Errorf("imap %s: %w", acc.Name, err)
	}
	cfg.IOTimeout = opt.ioTimeout
	if opt.dialTimeout > 0 {
		cfg.DialTimeout = opt.dialTimeout
	}
	if opt.dialContext != nil {
		cfg.DialContext = opt.dialContext
	}
	return cfg, nil
}

// connect dials, logs in and reads the capabilities. The connection closes itself when ctx ends.
func connect(ctx context.Context, acc types.Account, password string, opt *options) (*conn, error) {
	cfg, err := dialConfig(acc, opt)
	if err != nil {
		return nil, err
	}
	tc, err := transport.Dial(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("imap connect: %w", err)
	}
	cn := &conn{tc: tc, opt: opt, notify: make(chan struct{}, 1)}
	cn.guard = newGuardConn(tc, opt.maxLine, opt.maxLiteral)
	handler := &imapclient.UnilateralDataHandler{
		Expunge: func(uint32) { cn.note(evExpunge) },
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				cn.note(evExists)
			}
		},
		// Runs in its own goroutine; it must consume the data or the decoder stalls.
		Fetch: func(m *imapclient.FetchMessageData) {
			for m.Next() != nil {
			}
			cn.note(evFetch)
		},
	}
	cn.cl = imapclient.New(cn.guard, &imapclient.Options{UnilateralDataHandler: handler, DebugWriter: opt.trace})
	cn.stopCtx = context.AfterFunc(ctx, func() { cn.kill(ctx.Err()) })

	if err := cn.login(acc, password); err != nil {
		cn.abandon()
		return nil, err
	}
	return cn, nil
}

func (cn *conn) login(acc types.Account, password string) error {
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	if err := cn.cl.WaitGreeting(); err != nil {
		return fmt.Errorf("imap greeting: %w", cn.wrap(err))
	}
	user := acc.Incoming.User
	if user == "" {
		user = acc.Email
	}
	switch cn.cl.State() {
	case imap.ConnStateAuthenticated:
		// PREAUTH on implicit TLS or an explicitly plain connection (transport refuses it on STARTTLS).
	case imap.ConnStateNotAuthenticated:
		caps := cn.cl.Caps()
		var err error
		if acc.OAuth2() {
			err = oauth.Authenticate(acc.SASLMechanism(), user, password, cn.cl.Authenticate)
		} else if caps.Has(imap.CapLoginDisabled) {
			// Authenticate leaves the connection out of step when it fails: the caller never
			// reuses a connection after a login error.
			err = cn.cl.Authenticate(sasl.NewPlainClient("", user, password))
		} else {
			err = cn.cl.Login(user, password).Wait()
		}
		if err != nil {
			// Servers may quote what they were sent: keep the credentials out of the error.
			return redact.Error(fmt.Errorf("imap login as %s: %w", user, cn.wrap(err)), redact.Secrets{User: user, Password: password})
		}
	default:
		return fmt.Errorf("imap: server refused the session")
	}
	caps := cn.cl.Caps()
	if caps == nil {
		return fmt.Errorf("imap capabilities: %w", cn.wrap(errors.New("no answer")))
	}
	cn.caps = make(imap.CapSet, len(caps))
	for c := range caps {
		cn.caps[c] = struct{}{}
	}
	for _, c := range cn.opt.dropCaps {
		delete(cn.caps, imap.Cap(c))
	}
	return nil
}

// selectFolder selects a mailbox (with CONDSTORE when offered) and returns its state.
func (cn *conn) selectFolder(name string) (*imap.SelectData, error) {
	stop := cn.watch(cn.opt.cmdTimeout)
	defer stop()
	cn.selected, cn.sel = "", nil
	data, err := cn.cl.Select(name, &imap.SelectOptions{CondStore: cn.condstore()}).Wait()
	if err != nil {
		return nil, fmt.Errorf("select %q: %w", name, cn.wrap(err))
	}
	cn.selected, cn.sel = name, data
	cn.takeEvents() // what happened before this SELECT is in its answer
	return data, nil
}

// ensureSelected selects name unless it already is.
func (cn *conn) ensureSelected(name string) error {
	if cn.selected == name && cn.cl.State() == imap.ConnStateSelected {
		return nil
	}
	_, err := cn.selectFolder(name)
	return err
}

// isRefusal reports whether err is the server's NO or BAD to one command (the connection is fine).
func isRefusal(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Type == imap.StatusResponseTypeBad)
}

func hasCode(err error, code imap.ResponseCode) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && ie.Code == code
}

// Test logs in, reports what the server offers, changes nothing and logs out.
func Test(ctx context.Context, acc types.Account, password string) (types.TestReport, error) {
	return testWith(ctx, acc, password, defaultOptions())
}

func testWith(ctx context.Context, acc types.Account, password string, opt *options) (types.TestReport, error) {
	acc = acc.WithDefaults()
	rep := types.TestReport{Server: net.JoinHostPort(acc.Incoming.Host, strconv.Itoa(acc.Incoming.Port))}
	cn, err := connect(ctx, acc, password, opt)
	if err != nil {
		return rep, err
	}
	defer cn.close()
	rep.Greeting = cn.guard.Greeting()
	for c := range cn.caps {
		rep.Capabilities = append(rep.Capabilities, string(c))
	}
	sort.Strings(rep.Capabilities)
	if st, ok := cn.tc.TLSState(); ok {
		rep.TLS = tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
	} else {
		rep.TLS = "none (plain connection)"
	}
	return rep, nil
}
