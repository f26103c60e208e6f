// Package demo runs Postbode's built-in demonstration: an IMAP, a POP3 and an SMTP server on
// loopback, over TLS with a certificate authority made at start, holding realistic mail. Nothing
// leaves the computer and the user's own profile is never used.
package demo

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-smtp"

	"postbode/accounts"
	"postbode/internal/pki"
	"postbode/types"
)

// The demo users and accounts.
const (
	IMAPUser        = "demo@postbode.test"
	POP3User        = "pop@postbode.test"
	IMAPAccountName = "Demo IMAP"
	POP3AccountName = "Demo POP3"
	// CAFileName is the demo CA's file in the profile's config folder.
	CAFileName = "demo-ca.pem"
	// DefaultNewMailEvery is how often new mail arrives unless Options say otherwise.
	DefaultNewMailEvery = 30 * time.Second
)

// loopback is where the servers listen: 127.0.0.1 exists on every OS (127.0.0.2 does not on macOS).
const loopback = "127.0.0.1"

// Options configure Start.
type Options struct {
	// Dir is the temporary profile folder (accounts.ProfileIn(Dir)); the CA file goes in its
	// config folder. Required.
	Dir string
	// NewMailEvery is how often a message arrives in both mailboxes: 0 means
	// DefaultNewMailEvery, a negative value never.
	NewMailEvery time.Duration
	// Seed makes the seeded mail (and the order of new arrivals) reproducible.
	Seed int64
	// Now is the moment the seeded mail is dated back from; zero means time.Now().
	Now time.Time
	// Log receives the servers' own warnings; nil discards them.
	Log *slog.Logger
}

// Demo is a running set of demo servers.
type Demo struct {
	Dir       string
	Accounts  []types.Account   // IMAPAccountName and POP3AccountName, SMTP on both
	Passwords map[string]string // account name → password; keep them in memory only
	CAFile    string            // PEM of the CA that signed the servers' certificate
	CertPool  *x509.CertPool    // the same CA, for clients in tests
	IMAPAddr  string            // host:port, implicit TLS
	POP3Addr  string
	SMTPAddr  string

	log      *slog.Logger
	imapUser *imapUser
	drop     *maildrop
	seeded   map[string]int // mailbox → seeded messages; popFolder for the maildrop

	imapSrv   *imapserver.Server
	popSrv    *pop3Server
	smtpSrv   *smtp.Server
	listeners []net.Listener

	cancel    context.CancelFunc
	wg        sync.WaitGroup // server loops and the new-mail ticker
	closeOnce sync.Once
	closeErr  error
	arrived   atomic.Int64
}

// demoMailboxes are created for the IMAP user, with their RFC 6154 special use.
var demoMailboxes = []struct {
	name string
	use  imap.MailboxAttr
}{
	{"INBOX", ""},
	{"Sent", imap.MailboxAttrSent},
	{"Drafts", imap.MailboxAttrDrafts},
	{"Trash", imap.MailboxAttrTrash},
	{"Junk", imap.MailboxAttrJunk},
	{"Archive", imap.MailboxAttrArchive},
}

