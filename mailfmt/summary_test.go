package mailfmt

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseTextMatchesParse(t *testing.T) {
	for i, raw := range seedMessages {
		full, ferr := Parse(strings.NewReader(raw), DefaultLimits)
		text, terr := ParseText(strings.NewReader(raw), DefaultLimits)
		if (ferr == nil) != (terr == nil) {
			t.Fatalf("seed %d: Parse error %v, ParseText error %v", i, ferr, terr)
		}
		if ferr != nil {
			continue
		}
		if text.Text != full.Text || text.Subject != full.Subject || text.Rich != nil {
			t.Errorf("seed %d: ParseText text %q, want %q (rich %v)", i, text.Text, full.Text, text.Rich != nil)
		}
		if len(text.Attachments) != len(full.Attachments) {
			t.Fatalf("seed %d: %d attachments, want %d", i, len(text.Attachments), len(full.Attachments))
		}
		for j, a := range text.Attachments {
			want := full.Attachments[j]
			if a.Size != -1 && a.Size != want.Size {
				t.Errorf("seed %d: attachment %s: size %d, want -1 (not decoded) or %d", i, a.Path, a.Size, want.Size)
			}
			a.Size, want.Size = 0, 0
			if a != want {
				t.Errorf("seed %d: attachment %+v, want %+v", i, a, want)
			}
		}
	}
}

func TestSummarize(t *testing.T) {
	s, err := Summarize([]byte(msgMixed))
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasAttachment || s.Subject == "" || s.Snippet == "" || !strings.HasPrefix(s.Text, s.Snippet[:10]) {
		t.Errorf("mixed: %+v", s)
	}
	if s, _ := Summarize([]byte(msgPlain)); s.HasAttachment {
		t.Error("plain message has an attachment")
	}

	// The text is cut at the cap without splitting a character.
	body := strings.Repeat("é", IndexTextCap) // 2 bytes each
	long := "From: a@example.com\r\nSubject: long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx" + body
	s, err = Summarize([]byte(long))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Text) > IndexTextCap || len(s.Text) < IndexTextCap-1 || !utf8.ValidString(s.Text) {
		t.Errorf("text of %d bytes (valid %v), want about %d", len(s.Text), utf8.ValidString(s.Text), IndexTextCap)
	}
	if n := utf8.RuneCountInString(s.Snippet); n != SnippetLen {
		t.Errorf("snippet of %d runes, want %d", n, SnippetLen)
	}

	// No body at all: an error, the envelope still comes from the header.
	s, err = Summarize([]byte("Subject: empty\r\n\r\n"))
	if err == nil && s.Text != "" {
		t.Errorf("empty body gave text %q", s.Text)
	}
	if s.Subject != "empty" {
		t.Errorf("subject %q from a message without body", s.Subject)
	}
	if _, err := Summarize(nil); err == nil {
		t.Error("no error for an empty message")
	}
}

func BenchmarkParseVsParseText(b *testing.B) {
	raw := []byte(msgMixed)
	b.Run("Parse", func(b *testing.B) {
		for b.Loop() {
			_, _ = Parse(bytes.NewReader(raw), DefaultLimits)
		}
	})
	b.Run("ParseText", func(b *testing.B) {
		for b.Loop() {
			_, _ = ParseText(bytes.NewReader(raw), DefaultLimits)
		}
	})
}
