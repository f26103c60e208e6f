// Package localcache is the one source of truth the UI reads: folders, message index, full-text search,
// pending operations, POP3 UIDL state, message bodies and the outbox, in two SQLite files.
//
// index.db holds everything that can be derived again (folders, the message index, FTS, sync state,
// pending operations). store.db holds what exists nowhere else or is expensive to get again (message
// bodies, the outbox). A damaged index.db is set aside and rebuilt; store.db is never deleted by the cache.
package localcache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (FTS5 built in, no cgo)
)

const (
	indexFile = "index.db"
	storeFile = "store.db"
)

// dbOptions tune one database. The page size only applies to a new file.
type dbOptions struct {
	pageSize int
	journal  string
	cacheKB  int
}

var (
	// The index is read while it is written (the list, search, the engines): WAL lets readers go on.
	indexOptions = dbOptions{pageSize: 4096, journal: "WAL", cacheKB: 512}
	// The store holds bodies of tens of kilobytes, mostly appended. Through a WAL every byte is
	// written twice (log, then checkpoint); with a rollback journal new pages go to the file once
	// and only the few pages changed in place are journaled, which made storing bodies 1.7 times
	// as fast. Readers wait out a commit (busy timeout). With 4 KB pages a body is a chain of
	// overflow pages, each its own system call.
	storeOptions = dbOptions{pageSize: 16384, journal: "TRUNCATE", cacheKB: 256}
)

// Cache is safe for concurrent use.
type Cache struct {
	dir   string
	index *sql.DB
	store *sql.DB

	rebuilt       bool
	rebuiltReason string

	// The full integrity check of the index runs in the background: it reads every page, which takes
	// seconds on a large mailbox and must not delay the window.
	checkCancel context.CancelFunc
	checkDone   chan struct{}

	subsMu sync.Mutex
	subs   map[*Subscription]struct{}

	bulkMu sync.Mutex
	bulk   int // BeginBulkIndex calls not ended yet
}

// Open opens (or creates) the cache in dir. A corrupt or unreadable index is renamed to
// index.db.damaged-<time> and a new one is created; Rebuilt then reports why, so the caller can
// re-index POP3 mail from stored bodies and refetch IMAP state.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache dir %s: %w", dir, err)
	}
	c := &Cache{dir: dir, subs: map[*Subscription]struct{}{}}

	// A damage found by the last run's background check is acted on now, before the index is used.
	marker := filepath.Join(dir, damagedMarker)
	markedDamaged := false
	if why, err := os.ReadFile(marker); err == nil {
		markedDamaged = true
		c.rebuiltReason = strings.TrimSpace(string(why))
	}

	store, err := openDB(filepath.Join(dir, storeFile), storeOptions, storeMigrations)
	if err != nil {
		return nil, fmt.Errorf("open message store: %w", err)
	}
	c.store = store

	index, err := openDB(filepath.Join(dir, indexFile), indexOptions, indexMigrations)
	if err == nil && markedDamaged {
		index.Close()
		err = errors.New(c.rebuiltReason)
	}
	if err != nil {
		reason := err.Error()
		if aside, aerr := setAside(filepath.Join(dir, indexFile)); aerr != nil {
			store.Close()
			return nil, fmt.Errorf("index damaged (%v) and could not be set aside: %w", err, aerr)
		} else if aside != "" {
			reason += "; damaged file kept as " + filepath.Base(aside)
		}
		index, err = openDB(filepath.Join(dir, indexFile), indexOptions, indexMigrations)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("create new index: %w", err)
		}
		c.rebuilt, c.rebuiltReason = true, reason
	}
	if markedDamaged {
		if err := os.Remove(marker); err != nil {
			index.Close()
			store.Close()
			return nil, fmt.Errorf("clear damage marker: %w", err)
		}
	}
	c.index = index
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.repairBulkMode(ctx); err != nil {
		c.Close()
		return nil, err
	}
	// Once after migration 4: a few seconds per 100,000 messages (BenchmarkRethread100k).
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer rcancel()
	if err := c.rethread(rctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// damagedMarker records, for the next start, that the background check found the index damaged.
const damagedMarker = "index.damaged"

// Integrity checks of the whole index read every page of it (1.5 GB at a million messages), so a
// long-running process starts one IntegrityCheckDelay after it opened the cache, when the window
// has drawn and the first sync has run, and only when the last one that passed is older than
// IntegrityCheckInterval.
const (
	IntegrityCheckDelay    = 2 * time.Minute
	IntegrityCheckInterval = 24 * time.Hour
)

const integrityCheckedKey = "integrity-checked-at"

// StartIntegrityCheck runs PRAGMA quick_check on the index in the background after delay, unless one
// passed less than IntegrityCheckInterval ago; long-running processes (the window, sync without
// --once) call it once after Open. Damage is written to a marker file, so the next Open sets the
// index aside and rebuilds it (a damaged index in use now can still be read, and nothing in it
// exists only there).
func (c *Cache) StartIntegrityCheck(delay time.Duration) {
	if c.checkDone != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.checkCancel, c.checkDone = cancel, make(chan struct{})
	go func() {
		defer close(c.checkDone)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		var last int64
		_ = c.index.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?`, integrityCheckedKey).Scan(&last)
		if time.Since(time.Unix(last, 0)) < IntegrityCheckInterval {
			return
		}
		var res string
		err := c.index.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res)
		if ctx.Err() != nil {
			return
		}
		if err == nil && res == "ok" {
			_, _ = c.index.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
ON CONFLICT(key) DO UPDATE SET value = excluded.value`, integrityCheckedKey, strconv.FormatInt(time.Now().Unix(), 10))
			return
		}
		why := res
		if err != nil {
			why = err.Error()
		}
		_ = os.WriteFile(filepath.Join(c.dir, damagedMarker), []byte("integrity check: "+why+"\n"), 0o600)
	}()
}

