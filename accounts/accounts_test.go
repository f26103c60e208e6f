package accounts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

func sampleAccount(name string, kind types.Protocol) types.Account {
	return types.Account{
		Name: name, Kind: kind, Email: name + "@example.org",
		Incoming: types.Server{Host: "mail.example.org", Port: 993, Security: types.SecurityTLS, User: name},
		Outgoing: types.Server{Host: "mail.example.org", Port: 465, Security: types.SecurityTLS, User: name},
	}
}

func TestConfigRoundTripAndValidation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "accounts.json")
	var c Config
	if err := c.Add(sampleAccount("work", types.IMAP)); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(sampleAccount("work", types.POP3)); err == nil {
		t.Fatal("duplicate name accepted")
	}
	bad := sampleAccount("../etc", "smtp")
	bad.Incoming.Port = 0
	bad.Incoming.Security = "maybe"
	err := c.Add(bad)
	for _, want := range []string{"account name", "kind", "port", "security"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("validation error %v does not mention %q", err, want)
		}
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode = %v, want 0600", fi.Mode().Perm())
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := got.Find("work")
	if !ok || a.POP3.PollInterval.Duration != 10*time.Minute || a.IMAP.BodyWindowDays != 30 || a.Incoming.Port != 993 {
		t.Fatalf("loaded = %+v", a)
	}
	if err := got.Remove("work"); err != nil || len(got.Accounts) != 0 {
		t.Fatalf("remove: %v %+v", err, got.Accounts)
	}
	if empty, err := LoadConfig(filepath.Join(t.TempDir(), "none.json")); err != nil || len(empty.Accounts) != 0 {
		t.Fatalf("missing file = %+v %v", empty, err)
	}
}

func TestSecretsWithoutKeyringStayInMemory(t *testing.T) {
	// keyring.MockInitWithError swaps a global: this test must not run in parallel.
	keyring.MockInitWithError(errors.New("exec: \"dbus-launch\": executable file not found"))
	s := NewSecrets()
	err := s.Set("work", "hunter2-canary")
	if !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("Set without keyring = %v, want ErrNoKeyring", err)
	}
	if pw, err := s.Get("work"); err != nil || pw != "hunter2-canary" {
		t.Fatalf("Get = %q, %v", pw, err)
	}
	if err := s.Delete("work"); err == nil {
		t.Log("delete reported no error")
	}
	if _, err := s.Get("work"); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestSecretsUseKeyring(t *testing.T) {
	keyring.MockInit()
	s := NewSecrets()
	if err := s.Set("work", "pw"); err != nil {
		t.Fatal(err)
	}
	if pw, err := keyring.Get(keyringService, "work"); err != nil || pw != "pw" {
		t.Fatalf("keyring holds %q, %v", pw, err)
	}
	if pw, err := NewSecrets().Get("work"); err != nil || pw != "pw" {
		t.Fatalf("a new store reads %q, %v", pw, err)
	}
	if _, err := s.Get("other"); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("unknown account: %v", err)
	}
}

// fakeEngine counts calls and fails its first runs, to observe the Manager.
type fakeEngine struct {
	runs, wakes atomic.Int32
	failFirst   int32
}

func (f *fakeEngine) Run(ctx context.Context) error {
	if n := f.runs.Add(1); n <= f.failFirst {
		return errors.New("connection refused")
	}
	<-ctx.Done()
	return ctx.Err()
}
func (f *fakeEngine) SyncOnce(ctx context.Context) error { return nil }
func (f *fakeEngine) Wake()                              { f.wakes.Add(1) }

func newTestManager(t *testing.T, engines map[string]*fakeEngine) (*Manager, *localcache.Cache) {
	t.Helper()
	return managerWith(t, types.Backend{New: func(d types.EngineDeps) types.Engine { return engines[d.Account.Name] }})
}

// startTestManager is newTestManager started, its events read and dropped, until the test ends.
func startTestManager(t *testing.T, engines map[string]*fakeEngine) (*Manager, *localcache.Cache, context.Context) {
	t.Helper()
	m, cache := newTestManager(t, engines)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); m.Wait() })
	m.Start(ctx)
	go func() {
		for range m.Events() {
		}
	}()
	return m, cache, ctx
}

