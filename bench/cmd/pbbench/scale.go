package main

// The scale rows: a profile of a million messages over four accounts, generated straight into a
// localcache (no server), kept in BENCH_DIR/scale1m between runs, and the list, search, counts,
// mark-read and memory figures the app needs on it.

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"postbode/accounts"
	"postbode/localcache"
	"postbode/types"
)

// scaleVersion names the generator: a kept profile of another version is generated again.
const scaleVersion = "scale-v1"

const (
	scaleMarker   = "scale.json"
	scalePageSize = 50
	// scaleVisiblePages: the list's current page and one each side, as the UI keeps them.
	scaleVisiblePages = 3
	// scaleRowSample is how many list rows the per-row memory figure is measured over.
	scaleRowSample = 2000
	// scaleProbeEnv makes pbbench the probe process (scaleProbe) on the profile it names.
	scaleProbeEnv = "BENCH_SCALE_PROBE"
)

// scaleNotes is the hand-written analysis of the scale rows, appended to their section.
//
//go:embed scale_notes.md
var scaleNotes string

// scaleFolder is one folder of the profile; the first is the 400k folder.
type scaleFolder struct {
	Account, Name, Role string
	Messages            int
}

var scaleFolders = []scaleFolder{
	{"work", "INBOX", localcache.RoleInbox, 400_000},
	{"work", "Archive", localcache.RoleArchive, 150_000},
	{"work", "Sent", localcache.RoleSent, 60_000},
	{"work", "Lists/go-nuts", "", 40_000},
	{"home", "INBOX", localcache.RoleInbox, 150_000},
	{"home", "Archive", localcache.RoleArchive, 50_000},
	{"home", "Sent", localcache.RoleSent, 20_000},
	{"old", "INBOX", localcache.RoleInbox, 80_000},
	{"lists", "INBOX", localcache.RoleInbox, 30_000},
	{"lists", "Trash", localcache.RoleTrash, 20_000},
}

var scaleAccounts = []string{"work", "home", "old", "lists"}

// scaleMark describes a generated profile (BENCH_DIR/scale1m/scale.json).
type scaleMark struct {
	Version              string
	Messages             int
	RawBytes             int64 // the RFC 822 sizes of every message, what a server would hold
	RareWord, CommonWord string
	RareDocs, CommonDocs int // messages holding each word
	Took                 time.Duration
}

// scaleResults are the scale rows' measurements.
type scaleResults struct {
	Mark                                                     scaleMark
	OpenFirst, SenderFirst, SearchRare, SearchCommon, Unread series
	SelectAll, MarkRead                                      series
	// CPU time of the process during the two slowest rows: on a machine shared with other
	// builds the wall time also counts the waits for a core.
	MarkReadCPU, SearchCommonCPU       series
	HeapMB, RSSMB, PeakRSSMB, RowBytes series
	IndexBytes, StoreBytes             int64
	SelectedIDs                        int
	Objects                            []scaleObject // the largest tables and indexes of index.db
	RareFound, CommonFound             int
}

// scaleObject is one table or index of index.db and its size on disk (dbstat).
type scaleObject struct {
	Name  string
	Bytes int64
}

