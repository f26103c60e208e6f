package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"postbode/internal/testkit/pop3test"
)

// stuff is what a server sends for data (which ends with a line end): dot-stuffed, then ".\r\n".
func stuff(data []byte) []byte { return append(pop3test.DotStuff(data), ".\r\n"...) }

func read(t *testing.T, wire []byte, limit int64) ([]byte, error) {
	t.Helper()
	// A small buffer makes long lines cross many ReadSlice chunks.
	br := bufio.NewReaderSize(bytes.NewReader(wire), 16)
	return readDotted(br, nil, limit)
}

func TestReadDottedExact(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	cases := map[string]string{
		"plain":              "Subject: a\r\n\r\nbody\r\n",
		"lone dot line":      "a\r\n.\r\nb\r\n",
		"dot lines":          ".hidden\r\n..two\r\n...\r\n. space\r\n",
		"dot at very start":  ".\r\n",
		"long line":          "a\r\n" + long + "\r\n." + long + "\r\n",
		"line of 4097":       strings.Repeat("y", 4097) + "\r\n",
		"bare lf kept":       "a\nb\n.c\n",
		"bare cr kept":       "a\rb\r\n.\rc\r\n",
		"crlf inside line":   "x\r\r\ny\r\n",
		"empty":              "",
		"dot after long run": strings.Repeat("z", 16) + "\r\n.z\r\n",
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := read(t, stuff([]byte(msg)), 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, []byte(msg)) {
				t.Fatalf("got %q\nwant %q", clipBytes(got), clipBytes([]byte(msg)))
			}
		})
	}
}

func clipBytes(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:80:80], "..."...)
	}
	return b
}

func TestReadDottedRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("..\r\n\n\rab ")
	for i := 0; i < 2000; i++ {
		n := r.IntN(300)
		msg := make([]byte, n)
		for j := range msg {
			msg[j] = alphabet[r.IntN(len(alphabet))]
		}
		msg = append(msg, "\r\n"...)
		got, err := read(t, stuff(msg), 1<<20)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("case %d: got %q want %q", i, got, msg)
		}
	}
}

func TestReadDottedTerminatorWithBareLF(t *testing.T) {
	got, err := read(t, []byte("a\n..b\n.\nafter"), 1<<20)
	if err != nil || string(got) != "a\n.b\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestReadDottedCutOff(t *testing.T) {
	for _, wire := range []string{"", "abc", "abc\r\n", "abc\r\n.", "abc\r\n..\r\n"} {
		got, err := read(t, []byte(wire), 1<<20)
		if err == nil || got != nil {
			t.Errorf("%q: got %q, %v; want an error and no data", wire, got, err)
		}
		if !errors.Is(err, io.EOF) {
			t.Errorf("%q: err = %v, want EOF", wire, err)
		}
	}
}

func TestReadDottedLimit(t *testing.T) {
	msg := []byte(strings.Repeat("0123456789\r\n", 100)) // 1200 bytes
	if _, err := read(t, stuff(msg), 1200); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	got, err := read(t, stuff(msg), 1199)
	if !errors.Is(err, ErrTooLarge) || got != nil {
		t.Fatalf("over the limit: %q, %v", got, err)
	}
	// An endless line is stopped by the limit, not by memory.
	endless := io.MultiReader(strings.NewReader("+"), neverEnding('x'))
	if _, err := readDotted(bufio.NewReader(endless), nil, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("endless line: %v", err)
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func FuzzReadDotted(f *testing.F) {
	f.Add([]byte("a\r\n.\r\n..b\r\n"))
	f.Add([]byte(strings.Repeat("x", 40) + "\r\n.y\n"))
	f.Add([]byte("\r.\r\n\n.\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		// Any input parses without panicking.
		_, _ = readDotted(bufio.NewReaderSize(bytes.NewReader(msg), 16), nil, 1<<20)
		// Stuffed data that ends with a line end comes back unchanged.
		if len(msg) > 0 && msg[len(msg)-1] != '\n' {
			msg = append(msg, '\r', '\n')
		}
		got, err := readDotted(bufio.NewReaderSize(bytes.NewReader(stuff(msg)), 16), nil, 1<<20)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round trip of %q: %q, %v", msg, got, err)
		}
	})
}
