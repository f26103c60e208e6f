package mailto

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, keeps its limits, never lets a line break or control
// character into a header field, and that String writes what Parse reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"mailto:chris@example.com",
		"mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
		"mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
		"mailto:joe@example.com?cc=bob@example.com&body=hello",
		"mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org",
		"mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D",
		"mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO",
		"mailto:?to=addr1@an.example,addr2@an.example&bcc=x@y&attach=/etc/passwd",
		"mailto:%22Doe,%20Jane%22%20%3Cjane@example.org%3E,(c)x@y?subject=a%0Db%E2%80%AEc",
		"mailto:a@b?subject=%&body=%F&in-reply-to=<a@b> <c@d>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		checkURL(t, u)
		again, err := Parse(s)
		if err != nil || !reflect.DeepEqual(u, again) {
			t.Fatalf("Parse is not deterministic for %q", s)
		}
		out, err := Parse(u.String())
		if err != nil {
			t.Fatalf("Parse(String()) of %q: %v", s, err)
		}
		checkURL(t, out)
		if !reflect.DeepEqual(emails(out.To), emails(u.To)) || !reflect.DeepEqual(emails(out.Cc), emails(u.Cc)) ||
			!reflect.DeepEqual(emails(out.Bcc), emails(u.Bcc)) {
			t.Fatalf("recipients changed in a round trip of %q:\n%+v\n%+v", s, u, out)
		}
		if out.Subject != u.Subject || out.Body != u.Body || out.InReplyTo != u.InReplyTo {
			t.Fatalf("fields changed in a round trip of %q via %q:\n%+v\n%+v", s, u.String(), u, out)
		}
	})
}

func checkURL(t *testing.T, u *URL) {
	t.Helper()
	n := len(u.To) + len(u.Cc) + len(u.Bcc)
	if n > MaxAddresses || len(u.Invalid) > MaxAddresses {
		t.Fatalf("%d addresses and %d invalid ones, over the limit", n, len(u.Invalid))
	}
	oneLineOK := func(what, s string) {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, isControl) || len(s) > maxLine {
			t.Fatalf("%s %q is not a safe header value", what, s)
		}
	}
	for _, as := range [][]Address{u.To, u.Cc, u.Bcc} {
		for _, a := range as {
			oneLineOK("name", a.Name)
			oneLineOK("address", a.Email)
			if a.Email == "" {
				t.Fatal("empty address")
			}
		}
	}
	oneLineOK("subject", u.Subject)
	oneLineOK("in-reply-to", u.InReplyTo)
	for _, n := range u.Ignored {
		oneLineOK("ignored name", n)
	}
	if !utf8.ValidString(u.Body) || strings.Contains(u.Body, "\r") {
		t.Fatalf("body %q has a CR or invalid UTF-8", u.Body)
	}
}
