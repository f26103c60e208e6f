package main

// The window rows: the real postbode window on the million-message profile of scale.go, under
// Xvfb, driven with xdotool and timed by the window's own trace (POSTBODE_TRACE, ui/trace.go),
// which stamps the moment the message list hands rows to their widgets.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// windowScreen is Xvfb's screen: wide enough for the window as it opens (see scale_notes.md).
	windowScreen = "2560x1200x24"
	// windowPageDowns Page Down presses windowPageDownGap apart: about three times a keyboard's
	// auto-repeat, so the rate is the list's, not the typist's.
	windowPageDowns   = 100
	windowPageDownGap = 10 * time.Millisecond
	// windowRepeats presses windowRepeatGap apart: a keyboard's auto-repeat (30 a second).
	windowRepeats   = 60
	windowRepeatGap = 33 * time.Millisecond
	// windowQuiet is how long the trace must stay silent for the window to count as settled.
	windowQuiet = 700 * time.Millisecond
	// windowTapGap is the time between keys tapped in a row.
	windowTapGap = 100 * time.Millisecond
)

// Where the bench clicks, in window pixels at Fyne's default scale and theme: the "All inboxes"
// row of the folder pane and the first row of the message list. A missed click shows as a key
// that changes nothing, which the group reports.
var (
	windowAllInboxes = [2]int{70, 94}
	windowFirstRow   = [2]int{400, 175} // the list spans x 250–645 in the default 1200-pixel window
)

// windowAccounts are the profile's accounts, pointed at a closed port: offline, as on a train.
const windowAccounts = `{"accounts":[
{"name":"work","kind":"imap","email":"work@mail.test","incoming":{"host":"127.0.0.1","port":9,"security":"plain","user":"work"}},
{"name":"home","kind":"imap","email":"home@mail.test","incoming":{"host":"127.0.0.1","port":9,"security":"plain","user":"home"}},
{"name":"old","kind":"pop3","email":"old@mail.test","incoming":{"host":"127.0.0.1","port":9,"security":"plain","user":"old"}},
{"name":"lists","kind":"imap","email":"lists@mail.test","incoming":{"host":"127.0.0.1","port":9,"security":"plain","user":"lists"}}
]}
`

// windowResults are the window rows' measurements; every series has one value per run, but the
// folder switches, several per run.
type windowResults struct {
	Unavailable string // why no window could be opened (no Xvfb, no xdotool); no figures then
	// StartFirst: process start → the first row of All inboxes handed to the list; StartScope:
	// → the list asked to show All inboxes (the folder list is read, the window is up);
	// EmptyScope: the same on an empty cache, what the window takes before any mail.
	StartFirst, StartScope, EmptyScope series
	// SwitchKey: a key in the folder pane (End, Up) → the new folder's first row; SwitchBig is
	// the switch to the 400k folder, SwitchClick a click on All inboxes (660,000) from it.
	SwitchKey, SwitchBig, SwitchClick series
	// SwitchRapid: the last of four keys tapped windowTapGap apart in the folder pane (End, Up,
	// Up, Up: 40k, 150k, 60k, 400k) → the 400k folder's first row.
	SwitchRapid series
	// End in the 400k folder → its last row; Home → its first row again.
	EndLast, HomeFirst series
	// Page Down held: rows travelled per second up to the last row drawn, how long that row
	// came after the last key, and the share of the rows drawn on the way that showed as a
	// placeholder first.
	PageDownRate, PageDownLag, Placeholders series
	PageDownRows                            int
	// The same at auto-repeat speed.
	RepeatRate, RepeatLag, RepeatPlaceholders series
	RepeatRows                                int
	RSSMB, PeakRSSMB, AnonMB, StartRSSMB      series
	EmptyRSSMB                                series // the same window and accounts on an empty cache
	WindowSize                                string
	Date                                      time.Time
	Load                                      string // load average before and after the group
	Top                                       string // pprof of one more run (BENCH_PROFILE)
}

// traceEvent is one line of the window's trace.
type traceEvent struct {
	Kind, Key string
	N         int
	T         int64 // Unix nanoseconds
}

