package localcache

import (
	"context"
	"fmt"
	"strings"
)

// SearchQuery is a search over subject, addresses and downloaded body text, with the operators
// of ParseQuery in Text.
type SearchQuery struct {
	Text      string
	Account   string  // "" for every account
	FolderIDs []int64 // empty for every folder
	Limit     int
	// WordsOnly searches Text as plain words, with no operators (address completion: "to:").
	WordsOnly bool
}

// SearchResult is the newest matches and what the search covered.
type SearchResult struct {
	Messages []Message
	// Searched counts the messages in scope; WithoutBody of those only had headers to match (zero
	// when the query has no words: operators match the index alone, whole).
	Searched, WithoutBody int
}

// denseMatches is where a full-text query counts as matching much of the mailbox.
const denseMatches = 2000

// Search runs a query, newest first. A query ParseQuery refuses returns its *QueryError.
func (c *Cache) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	var res SearchResult
	f := Filter{Words: searchWords(q.Text)}
	if !q.WordsOnly {
		var err error
		if f, err = ParseQuery(q.Text); err != nil {
			return res, fmt.Errorf("search %q: %w", q.Text, err)
		}
	}
	if f.Empty() {
		return res, nil
	}
	if q.Limit <= 0 {
		q.Limit = 200
	}
	scope, args := searchScope(q)
	conds, condArgs := f.conditions()
	scope += conds
	args = append(args, condArgs...)
	match := f.ftsMatch()
	// All folders: newest first over the whole index; the planner walks messages_page of the
	// folders otherwise.
	walk := ` INDEXED BY messages_date`
	if len(q.FolderIDs) > 0 {
		walk = ""
	}
	query := `SELECT ` + messageCols + ` FROM messages m` + walk + ` WHERE 1=1` + scope + ` ORDER BY m.date DESC, m.id DESC LIMIT ?`
	if match != "" {
		// A query matching few messages reads them through the full-text index and sorts them. One
		// matching most of the mailbox ("version" in 100k messages) would read and sort them all:
		// walking the messages newest first and stopping at the limit is then far cheaper.
		var matches int
		if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)`,
			match, denseMatches).Scan(&matches); err != nil {
			return res, fmt.Errorf("search %q: %w", q.Text, err)
		}
		query = `SELECT ` + messageCols + ` FROM messages_fts f JOIN messages m ON m.id = f.rowid
WHERE messages_fts MATCH ?` + scope + ` ORDER BY m.date DESC, m.id DESC LIMIT ?`
		if matches >= denseMatches {
			query = `SELECT ` + messageCols + ` FROM messages m` + walk + `
WHERE m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)` + scope + ` ORDER BY m.date DESC, m.id DESC LIMIT ?`
		}
		args = append([]any{match}, args...)
	}
	rows, err := c.index.QueryContext(ctx, query, append(args, q.Limit)...)
	if err != nil {
		return res, fmt.Errorf("search %q: %w", q.Text, err)
	}
	if res.Messages, err = scanMessages(rows); err != nil {
		return res, fmt.Errorf("search %q: %w", q.Text, err)
	}
	// The scope's size comes from the per-folder counters, not from counting messages.
	fscope, fargs := folderScope(q)
	err = c.index.QueryRowContext(ctx, `SELECT coalesce(sum(total), 0), coalesce(sum(total - with_body), 0) FROM folders WHERE 1=1`+fscope, fargs...).
		Scan(&res.Searched, &res.WithoutBody)
	if err != nil {
		return res, fmt.Errorf("search scope: %w", err)
	}
	if match == "" {
		res.WithoutBody = 0
	}
	return res, nil
}

func searchScope(q SearchQuery) (string, []any) { return scope(q, "m.account", "m.folder_id") }
func folderScope(q SearchQuery) (string, []any) { return scope(q, "account", "id") }

func scope(q SearchQuery, accountCol, folderCol string) (string, []any) {
	var sb strings.Builder
	var args []any
	if q.Account != "" {
		sb.WriteString(` AND ` + accountCol + ` = ?`)
		args = append(args, q.Account)
	}
	if len(q.FolderIDs) > 0 {
		sb.WriteString(` AND ` + folderCol + ` IN (`)
		for i, id := range q.FolderIDs {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("?")
			args = append(args, id)
		}
		sb.WriteString(`)`)
	}
	return sb.String(), args
}
