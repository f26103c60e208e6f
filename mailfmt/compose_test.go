package mailfmt

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBuildRoundTrip(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.4 binary \x00\xff\x10"), 300)
	d := Draft{
		From:    Address{Name: "Anne de Wit", Email: "anne@bakkerij.test"},
		To:      []Address{{Name: "Jürgen Müller", Email: "juergen@example.test"}},
		Cc:      []Address{{Email: "team@bakkerij.test"}},
		Bcc:     []Address{{Name: "Secret", Email: "hidden@bakkerij.test"}},
		Subject: "Offerte voor de taart 🎂 — één keer",
		Text:    "Hallo Jürgen,\n\nHierbij de offerte.\n.\nGroet,\nAnne\n",
		Attachments: []Attachment{
			{Name: "offerte één.pdf", Data: pdf},
			{Name: "notes.txt", Data: []byte("plain attachment\n")},
		},
		InReplyTo:  "orig@example.test",
		References: []string{"root@example.test", "orig@example.test"},
		Date:       time.Date(2026, 11, 26, 10, 30, 0, 0, time.FixedZone("CET", 3600)),
	}
	raw, id, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(id, "@bakkerij.test") {
		t.Fatalf("Message-ID %q is not on the sender's domain", id)
	}
	if bytes.Contains(raw, []byte("hidden@bakkerij.test")) || bytes.Contains(bytes.ToLower(raw), []byte("\nbcc:")) {
		t.Fatal("Bcc leaked into the message bytes")
	}
	// Header names are case-insensitive; go-message writes them in canonical form.
	for _, want := range []string{"mime-version: 1.0", "=?utf-8?", "in-reply-to: <orig@example.test>",
		"references: <root@example.test> <orig@example.test>", "filename*=utf-8''"} {
		if !bytes.Contains(bytes.ToLower(raw), []byte(want)) {
			t.Fatalf("message lacks %q:\n%s", want, raw[:min(len(raw), 1200)])
		}
	}
	msg, err := Parse(bytes.NewReader(raw), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != d.Subject || msg.MessageID != id || msg.InReplyTo != "orig@example.test" ||
		len(msg.References) != 2 || !msg.Date.Equal(d.Date) {
		t.Fatalf("parsed envelope = %+v", msg.Envelope)
	}
	if len(msg.From) != 1 || msg.From[0] != d.From || len(msg.To) != 1 || msg.To[0] != d.To[0] || len(msg.Cc) != 1 || len(msg.Bcc) != 0 {
		t.Fatalf("parsed addresses: from %v to %v cc %v bcc %v", msg.From, msg.To, msg.Cc, msg.Bcc)
	}
	if strings.TrimSpace(strings.ReplaceAll(msg.Text, "\r\n", "\n")) != strings.TrimSpace(d.Text) {
		t.Fatalf("text = %q", msg.Text)
	}
	if len(msg.Attachments) != 2 || msg.Attachments[0].Filename != "offerte één.pdf" || msg.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments = %+v", msg.Attachments)
	}
	for i, a := range msg.Attachments {
		r, _, err := OpenPart(bytes.NewReader(raw), a.Path, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, d.Attachments[i].Data) {
			t.Fatalf("attachment %d bytes differ (%d vs %d)", i, len(got), len(d.Attachments[i].Data))
		}
	}
	if rc := d.Recipients(); strings.Join(rc, ",") != "juergen@example.test,team@bakkerij.test,hidden@bakkerij.test" {
		t.Fatalf("recipients = %v", rc)
	}
}

func TestBuildRefusesIncompleteDrafts(t *testing.T) {
	if _, _, err := Build(Draft{To: []Address{{Email: "a@b"}}}); err == nil {
		t.Fatal("no sender accepted")
	}
	if _, _, err := Build(Draft{From: Address{Email: "a@b"}}); err == nil {
		t.Fatal("no recipient accepted")
	}
}

func TestReplyAndForwardHeaders(t *testing.T) {
	orig := &Message{Envelope: Envelope{
		Subject:    "Planning",
		From:       []Address{{Name: "Piet", Email: "piet@example.test"}},
		To:         []Address{{Email: "me@example.test"}, {Email: "kees@example.test"}},
		Cc:         []Address{{Email: "ME@example.test"}, {Email: "lies@example.test"}},
		Date:       time.Date(2026, 11, 20, 9, 15, 0, 0, time.UTC),
		MessageID:  "p2@example.test",
		References: []string{"p1@example.test"},
	}, Text: "Kunnen we morgen?\n> eerder citaat"}
	me := Address{Name: "Me", Email: "me@example.test"}

	r := Reply(orig, me, []string{"me@example.test"}, false)
	if r.Subject != "Re: Planning" || len(r.To) != 1 || r.To[0].Email != "piet@example.test" || len(r.Cc) != 0 {
		t.Fatalf("reply = %+v", r)
	}
	if r.InReplyTo != "p2@example.test" || strings.Join(r.References, " ") != "p1@example.test p2@example.test" {
		t.Fatalf("reply threading = %q %v", r.InReplyTo, r.References)
	}
	if !strings.Contains(r.Text, "On Fri, 20 Nov 2026 at 09:15, Piet wrote:\n> Kunnen we morgen?\n>> eerder citaat") {
		t.Fatalf("reply quote = %q", r.Text)
	}
	ra := Reply(orig, me, []string{"me@example.test"}, true)
	var to, cc []string
	for _, a := range ra.To {
		to = append(to, a.Email)
	}
	for _, a := range ra.Cc {
		cc = append(cc, a.Email)
	}
	if strings.Join(to, ",") != "piet@example.test" || strings.Join(cc, ",") != "kees@example.test,lies@example.test" {
		t.Fatalf("reply all to=%v cc=%v", to, cc)
	}
	if again := Reply(&Message{Envelope: Envelope{Subject: "RE: Planning"}}, me, nil, false); again.Subject != "RE: Planning" {
		t.Fatalf("re-reply subject = %q", again.Subject)
	}

	f := Forward(orig, []byte("raw bytes"), me, false)
	if f.Subject != "Fwd: Planning" || !strings.Contains(f.Text, "From: Piet <piet@example.test>") || !strings.Contains(f.Text, "Kunnen we morgen?") {
		t.Fatalf("forward inline = %+v", f)
	}
	fa := Forward(orig, []byte("raw bytes"), me, true)
	if len(fa.Attachments) != 1 || fa.Attachments[0].ContentType != "message/rfc822" || string(fa.Attachments[0].Data) != "raw bytes" {
		t.Fatalf("forward as attachment = %+v", fa.Attachments)
	}
}
