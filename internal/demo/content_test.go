package demo

import (
	"bytes"
	"image/png"
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

func buildSeed(t *testing.T, seed int64) []*builtMsg {
	t.Helper()
	msgs, err := newBuilder(seed, testNow).build(seedLetters(DefaultNewMailEvery))
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestSeedIsDeterministic(t *testing.T) {
	a, b, c := buildSeed(t, 1), buildSeed(t, 1), buildSeed(t, 2)
	differ := false
	for i := range a {
		if !bytes.Equal(a[i].raw, b[i].raw) {
			t.Fatalf("message %s differs between two builds with the same seed", a[i].key)
		}
		if !bytes.Equal(a[i].raw, c[i].raw) {
			differ = true
		}
	}
	if !differ {
		t.Fatal("seeds 1 and 2 gave the same mail")
	}
}

// TestSeedMessagesAreWellFormed parses every seeded message as a mail client would.
func TestSeedMessagesAreWellFormed(t *testing.T) {
	msgs := buildSeed(t, 3)
	byKey := map[string]*builtMsg{}
	var pdfs, pngs, texts, remoteImages int
	for _, m := range msgs {
		byKey[m.key] = m
		for _, line := range strings.Split(string(m.raw), "\r\n") {
			if strings.ContainsRune(line, '\n') || strings.ContainsRune(line, '\r') {
				t.Fatalf("%s: bare CR or LF", m.key)
			}
			if len(line) > 998 {
				t.Fatalf("%s: line of %d octets", m.key, len(line))
			}
		}
		if !m.date.Before(testNow) || m.date.Before(testNow.Add(-40*day)) {
			t.Errorf("%s dated %v", m.key, m.date)
		}
		r, err := mail.CreateReader(bytes.NewReader(m.raw))
		if err != nil {
			t.Fatalf("%s: %v", m.key, err)
		}
		subject, err := r.Header.Subject()
		if err != nil || subject != m.subject {
			t.Fatalf("%s: subject %q (%v), want %q", m.key, subject, err, m.subject)
		}
		from, err := r.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != m.from.name || from[0].Address != m.from.addr {
			t.Fatalf("%s: From %v (%v)", m.key, from, err)
		}
		if m.parent != "" {
			irt, _ := r.Header.MsgIDList("In-Reply-To")
			refs, _ := r.Header.MsgIDList("References")
			parent := byKey[m.parent]
			if len(irt) != 1 || "<"+irt[0]+">" != parent.messageID || len(refs) != len(parent.refs)+1 {
				t.Fatalf("%s: In-Reply-To %v References %v", m.key, irt, refs)
			}
		}
		sawText := false
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", m.key, err)
			}
			body, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("%s: %v", m.key, err)
			}
			switch h := p.Header.(type) {
			case *mail.InlineHeader:
				ct, _, _ := h.ContentType()
				if ct == "text/plain" {
					sawText = strings.Contains(string(body), firstLine(m.text))
				}
				if ct == "text/html" {
					remoteImages += strings.Count(string(body), `<img src="https://`)
				}
			case *mail.AttachmentHeader:
				name, err := h.Filename()
				if err != nil || name == "" {
					t.Fatalf("%s: attachment name %q %v", m.key, name, err)
				}
				switch {
				case strings.HasSuffix(name, ".pdf"):
					if !bytes.HasPrefix(body, []byte("%PDF-1.4")) || !bytes.HasSuffix(body, []byte("%%EOF\n")) {
						t.Fatalf("%s: %s is not a PDF", m.key, name)
					}
					pdfs++
				case strings.HasSuffix(name, ".png"):
					if _, err := png.Decode(bytes.NewReader(body)); err != nil {
						t.Fatalf("%s: %s: %v", m.key, name, err)
					}
					pngs++
				case strings.HasSuffix(name, ".txt"):
					texts++
				}
			}
		}
		if !sawText {
			t.Errorf("%s: text part missing or not decoded", m.key)
		}
	}
	if pdfs < 2 || pngs < 1 || texts < 2 || remoteImages < 5 {
		t.Fatalf("pdf %d, png %d, txt %d attachments, %d remote images", pdfs, pngs, texts, remoteImages)
	}
	// Encoded words on the wire, for names and subjects in Dutch, German, Japanese and emoji.
	for key, word := range map[string]string{"muller-1": "=?utf-8?q?J=C3=BCrgen", "tanaka-1": "=?UTF-8?b?", "borrel-1": "=?UTF-8?q?=F0=9F=8E=89", "houten": "v=C3=B3=C3=B3r"} {
		if !bytes.Contains(byKey[key].raw, []byte(word)) {
			t.Errorf("%s: no encoded word %q in\n%s", key, word, byKey[key].raw[:400])
		}
	}
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(encodeHeader("Größe 57 – ハブ 🎉")); err != nil || s != "Größe 57 – ハブ 🎉" {
		t.Fatalf("encodeHeader round trip %q %v", s, err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestArrivalsAreFreshAndDistinct(t *testing.T) {
	now := time.Now()
	rng := newBuilder(1, now).rng
	a1, p1 := arrivals(rng, 1, 1, now)
	a2, p2 := arrivals(rng, 1, 2, now)
	if a1 == nil || p1 == nil || bytes.Equal(p1, p2) {
		t.Fatal("arrivals empty or repeated")
	}
	for _, raw := range [][]byte{a1, a2, p1, p2} {
		r, err := mail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		date, err := r.Header.Date()
		if err != nil || now.Sub(date) > time.Second {
			t.Fatalf("arrival dated %v (%v), now %v", date, err, now)
		}
	}
}

func TestWelcomeSaysTheInterval(t *testing.T) {
	for every, want := range map[time.Duration]string{30 * time.Second: "Elke 30 seconden", time.Minute: "every minute",
		2 * time.Minute: "every 2 minutes", -1: "geen nieuwe berichten", 1500 * time.Millisecond: "1.5s"} {
		if got := welcomeText(every); !strings.Contains(got, want) {
			t.Errorf("%v: welcome text lacks %q", every, want)
		}
	}
}