func parseTraceLine(l string) (traceEvent, bool) {
	f := strings.Fields(l)
	if len(f) != 4 {
		return traceEvent{}, false
	}
	ev := traceEvent{Kind: f[0]}
	var err1, err2 error
	key, ok1 := strings.CutPrefix(f[1], "key=")
	n, ok2 := strings.CutPrefix(f[2], "n=")
	t, ok3 := strings.CutPrefix(f[3], "t=")
	ev.Key = key
	ev.N, err1 = strconv.Atoi(n)
	ev.T, err2 = strconv.ParseInt(t, 10, 64)
	return ev, ok1 && ok2 && ok3 && err1 == nil && err2 == nil
}

// traceTail follows the trace file as the window writes it.
type traceTail struct {
	path    string
	off     int64
	partial string
	events  []traceEvent
	last    time.Time // when the last event was read
}

func (tt *traceTail) poll() error {
	f, err := os.Open(tt.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(tt.off, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	tt.off += int64(len(data))
	text := tt.partial + string(data)
	lines := strings.Split(text, "\n")
	tt.partial = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		if ev, ok := parseTraceLine(l); ok {
			tt.events = append(tt.events, ev)
			tt.last = time.Now()
		}
	}
	return nil
}

// waitFor returns the first event from index from on that pred accepts, and its index.
func (tt *traceTail) waitFor(ctx context.Context, from int, timeout time.Duration, what string, pred func(traceEvent) bool) (traceEvent, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if err := tt.poll(); err != nil {
			return traceEvent{}, 0, err
		}
		for i := from; i < len(tt.events); i++ {
			if pred(tt.events[i]) {
				return tt.events[i], i, nil
			}
		}
		if time.Now().After(deadline) {
			return traceEvent{}, 0, fmt.Errorf("the window's trace did not show %s within %v", what, timeout)
		}
		select {
		case <-ctx.Done():
			return traceEvent{}, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// settle waits until the trace has been silent for windowQuiet (at most 15 s).
func (tt *traceTail) settle(ctx context.Context) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if err := tt.poll(); err != nil {
			return err
		}
		if time.Since(tt.last) >= windowQuiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil // busy drawing for 15 s: measure anyway, the figures will say so
}

// windowSession is one started window on an X display.
type windowSession struct {
	display, wid string
	cmd          *exec.Cmd
	done         chan error
	trace        *traceTail
	started      time.Time
}

func (w *windowSession) xdo(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+w.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (w *windowSession) click(ctx context.Context, at [2]int) error {
	return w.xdo(ctx, "mousemove", "--window", w.wid, strconv.Itoa(at[0]), strconv.Itoa(at[1]), "click", "1")
}

// statusMB reads a kB field of the window process's /proc status in MB.
func (w *windowSession) statusMB(field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return math.NaN()
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
				return kb / 1e3
			}
		}
	}
	return math.NaN()
}

// stop quits the window as a user does, with Ctrl+Q, and kills it if it is still there 15 s
// later. (Not with SIGINT: Fyne's own signal handler and ui.Run's both quit then, and the second
// can find GLFW terminated and panic; see scale_notes.md.)
func (w *windowSession) stop() error {
	select {
	case err := <-w.done:
		w.done <- err
		return err
	default:
	}
	var errs []error
	if w.wid != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, w.xdo(ctx, "windowfocus", w.wid, "key", "ctrl+q"))
		cancel()
	}
	select {
	case err := <-w.done:
		w.done <- err
		return errors.Join(append(errs, err)...)
	case <-time.After(15 * time.Second):
		_ = w.cmd.Process.Kill()
		err := <-w.done
		w.done <- err
		return errors.Join(append(errs, errors.New("the window did not quit within 15 s of Ctrl+Q; killed"))...)
	}
}

