package accounts

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/rules"
	"postbode/types"
)

// shopRules file mail from the shop of each account: tagged, read, flagged, copied to Archive
// and moved to Shop.
func shopRules() rules.Set {
	var s rules.Set
	for _, acc := range []string{"imap", "pop"} {
		s.Rules = append(s.Rules, rules.Rule{Name: "Shop " + acc, Enabled: true, Match: rules.MatchAll,
			Conditions: []rules.Condition{
				{Field: rules.FieldFrom, Op: rules.OpContains, Value: "shop.example"},
				{Field: rules.FieldAccount, Op: rules.OpIs, Value: acc},
			},
			Actions: []rules.Action{
				{Kind: rules.ActTag, Keyword: "shopping"},
				{Kind: rules.ActMarkRead},
				{Kind: rules.ActFlag},
				{Kind: rules.ActCopy, Folder: &rules.Folder{Account: acc, Name: "Archive"}},
				{Kind: rules.ActMove, Folder: &rules.Folder{Account: acc, Name: "Shop"}},
			}})
	}
	return s
}

// seedFilterMail gives the accounts "imap" and "pop" an inbox of n messages with bodies, three in
// four from the shop, plus empty Shop and Archive folders; it returns the inbox messages' ids.
func seedFilterMail(t *testing.T, cache *localcache.Cache, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var all []int64
	for _, acc := range []string{"imap", "pop"} {
		inbox, err := cache.EnsureFolder(ctx, localcache.Folder{Account: acc, Name: "INBOX", Role: localcache.RoleInbox})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Shop", "Archive"} {
			if _, err := cache.EnsureFolder(ctx, localcache.Folder{Account: acc, Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		var msgs []localcache.Message
		var bodies []localcache.Body
		for i := range n {
			from := "news@shop.example"
			if i%4 == 0 {
				from = "friend@mail.test"
			}
			mid := fmt.Sprintf("%s-%d@mail.test", acc, i) // as the index keeps it: without <>
			raw := fmt.Sprintf("From: %s\r\nTo: %s@mail.test\r\nSubject: message %d\r\nMessage-ID: <%s>\r\n\r\nhello %d\r\n", from, acc, i, mid, i)
			bodies = append(bodies, localcache.Body{Account: acc, Raw: []byte(raw)})
			msg := localcache.Message{Account: acc, FolderID: inbox.ID, FromAddr: from, Subject: fmt.Sprint("message ", i),
				MessageID: mid, Date: time.Unix(int64(1_700_000_000+i), 0), Size: int64(len(raw)), BodyKey: localcache.BodyKey(acc, []byte(raw))}
			if acc == "imap" {
				msg.UID = uint32(i + 1)
			} else {
				msg.UIDL = fmt.Sprint("u", i)
			}
			msgs = append(msgs, msg)
		}
		if _, err := cache.PutBodies(ctx, bodies); err != nil {
			t.Fatal(err)
		}
		ids, err := cache.AddMessages(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ids...)
	}
	return all
}

// filterOutcome describes where the accounts' mail is and what the IMAP account queued for its
// server, to compare two runs.
func filterOutcome(t *testing.T, cache *localcache.Cache) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	for _, acc := range []string{"imap", "pop"} {
		for _, name := range []string{"INBOX", "Shop", "Archive"} {
			f, err := cache.FolderByName(ctx, acc, name)
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := cache.Page(ctx, []int64{f.ID}, nil, 100_000)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				lines = append(lines, fmt.Sprintf("%s/%s %s flags=%d keywords=%q", acc, name, m.MessageID, m.Flags, m.Keywords))
			}
		}
	}
	ops, err := cache.PendingOps(ctx, "imap")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		items := 0
		if mo, ok := op.Op.(interface{ Messages() []localcache.OpItem }); ok {
			items = len(mo.Messages())
		}
		lines = append(lines, fmt.Sprintf("op %s folder=%d items=%d %+v", op.Op.Kind(), op.FolderID, items, op.Op))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// The rules do their actions once through the Manager: locally for POP3, queued for the server for
// IMAP; a message that matches no rule stays; the queue ends empty.
func TestRunFiltersActsOnceThroughTheManager(t *testing.T) {
	m, cache, ctx := startTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	m.opt.RulesPath = filepath.Join(t.TempDir(), "rules.json")
	if err := m.SetRules(shopRules()); err != nil {
		t.Fatal(err)
	}
	if back, err := LoadRules(m.opt.RulesPath); err != nil || len(back.Rules) != 2 {
		t.Fatalf("rules file read back: %+v, %v", back, err)
	}
	ids := seedFilterMail(t, cache, 8)
	if err := cache.QueueFilters(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if err := m.RunFilters(ctx); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []string{"imap", "pop"} {
		for name, want := range map[string]int{"INBOX": 2, "Shop": 6, "Archive": 6} {
			f, _ := cache.FolderByName(ctx, acc, name)
			msgs, _ := cache.Page(ctx, []int64{f.ID}, nil, 100)
			if len(msgs) != want {
				t.Fatalf("%s/%s holds %d, want %d", acc, name, len(msgs), want)
			}
			for _, msg := range msgs {
				if name == "Shop" && (!msg.Flags.Has(localcache.FlagSeen|localcache.FlagFlagged) || msg.Keywords != "shopping") {
					t.Fatalf("%s/%s: %+v", acc, name, msg)
				}
			}
		}
	}
	ops, _ := cache.PendingOps(ctx, "imap")
	kinds := map[localcache.OpKind]int{}
	for _, op := range ops {
		kinds[op.Op.Kind()]++
	}
	if kinds[localcache.OpMove] == 0 || kinds[localcache.OpKeywords] == 0 || kinds[localcache.OpFlags] == 0 || kinds[localcache.OpTransfer] == 0 {
		t.Fatalf("imap queued %v", kinds)
	}
	if ops, _ := cache.PendingOps(ctx, "pop"); len(ops) != 0 {
		t.Fatalf("pop queued %+v", ops)
	}
	if left, _ := cache.FilterQueue(ctx, 0, 10); len(left) != 0 {
		t.Fatalf("queue left %+v", left)
	}
	// Run filters now on Shop runs the rules again, as asked: one more copy each in Archive.
	before := filterOutcome(t, cache)
	shop, _ := cache.FolderByName(ctx, "pop", "Shop")
	if err := m.RunFiltersOn(ctx, shop.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.RunFilters(ctx); err != nil {
		t.Fatal(err)
	}
	after := filterOutcome(t, cache)
	if strings.Count(after, "pop/Archive") != 2*strings.Count(before, "pop/Archive") {
		t.Fatalf("after running the rules on Shop:\n%s", after)
	}
}

// New mail reported by an engine is queued and filtered by the running Manager; with no enabled
// rule nothing is queued.
func TestNewMailIsFiltered(t *testing.T) {
	m, cache, ctx := startTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	m.opt.RulesPath = filepath.Join(t.TempDir(), "rules.json")
	ids := seedFilterMail(t, cache, 4)
	popIDs := ids[4:]
	var news []localcache.Message
	for _, id := range popIDs {
		msg, _ := cache.Message(ctx, id)
		news = append(news, msg)
	}
	m.observe(types.NewMail{Account: "pop", Folder: "INBOX", Messages: news})
	if q, _ := cache.FilterQueue(ctx, 0, 10); len(q) != 0 {
		t.Fatalf("queued without rules: %+v", q)
	}
	if err := m.SetRules(shopRules()); err != nil {
		t.Fatal(err)
	}
	m.observe(types.NewMail{Account: "pop", Folder: "INBOX", Messages: news})
	shop, _ := cache.FolderByName(ctx, "pop", "Shop")
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, _ := cache.Page(ctx, []int64{shop.ID}, nil, 10)
		if len(msgs) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Shop holds %d messages", len(msgs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Environment of the child process of TestFiltersSurviveSIGKILL.
const envFilterChild = "POSTBODE_FILTER_CHILD_DIR"

// TestFilterChildProcess is the child of TestFiltersSurviveSIGKILL: it runs the queued filters
// on the cache in its environment until done or killed. Run on its own it has nothing to do.
func TestFilterChildProcess(t *testing.T) {
	dir := os.Getenv(envFilterChild)
	if dir == "" {
		return
	}
	cache, err := localcache.Open(dir)
	if err != nil {
		fmt.Println("BAD", err)
		os.Exit(2)
	}
	m := filterManager(cache)
	go func() {
		for ev := range m.Events() {
			fmt.Println("EVENT", ev)
		}
	}()
	if err := m.RunFilters(context.Background()); err != nil {
		fmt.Println("BAD", err)
		os.Exit(2)
	}
	fmt.Println("DONE")
	os.Exit(0)
}

// filterManager is a Manager of the accounts "imap" and "pop" with shopRules and no engines.
func filterManager(cache *localcache.Cache) *Manager {
	cfg := &Config{}
	cfg.Add(sampleAccount("imap", types.IMAP))
	cfg.Add(sampleAccount("pop", types.POP3))
	return NewManager(cfg, cache, testkit.NewSecrets(ErrNoPassword, nil),
		map[types.Protocol]types.Backend{types.IMAP: {KeepsMailOnServer: true}, types.POP3: {}},
		Options{Rules: shopRules()})
}

// A filter run killed (SIGKILL) again and again, at random points between and inside actions,
// ends exactly where an undisturbed run ends: the same mail in the same folders with the same flags
// and tags, one copy per message, and the same operations queued for the IMAP server.
func TestFiltersSurviveSIGKILL(t *testing.T) {
	const n = 150
	ctx := context.Background()

	refCache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer refCache.Close()
	if err := refCache.QueueFilters(ctx, seedFilterMail(t, refCache, n)); err != nil {
		t.Fatal(err)
	}
	if err := filterManager(refCache).RunFilters(ctx); err != nil {
		t.Fatal(err)
	}
	want := filterOutcome(t, refCache)

	dir := t.TempDir()
	cache, err := localcache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	if err := cache.QueueFilters(ctx, seedFilterMail(t, cache, n)); err != nil {
		t.Fatal(err)
	}
	queued := func() []localcache.FilterEntry {
		q, err := cache.FilterQueue(ctx, 0, 10*n)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	kills, midAction := 0, 0
	for round := 0; ; round++ {
		left := len(queued())
		if left == 0 {
			break
		}
		if round > 4*n {
			t.Fatalf("the queue does not empty: %d left", left)
		}
		cmd, lines := testkit.StartChild(t, "TestFilterChildProcess", envFilterChild+"="+dir)
		finished := make(chan string, 1)
		go func() {
			var all []string
			for l := range lines {
				all = append(all, l)
			}
			finished <- strings.Join(all, "\n")
		}()
		// Kill once the child has got through a few messages (or a part of one), at a random moment.
		target := left - rand.IntN(6)
	wait:
		for {
			select {
			case out := <-finished:
				cmd.Wait()
				if !strings.Contains(out, "DONE") {
					t.Fatalf("child: %s", out)
				}
				break wait
			default:
			}
			q := queued()
			if len(q) < target || len(q) == target && len(q) > 0 && q[0].Step > 0 {
				time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
				if cmd.Process.Kill() == nil {
					kills++
				}
				cmd.Wait()
				<-finished
				if q := queued(); len(q) > 0 && q[0].Started {
					midAction++
				}
				break wait
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	if kills == 0 || midAction == 0 {
		t.Fatalf("%d kills, %d inside an action: the test proved nothing", kills, midAction)
	}
	t.Logf("%d messages filtered over %d SIGKILLs, %d of them inside an action", 2*n, kills, midAction)
	if got := filterOutcome(t, cache); got != want {
		count := map[string]int{}
		for _, l := range strings.Split(got, "\n") {
			count[l]++
		}
		for _, l := range strings.Split(want, "\n") {
			count[l]--
		}
		var extra, missing []string
		for l, n := range count {
			for ; n > 0; n-- {
				extra = append(extra, l)
			}
			for ; n < 0; n++ {
				missing = append(missing, l)
			}
		}
		t.Fatalf("after the crashes, compared with an undisturbed run:\nextra:\n%s\nmissing:\n%s",
			strings.Join(extra, "\n"), strings.Join(missing, "\n"))
	}
}