// managerWith is a Manager of two accounts, "imap" and "pop", whose engines backend makes, on a
// cache of its own.
func managerWith(t *testing.T, backend types.Backend, opt ...Options) (*Manager, *localcache.Cache) {
	t.Helper()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	cfg := &Config{}
	cfg.Add(sampleAccount("imap", types.IMAP))
	cfg.Add(sampleAccount("pop", types.POP3))
	imap := backend
	imap.KeepsMailOnServer = true // as the IMAP engine declares
	return NewManager(cfg, cache, testkit.NewSecrets(ErrNoPassword, nil), map[types.Protocol]types.Backend{types.IMAP: imap, types.POP3: backend}, opt...), cache
}

func TestRequestsAreLocalFirstAndQueuedOnlyForIMAP(t *testing.T) {
	engines := map[string]*fakeEngine{"imap": {}, "pop": {}}
	m, cache, ctx := startTestManager(t, engines)

	var ids = map[string][]int64{}
	for _, name := range []string{"imap", "pop"} {
		inbox, _ := cache.EnsureFolder(ctx, localcache.Folder{Account: name, Name: "INBOX", Role: localcache.RoleInbox})
		cache.EnsureFolder(ctx, localcache.Folder{Account: name, Name: "Trash", Role: localcache.RoleTrash})
		msg := localcache.Message{Account: name, FolderID: inbox.ID, Subject: "hello", Date: time.Now()}
		if name == "imap" {
			msg.UID = 1
		} else {
			msg.UIDL = "u1"
		}
		got, err := cache.AddMessages(ctx, []localcache.Message{msg})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = got
	}
	all := append(append([]int64{}, ids["imap"]...), ids["pop"]...)
	// A message that is gone fails the request before anything changes, as it always has.
	if err := m.Do(ctx, types.MarkRead{IDs: append([]int64{999_999}, all...), Read: true}); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("mark read with a vanished message: %v", err)
	}
	if msg, _ := cache.Message(ctx, all[0]); msg.Flags.Has(localcache.FlagSeen) {
		t.Fatal("a failed request changed a message")
	}
	if err := m.Do(ctx, types.MarkRead{IDs: all, Read: true}); err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		if msg, _ := cache.Message(ctx, id); !msg.Flags.Has(localcache.FlagSeen) {
			t.Fatalf("message %d not marked read at once", id)
		}
	}
	if err := m.Do(ctx, types.Delete{IDs: all}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"imap", "pop"} {
		trash, _ := cache.FolderByRole(ctx, name, localcache.RoleTrash)
		if msg, _ := cache.Message(ctx, ids[name][0]); msg.FolderID != trash.ID {
			t.Fatalf("%s: delete did not move to Trash", name)
		}
	}
	if err := m.Do(ctx, types.Delete{IDs: all}); err != nil { // from Trash: for good
		t.Fatal(err)
	}
	if _, err := cache.Message(ctx, ids["imap"][0]); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("deleted from Trash still there: %v", err)
	}
	imapOps, _ := cache.PendingOps(ctx, "imap")
	popOps, _ := cache.PendingOps(ctx, "pop")
	if len(imapOps) != 3 || imapOps[2].Kind() != localcache.OpExpunge {
		t.Fatalf("imap pending = %+v", imapOps)
	}
	if len(popOps) != 0 {
		t.Fatalf("pop pending = %+v (POP3 changes are local only under the keep policy)", popOps)
	}
	if engines["imap"].wakes.Load() < 3 {
		t.Fatalf("imap engine woken %d times", engines["imap"].wakes.Load())
	}
	if err := m.Do(ctx, types.CreateFolder{Account: "imap", Name: "Projects"}); err != nil {
		t.Fatal(err)
	}
	f, err := cache.FolderByName(ctx, "imap", "Projects")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.RenameFolder{FolderID: f.ID, NewName: "Projecten"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Do(ctx, types.DeleteFolder{FolderID: f.ID}); err != nil {
		t.Fatal(err)
	}
	trash, _ := cache.FolderByRole(ctx, "imap", localcache.RoleTrash)
	if err := m.Do(ctx, types.DeleteFolder{FolderID: trash.ID}); err == nil {
		t.Fatal("deleting Trash was allowed")
	}
	imapOps, _ = cache.PendingOps(ctx, "imap")
	kinds := []localcache.OpKind{}
	for _, op := range imapOps[3:] {
		kinds = append(kinds, op.Kind())
	}
	if len(kinds) != 3 || kinds[0] != localcache.OpCreateFolder || kinds[1] != localcache.OpRenameFolder || kinds[2] != localcache.OpDeleteFolder {
		t.Fatalf("folder ops = %v", kinds)
	}
}

