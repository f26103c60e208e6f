package mailfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// readAll reads every message, failing the test on any error.
func readAll(t testing.TB, data []byte, opt MboxOptions) []*Message {
	t.Helper()
	r := NewMboxReader(bytes.NewReader(data), opt)
	var out []*Message
	for {
		m, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("message %d: %v", len(out)+1, err)
		}
		out = append(out, m)
	}
}

func writeAll(t testing.TB, msgs []*Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewMboxWriter(&buf)
	for _, m := range msgs {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every awkward ending and every kind of "From " line comes back byte for byte.
func TestMboxRoundTripEdgeCases(t *testing.T) {
	date := time.Date(2024, 2, 29, 13, 4, 5, 0, time.UTC)
	raws := []string{
		"",
		"\n",
		"\n\n",
		"Subject: no final newline",
		"Subject: ends in CR\r",
		"Subject: a\r\n\r\nCRLF body\r\n",
		"Subject: a\r\n\r\nends in a blank CRLF line\r\n\r\n",
		"Subject: a\n\nFrom me to you 10:00 2024\n>From quoted\n>>From twice\nFrom \n",
		"Subject: a\n\nparagraph\n\nFrom here on, at 10:00, we part\n",
		"From MAILER-DAEMON Thu Feb 29 13:04:05 2024\n",
		"Subject: b\n\n>From at the end without newline",
		"Subject: c\n\nends with two blank lines\n\n\n",
	}
	var msgs []*Message
	for i, r := range raws {
		m := &Message{Raw: []byte(r), Date: date}
		if i%2 == 0 {
			m.Sender = "someone@example.org"
		}
		msgs = append(msgs, m)
	}
	data := writeAll(t, msgs)
	if !bytes.Contains(data, []byte("\n>From me to you")) || !bytes.Contains(data, []byte("\n>>From quoted")) ||
		!bytes.Contains(data, []byte("\n>>>From twice")) {
		t.Fatalf("lines starting with From were not escaped as mboxrd:\n%s", data)
	}
	if !bytes.HasPrefix(data, []byte("From someone@example.org Thu Feb 29 13:04:05 2024 ")) {
		t.Fatalf("From_ line: %q", data[:60])
	}
	got := readAll(t, data, MboxOptions{})
	if len(got) != len(raws) {
		t.Fatalf("read %d messages, wrote %d", len(got), len(raws))
	}
	for i, m := range got {
		if string(m.Raw) != raws[i] {
			t.Errorf("message %d: got %q, want %q", i, m.Raw, raws[i])
		}
		if !m.Date.Equal(date) {
			t.Errorf("message %d: date %v", i, m.Date)
		}
		wantSender := "MAILER-DAEMON"
		if i%2 == 0 {
			wantSender = "someone@example.org"
		}
		if m.Sender != wantSender {
			t.Errorf("message %d: sender %q", i, m.Sender)
		}
	}
}

// Files written by other programs: unescaped From lines inside paragraphs, CRLF line ends, no
// newline at the very end, mboxo escaping.
func TestMboxReaderForeignFiles(t *testing.T) {
	t.Run("unescaped From inside a paragraph", func(t *testing.T) {
		data := "From a@b Mon Jan  1 10:00:00 2024\nSubject: 1\n\nline\nFrom the start it was clear\n\n" +
			"From a@b Mon Jan  1 11:00:00 2024\nSubject: 2\n\nbody\n"
		got := readAll(t, []byte(data), MboxOptions{})
		if len(got) != 2 || !strings.Contains(string(got[0].Raw), "\nFrom the start") || string(got[1].Raw) != "Subject: 2\n\nbody\n" {
			t.Fatalf("got %d messages: %q", len(got), raws(got))
		}
		if want := time.Date(2024, 1, 1, 11, 0, 0, 0, time.UTC); !got[1].Date.Equal(want) {
			t.Fatalf("date %v", got[1].Date)
		}
	})
	t.Run("CRLF and no final newline", func(t *testing.T) {
		data := "From - Sat Jan 03 01:05:34 1996\r\nSubject: 1\r\n\r\nx\r\n\r\nFrom - Sat Jan 03 01:05:35 1996\r\nSubject: 2\r\n\r\nlast"
		got := readAll(t, []byte(data), MboxOptions{})
		if len(got) != 2 || string(got[0].Raw) != "Subject: 1\r\n\r\nx\r\n" || string(got[1].Raw) != "Subject: 2\r\n\r\nlast" {
			t.Fatalf("got %q", raws(got))
		}
		if got[0].Sender != "-" {
			t.Fatalf("sender %q", got[0].Sender)
		}
	})
	t.Run("From_ line with a zone", func(t *testing.T) {
		data := "From 1234567890@xxx Sat Jan 03 01:05:34 +0100 2015\nSubject: takeout\n\nx\n"
		got := readAll(t, []byte(data), MboxOptions{})
		if want := time.Date(2015, 1, 3, 0, 5, 34, 0, time.UTC); len(got) != 1 || !got[0].Date.Equal(want) || got[0].Sender != "1234567890@xxx" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("mboxo", func(t *testing.T) {
		data := "From x Mon Jan  1 10:00:00 2024\n\n>From one\n>>From two\n"
		if got := readAll(t, []byte(data), MboxOptions{Flavor: MboxO}); string(got[0].Raw) != "\nFrom one\n>>From two\n" {
			t.Fatalf("mboxo: %q", got[0].Raw)
		}
		if got := readAll(t, []byte(data), MboxOptions{}); string(got[0].Raw) != "\nFrom one\n>From two\n" {
			t.Fatalf("mboxrd: %q", got[0].Raw)
		}
	})
	t.Run("not an mbox", func(t *testing.T) {
		_, err := NewMboxReader(strings.NewReader("Subject: x\n\nhello\n"), MboxOptions{}).Next()
		if err == nil || !strings.Contains(err.Error(), "not an mbox") {
			t.Fatalf("err = %v", err)
		}
		if _, err := NewMboxReader(strings.NewReader(""), MboxOptions{}).Next(); err != io.EOF {
			t.Fatalf("empty file: %v", err)
		}
	})
}

// A message over the limit is reported and skipped; the ones around it are read.
func TestMboxTooLarge(t *testing.T) {
	small := &Message{Raw: []byte("Subject: s\n\nsmall\n")}
	big := &Message{Raw: []byte("Subject: b\n\n" + strings.Repeat("0123456789", 200_000) + "\n")} // one 2 MB line
	data := writeAll(t, []*Message{small, big, small})
	r := NewMboxReader(bytes.NewReader(data), MboxOptions{MaxSize: 1000})
	var got []string
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, ErrTooLarge) {
			got = append(got, "too large")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Raw))
	}
	want := []string{string(small.Raw), "too large", string(small.Raw)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	if r.Offset() != int64(len(data)) {
		t.Fatalf("offset %d of %d", r.Offset(), len(data))
	}
}

func TestMozillaState(t *testing.T) {
	raw := []byte("X-Mozilla-Status: 1007\r\nX-Mozilla-Status2: 00000000\r\nX-Mozilla-Keys: $label1 work        \r\nSubject: x\r\n\r\nX-Mozilla-Status: 0008\r\n")
	flags, kw, expunged := MozillaState(raw)
	if flags != Seen|Answered|Flagged|Forwarded || expunged || strings.Join(kw, ",") != "$label1,work" {
		t.Fatalf("flags %b keywords %q expunged %v", flags, kw, expunged)
	}
	if _, _, expunged := MozillaState([]byte("X-Mozilla-Status: 0009\n\n")); !expunged {
		t.Fatal("expunged flag not seen")
	}
	if flags, _, _ := MozillaState([]byte("Subject: x\n\nX-Mozilla-Status: 0001\n")); flags != 0 {
		t.Fatal("status read from the body")
	}
}

func FuzzMboxRoundTrip(f *testing.F) {
	for _, s := range []string{"", "\n", "From x\n", ">From x", "a\r", "\r\n\r\n", "x\n\nFrom a b 10:00\n\n"} {
		f.Add([]byte(s), "sender")
	}
	f.Fuzz(func(t *testing.T, raw []byte, sender string) {
		msgs := []*Message{{Raw: raw, Sender: sender}, {Raw: raw}, {Raw: []byte("Subject: after\n")}}
		got := readAll(t, writeAll(t, msgs), MboxOptions{MaxSize: int64(len(raw)) + 64})
		if len(got) != len(msgs) {
			t.Fatalf("read %d messages, wrote %d", len(got), len(msgs))
		}
		for i := range msgs {
			if !bytes.Equal(got[i].Raw, msgs[i].Raw) {
				t.Fatalf("message %d: got %q, want %q", i, got[i].Raw, msgs[i].Raw)
			}
		}
	})
}

func FuzzMboxReader(f *testing.F) {
	f.Add([]byte("From a Mon Jan  1 10:00:00 2024\nSubject: x\n\nFrom b Mon Jan  1 10:00:00 2024\n\n"))
	f.Add([]byte("From - Sat Jan 03 01:05:34 1996\r\n>From x\r\n\r\nFrom y 1:2:3\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 256
		r := NewMboxReader(bytes.NewReader(data), MboxOptions{MaxSize: limit})
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more messages than bytes")
			}
			m, err := r.Next()
			if err == io.EOF {
				return
			}
			if errors.Is(err, ErrTooLarge) {
				continue
			}
			if err != nil {
				return
			}
			if len(m.Raw) > limit {
				t.Fatalf("message of %d bytes over the limit %d", len(m.Raw), limit)
			}
		}
	})
}

func raws(ms []*Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Raw)
	}
	return out
}
