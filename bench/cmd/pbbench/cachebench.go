package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"postbode/localcache"
)

const (
	cacheMessages = 100_000
	cachePageSize = 50
	cacheAccount  = "bench"
	cacheMarker   = "complete-v1"
)

// cacheResults are the medians' inputs for the 100k-message cache rows.
type cacheResults struct {
	Open, First, Scroll, Jump, SearchRare, SearchCommon, Unread, MarkRead series
	RareWord, CommonWord                                                  string
	Pages                                                                 int
}

// benchVocabulary is a deterministic vocabulary; words are drawn with a Zipf law, so a low index is a
// common word and a high one rare, as in real mail.
func benchVocabulary() []string {
	common := strings.Fields(`the and to of a in is for that you it on with this be are we as have not at
	meeting project invoice report update please thanks regards team week today tomorrow question order
	delivery account payment review draft version release schedule budget contract customer`)
	r := rand.New(rand.NewPCG(11, 13))
	syll := strings.Fields("ka ro mi ten vel dor sa lin bre qua mo zu fen tis gra po le ni cha ver")
	words := append([]string(nil), common...)
	seen := map[string]bool{}
	for _, w := range common {
		seen[w] = true
	}
	for len(words) < 6000 {
		var b strings.Builder
		for k := 2 + r.IntN(3); k > 0; k-- {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// buildCache fills a new cache with cacheMessages index rows and body text, in batches of 1000 as a
// sync writes them. It is kept in dir between runs of the benchmark.
func buildCache(ctx context.Context, dir string, vocab []string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	c, err := openCache(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	f, err := c.EnsureFolder(ctx, localcache.Folder{Account: cacheAccount, Name: "INBOX", Role: localcache.RoleInbox})
	if err != nil {
		return fmt.Errorf("cache folder: %w", err)
	}
	r := rand.New(rand.NewPCG(5, 8))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(6, 9)), 1.1, 2, uint64(len(vocab)-1))
	text := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	first := []string{"Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Greta", "Hugo", "Ilse", "Jonas", "Kenji", "Lotte", "Mila", "Noah", "Yuki"}
	last := []string{"de Vries", "Jansen", "Müller", "Schmidt", "Bakker", "Visser", "Tanaka", "Smit", "Meijer", "Peters"}
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 5 * 365 * 24 * time.Hour / cacheMessages
	batch := make([]localcache.Message, 0, 1000)
	for i := 0; i < cacheMessages; i++ {
		fn, ln := first[r.IntN(len(first))], last[r.IntN(len(last))]
		body := text(80 + r.IntN(200))
		var flags localcache.Flags
		if r.Float64() < 0.8 {
			flags |= localcache.FlagSeen
		}
		batch = append(batch, localcache.Message{
			Account: cacheAccount, FolderID: f.ID, UID: uint32(i + 1), UIDValidity: 1,
			MessageID: fmt.Sprintf("<%d.bench@mail.test>", i), ThreadKey: fmt.Sprintf("t%d", i/3),
			Subject:  text(3 + r.IntN(6)),
			FromName: fn + " " + ln, FromAddr: strings.ToLower(fn[:1]+"."+strings.ReplaceAll(ln, " ", "")) + "@example.test",
			To:   "Alice <alice@mail.test>",
			Date: start.Add(time.Duration(i)*step + time.Duration(r.IntN(600))*time.Second),
			Size: int64(2000 + r.IntN(18000)), Flags: flags, Snippet: body[:min(len(body), 120)], BodyText: body,
		})
		if len(batch) == cap(batch) || i == cacheMessages-1 {
			if _, err := c.AddMessages(ctx, batch); err != nil {
				return fmt.Errorf("fill cache: %w", err)
			}
			batch = batch[:0]
		}
	}
	return os.WriteFile(filepath.Join(dir, cacheMarker), nil, 0o644)
}

// cacheBench measures the message list and search on a 100k-message folder.
func cacheBench(ctx context.Context, dir string, iterations int, logf func(string, ...any)) (cacheResults, error) {
	var res cacheResults
	vocab := benchVocabulary()
	res.CommonWord, res.RareWord = vocab[40], vocab[2500]
	if _, err := os.Stat(filepath.Join(dir, cacheMarker)); err != nil {
		logf("building a %d-message cache in %s (kept for later runs)", cacheMessages, dir)
		start := time.Now()
		if err := buildCache(ctx, dir, vocab); err != nil {
			return res, err
		}
		logf("built in %v", time.Since(start).Round(time.Second))
	}
	folder := func(c *localcache.Cache) (int64, error) {
		f, err := c.FolderByRole(ctx, cacheAccount, localcache.RoleInbox)
		if err != nil {
			return 0, fmt.Errorf("100k folder: %w", err)
		}
		if f.Total != cacheMessages {
			return 0, fmt.Errorf("100k folder holds %d messages", f.Total)
		}
		return f.ID, nil
	}
	for i := 0; i < iterations; i++ {
		// Opening the cache and showing the first rows, as the app does at start.
		start := time.Now()
		c, err := openCache(dir)
		if err != nil {
			return res, err
		}
		if rebuilt, why := c.Rebuilt(); rebuilt {
			c.Close()
			return res, fmt.Errorf("the 100k cache was rebuilt on open (%s); delete %s", why, dir)
		}
		id, err := folder(c)
		if err == nil {
			var page []localcache.Message
			page, err = c.Page(ctx, []int64{id}, nil, cachePageSize)
			if err == nil && len(page) != cachePageSize {
				err = fmt.Errorf("first page has %d rows", len(page))
			}
		}
		res.Open = append(res.Open, secs(time.Since(start)))
		if err != nil {
			c.Close()
			return res, err
		}
		err = func() error {
			defer c.Close()
			// The rest measures the steady state, not the start-up integrity check running beside it.
			c.WaitIntegrityCheck()
			start = time.Now()
			if _, err := c.Page(ctx, []int64{id}, nil, cachePageSize); err != nil {
				return err
			}
			res.First = append(res.First, secs(time.Since(start)))

			// Scrolling through every page with keyset paging.
			start = time.Now()
			var cur *localcache.Cursor
			pages, rows := 0, 0
			for {
				page, err := c.Page(ctx, []int64{id}, cur, cachePageSize)
				if err != nil {
					return err
				}
				if len(page) == 0 {
					break
				}
				pages++
				rows += len(page)
				cur = localcache.CursorOf(page[len(page)-1])
			}
			res.Scroll = append(res.Scroll, secs(time.Since(start)))
			if rows != cacheMessages {
				return fmt.Errorf("scrolled over %d rows", rows)
			}
			res.Pages = pages

			// Jumping to the end, as a scrollbar drag does: page marks, then the last page.
			start = time.Now()
			marks, total, err := c.PageMarks(ctx, []int64{id}, cachePageSize)
			if err != nil {
				return err
			}
			if total != cacheMessages || len(marks) == 0 {
				return fmt.Errorf("page marks: %d marks over %d rows", len(marks), total)
			}
			lastPage := (total - 1) / cachePageSize // page k starts after marks[k-1]
			if lastPage < 1 || lastPage-1 >= len(marks) {
				return fmt.Errorf("page marks: %d marks over %d rows", len(marks), total)
			}
			last, err := c.Page(ctx, []int64{id}, &marks[lastPage-1], cachePageSize)
			if err != nil || len(last) == 0 {
				return fmt.Errorf("last page: %d rows, %v", len(last), err)
			}
			res.Jump = append(res.Jump, secs(time.Since(start)))

			for _, q := range []struct {
				word string
				out  *series
			}{{res.RareWord, &res.SearchRare}, {res.CommonWord, &res.SearchCommon}} {
				start = time.Now()
				sr, err := c.Search(ctx, localcache.SearchQuery{Text: q.word, Limit: cachePageSize})
				if err != nil {
					return err
				}
				*q.out = append(*q.out, secs(time.Since(start)))
				if len(sr.Messages) == 0 {
					return fmt.Errorf("search %q found nothing", q.word)
				}
			}

			start = time.Now()
			n, err := c.UnreadCount(ctx, id)
			if err != nil {
				return err
			}
			res.Unread = append(res.Unread, secs(time.Since(start)))
			if n == 0 {
				return errors.New("unread count is 0")
			}
			d, err := markAllRead(ctx, c, id)
			res.MarkRead = append(res.MarkRead, secs(d))
			return err
		}()
		if err != nil {
			return res, fmt.Errorf("cache benchmark: %w", err)
		}
	}
	return res, nil
}

// markAllRead times Ctrl+A then "mark read" on the folder as the window does it for an IMAP account
// (the ids for the selection; the selection being the whole folder, the change and the queued
// operation by folder: SetFolderFlags), then puts the cache back as it was: the unread messages
// unread again, nothing queued.
func markAllRead(ctx context.Context, c *localcache.Cache, folderID int64) (time.Duration, error) {
	uids := make([]uint32, cacheMessages)
	for i := range uids {
		uids[i] = uint32(i + 1)
	}
	states, err := c.UIDStates(ctx, folderID, uids)
	if err != nil {
		return 0, err
	}
	var unread []int64
	for _, st := range states {
		if !st.Flags.Has(localcache.FlagSeen) {
			unread = append(unread, st.ID)
		}
	}
	start := time.Now()
	ids, err := c.PageIDs(ctx, []int64{folderID}, nil, cacheMessages)
	if err == nil {
		_, err = c.SetFolderFlags(ctx, folderID, localcache.FlagSeen, 0, true)
	}
	if err == nil && len(ids) != cacheMessages {
		err = fmt.Errorf("%d ids selected", len(ids))
	}
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("mark all read: %w", err)
	}
	if err := c.SetFlags(ctx, unread, 0, localcache.FlagSeen, false); err != nil {
		return took, fmt.Errorf("mark unread again: %w", err)
	}
	ops, err := c.PendingOps(ctx, cacheAccount)
	for _, op := range ops {
		if err == nil {
			err = c.CompletePending(ctx, op)
		}
	}
	return took, err
}
