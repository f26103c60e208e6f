package localcache

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// SearchQuery is a full-text query over subject, addresses and downloaded body text.
type SearchQuery struct {
	Text      string
	Account   string  // "" for every account
	FolderIDs []int64 // empty for every folder
	Limit     int
}

// SearchResult is the newest matches and what the search covered.
type SearchResult struct {
	Messages []Message
	// Searched counts the messages in scope; WithoutBody of those only had headers to match.
	Searched, WithoutBody int
}

// ftsQuery turns what a user typed into an FTS5 query: every word must match as a prefix. Quoting each
// word keeps FTS5 operators and punctuation in user input from being parsed as syntax.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '@' && r != '.' && r != '_' && r != '-'
	})
	var parts []string
	for _, w := range words {
		w = strings.Trim(w, ".-_@")
		if w == "" {
			continue
		}
		parts = append(parts, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	return strings.Join(parts, " ")
}

// denseMatches is where a full-text query counts as matching much of the mailbox.
const denseMatches = 2000

// Search runs a full-text query, newest first.
func (c *Cache) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	var res SearchResult
	match := ftsQuery(q.Text)
	if match == "" {
		return res, nil
	}
	if q.Limit <= 0 {
		q.Limit = 200
	}
	scope, args := searchScope(q)
	// A query matching few messages reads them through the full-text index and sorts them. One
	// matching most of the mailbox ("version" in 100k messages) would read and sort them all:
	// walking the messages newest first and stopping at the limit is then far cheaper.
	var matches int
	if err := c.index.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)`,
		match, denseMatches).Scan(&matches); err != nil {
		return res, fmt.Errorf("search %q: %w", q.Text, err)
	}
	query := `SELECT ` + messageCols + ` FROM messages_fts f JOIN messages m ON m.id = f.rowid
WHERE messages_fts MATCH ?` + scope + ` ORDER BY m.date DESC, m.id DESC LIMIT ?`
	if matches >= denseMatches {
		walk := ` INDEXED BY messages_date` // all folders: newest first over the whole index
		if len(q.FolderIDs) > 0 {
			walk = "" // the planner walks messages_page of the folders
		}
		query = `SELECT ` + messageCols + ` FROM messages m` + walk + `
WHERE m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)` + scope + ` ORDER BY m.date DESC, m.id DESC LIMIT ?`
	}
	rows, err := c.index.QueryContext(ctx, query, append(append([]any{match}, args...), q.Limit)...)
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
