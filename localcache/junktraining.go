package localcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"postbode/junkfilter"
)

// TrainJunk records that the message stored under key was judged junk (or good): its tokens
// count for that class. A message trained before in the other class is moved over, so that a
// Junk followed by Not junk leaves no trace of the first; trained again in the same class it
// changes nothing.
func (c *Cache) TrainJunk(ctx context.Context, account, key string, tokens []string, junk bool) error {
	err := inTx(ctx, c.store, func(tx *sql.Tx) error {
		var was bool
		switch err := tx.QueryRowContext(ctx, `SELECT junk FROM junk_trained WHERE account = ? AND key = ?`, account, key).Scan(&was); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case was == junk:
			return nil
		default:
			if err := countTokens(ctx, tx, account, tokens, was, -1); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO junk_trained(account, key, junk) VALUES (?, ?, ?)
ON CONFLICT(account, key) DO UPDATE SET junk = excluded.junk`, account, key, junk); err != nil {
			return err
		}
		return countTokens(ctx, tx, account, tokens, junk, 1)
	})
	if err != nil {
		return fmt.Errorf("junk training of %s: %w", account, err)
	}
	return nil
}

// countTokens adds delta to the junk or good count of each token.
func countTokens(ctx context.Context, tx *sql.Tx, account string, tokens []string, junk bool, delta int) error {
	column := "good"
	if junk {
		column = "junk"
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO junk_tokens(account, token, `+column+`) VALUES (?, ?, max(?, 0))
ON CONFLICT(account, token) DO UPDATE SET `+column+` = max(`+column+` + ?, 0)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, t := range tokens {
		if _, err := stmt.ExecContext(ctx, account, t, delta, delta); err != nil {
			return err
		}
	}
	return nil
}

// JunkModel reads the account's training for the tokens of one message.
func (c *Cache) JunkModel(ctx context.Context, account string, tokens []string) (junkfilter.Model, error) {
	m := junkfilter.Model{Tokens: make(map[string]junkfilter.Counts, len(tokens))}
	err := c.store.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE junk), count(*) FILTER (WHERE NOT junk)
FROM junk_trained WHERE account = ?`, account).Scan(&m.Totals.Junk, &m.Totals.Good)
	if err != nil {
		return m, fmt.Errorf("junk model of %s: %w", account, err)
	}
	// In chunks, within SQLite's limit on parameters.
	for start := 0; start < len(tokens); start += 500 {
		chunk := tokens[start:min(start+500, len(tokens))]
		args := []any{account}
		for _, t := range chunk {
			args = append(args, t)
		}
		rows, err := c.store.QueryContext(ctx, `SELECT token, junk, good FROM junk_tokens WHERE account = ? AND token IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return m, fmt.Errorf("junk model of %s: %w", account, err)
		}
		for rows.Next() {
			var t string
			var counts junkfilter.Counts
			if err := rows.Scan(&t, &counts.Junk, &counts.Good); err != nil {
				rows.Close()
				return m, fmt.Errorf("junk model of %s: %w", account, err)
			}
			m.Tokens[t] = counts
		}
		if err := rows.Close(); err != nil {
			return m, fmt.Errorf("junk model of %s: %w", account, err)
		}
	}
	return m, nil
}
