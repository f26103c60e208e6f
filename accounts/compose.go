package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// Sender queues and delivers outgoing mail (the SMTP outbox), injected from main.go.
type Sender interface {
	// Queue stores the message durably in the outbox, to be sent not before it.NextAttempt, and
	// returns its outbox id at once.
	Queue(ctx context.Context, it localcache.OutboxItem) (int64, error)
	// Run delivers queued mail until ctx ends, retrying with backoff.
	Run(ctx context.Context)
	// Flush makes one delivery attempt for every message that is due.
	Flush(ctx context.Context) error
	// Wake asks a running outbox to try now. It never blocks.
	Wake()
}

// Send queues a message as a Send request does and returns its outbox id, with which Unsend
// takes it back while it is held (r.Hold).
func (m *Manager) Send(ctx context.Context, r types.Send) (int64, error) {
	if m.sender == nil {
		return 0, fmt.Errorf("sending is not available")
	}
	acc, ok := m.Account(r.Account)
	if !ok {
		return 0, fmt.Errorf("no account named %q", r.Account)
	}
	if !acc.Sends() {
		return 0, fmt.Errorf("%s holds folders on this computer and sends no mail: choose another account", acc.Name)
	}
	var from types.Identity
	r.Draft, from = sendAs(acc, r.Draft)
	raw, msgID, err := mailfmt.Build(r.Draft)
	if err != nil {
		return 0, err
	}
	it := localcache.OutboxItem{Account: acc.Name, MessageID: msgID, Sender: from.Email, Recipients: r.Draft.Recipients(), Raw: raw}
	if r.Hold > 0 {
		it.NextAttempt = time.Now().Add(r.Hold)
	}
	id, err := m.sender.Queue(ctx, it)
	if err != nil {
		return 0, err
	}
	m.sender.Wake()
	if r.Replaces != 0 {
		if err := m.cache.Expunge(ctx, []int64{r.Replaces}, m.KeepsMailOnServer(acc.Kind)); err != nil {
			return id, fmt.Errorf("sent; the saved draft stays in Drafts: %w", err)
		}
		m.wake(acc.Name)
	}
	return id, nil
}

// Unsend takes a message back out of the outbox (undo send, or editing a queued or failed
// message) and returns it as a draft of its account. A message already being handed to the
// server gives localcache.ErrOutboxSending.
func (m *Manager) Unsend(ctx context.Context, id int64) (account string, d mailfmt.Draft, err error) {
	it, err := m.cache.OutboxWithdraw(ctx, id)
	if err != nil {
		return "", d, fmt.Errorf("undo send: %w", err)
	}
	d, err = mailfmt.ParseDraft(it.Raw)
	if err != nil {
		// The bytes are ours, built by Send; should they not parse, keep them in the outbox, held
		// as failed with the reason, rather than lose them or send them after all.
		back, qerr := m.cache.OutboxAdd(ctx, it)
		if qerr == nil {
			qerr = m.cache.OutboxSetState(ctx, back, localcache.OutboxFailed, time.Time{}, err)
		}
		return "", d, fmt.Errorf("undo send: the message stays in the outbox: %w", errors.Join(err, qerr))
	}
	return it.Account, d, nil
}

// sendAs puts the identity the draft is from (its From address, when that is one of the account's
// identities, else the account's own) into From, and its Reply-To unless the draft has one.
func sendAs(acc types.Account, d mailfmt.Draft) (mailfmt.Draft, types.Identity) {
	id, ok := acc.IdentityFor(d.From.Email)
	if !ok {
		id = acc.ReplyIdentity()
	}
	d.From = id.Address()
	if id.ReplyTo != "" && len(d.ReplyTo) == 0 {
		d.ReplyTo = []mailfmt.Address{{Email: id.ReplyTo}}
	}
	return d, id
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
	r.Draft, _ = sendAs(acc, r.Draft)
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
			Op: localcache.AppendOp{BodyKey: keys[0], Flags: flags, Items: []localcache.OpItem{{MessageID: id}}}}
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

// SendNow makes a waiting or failed message in the outbox due at once and wakes the outbox.
func (m *Manager) SendNow(ctx context.Context, id int64) error {
	if m.sender == nil {
		return fmt.Errorf("sending is not available")
	}
	if err := m.cache.OutboxSendNow(ctx, id); err != nil {
		return fmt.Errorf("send now: %w", err)
	}
	m.sender.Wake()
	return nil
}