func TestManagerRestartsFailedEngine(t *testing.T) {
	engines := map[string]*fakeEngine{"imap": {failFirst: 2}, "pop": {}}
	m, _ := newTestManager(t, engines)
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	var states []types.State
	deadline := time.After(10 * time.Second)
	for engines["imap"].runs.Load() < 3 {
		select {
		case ev := <-m.Events():
			if cs, ok := ev.(types.ConnState); ok && cs.Account == "imap" {
				states = append(states, cs.State)
				if cs.State == types.StateError && cs.Err == nil {
					t.Fatal("error state without a reason")
				}
			}
		case <-time.After(10 * time.Millisecond): // the third run may start after its last event
		case <-deadline:
			t.Fatalf("engine ran %d times, states %v", engines["imap"].runs.Load(), states)
		}
	}
	cancel()
	go func() {
		for range m.Events() {
		}
	}()
	m.Wait()
	if len(states) < 4 || states[0] != types.StateConnecting || states[1] != types.StateError {
		t.Fatalf("states = %v", states)
	}
}

// One rule for plaintext (the wizard's, the CLI's and the settings window's): only to this
// computer or the local network, for the incoming and the outgoing server alike.
func TestPlaintextOnlyToLocalHosts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*types.Account)
		ok   bool
	}{
		{"remote incoming", func(a *types.Account) { a.Incoming.Security = types.SecurityPlain }, false},
		{"remote outgoing", func(a *types.Account) { a.Outgoing.Security = types.SecurityPlain }, false},
		{"loopback incoming", func(a *types.Account) {
			a.Incoming.Host, a.Incoming.Security = "127.0.0.1", types.SecurityPlain
		}, true},
		{"LAN outgoing", func(a *types.Account) {
			a.Outgoing.Host, a.Outgoing.Security = "192.168.1.2", types.SecurityPlain
		}, true},
	} {
		a := sampleAccount("work", types.IMAP)
		tc.edit(&a)
		err := a.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, types.ErrPlainRemote)) {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
		var c Config
		if err := c.Add(a); (err == nil) != tc.ok {
			t.Errorf("%s: Config.Add = %v", tc.name, err)
		}
	}
}

// TestUndoMarkReadAcrossAccounts: marking a selection of an IMAP and a POP3 account read, then
// undoing it, puts each message's own flags back in both (withdrawing the IMAP operation alone
// left the POP3 messages read); a selection with a vanished message fails before anything changes.
func TestUndoMarkReadAcrossAccounts(t *testing.T) {
	m, cache, ctx := startTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	all, _ := seedHalfRead(t, cache)
	before, _ := cache.States(ctx, all)
	if _, err := m.DoUndoable(ctx, types.MarkRead{IDs: append([]int64{999_999}, all...), Read: true}); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("mark read with a vanished message: %v", err)
	}
	undo, err := m.DoUndoable(ctx, types.MarkRead{IDs: all, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		if msg, _ := cache.Message(ctx, id); !msg.Flags.Has(localcache.FlagSeen) {
			t.Fatalf("message %d not marked read", id)
		}
	}
	if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) != 1 {
		t.Fatalf("%d operations queued for IMAP", len(ops))
	}
	if err := undo.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range before {
		if msg, _ := cache.Message(ctx, s.ID); msg.Flags != s.Flags {
			t.Fatalf("message %d: flags %v after the undo, %v before", s.ID, msg.Flags, s.Flags)
		}
	}
	// The POP3 half was not queued, so the undo is the inverse change: queued after the change.
	if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) != 2 {
		t.Fatalf("%d operations queued after the undo, want the change and its inverse", len(ops))
	}
}