// Start seeds the mailboxes, starts the three servers on loopback and, unless disabled, the
// new-mail ticker. The ticker stops when ctx ends or on Close; the servers run until Close.
func Start(ctx context.Context, opts Options) (_ *Demo, err error) {
	if opts.Dir == "" {
		return nil, errors.New("demo: no profile folder given")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	every := opts.NewMailEvery
	if every == 0 {
		every = DefaultNewMailEvery
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	// The certificate must be valid now, whatever the mail's dates.
	caPEM, caPool, tlsCfg, err := serverTLS()
	if err != nil {
		return nil, err
	}
	profile := accounts.ProfileIn(opts.Dir)
	if err := os.MkdirAll(profile.ConfigDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: profile folder: %w", err)
	}
	caFile := filepath.Join(profile.ConfigDir, CAFileName)
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		return nil, fmt.Errorf("demo: write CA file: %w", err)
	}

	// Fresh random passwords each run: they exist only in this process's memory.
	imapPW, popPW := rand.Text(), rand.Text()
	d := &Demo{
		Dir:       opts.Dir,
		Passwords: map[string]string{IMAPAccountName: imapPW, POP3AccountName: popPW},
		CAFile:    caFile,
		CertPool:  caPool,
		log:       log,
		imapUser:  newIMAPUser(IMAPUser, imapPW),
		drop:      &maildrop{},
		seeded:    map[string]int{},
	}
	if err := d.seed(opts.Seed, now, every); err != nil {
		return nil, err
	}

	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	listen := func() (net.Listener, error) {
		ln, err := tls.Listen("tcp", net.JoinHostPort(loopback, "0"), tlsCfg)
		if err != nil {
			return nil, fmt.Errorf("demo: listen: %w", err)
		}
		d.listeners = append(d.listeners, ln)
		return ln, nil
	}

	imapLn, err := listen()
	if err != nil {
		return nil, err
	}
	srv := &imapServer{users: map[string]*imapUser{IMAPUser: d.imapUser}}
	d.imapSrv = imapserver.New(&imapserver.Options{
		NewSession: srv.newSession,
		Caps:       imapCaps(),
		Logger:     printfLogger{log: log, server: "imap"},
	})
	d.IMAPAddr = imapLn.Addr().String()
	d.goServe("imap", func() error { return d.imapSrv.Serve(imapLn) })

	popLn, err := listen()
	if err != nil {
		return nil, err
	}
	d.popSrv = newPOP3Server(popLn, POP3User, popPW, d.drop, log)
	d.POP3Addr = popLn.Addr().String()
	d.goServe("pop3", d.popSrv.serve)

	smtpLn, err := listen()
	if err != nil {
		return nil, err
	}
	d.smtpSrv = newSMTPServer(&smtpBackend{
		logins:  map[string]string{IMAPUser: imapPW, POP3User: popPW},
		deliver: d.Deliver,
	}, log)
	d.SMTPAddr = smtpLn.Addr().String()
	d.goServe("smtp", func() error { return d.smtpSrv.Serve(smtpLn) })

	d.Accounts, err = d.accounts()
	if err != nil {
		return nil, err
	}

	tctx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	if every > 0 {
		d.wg.Add(1)
		go d.tick(tctx, every, opts.Seed)
	}
	return d, nil
}

func (d *Demo) goServe(name string, serve func() error) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := serve(); err != nil && !errors.Is(err, net.ErrClosed) {
			d.log.Warn("demo server stopped", "server", name, "err", err)
		}
	}()
}

// seed fills the mailboxes with the demo mail.
func (d *Demo) seed(seed int64, now time.Time, every time.Duration) error {
	for _, mb := range demoMailboxes {
		if err := d.imapUser.create(mb.name, mb.use); err != nil {
			return fmt.Errorf("demo: create mailbox %s: %w", mb.name, err)
		}
	}
	msgs, err := newBuilder(seed, now).build(seedLetters(every))
	if err != nil {
		return fmt.Errorf("demo: build mail: %w", err)
	}
	answered := map[string]bool{}
	for _, m := range msgs {
		if m.folder == "Sent" && m.parent != "" {
			answered[m.parent] = true
		}
	}
	for _, m := range msgs {
		d.seeded[m.folder]++
		if m.folder == popFolder {
			d.drop.add(m.raw)
			continue
		}
		var flags []imap.Flag
		if !m.unread {
			flags = append(flags, imap.FlagSeen)
		}
		if m.flagged {
			flags = append(flags, imap.FlagFlagged)
		}
		if m.draft {
			flags = append(flags, imap.FlagDraft)
		}
		if answered[m.key] {
			flags = append(flags, imap.FlagAnswered)
		}
		if err := d.imapUser.appendMessage(m.folder, m.raw, flags, m.date); err != nil {
			return fmt.Errorf("demo: seed %s: %w", m.folder, err)
		}
	}
	return nil
}

