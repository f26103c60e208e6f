package mailfmt

import (
	"bytes"
	"unicode/utf8"
)

// Summary is what the index keeps of a message: its envelope, text for search, the list
// snippet and whether it carries attachments.
type Summary struct {
	Envelope
	Text          string // readable text, at most the IndexTextCap bytes
	Snippet       string
	HasAttachment bool // a part meant to be listed, not shown inline
}

const (
	// SnippetLen is the length in runes of the snippet a message list shows.
	SnippetLen = 160
	// IndexTextCap bounds the text of one message given to the full-text index.
	IndexTextCap = 256 << 10
)

// Summarize parses raw for the index with ParseText (no display work). When the body cannot
// be parsed, the envelope comes from the header alone and the error says why the text is missing;
// only a message without a usable header at all returns a zero Summary with the error.
func Summarize(raw []byte) (Summary, error) {
	msg, err := ParseText(bytes.NewReader(raw), DefaultLimits)
	if err != nil {
		env, eerr := ParseEnvelope(raw)
		if eerr != nil {
			return Summary{}, err
		}
		return Summary{Envelope: env}, err
	}
	s := Summary{Envelope: msg.Envelope, Text: msg.Text, Snippet: Snippet(msg.Text, SnippetLen)}
	if len(s.Text) > IndexTextCap {
		cut := IndexTextCap
		for cut > 0 && !utf8.RuneStart(s.Text[cut]) {
			cut-- // do not leave half a character at the cut
		}
		s.Text = s.Text[:cut]
	}
	for _, a := range msg.Attachments {
		if !a.Inline {
			s.HasAttachment = true
			break
		}
	}
	return s, nil
}
