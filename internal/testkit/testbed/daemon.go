package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one running master and its process group.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's result, valid after done
}

// daemon is the process management Dovecot and Postfix share: one master
// in its own process group, stopped with every child it started, and a
// final Stop after which it never starts again.
type daemon struct {
	name string // "dovecot" or "postfix", for error messages
	// termGrace is how long the master may take to exit after SIGTERM
	// before the group is killed.
	termGrace time.Duration
	// killAfter is how long children that outlive the master get before
	// the group is killed.
	killAfter time.Duration

	mu      sync.Mutex
	proc    *process // nil while not running
	stopped bool     // stop was called: final
}

// launch starts cmd in its own process group and records it as the running
// master. Caller holds m.mu or owns m exclusively.
func (m *daemon) launch(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group so stop can reap every child and nothing else.
		Setpgid: true,
		// A test binary killed by a timeout must not leave a server behind.
		// (The signal follows the exit of the forking OS thread, which Go
		// only ends for goroutines that exit while LockOSThread'ed.)
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testbed: run %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	m.proc = p
	return p, nil
}

// start launches cmd with its output in outFile and waits until ready says the server answers; a
// server that does not get there is stopped and the error quotes the tail of its log. Caller holds
// m.mu or owns m exclusively.
func (m *daemon) start(ctx context.Context, cmd *exec.Cmd, outFile, logFile string, tail func(int) string,
	ready func(context.Context, *process) error) error {
	out, err := os.Create(outFile)
	if err != nil {
		return fmt.Errorf("testbed: create stderr file: %w", err)
	}
	defer out.Close() // the child keeps its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	p, err := m.launch(cmd)
	if err != nil {
		return err
	}
	if err := ready(ctx, p); err != nil {
		_ = m.stopProcess()
		return fmt.Errorf("testbed: %s did not start: %w\n--- %s ---\n%s", m.name, err, logFile, tail(30))
	}
	return nil
}

// running reports whether the master process is up.
func (m *daemon) running() bool {
	m.mu.Lock()
	p := m.proc
	m.mu.Unlock()
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop ends the processes for good and then runs cleanup. Later calls do
// nothing.
func (m *daemon) stop(cleanup func()) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return nil
	}
	m.stopped = true
	err := m.stopProcess()
	cleanup()
	return err
}

// halt ends the processes; start may bring them back.
func (m *daemon) halt() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopProcess()
}

// restart ends the processes if they run and calls start, which holds m.mu
// while it runs.
func (m *daemon) restart(ctx context.Context, start func(context.Context) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return fmt.Errorf("testbed: %s restart after Stop", m.name)
	}
	if err := m.stopProcess(); err != nil {
		return err
	}
	return start(ctx)
}

// stopProcess terminates the master and every process of its group. Caller
// holds m.mu, or owns m exclusively.
func (m *daemon) stopProcess() error {
	p := m.proc
	if p == nil {
		return nil
	}
	m.proc = nil
	pgid := p.cmd.Process.Pid
	// SIGTERM the whole group: signalled alone, a master spends a while
	// waiting for its children to go.
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(m.termGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children outlive the master briefly and hold the listening sockets;
	// wait for them so a restart can bind the same ports.
	start := time.Now()
	deadline := start.Add(5 * time.Second)
	signalled := false
	for groupAlive(pgid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("testbed: %s processes of group %d did not exit", m.name, pgid)
		}
		if !signalled && time.Since(start) > m.killAfter {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			signalled = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// groupAlive reports whether a non-zombie process is left in process group
// pgid. Zombies are skipped: in containers nobody may reap them, and they
// hold no sockets.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after "(comm)": state ppid pgrp ...
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		if f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
