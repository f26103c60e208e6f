package accounts

import (
	"context"
	"errors"
	"testing"
	"time"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// fetchingEngine records the bodies it was asked for.
type fetchingEngine struct {
	fakeEngine
	asked []int64
}

func (f *fetchingEngine) FetchBody(ctx context.Context, id int64) error {
	f.asked = append(f.asked, id)
	return nil
}

func TestFetchBodyReachesTheAccountsEngine(t *testing.T) {
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cfg := &Config{}
	cfg.Add(sampleAccount("imap", types.IMAP))
	cfg.Add(sampleAccount("pop", types.POP3))
	imap := &fetchingEngine{}
	m := NewManager(cfg, cache, testkit.NewSecrets(ErrNoPassword, nil), map[types.Protocol]types.Backend{
		types.IMAP: {New: func(types.EngineDeps) types.Engine { return imap }},
		types.POP3: {New: func(types.EngineDeps) types.Engine { return &fakeEngine{} }},
	})
	ctx := context.Background()
	ids := map[string]int64{}
	for _, name := range []string{"imap", "pop"} {
		f, err := cache.EnsureFolder(ctx, localcache.Folder{Account: name, Name: "INBOX", Role: localcache.RoleInbox})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cache.AddMessages(ctx, []localcache.Message{{Account: name, FolderID: f.ID, UID: 1, Date: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = got[0]
	}
	if err := m.FetchBody(ctx, ids["imap"]); err != nil {
		t.Fatal(err)
	}
	if len(imap.asked) != 1 || imap.asked[0] != ids["imap"] {
		t.Fatalf("engine asked for %v, want [%d]", imap.asked, ids["imap"])
	}
	if err := m.FetchBody(ctx, ids["pop"]); !errors.Is(err, types.ErrBodyFetchUnsupported) {
		t.Fatalf("engine without FetchBody: %v", err)
	}
	if err := m.FetchBody(ctx, 9999); !errors.Is(err, localcache.ErrNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
}

// queueSender is an outbox that only records what it was given.
type queueSender struct{ queued []string }

func (q *queueSender) Queue(ctx context.Context, it localcache.OutboxItem) (int64, error) {
	q.queued = append(q.queued, it.MessageID)
	return int64(len(q.queued)), nil
}
func (q *queueSender) Run(context.Context)         {}
func (q *queueSender) Flush(context.Context) error { return nil }
func (q *queueSender) Wake()                       {}

func TestSendingASavedDraftRemovesItFromDrafts(t *testing.T) {
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cfg := &Config{}
	cfg.Add(sampleAccount("pop", types.POP3))
	out := &queueSender{}
	m := NewManager(cfg, cache, testkit.NewSecrets(ErrNoPassword, nil), map[types.Protocol]types.Backend{types.POP3: {New: func(types.EngineDeps) types.Engine { return &fakeEngine{} }}},
		Options{Sender: func(*Manager) Sender { return out }})
	ctx := context.Background()
	draft := mailfmt.Draft{To: []mailfmt.Address{{Email: "bob@example.org"}}, Subject: "Plan", Text: "soon"}
	id, err := m.SaveDraftID(ctx, types.SaveDraft{Account: "pop", Draft: draft})
	if err != nil {
		t.Fatal(err)
	}
	drafts, err := cache.FolderByRole(ctx, "pop", localcache.RoleDrafts)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := cache.Folder(ctx, drafts.ID); f.Total != 1 {
		t.Fatalf("Drafts holds %d after saving", f.Total)
	}
	if err := m.Do(ctx, types.Send{Account: "pop", Draft: draft, Replaces: id}); err != nil {
		t.Fatal(err)
	}
	if len(out.queued) != 1 {
		t.Fatalf("queued %d messages", len(out.queued))
	}
	if f, _ := cache.Folder(ctx, drafts.ID); f.Total != 0 {
		t.Fatalf("Drafts holds %d after sending the draft", f.Total)
	}
}
