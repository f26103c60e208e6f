package accounts

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"postbode/types"
)

// TestDiagnoseEngineErrors sorts the errors a running engine meets, which the status line turns
// into a sentence: a broken connection is not "cannot connect", and a full disk is not the server.
func TestDiagnoseEngineErrors(t *testing.T) {
	read := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	set := &net.OpError{Op: "set", Net: "tcp", Err: net.ErrClosed}
	cases := []struct {
		err  error
		want types.Problem
	}{
		{fmt.Errorf("imap idle done: %w", set), types.ProblemLost},
		{fmt.Errorf("imap fetch: %w", read), types.ProblemLost},
		{fmt.Errorf("imap fetch: %w", io.ErrUnexpectedEOF), types.ProblemLost},
		{fmt.Errorf("pop3 retr: %w", io.EOF), types.ProblemLost},
		{fmt.Errorf("write: %w", os.NewSyscallError("write", syscall.EPIPE)), types.ProblemLost},
		{errors.New("imap select: read tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection"), types.ProblemLost},
		{fmt.Errorf("store bodies: %w", &os.PathError{Op: "write", Path: "store.db", Err: syscall.ENOSPC}), types.ProblemDiskFull},
		{errors.New("store bodies: database or disk is full (13)"), types.ProblemDiskFull},
		{fmt.Errorf("imap connect: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o refused")}), types.ProblemUnreachable},
	}
	for _, c := range cases {
		if got := Diagnose(c.err); got != c.want {
			t.Errorf("Diagnose(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
