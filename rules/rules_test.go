package rules

import (
	"strings"
	"testing"
)

func TestConditionHolds(t *testing.T) {
	msg := Message{
		Account: "work", From: "Shop News <news@shop.example>", To: "alice@mail.test", Cc: "bob@mail.test, carol@mail.test",
		Subject: "Your Receipt #42", Size: 300 * 1024, HasAttachment: true,
		Header: ParseHeader([]byte("List-Id: <offers.shop.example>\r\nX-Spam: =?utf-8?q?J=C3=A1?=\r\nX-Spam: no\r\n\r\nbody")),
	}
	cases := []struct {
		c    Condition
		want bool
	}{
		{Condition{Field: FieldFrom, Op: OpContains, Value: "SHOP.example"}, true},
		{Condition{Field: FieldFrom, Op: OpEndsWith, Value: "example>"}, true},
		{Condition{Field: FieldFrom, Op: OpStartsWith, Value: "shop news"}, true},
		{Condition{Field: FieldFrom, Op: OpNotContains, Value: "shop"}, false},
		{Condition{Field: FieldFrom, Op: OpIs, Value: "news@shop.example"}, false},
		{Condition{Field: FieldToCc, Op: OpContains, Value: "carol"}, true},
		{Condition{Field: FieldToCc, Op: OpNotContains, Value: "carol"}, false},
		{Condition{Field: FieldToCc, Op: OpNotContains, Value: "dave"}, true},
		{Condition{Field: FieldToCc, Op: OpIs, Value: "alice@mail.test"}, true},
		{Condition{Field: FieldSubject, Op: OpContains, Value: "receipt"}, true},
		{Condition{Field: FieldSubject, Op: OpIsNot, Value: "your receipt #42"}, false},
		{Condition{Field: FieldHeader, Header: "list-id", Op: OpContains, Value: "offers"}, true},
		{Condition{Field: FieldHeader, Header: "X-Spam", Op: OpIs, Value: "já"}, true},
		{Condition{Field: FieldHeader, Header: "X-Spam", Op: OpIsNot, Value: "no"}, false}, // one of them is "no"
		{Condition{Field: FieldHeader, Header: "X-Missing", Op: OpContains, Value: ""}, false},
		{Condition{Field: FieldHeader, Header: "X-Missing", Op: OpNotContains, Value: "x"}, true},
		{Condition{Field: FieldSize, Op: OpGreater, Value: "299"}, true},
		{Condition{Field: FieldSize, Op: OpGreater, Value: "300"}, false},
		{Condition{Field: FieldSize, Op: OpLess, Value: "301"}, true},
		{Condition{Field: FieldAttachment, Op: OpIs}, true},
		{Condition{Field: FieldAttachment, Op: OpIsNot}, false},
		{Condition{Field: FieldAccount, Op: OpIs, Value: "work"}, true},
		{Condition{Field: FieldAccount, Op: OpIsNot, Value: "work"}, false},
	}
	for _, tc := range cases {
		if err := tc.c.Validate(); err != nil {
			t.Errorf("%+v: %v", tc.c, err)
		}
		if got := tc.c.Holds(msg); got != tc.want {
			t.Errorf("%+v holds = %v, want %v", tc.c, got, tc.want)
		}
	}
	// Without the header at hand no header condition holds, not even a negative one.
	noHeader := msg
	noHeader.Header = nil
	if (Condition{Field: FieldHeader, Header: "X-Missing", Op: OpNotContains, Value: "x"}).Holds(noHeader) {
		t.Error("a header condition held without the header")
	}
}

func TestMatchAllAny(t *testing.T) {
	yes := Condition{Field: FieldSubject, Op: OpContains, Value: "a"}
	no := Condition{Field: FieldSubject, Op: OpContains, Value: "z"}
	msg := Message{Subject: "abc"}
	cases := []struct {
		match Match
		conds []Condition
		want  bool
	}{
		{MatchAll, []Condition{yes, yes}, true},
		{MatchAll, []Condition{yes, no}, false},
		{MatchAny, []Condition{no, yes}, true},
		{MatchAny, []Condition{no, no}, false},
	}
	for _, tc := range cases {
		if got := (Rule{Match: tc.match, Conditions: tc.conds}).Matches(msg); got != tc.want {
			t.Errorf("%s %v = %v", tc.match, tc.conds, got)
		}
	}
}

