package localcache

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PageMarks returns where every page of n messages of the folders ends, newest first, and how many
// messages there are: marks[k] is the cursor of row (k+1)*n-1, so Page(folders, &marks[k-1], n) returns
// page k (page 0 is Page(folders, nil, n)). A message list uses it to jump to any row of a large
// folder with keyset paging; it reads only the (folder_id, date, id) index.
func (c *Cache) PageMarks(ctx context.Context, folderIDs []int64, n int) ([]Cursor, int, error) {
	if len(folderIDs) == 0 {
		return nil, 0, nil
	}
	if n <= 0 {
		n = 50
	}
	args := make([]any, len(folderIDs))
	in := make([]string, len(folderIDs))
	for i, id := range folderIDs {
		in[i], args[i] = "?", id
	}
	rows, err := c.index.QueryContext(ctx, `SELECT date, id FROM messages WHERE folder_id IN (`+
		strings.Join(in, ",")+`) ORDER BY date DESC, id DESC`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("page marks of folders %v: %w", folderIDs, err)
	}
	defer rows.Close()
	var marks []Cursor
	total := 0
	for rows.Next() {
		var date, id int64
		if err := rows.Scan(&date, &id); err != nil {
			return nil, 0, fmt.Errorf("page marks of folders %v: %w", folderIDs, err)
		}
		total++
		if total%n == 0 {
			marks = append(marks, Cursor{Date: time.Unix(date, 0), ID: id})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("page marks of folders %v: %w", folderIDs, err)
	}
	return marks, total, nil
}
