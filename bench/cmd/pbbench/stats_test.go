package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
)

func TestSeriesMedianAndPercentile(t *testing.T) {
	if got := (series{3, 1, 2}).median(); got != 2 {
		t.Errorf("median of 3 values = %v, want 2", got)
	}
	if got := (series{4, 1, 3, 2}).median(); got != 2.5 {
		t.Errorf("median of 4 values = %v, want 2.5", got)
	}
	if got := (series{}).median(); !math.IsNaN(got) {
		t.Errorf("median of nothing = %v, want NaN", got)
	}
	var s series
	for i := 1; i <= 50; i++ {
		s = append(s, float64(51-i))
	}
	for _, c := range []struct{ p, want float64 }{{50, 25}, {95, 48}, {100, 50}, {0, 1}} {
		if got := s.percentile(c.p); got != c.want {
			t.Errorf("p%v of 1..50 = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestParseTimeReport(t *testing.T) {
	report := `	Command being timed: "mbsync -q -c rc -a"
	User time (seconds): 1.25
	System time (seconds): 0.50
	Percent of CPU this job got: 12%
	Elapsed (wall clock) time (h:mm:ss or m:ss): 0:14.02
	Maximum resident set size (kbytes): 11264
	Exit status: 0
`
	var r procResult
	parseTimeReport([]byte(report), &r)
	if r.User != 1250*time.Millisecond || r.Sys != 500*time.Millisecond || r.MaxRSSKB != 11264 {
		t.Errorf("parsed %+v", r)
	}
}

func TestUnitFormat(t *testing.T) {
	for _, c := range []struct {
		u    unit
		v    float64
		want string
	}{
		{unitSeconds, 0.0000931, "93 µs"}, {unitSeconds, 0.0042, "4.2 ms"}, {unitSeconds, 0.11, "110 ms"},
		{unitSeconds, 15.04, "15.04 s"}, {unitSeconds, 312, "312 s"}, {unitMB, 7.94, "7.9 MB"}, {unitMB, 71.4, "71 MB"},
		{unitSeconds, math.NaN(), "—"},
	} {
		if got := c.u.format(c.v); got != c.want {
			t.Errorf("format(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestTableRatiosAndGoals(t *testing.T) {
	rows := []row{
		{Scenario: "first sync", PB: series{6, 7, 8}, AnchorName: "mbsync", Anchor: series{14, 15, 16},
			Reference: "mbsync 15.0 s", Goal: ratioAtMost(0.5, "≤ 0.5× mbsync")},
		{Scenario: "resync", PB: series{0.2, 0.3, 0.25}, AnchorName: "mbsync", Anchor: series{0.1, 0.1, 0.1},
			Goal: ratioAtMost(1, "≤ mbsync")},
		{Scenario: "cache", PB: series{0.004}, Goal: atMost(0.1, "< 100 ms")},
		{Scenario: "broken", Failed: "exit status 1"},
	}
	out := markdownTable(rows)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2+len(rows) {
		t.Fatalf("table has %d lines:\n%s", len(lines), out)
	}
	for i, want := range [][]string{
		{"first sync", "7.00 s", "15.00 s", "0.47", "mbsync 15.0 s", "≤ 0.5× mbsync: met"},
		{"resync", "250 ms", "100 ms", "2.50", "≤ mbsync: **missed**"},
		{"cache", "4.0 ms", "< 100 ms: met"},
		{"broken", "failed: exit status 1"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[2+i], w) {
				t.Errorf("row %d lacks %q: %s", i, w, lines[2+i])
			}
		}
	}
	// Every line has the same width, so the table reads as plain text too.
	width := len([]rune(lines[0]))
	for _, l := range lines {
		if len([]rune(l)) != width {
			t.Errorf("ragged line (%d, want %d): %s", len([]rune(l)), width, l)
		}
	}
}

func TestFlagTargets(t *testing.T) {
	a, b := flagTargets(10000, 0), flagTargets(10000, 1)
	seen := map[uint32]bool{}
	for _, u := range a {
		if u < 1 || u > 10000 || seen[u] {
			t.Fatalf("UID %d out of range or repeated", u)
		}
		seen[u] = true
	}
	if len(seen) != flagChanges {
		t.Fatalf("%d targets, want %d", len(seen), flagChanges)
	}
	for _, u := range b {
		if seen[u] {
			t.Fatalf("runs 0 and 1 both change UID %d", u)
		}
	}
}

func TestAnchorConfigs(t *testing.T) {
	dir := t.TempDir()
	d := &testbed.Dovecot{Host: "127.0.0.1", IMAPSPort: 9993, POP3SPort: 9995, ServerName: "mail.test", CAFile: "/x/ca.pem"}
	mb, err := newMbsync(filepath.Join(dir, "mb"), d, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	fm, err := newFetchmail(filepath.Join(dir, "fm"), d, "bob", "pw2", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		want []string
	}{
		{mb.rc, []string{"Port 9993", "SSLType IMAPS", "CertificateFile /x/ca.pem", "Patterns *", "Near :bench-near:", "Sync All"}},
		{fm.rc, []string{"port 9995 uidl", `user "bob" there with password "pw2"`, "keep ssl sslcertck", `sslcertfile "/x/ca.pem"`, "bsmtp \""}},
	} {
		st, err := os.Stat(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; it holds a password and fetchmail refuses anything but 0600", c.file, st.Mode().Perm())
		}
		data, _ := os.ReadFile(c.file)
		for _, w := range c.want {
			if !strings.Contains(string(data), w) {
				t.Errorf("%s lacks %q:\n%s", filepath.Base(c.file), w, data)
			}
		}
	}
}

func TestFetchmailDelivery(t *testing.T) {
	if got := fetchmailDelivery("/s", true); got != `mda "cat >> /s"` {
		t.Errorf("mda delivery = %s", got)
	}
	if got := fetchmailDelivery("/s", false); got != `bsmtp "/s"` {
		t.Errorf("bsmtp delivery = %s", got)
	}
}

func TestVersionOf(t *testing.T) {
	for in, want := range map[string]string{
		"postbode 0.1.0\n": "0.1.0", "2.3.19.1 (9b53102964)\n": "2.3.19.1", "isync 1.4.4\n": "1.4.4",
		"This is fetchmail release 6.4.37+GSS+NTLM+SDPS+SSL-SSLv2-SSLv3+NLS+KRB5.\n": "6.4.37", "": "unknown",
	} {
		if got := versionOf(in); got != want {
			t.Errorf("versionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{500: "500", 1000: "1,000", 10000: "10,000", 100000: "100,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestTrimPprof(t *testing.T) {
	in := "File: postbode\nBuild ID: abc\nType: cpu\nTime: 2026-01-01\nDuration: 3s\n      flat  flat%\n"
	got := trimPprof(in)
	if strings.Contains(got, "File:") || strings.Contains(got, "Build ID") || strings.Contains(got, "Time:") || !strings.Contains(got, "Duration: 3s") {
		t.Errorf("trimPprof = %q", got)
	}
}