// startWindow starts postbode on profile under display, with the trace in tracePath, and waits
// for its window.
func startWindow(ctx context.Context, bin, profile, display, tracePath string, env []string) (*windowSession, error) {
	_ = os.Remove(tracePath)
	// Each run opens as a first start does (All inboxes, the default size), not where the last
	// run left the window.
	_ = os.Remove(filepath.Join(profile, "config", "ui.json"))
	cmd := exec.Command(bin, "--profile", profile)
	cmd.Env = append(os.Environ(), append([]string{"DISPLAY=" + display, "LANG=en_US.UTF-8",
		"POSTBODE_TRACE=" + tracePath}, env...)...)
	log, err := os.Create(filepath.Join(filepath.Dir(tracePath), "window.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	w := &windowSession{display: display, cmd: cmd, done: make(chan error, 1), trace: &traceTail{path: tracePath}}
	w.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { w.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for w.wid == "" {
		find := exec.CommandContext(ctx, "xdotool", "search", "--onlyvisible", "--pid", strconv.Itoa(cmd.Process.Pid))
		find.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := find.Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				w.wid = ids[len(ids)-1]
				break
			}
		}
		select {
		case err := <-w.done:
			w.done <- err
			return nil, fmt.Errorf("the window exited before it showed: %v (see %s)", err, log.Name())
		case <-ctx.Done():
			return w, errors.Join(ctx.Err(), w.stop())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return w, errors.Join(errors.New("no window within 60 s"), w.stop())
		}
	}
	return w, nil
}

// xvfb is a private X server.
type xvfb struct {
	display string
	cmd     *exec.Cmd
}

// startXvfb starts Xvfb on the first free display from :120.
func startXvfb(ctx context.Context) (*xvfb, error) {
	for n := 120; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.Command("Xvfb", display, "-screen", "0", windowScreen, "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start Xvfb: %w", err)
		}
		x := &xvfb{display: display, cmd: cmd}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			probe := exec.CommandContext(ctx, "xdotool", "getdisplaygeometry")
			probe.Env = append(os.Environ(), "DISPLAY="+display)
			if probe.Run() == nil {
				return x, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		x.stop()
		return nil, fmt.Errorf("Xvfb on %s did not come up", display)
	}
	return nil, errors.New("no free X display in :120–:199")
}

func (x *xvfb) stop() {
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = x.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = x.cmd.Process.Kill()
		<-done
	}
}

// windowTools says which program the window rows need is missing ("" when none is).
func windowTools() string {
	for _, t := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(t); err != nil {
			return t + " is not installed (make deps installs Xvfb and ImageMagick; xdotool is its own package)"
		}
	}
	return ""
}

// windowRuns is the "window" group of make bench.
func (b *bench) windowRuns(ctx context.Context) error {
	res := windowResults{Date: time.Now().UTC(), Load: loadAvg()}
	defer func() { b.Window = res }()
	if why := windowTools(); why != "" {
		res.Unavailable = why
		b.logf("window: %s; no window rows", why)
		return nil
	}
	scaleDir := filepath.Join(b.cfg.dir, "scale1m")
	mark, err := loadScale(ctx, scaleDir, b.logf)
	if err != nil {
		return err
	}
	// The window is built from this tree: it must have the trace hook.
	b.logf("building %s", b.cfg.postbode)
	build := exec.CommandContext(ctx, "go", "build", "-o", b.cfg.postbode, ".")
	build.Dir, build.Stdout, build.Stderr = b.cfg.root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build postbode: %w", err)
	}
	// The window writes to its cache (folders of the POP3 account, a message marked read once it
	// was open for a second): it gets a copy, and the kept profile stays as the scale rows need it.
	work := filepath.Join(b.cfg.dir, "window")
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	defer func() {
		if !b.cfg.keep {
			_ = os.RemoveAll(work)
		}
	}()
	big, empty := filepath.Join(work, "big"), filepath.Join(work, "empty")
	for _, p := range []string{big, empty} {
		if err := os.MkdirAll(filepath.Join(p, "config"), 0o700); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(p, "data"), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(p, "config", "accounts.json"), []byte(windowAccounts), 0o600); err != nil {
			return err
		}
	}
	b.logf("window: copying the %s profile (%d messages)", mark.Version, mark.Messages)
	for _, f := range []string{"index.db", "store.db"} {
		cp := exec.CommandContext(ctx, "cp", "--reflink=auto", filepath.Join(scaleDir, f), filepath.Join(big, "data", f))
		if out, err := cp.CombinedOutput(); err != nil {
			return fmt.Errorf("copy the profile: %w: %s", err, out)
		}
	}
	x, err := startXvfb(ctx)
	if err != nil {
		res.Unavailable = err.Error()
		b.logf("window: %v; no window rows", err)
		return nil
	}
	defer x.stop()

	for i := 0; i < b.cfg.runs; i++ {
		shot := ""
		if i == 0 {
			shot = filepath.Join(b.cfg.root, "docs", "screenshots", "window-1m.png")
		}
		if err := windowRun(ctx, b.cfg.postbode, big, x.display, work, shot, nil, &res); err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		if err := windowEmpty(ctx, b.cfg.postbode, empty, x.display, work, &res); err != nil {
			return fmt.Errorf("empty profile: %w", err)
		}
		b.logf("window run %d: first rows %s, switch %s (400k %s), End %s, Page Down %.0f rows/s, RSS %s (empty %s)", i+1,
			unitSeconds.format(res.StartFirst[i]), unitSeconds.format(res.SwitchKey.median()),
			unitSeconds.format(res.SwitchBig[i]), unitSeconds.format(res.EndLast[i]), res.PageDownRate[i],
			unitMB.format(res.RSSMB[i]), unitMB.format(res.EmptyRSSMB[i]))
	}
	if b.cfg.profile {
		prof := filepath.Join(work, "window.pprof")
		var scratch windowResults
		if err := windowRun(ctx, b.cfg.postbode, big, x.display, work, "", []string{"POSTBODE_CPUPROFILE=" + prof}, &scratch); err != nil {
			return fmt.Errorf("profiled run: %w", err)
		}
		tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		out, err := exec.CommandContext(tctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=45",
			"-hide="+pprofHide, b.cfg.postbode, prof).CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("pprof: %w: %s", err, out)
		}
		res.Top = trimPprof(string(out))
		if b.cfg.keep {
			b.logf("window: CPU profile in %s", prof)
		}
	}
	res.Load += " → " + loadAvg()
	return nil
}

