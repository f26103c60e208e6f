// Command pbbench is `make bench`: it measures Postbode against the tools a user would otherwise pick
// (mbsync for IMAP, fetchmail for POP3) on one private Dovecot holding one generated mailbox, and
// prints one table, also written to docs/BENCHMARKS.md.
//
// Figures are measured, never asserted: pbbench exits non-zero only when a run failed (a program
// exited with an error, or its result was incomplete), never because a figure is slow.
//
// Environment: BENCH_MESSAGES (default 10000) and BENCH_RUNS (default 3) size the run; BENCH_DIR
// (default /var/tmp/postbode-bench) keeps the generated mailbox and the 100k cache between runs;
// BENCH_OUT (default docs/BENCHMARKS.md) is where the report goes; BENCH_PROFILE=0 skips the extra
// profiled runs; BENCH_POSTBODE names the postbode binary (default bin/postbode, built if missing);
// BENCH_KEEP=1 keeps the profiles, maildirs and logs of every run in BENCH_DIR/work; BENCH_RENDER=1
// measures nothing and writes the report again from BENCH_DIR/results.json of the last run;
// BENCH_FETCHMAIL_MDA=1 has fetchmail deliver through an MDA instead of a BSMTP file; BENCH_ONLY
// (a comma-separated list of groups: raw floor, IMAP, newest 50, IDLE, POP3, cache, scale, window,
// profile) runs only those and prints their table without writing the report or the saved results
// (cache, scale and window alone start no mail server), unless BENCH_MERGE=1: then their results
// replace those of the same groups in BENCH_DIR/results.json, and the report is written from the
// merged results; BENCH_SCALE=0 skips the million-message profile (scale.go), generated once into
// BENCH_DIR/scale1m (1.4 GB, about 15 minutes), and the window rows on it (window.go: the real
// window under Xvfb, driven by xdotool).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/types"
)

// corpusSeed and corpusEnd make the generated mailbox the same on every machine and every day.
const corpusSeed = 7

var corpusEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	imapUser    = "alice" // IMAP scenarios
	pop3User    = "bob"   // POP3 scenarios (Dovecot's POP3 sets \Seen, so it gets its own copy)
	accountName = "bench"
	flagChanges = 100
	pushSamples = 50
	// idleFloorSamples: each costs Dovecot's 500 ms notify delay; 10 pin the floor down.
	idleFloorSamples = 10
)

type config struct {
	root, dir, work, out, postbode string
	messages, runs                 int
	profile, keep, render, scale   bool
	fetchmailMDA, merge            bool
	only                           map[string]bool // empty: every group
}

// bench holds what the scenarios share.
type bench struct {
	cfg   config
	d     *testbed.Dovecot
	start time.Time
	results
}

// results is everything the report is made of; it is saved as JSON so the report can be rendered
// again (BENCH_RENDER=1) without measuring again.
type results struct {
	Messages, Runs int
	FetchmailMDA   bool
	CorpusBytes    int64
	Machine        machineInfo
	Versions       [][2]string
	Failed         []string
	Errs           map[string]string // scenario group -> error

	PBFirst, PBNoChange, PBFlags, MBFirst, MBNoChange, MBFlags procRuns
	PBPOPFull, PBPOPRepoll, FMFull, FMRepoll                   procRuns
	RawPlain, RawTLS, Newest, NewestFloor, IdleFloor, PBOpen   series
	Push                                                       pushResult
	RTT                                                        float64
	Cache                                                      cacheResults
	Scale                                                      scaleResults
	Window                                                     windowResults
	Profiles                                                   []profileReport
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if dir := os.Getenv(scaleProbeEnv); dir != "" {
		os.Exit(scaleProbe(dir))
	}
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "pbbench: %v\n", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive number", name, v)
	}
	return n, nil
}

