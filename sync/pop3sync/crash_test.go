package pop3sync

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

// Environment of the child process of TestCrashAtEachStep.
const (
	envCrashStep     = "POP3SYNC_CRASH_STEP"
	envCrashProfile  = "POP3SYNC_CRASH_PROFILE"
	envCrashAccount  = "POP3SYNC_CRASH_ACCOUNT"
	envCrashPassword = "POP3SYNC_CRASH_PASSWORD"
)

// TestHelperProcess is the child of TestCrashAtEachStep: it runs one poll and stops dead at the
// step named in its environment, where the parent kills it with SIGKILL. Run on its own (no
// environment) it has nothing to do.
// testBatch is the tests' batch size (Engine.batchMessages), so that small mailboxes make several.
const testBatch = 50

func TestHelperProcess(t *testing.T) {
	step := os.Getenv(envCrashStep)
	if step == "" {
		return
	}
	var acc types.Account
	if err := json.Unmarshal([]byte(os.Getenv(envCrashAccount)), &acc); err != nil {
		fmt.Println("BAD ACCOUNT", err)
		os.Exit(2)
	}
	cache, err := localcache.Open(os.Getenv(envCrashProfile))
	if err != nil {
		fmt.Println("BAD CACHE", err)
		os.Exit(2)
	}
	eng := newEngine(types.EngineDeps{
		Account: acc, Cache: cache,
		Password: func() (string, error) { return os.Getenv(envCrashPassword), nil },
	})
	eng.batchMessages = testBatch
	eng.testHook = func(s string) {
		if s == step {
			fmt.Println("AT " + s)
			time.Sleep(time.Hour) // the parent kills us here
		}
	}
	err = eng.SyncOnce(context.Background())
	fmt.Printf("FINISHED without reaching %s: %v\n", step, err)
	os.Exit(3)
}

func TestCrashAtEachStep(t *testing.T) {
	steps := []string{"after-retr", "after-store", "after-index", "after-uidl", "after-dele"}
	var users []testbed.User
	for _, s := range steps {
		users = append(users, testbed.User{Name: s, Password: s + "-pw"})
	}
	d := testbed.StartT(t, testbed.Options{Users: users})
	const n = 120 // more than two batches of testBatch
	for i, step := range steps {
		t.Run(step, func(t *testing.T) {
			msgs := testbed.Generate(int64(100+i), n, testbed.GenOptions{End: genEnd, AttachmentRatio: -1})
			if err := d.Deliver(step, "INBOX", msgs...); err != nil {
				t.Fatal(err)
			}
			want := sums(msgs)
			profile := t.TempDir()
			acc := dovecotAccount(d, step, types.SecurityTLS, types.LeaveDelete)
			accJSON, _ := json.Marshal(acc)

			cmd, lines := testkit.StartChild(t, "TestHelperProcess", envCrashStep+"="+step, envCrashProfile+"="+profile,
				envCrashAccount+"="+string(accJSON), envCrashPassword+"="+step+"-pw")
			reached := make(chan string, 1)
			go func() {
				for l := range lines {
					if strings.HasPrefix(l, "AT ") || strings.HasPrefix(l, "FINISHED") || strings.HasPrefix(l, "BAD") {
						reached <- l
						return
					}
				}
				reached <- "child exited"
			}()
			select {
			case l := <-reached:
				if l != "AT "+step {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("child: %s", l)
				}
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("child never reached the step")
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no QUIT
				t.Fatal(err)
			}
			cmd.Wait()

			// Right after the crash nothing is lost: every message is on the server or stored.
			cache := openCache(t, profile)
			onServer := maildirSums(t, d, step)
			stored := storedSums(t, cache, acc.Name)
			for sum := range want {
				if onServer[sum] == 0 && !stored[sum] {
					t.Fatalf("a message is neither on the server nor in the cache")
				}
			}
			recs, err := cache.UIDLs(context.Background(), acc.Name)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, cache, acc, step+"-pw")
			indexed := len(h.inbox())
			// What each step has made durable, with batches of testBatch. Bodies are stored
			// on a goroutine of their own, so once the first batch is stored the next may be too.
			expect := map[string][4]int{ // server, stored, indexed, records
				"after-retr":  {n, 0, 0, 0},
				"after-store": {n, testBatch, 0, 0},
				"after-index": {n, -1, testBatch, 0},
				"after-uidl":  {n, -1, testBatch, testBatch},
				"after-dele":  {n, n, n, n},
			}[step]
			got := [4]int{len(onServer), len(stored), indexed, len(recs)}
			if expect[1] == -1 && got[1] >= testBatch && got[1] <= n {
				expect[1] = got[1]
			}
			if got != expect {
				t.Fatalf("after the crash: server, stored, indexed, records = %v, want %v", got, expect)
			}

			// Restart with the same profile: the poll completes; everything is here exactly once
			// and the server is empty.
			h.mustSync()
			if left := maildirSums(t, d, step); len(left) != 0 {
				t.Fatalf("%d messages left on the server", len(left))
			}
			if got := h.bodySums(); !maps.Equal(got, want) {
				dups, missing := 0, 0
				for _, c := range got {
					dups += c - 1
				}
				for s := range want {
					if got[s] == 0 {
						missing++
					}
				}
				t.Fatalf("after restart: %d missing, %d duplicates", missing, dups)
			}
			for _, m := range h.inbox() {
				if m.UIDL == "" {
					t.Fatalf("message %q has no UIDL", m.Subject)
				}
			}
		})
	}
}
