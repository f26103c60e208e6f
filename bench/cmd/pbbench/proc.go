package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// timeBin is GNU time (Debian package "time"); its -v report has the peak RSS of the whole run.
const timeBin = "/usr/bin/time"

// procResult is one timed run of an external program.
type procResult struct {
	Wall      time.Duration // measured here, around the whole process
	User, Sys time.Duration // from GNU time
	MaxRSSKB  int64         // peak resident set size, from GNU time
	ExitCode  int
	Stderr    string `json:"-"` // tail of what the program printed, for error messages
}

// procSpec describes one program run.
type procSpec struct {
	Name    string   // short label for logs
	Args    []string // program and arguments
	Env     []string // extra environment
	Dir     string
	Stdin   string
	LogFile string        // where stdout and stderr go (kept for post-mortems)
	Timeout time.Duration // whole-run limit
	OKCodes []int         // exit codes that mean success besides 0 (fetchmail: 1 = no mail)
}

// runTimed runs spec under GNU time and returns its timings. An exit code outside OKCodes is an error.
func runTimed(ctx context.Context, spec procSpec) (procResult, error) {
	var res procResult
	tmp, err := os.CreateTemp("", "pbbench-time-")
	if err != nil {
		return res, fmt.Errorf("%s: %w", spec.Name, err)
	}
	timeFile := tmp.Name()
	tmp.Close()
	defer os.Remove(timeFile)

	if spec.Timeout == 0 {
		spec.Timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	args := append([]string{"-v", "-o", timeFile}, spec.Args...)
	cmd := exec.CommandContext(ctx, timeBin, args...)
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Dir = spec.Dir
	cmd.WaitDelay = 5 * time.Second
	if spec.Stdin != "" {
		cmd.Stdin = strings.NewReader(spec.Stdin)
	}
	var tail tailBuffer
	var out io.Writer = &tail
	if spec.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(spec.LogFile), 0o755); err != nil {
			return res, fmt.Errorf("%s: %w", spec.Name, err)
		}
		f, err := os.Create(spec.LogFile)
		if err != nil {
			return res, fmt.Errorf("%s: %w", spec.Name, err)
		}
		defer f.Close()
		out = io.MultiWriter(f, &tail)
	}
	cmd.Stdout, cmd.Stderr = out, out

	start := time.Now()
	runErr := cmd.Run()
	res.Wall = time.Since(start)
	res.Stderr = tail.String()
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	report, err := os.ReadFile(timeFile)
	if err == nil {
		parseTimeReport(report, &res)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%s: no result within %v: %s", spec.Name, spec.Timeout, res.Stderr)
	}
	if runErr != nil && !okCode(res.ExitCode, spec.OKCodes) {
		return res, fmt.Errorf("%s: %w: %s", spec.Name, runErr, strings.TrimSpace(res.Stderr))
	}
	if res.MaxRSSKB == 0 {
		return res, fmt.Errorf("%s: no peak RSS in the report of %s: %q", spec.Name, timeBin, report)
	}
	return res, nil
}

func okCode(code int, ok []int) bool {
	for _, c := range ok {
		if c == code {
			return true
		}
	}
	return false
}

// parseTimeReport reads the fields of GNU time -v that the tables need.
func parseTimeReport(report []byte, res *procResult) {
	sc := bufio.NewScanner(bytes.NewReader(report))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "User time (seconds)":
			res.User = seconds(v)
		case "System time (seconds)":
			res.Sys = seconds(v)
		case "Maximum resident set size (kbytes)":
			res.MaxRSSKB, _ = strconv.ParseInt(v, 10, 64)
		}
	}
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// tailBuffer keeps the last 4 KB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append(t.b[:0], t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// output runs a short command and returns its trimmed combined output ("" when it fails).
func output(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return strings.TrimSpace(string(out))
}
