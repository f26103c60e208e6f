package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// Quota asks an account's server how much it may store (IMAP QUOTA, of INBOX's quota root); ok is
// false when the server does not say. An added account signs in with its stored password; an
// account not added yet (the IMAP twin discovery found) with password, on a connection of its own.
func (m *Manager) Quota(ctx context.Context, acc types.Account, password string) (q types.Quota, ok bool, err error) {
	var e types.Engine
	if added, isAdded := m.Account(acc.Name); isAdded && added.Kind == acc.Kind {
		if e, err = m.engine(ctx, added); err != nil {
			return q, false, err
		}
	} else {
		b, known := m.backends[acc.Kind]
		if !known || b.New == nil {
			return q, false, fmt.Errorf("no engine for %s", acc.Kind)
		}
		e = b.New(types.EngineDeps{Account: acc, Password: func() (string, error) { return password, nil }})
	}
	r, can := e.(types.QuotaReader)
	if !can {
		return q, false, nil
	}
	if q, ok, err = r.Quota(ctx); err != nil {
		return q, false, m.redactErr(acc.Name, err)
	}
	return q, ok, nil
}

// MovePlan is what moving one account's mail into another (UploadAccount) will upload.
type MovePlan struct {
	From, To string
	Folders  []PlannedFolder
	// Messages and Bytes count all of From's mail; Held and HeldBytes the part To holds already
	// (by Message-ID and size), which is not uploaded again.
	Messages, Held   int
	Bytes, HeldBytes int64
	// Quota is To's server's storage quota when HasQuota.
	Quota    types.Quota
	HasQuota bool
}

// PlannedFolder is one folder of a MovePlan.
type PlannedFolder struct {
	Name   string // in From
	Target string // in To: the folder of the same role for Inbox, Sent, Drafts…, else the same name
	Role   string
	// As in MovePlan.
	Messages, Held   int
	Bytes, HeldBytes int64
}

// Upload is how many bytes the move sends to the server.
func (p MovePlan) Upload() int64 { return p.Bytes - p.HeldBytes }

// Fits says whether the upload fits in the quota (true when the server sets none).
func (p MovePlan) Fits() bool {
	return !p.HasQuota || p.Quota.Used+p.Upload() <= p.Quota.Limit
}

// PlanMove says what UploadAccount(from, to) will upload: each folder of from with its messages
// and size, the folder of to it goes into, what to holds already, and to's quota when its server
// offers one. A target that keeps its mail on a server is synced first, as CopyAccount does.
func (m *Manager) PlanMove(ctx context.Context, from, to string) (MovePlan, error) {
	plan := MovePlan{From: from, To: to}
	if _, ok := m.Account(from); !ok {
		return plan, fmt.Errorf("no account named %q", from)
	}
	dst, ok := m.Account(to)
	if !ok {
		return plan, fmt.Errorf("no account named %q", to)
	}
	if m.KeepsMailOnServer(dst.Kind) {
		if err := m.SyncOnce(ctx, dst.Name); err != nil {
			return plan, fmt.Errorf("learn what %s holds already: %w", dst.Name, err)
		}
	}
	folders, err := m.cache.Folders(ctx, from)
	if err != nil {
		return plan, err
	}
	targets, err := m.cache.Folders(ctx, to)
	if err != nil {
		return plan, err
	}
	delim := "/"
	if len(targets) > 0 && targets[0].Delim != "" {
		delim = targets[0].Delim
	}
	for _, f := range folders {
		pf := PlannedFolder{Name: f.Name, Role: f.Role, Target: strings.Join(strings.Split(f.Name, f.Delim), delim)}
		target, err := m.cache.FolderByName(ctx, to, pf.Target)
		if f.Role != "" {
			pf.Target = f.Name
			if target, err = m.cache.FolderByRole(ctx, to, f.Role); err == nil {
				pf.Target = target.Name
			}
		}
		held := map[string]localcache.Message{}
		if err == nil {
			if held, err = m.heldIn(ctx, target); err != nil {
				return plan, err
			}
		} else if !errors.Is(err, localcache.ErrNotFound) {
			return plan, err
		}
		err = m.eachMessage(ctx, f.ID, func(msg localcache.Message) error {
			pf.Messages++
			pf.Bytes += msg.Size
			if k := sizeKey(msg); k != "" {
				if _, ok := held[k]; ok {
					pf.Held++
					pf.HeldBytes += msg.Size
				}
			}
			return nil
		})
		if err != nil {
			return plan, err
		}
		plan.Folders = append(plan.Folders, pf)
		plan.Messages += pf.Messages
		plan.Bytes += pf.Bytes
		plan.Held += pf.Held
		plan.HeldBytes += pf.HeldBytes
	}
	if plan.Quota, plan.HasQuota, err = m.Quota(ctx, dst, ""); err != nil {
		return plan, fmt.Errorf("ask %s for its quota: %w", dst.Name, err)
	}
	return plan, nil
}