// windowRun is one session on the big profile: start, folder switches, End and Home in the 400k
// folder, Page Down held, a click back to All inboxes, memory. shot, when set, is where a
// screenshot of the 400k folder goes.
func windowRun(ctx context.Context, bin, profile, display, work, shot string, env []string, res *windowResults) (err error) {
	w, err := startWindow(ctx, bin, profile, display, filepath.Join(work, "trace.txt"), env)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, w.stop()) }()
	tt := w.trace
	first, _, err := tt.waitFor(ctx, 0, time.Minute, "the first row of All inboxes", func(ev traceEvent) bool {
		return ev.Kind == "row" && ev.Key == "all"
	})
	if err != nil {
		return err
	}
	res.StartFirst = append(res.StartFirst, float64(first.T-w.started.UnixNano())/1e9)
	if scope, _, err := tt.waitFor(ctx, 0, time.Second, "All inboxes opening", func(ev traceEvent) bool {
		return ev.Kind == "scope" && ev.Key == "all"
	}); err == nil {
		res.StartScope = append(res.StartScope, float64(scope.T-w.started.UnixNano())/1e9)
	}
	if err := tt.settle(ctx); err != nil {
		return err
	}
	res.StartRSSMB = append(res.StartRSSMB, w.statusMB("VmRSS"))
	geo := exec.CommandContext(ctx, "xdotool", "getwindowgeometry", w.wid)
	geo.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := geo.Output(); err == nil {
		if _, g, ok := strings.Cut(string(out), "Geometry: "); ok {
			res.WindowSize = strings.TrimSpace(g)
		}
	}

	// switchTo times an input to the first row of the folder it opens.
	current := "all"
	switchTo := func(what, want string, do func() error) (float64, traceEvent, error) {
		from := len(tt.events)
		sent := time.Now()
		if err := do(); err != nil {
			return 0, traceEvent{}, err
		}
		scope, at, err := tt.waitFor(ctx, from, 10*time.Second, what+" opening another folder", func(ev traceEvent) bool {
			return ev.Kind == "scope" && ev.Key != current
		})
		if err != nil {
			return 0, scope, err
		}
		row, _, err := tt.waitFor(ctx, at, 10*time.Second, "the first row after "+what, func(ev traceEvent) bool {
			return ev.Kind == "row" && ev.Key == scope.Key
		})
		if err != nil {
			return 0, scope, err
		}
		if want != "" && scope.Key != want {
			return 0, scope, fmt.Errorf("%s opened %s, not %s", what, scope.Key, want)
		}
		current = scope.Key
		return float64(row.T-sent.UnixNano()) / 1e9, scope, tt.settle(ctx)
	}
	// The folder pane takes the keys once clicked: All inboxes is open already, so the click
	// changes nothing but the focus.
	if err := w.click(ctx, windowAllInboxes); err != nil {
		return err
	}
	if err := tt.settle(ctx); err != nil {
		return err
	}
	var big traceEvent
	for _, key := range []string{"End", "Up", "Up", "Up"} { // the 400k folder's last folder, then up to it
		d, scope, err := switchTo(key, "", func() error { return w.xdo(ctx, "key", key) })
		if err != nil {
			return err
		}
		res.SwitchKey = append(res.SwitchKey, d)
		if scope.N == scaleFolders[0].Messages {
			res.SwitchBig = append(res.SwitchBig, d)
			big = scope
		}
	}
	if big.Key == "" {
		return fmt.Errorf("the folder pane's End and Up never opened the %d-message folder", scaleFolders[0].Messages)
	}
	if shot != "" {
		if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
			return err
		}
		imp := exec.CommandContext(ctx, "import", "-display", display, "-window", w.wid, shot)
		if out, err := imp.CombinedOutput(); err != nil {
			return fmt.Errorf("screenshot: %w: %s", err, out)
		}
	}

	// Keys in the list: a click on its first row gives it the focus (and opens that message).
	if err := w.click(ctx, windowFirstRow); err != nil {
		return err
	}
	if err := tt.settle(ctx); err != nil {
		return err
	}
	last := big.N - 1
	for _, k := range []struct {
		key string
		row int
		out *series
	}{{"End", last, &res.EndLast}, {"Home", 0, &res.HomeFirst}} {
		from := len(tt.events)
		sent := time.Now()
		if err := w.xdo(ctx, "key", k.key); err != nil {
			return err
		}
		ev, _, err := tt.waitFor(ctx, from, 30*time.Second, fmt.Sprintf("row %d after %s", k.row, k.key), func(ev traceEvent) bool {
			return ev.Kind == "row" && ev.Key == big.Key && ev.N == k.row
		})
		if err != nil {
			return err
		}
		*k.out = append(*k.out, float64(ev.T-sent.UnixNano())/1e9)
		if err := tt.settle(ctx); err != nil {
			return err
		}
	}

	// Page Down held: the list follows a key every gap, from the top.
	pageDown := func(presses int, gap time.Duration) (rate, lag, placeholders float64, reached int, err error) {
		from := len(tt.events)
		sent := time.Now()
		if err := w.xdo(ctx, "key", "--repeat", strconv.Itoa(presses), "--delay",
			strconv.Itoa(int(gap/time.Millisecond)), "Next"); err != nil {
			return 0, 0, 0, 0, err
		}
		// xdotool holds each key for half the gap and waits the other half after it: the last
		// press went out one gap before it returned.
		lastKey := time.Now().Add(-gap)
		if err := tt.settle(ctx); err != nil {
			return 0, 0, 0, 0, err
		}
		var far traceEvent
		firstDraw := map[int]string{} // each row's first draw: a placeholder or the row
		for _, ev := range tt.events[from:] {
			if ev.Key != big.Key || (ev.Kind != "row" && ev.Kind != "loading") {
				continue
			}
			if _, ok := firstDraw[ev.N]; !ok {
				firstDraw[ev.N] = ev.Kind
			}
			if ev.Kind == "row" && ev.N > far.N {
				far = ev
			}
		}
		n := 0
		for _, k := range firstDraw {
			if k == "loading" {
				n++
			}
		}
		if far.N < presses {
			return 0, 0, 0, far.N, fmt.Errorf("Page Down ×%d reached row %d only", presses, far.N)
		}
		return float64(far.N) / (float64(far.T-sent.UnixNano()) / 1e9), float64(far.T-lastKey.UnixNano()) / 1e9,
			float64(n) / float64(max(1, len(firstDraw))), far.N, nil
	}
	rate, lag, ph, reached, err := pageDown(windowPageDowns, windowPageDownGap)
	if err != nil {
		return err
	}
	res.PageDownRows = reached
	res.PageDownRate, res.PageDownLag = append(res.PageDownRate, rate), append(res.PageDownLag, lag)
	res.Placeholders = append(res.Placeholders, ph)
	// Again from the top at a keyboard's auto-repeat rate.
	if err := w.xdo(ctx, "key", "Home"); err != nil {
		return err
	}
	if err := tt.settle(ctx); err != nil {
		return err
	}
	rate, lag, ph, reached, err = pageDown(windowRepeats, windowRepeatGap)
	if err != nil {
		return err
	}
	res.RepeatRows = reached
	res.RepeatRate, res.RepeatLag = append(res.RepeatRate, rate), append(res.RepeatLag, lag)
	res.RepeatPlaceholders = append(res.RepeatPlaceholders, ph)

	// Back to All inboxes by a click in the folder pane.
	d, _, err := switchTo("a click on All inboxes", "all", func() error { return w.click(ctx, windowAllInboxes) })
	if err != nil {
		return err
	}
	res.SwitchClick = append(res.SwitchClick, d)

	// The same way down to the 400k folder, a key every windowTapGap: each folder's page marks are
	// still being read when the next key comes.
	for _, key := range []string{"End", "Up", "Up"} {
		if err := w.xdo(ctx, "key", key); err != nil {
			return err
		}
		time.Sleep(windowTapGap)
	}
	from := len(tt.events)
	sent := time.Now()
	if err := w.xdo(ctx, "key", "Up"); err != nil {
		return err
	}
	if _, _, err := tt.waitFor(ctx, from, 10*time.Second, "the 400k folder after quick keys", func(ev traceEvent) bool {
		return ev.Kind == "scope" && ev.Key == big.Key
	}); err != nil {
		return err
	}
	ev, _, err := tt.waitFor(ctx, from, 10*time.Second, "the 400k folder's first row after quick keys", func(ev traceEvent) bool {
		return ev.Kind == "row" && ev.Key == big.Key
	})
	if err != nil {
		return err
	}
	res.SwitchRapid = append(res.SwitchRapid, float64(ev.T-sent.UnixNano())/1e9)
	if err := tt.settle(ctx); err != nil {
		return err
	}
	res.RSSMB = append(res.RSSMB, w.statusMB("VmRSS"))
	res.PeakRSSMB = append(res.PeakRSSMB, w.statusMB("VmHWM"))
	res.AnonMB = append(res.AnonMB, w.statusMB("RssAnon"))
	return nil
}

