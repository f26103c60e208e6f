package localcache

import (
	"context"
	"testing"

	"postbode/junkfilter"
)

// Training counts each message once per class; retraining in the other class moves it over;
// accounts are kept apart.
func TestJunkTraining(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.TrainJunk(ctx, "a", "k1", []string{"prize", "free"}, true))
	must(c.TrainJunk(ctx, "a", "k1", []string{"prize", "free"}, true)) // again: no change
	must(c.TrainJunk(ctx, "a", "k2", []string{"meeting", "free"}, false))
	must(c.TrainJunk(ctx, "b", "k3", []string{"prize"}, false))
	m, err := c.JunkModel(ctx, "a", []string{"prize", "free", "meeting", "unknown"})
	must(err)
	want := junkfilter.Model{Totals: junkfilter.Totals{Junk: 1, Good: 1}, Tokens: map[string]junkfilter.Counts{
		"prize": {Junk: 1}, "free": {Junk: 1, Good: 1}, "meeting": {Good: 1}}}
	if m.Totals != want.Totals || len(m.Tokens) != 3 || m.Tokens["prize"] != want.Tokens["prize"] ||
		m.Tokens["free"] != want.Tokens["free"] || m.Tokens["meeting"] != want.Tokens["meeting"] {
		t.Fatalf("model %+v, want %+v", m, want)
	}
	// Not junk after all: k1 counts as good now, and nowhere as junk.
	must(c.TrainJunk(ctx, "a", "k1", []string{"prize", "free"}, false))
	m, err = c.JunkModel(ctx, "a", []string{"prize", "free"})
	must(err)
	if m.Totals != (junkfilter.Totals{Good: 2}) || m.Tokens["prize"] != (junkfilter.Counts{Good: 1}) || m.Tokens["free"] != (junkfilter.Counts{Good: 2}) {
		t.Fatalf("after retraining: %+v", m)
	}
	many := make([]string, 1200)
	for i := range many {
		many[i] = string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
	}
	must(c.TrainJunk(ctx, "a", "k4", many, true))
	if m, err = c.JunkModel(ctx, "a", many); err != nil || len(m.Tokens) != 1200 {
		t.Fatalf("a model of 1,200 tokens read %d (%v)", len(m.Tokens), err)
	}
}
