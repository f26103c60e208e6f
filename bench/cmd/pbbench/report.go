package main

import (
	"bufio"
	"context"
	"crypto/tls"
	_ "embed"
	"fmt"

	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"postbode/internal/testkit/testbed"
)

// notes is the hand-written analysis appended to the generated report.
//
//go:embed notes.md
var notes string

type machineInfo struct {
	CPUs                  int
	CPUModel, RAM, Kernel string
	LoadStart, LoadEnd    string
	Date                  time.Time
}

func readMachine(ctx context.Context) machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), CPUModel: "unknown", RAM: "unknown", Date: time.Now().UTC(),
		Kernel: output(ctx, "uname", "-sr"), LoadStart: loadAvg()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, l := range strings.Split(string(data), "\n") {
			if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kb); err == nil {
				m.RAM = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
	}
	return m
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// pop3Warm logs in over POP3S and lists every message and UIDL, so Dovecot has sizes and UIDLs in
// its index, and reads the maildir once so its files are in the page cache.
func pop3Warm(ctx context.Context, d *testbed.Dovecot, user string, n int) error {
	for _, sub := range []string{"cur", "new"} {
		dir := filepath.Join(d.MaildirPath(user), sub)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			_, _ = os.ReadFile(filepath.Join(dir, e.Name()))
		}
	}
	var dialer net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	raw, err := dialer.DialContext(ctx, "tcp", d.POP3SAddr())
	if err != nil {
		return err
	}
	conn := tls.Client(raw, d.TLSConfig())
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	r := bufio.NewReader(conn)
	status := func() (string, error) {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(line, "+OK") {
			return "", fmt.Errorf("pop3: %s", strings.TrimSpace(line))
		}
		return line, nil
	}
	cmd := func(line string) error {
		if _, err := conn.Write([]byte(line + "\r\n")); err != nil {
			return err
		}
		_, err := status()
		return err
	}
	multi := func(line string) (int, error) {
		if err := cmd(line); err != nil {
			return 0, err
		}
		k := 0
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return k, err
			}
			if l == ".\r\n" {
				return k, nil
			}
			k++
		}
	}
	if _, err := status(); err != nil {
		return err
	}
	if err := cmd("USER " + user); err != nil {
		return err
	}
	if err := cmd("PASS " + d.Password(user)); err != nil {
		return err
	}
	for _, c := range []string{"LIST", "UIDL"} {
		k, err := multi(c)
		if err != nil {
			return fmt.Errorf("pop3 %s: %w", c, err)
		}
		if k != n {
			return fmt.Errorf("pop3 %s listed %d messages, want %d", c, k, n)
		}
	}
	return cmd("QUIT")
}

// profileReport is the CPU profile of one extra Postbode run.
type profileReport struct {
	Scenario string
	Wall     time.Duration
	Top      string
}

// profileRuns repeats the long Postbode runs, and the IMAP resync right after, once with
// POSTBODE_CPUPROFILE and keeps the top of each profile for the report.
func (b *bench) profileRuns(ctx context.Context) error {
	dir := filepath.Join(b.cfg.work, "profile")
	keep := filepath.Join(b.cfg.dir, "profiles")
	if err := os.MkdirAll(keep, 0o755); err != nil {
		return err
	}
	for _, p := range []struct {
		name, user string
		add        func(context.Context, string) error
		again      string // a second profiled run on the same profile
	}{{"IMAP first sync", imapUser, b.addIMAPAccount, "IMAP resync, nothing changed"}, {"POP3 download", pop3User, b.addPOP3Account, ""}} {
		profile := filepath.Join(dir, strings.ReplaceAll(p.name, " ", "-"))
		if err := p.add(ctx, profile); err != nil {
			return err
		}
		for _, name := range []string{p.name, p.again} {
			if name == "" {
				continue
			}
			pprofFile := filepath.Join(keep, strings.NewReplacer(" ", "-", ",", "").Replace(name)+".pprof")
			var runs procRuns
			spec := b.syncSpec("profiled "+name, profile, b.d.Password(p.user), profile+".log", "POSTBODE_CPUPROFILE="+pprofFile)
			if err := b.timed(ctx, spec, &runs); err != nil {
				return err
			}
			tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			out, err := exec.CommandContext(tctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=40",
				"-hide="+pprofHide, b.cfg.postbode, pprofFile).CombinedOutput()
			cancel()
			if err != nil {
				return fmt.Errorf("pprof %s: %w: %s", name, err, out)
			}
			b.Profiles = append(b.Profiles, profileReport{Scenario: name, Wall: runs[0].Wall, Top: trimPprof(string(out))})
		}
		if !b.cfg.keep {
			_ = os.RemoveAll(profile)
		}
	}
	return nil
}

