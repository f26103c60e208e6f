package mailfmt

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// roundTripDraft is a draft as the composer writes one: non-ASCII everywhere, reply headers,
// Bcc, and attachments including a forwarded message.
func roundTripDraft() Draft {
	inner, _, err := Build(Draft{From: Address{Email: "ann@example.org"}, To: []Address{{Email: "bob@example.org"}},
		Subject: "Inner", Text: "Forwarded text that must not leak into the draft.\n"})
	if err != nil {
		panic(err)
	}
	return Draft{
		From:       Address{Name: "Jöran Ørsted", Email: "joran@example.org"},
		ReplyTo:    []Address{{Name: "Ørsted Support", Email: "support@example.org"}},
		To:         []Address{{Name: "Zoë", Email: "zoe@example.org"}, {Email: "max@example.net"}},
		Cc:         []Address{{Name: "Doe, Jane", Email: "jane@example.org"}},
		Bcc:        []Address{{Email: "secret@example.org"}},
		Subject:    "Re: Überweisung – 50 €",
		Text:       "Hallo Zoë,\n\nline two ☃\n> quoted\n\n-- \nJöran\n",
		InReplyTo:  "orig@example.org",
		References: []string{"root@example.org", "orig@example.org"},
		MessageID:  "draft1@example.org",
		Date:       time.Date(2025, 6, 14, 15, 30, 0, 0, time.UTC),
		Attachments: []Attachment{
			{Name: "Bericht für März.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4\x00\xff binary")},
			{Name: "notes.txt", ContentType: "text/plain", Data: []byte("plain attached text\r\n")},
			{Name: "Inner.eml", ContentType: "message/rfc822", Data: inner},
		},
	}
}

// roundTrip writes d with BuildDraft and reads it back with ParseDraft (dates in UTC).
func roundTrip(t *testing.T, d Draft) Draft {
	t.Helper()
	raw, _, err := BuildDraft(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDraft(raw)
	if err != nil {
		t.Fatal(err)
	}
	got.Date = got.Date.UTC()
	return got
}

// TestParseDraftRoundTrip: a draft written by BuildDraft reads back field for field, with and
// without attachments; an attached message stays one attachment and adds no text.
func TestParseDraftRoundTrip(t *testing.T) {
	full := roundTripDraft()
	plain := full
	plain.Attachments = nil
	for name, d := range map[string]Draft{"attachments": full, "text only": plain} {
		t.Run(name, func(t *testing.T) {
			got := roundTrip(t, d)
			if !reflect.DeepEqual(got, d) {
				t.Fatalf("round trip changed the draft:\n got %#v\nwant %#v", got, d)
			}
			// And again: what is read back builds the same draft.
			if again := roundTrip(t, got); !reflect.DeepEqual(again, d) {
				t.Fatalf("second round trip changed the draft: %#v", again)
			}
		})
	}
}

func TestParseDraftRefusesEmpty(t *testing.T) {
	if _, err := ParseDraft(nil); err == nil {
		t.Fatal("an empty draft parsed")
	}
}

func TestSign(t *testing.T) {
	quote := "On Monday, Ann wrote:\n> hi\n"
	for _, tc := range []struct {
		name, quote, sig string
		above            bool
		want             string
	}{
		{"new", "", "Jöran\nPostbode\n", false, "\n\n-- \nJöran\nPostbode\n"},
		{"below quote", quote, "J", false, "\n\n" + quote + "\n-- \nJ\n"},
		{"above quote", quote, "J", true, "\n\n-- \nJ\n\n" + quote},
		{"none", quote, " \n", true, "\n\n" + quote},
		{"none new", "", "", false, ""},
	} {
		if got := Sign(tc.quote, tc.sig, tc.above); got != tc.want {
			t.Errorf("%s: Sign = %q, want %q", tc.name, got, tc.want)
		}
	}
	if !HasSignature("hi\n\n-- \nJöran\r\nPostbode", "Jöran\nPostbode\n") || HasSignature("hi", "") ||
		HasSignature("Jöran", "Jöran") {
		t.Fatal("HasSignature")
	}
}

// FuzzParseDraft: no input makes ParseDraft panic, and what it reads, written as a draft again,
// reads back with the same attachments.
func FuzzParseDraft(f *testing.F) {
	for _, d := range []Draft{roundTripDraft(), {From: Address{Email: "a@b"}}} {
		raw, _, err := BuildDraft(d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: a\r\n\r\n--x--"))
	f.Add([]byte("From: =?utf-8?q?=ff?= <a@b>\r\nBcc: ,,\r\n\r\nx"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		d, err := parseDraft(raw) // not ParseDraft: a panic must fail here
		if err != nil {
			return
		}
		if d.From.Email == "" {
			d.From.Email = "me@example.org"
		}
		out, _, err := BuildDraft(d)
		if err != nil {
			return // an address go-message will not write: the composer shows it as one to fix
		}
		again, err := ParseDraft(out)
		if err != nil {
			t.Fatalf("a rewritten draft cannot be read: %v", err)
		}
		if len(again.Attachments) != len(d.Attachments) {
			t.Fatalf("attachments: %d, then %d", len(d.Attachments), len(again.Attachments))
		}
		for i, a := range again.Attachments {
			if !bytes.Equal(a.Data, d.Attachments[i].Data) {
				t.Fatalf("attachment %d changed", i)
			}
		}
	})
}

// TestParseDraftKeepsLeadingBlankLines: a reply saved before anything was typed above the quote
// reopens with the empty lines to write in.
func TestParseDraftKeepsLeadingBlankLines(t *testing.T) {
	d := Draft{From: Address{Email: "a@example.org"}, Text: "\n\n-- \nsig\n\n> quoted\n"}
	if got := roundTrip(t, d); got.Text != d.Text {
		t.Fatalf("text %q", got.Text)
	}
}

func TestReplaceSignature(t *testing.T) {
	text := "Hi\n\n-- \nWork Me\nWork Ltd\n\n> quote\n"
	if got := ReplaceSignature(text, "Work Me\nWork Ltd\n", "Home Me"); got != "Hi\n\n-- \nHome Me\n\n> quote\n" {
		t.Fatalf("swapped: %q", got)
	}
	if got := ReplaceSignature(text, "Work Me\nWork Ltd", ""); got != "Hi\n\n> quote\n" {
		t.Fatalf("removed: %q", got)
	}
	if got := ReplaceSignature("Hi\n", "Work Me", "Home Me"); got != "Hi\n" {
		t.Fatalf("without the old one: %q", got)
	}
}

func TestReplaceSignatureAtTheEdges(t *testing.T) {
	for text, want := range map[string]string{
		"Hi\n\n-- \nsig\n": "Hi\n",
		"Hi\n\n-- \nsig":   "Hi\n",
		"-- \nsig\nrest":   "rest",
	} {
		if got := ReplaceSignature(text, "sig", ""); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}