// scaleVocabulary is the word distribution of subjects and bodies: benchVocabulary's common words,
// then 60,000 made-up ones, drawn with a Zipf law, so that the tail holds words of a few dozen
// messages as real mail does (names, places, product codes).
func scaleVocabulary() []string {
	words := benchVocabulary()
	seen := map[string]bool{}
	for _, w := range words {
		seen[w] = true
	}
	r := rand.New(rand.NewPCG(21, 23))
	syll := strings.Fields("ka ro mi ten vel dor sa lin bre qua mo zu fen tis gra po le ni cha ver wu xo ja ek")
	for len(words) < 60_000 {
		var b strings.Builder
		for k := 3 + r.IntN(3); k > 0; k-- {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// scaleGen makes the profile's messages, the same on every machine.
type scaleGen struct {
	r       *rand.Rand
	zipf    *rand.Zipf
	senders *rand.Zipf
	vocab   []string
	docs    []int32 // messages holding each word
	mark    []int32 // the message that last counted each word
	n       int32
	people  [][2]string // name, address
}

func newScaleGen() *scaleGen {
	g := &scaleGen{r: rand.New(rand.NewPCG(31, 37)), vocab: scaleVocabulary()}
	g.zipf = rand.NewZipf(rand.New(rand.NewPCG(41, 43)), 1.07, 3, uint64(len(g.vocab)-1))
	g.docs, g.mark = make([]int32, len(g.vocab)), make([]int32, len(g.vocab))
	first := strings.Fields("Anna Bram Chloé Daan Eva Finn Greta Hugo Ilse Jonas Kenji Lotte Mila Noah Yuki Sofia Lars " +
		"Priya Omar Fatima Wei Olga Pedro Marta Tomás Zoë Karel Ingrid Jeroen Saskia")
	last := strings.Fields("de_Vries Jansen Müller Schmidt Bakker Visser Tanaka Smit Meijer Peters Nowak Rossi " +
		"García Kowalski Lindqvist O'Brien Dubois Novak Haddad Chen")
	domains := strings.Fields("example.test mail.test corp.example lists.example shop.example bank.example uni.example")
	for i := 0; i < 5000; i++ {
		fn, ln := first[g.r.IntN(len(first))], strings.ReplaceAll(last[g.r.IntN(len(last))], "_", " ")
		addr := fmt.Sprintf("%s.%s%d@%s", strings.ToLower(fn), strings.ToLower(strings.ReplaceAll(ln, " ", "")), i,
			domains[g.r.IntN(len(domains))])
		name := fn + " " + ln
		if g.r.IntN(10) == 0 { // no display name: the list shows (and sorts by) the address
			name = ""
		}
		g.people = append(g.people, [2]string{name, addr})
	}
	// A few senders write most of the mail (newsletters, colleagues, notifications).
	g.senders = rand.NewZipf(rand.New(rand.NewPCG(47, 53)), 1.2, 4, uint64(len(g.people)-1))
	return g
}

// text draws n words and counts each word's messages.
func (g *scaleGen) text(n int, count bool) string {
	var b strings.Builder
	b.Grow(n * 8)
	for i := 0; i < n; i++ {
		k := g.zipf.Uint64()
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.vocab[k])
		if count && g.mark[k] != g.n {
			g.mark[k] = g.n
			g.docs[k]++
		}
	}
	return b.String()
}

// message is the next message of a folder: uid counts up, dates spread over ten years, newer
// messages more often unread.
func (g *scaleGen) message(f scaleFolder, folderID int64, uid int, start time.Time, step time.Duration) localcache.Message {
	g.n++
	from := g.people[g.senders.Uint64()]
	subject := g.text(3+g.r.IntN(7), true)
	if g.r.IntN(3) == 0 {
		subject = "Re: " + subject
	}
	body := g.text(30+g.r.IntN(170), true)
	size := int64(1500 + g.r.ExpFloat64()*6000)
	attach := g.r.IntN(20) == 0
	if attach {
		size += int64(50_000 + g.r.ExpFloat64()*400_000)
	}
	age := float64(uid) / float64(f.Messages)
	var flags localcache.Flags
	if g.r.Float64() > 0.02+0.2*age*age*age { // about 7 % unread, most of them recent
		flags |= localcache.FlagSeen
	}
	if g.r.IntN(40) == 0 {
		flags |= localcache.FlagFlagged
	}
	if g.r.IntN(8) == 0 {
		flags |= localcache.FlagAnswered
	}
	var cc string
	if g.r.IntN(4) == 0 {
		p := g.people[g.r.IntN(len(g.people))]
		cc = fmt.Sprintf("%s <%s>", p[0], p[1])
	}
	var uidl string
	var uidv uint32 = 1
	muid := uint32(uid)
	if f.Account == "old" { // the POP3 account: no UIDs, UIDLs instead
		uidl, uidv, muid = fmt.Sprintf("u%08d", uid), 0, 0
	}
	return localcache.Message{
		Account: f.Account, FolderID: folderID, UID: muid, UIDValidity: uidv, UIDL: uidl,
		MessageID: fmt.Sprintf("<%d.%d.%s@mail.test>", folderID, uid, f.Account),
		ThreadKey: fmt.Sprintf("%s-t%d", f.Account, g.r.IntN(max(1, f.Messages/3))),
		Subject:   subject, FromName: from[0], FromAddr: from[1],
		To: f.Account + " <" + f.Account + "@mail.test>", Cc: cc,
		Date: start.Add(time.Duration(uid)*step + time.Duration(g.r.IntN(3600))*time.Second),
		Size: size, Flags: flags, HasAttachment: attach,
		Snippet: body[:min(len(body), 120)], BodyText: body,
	}
}

// buildScale generates the profile into dir through the bulk-insert path of a sync: full-text bulk
// mode, batches of 1000 messages in one transaction each.
func buildScale(ctx context.Context, dir string, logf func(string, ...any)) (scaleMark, error) {
	mark := scaleMark{Version: scaleVersion}
	began := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		return mark, err
	}
	c, err := openCache(dir)
	if err != nil {
		return mark, err
	}
	defer c.Close()
	end, err := c.BeginBulkIndex(ctx)
	if err != nil {
		return mark, err
	}
	g := newScaleGen()
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 10 * 365 * 24 * time.Hour
	batch := make([]localcache.Message, 0, 1000)
	for _, f := range scaleFolders {
		folder, err := c.EnsureFolder(ctx, localcache.Folder{Account: f.Account, Name: f.Name, Role: f.Role})
		if err != nil {
			return mark, errors.Join(err, end(ctx))
		}
		step := span / time.Duration(f.Messages)
		for uid := 1; uid <= f.Messages; uid++ {
			m := g.message(f, folder.ID, uid, start, step)
			mark.RawBytes += m.Size
			batch = append(batch, m)
			if len(batch) == cap(batch) || uid == f.Messages {
				if _, err := c.AddMessages(ctx, batch); err != nil {
					return mark, errors.Join(fmt.Errorf("fill scale profile: %w", err), end(ctx))
				}
				batch = batch[:0]
			}
			if mark.Messages++; mark.Messages%100_000 == 0 {
				logf("scale profile: %d messages (%v)", mark.Messages, time.Since(began).Round(time.Second))
			}
		}
	}
	if err := end(ctx); err != nil {
		return mark, err
	}
	// The rare word is the tail word nearest to one message in 20,000 (50 of a million); the common
	// one the word of the common list (past the stop words) nearest to a third of all messages.
	nearest := func(from, to int, want float64) int {
		best := from
		for k := from; k < to; k++ {
			if math.Abs(float64(g.docs[k])-want) < math.Abs(float64(g.docs[best])-want) {
				best = k
			}
		}
		return best
	}
	n := float64(mark.Messages)
	rare := nearest(len(benchVocabulary()), len(g.vocab), max(5, n/20_000))
	common := nearest(10, 60, n/3)
	mark.RareWord, mark.RareDocs = g.vocab[rare], int(g.docs[rare])
	mark.CommonWord, mark.CommonDocs = g.vocab[common], int(g.docs[common])
	mark.Took = time.Since(began)
	data, err := json.Marshal(mark)
	if err != nil {
		return mark, err
	}
	return mark, os.WriteFile(filepath.Join(dir, scaleMarker), data, 0o644)
}

// loadScale returns the kept profile, generating it when missing or of another generator.
func loadScale(ctx context.Context, dir string, logf func(string, ...any)) (scaleMark, error) {
	var mark scaleMark
	if data, err := os.ReadFile(filepath.Join(dir, scaleMarker)); err == nil && json.Unmarshal(data, &mark) == nil &&
		mark.Version == scaleVersion {
		return mark, nil
	}
	// BENCH_DIR also holds the Dovecot of the other groups, which needs it world-searchable; the
	// cache would create it private.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return mark, err
	}
	logf("generating the %s profile of 1,000,000 messages in %s (kept for later runs; several minutes)", scaleVersion, dir)
	mark, err := buildScale(ctx, dir, logf)
	if err != nil {
		return mark, err
	}
	logf("generated in %v", mark.Took.Round(time.Second))
	return mark, nil
}

