package accounts

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

// leakyEngine fails the way an engine would that let a server's echo of the credentials through:
// its Error event and its Run error quote the password and the AUTH PLAIN string.
type leakyEngine struct {
	deps  types.EngineDeps
	cause error
}

func (e *leakyEngine) Run(ctx context.Context) error {
	e.deps.Emit(types.Error{Account: e.deps.Account.Name, Op: "sync", Err: fmt.Errorf("replay: %w", e.cause)})
	return fmt.Errorf("login: %w", e.cause)
}
func (e *leakyEngine) SyncOnce(ctx context.Context) error { return nil }
func (e *leakyEngine) Wake()                              {}

// TestEventsAreRedacted: whatever an engine reports, the Manager's event stream carries neither the
// account's password nor the base64 forms of its login; the error chain is kept.
func TestEventsAreRedacted(t *testing.T) {
	const pw = "Tr0ub4dor&3-horse"
	acc := sampleAccount("leaky", types.IMAP)
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + acc.Incoming.User + "\x00" + pw))
	cause := errors.New("NO [AUTHENTICATIONFAILED] bad credentials " + plain + " (password " + pw + ")")
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	cfg := &Config{}
	if err := cfg.Add(acc); err != nil {
		t.Fatal(err)
	}
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine { return &leakyEngine{deps: d, cause: cause} }}
	m := NewManager(cfg, cache, testkit.NewSecrets(ErrNoPassword, map[string]string{"leaky": pw}), map[types.Protocol]types.Backend{types.IMAP: backend})
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	defer func() {
		cancel()
		go func() {
			for range m.Events() {
			}
		}()
		m.Wait()
	}()

	var sawError, sawState bool
	deadline := time.After(10 * time.Second)
	for !sawError || !sawState {
		var got error
		select {
		case ev := <-m.Events():
			switch e := ev.(type) {
			case types.Error:
				got, sawError = e.Err, true
			case types.ConnState:
				if e.Err != nil {
					got, sawState = e.Err, true
				}
			}
		case <-deadline:
			t.Fatalf("events: error %v, state %v", sawError, sawState)
		}
		if got == nil {
			continue
		}
		if msg := got.Error(); strings.Contains(msg, pw) || strings.Contains(msg, plain) || !strings.Contains(msg, "AUTHENTICATIONFAILED") {
			t.Fatalf("event error %q", msg)
		}
		if !errors.Is(got, cause) {
			t.Fatalf("event error %v lost its cause", got)
		}
	}
}
