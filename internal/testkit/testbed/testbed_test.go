package testbed

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func fetchRaw(t *testing.T, c *imapclient.Client, seq uint32) ([]byte, imap.UID) {
	t.Helper()
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(seq), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatalf("fetch %d: %v", seq, err)
	}
	if len(msgs) != 1 {
		t.Fatalf("fetch %d: got %d messages", seq, len(msgs))
	}
	return msgs[0].FindBodySection(section), msgs[0].UID
}

func TestIMAPSpecialUseDeliverFetch(t *testing.T) {
	d := StartT(t, Options{})
	if d.Host != "127.0.0.1" || d.IMAPPort == 0 || d.IMAPSPort == 0 || d.POP3Port == 0 || d.POP3SPort == 0 || d.LMTPPort == 0 {
		t.Fatalf("incomplete endpoints: %+v", d)
	}
	c := d.IMAPSClientT(t, "alice", nil)

	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatalf("capability: %v", err)
	}
	for _, want := range []imap.Cap{imap.CapIdle, imap.CapCondStore, imap.CapMove, imap.CapSpecialUse, imap.CapListExtended, imap.CapUIDPlus} {
		if _, ok := caps[want]; !ok {
			t.Errorf("CAPABILITY lacks %s", want)
		}
	}

	list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true, ReturnSubscribed: true}).Collect()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	got := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		got[l.Mailbox] = l.Attrs
		if l.Delim != '/' {
			t.Errorf("%s: delimiter %q, want '/'", l.Mailbox, l.Delim)
		}
	}
	for _, f := range SpecialFolders {
		attrs, ok := got[f.Name]
		if !ok {
			t.Errorf("LIST lacks %s (got %v)", f.Name, got)
			continue
		}
		if !slices.Contains(attrs, imap.MailboxAttr(f.Use)) || !slices.Contains(attrs, imap.MailboxAttrSubscribed) {
			t.Errorf("%s attributes %v, want %s and \\Subscribed", f.Name, attrs, f.Use)
		}
	}
	if _, ok := got["INBOX"]; !ok {
		t.Error("LIST lacks INBOX")
	}

	msgs := Generate(11, 20, GenOptions{})
	if err := d.Deliver("alice", "INBOX", msgs...); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	if sel.NumMessages != 20 {
		t.Fatalf("INBOX has %d messages, want 20", sel.NumMessages)
	}
	// UIDs follow delivery order, and bytes come back unchanged.
	for _, seq := range []uint32{1, 7, 20} {
		raw, uid := fetchRaw(t, c, seq)
		if uid != imap.UID(seq) {
			t.Errorf("message %d has UID %d", seq, uid)
		}
		if !bytes.Equal(raw, msgs[seq-1]) {
			t.Errorf("message %d: BODY[] differs from what was delivered (%d vs %d bytes)", seq, len(raw), len(msgs[seq-1]))
		}
	}

	// Deliver creates a missing folder, nested and non-ASCII included.
	folder := "Projecten/Überblick 2025"
	if err := d.Deliver("alice", folder, msgs[:3]...); err != nil {
		t.Fatalf("deliver to %s: %v", folder, err)
	}
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("status %s: %v", folder, err)
	}
	if st.NumMessages == nil || *st.NumMessages != 3 {
		t.Errorf("%s holds %v messages, want 3", folder, st.NumMessages)
	}
	if ds, err := d.Status("alice", folder); err != nil || ds.Messages != 3 || ds.Unseen != 3 {
		t.Errorf("doveadm status of %s: %+v, %v", folder, ds, err)
	}
	if err := d.Deliver("nobody-here", "INBOX", msgs[0]); err == nil {
		t.Error("deliver to an unknown user succeeded")
	}
}