func loadConfig() (config, error) {
	var cfg config
	var err error
	if cfg.messages, err = envInt("BENCH_MESSAGES", 10000); err != nil {
		return cfg, err
	}
	if cfg.messages < 200 {
		return cfg, fmt.Errorf("BENCH_MESSAGES=%d: want at least 200 (the flag scenario changes 100)", cfg.messages)
	}
	if cfg.runs, err = envInt("BENCH_RUNS", 3); err != nil {
		return cfg, err
	}
	if cfg.root, err = repoRoot(); err != nil {
		return cfg, err
	}
	cfg.dir = os.Getenv("BENCH_DIR")
	if cfg.dir == "" {
		cfg.dir = "/var/tmp/postbode-bench"
	}
	if cfg.dir, err = filepath.Abs(cfg.dir); err != nil {
		return cfg, err
	}
	cfg.work = filepath.Join(cfg.dir, "work")
	cfg.out = os.Getenv("BENCH_OUT")
	if cfg.out == "" {
		cfg.out = filepath.Join(cfg.root, "docs", "BENCHMARKS.md")
	}
	cfg.postbode = os.Getenv("BENCH_POSTBODE")
	if cfg.postbode == "" {
		cfg.postbode = filepath.Join(cfg.root, "bin", "postbode")
	}
	cfg.profile = os.Getenv("BENCH_PROFILE") != "0"
	cfg.keep = os.Getenv("BENCH_KEEP") == "1"
	cfg.scale = os.Getenv("BENCH_SCALE") != "0"
	cfg.render = os.Getenv("BENCH_RENDER") == "1"
	cfg.fetchmailMDA = os.Getenv("BENCH_FETCHMAIL_MDA") == "1"
	cfg.merge = os.Getenv("BENCH_MERGE") == "1"
	if only := os.Getenv("BENCH_ONLY"); only != "" {
		cfg.only = map[string]bool{}
		for _, g := range strings.Split(only, ",") {
			cfg.only[strings.TrimSpace(g)] = true
		}
	}
	return cfg, nil
}

// repoRoot is the folder of go.mod, from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run pbbench inside the postbode source tree (no go.mod found)")
		}
		dir = parent
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

func run(ctx context.Context) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, start: time.Now(), results: results{Messages: cfg.messages, Runs: cfg.runs,
		FetchmailMDA: cfg.fetchmailMDA, Errs: map[string]string{}}}
	if cfg.render {
		return b.render()
	}
	if cfg.merge {
		if len(cfg.only) == 0 {
			return errors.New("BENCH_MERGE=1 needs BENCH_ONLY: it merges the groups run into the last results")
		}
		if err := b.loadResults(); err != nil {
			return err
		}
		// The groups run again lose their old errors; the others keep results and errors.
		b.Failed = slices.DeleteFunc(b.Failed, func(g string) bool { return cfg.only[g] })
		if b.Errs == nil {
			b.Errs = map[string]string{}
		}
		for g := range cfg.only {
			delete(b.Errs, g)
		}
		// The report's machine line stays that of the full run; merged groups note their own.
		b.logf("merging %s into the results of %s", os.Getenv("BENCH_ONLY"), b.Machine.Date.Format("2006-01-02 15:04 UTC"))
	} else {
		b.Machine = readMachine(ctx)
	}
	b.logf("%d messages, %d runs, corpus in %s; load average %s", cfg.messages, cfg.runs, cfg.dir, loadAvg())

	if !scaleOnly(cfg.only) {
		if err := b.prepare(ctx); err != nil {
			return err
		}
	}
	defer func() {
		if b.d != nil {
			if err := b.d.Stop(); err != nil {
				b.logf("stop dovecot: %v", err)
			}
		}
		if !cfg.keep {
			_ = os.RemoveAll(cfg.work)
		}
	}()

	groups := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"raw floor", b.floors},
		{"IMAP", b.imapRuns},
		{"newest 50", b.newestRuns},
		{"IDLE", b.idleRun},
		{"POP3", b.pop3Runs},
		{"cache", b.cacheRuns},
	}
	if cfg.scale {
		groups = append(groups, struct {
			name string
			fn   func(context.Context) error
		}{"scale", b.scaleRuns}, struct {
			name string
			fn   func(context.Context) error
		}{"window", b.windowRuns})
	}
	if cfg.profile {
		groups = append(groups, struct {
			name string
			fn   func(context.Context) error
		}{"profile", b.profileRuns})
	}
	for _, g := range groups {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(cfg.only) > 0 && !cfg.only[g.name] {
			continue
		}
		b.logf("== %s", g.name)
		if err := g.fn(ctx); err != nil {
			b.logf("%s FAILED: %v", g.name, err)
			b.Errs[g.name] = err.Error()
			b.Failed = append(b.Failed, g.name)
		}
	}
	if !cfg.merge {
		b.Machine.LoadEnd = loadAvg()
	}
	if len(cfg.only) > 0 && !cfg.merge {
		fmt.Print(markdownTable(b.rows()))
		fmt.Print(b.scaleSection())
		if len(b.Failed) > 0 {
			return fmt.Errorf("failed: %s", strings.Join(b.Failed, ", "))
		}
		return nil
	}
	data, err := json.MarshalIndent(b.results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.dir, "results.json"), data, 0o644); err != nil {
		return err
	}
	if err := b.writeReport(); err != nil {
		return err
	}
	if len(b.Failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(b.Failed, ", "))
	}
	return nil
}

