package accounts

import (
	"context"
	"fmt"

	"postbode/localcache"
	"postbode/types"
)

// transfer copies messages into a folder (of any account) by their exact bytes, flags carried
// over, a batch per commit (copier); with move set each source is removed once its copy is safe: at
// once when the target keeps its mail on this computer, and only after the target server holds a
// copy whose SHA-256 was checked otherwise (a TransferOp, replayed by the target's engine). Bodies
// not downloaded yet are fetched first.
func (m *Manager) transfer(ctx context.Context, ids []int64, to int64, move bool) error {
	target, err := m.cache.Folder(ctx, to)
	if err != nil {
		return fmt.Errorf("target folder: %w", err)
	}
	tacc, ok := m.Account(target.Account)
	if !ok {
		return fmt.Errorf("the folder %q belongs to no account", target.Name)
	}
	c := &copier{m: m, folder: target, toServer: m.KeepsMailOnServer(tacc.Kind), move: move}
	var removeNow []int64 // moved to a local folder: the copy is durable once flushed
	for _, id := range ids {
		msg, err := m.cache.Message(ctx, id)
		if err != nil {
			return err
		}
		if msg.FolderID == to {
			continue
		}
		raw, err := m.bodyOf(ctx, msg)
		if err != nil {
			return err
		}
		if err := c.add(ctx, msg, raw); err != nil {
			return fmt.Errorf("copy to %q: %w", target.Name, err)
		}
		if move && !c.toServer {
			removeNow = append(removeNow, id)
		}
	}
	if err := c.flush(ctx); err != nil {
		return fmt.Errorf("copy to %q: %w", target.Name, err)
	}
	if len(removeNow) > 0 {
		if err := m.eachAccount(ctx, removeNow, nil, func(src types.Account, ids []int64) error {
			return m.cache.Expunge(ctx, ids, m.replaysDeletion(src))
		}); err != nil {
			return err
		}
	}
	m.wake(target.Account)
	return nil
}

// bodyOf returns a message's bytes, downloading them first when they are not here yet.
func (m *Manager) bodyOf(ctx context.Context, msg localcache.Message) ([]byte, error) {
	if msg.BodyKey == "" {
		if err := m.FetchBody(ctx, msg.ID); err != nil {
			return nil, fmt.Errorf("download message %d before copying it: %w", msg.ID, err)
		}
		fetched, err := m.cache.Message(ctx, msg.ID)
		if err != nil {
			return nil, err
		}
		msg.BodyKey = fetched.BodyKey
	}
	raw, err := m.cache.Body(ctx, msg.BodyKey)
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", msg.ID, err)
	}
	return raw, nil
}

// replaysDeletion says whether a message deleted here is deleted on the account's server too: always
// for IMAP, and for POP3 under the "delete when deleted here" policy.
func (m *Manager) replaysDeletion(acc types.Account) bool {
	return m.KeepsMailOnServer(acc.Kind) || acc.POP3.Leave == types.LeaveDeleteLocally
}
