// Package instance keeps one Postbode per profile: the first start holds the profile's lock and
// listens on a local socket; a later start hands its request (show the window, or open a composer
// for a mailto: URL) to it and exits, instead of opening a second writer on the same cache.
//
// The lock is a file in the profile's data folder, held with an OS file lock that the kernel drops
// when the process dies, so a crash never leaves a stale lock. The socket lives in the user's
// runtime folder ($XDG_RUNTIME_DIR, else a private folder in the temp dir), named after a hash of
// the data folder so that each profile has its own.
package instance

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// ErrRunning means another process holds the profile: a Postbode window, or a `postbode sync`.
var ErrRunning = errors.New("another Postbode is using this profile")

const (
	lockName = "postbode.lock"
	// maxRequest bounds one request on the socket (a mailto: URL is at most 256 KiB, escaped in JSON).
	maxRequest = 2 << 20
	// ioTimeout bounds each exchange, so a stuck peer cannot hold either side.
	ioTimeout = 5 * time.Second
)

// dialPatience is how long Send keeps trying while the running instance is still starting up
// (a variable for the tests).
var dialPatience = 3 * time.Second

// Lock is the exclusive claim on a profile's data folder.
type Lock struct {
	f *os.File
}

// TryLock claims the profile whose data lives in dataDir, or returns ErrRunning (wrapped with the
// holder's process id when known) when another process has it.
func TryLock(dataDir string) (*Lock, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("profile lock: %w", err)
	}
	path := filepath.Join(dataDir, lockName)
	f, err := lockFile(path)
	if errors.Is(err, errLocked) {
		if pid := readPID(path); pid > 0 {
			return nil, fmt.Errorf("%w (process %d)", ErrRunning, pid)
		}
		return nil, ErrRunning
	}
	if err != nil {
		return nil, fmt.Errorf("profile lock %s: %w", path, err)
	}
	// The process id is for the message another start prints; the lock itself is the OS lock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func readPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil || len(data) > 32 {
		return 0
	}
	pid, _ := strconv.Atoi(string(trimSpace(data)))
	return pid
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// SocketPath is where the instance for the profile in dataDir listens.
func SocketPath(dataDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("instance socket: %w", err)
	}
	dir, err := runtimeDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(filepath.Clean(abs)))
	return filepath.Join(dir, "postbode-"+hex.EncodeToString(sum[:8])+".sock"), nil
}

// request is one message on the socket, a line of JSON.
type request struct {
	Mailto string `json:"mailto,omitempty"`
}

// Server is the running instance: it holds the profile lock and takes requests from later starts.
type Server struct {
	lock *Lock
	ln   net.Listener
	path string
	reqs chan string
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// Listen makes this process the profile's instance: it takes the lock and opens the socket. It
// returns ErrRunning when another process holds the profile.
func Listen(dataDir string) (*Server, error) {
	lock, err := TryLock(dataDir)
	if err != nil {
		return nil, err
	}
	path, err := SocketPath(dataDir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	// Holding the lock, any socket file left there is a crashed instance's.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		lock.Close()
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	s := &Server{lock: lock, ln: ln, path: path, reqs: make(chan string, 16), done: make(chan struct{})}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Requests delivers what later starts ask: "" to show the window, or a mailto: URL to open a
// composer for. It is closed by Close.
func (s *Server) Requests() <-chan string { return s.reqs }

// Close stops listening, removes the socket and releases the lock.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.ln.Close()
		s.wg.Wait()
		close(s.reqs)
		// net's unix listener unlinks the socket file on Close; this is for the platforms that don't.
		os.Remove(s.path)
		err = errors.Join(err, s.lock.Close())
	})
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			// A transient accept error (too many open files): wait a little rather than spin.
			select {
			case <-s.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(conn)
		}()
	}
}

// handle reads one request and answers "ok" once it is queued, or "busy" when the queue is full.
func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ioTimeout))
	// Close does not wait out a slow client's timeout.
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-s.done:
			conn.Close()
		case <-finished:
		}
	}()
	line, err := bufio.NewReaderSize(io.LimitReader(conn, maxRequest), 64<<10).ReadBytes('\n')
	if err != nil {
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		io.WriteString(conn, "error: bad request\n")
		return
	}
	answer := "ok\n"
	select {
	case s.reqs <- req.Mailto:
	case <-s.done:
		answer = "error: closing\n"
	default:
		answer = "error: busy\n"
	}
	io.WriteString(conn, answer)
}

// Send hands a request to the instance running on the profile in dataDir: mailto is a mailto: URL
// to open a composer for, or "" to show the window. It waits a few seconds for an instance that is
// still starting; it fails when the profile is held by a process that does not listen (a sync).
func Send(ctx context.Context, dataDir, mailto string) error {
	path, err := SocketPath(dataDir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, dialPatience+ioTimeout)
	defer cancel()
	var d net.Dialer
	deadline := time.Now().Add(dialPatience)
	var conn net.Conn
	for {
		conn, err = d.DialContext(ctx, "unix", path)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%w, but it does not answer (is `postbode sync` running?): %w", ErrRunning, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	line, err := json.Marshal(request{Mailto: mailto})
	if err != nil {
		return fmt.Errorf("instance request: %w", err)
	}
	if _, err := conn.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("instance request: %w", err)
	}
	answer, err := bufio.NewReader(io.LimitReader(conn, 256)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("instance answer: %w", err)
	}
	if answer != "ok\n" {
		return fmt.Errorf("the running Postbode answered %q", trimSpace([]byte(answer)))
	}
	return nil
}
