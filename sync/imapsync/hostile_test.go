package imapsync

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"postbode/internal/testkit/fakenet"
	"postbode/localcache"
)

// fakeIMAP is a scripted IMAP server on 127.0.0.2 (under the name mail.test, SECURITY.md rule 6)
// that serves one message in INBOX and misbehaves when asked for its body, per mode.
type fakeIMAP struct {
	t    testing.TB
	srv  *fakenet.Server
	mode string
	done chan struct{} // closed when the test ends, so that trickling sessions stop
}

const fakeHeader = "From: Mallory <m@mail.test>\r\nTo: alice@mail.test\r\nSubject: hello\r\n" +
	"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@mail.test>\r\n\r\n"

func startFake(t testing.TB, mode string) *fakeIMAP {
	t.Helper()
	f := &fakeIMAP{t: t, srv: fakenet.New(t), mode: mode, done: make(chan struct{})}
	t.Cleanup(func() { close(f.done) }) // runs before the server stops and closes the sessions
	f.srv.Serve(f.serve)
	return f
}

func (f *fakeIMAP) port() int { return f.srv.Port() }

func (f *fakeIMAP) serve(c net.Conn) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	send := func(lines ...string) bool {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		return w.Flush() == nil
	}
	caps := "IMAP4rev1 UIDPLUS IDLE"
	switch f.mode {
	case "esearch-bomb":
		caps += " ESEARCH"
	case "nocopyuid":
		caps += " MOVE"
	}
	selected := ""
	if !send("* OK [CAPABILITY " + caps + "] fake ready") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		up := strings.ToUpper(rest)
		ok := tag + " OK done"
		switch {
		case strings.HasPrefix(up, "CAPABILITY"):
			send("* CAPABILITY "+caps, ok)
		case strings.HasPrefix(up, "LOGIN"):
			send(tag + " OK [CAPABILITY " + caps + "] logged in")
		case strings.HasPrefix(up, "LIST"):
			send(`* LIST (\HasNoChildren) "/" INBOX`)
			if f.mode == "nocopyuid" {
				send(`* LIST (\HasNoChildren \Archive) "/" Archive`)
			}
			send(ok)
		case strings.HasPrefix(up, "STATUS ARCHIVE"):
			send(`* STATUS Archive (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 8 UNSEEN 0)`, ok)
		case strings.HasPrefix(up, "STATUS"):
			send(`* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 7 UNSEEN 1)`, ok)
		case strings.HasPrefix(up, "SELECT ARCHIVE"):
			selected = "Archive"
			send("* 0 EXISTS", "* OK [UIDVALIDITY 8] v", "* OK [UIDNEXT 1] n", tag+" OK [READ-WRITE] selected")
		case strings.HasPrefix(up, "SELECT"), strings.HasPrefix(up, "EXAMINE"):
			selected = "INBOX"
			send("* 1 EXISTS", "* OK [UIDVALIDITY 7] v", "* OK [UIDNEXT 2] n", `* FLAGS (\Seen \Deleted)`, tag+" OK [READ-WRITE] selected")
		case strings.HasPrefix(up, "UID MOVE") && selected == "INBOX":
			send("* 1 EXPUNGE", tag+" OK moved") // no COPYUID
		case strings.HasPrefix(up, "LOGOUT"):
			send("* BYE bye", ok)
			return
		case strings.HasPrefix(up, "UID SEARCH"):
			if f.mode == "esearch-bomb" {
				send(`* ESEARCH (TAG "`+tag+`") UID ALL 1:4000000000`, ok)
			} else {
				send("* SEARCH 1", ok)
			}
		case strings.HasPrefix(up, "UID FETCH") && strings.Contains(up, "HEADER.FIELDS"):
			if f.mode == "noise" {
				send("* 3 EXPUNGE", "* 7 EXISTS", `* 99 FETCH (FLAGS (\Seen))`, "* OK [ALERT] look here", "* 1 RECENT")
			}
			section := up[strings.Index(up, "BODY.PEEK[")+len("BODY.PEEK") : strings.LastIndex(up, "]")+1]
			send(fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 1000 INTERNALDATE "01-Jan-2024 10:00:00 +0000" BODY%s {%d}`,
				section, len(fakeHeader)))
			w.WriteString(fakeHeader)
			send(")", ok)
		case strings.HasPrefix(up, "UID FETCH") && strings.Contains(up, "BODY.PEEK[]"):
			if !f.body(w, tag) {
				return
			}
		case strings.HasPrefix(up, "UID FETCH"):
			send(`* 1 FETCH (UID 1 FLAGS ())`, ok)
		default:
			send(ok)
		}
	}
}

// body answers BODY.PEEK[] the hostile way; false ends the connection.
func (f *fakeIMAP) body(w *bufio.Writer, tag string) bool {
	trickle := func(s string, every time.Duration) bool {
		for {
			select {
			case <-f.done:
				return false
			case <-time.After(every):
			}
			if _, err := w.WriteString(s); err != nil || w.Flush() != nil {
				return false
			}
		}
	}
	switch f.mode {
	case "huge-literal":
		w.WriteString("* 1 FETCH (UID 1 BODY[] {2147483648}\r\n")
		return trickle(strings.Repeat("x", 100), 5*time.Millisecond)
	case "trickle-literal":
		w.WriteString("* 1 FETCH (UID 1 BODY[] {500000}\r\n" + fakeHeader)
		return trickle(strings.Repeat("y", 50), 20*time.Millisecond)
	case "endless-line":
		w.WriteString(`* 1 FETCH (UID 1 FLAGS (\Seen `)
		chunk := strings.Repeat("A", 64<<10)
		for {
			if _, err := w.WriteString(chunk); err != nil || w.Flush() != nil {
				return false
			}
		}
	case "slow-line":
		w.WriteString(`* OK [ALERT] `)
		return trickle("z", 5*time.Millisecond)
	case "cut-literal":
		w.WriteString("* 1 FETCH (UID 1 BODY[] {4000}\r\n" + fakeHeader + strings.Repeat("q", 1000))
		w.Flush()
		return false
	default:
		body := fakeHeader + "hi\r\n"
		w.WriteString(fmt.Sprintf("* 1 FETCH (UID 1 BODY[] {%d}\r\n%s)\r\n%s OK done\r\n", len(body), body, tag))
		return w.Flush() == nil
	}
}

// fakeHarness is an engine pointed at a fake server over plain TCP, with short timeouts.
func fakeHarness(t *testing.T, f *fakeIMAP) (*Engine, *localcache.Cache) {
	t.Helper()
	return engineOnFake(t, f.port(), time.Second, 2*time.Second, nil)
}

// peakHeap samples the heap until stop is called and returns the largest HeapAlloc seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

func storedBodies(t *testing.T, cache *localcache.Cache) int {
	t.Helper()
	n := 0
	if err := cache.StoredBodies(context.Background(), "alice", func(localcache.StoredBody) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHostileServer: huge or trickled literals, endless lines, a connection cut inside a literal
// and an inflated UID set all end in a timely error with memory bounded and nothing partial stored.
func TestHostileServer(t *testing.T) {
	for _, mode := range []string{"huge-literal", "trickle-literal", "endless-line", "slow-line", "cut-literal", "esearch-bomb"} {
		t.Run(mode, func(t *testing.T) {
			f := startFake(t, mode)
			e, cache := fakeHarness(t, f)
			runtime.GC()
			stop := peakHeap()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			err := e.SyncOnce(ctx)
			took := time.Since(start)
			peak := stop()
			t.Logf("error after %v (peak heap %.1f MB): %v", took.Round(time.Millisecond), float64(peak)/(1<<20), err)
			if err == nil {
				t.Fatal("sync against a hostile server succeeded")
			}
			if took > 10*time.Second {
				t.Errorf("took %v to give up", took)
			}
			if peak > 100<<20 {
				t.Errorf("peak heap %d MB", peak>>20)
			}
			if n := storedBodies(t, cache); n != 0 {
				t.Errorf("%d bodies stored from a hostile server", n)
			}
			if mode == "huge-literal" {
				// The refused message is not asked for again: the next sync completes without it.
				if err := e.SyncOnce(ctx); err != nil {
					t.Errorf("second sync: %v", err)
				}
				inbox, err := cache.FolderByName(ctx, "alice", "INBOX")
				if err != nil {
					t.Fatal(err)
				}
				m, err := cache.MessageByUID(ctx, inbox.ID, 1)
				if err != nil || m.BodyKey != "" || m.Subject != "hello" {
					t.Errorf("message after the refused body: %+v, %v", m, err)
				}
			}
		})
	}
}

// TestUnexpectedUntaggedData: unilateral responses in the middle of a FETCH are absorbed.
func TestUnexpectedUntaggedData(t *testing.T) {
	f := startFake(t, "noise")
	e, cache := fakeHarness(t, f)
	if err := e.SyncOnce(context.Background()); err != nil {
		t.Fatalf("sync: %v", err)
	}
	inbox, err := cache.FolderByName(context.Background(), "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cache.MessageByUID(context.Background(), inbox.ID, 1)
	if err != nil || m.Subject != "hello" || m.BodyKey == "" {
		t.Errorf("message: %+v, %v", m, err)
	}
}

func TestGuardLiteralMarker(t *testing.T) {
	for _, tc := range []struct {
		in      string
		size    int64
		literal bool
	}{
		{"* 1 FETCH (UID 5 BODY[] {123}\r\n", 123, true},
		{"* 1 FETCH (BINARY[] ~{77}\r\n", 77, true},
		{"* OK done\r\n", 0, false},
		{"* OK {}\r\n", 0, false},
		{"* OK {12a}\r\n", 0, false},
		{"* 1 FETCH (BODY[] {99999999999999999999999}\r\n", 1 << 62, true},
	} {
		g := newGuardConn(nil, 1<<20, 1<<30)
		var got int64
		var ok bool
		for i := 0; i < len(tc.in); i++ {
			c := tc.in[i]
			if c == '\n' {
				got, ok = g.literalMarker()
				break
			}
			if g.tailLen == len(g.tail) {
				copy(g.tail[:], g.tail[1:])
				g.tailLen--
			}
			g.tail[g.tailLen] = c
			g.tailLen++
		}
		if ok != tc.literal || got != tc.size {
			t.Errorf("%q: literal %v size %d, want %v %d", tc.in, ok, got, tc.literal, tc.size)
		}
	}
	if uid := uidOnLine([]byte("* 3 FETCH (UID 4711 BODY[] ")); uid != 4711 {
		t.Errorf("uidOnLine = %d", uid)
	}
}

// TestMoveWithoutCopyUID: when the server does not say where a moved message went, the UID-less
// local copy is dropped (the target's next sync brings it back with its UID).
func TestMoveWithoutCopyUID(t *testing.T) {
	f := startFake(t, "nocopyuid")
	e, cache := fakeHarness(t, f)
	ctx := context.Background()
	if err := e.SyncOnce(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	inbox, err := cache.FolderByName(ctx, "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	archive, err := cache.FolderByName(ctx, "alice", "Archive")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cache.MessageByUID(ctx, inbox.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.Move(ctx, []int64{m.ID}, archive.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := e.replay(ctx, mustConnect(t, e)); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if ops, _ := cache.PendingOps(ctx, "alice"); len(ops) != 0 {
		t.Errorf("move still queued: %+v", ops)
	}
	if _, err := cache.Message(ctx, m.ID); err == nil {
		t.Errorf("UID-less local copy kept after a move without COPYUID")
	}
}

func mustConnect(t *testing.T, e *Engine) *conn {
	t.Helper()
	cn, err := e.connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cn.close)
	return cn
}