// TestUndoMarkFoldersRead: a whole folder marked read (MarkRead.Folders) changes only its unread
// messages; undone before the replay the queued operation is withdrawn, undone after it (the
// operation completed) the inverse marks unread exactly those messages; with a POP3 folder in the
// change the undo is the inverse change.
func TestUndoMarkFoldersRead(t *testing.T) {
	m, cache, ctx := startTestManager(t, map[string]*fakeEngine{"imap": {}, "pop": {}})
	all, folders := seedHalfRead(t, cache)
	before, _ := cache.States(ctx, all)
	restored := func(when string) {
		t.Helper()
		for _, s := range before {
			if msg, _ := cache.Message(ctx, s.ID); msg.Flags != s.Flags {
				t.Fatalf("%s: message %d has flags %v, %v before", when, s.ID, msg.Flags, s.Flags)
			}
		}
	}
	allRead := func(when string) {
		t.Helper()
		for _, id := range all[:6] {
			if msg, _ := cache.Message(ctx, id); !msg.Flags.Has(localcache.FlagSeen) {
				t.Fatalf("%s: message %d not marked read", when, id)
			}
		}
	}

	// Before the replay: withdrawn, nothing left for the server.
	undo, err := m.DoUndoable(ctx, types.MarkRead{Folders: []int64{folders["imap"]}, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	allRead("marked")
	ops, _ := cache.PendingOps(ctx, "imap")
	if len(ops) != 1 || ops[0].Op.(localcache.FlagsOp).UpTo != 6 || len(ops[0].Items()) != 3 {
		t.Fatalf("queued %+v", ops)
	}
	if err := undo.Run(ctx); err != nil {
		t.Fatal(err)
	}
	restored("undone before the replay")
	if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) != 0 {
		t.Fatalf("%d operations left after withdrawing", len(ops))
	}

	// After the replay: the inverse, for the three that were unread.
	if undo, err = m.DoUndoable(ctx, types.MarkRead{Folders: []int64{folders["imap"]}, Read: true}); err != nil {
		t.Fatal(err)
	}
	ops, _ = cache.PendingOps(ctx, "imap")
	if err := cache.CompletePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}
	if err := undo.Run(ctx); err != nil {
		t.Fatal(err)
	}
	restored("undone after the replay")
	ops, _ = cache.PendingOps(ctx, "imap")
	if len(ops) != 1 || ops[0].Op.(localcache.FlagsOp).Clear != localcache.FlagSeen || len(ops[0].Items()) != 3 || ops[0].Op.(localcache.FlagsOp).UpTo != 0 {
		t.Fatalf("inverse queued as %+v", ops)
	}
	if err := cache.CompletePending(ctx, ops[0]); err != nil {
		t.Fatal(err)
	}

	// Both accounts' folders: the POP3 half is not queued, so the undo is the inverse change.
	if undo, err = m.DoUndoable(ctx, types.MarkRead{Folders: []int64{folders["imap"], folders["pop"]}, Read: true}); err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		if msg, _ := cache.Message(ctx, id); !msg.Flags.Has(localcache.FlagSeen) {
			t.Fatalf("message %d not marked read", id)
		}
	}
	if err := undo.Run(ctx); err != nil {
		t.Fatal(err)
	}
	restored("both accounts undone")
	if ops, _ := cache.PendingOps(ctx, "imap"); len(ops) != 2 {
		t.Fatalf("%d operations queued after the undo, want the change and its inverse", len(ops))
	}
	if _, err := m.DoUndoable(ctx, types.MarkRead{Folders: []int64{999_999}, Read: true}); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("mark a missing folder read: %v", err)
	}
}

// seedHalfRead gives the inboxes of the test accounts "imap" and "pop" six messages each, every
// other one read, and returns their ids and the inboxes' folder ids by account.
func seedHalfRead(t *testing.T, cache *localcache.Cache) ([]int64, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	folders := map[string]int64{}
	var all []int64
	for _, name := range []string{"imap", "pop"} {
		inbox, _ := cache.EnsureFolder(ctx, localcache.Folder{Account: name, Name: "INBOX", Role: localcache.RoleInbox})
		folders[name] = inbox.ID
		var msgs []localcache.Message
		for i := 0; i < 6; i++ {
			msg := localcache.Message{Account: name, FolderID: inbox.ID, Subject: "hello", Date: time.Now()}
			if name == "imap" {
				msg.UID = uint32(i + 1)
			} else {
				msg.UIDL = "u" + strconv.Itoa(i)
			}
			if i%2 == 0 {
				msg.Flags = localcache.FlagSeen
			}
			msgs = append(msgs, msg)
		}
		ids, err := cache.AddMessages(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ids...)
	}
	return all, folders
}
