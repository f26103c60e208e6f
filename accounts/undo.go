package accounts

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"postbode/localcache"
	"postbode/types"
)

// Undo takes back one change (DoUndoable).
type Undo struct {
	m      *Manager
	queued map[string][]int64 // the operations the change queued, by account
	// unqueued: some of the change was made without queuing (a POP3 account's messages), so
	// withdrawing the queued operations alone would not take all of it back.
	unqueued bool
	inverse  []types.Request
}

// Possible reports whether the change can be taken back.
func (u Undo) Possible() bool { return len(u.inverse) > 0 }

// DoUndoable makes a change as Do does and returns how to take it back.
func (m *Manager) DoUndoable(ctx context.Context, req types.Request) (Undo, error) {
	u := Undo{m: m}
	// Whole folders marked read are changed first and their undo is taken from what changed (the
	// rows that were unread), not from a snapshot of every message read beforehand.
	var folders []int64
	var read bool
	if r, ok := req.(types.MarkRead); ok && len(r.Folders) > 0 {
		folders, read = r.Folders, r.Read
		req = types.MarkRead{IDs: r.IDs, Read: r.Read}
	}
	inverse, states, err := m.inverse(ctx, req)
	if err != nil {
		return u, err
	}
	u.inverse = inverse
	last, err := m.cache.LastPendingID(ctx)
	if err != nil {
		return u, err
	}
	set, clear := seenChange(read)
	changed, touched, err := m.markFolders(ctx, folders, set, clear)
	if len(changed) > 0 {
		u.inverse = append(u.inverse, types.MarkRead{IDs: changed, Read: !read})
	}
	if err != nil {
		return u, err
	}
	if err := m.do(ctx, req, states); err != nil {
		return u, err
	}
	if u.queued, err = m.cache.PendingSince(ctx, last); err != nil {
		return u, err
	}
	for _, s := range states {
		touched = append(touched, s.Account)
	}
	for _, account := range touched {
		if len(u.queued[account]) == 0 {
			u.unqueued = true
			break
		}
	}
	return u, nil
}

// Run takes the change back. While none of what it queued has reached a server, and it queued
// something for every account it changed, the operations are withdrawn: their local effect is
// undone and the servers never see them. Otherwise the inverse change is made, and replayed like
// any other.
func (u Undo) Run(ctx context.Context) error {
	if !u.Possible() {
		return errors.New("this change cannot be taken back")
	}
	var withdraw []localcache.PendingOp
	for account, ids := range u.queued {
		ops, err := u.m.cache.PendingOps(ctx, account)
		if err != nil {
			return err
		}
		for _, op := range ops {
			if slices.Contains(ids, op.ID) {
				withdraw = append(withdraw, op)
			}
		}
	}
	if queued := countAll(u.queued); queued == 0 || len(withdraw) < queued || u.unqueued {
		for _, req := range u.inverse {
			if err := u.m.Do(ctx, req); err != nil {
				return err
			}
		}
		return nil
	}
	slices.SortFunc(withdraw, func(a, b localcache.PendingOp) int { return cmp.Compare(b.ID, a.ID) })
	for _, op := range withdraw { // the newest first, as each undo expects
		if err := u.m.cache.RefusePending(ctx, op); err != nil {
			return err
		}
	}
	return nil
}

func countAll(m map[string][]int64) int {
	n := 0
	for _, ids := range m {
		n += len(ids)
	}
	return n
}

// inverse returns the requests that take back what req is about to do (call it before Do), and
// the states it read of the request's messages when it read them all (nil otherwise, or when one
// is gone): the
// flags the messages had, the folders they were in. It returns none for what cannot be taken back:
// deletion for good (from Trash, or without a Trash folder) and moves between accounts. The inverse
// is itself an ordinary change, replayed to the server like any other, so the server ends as it was
// whether or not req reached it first.
func (m *Manager) inverse(ctx context.Context, req types.Request) ([]types.Request, map[int64]localcache.MessageState, error) {
	inv, states, err := m.inverseOf(ctx, req)
	if err != nil || states == nil {
		return inv, nil, err
	}
	known := make(map[int64]localcache.MessageState, len(states))
	for _, s := range states {
		known[s.ID] = s
	}
	for _, id := range requestIDs(req) {
		if _, ok := known[id]; !ok {
			return inv, nil, nil
		}
	}
	return inv, known, nil
}

// requestIDs is the messages a request changes.
func requestIDs(req types.Request) []int64 {
	switch r := req.(type) {
	case types.MarkRead:
		return r.IDs
	case types.SetFlag:
		return r.IDs
	case types.Move:
		return r.IDs
	case types.Delete:
		return r.IDs
	case types.MarkJunk:
		return r.IDs
	case types.Archive:
		return r.IDs
	}
	return nil
}

func (m *Manager) inverseOf(ctx context.Context, req types.Request) ([]types.Request, []localcache.MessageState, error) {
	ids := requestIDs(req)
	if ids == nil {
		return nil, nil, nil
	}
	states, err := m.cache.States(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	switch r := req.(type) {
	case types.MarkRead:
		return flagBack(states, localcache.FlagSeen, r.Read, func(ids []int64, on bool) types.Request {
			return types.MarkRead{IDs: ids, Read: on}
		}), states, nil
	case types.SetFlag:
		return flagBack(states, r.Flag, r.On, func(ids []int64, on bool) types.Request {
			return types.SetFlag{IDs: ids, Flag: r.Flag, On: on}
		}), states, nil
	case types.Move:
		target, err := m.cache.Folder(ctx, r.To)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range states {
			if s.Account != target.Account {
				return nil, states, nil // a move between accounts ends in a deletion for good
			}
		}
		return movesBack(states, r.To), states, nil
	case types.Delete:
		trash := map[string]int64{} // each account's Trash folder, looked up once
		for _, s := range states {
			id, ok := trash[s.Account]
			if !ok {
				f, err := m.cache.FolderByRole(ctx, s.Account, localcache.RoleTrash)
				if err != nil && !errors.Is(err, localcache.ErrNotFound) {
					return nil, nil, err
				}
				id, trash[s.Account] = f.ID, f.ID // 0: no Trash
			}
			if id == 0 || id == s.FolderID {
				return nil, states, nil // deleted for good
			}
		}
		return movesBack(states, 0), states, nil
	case types.MarkJunk:
		return append([]types.Request{types.MarkJunk{IDs: r.IDs, Junk: !r.Junk}}, movesBack(states, 0)...), states, nil
	case types.Archive:
		return movesBack(states, 0), states, nil
	}
	return nil, nil, nil
}

// flagBack sets flag back to what each message had, for those the change to on alters.
func flagBack(states []localcache.MessageState, flag localcache.Flags, on bool, req func([]int64, bool) types.Request) []types.Request {
	var changed []int64
	for _, s := range states {
		if s.Flags.Has(flag) != on {
			changed = append(changed, s.ID)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return []types.Request{req(changed, !on)}
}

// movesBack moves the messages back to the folders they were in (except those already in skip).
func movesBack(states []localcache.MessageState, skip int64) []types.Request {
	byFolder := map[int64][]int64{}
	var order []int64
	for _, s := range states {
		if s.FolderID == skip {
			continue
		}
		if _, ok := byFolder[s.FolderID]; !ok {
			order = append(order, s.FolderID)
		}
		byFolder[s.FolderID] = append(byFolder[s.FolderID], s.ID)
	}
	var out []types.Request
	for _, f := range order {
		out = append(out, types.Move{IDs: byFolder[f], To: f})
	}
	return out
}