// scaleInboxes is the unified inbox: every account's INBOX.
func scaleInboxes(ctx context.Context, c *localcache.Cache) ([]int64, error) {
	var ids []int64
	for _, acc := range scaleAccounts {
		f, err := c.FolderByRole(ctx, acc, localcache.RoleInbox)
		if err != nil {
			return nil, fmt.Errorf("%s inbox: %w", acc, err)
		}
		ids = append(ids, f.ID)
	}
	return ids, nil
}

// scaleProbeResult is what the probe process reports.
type scaleProbeResult struct {
	OpenFirst     float64 // seconds from Open to the unified inbox's first rows
	HeapMB, RSSMB float64 // after the visible pages are loaded, after a GC
	PeakRSSMB     float64
	RowBytes      float64 // Go heap per list row held
	Error         string  `json:",omitempty"`
}

// scaleProbe is a process of its own (pbbench with BENCH_SCALE_PROBE=dir), so that its memory is
// that of a window holding the cache: it opens the profile, shows the unified inbox as the app does
// at start (folder tree with counts, the pages around the top of the list), and reports the time to
// the first rows and its memory.
func scaleProbe(dir string) int {
	res, err := scaleProbeRun(context.Background(), dir)
	if err != nil {
		res.Error = err.Error()
	}
	data, _ := json.Marshal(res)
	fmt.Println(string(data))
	if err != nil {
		return 1
	}
	return 0
}