// startProfile profiles this process (for scenarios that run the engine in-process) until the
// returned function is called, which adds the profile's top to the report.
func (b *bench) startProfile(scenario, name string) (func() error, error) {
	dir := filepath.Join(b.cfg.dir, "profiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	start := time.Now()
	return func() error {
		pprof.StopCPUProfile()
		wall := time.Since(start)
		if err := f.Close(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=40",
			"-focus=postbode/sync", "-hide="+pprofHide, path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pprof %s: %w: %s", name, err, out)
		}
		b.Profiles = append(b.Profiles, profileReport{Scenario: scenario, Wall: wall, Top: trimPprof(string(out))})
		return nil
	}, nil
}

// pprofHide keeps wrappers (runtime, database/sql, the CLI and Manager layers, closures) out of the
// cumulative listing, so the work itself shows.
const pprofHide = `^(runtime|database/sql|main|internal/|syscall)\.|postbode/cli|Manager|pipeline|SyncOnce|\.func[0-9]|\.pass$`

// trimPprof drops pprof's preamble lines that name local files.
func trimPprof(s string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func (b *bench) failedRow(group string) string { return b.Errs[group] }

// rows builds the results table.
func (b *bench) rows() []row {
	n := thousands(b.Messages)
	mbsync, fetchmail := "mbsync (isync)", "fetchmail (bsmtp file)"
	if b.FetchmailMDA {
		fetchmail = "fetchmail (mda)"
	}
	p95 := b.Push.Listed.percentile(95)
	rows := []row{
		{Scenario: "IMAP first sync, " + n + " messages, headers + all bodies (IMAPS)", PB: b.PBFirst.wall(),
			AnchorName: mbsync, Anchor: b.MBFirst.wall(), Reference: "mbsync 15.0 s", Goal: ratioAtMost(0.5, "≤ 0.5× mbsync"), Failed: b.failedRow("IMAP")},
		{Scenario: "IMAP newest 50 of INBOX readable (empty cache)", PB: b.Newest,
			AnchorName: "floor: log in + FETCH newest 50", Anchor: b.NewestFloor, Goal: atMost(1, "< 1 s"), Failed: b.failedRow("newest 50")},
		{Scenario: "IMAP resync, nothing changed", PB: b.PBNoChange.wall(),
			AnchorName: mbsync, Anchor: b.MBNoChange.wall(), Reference: "mbsync 0.11 s", Goal: ratioAtMost(0.8, "≤ 0.8× mbsync"), Failed: b.failedRow("IMAP")},
		{Scenario: "IMAP resync, 100 flags changed by another client", PB: b.PBFlags.wall(),
			AnchorName: mbsync, Anchor: b.MBFlags.wall(), Reference: "mbsync 0.15 s", Failed: b.failedRow("IMAP")},
		{Scenario: fmt.Sprintf("IDLE push: LMTP delivery → in the cache, p50 of %d", len(b.Push.Listed)), PB: b.Push.Listed,
			PBExtra:    fmt.Sprintf("p95 %s; body stored p50 %s", unitSeconds.format(p95), unitSeconds.format(b.Push.Bodied.median())),
			AnchorName: "floor: bare go-imap IDLE, delivery → EXISTS", Anchor: b.IdleFloor,
			Goal: goal{"p95 < 100 ms", func(float64, float64) bool { return p95 < 0.1 }}, Failed: b.failedRow("IDLE")},
		{Scenario: "POP3 full download, " + n + " messages, keep on server (POP3S)", PB: b.PBPOPFull.wall(),
			AnchorName: fetchmail, Anchor: b.FMFull.wall(), Reference: "fetchmail 48 s", Goal: ratioAtMost(0.25, "≤ 0.25× fetchmail"), Failed: b.failedRow("POP3")},
		{Scenario: "POP3 re-poll, nothing new (the second poll after the download)", PB: b.PBPOPRepoll.wall(),
			AnchorName: fetchmail, Anchor: b.FMRepoll.wall(), Reference: "fetchmail 0.18 s", Goal: ratioAtMost(0.8, "≤ 0.8× fetchmail"), Failed: b.failedRow("POP3")},
		{Scenario: "raw floor: UID FETCH 1:* BODY.PEEK[] with go-imap, plain IMAP", PB: b.RawPlain,
			Reference: "1.9 s", Failed: b.failedRow("raw floor")},
		{Scenario: "raw floor: UID FETCH 1:* BODY.PEEK[] with go-imap, IMAPS", PB: b.RawTLS,
			Reference: "4.1 s", Failed: b.failedRow("raw floor")},
		{Scenario: "cache 100k: open the cache + first 50 rows", PB: b.Cache.Open, Goal: atMost(0.1, "< 100 ms"), Failed: b.failedRow("cache")},
		{Scenario: "cache 100k: first 50 rows (cache open)", PB: b.Cache.First, Goal: atMost(0.1, "< 100 ms"), Failed: b.failedRow("cache")},
		{Scenario: fmt.Sprintf("cache 100k: scroll to the end (%d pages of 50)", b.Cache.Pages), PB: b.Cache.Scroll, Failed: b.failedRow("cache")},
		{Scenario: "cache 100k: jump to the last page (page marks + page)", PB: b.Cache.Jump, Failed: b.failedRow("cache")},
		{Scenario: fmt.Sprintf("cache 100k: full-text query, rare word %q", b.Cache.RareWord), PB: b.Cache.SearchRare, Goal: atMost(0.05, "< 50 ms"), Failed: b.failedRow("cache")},
		{Scenario: fmt.Sprintf("cache 100k: full-text query, common word %q", b.Cache.CommonWord), PB: b.Cache.SearchCommon, Goal: atMost(0.05, "< 50 ms"), Failed: b.failedRow("cache")},
		{Scenario: "cache 100k: unread count", PB: b.Cache.Unread, Failed: b.failedRow("cache")},
		{Scenario: "cache 100k: Ctrl+A, mark read (IMAP: queued for the server); the ids, then one scan and one UPDATE", PB: b.Cache.MarkRead,
			Goal: atMost(1, "< 1 s"), Failed: b.failedRow("cache")},
	}
	for _, r := range []struct {
		name     string
		pb, an   procRuns
		anchor   string
		failedOn string
	}{
		{"IMAP first sync", b.PBFirst, b.MBFirst, mbsync, "IMAP"},
		{"IMAP resync, nothing changed", b.PBNoChange, b.MBNoChange, mbsync, "IMAP"},
		{"IMAP resync, 100 flags", b.PBFlags, b.MBFlags, mbsync, "IMAP"},
		{"POP3 full download", b.PBPOPFull, b.FMFull, fetchmail, "POP3"},
		{"POP3 re-poll", b.PBPOPRepoll, b.FMRepoll, fetchmail, "POP3"},
	} {
		rows = append(rows, row{Scenario: "peak RSS: " + r.name, Unit: unitMB, PB: r.pb.rssMB(), AnchorName: r.anchor,
			Anchor: r.an.rssMB(), Goal: atMost(60, "< 60 MB"), Failed: b.failedRow(r.failedOn)})
	}
	return rows
}

// thousands writes n with comma separators (10,000).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// document is docs/BENCHMARKS.md: how the figures were made, the table, every run, profiles, notes.
func (b *bench) document(table string) string {
	m := b.Machine
	var w strings.Builder
	fmt.Fprintf(&w, "# Benchmarks\n\n")
	fmt.Fprintf(&w, "Generated by `make bench` (bench/cmd/pbbench) on %s. Do not edit by hand: run `make bench` again "+
		"(the notes at the end come from bench/cmd/pbbench/notes.md).\n\n", m.Date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&w, "- Machine: %d CPUs (%s), %s RAM, %s; load average %s before, %s after.\n", m.CPUs, m.CPUModel, m.RAM,
		m.Kernel, m.LoadStart, m.LoadEnd)
	var vs []string
	for _, v := range b.Versions {
		vs = append(vs, v[0]+" "+v[1])
	}
	fmt.Fprintf(&w, "- Versions: %s.\n", strings.Join(vs, "; "))
	fmt.Fprintf(&w, "- Mailbox: %s messages (%.0f MB) from `testbed.Generate(seed %d)`, the default mix: mostly 2–20 KB "+
		"text and HTML mail, 5 %% with 50 KB–1 MB attachments. One private Dovecot on 127.0.0.1 serves it to every tool, "+
		"over IMAPS and POP3S with the test bed's generated CA.\n", thousands(b.Messages), float64(b.CorpusBytes)/1e6, corpusSeed)
	fmt.Fprintf(&w, "- Each figure is the median of %d runs (IDLE: of %d deliveries). Process rows time the whole "+
		"process from start to exit, with the server's caches warm and dirty pages flushed before each run; peak RSS comes "+
		"from GNU time. \"Reference\" is the figure the anchor was expected to reach on this kind of machine; \"goal\" is the "+
		"project's target. Neither is asserted: a slow figure never fails `make bench`.\n", b.Runs, pushSamples)
	w.WriteString("- Run it again with `make bench`; `BENCH_MESSAGES` and `BENCH_RUNS` size it, `BENCH_RENDER=1` rewrites " +
		"this file from the last run's results (see bench/cmd/pbbench for the other knobs).\n\n")
	w.WriteString(table)
	w.WriteString("\nHow each tool was run:\n\n")
	w.WriteString("- Postbode: `postbode --profile P account add --kind imap|pop3 ... --ca-file CA` (IMAP with " +
		"`--body-window-days -1`, so every body is downloaded; POP3 with `--leave keep`), then " +
		"`postbode --profile P sync --once --account bench --password-stdin`, the same profile for the resyncs.\n")
	w.WriteString("- mbsync: IMAPS (`SSLType IMAPS`, `CertificateFile` = the test bed CA), `Patterns *`, `Create Near`, " +
		"`Sync All`, `Expunge None`, into an empty maildir; `mbsync -a` again for the resyncs.\n")
	delivery := "`bsmtp FILE`: every message appended to one BSMTP batch file, no MTA and no process per message, the " +
		"fastest delivery fetchmail has (`BENCH_FETCHMAIL_MDA=1` uses `mda \"cat >> FILE\"` instead)"
	if b.FetchmailMDA {
		delivery = "`mda \"cat >> FILE\"` (no MTA; one shell per message, as any MDA)"
	}
	w.WriteString("- fetchmail: `proto POP3 uidl`, `keep ssl sslcertck sslcertfile CA`, an id file, and " + delivery +
		"; exit code 1 (no mail) counts as success.\n")
	w.WriteString("- Newest 50 and IDLE run the IMAP engine in-process (`imapsync.New` on a `localcache`), watching the cache " +
		"through `Subscribe`. The newest-50 run stops the sync once the 50 highest UIDs of INBOX are listed with bodies. The " +
		"IDLE run starts from the full cache of the last first-sync run; the delivered messages are expunged afterwards.\n")
	w.WriteString("- The 100k cache rows call the `localcache` API on a generated folder of 100,000 messages with body text " +
		"(kept in BENCH_DIR between runs).\n")

	w.WriteString("\n## Every run\n\n")
	for _, r := range []struct {
		name string
		runs procRuns
	}{
		{"Postbode IMAP first sync", b.PBFirst}, {"mbsync first sync", b.MBFirst},
		{"Postbode IMAP resync, nothing changed", b.PBNoChange}, {"mbsync resync, nothing changed", b.MBNoChange},
		{"Postbode IMAP resync, 100 flags", b.PBFlags}, {"mbsync resync, 100 flags", b.MBFlags},
		{"Postbode POP3 download", b.PBPOPFull}, {"fetchmail download", b.FMFull},
		{"Postbode POP3 re-poll", b.PBPOPRepoll}, {"fetchmail re-poll", b.FMRepoll},
	} {
		if len(r.runs) > 0 {
			fmt.Fprintf(&w, "- %s: %s\n", r.name, r.runs.detail())
		}
	}
	for _, r := range []struct {
		name string
		s    series
	}{
		{"raw FETCH, plain", b.RawPlain}, {"raw FETCH, IMAPS", b.RawTLS},
		{"newest 50 readable", b.Newest}, {"newest 50 floor", b.NewestFloor},
		{"IDLE push, listed", b.Push.Listed}, {"bare IDLE, delivery → EXISTS", b.IdleFloor}, {"IDLE push, body stored", b.Push.Bodied}, {"LMTP delivery", b.Push.LMTP},
	} {
		if len(r.s) > 0 {
			fmt.Fprintf(&w, "- %s: %s\n", r.name, unitSeconds.formatAll(r.s))
		}
	}
	if b.RTT > 0 {
		fmt.Fprintf(&w, "- IMAPS NOOP round trip (median of 50): %s\n", unitSeconds.format(b.RTT))
	}
	if len(b.PBOpen) > 0 {
		fmt.Fprintf(&w, "- Opening the cache of Postbode's synced IMAP profile (localcache.Open): %s\n", unitSeconds.formatAll(b.PBOpen))
	}
	if len(b.PBFirst) > 0 && len(b.RawTLS) > 0 {
		fmt.Fprintf(&w, "- Postbode's IMAP first sync took %.1f× the raw IMAPS transfer of the same bytes.\n",
			b.PBFirst.wall().median()/b.RawTLS.median())
	}
	if len(b.Failed) > 0 {
		w.WriteString("\n## Failed\n\n")
		for _, g := range b.Failed {
			fmt.Fprintf(&w, "- %s: %s\n", g, b.Errs[g])
		}
	}
	if len(b.Profiles) > 0 {
		w.WriteString("\n## CPU profiles\n\nOne extra run of each long Postbode scenario with `POSTBODE_CPUPROFILE`, " +
			"and the in-process IDLE scenario profiled in place (`go tool pprof -top -cum`; profiles kept in BENCH_DIR/profiles). " +
			"Wall time with the profiler on is given for reference.\n")
		for _, p := range b.Profiles {
			fmt.Fprintf(&w, "\n### %s (%s)\n\n```\n%s\n```\n", p.Scenario, unitSeconds.format(secs(p.Wall)), p.Top)
		}
	}
	w.WriteString(b.scaleSection())
	if s := strings.TrimSpace(notes); s != "" {
		w.WriteString("\n" + s + "\n")
	}
	return w.String()
}