// windowEmpty starts the same window with the same accounts on an empty cache: how long until
// its list is asked to show a folder, and its RSS once settled: what the window costs before mail.
func windowEmpty(ctx context.Context, bin, profile, display, work string, res *windowResults) (err error) {
	w, err := startWindow(ctx, bin, profile, display, filepath.Join(work, "trace-empty.txt"), nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, w.stop()) }()
	scope, _, err := w.trace.waitFor(ctx, 0, time.Minute, "a folder opening", func(ev traceEvent) bool { return ev.Kind == "scope" })
	if err != nil {
		return err
	}
	res.EmptyScope = append(res.EmptyScope, float64(scope.T-w.started.UnixNano())/1e9)
	if err := w.trace.settle(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Second):
	}
	res.EmptyRSSMB = append(res.EmptyRSSMB, w.statusMB("VmRSS"))
	return nil
}

// rows are the window table's rows.
func (s windowResults) rows(failed string) []row {
	return []row{
		{Scenario: "start → first rows of All inboxes drawn (660,000 messages; process start to the list's first row)",
			PB: s.StartFirst, Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: "… start → All inboxes asked for (window up, folder list read); the same on an empty cache", PB: s.StartScope,
			PBExtra: "empty cache " + unitSeconds.format(s.EmptyScope.median()), Failed: failed},
		{Scenario: "switch folder: key in the folder pane → the new folder's first row (40k–400k folders)", PB: s.SwitchKey,
			PBExtra: "max " + unitSeconds.format(slicesMax(s.SwitchKey)), Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: "… the switch to the 400k folder", PB: s.SwitchBig, Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: "… a click on All inboxes (660,000), from the 400k folder", PB: s.SwitchClick, Goal: atMost(0.1, "< 100 ms"),
			Failed: failed},
		{Scenario: fmt.Sprintf("… keys tapped %v apart through 3 folders to the 400k folder: the last key → its first row",
			windowTapGap), PB: s.SwitchRapid, Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: "End in the 400k folder → its last row drawn", PB: s.EndLast, Failed: failed},
		{Scenario: "Home from there → the first row drawn again", PB: s.HomeFirst, Failed: failed},
		{Scenario: fmt.Sprintf("Page Down held (%d presses %v apart): the last key → the row it reaches drawn", windowPageDowns,
			windowPageDownGap), PB: s.PageDownLag, PBExtra: fmt.Sprintf("%.0f rows/s over %s rows; %.0f %% of the rows drawn on the way showed as placeholders first",
			s.PageDownRate.median(), thousands(s.PageDownRows), 100*s.Placeholders.median()), Failed: failed},
		{Scenario: fmt.Sprintf("Page Down at auto-repeat speed (%d presses %v apart): the last key → the row it reaches drawn",
			windowRepeats, windowRepeatGap), PB: s.RepeatLag, PBExtra: fmt.Sprintf("%.0f rows/s over %s rows; %.0f %% of them "+
			"showed as placeholders first", s.RepeatRate.median(), thousands(s.RepeatRows), 100*s.RepeatPlaceholders.median()),
			Failed: failed},
		{Scenario: "RSS of the window after all of the above (peak)", Unit: unitMB, PB: s.RSSMB,
			PBExtra: fmt.Sprintf("peak %s; anonymous %s; %s at first rows", unitMB.format(s.PeakRSSMB.median()),
				unitMB.format(s.AnonMB.median()), unitMB.format(s.StartRSSMB.median())),
			Goal: atMost(400, "< 400 MB"), Failed: failed},
		{Scenario: "RSS of the same window and accounts on an empty cache", Unit: unitMB, PB: s.EmptyRSSMB, Failed: failed},
	}
}