func TestStartTLSOnPlainPort(t *testing.T) {
	d := StartT(t, Options{Users: []User{{Name: "carol", Password: "carol pw ü"}}})
	c, err := imapclient.DialStartTLS(d.IMAPAddr(), &imapclient.Options{TLSConfig: d.TLSConfig()})
	if err != nil {
		t.Fatalf("dial STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.Login("carol", "carol pw ü").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := c.Login("carol", "wrong").Wait(); err == nil {
		t.Error("second LOGIN with a wrong password succeeded")
	}
	// The certificate is not valid for names outside the test set.
	conf := d.TLSConfig()
	conf.ServerName = "mail.example.com"
	if conn, err := tls.Dial("tcp", d.IMAPSAddr(), conf); err == nil {
		conn.Close()
		t.Error("TLS handshake verified a name the certificate does not carry")
	}
}

// pop3 is a minimal POP3 client for checking the server side byte by byte.
type pop3 struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (p *pop3) cmd(line string) string {
	p.t.Helper()
	if _, err := fmt.Fprintf(p.conn, "%s\r\n", line); err != nil {
		p.t.Fatalf("pop3 %s: %v", strings.Fields(line)[0], err)
	}
	return p.status(strings.Fields(line)[0])
}

func (p *pop3) status(what string) string {
	p.t.Helper()
	s, err := p.r.ReadString('\n')
	if err != nil {
		p.t.Fatalf("pop3 %s: %v", what, err)
	}
	if !strings.HasPrefix(s, "+OK") {
		p.t.Fatalf("pop3 %s: %q", what, s)
	}
	return strings.TrimSpace(s)
}

// multi reads a multi-line answer and undoes dot-stuffing.
func (p *pop3) multi() []byte {
	p.t.Helper()
	var b bytes.Buffer
	for {
		line, err := p.r.ReadBytes('\n')
		if err != nil {
			p.t.Fatalf("pop3 multi-line: %v", err)
		}
		if string(line) == ".\r\n" {
			return b.Bytes()
		}
		b.Write(bytes.TrimPrefix(line, []byte(".")))
	}
}

func TestPOP3S(t *testing.T) {
	d := StartT(t, Options{})
	// Pick messages that make dot-stuffing and long lines matter.
	all := Generate(5, 400, GenOptions{})
	var msgs [][]byte
	var dotted, long bool
	for _, m := range all {
		switch {
		case !dotted && bytes.Contains(m, []byte("\r\n.\r\n")):
			dotted = true
		case !long && hasLongLine(m, 4096):
			long = true
		case len(msgs) >= 4:
			continue
		}
		msgs = append(msgs, m)
	}
	if !dotted || !long {
		t.Fatalf("generator gave no message with a lone dot (%v) or a long line (%v)", dotted, long)
	}
	if err := d.Deliver("bob", "INBOX", msgs...); err != nil {
		t.Fatalf("deliver: %v", err)
	}

	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", d.POP3SAddr(), d.TLSConfig())
	if err != nil {
		t.Fatalf("dial POP3S: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	p := &pop3{t: t, conn: conn, r: bufio.NewReader(conn)}
	p.status("greeting")
	p.cmd("USER bob")
	p.cmd("PASS " + d.Password("bob"))

	var count, size int
	fmt.Sscanf(p.cmd("STAT"), "+OK %d %d", &count, &size)
	total := 0
	for _, m := range msgs {
		total += len(m)
	}
	if count != len(msgs) || size != total {
		t.Errorf("STAT: %d messages, %d bytes; want %d, %d", count, size, len(msgs), total)
	}

	st, err := d.Status("bob", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	p.cmd("UIDL")
	uidls := strings.Split(strings.TrimSpace(string(p.multi())), "\r\n")
	if len(uidls) != len(msgs) {
		t.Fatalf("UIDL listed %d messages, want %d", len(uidls), len(msgs))
	}
	for i, l := range uidls {
		// pop3_uidl_format = %08Xu%08Xv
		want := fmt.Sprintf("%d %08x%08x", i+1, i+1, st.UIDValidity) // Dovecot prints %X in lower case
		if l != want {
			t.Errorf("UIDL line %q, want %q", l, want)
		}
	}

	for i, m := range msgs {
		p.cmd("RETR " + strconv.Itoa(i+1))
		if got := p.multi(); !bytes.Equal(got, m) {
			t.Errorf("RETR %d: %d bytes differ from the %d delivered", i+1, len(got), len(m))
		}
	}
	p.cmd("QUIT")

	// The plain port offers STLS.
	plain, err := net.DialTimeout("tcp", d.POP3Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial POP3: %v", err)
	}
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(10 * time.Second))
	p = &pop3{t: t, conn: plain, r: bufio.NewReader(plain)}
	p.status("greeting")
	p.cmd("CAPA")
	if capa := string(p.multi()); !strings.Contains(capa, "STLS\r\n") {
		t.Errorf("POP3 CAPA lacks STLS: %q", capa)
	}
}

func hasLongLine(m []byte, n int) bool {
	for _, l := range bytes.Split(m, []byte("\r\n")) {
		if len(l) > n {
			return true
		}
	}
	return false
}

func TestDeliverLMTPWakesIDLE(t *testing.T) {
	d := StartT(t, Options{})
	exists := make(chan uint32, 16)
	c := d.IMAPSClientT(t, "alice", &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				select {
				case exists <- *data.NumMessages:
				default:
				}
			}
		},
	})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("idle: %v", err)
	}
	msg := Generate(2, 1, GenOptions{})[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.DeliverLMTP(ctx, "alice", msg); err != nil {
		t.Fatalf("DeliverLMTP: %v", err)
	}
	waitExists := func(want uint32) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case n := <-exists:
				if n == want {
					return
				}
			case <-timeout:
				t.Fatalf("no EXISTS %d during IDLE", want)
			}
		}
	}
	waitExists(1)
	// The maildir fast path wakes IDLE too.
	if err := d.Deliver("alice", "INBOX", Generate(3, 1, GenOptions{})...); err != nil {
		t.Fatal(err)
	}
	waitExists(2)
	if err := idle.Close(); err != nil {
		t.Fatalf("idle close: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("idle wait: %v", err)
	}

	raw, _ := fetchRaw(t, c, 1)
	if !bytes.HasSuffix(raw, msg) {
		t.Error("LMTP-delivered message does not end with the original bytes")
	}
	if !bytes.Contains(raw[:len(raw)-len(msg)], []byte("Delivered-To: alice@mail.test")) {
		t.Errorf("LMTP delivery added no Delivered-To header: %q", raw[:min(len(raw), 300)])
	}
	if err := d.DeliverLMTP(ctx, "mallory", msg); err == nil {
		t.Error("LMTP delivery to an unknown user succeeded")
	}
}