func scaleProbeRun(ctx context.Context, dir string) (scaleProbeResult, error) {
	var res scaleProbeResult
	start := time.Now()
	c, err := openCache(dir)
	if err != nil {
		return res, err
	}
	defer c.Close()
	inboxes, err := scaleInboxes(ctx, c)
	if err != nil {
		return res, err
	}
	first, err := c.Page(ctx, inboxes, nil, scalePageSize)
	if err != nil {
		return res, err
	}
	res.OpenFirst = secs(time.Since(start))
	if len(first) != scalePageSize {
		return res, fmt.Errorf("unified inbox: first page has %d rows", len(first))
	}
	// What the window holds next: the folder tree with its counts, the pages around the top. (The
	// window's background integrity check is left out: it reads all of index.db, 40 s here.)
	folders, err := c.Folders(ctx, "")
	if err != nil {
		return res, err
	}
	pages := [][]localcache.Message{first}
	for len(pages) < scaleVisiblePages {
		last := pages[len(pages)-1]
		p, err := c.Page(ctx, inboxes, localcache.CursorOf(last[len(last)-1]), scalePageSize)
		if err != nil {
			return res, err
		}
		pages = append(pages, p)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapMB = float64(ms.HeapAlloc) / 1e6
	res.RSSMB, res.PeakRSSMB = procStatusMB("VmRSS"), procStatusMB("VmHWM")

	// Heap per list row: rows held minus rows not held, over a sample of pages.
	var held [][]localcache.Message
	before := ms.HeapAlloc
	cur := localcache.CursorOf(first[len(first)-1])
	for n := 0; n < scaleRowSample; n += scalePageSize {
		p, err := c.Page(ctx, inboxes, cur, scalePageSize)
		if err != nil {
			return res, err
		}
		held = append(held, p)
		cur = localcache.CursorOf(p[len(p)-1])
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	res.RowBytes = float64(int64(ms.HeapAlloc)-int64(before)) / float64(scaleRowSample)
	runtime.KeepAlive(held)
	runtime.KeepAlive(pages)
	runtime.KeepAlive(folders)
	return res, nil
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusMB reads a kB field of /proc/self/status in MB (NaN when unknown).
func procStatusMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return math.NaN()
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err == nil {
				return kb / 1e3
			}
		}
	}
	return math.NaN()
}

