package testkit

import (
	"errors"
	"io"
	"os"
	"testing"

	"postbode/mailfile"
)

// ReadMbox returns the messages of an mbox file (mboxrd), as a mail program that reads it would
// see them.
func ReadMbox(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := mailfile.NewMboxReader(f, mailfile.MboxOptions{})
	var out [][]byte
	for {
		m, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m.Raw)
	}
}
