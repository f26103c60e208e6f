package mailfile

import (
	"bytes"
	"crypto/sha256"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"postbode/internal/testkit/testbed"
)

var (
	corpusOnce sync.Once
	corpus     [][]byte
)

// generated returns 10,000 realistic messages (CRLF, encoded words, lines starting with "."),
// each with a line starting with "From " or ">From " added to every third one.
func generated() [][]byte {
	corpusOnce.Do(func() {
		corpus = testbed.Generate(42, 10_000, testbed.GenOptions{
			AttachmentRatio: -1, End: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		})
		for i := range corpus {
			switch i % 3 {
			case 0:
				corpus[i] = append(corpus[i], "\r\nFrom the archive, at 10:00:00 2024\r\n>From quoted\r\n"...)
			case 1:
				corpus[i] = bytes.TrimRight(corpus[i], "\r\n") // no final newline
			}
		}
	})
	return corpus
}

func sums(raws [][]byte) [][32]byte {
	out := make([][32]byte, len(raws))
	for i, r := range raws {
		out[i] = sha256.Sum256(r)
	}
	return out
}

func TestMboxRoundTrip10k(t *testing.T) {
	msgs := generated()
	want := sums(msgs)
	var total int
	in := make([]*Message, len(msgs))
	for i, raw := range msgs {
		in[i] = &Message{Raw: raw, Sender: "alice@mail.test", Date: time.Unix(int64(1.7e9)+int64(i), 0)}
		total += len(raw)
	}
	start := time.Now()
	data := writeAll(t, in)
	wrote := time.Since(start)
	start = time.Now()
	got := readAll(t, data, MboxOptions{})
	read := time.Since(start)
	if len(got) != len(msgs) {
		t.Fatalf("read %d messages of %d", len(got), len(msgs))
	}
	for i, m := range got {
		if sha256.Sum256(m.Raw) != want[i] {
			t.Fatalf("message %d differs after the round trip", i)
		}
		if !m.Date.Equal(in[i].Date) {
			t.Fatalf("message %d: date %v", i, m.Date)
		}
	}
	mb := float64(total) / 1e6
	t.Logf("mbox: %d messages, %.1f MB: write %v (%.0f MB/s), read %v (%.0f MB/s)",
		len(msgs), mb, wrote, mb/wrote.Seconds(), read, mb/read.Seconds())
}

func TestMaildirRoundTrip10k(t *testing.T) {
	msgs := generated()
	want := map[[32]byte]Flags{}
	dir := filepath.Join(t.TempDir(), "md")
	w, err := CreateMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.Deferred = true // as exports write; TestMaildirWriteRead covers an fsync per file
	start := time.Now()
	for i, raw := range msgs {
		f := Flags(i % 64)
		want[sha256.Sum256(raw)] = f
		if _, err := w.Write(&Message{Raw: raw, Flags: f}); err != nil {
			t.Fatal(err)
		}
	}
	files := time.Since(start)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wrote := time.Since(start)
	start = time.Now()
	r, err := OpenMaildir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f, ok := want[sha256.Sum256(m.Raw)]
		if !ok {
			t.Fatalf("a message read back matches none written")
		}
		if f != m.Flags {
			t.Fatalf("flags %b, want %b", m.Flags, f)
		}
		n++
	}
	if n != len(msgs) {
		t.Fatalf("read %d of %d", n, len(msgs))
	}
	t.Logf("maildir: %d messages: write %v (files %v, then one syncfs), read %v", n, wrote, files, time.Since(start))
}
