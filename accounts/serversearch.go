package accounts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"postbode/localcache"
	"postbode/types"
)

// ServerSearch is what a search on the servers added to the local one.
type ServerSearch struct {
	// Messages are those found on a server whose bodies were never downloaded, newest first.
	Messages []localcache.Message
	// Folders counts the folders searched on a server.
	Folders int
}

// SearchServer runs q on the servers of the IMAP accounts in its scope, in the folders that hold
// messages whose bodies were never downloaded: the local search matched only their headers. A
// query without words or phrases is not sent (the index holds everything its operators look at),
// nor one with has:attachment, which IMAP SEARCH cannot say. The results found so far are returned
// with the errors of the accounts that could not be searched.
func (m *Manager) SearchServer(ctx context.Context, q localcache.SearchQuery) (ServerSearch, error) {
	var res ServerSearch
	f, err := localcache.ParseQuery(q.Text)
	if err != nil {
		return res, err
	}
	if len(f.Words)+len(f.Phrases) == 0 || f.HasAttachment {
		return res, nil
	}
	folders, err := m.cache.Folders(ctx, q.Account)
	if err != nil {
		return res, err
	}
	var errs []error
	seen := map[int64]bool{}
	for _, folder := range folders {
		if len(q.FolderIDs) > 0 && !slices.Contains(q.FolderIDs, folder.ID) {
			continue
		}
		acc, ok := m.Account(folder.Account)
		if !ok || !m.KeepsMailOnServer(acc.Kind) {
			continue
		}
		bodiless, err := m.cache.MessagesWithoutBody(ctx, folder.ID, time.Time{}, 1)
		if err != nil {
			return res, err
		}
		if len(bodiless) == 0 {
			continue // every body is here: the local search saw them all
		}
		e, err := m.engine(ctx, acc)
		if err != nil {
			errs = append(errs, fmt.Errorf("search %s: %w", acc.Name, err))
			continue
		}
		s, ok := e.(types.ServerSearcher)
		if !ok {
			continue
		}
		ids, err := s.SearchServer(ctx, folder.ID, f)
		if err != nil {
			errs = append(errs, fmt.Errorf("search %s on the server: %w", folder.Name, err))
			continue
		}
		res.Folders++
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			msg, err := m.cache.Message(ctx, id)
			if errors.Is(err, localcache.ErrNotFound) {
				continue // gone meanwhile
			}
			if err != nil {
				return res, err
			}
			if msg.BodyKey == "" {
				res.Messages = append(res.Messages, msg)
			}
		}
	}
	slices.SortFunc(res.Messages, func(a, b localcache.Message) int {
		return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(b.ID, a.ID))
	})
	if q.Limit > 0 && len(res.Messages) > q.Limit {
		res.Messages = res.Messages[:q.Limit]
	}
	return res, errors.Join(errs...)
}