func (d *Demo) accounts() ([]types.Account, error) {
	port := func(addr string) int {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return 0 // Validate below reports it
		}
		return int(ap.Port())
	}
	server := func(addr, user string) types.Server {
		return types.Server{Host: loopback, Port: port(addr), Security: types.SecurityTLS, User: user, CAFile: d.CAFile}
	}
	accs := []types.Account{
		{
			Name: IMAPAccountName, Kind: types.IMAP, DisplayName: sanne.name, Email: IMAPUser,
			Incoming: server(d.IMAPAddr, IMAPUser), Outgoing: server(d.SMTPAddr, IMAPUser),
		},
		{
			Name: POP3AccountName, Kind: types.POP3, DisplayName: info.name, Email: POP3User,
			Incoming: server(d.POP3Addr, POP3User), Outgoing: server(d.SMTPAddr, POP3User),
			POP3: types.POP3Policy{Leave: types.LeaveKeep},
		},
	}
	for _, a := range accs {
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("demo: account %s: %w", a.Name, err)
		}
	}
	return accs, nil
}

// Deliver puts a message in a demo mailbox: the IMAP INBOX for IMAPUser, the POP3 maildrop for
// POP3User. Mail for anyone else is dropped, as the demo SMTP server does with it.
func (d *Demo) Deliver(rcpt string, raw []byte) error {
	switch strings.ToLower(rcpt) {
	case IMAPUser:
		if err := d.imapUser.appendMessage("INBOX", toCRLF(raw), nil, time.Now()); err != nil {
			d.log.Warn("demo delivery failed", "rcpt", rcpt, "err", err)
			return fmt.Errorf("demo: deliver to %s: %w", rcpt, err)
		}
	case POP3User:
		d.drop.add(raw)
	}
	return nil
}

// Arrived is how many times the ticker has delivered new mail.
func (d *Demo) Arrived() int { return int(d.arrived.Load()) }

// tick delivers a new message to both mailboxes every interval until ctx ends.
func (d *Demo) tick(ctx context.Context, every time.Duration, seed int64) {
	defer d.wg.Done()
	rng := mrand.New(mrand.NewPCG(uint64(seed), 0x6e65776d61696c))
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		imapRaw, popRaw := arrivals(rng, seed, n, time.Now())
		// Deliver logs its own failures; the ticker carries on.
		_ = d.Deliver(IMAPUser, imapRaw)
		_ = d.Deliver(POP3User, popRaw)
		d.arrived.Add(1)
	}
}

// serverTLS makes a throw-away CA and the one server certificate it signs. The demo servers
// present the certificate; the accounts trust the CA through their CA file, so the client
// verifies the chain and the host exactly as it would for a real server.
func serverTLS() (caPEM []byte, pool *x509.CertPool, cfg *tls.Config, err error) {
	const validity = 30 * 24 * time.Hour
	ca, err := pki.NewCA("Postbode demo CA", pki.Options{Organization: "Postbode demo", Validity: validity})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("demo: %w", err)
	}
	certPEM, keyPEM, err := ca.Issue("127.0.0.1", []string{"localhost"},
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		pki.Options{Organization: "Postbode demo", Validity: validity})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("demo: %w", err)
	}
	// Send the CA along with the leaf, as a real server sends its intermediates.
	cert, err := tls.X509KeyPair(append(certPEM, ca.PEM()...), keyPEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("demo: server certificate: %w", err)
	}
	cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return ca.PEM(), ca.Pool(), cfg, nil
}

// Close stops the ticker and the servers, drops every connection and waits for the demo's
// goroutines. It is safe to call more than once.
func (d *Demo) Close() error {
	d.closeOnce.Do(func() {
		if d.cancel != nil {
			d.cancel()
		}
		var errs []error
		if d.imapSrv != nil {
			errs = append(errs, d.imapSrv.Close())
		}
		if d.smtpSrv != nil {
			errs = append(errs, d.smtpSrv.Close())
		}
		if d.popSrv != nil {
			errs = append(errs, d.popSrv.close())
		}
		// A server whose Serve had not registered its listener yet would not close it.
		for _, ln := range d.listeners {
			errs = append(errs, ln.Close())
		}
		d.wg.Wait()
		var kept []error
		for _, err := range errs {
			if err != nil && !errors.Is(err, net.ErrClosed) {
				kept = append(kept, err)
			}
		}
		if err := errors.Join(kept...); err != nil {
			d.closeErr = fmt.Errorf("demo: close: %w", err)
		}
	})
	return d.closeErr
}
