package types

import (
	"context"
	"errors"

	"postbode/localcache"
)

// Engine keeps one account in step with its server. Engines are the only writers of server-derived
// state in the cache; they never touch the UI.
type Engine interface {
	// Run keeps the account in sync until ctx ends. It returns when the connection fails; the Manager
	// restarts it after a capped backoff.
	Run(ctx context.Context) error
	// SyncOnce does one complete pass (replay pending operations, fetch what is new) and returns.
	SyncOnce(ctx context.Context) error
	// Wake asks a running engine to replay pending operations and check for new mail now. It never blocks.
	Wake()
}

// EngineDeps is what an engine is given.
type EngineDeps struct {
	Account  Account
	Cache    *localcache.Cache
	Password func() (string, error)
	Emit     func(Event)
}

// TestReport is what a connection test found.
type TestReport struct {
	Server       string
	Greeting     string
	Capabilities []string
	TLS          string
}

// ErrNoServer is what asking for the engine of an account without a server (Local) returns.
var ErrNoServer = errors.New("its folders are kept on this computer only, with no server")

// Backend is one protocol's engine and connection test, injected from main.go. The zero Backend is
// the Local kind's: no engine, no test, nothing kept on a server.
type Backend struct {
	New  func(EngineDeps) Engine
	Test func(ctx context.Context, acc Account, password string) (TestReport, error)
	// KeepsMailOnServer: the account's mail lives on the server (IMAP), so the Manager queues every
	// local change for the engine to replay there. Without it changes stay on this computer (POP3),
	// except deletions under the delete-when-deleted-locally policy.
	KeepsMailOnServer bool
}

// BodyFetcher is implemented by engines that can download one message's body on demand (an IMAP
// message older than the body window, opened by the user).
type BodyFetcher interface {
	FetchBody(ctx context.Context, messageID int64) error
}

// ServerSearcher is implemented by engines that can search the server's copy of a folder (IMAP
// SEARCH), to find mail whose bodies were never downloaded. It returns local message ids.
type ServerSearcher interface {
	SearchServer(ctx context.Context, folderID int64, f localcache.Filter) ([]int64, error)
}

// ErrRefused is wrapped by the error an engine reports (types.Error) when the server refused a
// queued change for good (IMAP NO or BAD: over quota, a folder gone) and the change was undone here.
var ErrRefused = errors.New("the server refused the change")

// ErrOverQuota is wrapped with ErrRefused when the server refused a change because the account's
// storage quota is used up (IMAP OVERQUOTA); Diagnose finds ProblemOverQuota in it.
var ErrOverQuota error = overQuota{}

type overQuota struct{}

func (overQuota) Error() string    { return "the server's storage quota is full" }
func (overQuota) Problem() Problem { return ProblemOverQuota }

// ErrBodyFetchUnsupported means the account's engine cannot download a single body on demand.
var ErrBodyFetchUnsupported = errors.New("this account cannot download a message on demand")

// Quota is the storage a server allows an account, from its quota root of INBOX (RFC 9208
// STORAGE), in bytes.
type Quota struct {
	Used, Limit int64
}

// QuotaReader is implemented by engines that can ask the server how much the account may store
// (IMAP QUOTA). ok is false when the server does not say (no QUOTA capability, or no storage limit
// on INBOX's quota root).
type QuotaReader interface {
	Quota(ctx context.Context) (q Quota, ok bool, err error)
}
