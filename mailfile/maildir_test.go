package mailfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMaildirWriteRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "box")
	w, err := CreateMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC)
	in := []*Message{
		{Raw: []byte("Subject: 1\r\n\r\nseen and flagged\r\n"), Flags: Seen | Flagged, Date: date},
		{Raw: []byte("Subject: 2\n\nno flags, no final newline"), Date: date},
		{Raw: []byte("Subject: 3\n\nall\n"), Flags: Draft | Flagged | Forwarded | Answered | Seen | Trashed},
	}
	var names []string
	for _, m := range in {
		name, err := w.Write(m)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(names[2], string(infoSep)+"2,DFPRST") || !strings.HasSuffix(names[1], string(infoSep)+"2,") {
		t.Fatalf("names %q", names)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Fatalf("%d files left in tmp", len(tmp))
	}
	// A message delivered to new/ by a mail server has no flags.
	if err := os.WriteFile(filepath.Join(dir, "new", "1700000000.M1P1.host,S=20"), []byte("Subject: new\n\nhello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenMaildir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 4 {
		t.Fatalf("Len = %d", r.Len())
	}
	var got []*Message
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if string(got[0].Raw) != "Subject: new\n\nhello\n" || got[0].Flags != 0 {
		t.Fatalf("new/ message first: %q %b", got[0].Raw, got[0].Flags)
	}
	byRaw := map[string]*Message{}
	for _, m := range got[1:] {
		byRaw[string(m.Raw)] = m
	}
	for _, m := range in {
		g := byRaw[string(m.Raw)]
		if g == nil {
			t.Fatalf("message %q not read back", m.Raw)
		}
		if g.Flags != m.Flags {
			t.Errorf("%q: flags %b, want %b", m.Raw, g.Flags, m.Flags)
		}
		if !m.Date.IsZero() && !g.Date.Equal(m.Date) {
			t.Errorf("%q: date %v, want %v", m.Raw, g.Date, m.Date)
		}
	}
}

func TestParseMaildirName(t *testing.T) {
	for _, tc := range []struct {
		name   string
		unique string
		size   int64
		flags  Flags
		ok     bool
	}{
		{"1700000000.M1P2.host,S=1234:2,FS", "1700000000.M1P2.host,S=1234", 1234, Flagged | Seen, true},
		{"1700000000.M1P2.host,S=99,W=101:2,RSab", "1700000000.M1P2.host,S=99,W=101", 99, Answered | Seen, true},
		{"1700000000.M1P2.host;2,T", "1700000000.M1P2.host", -1, Trashed, true},
		{"1700000000.host", "1700000000.host", -1, 0, true},
		{".hidden", "", -1, 0, false},
		{"", "", -1, 0, false},
	} {
		u, size, flags, ok := ParseMaildirName(tc.name)
		if u != tc.unique || size != tc.size || flags != tc.flags || ok != tc.ok {
			t.Errorf("%q: got %q %d %b %v", tc.name, u, size, flags, ok)
		}
	}
}

func FuzzMaildirName(f *testing.F) {
	f.Add("1700000000.M1P2.host,S=1234:2,FS", uint8(3))
	f.Add(":2,:2,S=", uint8(0xff))
	f.Fuzz(func(t *testing.T, name string, bits uint8) {
		ParseMaildirName(name) // must not panic
		flags := Flags(bits) & (Seen | Answered | Flagged | Draft | Forwarded | Trashed)
		built := NewMaildirName(time.Unix(1700000000, 0), len(name)) + string(infoSep) + MaildirInfo(flags)
		_, size, got, ok := ParseMaildirName(built)
		if !ok || got != flags || size != int64(len(name)) {
			t.Fatalf("%q: flags %b size %d ok %v, want %b %d", built, got, size, ok, flags, len(name))
		}
	})
}

func mkMaildir(t *testing.T, dir string) {
	t.Helper()
	if _, err := CreateMaildir(dir); err != nil {
		t.Fatal(err)
	}
}

func TestMaildirFolders(t *testing.T) {
	root := t.TempDir()
	mkMaildir(t, root)                                    // INBOX (Maildir++)
	mkMaildir(t, filepath.Join(root, ".Archive.2024"))    // Maildir++ subfolder
	mkMaildir(t, filepath.Join(root, ".Entw&APw-rfe"))    // modified UTF-7
	mkMaildir(t, filepath.Join(root, ".Q&A-"))            // not valid: kept as written
	mkMaildir(t, filepath.Join(root, "Lists", "go-nuts")) // plain nested, Lists not a maildir
	mkMaildir(t, filepath.Join(root, "Work"))             // plain nested
	mkMaildir(t, filepath.Join(root, "Work", "%63ur"))    // escaped "cur"
	if err := os.MkdirAll(filepath.Join(root, "notmail"), 0o700); err != nil {
		t.Fatal(err)
	}
	fs, err := MaildirFolders(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name())
	}
	want := []string{"Archive/2024", "Entwürfe", "INBOX", "Lists/go-nuts", "Q&A-", "Work", "Work/cur"}
	if !slices.Equal(names, want) {
		t.Fatalf("folders %q, want %q", names, want)
	}
}

func TestSegmentEscaping(t *testing.T) {
	for _, name := range []string{"Inbox", "a/b", `c:\d`, ".hidden", "cur", "New", "x.msf", "y.sbd", "100%", "", "tab\there", "Entwürfe", "mail.lists", "CON", "nul.txt", "Console"} {
		enc := EncodeSegment(name)
		if strings.ContainsAny(enc, `/\:*?"<>|`) || strings.HasPrefix(enc, ".") || enc == "" {
			t.Errorf("%q encodes to unsafe %q", name, enc)
		}
		switch strings.ToLower(enc) {
		case "cur", "new", "tmp":
			t.Errorf("%q encodes to %q", name, enc)
		}
		if ignoredExt[strings.ToLower(filepath.Ext(enc))] {
			t.Errorf("%q encodes to %q, which readers skip", name, enc)
		}
		if dec := DecodeSegment(enc); dec != name {
			t.Errorf("%q -> %q -> %q", name, enc, dec)
		}
	}
	if EncodeSegment("mail.lists") != "mail.lists" || EncodeSegment("Console") != "Console" {
		t.Error("an ordinary dot was escaped")
	}
}

func TestEML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.eml")
	m := &Message{Raw: []byte("Subject: x\r\n\r\nbody"), Date: time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := WriteEML(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEML(path, 0)
	if err != nil || !bytes.Equal(got.Raw, m.Raw) || !got.Date.Equal(m.Date) {
		t.Fatalf("%v %q %v", err, got.Raw, got.Date)
	}
	if _, err := ReadEML(path, 5); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("limit: %v", err)
	}
	if runtime.GOOS != "windows" {
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Fatalf("%d files beside the .eml", len(entries))
		}
	}
}
