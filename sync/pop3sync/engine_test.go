package pop3sync

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit/pop3test"
	"postbode/localcache"
	"postbode/sync/transport"
	"postbode/types"
)

func mail(uidl, subject string) pop3test.Message {
	return pop3test.Message{UIDL: uidl, Data: []byte(fmt.Sprintf("From: Dirk <dirk@mail.test>\r\nTo: alice@mail.test\r\n"+
		"Subject: %s\r\nMessage-ID: <%s@mail.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\n\r\n"+
		".dotted line of %s\r\nbody\r\n", subject, subject, subject))}
}

func fakeHarness(t *testing.T, s *pop3test.Server, leave string) *harness {
	return newHarness(t, openCache(t, t.TempDir()), fakeAccount(s, types.SecurityPlain, leave), "alice-secret-pw")
}

// commandsLike returns the commands the server received that start with prefix.
func commandsLike(s *pop3test.Server, prefix string) []string {
	var out []string
	for _, c := range s.Commands() {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func uidlsOnServer(s *pop3test.Server) []string {
	var out []string
	for _, m := range s.Messages() {
		out = append(out, m.UIDL)
	}
	return out
}

func messageSums(msgs []pop3test.Message) map[[32]byte]int {
	out := map[[32]byte]int{}
	for _, m := range msgs {
		out[sha256.Sum256(m.Data)]++
	}
	return out
}

func TestLocalFoldersAndKeepPolicy(t *testing.T) {
	msgs := []pop3test.Message{mail("a", "one"), mail("b", "two")}
	s := pop3test.StartT(t, pop3test.Options{}, msgs...)
	h := fakeHarness(t, s, "") // default policy: keep
	h.mustSync()
	folders, err := h.cache.Folders(context.Background(), "fake")
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, f := range folders {
		roles = append(roles, f.Role+"="+f.Name)
	}
	slices.Sort(roles)
	want := []string{"archive=Archive", "drafts=Drafts", "inbox=Inbox", "junk=Junk", "sent=Sent", "trash=Trash"}
	if !slices.Equal(roles, want) {
		t.Fatalf("folders %v", roles)
	}
	if !maps.Equal(h.bodySums(), messageSums(msgs)) {
		t.Fatal("bodies differ")
	}
	if len(commandsLike(s, "DELE")) != 0 || len(s.Messages()) != 2 {
		t.Fatal("keep policy deleted something")
	}
}

func TestDeleteOnlyDurableCopies(t *testing.T) {
	var msgs []pop3test.Message
	for i := range 120 { // more than two batches
		msgs = append(msgs, mail(fmt.Sprintf("u%03d", i), fmt.Sprintf("m%03d", i)))
	}
	s := pop3test.StartT(t, pop3test.Options{}, msgs...)
	h := fakeHarness(t, s, types.LeaveDelete)

	// Whenever a DELE has been sent, its message must be stored, indexed and recorded.
	checked := 0
	h.eng.testHook = func(step string) {
		if step != "after-dele" {
			return
		}
		ctx := context.Background()
		recs, err := h.cache.UIDLs(ctx, "fake")
		if err != nil {
			t.Error(err)
			return
		}
		stored := storedSums(t, h.cache, "fake")
		byUIDL := map[string]pop3test.Message{}
		for _, m := range msgs {
			byUIDL[m.UIDL] = m
		}
		for _, c := range commandsLike(s, "DELE ") {
			var n int
			fmt.Sscanf(c, "DELE %d", &n)
			m := msgs[n-1] // the session began with the full maildrop
			if _, ok := recs[m.UIDL]; !ok || !stored[sha256.Sum256(m.Data)] {
				t.Errorf("DELE %d (%s) sent before its copy was durable", n, m.UIDL)
			}
			checked++
		}
	}
	h.mustSync()
	h.eng.testHook = nil
	if checked != len(msgs) {
		t.Fatalf("checked %d DELEs", checked)
	}
	if len(s.Messages()) != 0 {
		t.Fatalf("%d messages left", len(s.Messages()))
	}
	if !maps.Equal(h.bodySums(), messageSums(msgs)) {
		t.Fatal("bodies differ")
	}
}

func TestDisconnectMidDownloadDeletesNothing(t *testing.T) {
	var msgs []pop3test.Message
	for i := range 5 {
		msgs = append(msgs, mail(fmt.Sprintf("u%d", i), fmt.Sprintf("m%d", i)))
	}
	s := pop3test.StartT(t, pop3test.Options{DropAfterRetr: 3}, msgs...)
	h := fakeHarness(t, s, types.LeaveDelete)
	if err := h.sync(); err == nil {
		t.Fatal("a dropped connection went unnoticed")
	}
	if len(commandsLike(s, "DELE")) != 0 || len(s.Messages()) != 5 {
		t.Fatal("deleted after a failed session")
	}
	// The two whole messages were kept, the cut one was not.
	if got := h.inbox(); len(got) != 2 {
		t.Fatalf("kept %d messages", len(got))
	}
	s.Configure(func(o *pop3test.Options) { o.DropAfterRetr = 0 })
	h.mustSync()
	if len(s.Messages()) != 0 {
		t.Fatal("not deleted after a good session")
	}
	if !maps.Equal(h.bodySums(), messageSums(msgs)) {
		t.Fatal("bodies differ (or duplicated)")
	}
}

func TestConnectionDroppedBeforeQuitDeletesNothing(t *testing.T) {
	msgs := []pop3test.Message{mail("a", "one"), mail("b", "two"), mail("c", "three")}
	s := pop3test.StartT(t, pop3test.Options{DropOnQuit: true}, msgs...)
	h := fakeHarness(t, s, types.LeaveDelete)
	err := h.sync()
	if err == nil {
		t.Fatal("lost QUIT answer went unnoticed")
	}
	if n := len(newMail(h.ev.Take())); n != 3 {
		t.Fatalf("first poll announced %d messages", n)
	}
	if len(commandsLike(s, "DELE")) != 3 {
		t.Fatalf("DELEs %v", commandsLike(s, "DELE"))
	}
	if len(s.Messages()) != 3 {
		t.Fatal("the server deleted without QUIT")
	}
	recs, _ := h.cache.UIDLs(context.Background(), "fake")
	for u, r := range recs {
		if !r.DeletedAt.IsZero() {
			t.Fatalf("%s recorded as deleted although QUIT failed", u)
		}
	}
	s.Configure(func(o *pop3test.Options) { o.DropOnQuit = false })
	evs := h.mustSync()
	if len(newMail(evs)) != 0 {
		t.Fatal("downloaded again")
	}
	if len(s.Messages()) != 0 {
		t.Fatal("not deleted on the next good session")
	}
	recs, _ = h.cache.UIDLs(context.Background(), "fake")
	for u, r := range recs {
		if r.DeletedAt.IsZero() {
			t.Fatalf("%s not recorded as deleted", u)
		}
	}
	if len(h.inbox()) != 3 {
		t.Fatalf("inbox %d", len(h.inbox()))
	}
}

func TestServerWithoutUIDL(t *testing.T) {
	msgs := []pop3test.Message{mail("", "one"), mail("", "two"), mail("", "two")} // two identical
	msgs[2] = msgs[1]
	s := pop3test.StartT(t, pop3test.Options{NoUIDL: true}, msgs...)
	cache := openCache(t, t.TempDir())
	acc := fakeAccount(s, types.SecurityPlain, types.LeaveDelete)
	h := newHarness(t, cache, acc, "alice-secret-pw")
	evs := h.mustSync()
	ns := notices(evs)
	if len(ns) != 1 || !strings.Contains(ns[0], "does not support UIDL") || !strings.Contains(ns[0], "never deletes") {
		t.Fatalf("notices %q", ns)
	}
	if n := len(newMail(evs)); n != 2 {
		t.Fatalf("downloaded %d, want the two distinct messages", n)
	}
	for _, m := range h.inbox() {
		if m.UIDL != "" {
			t.Fatalf("message has UIDL %q", m.UIDL)
		}
	}
	if slices.ContainsFunc(s.Commands(), func(c string) bool { return strings.HasPrefix(c, "DELE") }) {
		t.Fatalf("sent DELE: %v", s.Commands())
	}

	// The same session (engine) does not fetch them again, and says nothing again.
	retrs := len(commandsLike(s, "RETR"))
	evs = h.mustSync()
	if len(newMail(evs)) != 0 || len(notices(evs)) != 0 || len(commandsLike(s, "RETR")) != retrs {
		t.Fatalf("second poll: %d new, notices %q, RETRs %d→%d", len(newMail(evs)), notices(evs), retrs, len(commandsLike(s, "RETR")))
	}
	// A new message is found.
	s.Add(mail("", "three"))
	evs = h.mustSync()
	if nm := newMail(evs); len(nm) != 1 || nm[0].Subject != "three" {
		t.Fatalf("new message: %+v", nm)
	}
	if got := len(commandsLike(s, "RETR")); got != retrs+1 {
		t.Fatalf("RETRs %d, want %d", got, retrs+1)
	}

	// After a restart everything is read again but recognised: nothing is added twice.
	h2 := newHarness(t, cache, acc, "alice-secret-pw")
	evs = h2.mustSync()
	if len(newMail(evs)) != 0 || len(h2.inbox()) != 3 {
		t.Fatalf("restart: %d new, inbox %d", len(newMail(evs)), len(h2.inbox()))
	}
	// A message deleted here stays deleted after a restart, and is still never deleted there.
	in := h2.inbox()
	if err := cache.Expunge(context.Background(), []int64{in[0].ID}, true); err != nil {
		t.Fatal(err)
	}
	h3 := newHarness(t, cache, acc, "alice-secret-pw")
	evs = h3.mustSync()
	if len(newMail(evs)) != 0 || len(h3.inbox()) != 2 {
		t.Fatalf("after local delete: %d new, inbox %d", len(newMail(evs)), len(h3.inbox()))
	}
	if len(s.Messages()) != 4 || len(commandsLike(s, "DELE")) != 0 {
		t.Fatal("a server without UIDL lost messages")
	}
}

func TestDuplicateUIDLsAreNeverDeleted(t *testing.T) {
	msgs := []pop3test.Message{mail("same", "one"), mail("same", "two"), mail("own", "three")}
	s := pop3test.StartT(t, pop3test.Options{}, msgs...)
	h := fakeHarness(t, s, types.LeaveDelete)
	evs := h.mustSync()
	if ns := notices(evs); len(ns) != 1 || !strings.Contains(ns[0], "same UIDL") {
		t.Fatalf("notices %q", ns)
	}
	if !maps.Equal(h.bodySums(), messageSums(msgs)) {
		t.Fatal("not all three downloaded")
	}
	if d := commandsLike(s, "DELE"); !slices.Equal(d, []string{"DELE 3"}) {
		t.Fatalf("DELEs %v", d)
	}
	if u := uidlsOnServer(s); !slices.Equal(u, []string{"same", "same"}) {
		t.Fatalf("server has %v", u)
	}
	// The next polls neither fetch nor delete them.
	retrs := len(commandsLike(s, "RETR"))
	evs = h.mustSync()
	if len(newMail(evs)) != 0 || len(commandsLike(s, "RETR")) != retrs || len(commandsLike(s, "DELE")) != 1 {
		t.Fatalf("second poll touched the duplicates: %v", s.Commands())
	}
	// A UIDL recorded earlier that later shows up twice is not deleted either.
	s2 := pop3test.StartT(t, pop3test.Options{}, mail("x", "first"))
	h2 := fakeHarness(t, s2, types.LeaveKeep)
	h2.mustSync()
	s2.Add(mail("x", "impostor"))
	h2.acc.POP3.Leave = types.LeaveDelete
	h2.eng.acc.POP3.Leave = types.LeaveDelete
	h2.mustSync()
	if len(commandsLike(s2, "DELE")) != 0 || len(s2.Messages()) != 2 {
		t.Fatalf("deleted a duplicate: %v", s2.Commands())
	}
	if len(h2.inbox()) != 2 {
		t.Fatalf("inbox %d, want both", len(h2.inbox()))
	}
}

func TestSTLSStrippingSendsNoCredentials(t *testing.T) {
	cases := []pop3test.Options{
		{}, // no STLS in CAPA
		{OfferSTLS: true, STLSAnswer: "-ERR not today"},
	}
	for i, opts := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := pop3test.StartT(t, opts, mail("a", "secret"))
			acc := fakeAccount(s, types.SecurityStartTLS, types.LeaveDelete)
			h := newHarness(t, openCache(t, t.TempDir()), acc, "alice-secret-pw")
			err := h.sync()
			if !errors.Is(err, transport.ErrStartTLSUnavailable) && !errors.Is(err, transport.ErrStartTLSRefused) {
				t.Fatalf("got %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := Test(ctx, acc, "alice-secret-pw"); err == nil {
				t.Fatal("Test succeeded without TLS")
			}
			for _, c := range s.Commands() {
				up := strings.ToUpper(c)
				if strings.HasPrefix(up, "USER") || strings.HasPrefix(up, "PASS") || strings.HasPrefix(up, "AUTH") ||
					strings.Contains(c, "alice-secret-pw") {
					t.Fatalf("sent %q without TLS", c)
				}
			}
			if len(h.inbox()) != 0 || len(s.Messages()) != 1 {
				t.Fatal("something was downloaded or deleted")
			}
		})
	}
}

