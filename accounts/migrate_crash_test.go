package accounts_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

// Environment of the child process of TestMoveKilledAndResumed.
const (
	envMoveKillAt  = "POSTBODE_MOVE_KILL_AT"
	envMoveProfile = "POSTBODE_MOVE_PROFILE"
	envMoveSetup   = "POSTBODE_MOVE_SETUP"
)

// moveKillPoints are where the move is killed, as the child reports them: while copies are
// queued, with an APPEND sent but its message not, with a message stored by the server but the
// answer (its UID) not received, after an answered APPEND before the next command, and while the
// read/flag state of the copies the server held already is stored.
var moveKillPoints = []string{"queued-450", "appending-100", "appended-unanswered-200", "appended-answered-300", "storing-flags"}

// moveSetup is what the child needs to know of the migration.
type moveSetup struct {
	Pop, IMAP types.Account
	Secrets   map[string]string
	IMAPAddr  string // the server's plaintext IMAP port, which the child's proxy forwards to
}

// TestMoveHelperProcess is the child of TestMoveKilledAndResumed: it runs the move and stops dead
// at the point named in its environment, which it reports on stdout; the parent then kills it
// with SIGKILL. Run on its own it has nothing to do.
func TestMoveHelperProcess(t *testing.T) {
	at := os.Getenv(envMoveKillAt)
	if at == "" {
		return
	}
	fail := func(what string, err error) {
		fmt.Println("BAD", what, err)
		os.Exit(2)
	}
	var setup moveSetup
	if err := json.Unmarshal([]byte(os.Getenv(envMoveSetup)), &setup); err != nil {
		fail("setup", err)
	}
	stop := func() {
		fmt.Println("AT " + at)
		time.Sleep(time.Hour) // the parent kills us here
	}
	// The IMAP account talks to the server through a proxy that watches the commands and answers.
	port, err := killingProxy(setup.IMAPAddr, at, stop)
	if err != nil {
		fail("proxy", err)
	}
	setup.IMAP.Incoming.Host, setup.IMAP.Incoming.Port, setup.IMAP.Incoming.Security = "127.0.0.1", port, types.SecurityPlain
	setup.IMAP.Incoming.CAFile = ""
	cache, err := localcache.Open(os.Getenv(envMoveProfile))
	if err != nil {
		fail("cache", err)
	}
	mg := &migration{pop: setup.Pop, imap: setup.IMAP, secrets: setup.Secrets}
	m := mg.manager(cache)
	ctx := context.Background()
	queued, _ := strconv.Atoi(strings.TrimPrefix(at, "queued-"))
	if _, err := m.CopyAccount(ctx, "pop", "imap", func(done, _ int) {
		if done == queued {
			stop()
		}
	}); err != nil {
		fail("copy", err)
	}
	for range 5 {
		if err := m.SyncOnce(ctx, "imap"); err != nil {
			fail("sync", err)
		}
	}
	fmt.Printf("FINISHED without reaching %s\n", at)
	os.Exit(3)
}

var (
	appendCmd   = regexp.MustCompile(`^[^ ]+ APPEND `)
	appendUIDOK = regexp.MustCompile(`^[^ ]+ OK \[APPENDUID `)
	storeCmd    = regexp.MustCompile(`^[^ ]+ UID STORE `)
)

// killingProxy forwards IMAP connections to addr and calls stop (which does not return) at the
// point at: "appending-N" once the Nth APPEND command went out, "appended-unanswered-N" instead
// of passing on the Nth APPENDUID answer, "appended-answered-N" instead of the command after it,
// "storing-flags" instead of the first UID STORE. It returns the port it listens on.
func killingProxy(addr, at string, stop func()) (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	point, nth := at, 0
	if i := strings.LastIndexByte(at, '-'); i > 0 {
		if n, err := strconv.Atoi(at[i+1:]); err == nil {
			point, nth = at[:i], n
		}
	}
	var mu sync.Mutex
	appends, answers, blockNext := 0, 0, false
	fromClient := func(line string) (after func()) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case blockNext:
			stop()
		case point == "storing-flags" && storeCmd.MatchString(line):
			stop()
		case appendCmd.MatchString(line):
			if appends++; point == "appending" && appends == nth {
				return stop // the command goes out, its message does not
			}
		}
		return nil
	}
	fromServer := func(line string) (after func()) {
		mu.Lock()
		defer mu.Unlock()
		if !appendUIDOK.MatchString(line) {
			return nil
		}
		answers++
		switch {
		case point == "appended-unanswered" && answers == nth:
			stop()
		case point == "appended-answered" && answers == nth:
			blockNext = true
		}
		return nil
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			go pipeLines(s, c, fromClient)
			go pipeLines(c, s, fromServer)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pipeLines copies src to dst, showing watch each line before it passes; what watch returns is
// called once the line has passed.
func pipeLines(dst io.WriteCloser, src io.ReadCloser, watch func(string) (after func())) {
	defer dst.Close()
	defer src.Close()
	r := bufio.NewReaderSize(src, 64<<10)
	atStart := true
	for {
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 {
			var after func()
			if atStart {
				after = watch(string(chunk))
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
			if after != nil {
				after()
			}
			atStart = chunk[len(chunk)-1] == '\n'
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// The move of TestMovePOP3AccountToIMAP (with a smaller Inbox) killed with SIGKILL at five points
// and run again: the server ends up the same, every message exactly once, with its state.
func TestMoveKilledAndResumed(t *testing.T) {
	for _, at := range moveKillPoints {
		t.Run(at, func(t *testing.T) {
			mg := migrationBed(t, 500)
			setup, _ := json.Marshal(moveSetup{Pop: mg.pop, IMAP: mg.imap, Secrets: mg.secrets, IMAPAddr: mg.d.IMAPAddr()})
			cmd, lines := testkit.StartChild(t, "TestMoveHelperProcess",
				envMoveKillAt+"="+at, envMoveProfile+"="+mg.dir, envMoveSetup+"="+string(setup))
			timeout := time.After(120 * time.Second)
		wait:
			for {
				select {
				case l, ok := <-lines:
					switch {
					case !ok:
						t.Fatal("the child ended without reaching the point")
					case l == "AT "+at:
						break wait
					case strings.HasPrefix(l, "FINISHED") || strings.HasPrefix(l, "BAD"):
						t.Fatalf("child: %s", l)
					}
				case <-timeout:
					t.Fatal("the child never reached the point")
				}
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no LOGOUT
				t.Fatal(err)
			}
			cmd.Wait()

			cache, err := localcache.Open(mg.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer cache.Close()
			res := mg.move(t, cache)
			t.Logf("resumed: %+v", res)
			mg.check(t)
		})
	}
}