// WaitIntegrityCheck blocks until a started integrity check has finished (tests, benchmarks).
func (c *Cache) WaitIntegrityCheck() {
	if c.checkDone != nil {
		<-c.checkDone
	}
}

// Rebuilt reports whether Open had to replace a damaged index, and why.
func (c *Cache) Rebuilt() (bool, string) { return c.rebuilt, c.rebuiltReason }

// Dir is the folder the cache lives in.
func (c *Cache) Dir() string { return c.dir }

// Close closes both databases.
func (c *Cache) Close() error {
	if c.checkDone != nil {
		c.checkCancel()
		<-c.checkDone
	}
	return errors.Join(c.index.Close(), c.store.Close())
}

func dsn(path string, pageSize int, journal string, cacheKB int) string {
	q := url.Values{}
	// Every pooled connection has a page cache of its own: kept small, they add up to tens of MB.
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheKB))
	// The page size only takes effect when the file is created (before WAL mode is set).
	q.Add("_pragma", fmt.Sprintf("page_size(%d)", pageSize))
	q.Add("_pragma", "journal_mode("+journal+")")
	for _, p := range []string{
		"busy_timeout(10000)",
		// FULL: a committed transaction survives power loss, which the POP3 delete order relies on.
		"synchronous(FULL)",
		"foreign_keys(1)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func openDB(path string, o dbOptions, migrations []string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, o.pageSize, o.journal, o.cacheKB))
	if err != nil {
		return nil, fmt.Errorf("sqlite open %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Reading the schema fails at once on a file that is not a database or has a damaged header;
	// the full check of the index runs in the background (startIntegrityCheck).
	if err := checkReadable(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if err := migrate(ctx, db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return db, nil
}

func checkReadable(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	return nil
}

// migrate applies the migrations past PRAGMA user_version, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program (%d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

// setAside renames a damaged database and its WAL files; nothing is deleted.
func setAside(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	aside := fmt.Sprintf("%s.damaged-%s", path, time.Now().UTC().Format("20060102T150405.000000000"))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("set aside %s: %w", path+suffix, err)
		}
	}
	return aside, nil
}

// inTx runs fn in an immediate transaction on db.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
