package testkit

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
)

// StartChild runs the test binary again with only the test named run and env added to the
// environment: the child process of a crash test, which the test kills (SIGKILL) at a point the
// child reports on its standard output. Lines delivers that output a line at a time and is closed
// when the child closes it. The child is killed, if still running, when the test ends.
func StartChild(t testing.TB, run string, env ...string) (cmd *exec.Cmd, lines <-chan string) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^"+run+"$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 64)
	ended := make(chan struct{}) // the test is over: lines nobody reads are dropped
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case ch <- sc.Text():
			case <-ended:
			}
		}
	}()
	t.Cleanup(func() {
		close(ended)
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, ch
}