// runProbe runs the probe process on dir.
func runProbe(ctx context.Context, dir string) (scaleProbeResult, error) {
	var res scaleProbeResult
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), scaleProbeEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		return res, errors.Join(fmt.Errorf("probe: %q", out), err, jerr)
	}
	if res.Error != "" {
		return res, fmt.Errorf("probe: %s", res.Error)
	}
	return res, err
}

// scaleBench measures the scale rows on the profile in dir, runs times each.
func scaleBench(ctx context.Context, dir string, runs int, logf func(string, ...any)) (scaleResults, error) {
	var res scaleResults
	mark, err := loadScale(ctx, dir, logf)
	res.Mark = mark
	if err != nil {
		return res, err
	}
	for i := 0; i < runs; i++ {
		p, err := runProbe(ctx, dir)
		if err != nil {
			return res, err
		}
		res.OpenFirst = append(res.OpenFirst, p.OpenFirst)
		res.HeapMB = append(res.HeapMB, p.HeapMB)
		res.RSSMB = append(res.RSSMB, p.RSSMB)
		res.PeakRSSMB = append(res.PeakRSSMB, p.PeakRSSMB)
		res.RowBytes = append(res.RowBytes, p.RowBytes)
	}
	c, err := openCache(dir)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if rebuilt, why := c.Rebuilt(); rebuilt {
		return res, fmt.Errorf("the scale profile was rebuilt on open (%s); delete %s", why, dir)
	}
	big, err := c.FolderByRole(ctx, scaleFolders[0].Account, scaleFolders[0].Role)
	if err != nil {
		return res, err
	}
	if big.Total != scaleFolders[0].Messages {
		return res, fmt.Errorf("the 400k folder holds %d messages", big.Total)
	}
	for i := 0; i < runs; i++ {
		start := time.Now()
		page, err := c.PageSorted(ctx, []int64{big.ID}, localcache.DefaultSort(localcache.SortSender), nil, scalePageSize)
		res.SenderFirst = append(res.SenderFirst, secs(time.Since(start)))
		if err != nil || len(page) != scalePageSize {
			return res, fmt.Errorf("sender page: %d rows, %v", len(page), err)
		}
		for _, q := range []struct {
			word  string
			out   *series
			found *int
		}{{mark.RareWord, &res.SearchRare, &res.RareFound}, {mark.CommonWord, &res.SearchCommon, &res.CommonFound}} {
			start, cpu := time.Now(), cpuTime()
			sr, err := c.Search(ctx, localcache.SearchQuery{Text: q.word, Limit: scalePageSize})
			*q.out = append(*q.out, secs(time.Since(start)))
			if q.word == mark.CommonWord {
				res.SearchCommonCPU = append(res.SearchCommonCPU, secs(cpuTime()-cpu))
			}
			if err != nil {
				return res, err
			}
			if *q.found = len(sr.Messages); *q.found == 0 {
				return res, fmt.Errorf("search %q found nothing", q.word)
			}
		}
		start = time.Now()
		folders, err := c.Folders(ctx, "")
		res.Unread = append(res.Unread, secs(time.Since(start)))
		if err != nil {
			return res, err
		}
		if len(folders) != len(scaleFolders) {
			return res, fmt.Errorf("%d folders", len(folders))
		}
		sel, mr, mrCPU, n, err := scaleMarkRead(ctx, c, big)
		res.SelectAll, res.MarkRead, res.SelectedIDs = append(res.SelectAll, sel), append(res.MarkRead, mr), n
		res.MarkReadCPU = append(res.MarkReadCPU, mrCPU)
		if err != nil {
			return res, err
		}
	}
	res.IndexBytes = fileSize(filepath.Join(dir, "index.db")) + fileSize(filepath.Join(dir, "index.db-wal"))
	res.StoreBytes = fileSize(filepath.Join(dir, "store.db"))
	if res.Objects, err = indexObjects(ctx, filepath.Join(dir, "index.db")); err != nil {
		logf("scale: sizes of the index's tables: %v", err)
	}
	return res, nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// scaleMarkRead is Ctrl+A then "Mark read" on the 400k folder as the window does it: the ids of the
// whole list (PageIDsSorted, as selectRange), then, the selection being the whole folder, the
// Manager's DoUndoable of MarkRead for the folder (one UPDATE of its unread rows, the queued
// operation with the folder's UID range and those rows). Undo then withdraws the operation, which
// puts back every flag, so each run starts from the same profile.
func scaleMarkRead(ctx context.Context, c *localcache.Cache, folder localcache.Folder) (selectAll, markRead, markReadCPU float64, n int, err error) {
	var accs []types.Account
	for _, a := range scaleAccounts {
		accs = append(accs, types.Account{Name: a, Kind: types.IMAP, Email: a + "@mail.test"})
	}
	m := accounts.NewManager(&accounts.Config{Accounts: accs}, c, nil,
		map[types.Protocol]types.Backend{types.IMAP: {KeepsMailOnServer: true}})
	start := time.Now()
	ids, err := c.PageIDsSorted(ctx, []int64{folder.ID}, localcache.Sort{}, nil, math.MaxInt32)
	selectAll = secs(time.Since(start))
	if err != nil {
		return selectAll, 0, 0, 0, err
	}
	start, cpu := time.Now(), cpuTime()
	undo, err := m.DoUndoable(ctx, types.MarkRead{Folders: []int64{folder.ID}, Read: true})
	markRead, markReadCPU = secs(time.Since(start)), secs(cpuTime()-cpu)
	if err != nil {
		return selectAll, markRead, markReadCPU, len(ids), fmt.Errorf("mark read: %w", err)
	}
	if err := undo.Run(ctx); err != nil {
		return selectAll, markRead, markReadCPU, len(ids), fmt.Errorf("undo mark read: %w", err)
	}
	if ops, err := c.PendingOps(ctx, folder.Account); err != nil || len(ops) > 0 {
		return selectAll, markRead, markReadCPU, len(ids), fmt.Errorf("after undo: %d operations queued, %v", len(ops), err)
	}
	return selectAll, markRead, markReadCPU, len(ids), nil
}

// indexObjects lists the largest tables and indexes of an index.db file with dbstat, the full-text
// index's shadow tables counted as one.
func indexObjects(ctx context.Context, path string) ([]scaleObject, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT CASE WHEN name LIKE 'messages_fts%' THEN 'messages_fts (full-text)' ELSE name END AS n,
sum(pgsize) FROM dbstat GROUP BY n ORDER BY 2 DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scaleObject
	for rows.Next() {
		var o scaleObject
		if err := rows.Scan(&o.Name, &o.Bytes); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// scaleRows are the scale table's rows.
func (s scaleResults) rows(failed string) []row {
	m := s.Mark
	perMsg := func(v int64) series {
		if m.Messages == 0 {
			return nil
		}
		return series{float64(v) / float64(m.Messages)}
	}
	rawMB := float64(m.RawBytes) / 1e6
	disk := float64(s.IndexBytes+s.StoreBytes) / 1e6
	return []row{
		{Scenario: "open the cache + first 50 rows of the unified inbox (4 inboxes, 660,000 messages; new process)", PB: s.OpenFirst,
			Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: "400k folder sorted by sender, first page", PB: s.SenderFirst, Goal: atMost(0.05, "< 50 ms"), Failed: failed},
		{Scenario: fmt.Sprintf("full-text search, rare word %q (%s messages)", m.RareWord, thousands(m.RareDocs)), PB: s.SearchRare,
			Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: fmt.Sprintf("full-text search, common word %q (%s messages)", m.CommonWord, thousands(m.CommonDocs)), PB: s.SearchCommon,
			PBExtra: cpuExtra(s.SearchCommonCPU), Goal: atMost(0.1, "< 100 ms"), Failed: failed},
		{Scenario: "unread counts (folder tree: 10 folders, 4 accounts)", PB: s.Unread, Goal: atMost(0.005, "< 5 ms"), Failed: failed},
		{Scenario: "select all in the 400k folder (ids of the whole list)", PB: s.SelectAll, Failed: failed},
		{Scenario: "then mark read: Manager.DoUndoable(MarkRead) of the whole 400k folder (IMAP: queued)", PB: s.MarkRead,
			PBExtra: cpuExtra(s.MarkReadCPU), Goal: atMost(3, "< 3 s"), Failed: failed},
		{Scenario: "Go heap of a process holding the cache and the visible pages", Unit: unitMB, PB: s.HeapMB,
			Goal: atMost(400, "< 400 MB"), Failed: failed},
		{Scenario: "RSS of that process (peak)", Unit: unitMB, PB: s.RSSMB, PBExtra: "peak " + unitMB.format(s.PeakRSSMB.median()),
			Goal: atMost(400, "< 400 MB"), Failed: failed},
		{Scenario: fmt.Sprintf("profile on disk (index.db + store.db) vs raw mail (%.1f GB)", rawMB/1e3), Unit: unitMB,
			PB: series{disk}, PBExtra: fmt.Sprintf("%.1f %% of the raw mail", 100*disk/rawMB), Failed: failed},
		{Scenario: "index bytes per message (index.db / messages)", Unit: unitBytes, PB: perMsg(s.IndexBytes), Failed: failed},
		{Scenario: "Go heap per list row held (a visible page)", Unit: unitBytes, PB: s.RowBytes, Failed: failed},
	}
}

// cpuExtra is the CPU time beside a wall time ("" when not measured).
func cpuExtra(cpu series) string {
	if len(cpu) == 0 {
		return ""
	}
	return "CPU " + unitSeconds.format(cpu.median())
}

// scaleTable is the scale section's table: row, measured, goal, ratio (measured / goal).
func scaleTable(rows []row) string {
	cells := [][]string{{"row", "measured (median)", "goal", "measured/goal"}}
	for _, r := range rows {
		c := r.cells()
		ratio := "—"
		if lim, ok := scaleGoalLimits[r.Goal.text]; ok && len(r.PB) > 0 && r.Failed == "" {
			ratio = fmt.Sprintf("%.2f", r.PB.median()/lim)
		}
		cells = append(cells, []string{c[0], c[1], c[6], ratio})
	}
	return padTable(cells)
}

// scaleGoalLimits are the goals' limits in the rows' units, for the ratio column.
var scaleGoalLimits = map[string]float64{"< 100 ms": 0.1, "< 50 ms": 0.05, "< 5 ms": 0.005, "< 3 s": 3, "< 400 MB": 400}

// scaleSection is the report's Scale section.
func (b *bench) scaleSection() string {
	s := b.Scale
	if len(s.OpenFirst) == 0 && b.Errs["scale"] == "" {
		return b.Window.section(b.failedRow("window"))
	}
	var w strings.Builder
	m := s.Mark
	w.WriteString("\n## Scale: a million messages\n\n")
	fmt.Fprintf(&w, "A profile of %s messages over 4 accounts and 10 folders (one of 400,000; the unified inbox holds 660,000), "+
		"generated by bench/cmd/pbbench/scale.go (%s, seeded: the same everywhere) straight into a `localcache` through the "+
		"bulk path of a sync (`BeginBulkIndex`, `AddMessages` in batches of 1000) in %v, and kept in BENCH_DIR/scale1m. "+
		"Senders follow a Zipf law over 5,000 people (a tenth without a display name), subjects and bodies (30–200 words, "+
		"indexed for full-text search, not stored) are drawn from a Zipf law over 60,000 words, dates spread over ten years, "+
		"sizes 1.5 KB and up (5 %% with attachments of 50 KB and more), about 7 %% unread. Bodies are not in store.db: the "+
		"profile is one whose bodies are outside the body window. Each figure is the median of %d runs. The first row and "+
		"the memory rows come from a separate process (pbbench itself, as a probe) that opens the cache, shows the unified "+
		"inbox and the folder tree and holds %d pages of 50 rows; SQLite's memory (modernc.org/libc's allocator) is outside "+
		"the Go heap, so RSS is the figure that counts. Mark read is the window's path: the ids of the whole list "+
		"(`PageIDsSorted`, for the selection), then, the selection being the whole folder, `Manager.DoUndoable(MarkRead)` "+
		"of the folder (one UPDATE of its unread rows; the operation holds the folder's UID range and only those rows); "+
		"its undo (not timed) withdraws the queued operation, so "+
		"every run starts from the same profile. `BENCH_SCALE=0` skips these rows; `BENCH_ONLY=scale` runs only them.\n\n",
		thousands(m.Messages), m.Version, m.Took.Round(time.Second), len(s.SenderFirst), scaleVisiblePages)
	w.WriteString(scaleTable(s.rows(b.failedRow("scale"))))
	if len(s.Objects) > 0 {
		w.WriteString("\nindex.db by table and index (dbstat):\n\n")
		for _, o := range s.Objects[:min(len(s.Objects), 14)] {
			fmt.Fprintf(&w, "- %s: %.0f MB (%.0f bytes per message)\n", o.Name, float64(o.Bytes)/1e6,
				float64(o.Bytes)/float64(max(1, m.Messages)))
		}
	}
	writeRuns(&w, []namedRuns{
		{"open + first rows", unitSeconds, s.OpenFirst}, {"sender page", unitSeconds, s.SenderFirst},
		{"rare word", unitSeconds, s.SearchRare}, {"common word", unitSeconds, s.SearchCommon},
		{"unread counts", unitSeconds, s.Unread}, {"select all", unitSeconds, s.SelectAll},
		{"mark read", unitSeconds, s.MarkRead}, {"mark read, CPU", unitSeconds, s.MarkReadCPU},
		{"common word, CPU", unitSeconds, s.SearchCommonCPU}, {"Go heap", unitMB, s.HeapMB}, {"RSS", unitMB, s.RSSMB},
		{"peak RSS", unitMB, s.PeakRSSMB}, {"heap per row", unitBytes, s.RowBytes},
	})
	w.WriteString(b.Window.section(b.failedRow("window")))
	if n := strings.TrimSpace(scaleNotes); n != "" {
		w.WriteString("\n" + n + "\n")
	}
	return w.String()
}

// scaleRuns is the "scale" group of make bench.
func (b *bench) scaleRuns(ctx context.Context) error {
	res, err := scaleBench(ctx, filepath.Join(b.cfg.dir, "scale1m"), max(b.cfg.runs, 5), b.logf)
	b.Scale = res
	if err != nil {
		return err
	}
	b.logf("scale: open+first %s, sender %s, rare %s, common %s, counts %s, mark read %s, heap %s",
		unitSeconds.format(res.OpenFirst.median()), unitSeconds.format(res.SenderFirst.median()),
		unitSeconds.format(res.SearchRare.median()), unitSeconds.format(res.SearchCommon.median()),
		unitSeconds.format(res.Unread.median()), unitSeconds.format(res.MarkRead.median()), unitMB.format(res.HeapMB.median()))
	return nil
}

// scaleOnly reports whether the selected groups need no mail server (BENCH_ONLY=scale,window).
func scaleOnly(only map[string]bool) bool {
	if len(only) == 0 {
		return false
	}
	for g := range only {
		if !slices.Contains([]string{"scale", "window", "cache"}, g) {
			return false
		}
	}
	return true
}

// namedRuns is one row's runs, as "Every run" under a table lists them.
type namedRuns struct {
	name string
	u    unit
	s    series
}

// writeRuns lists every run of the rows that have runs, under "Every run".
func writeRuns(w *strings.Builder, rows []namedRuns) {
	w.WriteString("\nEvery run:\n\n")
	for _, r := range rows {
		if len(r.s) > 0 {
			fmt.Fprintf(w, "- %s: %s\n", r.name, r.u.formatAll(r.s))
		}
	}
}