func TestPlan(t *testing.T) {
	from := func(v string) []Condition { return []Condition{{Field: FieldFrom, Op: OpContains, Value: v}} }
	inbox := &Folder{Account: "a", Name: "Shop"}
	other := &Folder{Account: "a", Name: "Other"}
	s := Set{Rules: []Rule{
		{Name: "off", Enabled: false, Match: MatchAll, Conditions: from("shop"), Actions: []Action{{Kind: ActDelete}}},
		{Name: "shop", Enabled: true, Match: MatchAll, Conditions: from("shop"),
			Actions: []Action{{Kind: ActMove, Folder: inbox}, {Kind: ActMarkRead}}},
		{Name: "tag", Enabled: true, Match: MatchAll, Conditions: from("shop"),
			Actions: []Action{{Kind: ActTag, Keyword: "shopping"}, {Kind: ActMove, Folder: other}, {Kind: ActStop}}},
		{Name: "after stop", Enabled: true, Match: MatchAll, Conditions: from("shop"), Actions: []Action{{Kind: ActFlag}}},
	}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	got := s.Plan(Message{From: "news@shop.example"})
	want := []Action{{Kind: ActMarkRead}, {Kind: ActTag, Keyword: "shopping"}, {Kind: ActMove, Folder: inbox}}
	if len(got) != len(want) {
		t.Fatalf("plan = %+v", got)
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || got[i].Keyword != want[i].Keyword || got[i].Folder != want[i].Folder {
			t.Fatalf("plan = %+v, want %+v", got, want)
		}
	}
	if p := s.Plan(Message{From: "friend@mail.test"}); len(p) != 0 {
		t.Fatalf("plan for a friend = %+v", p)
	}
}

func TestParseRejectsWithClearErrors(t *testing.T) {
	cases := map[string]string{
		`{"rules":[{"name":"x","enabled":true,"match":"all","conditions":[{"field":"frm","op":"is","value":"a"}],"actions":[{"kind":"flag"}]}]}`:        `rule 1 ("x"): condition 1: unknown field "frm"`,
		`{"rules":[{"name":"x","enabled":true,"match":"all","conditions":[{"field":"size","op":"contains","value":"a"}],"actions":[{"kind":"flag"}]}]}`: `size cannot be compared with "contains"`,
		`{"rules":[{"name":"x","enabled":true,"match":"all","conditions":[{"field":"size","op":"greater","value":"-1"}],"actions":[{"kind":"flag"}]}]}`: `size "-1" is not a whole number of KB`,
		`{"rules":[{"name":"x","enabled":true,"match":"all","conditions":[{"field":"header","header":"a b","op":"is"}],"actions":[{"kind":"flag"}]}]}`:  `"a b" is not a header name`,
		`{"rules":[{"name":"x","enabled":true,"match":"most","conditions":[],"actions":[]}]}`:                                                           `match is "most"`,
		`{"rules":[{"name":"x","enabled":true,"match":"any","conditions":[{"field":"from","op":"is"}],"actions":[{"kind":"move"}]}]}`:                   `action 1: move needs a folder`,
		`{"rules":[{"name":"x","enabled":true,"match":"any","conditions":[{"field":"from","op":"is"}],"actions":[{"kind":"tag","keyword":"a b"}]}]}`:    `"a b" cannot be a tag`,
		`{"rules":[{"name":"x","enabled":true,"match":"any","conditions":[{"field":"from","op":"is"}],"actions":[{"kind":"burn"}]}]}`:                   `unknown action "burn"`,
		`{"rules":[{"name":" ","enabled":true,"match":"any","conditions":[{"field":"from","op":"is"}],"actions":[{"kind":"flag"}]}]}`:                   `the rule has no name`,
		`{"rules":[],"extra":1}`: `unknown field "extra"`,
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v, want %q", in, err, want)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	s := Set{Rules: []Rule{{Name: "Shop", Enabled: true, Match: MatchAny,
		Conditions: []Condition{{Field: FieldHeader, Header: "List-Id", Op: OpContains, Value: "shop"}, {Field: FieldSize, Op: OpLess, Value: "10"}},
		Actions:    []Action{{Kind: ActCopy, Folder: &Folder{Account: "a", Name: "Archive"}}, {Kind: ActTag, Keyword: "$label1"}}}}}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.Marshal()
	if string(again) != string(data) {
		t.Fatalf("round trip changed the file:\n%s\n%s", data, again)
	}
	if _, err := (Set{Rules: []Rule{{Name: "bad"}}}).Marshal(); err == nil {
		t.Fatal("an invalid set was encoded")
	}
}

// Header parsing takes any bytes without panicking, and every value it reads is found again by a
// header condition on its field.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte("Subject: hi\r\nX-A: =?utf-8?b?w6k=?=\r\n\r\nbody"))
	f.Add([]byte("Subject: folded\r\n continued\r\n\r\n"))
	f.Add([]byte("no colon here\n\nbody"))
	f.Add([]byte("X: =?iso-2022-jp?b?GyRCJEgbKEI=?=\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h := ParseHeader(raw)
		for k, vs := range h {
			for _, v := range vs {
				c := Condition{Field: FieldHeader, Header: k, Op: OpContains, Value: v}
				if validHeaderName(k) && !c.Holds(Message{Header: h}) {
					t.Fatalf("%s: %q does not contain itself", k, v)
				}
			}
		}
	})
}