func TestRestartKeepsMailAndPorts(t *testing.T) {
	d := StartT(t, Options{})
	msgs := Generate(4, 5, GenOptions{})
	if err := d.Deliver("alice", "Archive", msgs...); err != nil {
		t.Fatal(err)
	}
	c := d.IMAPSClientT(t, "alice", nil)
	if _, err := c.Select("Archive", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	before, err := d.Status("alice", "Archive")
	if err != nil {
		t.Fatal(err)
	}
	ports := []int{d.IMAPPort, d.IMAPSPort, d.POP3Port, d.POP3SPort, d.LMTPPort}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Error("connection survived the restart")
	}
	if got := []int{d.IMAPPort, d.IMAPSPort, d.POP3Port, d.POP3SPort, d.LMTPPort}; !slices.Equal(got, ports) {
		t.Errorf("ports changed from %v to %v", ports, got)
	}
	after, err := d.Status("alice", "Archive")
	if err != nil {
		t.Fatal(err)
	}
	if after.UIDValidity != before.UIDValidity || after.Messages != 5 || after.UIDNext != before.UIDNext {
		t.Errorf("status after restart %+v, before %+v", after, before)
	}
	c2 := d.IMAPSClientT(t, "alice", nil)
	if _, err := c2.Select("Archive", nil).Wait(); err != nil {
		t.Fatalf("select after restart: %v", err)
	}
	if raw, _ := fetchRaw(t, c2, 3); !bytes.Equal(raw, msgs[2]) {
		t.Error("message changed across restart")
	}

	// Halt takes the server offline; Restart brings it back.
	if err := d.Halt(); err != nil {
		t.Fatalf("halt: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", d.IMAPSAddr(), time.Second); err == nil {
		conn.Close()
		t.Error("IMAPS port still accepts connections while halted")
	}
	if err := d.Restart(ctx); err != nil {
		t.Fatalf("restart after halt: %v", err)
	}
	d.IMAPSClientT(t, "alice", nil)
}

func TestKillConnections(t *testing.T) {
	d := StartT(t, Options{})
	c := d.IMAPSClientT(t, "alice", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	if n, err := d.Sessions("alice"); err != nil || n != 1 {
		t.Errorf("sessions of alice: %d, %v; want 1", n, err)
	}
	if err := d.KillConnections("alice"); err != nil {
		t.Fatalf("kill: %v", err)
	}
	select {
	case <-c.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open after KillConnections")
	}
	if err := d.KillConnections("bob"); !errors.Is(err, ErrNoConnections) {
		t.Errorf("kicking a user without connections: %v, want ErrNoConnections", err)
	}
}

func TestRecreateMailboxAndDoveadmHelpers(t *testing.T) {
	d := StartT(t, Options{Separator: "."})
	msgs := Generate(6, 3, GenOptions{})
	for _, f := range []string{"INBOX", "Archive"} {
		if err := d.Deliver("alice", f, msgs...); err != nil {
			t.Fatal(err)
		}
		before, err := d.Status("alice", f)
		if err != nil {
			t.Fatal(err)
		}
		if before.Messages != 3 || before.UIDNext != 4 {
			t.Fatalf("%s before: %+v", f, before)
		}
		if err := d.RecreateMailbox("alice", f); err != nil {
			t.Fatalf("recreate %s: %v", f, err)
		}
		after, err := d.Status("alice", f)
		if err != nil {
			t.Fatal(err)
		}
		if after.UIDValidity == before.UIDValidity || after.Messages != 0 || after.UIDNext != 1 {
			t.Errorf("%s after recreate: %+v, before %+v", f, after, before)
		}
		if err := d.Deliver("alice", f, msgs[0]); err != nil {
			t.Fatal(err)
		}
		if st, err := d.Status("alice", f); err != nil || st.UIDNext != 2 {
			t.Errorf("%s after a new delivery: %+v, %v", f, st, err)
		}
	}

	// The recreated special folder keeps its attribute; "." separates.
	c := d.IMAPSClientT(t, "alice", nil)
	list, err := c.List("", "Archive", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil || len(list) != 1 || !slices.Contains(list[0].Attrs, imap.MailboxAttrArchive) || list[0].Delim != '.' {
		t.Errorf("LIST Archive after recreate: %+v, %v", list, err)
	}

	if err := d.SetUIDValidity("alice", "INBOX", 4242); err != nil {
		t.Fatal(err)
	}
	if err := d.AddFlags("alice", "INBOX", 1, `\Seen`, `\Flagged`); err != nil {
		t.Fatal(err)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.UIDValidity != 4242 || st.Unseen != 0 || st.Messages != 1 {
		t.Errorf("after SetUIDValidity and AddFlags: %+v, %v", st, err)
	}
	if err := d.RemoveFlags("alice", "INBOX", 1, `\Seen`); err != nil {
		t.Fatal(err)
	}
	if err := d.Expunge("alice", "INBOX", 1); err != nil {
		t.Fatal(err)
	}
	if st, err := d.Status("alice", "INBOX"); err != nil || st.Messages != 0 {
		t.Errorf("after Expunge: %+v, %v", st, err)
	}
}

func TestDisabledCapabilities(t *testing.T) {
	d := StartT(t, Options{DisableIDLE: true, DisableCondstore: true, MaxUserIPConnections: 3})
	c := d.IMAPSClientT(t, "bob", nil)
	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatalf("capability: %v", err)
	}
	for _, gone := range []imap.Cap{imap.CapIdle, imap.CapCondStore, imap.CapQResync} {
		if _, ok := caps[gone]; ok {
			t.Errorf("CAPABILITY still has %s", gone)
		}
	}
	if _, ok := caps[imap.CapMove]; !ok {
		t.Error("CAPABILITY lost MOVE")
	}
	d.IMAPSClientT(t, "bob", nil)
	d.IMAPSClientT(t, "bob", nil)
	extra, err := imapclient.DialTLS(d.IMAPSAddr(), &imapclient.Options{TLSConfig: d.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := extra.Login("bob", d.Password("bob")).Wait(); err == nil {
		t.Error("a fourth connection was allowed with MaxUserIPConnections 3")
	}
}

func TestStartValidatesAndCleansUp(t *testing.T) {
	RequireAvailable(t)
	ctx := context.Background()
	for _, opts := range []Options{
		{Users: []User{{Name: "Alice", Password: "x"}}},
		{Users: []User{{Name: "a:b", Password: "x"}}},
		{Users: []User{{Name: "dave", Password: "pw:with:colons"}}},
		{Separator: "\\"},
	} {
		if _, err := Start(ctx, opts); err == nil {
			t.Errorf("Start(%+v) succeeded", opts)
		}
	}
	d, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := d.Dir
	if !regexp.MustCompile(`BEGIN CERTIFICATE`).Match(d.CAPEM) {
		t.Error("CAPEM is not PEM")
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := d.Restart(ctx); err == nil {
		t.Error("Restart after Stop succeeded")
	}
	if _, err := net.DialTimeout("tcp", d.IMAPAddr(), time.Second); err == nil {
		t.Error("port still open after Stop")
	}
	if _, err := Start(ctx, Options{Dir: dir + "/has space"}); err == nil {
		t.Error("Start accepted a directory with a space")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary dir %s left behind: %v", dir, err)
	}
}

func TestGivenDirIsKeptAndReused(t *testing.T) {
	RequireAvailable(t)
	ctx := context.Background()
	if _, err := Start(ctx, Options{Dir: t.TempDir()}); err == nil {
		t.Error("Start accepted a Dir below a 0700 directory")
	}
	dir, err := os.MkdirTemp("", "pbdc-reuse-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver("bob", "Junk", Generate(9, 4, GenOptions{})...); err != nil {
		t.Fatal(err)
	}
	before, err := d.Status("bob", "Junk")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	d, err = Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatalf("second start on the same Dir: %v", err)
	}
	defer d.Stop()
	after, err := d.Status("bob", "Junk")
	if err != nil || after != before {
		t.Errorf("Junk after reuse: %+v, %v; before %+v", after, err, before)
	}
}