// render writes the report again from the results of the last run (after the notes changed).
func (b *bench) render() error {
	if err := b.loadResults(); err != nil {
		return err
	}
	return b.writeReport()
}

// loadResults reads the results of the last run (BENCH_RENDER, BENCH_MERGE).
func (b *bench) loadResults() error {
	data, err := os.ReadFile(filepath.Join(b.cfg.dir, "results.json"))
	if err != nil {
		return fmt.Errorf("BENCH_RENDER and BENCH_MERGE need the results of an earlier run: %w", err)
	}
	if err := json.Unmarshal(data, &b.results); err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	return nil
}

func (b *bench) writeReport() error {
	table := markdownTable(b.rows())
	fmt.Println()
	fmt.Print(table)
	if err := os.MkdirAll(filepath.Dir(b.cfg.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(b.cfg.out, []byte(b.document(table)), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	b.logf("wrote %s", b.cfg.out)
	return nil
}

// prepare installs the anchors, finds or builds postbode, starts Dovecot with the corpus and warms
// the server's caches so the first measured program does not pay for them.
func (b *bench) prepare(ctx context.Context) error {
	cfg := b.cfg
	if err := b.ensurePackages(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.postbode); err != nil {
		b.logf("building %s", cfg.postbode)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", cfg.postbode, ".")
		cmd.Dir, cmd.Stdout, cmd.Stderr = cfg.root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build postbode: %w", err)
		}
	}
	if err := os.RemoveAll(cfg.work); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.work, 0o755); err != nil {
		return err
	}
	if err := testbed.Available(); err != nil {
		return err
	}
	if err := b.startCorpus(ctx); err != nil {
		return err
	}
	b.Versions = [][2]string{
		{"postbode", version(ctx, cfg.postbode, "--version")},
		{"Dovecot", version(ctx, "dovecot", "--version")},
		{"mbsync", version(ctx, "mbsync", "--version")},
		{"fetchmail", version(ctx, "fetchmail", "--version")},
		{"Go", runtime.Version()},
	}
	b.logf("warming the server's caches")
	if _, err := rawFetchAll(ctx, b.d, imapUser, false, cfg.messages); err != nil {
		return fmt.Errorf("warm-up IMAP: %w", err)
	}
	if err := pop3Warm(ctx, b.d, pop3User, cfg.messages); err != nil {
		return fmt.Errorf("warm-up POP3: %w", err)
	}
	return nil
}

func (b *bench) ensurePackages(ctx context.Context) error {
	var missing []string
	for bin, pkg := range map[string]string{"mbsync": "isync", "fetchmail": "fetchmail", timeBin: "time"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	b.logf("installing %s", strings.Join(missing, " "))
	cmd := exec.CommandContext(ctx, filepath.Join(b.cfg.root, "scripts", "apt-ensure.sh"), missing...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("install %v: %w", missing, err)
	}
	return nil
}

// corpusMark says what the kept Dovecot directory holds.
type corpusMark struct {
	Seed, Messages int
	End            time.Time
	Bytes          int64
	Users          []string
}

// startCorpus starts Dovecot on the kept directory, generating and delivering the mailbox when it is
// missing or different.
func (b *bench) startCorpus(ctx context.Context) error {
	cfg := b.cfg
	dcDir := filepath.Join(cfg.dir, "dovecot")
	markFile := filepath.Join(cfg.dir, "corpus.json")
	want := corpusMark{Seed: corpusSeed, Messages: cfg.messages, End: corpusEnd, Users: []string{imapUser, pop3User}}
	var have corpusMark
	reuse := false
	if data, err := os.ReadFile(markFile); err == nil && json.Unmarshal(data, &have) == nil {
		have.Bytes, want.Bytes = 0, 0
		reuse = fmt.Sprint(have) == fmt.Sprint(want)
	}
	if !reuse {
		_ = os.Remove(markFile)
		if err := os.RemoveAll(dcDir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		return err
	}
	start := func() error {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		d, err := testbed.Start(sctx, testbed.Options{Dir: dcDir})
		if err != nil {
			return err
		}
		b.d = d
		return nil
	}
	if err := start(); err != nil {
		return err
	}
	if reuse {
		ok := true
		for _, u := range []string{imapUser, pop3User} {
			st, err := b.d.Status(u, "INBOX")
			if err != nil || int(st.Messages) != cfg.messages {
				ok = false
			}
		}
		if ok {
			data, _ := os.ReadFile(markFile)
			_ = json.Unmarshal(data, &have)
			b.CorpusBytes = have.Bytes
			b.logf("reusing the mailbox in %s", dcDir)
			return b.resetFlags(ctx)
		}
		b.logf("the kept mailbox is not as generated; generating it again")
		if err := b.d.Stop(); err != nil {
			return err
		}
		b.d = nil
		if err := os.RemoveAll(dcDir); err != nil {
			return err
		}
		if err := start(); err != nil {
			return err
		}
	}
	b.logf("generating %d messages (seed %d)", cfg.messages, corpusSeed)
	msgs := testbed.Generate(corpusSeed, cfg.messages, testbed.GenOptions{End: corpusEnd})
	for _, m := range msgs {
		b.CorpusBytes += int64(len(m))
	}
	for _, u := range []string{imapUser, pop3User} {
		b.logf("delivering %d messages (%.0f MB) to %s", len(msgs), float64(b.CorpusBytes)/1e6, u)
		if err := b.d.Deliver(u, "INBOX", msgs...); err != nil {
			return err
		}
		st, err := b.d.Status(u, "INBOX") // lets Dovecot index the new mail now
		if err != nil {
			return err
		}
		if int(st.Messages) != cfg.messages {
			return fmt.Errorf("%s's INBOX holds %d messages after delivery, want %d", u, st.Messages, cfg.messages)
		}
	}
	want.Bytes = b.CorpusBytes
	data, _ := json.Marshal(want)
	return os.WriteFile(markFile, data, 0o644)
}

// resetFlags clears the flags earlier runs changed, so every run starts from the same mailbox.
func (b *bench) resetFlags(ctx context.Context) error {
	_, err := b.d.Doveadm(ctx, "flags", "remove", "-u", imapUser, `\Seen \Flagged`, "mailbox", "INBOX", "all")
	return err
}

// flushDisks writes dirty pages out between runs so one run's writeback does not slow the next.
func flushDisks() { syscall.Sync() }

// procRuns are the results of one process scenario over the runs.
type procRuns []procResult

func (p procRuns) wall() series {
	s := make(series, len(p))
	for i, r := range p {
		s[i] = secs(r.Wall)
	}
	return s
}

func (p procRuns) rssMB() series {
	s := make(series, len(p))
	for i, r := range p {
		s[i] = float64(r.MaxRSSKB) / 1024
	}
	return s
}

func (p procRuns) detail() string {
	parts := make([]string, len(p))
	for i, r := range p {
		parts[i] = fmt.Sprintf("%s (cpu %s user + %s sys, %s)", unitSeconds.format(secs(r.Wall)),
			unitSeconds.format(secs(r.User)), unitSeconds.format(secs(r.Sys)), unitMB.format(float64(r.MaxRSSKB)/1024))
	}
	return strings.Join(parts, "; ")
}

// postbode runs the postbode binary with a profile, untimed (setup steps).
func (b *bench) postbode(ctx context.Context, profile string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.cfg.postbode, append([]string{"--profile", profile}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("postbode %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// syncSpec is a timed `postbode sync --once` of the bench account.
func (b *bench) syncSpec(name, profile, password, logFile string, env ...string) procSpec {
	return procSpec{Name: name, Args: []string{b.cfg.postbode, "--profile", profile, "sync", "--once",
		"--account", accountName, "--password-stdin"}, Stdin: password + "\n", LogFile: logFile, Env: env}
}

func (b *bench) addIMAPAccount(ctx context.Context, profile string) error {
	return b.postbode(ctx, profile, "account", "add", "--name", accountName, "--kind", "imap",
		"--email", imapUser+"@mail.test", "--host", b.d.Host, "--port", strconv.Itoa(b.d.IMAPSPort),
		"--security", "tls", "--user", imapUser, "--ca-file", b.d.CAFile, "--body-window-days", "-1")
}

func (b *bench) addPOP3Account(ctx context.Context, profile string) error {
	return b.postbode(ctx, profile, "account", "add", "--name", accountName, "--kind", "pop3",
		"--email", pop3User+"@mail.test", "--host", b.d.Host, "--port", strconv.Itoa(b.d.POP3SPort),
		"--security", "tls", "--user", pop3User, "--ca-file", b.d.CAFile, "--leave", "keep")
}

// timed runs one measured program, logs it and appends it to out.
func (b *bench) timed(ctx context.Context, spec procSpec, out *procRuns) error {
	flushDisks()
	res, err := runTimed(ctx, spec)
	if err != nil {
		return err
	}
	b.logf("%-28s %9s  peak RSS %s", spec.Name, unitSeconds.format(secs(res.Wall)), unitMB.format(float64(res.MaxRSSKB)/1024))
	*out = append(*out, res)
	return nil
}

// checkIMAP opens a Postbode profile's cache and checks INBOX: every message listed with its body,
// and the given \Seen states applied.
func checkIMAP(ctx context.Context, profile string, n int, seen map[uint32]bool, openTime *series) error {
	start := time.Now()
	c, err := openCache(accounts.ProfileIn(profile).DataDir)
	if err != nil {
		return err
	}
	if openTime != nil {
		*openTime = append(*openTime, secs(time.Since(start)))
	}
	defer c.Close()
	f, err := c.FolderByRole(ctx, accountName, localcache.RoleInbox)
	if err != nil {
		return fmt.Errorf("postbode INBOX: %w", err)
	}
	if f.Total != n {
		return fmt.Errorf("postbode INBOX holds %d messages, want %d", f.Total, n)
	}
	without, err := c.MessagesWithoutBody(ctx, f.ID, time.Time{}, 1)
	if err != nil {
		return err
	}
	if len(without) > 0 {
		return fmt.Errorf("postbode INBOX: message UID %d has no body", without[0].UID)
	}
	for uid, want := range seen {
		m, err := c.MessageByUID(ctx, f.ID, uid)
		if err != nil {
			return fmt.Errorf("postbode INBOX UID %d: %w", uid, err)
		}
		if m.Flags.Has(localcache.FlagSeen) != want {
			return fmt.Errorf("postbode INBOX UID %d: \\Seen is %v, the server says %v", uid, !want, want)
		}
	}
	return nil
}

func checkPOP3(ctx context.Context, profile string, n int) error {
	c, err := openCache(accounts.ProfileIn(profile).DataDir)
	if err != nil {
		return err
	}
	defer c.Close()
	f, err := c.FolderByRole(ctx, accountName, localcache.RoleInbox)
	if err != nil {
		return fmt.Errorf("postbode POP3 inbox: %w", err)
	}
	if f.Total != n {
		return fmt.Errorf("postbode POP3 inbox holds %d messages, want %d", f.Total, n)
	}
	return nil
}

// flagTargets spreads 100 UIDs over the mailbox, different ones each run.
func flagTargets(n, run int) []uint32 {
	out := make([]uint32, flagChanges)
	for k := range out {
		out[k] = uint32((k*n/flagChanges+run*7)%n) + 1
	}
	return out
}

// imapRuns: per run, Postbode and mbsync each do a first sync into an empty store, a resync with
// nothing changed and a resync after another client changed 100 flags.
func (b *bench) imapRuns(ctx context.Context) error {
	cfg := b.cfg
	pw := b.d.Password(imapUser)
	for i := 0; i < cfg.runs; i++ {
		dir := filepath.Join(cfg.work, fmt.Sprintf("imap-%d", i+1))
		pb := filepath.Join(dir, "postbode")
		if err := b.addIMAPAccount(ctx, pb); err != nil {
			return err
		}
		mb, err := newMbsync(filepath.Join(dir, "mbsync"), b.d, imapUser, pw)
		if err != nil {
			return err
		}
		logs := filepath.Join(dir, "logs")

		if err := b.timed(ctx, b.syncSpec("postbode IMAP first sync", pb, pw, filepath.Join(logs, "pb-first.log")), &b.PBFirst); err != nil {
			return err
		}
		if err := checkIMAP(ctx, pb, cfg.messages, nil, &b.PBOpen); err != nil {
			return err
		}
		if err := b.timed(ctx, mb.spec("mbsync first sync", filepath.Join(logs, "mb-first.log")), &b.MBFirst); err != nil {
			return err
		}
		if n, err := mb.inboxCount(); err != nil || n != cfg.messages {
			return fmt.Errorf("mbsync INBOX holds %d messages, want %d (%v)", n, cfg.messages, err)
		}

		if err := b.timed(ctx, b.syncSpec("postbode IMAP resync", pb, pw, filepath.Join(logs, "pb-resync.log")), &b.PBNoChange); err != nil {
			return err
		}
		mb.settle()
		if err := b.timed(ctx, mb.spec("mbsync resync", filepath.Join(logs, "mb-resync.log")), &b.MBNoChange); err != nil {
			return err
		}

		seen, err := toggleSeen(ctx, b.d, imapUser, flagTargets(cfg.messages, i))
		if err != nil {
			return err
		}
		if err := b.timed(ctx, b.syncSpec("postbode IMAP 100 flags", pb, pw, filepath.Join(logs, "pb-flags.log")), &b.PBFlags); err != nil {
			return err
		}
		if err := checkIMAP(ctx, pb, cfg.messages, seen, nil); err != nil {
			return err
		}
		mb.settle()
		if err := b.timed(ctx, mb.spec("mbsync 100 flags", filepath.Join(logs, "mb-flags.log")), &b.MBFlags); err != nil {
			return err
		}
		if n, err := mb.inboxCount(); err != nil || n != cfg.messages {
			return fmt.Errorf("mbsync INBOX holds %d messages, want %d (%v)", n, cfg.messages, err)
		}
		// The last run's Postbode profile is kept: the IDLE scenario starts from its full cache.
		switch {
		case cfg.keep:
		case i < cfg.runs-1:
			_ = os.RemoveAll(dir)
		default:
			_ = os.RemoveAll(mb.dir)
		}
	}
	return nil
}

func (b *bench) lastIMAPProfile() string {
	return filepath.Join(b.cfg.work, fmt.Sprintf("imap-%d", b.cfg.runs), "postbode")
}

// pop3Runs: per run, Postbode and fetchmail each download the whole maildrop (keeping it on the
// server) and then poll twice with nothing new; the second poll is measured.
func (b *bench) pop3Runs(ctx context.Context) error {
	cfg := b.cfg
	pw := b.d.Password(pop3User)
	for i := 0; i < cfg.runs; i++ {
		dir := filepath.Join(cfg.work, fmt.Sprintf("pop3-%d", i+1))
		pb := filepath.Join(dir, "postbode")
		if err := b.addPOP3Account(ctx, pb); err != nil {
			return err
		}
		fm, err := newFetchmail(filepath.Join(dir, "fetchmail"), b.d, pop3User, pw, cfg.fetchmailMDA)
		if err != nil {
			return err
		}
		logs := filepath.Join(dir, "logs")
		if err := b.timed(ctx, b.syncSpec("postbode POP3 download", pb, pw, filepath.Join(logs, "pb-full.log")), &b.PBPOPFull); err != nil {
			return err
		}
		if err := checkPOP3(ctx, pb, cfg.messages); err != nil {
			return err
		}
		if err := b.timed(ctx, fm.spec("fetchmail download", filepath.Join(logs, "fm-full.log")), &b.FMFull); err != nil {
			return err
		}
		if n, size, err := fm.fetched(); err != nil || n < cfg.messages || size < b.CorpusBytes*9/10 {
			return fmt.Errorf("fetchmail remembers %d UIDLs and wrote %d bytes, want %d messages of %d bytes (%v)",
				n, size, cfg.messages, b.CorpusBytes, err)
		}
		// The poll right after a download is the first to find nothing, and Postbode's records
		// what it saw then; the re-poll measured is the next one, as every poll of an idle
		// mailbox is. Both programs get the same untimed first poll.
		if _, err := runTimed(ctx, b.syncSpec("postbode POP3 first poll after the download", pb, pw, filepath.Join(logs, "pb-repoll0.log"))); err != nil {
			return err
		}
		if _, err := runTimed(ctx, fm.spec("fetchmail first poll after the download", filepath.Join(logs, "fm-repoll0.log"))); err != nil {
			return err
		}
		if err := b.timed(ctx, b.syncSpec("postbode POP3 re-poll", pb, pw, filepath.Join(logs, "pb-repoll.log")), &b.PBPOPRepoll); err != nil {
			return err
		}
		if err := checkPOP3(ctx, pb, cfg.messages); err != nil {
			return err
		}
		if err := b.timed(ctx, fm.spec("fetchmail re-poll", filepath.Join(logs, "fm-repoll.log")), &b.FMRepoll); err != nil {
			return err
		}
		if !cfg.keep {
			_ = os.RemoveAll(dir)
		}
	}
	return nil
}

// floors: the raw transfer of every body with go-imap, over plain IMAP and IMAPS, and a NOOP round trip.
func (b *bench) floors(ctx context.Context) error {
	for i := 0; i < b.cfg.runs; i++ {
		for _, v := range []struct {
			plain bool
			out   *series
			name  string
		}{{true, &b.RawPlain, "raw FETCH plain"}, {false, &b.RawTLS, "raw FETCH IMAPS"}} {
			d, err := rawFetchAll(ctx, b.d, imapUser, v.plain, b.cfg.messages)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			*v.out = append(*v.out, secs(d))
			b.logf("%-28s %9s", v.name, unitSeconds.format(secs(d)))
		}
	}
	rtt, err := noopRTT(ctx, b.d, imapUser, 50)
	if err != nil {
		return err
	}
	b.RTT = rtt
	return nil
}

// benchAccount is the IMAP account the in-process scenarios use.
func (b *bench) benchAccount() types.Account {
	return types.Account{Name: accountName, Kind: types.IMAP, Email: imapUser + "@mail.test",
		Incoming: types.Server{Host: b.d.Host, Port: b.d.IMAPSPort, Security: "tls", User: imapUser, CAFile: b.d.CAFile},
		IMAP:     types.IMAPPolicy{BodyWindowDays: -1}}.WithDefaults()
}

func (b *bench) newestRuns(ctx context.Context) error {
	want, err := newestUIDs(ctx, b.d, imapUser, 50)
	if err != nil {
		return err
	}
	acc := b.benchAccount()
	if err := acc.Validate(); err != nil {
		return err
	}
	for i := 0; i < b.cfg.runs; i++ {
		flushDisks()
		d, err := newest50(ctx, acc, b.d.Password(imapUser), want)
		if err != nil {
			return err
		}
		b.Newest = append(b.Newest, secs(d))
		f, err := rawNewest(ctx, b.d, imapUser, 50)
		if err != nil {
			return err
		}
		b.NewestFloor = append(b.NewestFloor, secs(f))
		b.logf("%-28s %9s  (floor %s)", "newest 50 readable", unitSeconds.format(secs(d)), unitSeconds.format(secs(f)))
	}
	return nil
}

func (b *bench) idleRun(ctx context.Context) error {
	profile := b.lastIMAPProfile()
	cfgFile, err := accounts.LoadConfig(accounts.ProfileIn(profile).AccountsFile())
	if err != nil {
		return fmt.Errorf("the IDLE scenario needs the IMAP scenario's profile: %w", err)
	}
	acc, ok := cfgFile.Find(accountName)
	if !ok {
		return fmt.Errorf("no account %q in %s", accountName, profile)
	}
	var stopProfile func() error
	if b.cfg.profile {
		// The engine runs in this process: profile it here (the samples of this driver's own polling
		// are filtered out of the report).
		if stopProfile, err = b.startProfile("IDLE push (in-process engine)", "idle.pprof"); err != nil {
			return err
		}
	}
	res, err := idleLatency(ctx, b.d, acc.WithDefaults(), b.d.Password(imapUser), accounts.ProfileIn(profile).DataDir, pushSamples)
	b.Push = res
	if stopProfile != nil {
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil {
		return err
	}
	if b.IdleFloor, err = rawIdleFloor(ctx, b.d, imapUser, idleFloorSamples); err != nil {
		return fmt.Errorf("bare IDLE floor: %w", err)
	}
	b.logf("%-28s p50 %s, p95 %s (LMTP delivery p50 %s; bare IDLE p50 %s)", "IDLE push", unitSeconds.format(res.Listed.median()),
		unitSeconds.format(res.Listed.percentile(95)), unitSeconds.format(res.LMTP.median()), unitSeconds.format(b.IdleFloor.median()))
	return nil
}

func (b *bench) cacheRuns(ctx context.Context) error {
	res, err := cacheBench(ctx, filepath.Join(b.cfg.dir, "cache100k"), max(b.cfg.runs, 5), b.logf)
	b.Cache = res
	if err != nil {
		return err
	}
	b.logf("cache: open+first page %s, scroll %s, search %s, unread %s", unitSeconds.format(res.Open.median()),
		unitSeconds.format(res.Scroll.median()), unitSeconds.format(res.SearchRare.median()), unitSeconds.format(res.Unread.median()))
	return nil
}
