package mailmove

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/internal/testkit/testbed"
	"postbode/localcache"
	"postbode/mailfile"
	"postbode/types"
)

type noSecrets struct{}

func (noSecrets) Get(string) (string, error) { return "", nil }

// setup is a cache with a POP3 account "pop" (with the POP3 engine's local folders) and an IMAP
// account "imap".
func setup(t testing.TB) (*localcache.Cache, *accounts.Manager) {
	t.Helper()
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	cfg := &accounts.Config{}
	for _, a := range []struct {
		name string
		kind types.Protocol
	}{{"pop", types.POP3}, {"imap", types.IMAP}} {
		srv := types.Server{Host: "mail.example.org", Port: 993, Security: types.SecurityTLS, User: a.name}
		if err := cfg.Add(types.Account{Name: a.name, Kind: a.kind, Email: a.name + "@example.org", Incoming: srv, Outgoing: srv}); err != nil {
			t.Fatal(err)
		}
	}
	m := accounts.NewManager(cfg, cache, noSecrets{}, map[types.Protocol]types.Backend{
		types.POP3: {}, types.IMAP: {KeepsMailOnServer: true},
	})
	ctx := context.Background()
	for _, f := range []localcache.Folder{{Name: "Inbox", Role: localcache.RoleInbox}, {Name: "Sent", Role: localcache.RoleSent}} {
		f.Account = "pop"
		if _, err := cache.EnsureFolder(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	return cache, m
}

func writeMbox(t testing.TB, path string, msgs []*mailfile.Message) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := mailfile.NewMboxWriter(f)
	for _, m := range msgs {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func generate(n int) [][]byte {
	msgs := testbed.Generate(7, n, testbed.GenOptions{AttachmentRatio: -1, End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	for i := range msgs {
		if i%4 == 0 {
			msgs[i] = append(msgs[i], "\r\nFrom the desk of the editor, 10:00\r\n>From a quote\r\n"...)
		}
	}
	return msgs
}

func sumsOf(raws [][]byte) []string {
	out := make([]string, len(raws))
	for i, r := range raws {
		h := sha256.Sum256(r)
		out[i] = string(h[:])
	}
	slices.Sort(out)
	return out
}

// folderBodies returns the stored bytes of every message of the folder.
func folderBodies(t testing.TB, cache *localcache.Cache, account, folder string) ([][]byte, []localcache.Message) {
	t.Helper()
	ctx := context.Background()
	f, err := cache.FolderByName(ctx, account, folder)
	if err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	var msgs []localcache.Message
	var after *localcache.Cursor
	for {
		page, err := cache.Page(ctx, []int64{f.ID}, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			raw, err := cache.Body(ctx, m.BodyKey)
			if err != nil {
				t.Fatal(err)
			}
			raws = append(raws, raw)
			msgs = append(msgs, m)
		}
		if len(page) < 500 {
			return raws, msgs
		}
		after = localcache.CursorOf(page[len(page)-1])
	}
}

func readMaildir(t testing.TB, dir string) ([][]byte, []mailfile.Flags) {
	t.Helper()
	r, err := mailfile.OpenMaildir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var flags []mailfile.Flags
	for {
		m, err := r.Next()
		if err == io.EOF {
			return out, flags
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Raw)
		flags = append(flags, m.Flags)
	}
}

// Generated mail: mbox file → cache → mbox and Maildir, every message byte-identical. (The
// 10,000-message round trip of the formats alone is in mailfile; the import rate is measured by
// BenchmarkImport.)
func TestRoundTripThroughCache(t *testing.T) {
	cache, m := setup(t)
	ctx := context.Background()
	raws := generate(1000)
	in := make([]*mailfile.Message, len(raws))
	for i, r := range raws {
		in[i] = &mailfile.Message{Raw: r, Sender: "bob@mail.test", Date: time.Unix(1.7e9, 0)}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "archive.mbox")
	writeMbox(t, src, in)

	var last Progress
	start := time.Now()
	sum, err := Import(ctx, cache, m, ImportOptions{Account: "pop", Source: src, Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if sum.Messages != len(raws) || sum.Folders != 1 || last.Done != len(raws) || last.Total != len(raws) {
		t.Fatalf("summary %+v, last progress %+v", sum, last)
	}
	t.Logf("import: %d messages, %.1f MB in %v: %.0f messages/s", sum.Messages, float64(sum.Bytes)/1e6, took,
		float64(sum.Messages)/took.Seconds())
	stored, _ := folderBodies(t, cache, "pop", "archive")
	want := sumsOf(raws)
	if !slices.Equal(sumsOf(stored), want) {
		t.Fatal("the cache does not hold the imported bytes")
	}

	out := filepath.Join(dir, "out.mbox")
	start = time.Now()
	sum, err = Export(ctx, cache, ExportOptions{Account: "pop", Folder: "archive", Format: mailfile.FormatMbox, Out: out})
	if err != nil || sum.Messages != len(raws) {
		t.Fatalf("export mbox: %+v %v", sum, err)
	}
	t.Logf("export mbox: %v", time.Since(start))
	if !slices.Equal(sumsOf(testkit.ReadMbox(t, out)), want) {
		t.Fatal("mbox export differs")
	}

	md := filepath.Join(dir, "out.maildir")
	start = time.Now()
	if sum, err = Export(ctx, cache, ExportOptions{Account: "pop", Folder: "archive", Format: mailfile.FormatMaildir, Out: md}); err != nil {
		t.Fatal(err)
	}
	t.Logf("export maildir: %v", time.Since(start))
	got, _ := readMaildir(t, md)
	if !slices.Equal(sumsOf(got), want) {
		t.Fatal("maildir export differs")
	}

	// The export imported again into the same folder adds nothing.
	sum, err = Import(ctx, cache, m, ImportOptions{Account: "pop", Folder: "archive", Source: md})
	if err != nil || sum.Messages != 0 || sum.Duplicates != len(raws) {
		t.Fatalf("re-import: %+v %v", sum, err)
	}
}

// BenchmarkImport imports 10,000 generated messages from an mbox file into an empty folder.
func BenchmarkImport(b *testing.B) {
	raws := generate(10_000)
	in := make([]*mailfile.Message, len(raws))
	var size int64
	for i, r := range raws {
		in[i] = &mailfile.Message{Raw: r}
		size += int64(len(r))
	}
	src := filepath.Join(b.TempDir(), "bench.mbox")
	writeMbox(b, src, in)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		cache, m := setup(b)
		b.StartTimer()
		start := time.Now()
		sum, err := Import(context.Background(), cache, m, ImportOptions{Account: "pop", Source: src})
		if err != nil || sum.Messages != len(raws) {
			b.Fatalf("%+v %v", sum, err)
		}
		b.ReportMetric(float64(sum.Messages)/time.Since(start).Seconds(), "msgs/s")
	}
}

func TestImportThunderbirdLocalFolders(t *testing.T) {
	cache, m := setup(t)
	ctx := context.Background()
	home := t.TempDir()
	tb := filepath.Join(home, ".thunderbird")
	local := filepath.Join(tb, "x1y2.default-release", "Mail", "Local Folders")
	files := map[string]string{
		"profiles.ini": "[Install123]\nDefault=x1y2.default-release\n\n[Profile0]\nName=default-release\nIsRelative=1\nPath=x1y2.default-release\n",
		"x1y2.default-release/Mail/Local Folders/Inbox": "From - Mon Jan  1 10:00:00 2024\r\nX-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\nX-Mozilla-Keys: $label1                                                                         \r\nMessage-ID: <a@x>\r\nSubject: read\r\n\r\nhello\r\n>From the top\r\n\r\n" +
			"From - Mon Jan  1 11:00:00 2024\r\nX-Mozilla-Status: 0009\r\nMessage-ID: <b@x>\r\nSubject: deleted\r\n\r\ngone\r\n\r\n" +
			"From - Mon Jan  1 12:00:00 2024\r\nX-Mozilla-Status: 1006\r\nMessage-ID: <c@x>\r\nSubject: flagged and replied\r\n\r\nlast",
		"x1y2.default-release/Mail/Local Folders/Inbox.msf":                    "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n",
		"x1y2.default-release/Mail/Local Folders/Trash":                        "",
		"x1y2.default-release/Mail/Local Folders/Archives":                     "",
		"x1y2.default-release/Mail/Local Folders/Archives.msf":                 "",
		"x1y2.default-release/Mail/Local Folders/Archives.sbd/2024":            "From - Tue Feb  6 09:00:00 2024\nSubject: archived\n\nno date header\n",
		"x1y2.default-release/Mail/Local Folders/Archives.sbd/2024.msf":        "",
		"x1y2.default-release/Mail/Local Folders/msgFilterRules.dat":           "version=\"9\"\n",
		"x1y2.default-release/Mail/Local Folders/filterlog.html":               "<html></html>",
		"x1y2.default-release/Mail/Local Folders/Archives.sbd/folderTree.json": "{}",
	}
	for name, data := range files {
		p := filepath.Join(tb, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_ = local
	opt := ImportOptions{Account: "pop", Thunderbird: true, Home: home, GOOS: "linux", Getenv: func(string) string { return "" }}
	sum, err := Import(ctx, cache, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Messages != 3 || sum.Deleted != 1 || sum.Folders != 4 {
		t.Fatalf("summary %+v", sum)
	}
	raws, msgs := folderBodies(t, cache, "pop", "Inbox")
	if len(msgs) != 2 {
		t.Fatalf("%d messages in Inbox", len(msgs))
	}
	bySubject := map[string]int{}
	for i, msg := range msgs {
		bySubject[msg.Subject] = i
	}
	read := msgs[bySubject["read"]]
	if read.Flags != localcache.FlagSeen || read.Keywords != "$label1" {
		t.Errorf("read message: flags %b keywords %q", read.Flags, read.Keywords)
	}
	if raw := string(raws[bySubject["read"]]); !strings.HasSuffix(raw, "hello\r\nFrom the top\r\n") {
		t.Errorf("mboxo unescaping: %q", raw)
	}
	fr := msgs[bySubject["flagged and replied"]]
	if fr.Flags != localcache.FlagFlagged|localcache.FlagAnswered || fr.Keywords != forwardedKeyword {
		t.Errorf("flagged message: flags %b keywords %q", fr.Flags, fr.Keywords)
	}
	if raw := string(raws[bySubject["flagged and replied"]]); !strings.HasSuffix(raw, "\r\n\r\nlast") {
		t.Errorf("final message without newline: %q", raw)
	}
	_, archived := folderBodies(t, cache, "pop", "Archives/2024")
	if len(archived) != 1 || !archived[0].Date.Equal(time.Date(2024, 2, 6, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("Archives/2024: %+v", archived)
	}
	for _, name := range []string{"Trash", "Archives"} {
		if _, err := cache.FolderByName(ctx, "pop", name); err != nil {
			t.Errorf("folder %s: %v", name, err)
		}
	}
	// Again: nothing new.
	if sum, err = Import(ctx, cache, m, opt); err != nil || sum.Messages != 0 || sum.Duplicates != 3 {
		t.Fatalf("second import: %+v %v", sum, err)
	}
}

// An import cancelled halfway and run again ends with every message exactly once.
func TestImportResume(t *testing.T) {
	cache, m := setup(t)
	raws := generate(1500)
	in := make([]*mailfile.Message, 0, len(raws)+1)
	for _, r := range raws {
		in = append(in, &mailfile.Message{Raw: r})
	}
	in = append(in, &mailfile.Message{Raw: raws[3]}) // the same message twice in the file
	src := filepath.Join(t.TempDir(), "big")
	writeMbox(t, src, in)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := ImportOptions{Account: "pop", Source: src, Folder: "Resumed", Progress: func(p Progress) {
		if p.Done >= 700 {
			cancel()
		}
	}}
	sum, err := Import(ctx, cache, m, opt)
	if !errors.Is(err, context.Canceled) || sum.Messages == 0 || sum.Messages >= len(raws) {
		t.Fatalf("first run: %+v %v", sum, err)
	}
	first := sum.Messages
	opt.Progress = nil
	sum, err = Import(context.Background(), cache, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	if first+sum.Messages != len(raws) || sum.Duplicates != first+1 {
		t.Fatalf("second run: %+v after %d", sum, first)
	}
	stored, _ := folderBodies(t, cache, "pop", "Resumed")
	if !slices.Equal(sumsOf(stored), sumsOf(raws)) {
		t.Fatalf("%d messages stored, want each of %d once", len(stored), len(raws))
	}
	f, _ := cache.FolderByName(context.Background(), "pop", "Resumed")
	if f.Total != len(raws) {
		t.Fatalf("folder count %d", f.Total)
	}
}

// A whole account exported as a tree keeps its folders and flags; bodies not downloaded are
// counted, or fetched when a fetch is given.
func TestExportAccountTree(t *testing.T) {
	cache, m := setup(t)
	ctx := context.Background()
	dir := t.TempDir()
	// A Maildir++ tree with flags: INBOX, and a subfolder with a UTF-7 name.
	root := filepath.Join(dir, "src")
	inbox, _ := mailfile.CreateMaildir(root)
	sub, _ := mailfile.CreateMaildir(filepath.Join(root, ".Lists.Entw&APw-rfe"))
	inbox.Write(&mailfile.Message{Raw: []byte("Message-ID: <1@x>\r\nSubject: one\r\n\r\nbody"), Flags: mailfile.Seen | mailfile.Forwarded})
	inbox.Write(&mailfile.Message{Raw: []byte("Subject: trashed\r\n\r\nx\r\n"), Flags: mailfile.Trashed | mailfile.Seen})
	sub.Write(&mailfile.Message{Raw: []byte("Subject: two\n\nFrom me\n"), Flags: mailfile.Flagged | mailfile.Answered | mailfile.Draft})
	sum, err := Import(ctx, cache, m, ImportOptions{Account: "pop", Source: root})
	if err != nil || sum.Messages != 2 || sum.Deleted != 1 {
		t.Fatalf("import: %+v %v", sum, err)
	}
	if _, err := cache.FolderByName(ctx, "pop", "Lists/Entwürfe"); err != nil {
		t.Fatal(err)
	}
	// A message known by its header only.
	f, _ := cache.FolderByName(ctx, "pop", "Sent")
	ids, err := cache.AddMessages(ctx, []localcache.Message{{Account: "pop", FolderID: f.ID, Subject: "header only", Date: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tree")
	sum, err = Export(ctx, cache, ExportOptions{Account: "pop", Format: mailfile.FormatMaildir, Out: out})
	if err != nil || sum.Messages != 2 || sum.NotDownloaded != 1 {
		t.Fatalf("export: %+v %v", sum, err)
	}
	raws, flags := readMaildir(t, filepath.Join(out, "Lists", "Entwürfe"))
	if len(raws) != 1 || string(raws[0]) != "Subject: two\n\nFrom me\n" || flags[0] != mailfile.Flagged|mailfile.Answered|mailfile.Draft {
		t.Fatalf("Lists/Entwürfe: %q %b", raws, flags)
	}
	raws, flags = readMaildir(t, filepath.Join(out, "Inbox"))
	if len(raws) != 1 || flags[0] != mailfile.Seen|mailfile.Forwarded {
		t.Fatalf("Inbox: %q %b", raws, flags)
	}
	for _, name := range []string{"Sent", "Lists"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s not exported: %v", name, err)
		}
	}
	// The same as mbox, with a fetch that finds the missing body.
	fetch := func(ctx context.Context, id int64) error {
		raw := []byte("Subject: header only\r\n\r\nfetched\r\n")
		keys, err := cache.PutBodies(ctx, []localcache.Body{{Account: "pop", Raw: raw}})
		if err != nil {
			return err
		}
		return cache.LinkBodies(ctx, []localcache.BodyLink{{MessageID: id, Key: keys[0]}})
	}
	out = filepath.Join(dir, "mbox")
	sum, err = Export(ctx, cache, ExportOptions{Account: "pop", Format: mailfile.FormatMbox, Out: out, Fetch: fetch})
	if err != nil || sum.Messages != 3 || sum.NotDownloaded != 0 {
		t.Fatalf("export: %+v %v", sum, err)
	}
	if got := testkit.ReadMbox(t, filepath.Join(out, "Lists.sbd", "Entwürfe")); len(got) != 1 {
		t.Fatalf("mbox tree: %q", got)
	}
	if got := testkit.ReadMbox(t, filepath.Join(out, "Sent")); len(got) != 1 || !bytes.Contains(got[0], []byte("fetched")) {
		t.Fatalf("Sent: %q", got)
	}
	// The mbox tree imported again under a parent folder: every folder comes back, names decoded.
	odd, err := cache.EnsureFolder(ctx, localcache.Folder{Account: "pop", Name: "Work: 2024/.hidden"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.FileCopy(ctx, mustAccount(t, m, "pop"), odd, []byte("Subject: odd\r\n\r\nodd\r\n"), "", 0); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "mbox2")
	if _, err := Export(ctx, cache, ExportOptions{Account: "pop", Format: mailfile.FormatMbox, Out: out}); err != nil {
		t.Fatal(err)
	}
	sum, err = Import(ctx, cache, m, ImportOptions{Account: "pop", Source: out, Folder: "Restored"})
	if err != nil || sum.Messages != 4 {
		t.Fatalf("import of the mbox tree: %+v %v", sum, err)
	}
	for _, name := range []string{"Restored/Inbox", "Restored/Lists/Entwürfe", "Restored/Sent", "Restored/Work: 2024/.hidden"} {
		if raws, _ := folderBodies(t, cache, "pop", name); len(raws) != 1 {
			t.Errorf("%s: %d messages", name, len(raws))
		}
	}

	// One message as .eml.
	eml := filepath.Join(dir, "one.eml")
	if _, err := Export(ctx, cache, ExportOptions{IDs: ids, Format: mailfile.FormatEML, Out: eml}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(eml); string(data) != "Subject: header only\r\n\r\nfetched\r\n" {
		t.Fatalf(".eml: %q", data)
	}
	if _, err := Export(ctx, cache, ExportOptions{IDs: ids, Format: mailfile.FormatEML, Out: eml}); err == nil {
		t.Fatal("an export overwrote a file")
	}
}

func mustAccount(t *testing.T, m *accounts.Manager, name string) types.Account {
	t.Helper()
	acc, ok := m.Account(name)
	if !ok {
		t.Fatalf("no account %s", name)
	}
	return acc
}

// A message over the size limit is counted and skipped; the rest of the file is imported.
func TestImportTooLarge(t *testing.T) {
	cache, m := setup(t)
	src := filepath.Join(t.TempDir(), "mixed")
	writeMbox(t, src, []*mailfile.Message{
		{Raw: []byte("Subject: small 1\n\nx\n")},
		{Raw: []byte("Subject: big\n\n" + strings.Repeat("y", 500) + "\n")},
		{Raw: []byte("Subject: small 2\n\nz\n")},
	})
	var last Progress
	sum, err := Import(context.Background(), cache, m, ImportOptions{Account: "pop", Source: src, MaxSize: 100,
		Progress: func(p Progress) { last = p }})
	if err != nil || sum.Messages != 2 || sum.TooLarge != 1 || last.Done != 3 || last.Total != 3 {
		t.Fatalf("%+v %v, progress %+v", sum, err, last)
	}
}