func TestAuthPlainWhenUSERIsNotOffered(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{NoUSER: true, SASLPlain: true}, mail("a", "one"))
	h := fakeHarness(t, s, types.LeaveKeep)
	h.mustSync()
	if len(h.inbox()) != 1 || len(commandsLike(s, "USER")) != 0 || len(commandsLike(s, "AUTH PLAIN")) != 1 {
		t.Fatalf("commands %v", s.Commands())
	}
}

func TestDaysPolicy(t *testing.T) {
	msgs := []pop3test.Message{mail("old", "old"), mail("new", "new")}
	s := pop3test.StartT(t, pop3test.Options{}, msgs...)
	h := fakeHarness(t, s, types.LeaveDays)
	h.eng.acc.POP3.Days = 7
	h.mustSync()
	if len(commandsLike(s, "DELE")) != 0 {
		t.Fatal("deleted fresh downloads")
	}
	// Pretend "old" was downloaded ten days ago.
	ctx := context.Background()
	if err := h.cache.ForgetUIDLs(ctx, "fake", []string{"old"}); err != nil {
		t.Fatal(err)
	}
	if err := h.cache.SaveUIDLs(ctx, "fake", []string{"old"}, time.Now().Add(-10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	if u := uidlsOnServer(s); !slices.Equal(u, []string{"new"}) {
		t.Fatalf("server has %v", u)
	}
	if len(h.inbox()) != 2 {
		t.Fatal("local copies changed")
	}
}

func TestDeleteLocally(t *testing.T) {
	msgs := []pop3test.Message{mail("a", "one"), mail("b", "two"), mail("c", "three")}
	s := pop3test.StartT(t, pop3test.Options{}, msgs...)
	h := fakeHarness(t, s, types.LeaveDeleteLocally)
	h.mustSync()
	if len(commandsLike(s, "DELE")) != 0 {
		t.Fatal("deleted before anything was deleted locally")
	}
	var two localcache.Message
	for _, m := range h.inbox() {
		if m.UIDL == "b" {
			two = m
		}
	}
	ctx := context.Background()
	// As the Manager does for a delete from Trash under this policy.
	if err := h.cache.Expunge(ctx, []int64{two.ID}, true); err != nil {
		t.Fatal(err)
	}
	s.Configure(func(o *pop3test.Options) { o.DropOnQuit = true })
	if err := h.sync(); err == nil {
		t.Fatal("lost QUIT went unnoticed")
	}
	if ops, _ := h.cache.PendingOps(ctx, "fake"); len(ops) != 1 {
		t.Fatalf("pending op completed although QUIT failed: %d left", len(ops))
	}
	s.Configure(func(o *pop3test.Options) { o.DropOnQuit = false })
	h.mustSync()
	if u := uidlsOnServer(s); !slices.Equal(u, []string{"a", "c"}) {
		t.Fatalf("server has %v", u)
	}
	if ops, _ := h.cache.PendingOps(ctx, "fake"); len(ops) != 0 {
		t.Fatalf("%d pending ops left", len(ops))
	}
	if len(h.inbox()) != 2 {
		t.Fatal("inbox changed")
	}
}

func TestOversizedMessageIsSkipped(t *testing.T) {
	big := mail("big", "big")
	big.Data = append(big.Data, strings.Repeat("x", 4000)+"\r\n"...)
	msgs := []pop3test.Message{mail("a", "one"), big, mail("c", "three")}
	s := pop3test.StartT(t, pop3test.Options{}, msgs...)
	h := fakeHarness(t, s, types.LeaveDelete)
	h.eng.maxMessage = 2000
	evs := h.mustSync()
	if ns := notices(evs); len(ns) != 1 || !strings.Contains(ns[0], "larger than") {
		t.Fatalf("notices %q", ns)
	}
	if len(h.inbox()) != 2 || len(commandsLike(s, "RETR 2")) != 0 {
		t.Fatal("the big message was fetched")
	}
	if u := uidlsOnServer(s); !slices.Equal(u, []string{"big"}) {
		t.Fatalf("server has %v", u)
	}
	if evs := h.mustSync(); len(notices(evs)) != 0 {
		t.Fatal("the notice is repeated every poll")
	}
}

func TestRunPollsOnWakeAndStops(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{}, mail("a", "one"))
	acc := fakeAccount(s, types.SecurityPlain, types.LeaveKeep)
	acc.POP3.PollInterval.Duration = time.Hour
	got := make(chan types.Event, 100)
	eng := New(types.EngineDeps{
		Account: acc, Cache: openCache(t, t.TempDir()),
		Password: func() (string, error) { return "alice-secret-pw", nil },
		Emit:     func(e types.Event) { got <- e },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	waitNewMail := func(subject string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case e := <-got:
				if nm, ok := e.(types.NewMail); ok {
					if nm.Messages[0].Subject != subject {
						t.Fatalf("got %q", nm.Messages[0].Subject)
					}
					return
				}
			case <-timeout:
				t.Fatalf("no NewMail for %q", subject)
			}
		}
	}
	waitNewMail("one")
	s.Add(mail("b", "two"))
	eng.Wake()
	eng.Wake() // never blocks
	waitNewMail("two")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestRunReturnsOnFailure(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{AuthFail: "no such password: {pass}"})
	acc := fakeAccount(s, types.SecurityPlain, types.LeaveKeep)
	eng := New(types.EngineDeps{
		Account: acc, Cache: openCache(t, t.TempDir()),
		Password: func() (string, error) { return "wrong", nil },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := eng.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "no such password: [redacted]") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("Run: %v", err)
	}
}

// A poll that had nothing to do remembers the listing; the next one with the same listing and
// records stops after UIDL without reading the records, and any change (a local deletion queued,
// new mail, a record gone) makes a poll do its whole work again.
func TestQuietPollsStopAtTheSameListing(t *testing.T) {
	s := pop3test.StartT(t, pop3test.Options{}, mail("a", "one"), mail("b", "two"), mail("c", "three"))
	h := fakeHarness(t, s, types.LeaveDeleteLocally)
	same := 0
	h.eng.testHook = func(step string) {
		if step == "same-listing" {
			same++
		}
	}
	h.mustSync() // downloads
	h.mustSync() // nothing to do: remembered
	if same != 0 {
		t.Fatalf("a poll after a download stopped at the listing")
	}
	h.mustSync()
	h.mustSync()
	if same != 2 || len(commandsLike(s, "RETR")) != 3 || len(commandsLike(s, "LIST")) != 1 {
		t.Fatalf("quiet polls: %d stopped at the listing; RETR %d, LIST %d", same, len(commandsLike(s, "RETR")), len(commandsLike(s, "LIST")))
	}

	ctx := context.Background()
	var two localcache.Message
	for _, m := range h.inbox() {
		if m.UIDL == "b" {
			two = m
		}
	}
	if err := h.cache.Expunge(ctx, []int64{two.ID}, true); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	if u := uidlsOnServer(s); same != 2 || !slices.Equal(u, []string{"a", "c"}) {
		t.Fatalf("a queued deletion: %d stopped at the listing, server has %v", same, u)
	}

	s.Add(mail("d", "four"))
	h.mustSync()
	if same != 2 || len(h.inbox()) != 3 {
		t.Fatalf("new mail: %d stopped at the listing, inbox %d", same, len(h.inbox()))
	}
	h.mustSync() // quiet again
	if err := h.cache.ForgetUIDLs(ctx, "fake", []string{"d"}); err != nil {
		t.Fatal(err)
	}
	h.mustSync() // "d" downloaded again
	h.mustSync() // quiet: remembered
	if same != 2 {
		t.Fatal("a poll stopped at the listing although a record had changed")
	}
	h.mustSync()
	if same != 3 {
		t.Fatalf("%d polls stopped at the listing, want 3", same)
	}
}
