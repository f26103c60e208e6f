package localcache

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseQuery(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02", s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		in   string
		want Filter
	}{
		{"invoice march", Filter{Words: []string{"invoice", "march"}}},
		{`from:ann "quarterly report" draft`, Filter{Words: []string{"draft"}, Phrases: []string{"quarterly report"}, From: []string{"ann"}}},
		{`FROM:"Ann Lee" to:bob@example.org subject:Re:`, Filter{From: []string{"Ann Lee"}, To: []string{"bob@example.org"}, Subject: []string{"Re:"}}},
		{"has:attachment is:unread is:flagged is:read", Filter{HasAttachment: true, Unread: true, Flagged: true, Read: true}},
		{"before:2025-03-01 after:2025-01-31", Filter{Before: day("2025-03-01"), After: day("2025-01-31")}},
		{"re: https://example.org/x", Filter{Words: []string{"re", "https", "example.org", "x"}}},
		{`"unclosed phrase`, Filter{Phrases: []string{"unclosed phrase"}}},
		{`""  "" word`, Filter{Words: []string{"word"}}},
	} {
		got, err := ParseQuery(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestParseQueryErrorsSayWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		in   string
		kind QueryErrorKind
		text string
	}{
		{"before:2025-13-01", QueryBadDate, "before:2025-13-01 is not a date (write YYYY-MM-DD)"},
		{"after:yesterday", QueryBadDate, "after:yesterday is not a date (write YYYY-MM-DD)"},
		{"from:", QueryNoValue, "from: needs a value"},
		{`subject:""`, QueryNoValue, "subject: needs a value"},
		{"is:important", QueryUnknownValue, "is:important is not known (is:unread, is:read or is:flagged)"},
		{"has:pdf", QueryUnknownValue, "has:pdf is not known (has:attachment)"},
	} {
		_, err := ParseQuery(c.in)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Kind != c.kind || err.Error() != c.text || !errors.Is(err, ErrBadQuery) {
			t.Errorf("%q: got %v, want %q", c.in, err, c.text)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"from:ann", `"a b" c`, "before:2025-01-01", `to:"x`, "is:", `:"`, "a:b:c", "\"\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: error %v is not a *QueryError", s, err)
			}
			return
		}
		for _, w := range append(append([]string{}, q.Words...), q.Phrases...) {
			if w == "" || strings.TrimSpace(w) != w {
				t.Fatalf("%q: empty or padded word %q", s, w)
			}
		}
		if m := q.ftsMatch(); utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Fatalf("%q: invalid match %q", s, m)
		}
		q.conditions()
	})
}

func TestSearchOperators(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	in := mustFolder(t, c, "a", "INBOX", RoleInbox)
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.Local)
	msgs := []Message{
		{FromName: "Ann Lee", FromAddr: "ann@example.org", To: "me@example.org", Subject: "Quarterly report",
			BodyText: "the quarterly report is attached", HasAttachment: true, Flags: FlagSeen},
		{FromName: "Bob", FromAddr: "bob@example.org", To: "me@example.org", Cc: "ann@example.org",
			Subject: "Report on the quarter", BodyText: "report quarterly numbers", Flags: FlagFlagged},
		{FromName: "Ann Lee", FromAddr: "ann@example.org", To: "team@example.org", Subject: "Lunch 100%",
			BodyText: "lunch on friday"},
	}
	for i := range msgs {
		msgs[i].Account, msgs[i].FolderID, msgs[i].UID = "a", in.ID, uint32(i+1)
		msgs[i].Date = start.AddDate(0, i, 0) // Jan, Feb, Mar
	}
	if _, err := c.AddMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		text string
		want []string // subjects, newest first
	}{
		{"from:ann", []string{"Lunch 100%", "Quarterly report"}},
		{"from:ann report", []string{"Quarterly report"}},
		{`"quarterly report"`, []string{"Quarterly report"}},
		{"quarterly report", []string{"Report on the quarter", "Quarterly report"}},
		{"to:ann", []string{"Report on the quarter"}},
		{"to:team subject:lunch", []string{"Lunch 100%"}},
		{"subject:100%", []string{"Lunch 100%"}},
		{"subject:0_", nil}, // LIKE wildcards are literal
		{"has:attachment", []string{"Quarterly report"}},
		{"is:unread", []string{"Lunch 100%", "Report on the quarter"}},
		{"is:flagged report", []string{"Report on the quarter"}},
		{"after:2025-02-01", []string{"Lunch 100%", "Report on the quarter"}},
		{"before:2025-02-01", []string{"Quarterly report"}},
		{"after:2025-02-01 before:2025-03-01", []string{"Report on the quarter"}},
	} {
		res, err := c.Search(ctx, SearchQuery{Text: q.text, Account: "a"})
		if err != nil {
			t.Fatalf("%q: %v", q.text, err)
		}
		var got []string
		for _, m := range res.Messages {
			got = append(got, m.Subject)
		}
		if !reflect.DeepEqual(got, q.want) {
			t.Errorf("%q: got %q, want %q", q.text, got, q.want)
		}
		if res.Searched != 3 {
			t.Errorf("%q: searched %d, want 3", q.text, res.Searched)
		}
	}
	if _, err := c.Search(ctx, SearchQuery{Text: "before:2025-02-30"}); !errors.Is(err, ErrBadQuery) {
		t.Fatalf("bad date: %v", err)
	}
	// Completion searches plain words: "to:" is no operator there.
	if res, err := c.Search(ctx, SearchQuery{Text: "team@", WordsOnly: true}); err != nil || len(res.Messages) != 1 {
		t.Fatalf("words only: %v, %d found", err, len(res.Messages))
	}
}

// Operators match the index alone: the coverage line has nothing to say about bodies then.
func TestSearchCoverageWithoutWordsCountsNoMissingBodies(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	in := mustFolder(t, c, "a", "INBOX", RoleInbox)
	if _, err := c.AddMessages(ctx, genMessages("a", in.ID, 10, time.Now())); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ctx, SearchQuery{Text: "is:unread"})
	if err != nil || res.Searched != 10 || res.WithoutBody != 0 || len(res.Messages) != 6 {
		t.Fatalf("%v: %+v", err, res)
	}
	res, err = c.Search(ctx, SearchQuery{Text: "is:unread subject"})
	if err != nil || res.WithoutBody != 10 || len(res.Messages) != 6 {
		t.Fatalf("with words: %v: searched %d, %d without body, %d found", err, res.Searched, res.WithoutBody, len(res.Messages))
	}
}
