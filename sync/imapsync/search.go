package imapsync

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"postbode/localcache"
)

// SearchServer runs a search on the server's copy of one folder (IMAP SEARCH), for mail whose
// bodies were never downloaded, and returns the local ids of the messages found. It uses the
// on-demand connection, as FetchBody does, so it never waits for a long sync.
func (e *Engine) SearchServer(ctx context.Context, folderID int64, f localcache.Filter) ([]int64, error) {
	folder, err := e.cache.Folder(ctx, folderID)
	if err != nil {
		return nil, err
	}
	if folder.Account != e.acc.Name {
		return nil, fmt.Errorf("folder %d is not of account %s", folderID, e.acc.Name)
	}
	cn, release, err := e.fetcher.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	stop := context.AfterFunc(ctx, func() { cn.kill(ctx.Err()) })
	defer stop()
	if err := cn.ensureSelected(folder.Name); err != nil {
		e.fetcher.drop(err)
		return nil, err
	}
	if folder.UIDValidity != 0 && cn.sel.UIDValidity != folder.UIDValidity {
		return nil, nil // the folder was replaced on the server; the next sync reads it again
	}
	watch := cn.watch(cn.lineBudget(int64(cn.sel.NumMessages) * 8))
	data, err := cn.cl.UIDSearch(searchCriteria(f), nil).Wait()
	watch()
	if err != nil {
		err = fmt.Errorf("uid search in %q: %w", folder.Name, cn.wrap(err))
		e.fetcher.drop(err)
		return nil, err
	}
	uids := data.AllUIDs()
	found := make([]uint32, len(uids))
	for i, uid := range uids {
		found[i] = uint32(uid)
	}
	states, err := e.cache.UIDStates(ctx, folderID, found)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(states))
	for _, uid := range found { // in the server's order; messages not synchronised yet are left out
		if st, ok := states[uid]; ok {
			ids = append(ids, st.ID)
		}
	}
	return ids, nil
}

// searchCriteria says the filter in IMAP SEARCH terms: words and phrases in the text (headers and
// body, as the local search matches them), the address and subject operators as header searches,
// the flags and the dates. has:attachment has no SEARCH key; the caller leaves such queries local.
func searchCriteria(f localcache.Filter) *imap.SearchCriteria {
	c := &imap.SearchCriteria{}
	c.Text = append(append(c.Text, f.Words...), f.Phrases...)
	for _, v := range f.From {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: "From", Value: v})
	}
	for _, v := range f.To {
		// to: covers Cc too, as in the local search.
		c.Or = append(c.Or, [2]imap.SearchCriteria{
			{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: v}}},
			{Header: []imap.SearchCriteriaHeaderField{{Key: "Cc", Value: v}}},
		})
	}
	for _, v := range f.Subject {
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: "Subject", Value: v})
	}
	if f.Unread {
		c.NotFlag = append(c.NotFlag, imap.FlagSeen)
	}
	if f.Read {
		c.Flag = append(c.Flag, imap.FlagSeen)
	}
	if f.Flagged {
		c.Flag = append(c.Flag, imap.FlagFlagged)
	}
	c.SentSince, c.SentBefore = f.After, f.Before
	return c
}
