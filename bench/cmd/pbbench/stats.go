package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// series is the values of one measurement over several runs, in its unit (seconds or MB).
type series []float64

func (s series) median() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// percentile is the nearest-rank percentile (p in 0..100).
func (s series) percentile(p float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s)
	slices.Sort(v)
	rank := int(math.Ceil(p / 100 * float64(len(v))))
	return v[max(0, min(rank-1, len(v)-1))]
}

func secs(d time.Duration) float64 { return d.Seconds() }

// unit says how a value is printed.
type unit int

const (
	unitSeconds unit = iota
	unitMB
	unitBytes
)

func (u unit) format(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch u {
	case unitBytes:
		return fmt.Sprintf("%.0f B", v)
	case unitMB:
		if v < 10 {
			return fmt.Sprintf("%.1f MB", v)
		}
		return fmt.Sprintf("%.0f MB", v)
	default:
		switch {
		case v < 0.001:
			return fmt.Sprintf("%.0f µs", v*1e6)
		case v < 0.01:
			return fmt.Sprintf("%.1f ms", v*1e3)
		case v < 1:
			return fmt.Sprintf("%.0f ms", v*1e3)
		case v < 100:
			return fmt.Sprintf("%.2f s", v)
		default:
			return fmt.Sprintf("%.0f s", v)
		}
	}
}

func (u unit) formatAll(s series) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = u.format(v)
	}
	return strings.Join(parts, ", ")
}

// goal is one of the project's targets; check reports whether a row meets it.
type goal struct {
	text  string
	check func(pb, anchor float64) bool
}

func atMost(x float64, text string) goal {
	return goal{text, func(pb, _ float64) bool { return pb <= x }}
}

func ratioAtMost(r float64, text string) goal {
	return goal{text, func(pb, anchor float64) bool { return !math.IsNaN(anchor) && pb <= r*anchor }}
}

// row is one line of the results table.
type row struct {
	Scenario   string
	Unit       unit
	PB         series // Postbode's values
	PBExtra    string // shown after the median (e.g. "p95 80 ms")
	AnchorName string // "mbsync 1.4.4", "floor: raw FETCH", "" for none
	Anchor     series
	Reference  string // the reference figure given for the anchor
	Goal       goal
	Failed     string // why the scenario has no result
}

func (r row) cells() []string {
	pb, an := r.PB.median(), r.Anchor.median()
	pbText := r.Unit.format(pb)
	if r.PBExtra != "" {
		pbText += " (" + r.PBExtra + ")"
	}
	anText, ratio := "—", "—"
	if len(r.Anchor) > 0 {
		anText = r.Unit.format(an)
		if an > 0 && !math.IsNaN(pb) {
			ratio = fmt.Sprintf("%.2f", pb/an)
		}
	}
	name := r.AnchorName
	if name == "" {
		name = "—"
	}
	g := "—"
	if r.Goal.text != "" {
		g = r.Goal.text
		if r.Goal.check != nil && len(r.PB) > 0 {
			if r.Goal.check(pb, an) {
				g += ": met"
			} else {
				g += ": **missed**"
			}
		}
	}
	ref := r.Reference
	if ref == "" {
		ref = "—"
	}
	if r.Failed != "" {
		pbText = "failed: " + r.Failed
	}
	return []string{r.Scenario, pbText, name, anText, ratio, ref, g}
}

var tableHeader = []string{"scenario", "Postbode (median)", "anchor", "anchor (median)", "Postbode/anchor", "reference", "goal"}

// markdownTable renders rows as a GitHub table with padded columns, readable as plain text too.
func markdownTable(rows []row) string {
	cells := [][]string{tableHeader}
	for _, r := range rows {
		cells = append(cells, r.cells())
	}
	return padTable(cells)
}

// padTable renders cells (the first row is the header) as a GitHub table with padded columns.
func padTable(cells [][]string) string {
	width := make([]int, len(cells[0]))
	for _, c := range cells {
		for i, s := range c {
			width[i] = max(width[i], len([]rune(s)))
		}
	}
	var b strings.Builder
	line := func(c []string) {
		b.WriteString("|")
		for i, s := range c {
			b.WriteString(" " + s + strings.Repeat(" ", width[i]-len([]rune(s))) + " |")
		}
		b.WriteString("\n")
	}
	line(cells[0])
	sep := make([]string, len(width))
	for i, w := range width {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, c := range cells[1:] {
		line(c)
	}
	return b.String()
}
