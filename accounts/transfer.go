package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"postbode/localcache"
	"postbode/types"
)

// transfer copies messages into a folder (of any account) by their exact bytes, flags carried
// over; with move set each source is removed once its copy is safe: at once when the target keeps
// its mail on this computer, and only after the target server holds a copy whose SHA-256 was checked
// otherwise (a TransferOp, replayed by the target's engine). Bodies not downloaded yet are fetched
// first.
func (m *Manager) transfer(ctx context.Context, ids []int64, to int64, move bool) error {
	target, err := m.cache.Folder(ctx, to)
	if err != nil {
		return fmt.Errorf("target folder: %w", err)
	}
	tacc, ok := m.Account(target.Account)
	if !ok {
		return fmt.Errorf("the folder %q belongs to no account", target.Name)
	}
	toServer := m.KeepsMailOnServer(tacc.Kind)
	var removeNow []int64 // moved to a local folder: the copy is durable already
	for _, id := range ids {
		msg, err := m.cache.Message(ctx, id)
		if err != nil {
			return err
		}
		if msg.FolderID == to {
			continue
		}
		if msg.BodyKey == "" {
			if err := m.FetchBody(ctx, id); err != nil {
				return fmt.Errorf("download message %d before copying it: %w", id, err)
			}
			if msg, err = m.cache.Message(ctx, id); err != nil {
				return err
			}
		}
		raw, err := m.cache.Body(ctx, msg.BodyKey)
		if err != nil {
			return fmt.Errorf("message %d: %w", id, err)
		}
		src, _ := m.Account(msg.Account)
		sum := sha256.Sum256(raw)
		flags := msg.Flags &^ localcache.FlagDeleted
		var from *localcache.TransferSource
		if move && toServer {
			from = &localcache.TransferSource{Account: msg.Account, FolderID: msg.FolderID,
				Items: []localcache.OpItem{msg.OpItem()}, Queue: m.replaysDeletion(src)}
		}
		_, err = m.fileCopy(ctx, tacc, target, raw, msg.MessageID, flags, func(key string, copied localcache.OpItem) localcache.Op {
			return localcache.TransferOp{AppendOp: localcache.AppendOp{BodyKey: key, Flags: flags, Items: []localcache.OpItem{copied}},
				SHA256: hex.EncodeToString(sum[:]), Size: int64(len(raw)), From: from}
		})
		if err != nil {
			return fmt.Errorf("copy message %d to %q: %w", id, target.Name, err)
		}
		if move && !toServer {
			removeNow = append(removeNow, id)
		}
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

// replaysDeletion says whether a message deleted here is deleted on the account's server too: always
// for IMAP, and for POP3 under the "delete when deleted here" policy.
func (m *Manager) replaysDeletion(acc types.Account) bool {
	return m.KeepsMailOnServer(acc.Kind) || acc.POP3.Leave == types.LeaveDeleteLocally
}
