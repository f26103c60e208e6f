package smtpsend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// Filer files the exact sent bytes into the account's Sent folder (accounts.Manager does this).
type Filer interface {
	FileSent(ctx context.Context, account string, raw []byte, messageID string) error
}

// Outbox sends what the cache's outbox holds. A message is stored durably before any attempt, is marked
// "sending" before DATA, and leaves the outbox only after its Sent copy is filed, so a crash at any
// point neither loses a message nor sends it twice.
type Outbox struct {
	cache    *localcache.Cache
	accounts func(name string) (types.Account, bool)
	password func(name string) (string, error)
	filer    Filer
	emit     func(types.Event)
	wake     chan struct{}

	// send and now are replaced in tests.
	send func(ctx context.Context, acc types.Account, password, from string, rcpt []string, raw []byte) error
	now  func() time.Time

	mu        sync.Mutex // one flush at a time
	recovered bool
}

// Manager is what the outbox needs of the account Manager: the accounts, Sent filing and the event
// stream (with credentials taken out of each event).
type Manager interface {
	Filer
	Account(name string) (types.Account, bool)
	Emit(types.Event)
	Redact(types.Event) types.Event
}

// Passwords gives an account's password.
type Passwords interface {
	Get(account string) (string, error)
}

// NewOutbox wires the outbox to the Manager (accounts, Sent filing, events) and the password store.
func NewOutbox(cache *localcache.Cache, m Manager, passwords Passwords) *Outbox {
	return &Outbox{
		cache: cache, accounts: m.Account, password: passwords.Get, filer: m,
		emit: func(ev types.Event) { m.Emit(m.Redact(ev)) },
		wake: make(chan struct{}, 1), send: Send, now: time.Now,
	}
}

// Queue stores a message to send, not before it.NextAttempt; it is durable when Queue returns.
func (o *Outbox) Queue(ctx context.Context, it localcache.OutboxItem) (int64, error) {
	return o.cache.OutboxAdd(ctx, it)
}

// Wake asks Run to try now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// retryDelay grows with each failed attempt: 30 s, 1 min, 2 min, … up to 30 min.
func retryDelay(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < 30*time.Minute; i++ {
		d *= 2
	}
	return min(d, 30*time.Minute)
}

// Run delivers due messages until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	for {
		if err := o.Flush(ctx); err != nil && ctx.Err() != nil {
			return
		}
		wait := time.Hour
		if items, err := o.cache.Outbox(ctx, ""); err == nil {
			for _, it := range items {
				if it.State == localcache.OutboxQueued {
					wait = min(wait, max(it.NextAttempt.Sub(o.now()), 0))
				}
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush makes one attempt for every queued message that is due. It returns the failures of this
// flush (each also reported as an Error event).
func (o *Outbox) Flush(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.recovered {
		if err := o.recoverInterrupted(ctx); err != nil {
			return err
		}
		o.recovered = true
	}
	items, err := o.cache.Outbox(ctx, "")
	if err != nil {
		return err
	}
	var errs []error
	for _, it := range items {
		if it.State != localcache.OutboxQueued || it.NextAttempt.After(o.now()) {
			continue
		}
		if err := o.deliver(ctx, it); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", it.MessageID, err))
			o.emit(types.Error{Account: it.Account, Op: "send", Err: err})
		}
	}
	return errors.Join(errs...)
}

func (o *Outbox) deliver(ctx context.Context, it localcache.OutboxItem) error {
	acc, ok := o.accounts(it.Account)
	if !ok {
		err := fmt.Errorf("account %q no longer exists", it.Account)
		return errors.Join(err, o.cache.OutboxSetState(ctx, it.ID, localcache.OutboxFailed, time.Time{}, err))
	}
	pw, err := o.password(acc.Name)
	if err != nil {
		return errors.Join(err, o.cache.OutboxSetState(ctx, it.ID, localcache.OutboxQueued, o.now().Add(retryDelay(it.Attempts+1)), err))
	}
	// Durably "sending" before DATA: after a crash we know the server may already have it. A
	// message taken back (undo send) since the listing is not claimed and not sent.
	claimed, err := o.cache.OutboxClaim(ctx, it.ID)
	if err != nil || !claimed {
		return err
	}
	sendErr := o.send(ctx, acc, pw, it.Sender, it.Recipients, it.Raw)
	if sendErr == nil {
		if err := o.filer.FileSent(ctx, acc.Name, it.Raw, it.MessageID); err != nil {
			// Sent, but not filed: keep it out of the queue so it is not sent again.
			return errors.Join(err, o.cache.OutboxSetState(ctx, it.ID, localcache.OutboxFailed, time.Time{},
				fmt.Errorf("sent, but the copy for Sent could not be stored: %w", err)))
		}
		if err := o.cache.OutboxRemove(ctx, it.ID); err != nil {
			return err
		}
		o.emit(types.Sent{Account: acc.Name, Subject: sentSubject(it.Raw)})
		return nil
	}
	var se *SendError
	if errors.As(sendErr, &se) && se.Permanent {
		return errors.Join(sendErr, o.cache.OutboxSetState(ctx, it.ID, localcache.OutboxFailed, time.Time{}, sendErr))
	}
	return errors.Join(sendErr, o.cache.OutboxSetState(ctx, it.ID, localcache.OutboxQueued, o.now().Add(retryDelay(it.Attempts+1)), sendErr))
}

// errMaybeSent explains an item interrupted during delivery whose Sent copy is missing.
var errMaybeSent = errors.New("Postbode stopped while this message was being sent; it may have been delivered. " +
	"Check with the recipient or send it again")

// recoverInterrupted settles items left "sending" by a crash: if the Sent copy exists the message went
// out and is dropped from the outbox; otherwise it is held for the user, never resent blindly.
func (o *Outbox) recoverInterrupted(ctx context.Context) error {
	items, err := o.cache.Outbox(ctx, "")
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.State != localcache.OutboxSending {
			continue
		}
		filed, err := o.sentCopyFiled(ctx, it)
		if err != nil {
			return err
		}
		if filed {
			if err := o.cache.OutboxRemove(ctx, it.ID); err != nil {
				return err
			}
			continue
		}
		if err := o.cache.OutboxSetState(ctx, it.ID, localcache.OutboxFailed, time.Time{}, errMaybeSent); err != nil {
			return err
		}
		o.emit(types.Error{Account: it.Account, Op: "send", Err: errMaybeSent})
	}
	return nil
}

// sentCopyFiled reports whether the account's Sent folder holds the item's Message-ID. Only Sent
// counts: the draft it was written from carries the same Message-ID, and a copy elsewhere does not
// prove the Sent copy was filed.
func (o *Outbox) sentCopyFiled(ctx context.Context, it localcache.OutboxItem) (bool, error) {
	sent, err := o.cache.FolderByRole(ctx, it.Account, localcache.RoleSent)
	if errors.Is(err, localcache.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	copies, err := o.cache.MessagesByMessageID(ctx, it.Account, it.MessageID)
	if err != nil {
		return false, err
	}
	for _, m := range copies {
		if m.FolderID == sent.ID {
			return true, nil
		}
	}
	return false, nil
}
