package accounts

import (
	"context"
	"fmt"
	"time"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// Sender queues and delivers outgoing mail (the SMTP outbox), injected from main.go.
type Sender interface {
	// Queue stores the message durably in the outbox and returns at once.
	Queue(ctx context.Context, account string, raw []byte, messageID, from string, rcpt []string) error
	// Run delivers queued mail until ctx ends, retrying with backoff.
	Run(ctx context.Context)
	// Flush makes one delivery attempt for every message that is due.
	Flush(ctx context.Context) error
	// Wake asks a running outbox to try now. It never blocks.
	Wake()
}

func (m *Manager) send(ctx context.Context, r types.Send) error {
	if m.sender == nil {
		return fmt.Errorf("sending is not available")
	}
	acc, ok := m.Account(r.Account)
	if !ok {
		return fmt.Errorf("no account named %q", r.Account)
	}
	r.Draft.From = acc.Identity()
	raw, id, err := mailfmt.Build(r.Draft)
	if err != nil {
		return err
	}
	if err := m.sender.Queue(ctx, acc.Name, raw, id, acc.Email, r.Draft.Recipients()); err != nil {
		return err
	}
	m.sender.Wake()
	if r.Replaces != 0 {
		if err := m.cache.Expunge(ctx, []int64{r.Replaces}, m.KeepsMailOnServer(acc.Kind)); err != nil {
			return fmt.Errorf("sent; the saved draft stays in Drafts: %w", err)
		}
		m.wake(acc.Name)
	}
	return nil
}

// SaveDraftID saves a draft as a SaveDraft request does and returns the local id of the stored copy,
// so that the composer can name it in Replaces on its next save instead of adding another copy.
func (m *Manager) SaveDraftID(ctx context.Context, r types.SaveDraft) (int64, error) {
	return m.saveDraft(ctx, r)
}

// saveDraft writes the draft into Drafts locally at once; IMAP accounts queue the APPEND (and the
// removal of the version it replaces) for the engine.
func (m *Manager) saveDraft(ctx context.Context, r types.SaveDraft) (int64, error) {
	acc, ok := m.Account(r.Account)
	if !ok {
		return 0, fmt.Errorf("no account named %q", r.Account)
	}
	r.Draft.From = acc.Identity()
	raw, id, err := mailfmt.BuildDraft(r.Draft)
	if err != nil {
		return 0, err
	}
	drafts, err := m.specialFolder(ctx, acc, localcache.RoleDrafts, "Drafts")
	if err != nil {
		return 0, err
	}
	newID, err := m.FileCopy(ctx, acc, drafts, raw, id, localcache.FlagSeen|localcache.FlagDraft)
	if err != nil {
		return 0, err
	}
	if r.Replaces != 0 {
		if err := m.cache.Expunge(ctx, []int64{r.Replaces}, m.KeepsMailOnServer(acc.Kind)); err != nil {
			return newID, err
		}
	}
	m.wake(acc.Name)
	return newID, nil
}

// specialFolder finds the account's folder with a role, creating it (locally, and queued for the
// server on IMAP) when missing.
func (m *Manager) specialFolder(ctx context.Context, acc types.Account, role, name string) (localcache.Folder, error) {
	f, err := m.cache.FolderByRole(ctx, acc.Name, role)
	if err == nil {
		return f, nil
	}
	f, err = m.cache.EnsureFolder(ctx, localcache.Folder{Account: acc.Name, Name: name, Role: role, Subscribed: true})
	if err != nil {
		return f, err
	}
	if m.KeepsMailOnServer(acc.Kind) {
		err = m.cache.Enqueue(ctx, localcache.PendingOp{Account: acc.Name, Op: localcache.CreateFolderOp{Name: name}})
	}
	return f, err
}

// FileCopy stores raw as a message in folder: the body durably, an index entry at once, and for IMAP
// accounts a queued APPEND of the exact bytes. It is how sent mail reaches Sent and drafts reach Drafts.
func (m *Manager) FileCopy(ctx context.Context, acc types.Account, folder localcache.Folder, raw []byte, messageID string, flags localcache.Flags) (int64, error) {
	return m.fileCopy(ctx, acc, folder, raw, messageID, flags, func(key string, copied localcache.OpItem) localcache.Op {
		return localcache.AppendOp{BodyKey: key, Flags: flags, Items: []localcache.OpItem{copied}}
	})
}

// fileCopy is FileCopy with the operation that takes the copy to the server (for accounts that keep
// their mail there) made by queued from the stored body's key and the new local copy.
func (m *Manager) fileCopy(ctx context.Context, acc types.Account, folder localcache.Folder, raw []byte, messageID string,
	flags localcache.Flags, queued func(key string, copied localcache.OpItem) localcache.Op) (int64, error) {
	keys, err := m.cache.PutBodies(ctx, []localcache.Body{{Account: acc.Name, Origin: "local", Folder: folder.Name, Raw: raw}})
	if err != nil {
		return 0, err
	}
	sum, err := mailfmt.Summarize(raw)
	if err != nil {
		return 0, fmt.Errorf("file copy: %w", err)
	}
	entry := localcache.Message{Account: acc.Name, FolderID: folder.ID, Size: int64(len(raw)), Flags: flags, BodyKey: keys[0]}
	entry.SetSummary(sum)
	if entry.Date.IsZero() {
		entry.Date = time.Now()
	}
	if entry.MessageID == "" {
		entry.MessageID = messageID
	}
	if !m.KeepsMailOnServer(acc.Kind) {
		ids, err := m.cache.AddMessages(ctx, []localcache.Message{entry})
		if err != nil {
			return 0, err
		}
		return ids[0], nil
	}
	// The copy and its upload are one transaction: a crash between them would leave a copy here
	// that never reaches the server.
	return m.cache.AddQueued(ctx, entry, func(id int64) localcache.PendingOp {
		return localcache.PendingOp{Account: acc.Name, FolderID: folder.ID, FolderName: folder.Name,
			Op: queued(keys[0], localcache.OpItem{MessageID: id})}
	})
}

// FileSent files the exact sent bytes in the account's Sent folder (created when missing): on the
// server for IMAP accounts, on this computer only for POP3 accounts.
func (m *Manager) FileSent(ctx context.Context, account string, raw []byte, messageID string) error {
	acc, ok := m.Account(account)
	if !ok {
		return fmt.Errorf("no account named %q", account)
	}
	sent, err := m.specialFolder(ctx, acc, localcache.RoleSent, "Sent")
	if err != nil {
		return err
	}
	if _, err := m.FileCopy(ctx, acc, sent, raw, messageID, localcache.FlagSeen); err != nil {
		return err
	}
	m.wake(acc.Name)
	return nil
}

// Emit posts an event from a part the Manager does not run itself (the outbox). It never blocks: when
// nobody reads events the event is dropped.
func (m *Manager) Emit(ev types.Event) {
	if e, ok := ev.(types.Error); ok && Diagnose(e.Err) == types.ProblemAuth {
		m.oauth.refused(e.Account) // the outbox's login was refused: renew an OAuth2 token once
	}
	select {
	case m.events <- ev:
	default:
	}
}