func slicesMax(s series) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Max(s)
}

// section is the window subsection of the Scale section.
func (s windowResults) section(failed string) string {
	if len(s.StartFirst) == 0 && s.Unavailable == "" && failed == "" {
		return ""
	}
	var w strings.Builder
	w.WriteString("\n### The window on this profile\n\n")
	if s.Unavailable != "" {
		fmt.Fprintf(&w, "The window could not be opened on this machine: %s. No window rows.\n", s.Unavailable)
		return w.String()
	}
	fmt.Fprintf(&w, "The real window (bin/postbode, built from this tree) on a copy of the profile, under Xvfb (%s, Mesa's "+
		"llvmpipe: software OpenGL), driven by xdotool; the four accounts point at a closed port (offline). The window "+
		"opened at %s, as on a first start. Times come from the window's own trace (`POSTBODE_TRACE=FILE`, ui/trace.go): the "+
		"moment the message list hands a row to its widget, which the draw loop paints in the same frame; a start is timed "+
		"from just before the process is started, a key or click from just before xdotool sends it. Each figure is the median "+
		"of %d runs (the key switches: of %d), measured on %s at a load average of %s. `BENCH_ONLY=window` runs only these "+
		"rows.\n\n", strings.TrimSuffix(windowScreen, "x24"), s.WindowSize, len(s.StartFirst), len(s.SwitchKey),
		s.Date.Format("2006-01-02 15:04 UTC"), s.Load)
	w.WriteString(scaleTable(s.rows(failed)))
	w.WriteString("\n![The window on the million-message profile: the 400k folder](screenshots/window-1m.png)\n")
	writeRuns(&w, []namedRuns{
		{"start → first rows", unitSeconds, s.StartFirst}, {"start → All inboxes asked for", unitSeconds, s.StartScope},
		{"the same, empty cache", unitSeconds, s.EmptyScope}, {"folder switches (keys)", unitSeconds, s.SwitchKey},
		{"switch to the 400k folder", unitSeconds, s.SwitchBig}, {"click on All inboxes", unitSeconds, s.SwitchClick},
		{"quick keys → 400k folder", unitSeconds, s.SwitchRapid},
		{"End → last row", unitSeconds, s.EndLast}, {"Home → first row", unitSeconds, s.HomeFirst},
		{"Page Down, last key → its row", unitSeconds, s.PageDownLag},
		{"Page Down at auto-repeat, last key → its row", unitSeconds, s.RepeatLag}, {"RSS at first rows", unitMB, s.StartRSSMB},
		{"RSS after", unitMB, s.RSSMB}, {"peak RSS", unitMB, s.PeakRSSMB}, {"RSS, empty cache", unitMB, s.EmptyRSSMB},
	})
	for _, r := range []struct {
		name string
		s    series
	}{{"Page Down rate", s.PageDownRate}, {"Page Down rate at auto-repeat", s.RepeatRate}} {
		if len(r.s) > 0 {
			parts := make([]string, len(r.s))
			for i, v := range r.s {
				parts[i] = fmt.Sprintf("%.0f rows/s", v)
			}
			fmt.Fprintf(&w, "- %s: %s\n", r.name, strings.Join(parts, ", "))
		}
	}
	if s.Top != "" {
		fmt.Fprintf(&w, "\nCPU profile of one more run (`POSTBODE_CPUPROFILE`; the whole session, start to quit):\n\n```\n%s\n```\n", s.Top)
	}
	return w.String()
}