// RefusedError says that the server refused copies an upload sent it (over quota, most often). The
// refused copies are gone from the target here; their originals are where they were.
type RefusedError struct {
	Account string // the target
	Count   int    // copies refused
	Reason  error  // the server's answer to the first of them
}

// OverQuota says whether the server refused them for want of room (its storage quota is full).
func (e *RefusedError) OverQuota() bool { return errors.Is(e.Reason, types.ErrOverQuota) }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the server of %s refused %d messages: %v", e.Account, e.Count, e.Reason)
}

func (e *RefusedError) Unwrap() error { return e.Reason }

// UploadProgress is how far an UploadAccount is: first the copying here (PhaseCopy: Done of Total
// messages gone through), then the sending of the copies to the server (PhaseUpload: Done of Total
// copies sent, accepted or refused).
type UploadProgress struct {
	Phase       UploadPhase
	Done, Total int
}

// UploadPhase is a step of UploadAccount.
type UploadPhase int

const (
	PhaseCopy UploadPhase = iota
	PhaseUpload
)

// uploadPoll is how often UploadAccount counts the copies still queued while they are sent.
const uploadPoll = 300 * time.Millisecond

// UploadAccount copies the mail of from into to (CopyAccount) and, for a target that keeps its mail
// on a server, replays the copies there before it returns. Copies the server refuses are undone
// here (the originals stay) and reported as a *RefusedError with the server's reason; the result's
// Refused counts them. Run again, it goes on where it stopped, uploading nothing twice. progress,
// when set, is called from this and other goroutines.
func (m *Manager) UploadAccount(ctx context.Context, from, to string, progress func(UploadProgress)) (CopyResult, error) {
	report := func(p UploadProgress) {
		if progress != nil {
			progress(p)
		}
	}
	// Watch from the start: the running engine, woken by the copy, may replay before SyncOnce does.
	w := m.watchRefusals(to)
	defer m.unwatchRefusals(w)
	res, err := m.CopyAccount(ctx, from, to, func(done, total int) { report(UploadProgress{PhaseCopy, done, total}) })
	if err != nil {
		return res, err
	}
	if dst, _ := m.Account(to); m.KeepsMailOnServer(dst.Kind) {
		if err := m.sendQueued(ctx, to, report); err != nil {
			return res, fmt.Errorf("the copies are kept here and go to the server with the next sync: %w", err)
		}
	}
	if n, reason := w.result(); n > 0 {
		res.Refused = n
		return res, &RefusedError{Account: to, Count: n, Reason: reason}
	}
	return res, nil
}

// sendQueued syncs the account, reporting how many of the changes queued for it were sent.
func (m *Manager) sendQueued(ctx context.Context, account string, report func(UploadProgress)) error {
	total, err := m.cache.PendingCount(ctx, account)
	if err != nil {
		return err
	}
	report(UploadProgress{PhaseUpload, 0, total})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(uploadPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if left, err := m.cache.PendingCount(ctx, account); err == nil {
					report(UploadProgress{PhaseUpload, total - min(left, total), total})
				}
			}
		}
	}()
	err = m.SyncOnce(ctx, account)
	close(done)
	wg.Wait()
	if err == nil {
		report(UploadProgress{PhaseUpload, total, total})
	}
	return err
}

// refusalWatch counts the transfers a server refuses while an upload runs.
type refusalWatch struct {
	account string
	mu      sync.Mutex
	count   int
	first   error
}

func (w *refusalWatch) add(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count++
	if w.first == nil {
		w.first = err
	}
}

func (w *refusalWatch) result() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count, w.first
}

func (m *Manager) watchRefusals(account string) *refusalWatch {
	w := &refusalWatch{account: account}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refusalWatches = append(m.refusalWatches, w)
	return w
}

func (m *Manager) unwatchRefusals(w *refusalWatch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, x := range m.refusalWatches {
		if x == w {
			m.refusalWatches = append(m.refusalWatches[:i], m.refusalWatches[i+1:]...)
			return
		}
	}
}

// observeRefusal tells the watches of its account about a transfer the server refused.
func (m *Manager) observeRefusal(ev types.Error) {
	if ev.Op != "replay "+string(localcache.OpTransfer) || !errors.Is(ev.Err, types.ErrRefused) {
		return
	}
	err := m.redactErr(ev.Account, ev.Err)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.refusalWatches {
		if w.account == ev.Account {
			w.add(err)
		}
	}
}
