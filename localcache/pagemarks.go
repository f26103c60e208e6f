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
	return c.PageMarksSorted(ctx, folderIDs, Sort{}, n)
}

// PageMarksSorted is PageMarks in the order s, for PageSorted; it reads only the order's index.
func (c *Cache) PageMarksSorted(ctx context.Context, folderIDs []int64, s Sort, n int) ([]Cursor, int, error) {
	if len(folderIDs) == 0 {
		return nil, 0, nil
	}
	if err := checkSort(s); err != nil {
		return nil, 0, err
	}
	if n <= 0 {
		n = 50
	}
	in, args := folderList(folderIDs)
	cols := s.columns()
	rows, err := c.index.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM messages WHERE folder_id IN (`+
		in+`)`+s.orderBy(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("page marks of folders %v: %w", folderIDs, err)
	}
	defer rows.Close()
	var marks []Cursor
	total := 0
	for rows.Next() {
		var key any
		var date, id int64
		dest := []any{&date, &id}
		if len(cols) == 3 {
			dest = append([]any{&key}, dest...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, fmt.Errorf("page marks of folders %v: %w", folderIDs, err)
		}
		total++
		if total%n == 0 {
			marks = append(marks, Cursor{Key: key, Date: time.Unix(date, 0), ID: id})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("page marks of folders %v: %w", folderIDs, err)
	}
	return marks, total, nil
}
