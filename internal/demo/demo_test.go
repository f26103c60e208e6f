package demo

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"postbode/accounts"
	"postbode/sync/transport"
	"postbode/types"
)

var testNow = time.Date(2025, 11, 20, 10, 30, 0, 0, time.FixedZone("CET", 3600))

func startDemo(t *testing.T, every time.Duration) *Demo {
	t.Helper()
	d, err := Start(context.Background(), Options{Dir: t.TempDir(), NewMailEvery: every, Seed: 7, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

func account(t *testing.T, d *Demo, name string) types.Account {
	t.Helper()
	for _, a := range d.Accounts {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no account %q in %+v", name, d.Accounts)
	return types.Account{}
}

// caPool reads the CA file the accounts point at, as the client does.
func caPool(t *testing.T, d *Demo) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	return pool
}

func dialIMAP(t *testing.T, d *Demo, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.TLSConfig = &tls.Config{RootCAs: caPool(t, d)}
	c, err := imapclient.DialTLS(d.IMAPAddr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(IMAPUser, d.Passwords[IMAPAccountName]).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func inboxCount(t *testing.T, c *imapclient.Client) uint32 {
	t.Helper()
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return *st.NumMessages
}

func TestAccountsAndProfile(t *testing.T) {
	d := startDemo(t, -1)
	if len(d.Accounts) != 2 {
		t.Fatalf("accounts = %+v", d.Accounts)
	}
	imapAcc, popAcc := account(t, d, IMAPAccountName), account(t, d, POP3AccountName)
	if imapAcc.Kind != types.IMAP || imapAcc.Email != IMAPUser || popAcc.Kind != types.POP3 || popAcc.Email != POP3User {
		t.Fatalf("accounts = %+v", d.Accounts)
	}
	for _, a := range d.Accounts {
		for _, s := range []types.Server{a.Incoming, a.Outgoing} {
			if s.Host != "127.0.0.1" || s.Security != types.SecurityTLS || s.CAFile != d.CAFile || s.PinSHA256 != "" {
				t.Errorf("%s: server %+v must be loopback, implicit TLS, verified against the demo CA", a.Name, s)
			}
		}
		if d.Passwords[a.Name] == "" {
			t.Errorf("%s: no password", a.Name)
		}
	}
	if !strings.HasPrefix(d.CAFile, accounts.ProfileIn(d.Dir).ConfigDir) {
		t.Errorf("CA file %s is not in the profile's config folder", d.CAFile)
	}
	if d.Passwords[IMAPAccountName] == d.Passwords[POP3AccountName] {
		t.Error("both accounts share a password")
	}
	// The certificate is verified for real: without the demo CA the handshake fails.
	if c, err := imapclient.DialTLS(d.IMAPAddr, nil); err == nil {
		c.Close()
		t.Fatal("TLS to the demo server succeeded without trusting the demo CA")
	}
	// Through the client's own transport, using only what the account config says.
	cfg, err := transport.ForServer(imapAcc.Incoming, types.IMAP)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := transport.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("transport dial with the account's CA file: %v", err)
	}
	c := imapclient.New(conn, nil)
	defer c.Close()
	if err := c.Login(IMAPUser, d.Passwords[IMAPAccountName]).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Login(IMAPUser, "wrong").Wait(); err == nil {
		t.Fatal("second login accepted")
	}
}

func TestIMAPMailboxesAndSeededMail(t *testing.T) {
	d := startDemo(t, -1)

	bad, err := imapclient.DialTLS(d.IMAPAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: caPool(t, d)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Login(IMAPUser, "not-the-password").Wait(); err == nil {
		t.Fatal("wrong password accepted")
	}
	bad.Close()

	c := dialIMAP(t, d, nil)
	if !c.Caps().Has(imap.CapSpecialUse) || !c.Caps().Has(imap.CapIdle) || !c.Caps().Has(imap.CapMove) {
		t.Fatalf("caps = %v", c.Caps())
	}
	// A plain LIST carries the special-use attributes.
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		attrs[l.Mailbox] = l.Attrs
	}
	want := map[string]imap.MailboxAttr{"INBOX": "", "Sent": imap.MailboxAttrSent, "Drafts": imap.MailboxAttrDrafts,
		"Trash": imap.MailboxAttrTrash, "Junk": imap.MailboxAttrJunk, "Archive": imap.MailboxAttrArchive}
	if len(attrs) != len(want) {
		t.Fatalf("mailboxes = %v", attrs)
	}
	for name, use := range want {
		got, ok := attrs[name]
		if !ok {
			t.Fatalf("no mailbox %s in %v", name, attrs)
		}
		if use != "" && !slices.Contains(got, use) {
			t.Errorf("%s attrs = %v, want %s", name, got, use)
		}
	}
	// RETURN (SPECIAL-USE STATUS) and SELECT (SPECIAL-USE) as LIST-EXTENDED clients send them.
	special, err := c.List("", "*", &imap.ListOptions{SelectSpecialUse: true, ReturnSpecialUse: true,
		ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(special) != 5 {
		t.Fatalf("SELECT (SPECIAL-USE) gave %d mailboxes", len(special))
	}
	total := 0
	for _, l := range append(special, &imap.ListData{Mailbox: "INBOX"}) {
		st, err := c.Status(l.Mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if int(*st.NumMessages) != d.seeded[l.Mailbox] {
			t.Errorf("%s holds %d messages, seeded %d", l.Mailbox, *st.NumMessages, d.seeded[l.Mailbox])
		}
		if l.Status != nil && *l.Status.NumMessages != *st.NumMessages {
			t.Errorf("%s: LIST-STATUS %d, STATUS %d", l.Mailbox, *l.Status.NumMessages, *st.NumMessages)
		}
		total += int(*st.NumMessages)
	}
	if total < 30 || d.seeded["INBOX"] < 15 || d.seeded["Archive"] < 5 || d.seeded["Sent"] < 5 || d.seeded[popFolder] < 6 {
		t.Fatalf("seeded %v (IMAP total %d): want a few dozen across INBOX, Archive, Sent and POP3", d.seeded, total)
	}

	// Envelopes: encoded words decoded, threads linked, flags set.
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	var seen, unseen, flagged, replies int
	for _, m := range msgs {
		subjects = append(subjects, m.Envelope.Subject)
		if slices.Contains(m.Flags, imap.FlagSeen) {
			seen++
		} else {
			unseen++
		}
		if slices.Contains(m.Flags, imap.FlagFlagged) {
			flagged++
		}
		if len(m.Envelope.InReplyTo) > 0 {
			replies++
		}
	}
	all := strings.Join(subjects, "\n")
	for _, s := range []string{"🎉 Borrel vrijdag", "ハブ部品の納期について", "Lieferverzögerung", "vóór vrijdag", "Fietsvak Nieuwsbrief"} {
		if !strings.Contains(all, s) {
			t.Errorf("no INBOX subject contains %q:\n%s", s, all)
		}
	}
	if seen == 0 || unseen == 0 || flagged == 0 || replies < 5 {
		t.Errorf("seen %d, unseen %d, flagged %d, replies %d", seen, unseen, flagged, replies)
	}
	var names []string
	for _, m := range msgs {
		for _, a := range m.Envelope.From {
			names = append(names, a.Name)
		}
	}
	for _, n := range []string{"Jürgen Müller", "田中 健"} {
		if !slices.Contains(names, n) {
			t.Errorf("sender %q not decoded; senders %v", n, names)
		}
	}

	// CREATE-SPECIAL-USE, RENAME and DELETE keep LIST in step.
	if err := c.Create("Projecten", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrFlagged}}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("Projecten", "Projecten 2025", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	l, err := c.List("", "Projecten*", nil).Collect()
	if err != nil || len(l) != 1 || l[0].Mailbox != "Projecten 2025" || !slices.Contains(l[0].Attrs, imap.MailboxAttrFlagged) {
		t.Fatalf("after rename: %+v %v", l, err)
	}
	if err := c.Delete("Projecten 2025").Wait(); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.List("", "Projecten*", nil).Collect(); len(l) != 0 {
		t.Fatalf("after delete: %+v", l)
	}
	if err := c.Rename("INBOX", "Oud", nil).Wait(); err == nil {
		t.Fatal("renaming INBOX was allowed")
	}
}

func TestSMTPDeliversToDemoMailboxes(t *testing.T) {
	d := startDemo(t, -1)
	c := dialIMAP(t, d, nil)
	before := inboxCount(t, c)
	popBefore := d.drop.len()

	acc := account(t, d, POP3AccountName) // any demo user may send
	cfg, err := transport.ForServer(acc.Outgoing, types.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	dial := func() *smtp.Client {
		conn, err := transport.Dial(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		sc := smtp.NewClient(conn)
		t.Cleanup(func() { sc.Close() })
		return sc
	}

	// Neither sending without AUTH nor a wrong password gets a message in.
	sc := dial()
	if err := sc.Mail("pop@postbode.test", nil); err == nil {
		t.Fatal("MAIL accepted without AUTH")
	}
	sc = dial()
	if err := sc.Auth(sasl.NewPlainClient("", POP3User, "wrong")); err == nil {
		t.Fatal("AUTH with a wrong password accepted")
	}

	sc = dial()
	if ok, mechs := sc.Extension("AUTH"); !ok || !strings.Contains(mechs, "PLAIN") {
		t.Fatalf("AUTH extension %v %q", ok, mechs)
	}
	if err := sc.Auth(sasl.NewPlainClient("", acc.Outgoing.User, d.Passwords[POP3AccountName])); err != nil {
		t.Fatal(err)
	}
	msg := "From: Info <pop@postbode.test>\r\nTo: Sanne <demo@postbode.test>\r\nCc: pop@postbode.test\r\n" +
		"Subject: =?UTF-8?Q?Test_via_SMTP_=E2=9C=89?=\r\nMessage-ID: <smtp-test@postbode.test>\r\n\r\n" +
		"Hallo!\r\n.punt aan het begin\r\n"
	if err := sc.SendMail(POP3User, []string{IMAPUser, POP3User, "someone@elsewhere.test"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if err := sc.Quit(); err != nil {
		t.Fatal(err)
	}

	if got := inboxCount(t, c); got != before+1 {
		t.Fatalf("INBOX went from %d to %d messages", before, got)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	last, err := c.Fetch(imap.SeqSetNum(before+1), &imap.FetchOptions{
		Envelope: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(last) != 1 {
		t.Fatalf("fetch: %v %v", last, err)
	}
	if last[0].Envelope.Subject != "Test via SMTP ✉" {
		t.Fatalf("subject = %q", last[0].Envelope.Subject)
	}
	if body := string(last[0].BodySection[0].Bytes); !strings.HasSuffix(body, "\r\n.punt aan het begin\r\n") {
		t.Fatalf("body not delivered intact: %q", body)
	}
	if got := d.drop.len(); got != popBefore+1 {
		t.Fatalf("POP3 maildrop went from %d to %d", popBefore, got)
	}
}

func TestNewMailTicker(t *testing.T) {
	d := startDemo(t, 100*time.Millisecond)
	arrived := make(chan uint32, 16)
	c := dialIMAP(t, d, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				select {
				case arrived <- *data.NumMessages:
				default:
				}
			}
		},
	}})
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	popBefore := d.drop.len()
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-arrived:
		if n <= sel.NumMessages {
			t.Fatalf("EXISTS %d, had %d", n, sel.NumMessages)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no new mail pushed during IDLE within 5 s")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.Arrived() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if d.Arrived() < 3 {
		t.Fatalf("only %d arrivals in 5 s at 100 ms", d.Arrived())
	}
	if got := d.drop.len(); got < popBefore+3 {
		t.Fatalf("POP3 maildrop went from %d to %d", popBefore, got)
	}
	if got := inboxCount(t, c); got < sel.NumMessages+3 {
		t.Fatalf("INBOX went from %d to %d", sel.NumMessages, got)
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	if _, err := Start(context.Background(), Options{}); err == nil {
		t.Fatal("Start without a folder succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Options{Dir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context: %v", err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	base := runtime.NumGoroutine()
	d, err := Start(context.Background(), Options{Dir: t.TempDir(), NewMailEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pool := caPool(t, d)
	// Leave a connection open on each server: Close must end them.
	ic, err := imapclient.DialTLS(d.IMAPAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ic.Login(IMAPUser, d.Passwords[IMAPAccountName]).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	pc, err := tls.Dial("tcp", d.POP3Addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	pr := bufio.NewReader(pc)
	fmt.Fprintf(pc, "USER %s\r\nPASS %s\r\n", POP3User, d.Passwords[POP3AccountName])
	for range 3 {
		if _, err := pr.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := smtp.DialTLS(d.SMTPAddr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Hello("test.example"); err != nil {
		t.Fatal(err)
	}
	if running := runtime.NumGoroutine(); running < base+5 {
		t.Fatalf("only %d goroutines running, %d before: the servers did not start?", running, base)
	}

	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The server side closed every connection: the clients see EOF.
	if _, err := pr.ReadString('\n'); err == nil {
		t.Fatal("POP3 connection still open after Close")
	}
	select {
	case <-ic.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("IMAP connection still open after Close")
	}
	if err := sc.Noop(); err == nil {
		t.Fatal("SMTP connection still open after Close")
	}
	pc.Close()
	sc.Close()
	ic.Close()
	for _, addr := range []string{d.IMAPAddr, d.POP3Addr, d.SMTPAddr} {
		if c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool}); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", addr)
		}
	}
	n := d.Arrived()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > base+1 {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", got, base, buf[:runtime.Stack(buf, true)])
	}
	time.Sleep(60 * time.Millisecond)
	if d.Arrived() != n {
		t.Fatal("new mail still arriving after Close")
	}
}
