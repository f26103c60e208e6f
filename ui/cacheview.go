package ui

import (
	"context"

	"postbode/localcache"
)

// CacheView is what the UI reads from the local cache. It is read-only on purpose: every change
// the user makes goes to the Manager as a request, which applies it locally and queues it for the
// server, so the UI cannot write around that path. *localcache.Cache is one.
type CacheView interface {
	Folders(ctx context.Context, account string) ([]localcache.Folder, error)
	PageSorted(ctx context.Context, folderIDs []int64, s localcache.Sort, after *localcache.Cursor, limit int) ([]localcache.Message, error)
	PageIDsSorted(ctx context.Context, folderIDs []int64, s localcache.Sort, after *localcache.Cursor, limit int) ([]int64, error)
	PageMarksSorted(ctx context.Context, folderIDs []int64, s localcache.Sort, n int) ([]localcache.Cursor, int, error)
	ConversationPage(ctx context.Context, folderID int64, s localcache.Sort, after *localcache.Cursor, limit int) ([]localcache.Conversation, error)
	ConversationMarks(ctx context.Context, folderID int64, s localcache.Sort, n int) ([]localcache.Cursor, int, error)
	ConversationMembers(ctx context.Context, account string, folderID int64, threadKey string) ([]localcache.Message, error)
	Message(ctx context.Context, id int64) (localcache.Message, error)
	Body(ctx context.Context, key string) ([]byte, error)
	Search(ctx context.Context, q localcache.SearchQuery) (localcache.SearchResult, error)
	Outbox(ctx context.Context, account string) ([]localcache.OutboxItem, error)
	OutboxCount(ctx context.Context) (waiting, failed int, err error)
	// Subscribe delivers the cache's change notifications (the Pump reads them).
	Subscribe() *localcache.Subscription
}

// AutosaveStore keeps what open composers hold between runs of the program: text not yet sent or
// saved as a draft. It is the window's own state, not mail, so the UI writes it itself.
// *localcache.Cache is one.
type AutosaveStore interface {
	PutAutosave(ctx context.Context, id int64, data []byte) (int64, error)
	Autosaves(ctx context.Context) ([]localcache.Autosave, error)
	RemoveAutosave(ctx context.Context, id int64) error
}

// noAutosave keeps nothing: Deps without an AutosaveStore.
type noAutosave struct{}

func (noAutosave) PutAutosave(context.Context, int64, []byte) (int64, error) { return 0, nil }
func (noAutosave) Autosaves(context.Context) ([]localcache.Autosave, error)  { return nil, nil }
func (noAutosave) RemoveAutosave(context.Context, int64) error               { return nil }
