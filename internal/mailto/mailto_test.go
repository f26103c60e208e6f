package mailto

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func emails(as []Address) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Email)
	}
	return out
}

// The examples of RFC 6068 section 6, with what each must give.
func TestRFC6068Examples(t *testing.T) {
	tests := []struct {
		url       string
		to, cc    []string
		subject   string
		body      string
		inReplyTo string
		ignored   []string
	}{
		// 6.1 Basic Examples
		{url: "mailto:chris@example.com", to: []string{"chris@example.com"}},
		{url: "mailto:infobot@example.com?subject=current-issue", to: []string{"infobot@example.com"}, subject: "current-issue"},
		{url: "mailto:infobot@example.com?body=send%20current-issue", to: []string{"infobot@example.com"}, body: "send current-issue"},
		{url: "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
			to: []string{"infobot@example.com"}, body: "send current-issue\nsend index"},
		{url: "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
			to: []string{"list@example.org"}, inReplyTo: "3469A91.D10AF4C@example.com"},
		{url: "mailto:majordomo@example.com?body=subscribe%20bamboo-l", to: []string{"majordomo@example.com"}, body: "subscribe bamboo-l"},
		{url: "mailto:joe@example.com?cc=bob@example.com&body=hello",
			to: []string{"joe@example.com"}, cc: []string{"bob@example.com"}, body: "hello"},
		{url: "mailto:gorby%25kremvax@example.com", to: []string{"gorby%kremvax@example.com"}},
		{url: "mailto:unlikely%3Faddress@example.com?blat=foop", to: []string{"unlikely?address@example.com"}, ignored: []string{"blat"}},
		{url: "mailto:Mike%26family@example.org", to: []string{"Mike&family@example.org"}},
		// 6.2 Examples of Complicated Email Addresses
		{url: "mailto:%22not%40me%22@example.org", to: []string{`"not@me"@example.org`}},
		{url: "mailto:%22oh%5C%5Cno%22@example.org", to: []string{`"oh\\no"@example.org`}},
		// `"\\\"it's\ ugly\\\""@example.org`: the quoted-pair "\ " is a plain space.
		{url: "mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org", to: []string{`"\\\"it's ugly\\\""@example.org`}},
		// 6.3 Examples Using UTF-8-Based Percent-Encoding
		{url: "mailto:user@example.org?subject=caf%C3%A9", to: []string{"user@example.org"}, subject: "café"},
		{url: "mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D", to: []string{"user@example.org"}, subject: "café"},
		{url: "mailto:user@example.org?subject=%3D%3Fiso-8859-1%3FQ%3Fcaf%3DE9%3F%3D", to: []string{"user@example.org"}, subject: "café"},
		{url: "mailto:user@example.org?subject=caf%C3%A9&body=caf%C3%A9", to: []string{"user@example.org"}, subject: "café", body: "café"},
		{url: "mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO",
			to: []string{"user@納豆.example.org"}, subject: "Test", body: "NATTO"},
		// Section 2: several addresses, in the path and in "to" fields.
		{url: "mailto:addr1@an.example,addr2@an.example", to: []string{"addr1@an.example", "addr2@an.example"}},
		{url: "mailto:?to=addr1@an.example,addr2@an.example", to: []string{"addr1@an.example", "addr2@an.example"}},
		{url: "mailto:addr1@an.example?to=addr2@an.example", to: []string{"addr1@an.example", "addr2@an.example"}},
	}
	for _, tc := range tests {
		u, err := Parse(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if got := emails(u.To); !reflect.DeepEqual(got, tc.to) {
			t.Errorf("%s: to = %q, want %q", tc.url, got, tc.to)
		}
		if got := emails(u.Cc); !reflect.DeepEqual(got, tc.cc) {
			t.Errorf("%s: cc = %q, want %q", tc.url, got, tc.cc)
		}
		if u.Subject != tc.subject || u.Body != tc.body || u.InReplyTo != tc.inReplyTo {
			t.Errorf("%s: subject %q body %q in-reply-to %q, want %q %q %q", tc.url,
				u.Subject, u.Body, u.InReplyTo, tc.subject, tc.body, tc.inReplyTo)
		}
		if !reflect.DeepEqual(u.Ignored, tc.ignored) {
			t.Errorf("%s: ignored %q, want %q", tc.url, u.Ignored, tc.ignored)
		}
	}
}

func TestUnsafeHeadersAreIgnored(t *testing.T) {
	// From/Reply-To would let a page send as someone else or redirect replies; attach= has been
	// used to make mail clients attach local files (~/.ssh/id_rsa) without the user noticing.
	u, err := Parse("mailto:a@example.org?from=boss@example.org&Reply-To=evil@example.net&attach=/home/me/.ssh/id_rsa" +
		"&Attachment=file:///etc/passwd&X-Mailer=x&References=%3Cx@y%3E&body=hi&bcc=c@example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"attach", "attachment", "from", "references", "reply-to", "x-mailer"}
	if !reflect.DeepEqual(u.Ignored, want) {
		t.Errorf("ignored = %q, want %q", u.Ignored, want)
	}
	if got := emails(u.Bcc); !reflect.DeepEqual(got, []string{"c@example.org"}) || u.Body != "hi" {
		t.Errorf("bcc %q body %q", got, u.Body)
	}
}

func TestHeaderInjectionIsFlattened(t *testing.T) {
	u, err := Parse("mailto:a@example.org?subject=Hello%0D%0ABcc:%20victim@example.net%00&in-reply-to=%3Cid@x%3E%0D%0AX-Evil:%201")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(u.Subject, "\r\n\x00") {
		t.Errorf("subject keeps a line break or NUL: %q", u.Subject)
	}
	if u.Subject != "Hello  Bcc: victim@example.net" {
		t.Errorf("subject = %q", u.Subject)
	}
	if u.InReplyTo != "id@x" {
		t.Errorf("in-reply-to = %q", u.InReplyTo)
	}
	if len(u.Bcc) != 0 {
		t.Errorf("bcc from an injected line: %v", u.Bcc)
	}
}

func TestLenientDecoding(t *testing.T) {
	u, err := Parse("MAILTO:a@example.org?SUBJECT=100%25+sure%zz%&body=1+1%3D2%0Aline%0Dend%FF&subject=second")
	if err != nil {
		t.Fatal(err)
	}
	// '+' is a plus sign (RFC 6068 section 5), bad escapes stay as text, the first subject counts.
	if u.Subject != "100%+sure%zz%" {
		t.Errorf("subject = %q", u.Subject)
	}
	if u.Body != "1+1=2\nline\nend\uFFFD" {
		t.Errorf("body = %q", u.Body)
	}
}

func TestAddressesWithNamesAndInvalidOnes(t *testing.T) {
	u, err := Parse("mailto:%22Doe,%20Jane%22%20%3Cjane@example.org%3E,not%20an%20address,bob@example.org?cc=,,")
	if err != nil {
		t.Fatal(err)
	}
	want := []Address{{Name: "Doe, Jane", Email: "jane@example.org"}, {Email: "bob@example.org"}}
	if !reflect.DeepEqual(u.To, want) {
		t.Errorf("to = %+v, want %+v", u.To, want)
	}
	if !reflect.DeepEqual(u.Invalid, []string{"not an address"}) {
		t.Errorf("invalid = %q", u.Invalid)
	}
}

func TestLimits(t *testing.T) {
	if _, err := Parse("http://example.org/"); !errors.Is(err, ErrNotMailto) {
		t.Errorf("http URL: %v", err)
	}
	if _, err := Parse("mailto:a@example.org?body=" + strings.Repeat("x", MaxLen)); err == nil {
		t.Error("an oversized URL was accepted")
	}
	many := strings.TrimSuffix(strings.Repeat("a@example.org,", MaxAddresses+10), ",")
	u, err := Parse("mailto:" + many + "?cc=b@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.To)+len(u.Cc) != MaxAddresses || u.Dropped != 11 {
		t.Errorf("kept %d+%d, dropped %d", len(u.To), len(u.Cc), u.Dropped)
	}
	long := strings.Repeat("é", maxLine)
	u, _ = Parse("mailto:?subject=" + long)
	if len(u.Subject) > maxLine || !utf8.ValidString(u.Subject) {
		t.Errorf("subject of %d bytes, valid UTF-8 %v", len(u.Subject), utf8.ValidString(u.Subject))
	}
}

func TestStringRoundTrip(t *testing.T) {
	in := &URL{
		To:        []Address{{Email: "a@example.org"}, {Name: "Doe, Jane", Email: "jane@example.org"}},
		Cc:        []Address{{Email: `"not@me"@example.org`}},
		Bcc:       []Address{{Name: "Jörg", Email: "j@example.org"}},
		Subject:   "100% & more?",
		Body:      "line 1\nline 2 + 3 = 5#",
		InReplyTo: "abc@example.org",
	}
	s := in.String()
	if strings.ContainsAny(s, " \r\n#+\"<>") {
		t.Errorf("unescaped characters in %s", s)
	}
	out, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip of %s:\n got %+v\nwant %+v", s, out, in)
	}
}
