// Package junkfilter is the local learning junk filter: a naive Bayes classifier over the words
// of a message, trained per account by the user's Junk and Not junk, combined as SpamBayes does
// (Robinson's word probabilities and Fisher's chi-square combining), so that one word cannot
// decide alone and a message with little evidence scores near the middle.
package junkfilter

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"postbode/mailfmt"
)

// Counts is what training knows of one token: in how many junk and how many good messages it was.
type Counts struct{ Junk, Good int }

// Totals is how many junk and good messages were trained.
type Totals struct{ Junk, Good int }

// Model is the training of one account: totals and the counts of the tokens asked for.
type Model struct {
	Totals Totals
	Tokens map[string]Counts
}

// minTrained is how many messages of each kind training needs before a score means anything.
const minTrained = 5

// Ready reports whether the model has seen enough of both kinds to score.
func (m Model) Ready() bool { return m.Totals.Junk >= minTrained && m.Totals.Good >= minTrained }

const (
	strength   = 1.0 // Robinson's s: how much the prior counts against few observations
	prior      = 0.5 // Robinson's x: a token never seen is neither
	minDiverge = 0.1 // tokens this close to 0.5 say nothing and are left out
	maxClues   = 150 // the most telling tokens used, as SpamBayes does
)

// Score is the probability-like junk score of a message's tokens in [0, 1]: near 1 junk, near
// 0 good, 0.5 when the model cannot tell.
func (m Model) Score(tokens []string) float64 {
	if !m.Ready() {
		return 0.5
	}
	type clue struct{ p, dist float64 }
	var clues []clue
	for _, t := range tokens {
		c := m.Tokens[t]
		n := float64(c.Junk + c.Good)
		if n == 0 {
			continue
		}
		// Frequencies relative to each class's size, so an account with more good than junk
		// mail does not bias every token towards good.
		junkRatio := float64(c.Junk) / float64(m.Totals.Junk)
		goodRatio := float64(c.Good) / float64(m.Totals.Good)
		p := junkRatio / (junkRatio + goodRatio)
		f := (strength*prior + n*p) / (strength + n)
		if d := math.Abs(f - 0.5); d >= minDiverge {
			clues = append(clues, clue{f, d})
		}
	}
	if len(clues) == 0 {
		return 0.5
	}
	sort.Slice(clues, func(i, j int) bool { return clues[i].dist > clues[j].dist })
	clues = clues[:min(len(clues), maxClues)]
	var lnP, lnNotP float64
	for _, c := range clues {
		lnP += math.Log(c.p)
		lnNotP += math.Log(1 - c.p)
	}
	n := len(clues)
	// Fisher's test that the clues are not all low (junk) or not all high (good).
	junk := 1 - chi2Q(-2*lnNotP, 2*n) // near 1 when the clues look junk
	good := 1 - chi2Q(-2*lnP, 2*n)    // near 1 when they look good
	return (1 + junk - good) / 2
}

// chi2Q is the probability that a chi-square variable with v (even) degrees of freedom is at
// least x2.
func chi2Q(x2 float64, v int) float64 {
	m := x2 / 2
	sum := math.Exp(-m)
	term := sum
	for i := 1; i < v/2; i++ {
		term *= m / float64(i)
		sum += term
	}
	return min(sum, 1)
}

// Tokens are the features of a raw message, each once: the words of the subject (marked as
// such) and of the text, and the sender's address and domain. A message that cannot be parsed
// gives its raw words, so that even broken junk can be learnt.
func Tokens(raw []byte) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	msg, err := mailfmt.Parse(bytes.NewReader(raw), mailfmt.DefaultLimits)
	if err != nil {
		for _, w := range words(string(raw)) {
			add(w)
		}
		return out
	}
	for _, w := range words(msg.Subject) {
		add("subject:" + w)
	}
	for _, a := range msg.From {
		addr := strings.ToLower(a.Email)
		add("from:" + addr)
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			add("from-domain:" + addr[i+1:])
		}
	}
	if len(msg.Attachments) > 0 {
		add("has:attachment")
	}
	for _, w := range words(msg.Text) {
		add(w)
	}
	return out
}

// words splits text into lower-case words of 3 to 20 letters or digits; longer runs (encoded
// data, hashes) are counted by their length, as SpamBayes does with "skip" tokens.
func words(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '$' && r != '€' && r != '!'
	}) {
		switch n := len([]rune(w)); {
		case n < 3:
		case n > 20:
			out = append(out, "skip:"+string([]rune(w)[0])+" "+strconv.Itoa(n/10*10))
		default:
			out = append(out, w)
		}
	}
	return out
}
