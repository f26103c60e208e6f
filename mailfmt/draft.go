package mailfmt

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// ParseDraft reads a stored draft back into the Draft it was written from (BuildDraft), or any
// message another client saved in Drafts: the envelope, the text, and every attachment decoded. An
// attached message stays one message/rfc822 attachment. It never panics on malformed input.
func ParseDraft(raw []byte) (d Draft, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			d, err = Draft{}, fmt.Errorf("mailfmt: parse draft: internal error: %v", rec)
		}
	}()
	return parseDraft(raw)
}

func parseDraft(raw []byte) (d Draft, err error) {
	msg, err := parse(bytes.NewReader(raw), DefaultLimits, &parser{outerOnly: true})
	if err != nil {
		return Draft{}, fmt.Errorf("parse draft: %w", err)
	}
	if len(msg.From) > 0 {
		d.From = msg.From[0]
	}
	d.ReplyTo, d.To, d.Cc, d.Bcc = msg.ReplyTo, msg.To, msg.Cc, msg.Bcc
	d.Subject, d.Text = msg.Subject, msg.Text
	d.InReplyTo, d.References = msg.InReplyTo, msg.References
	d.MessageID, d.Date = msg.MessageID, msg.Date
	for _, p := range msg.Attachments {
		rd, _, err := OpenPart(bytes.NewReader(raw), p.Path, DefaultLimits)
		if err != nil {
			return Draft{}, fmt.Errorf("parse draft: attachment %q: %w", p.Filename, err)
		}
		data, err := io.ReadAll(rd)
		if err != nil {
			return Draft{}, fmt.Errorf("parse draft: attachment %q: %w", p.Filename, err)
		}
		d.Attachments = append(d.Attachments, Attachment{Name: p.Filename, ContentType: p.ContentType, Data: data})
	}
	return d, nil
}

// SignatureSeparator is the line that starts a signature (RFC 3676, 4.3): mail programs recognise
// it to dim the signature and leave it out of quotes.
const SignatureSeparator = "-- \n"

// Sign places a signature in a new message's text: below what the user writes and below quote
// (an inline forward or a reply quote), or, with above set, between the two, where a reply written
// on top wants it. An empty signature leaves the text as it would be without one.
func Sign(quote, signature string, above bool) string {
	signature = trimSignature(signature)
	if strings.TrimSpace(signature) == "" {
		if quote == "" {
			return ""
		}
		return "\n\n" + quote
	}
	sig := SignatureSeparator + signature + "\n"
	switch {
	case quote == "":
		return "\n\n" + sig
	case above:
		return "\n\n" + sig + "\n" + quote
	default:
		return "\n\n" + strings.TrimRight(quote, "\n") + "\n\n" + sig
	}
}

// ReplaceSignature swaps the signature old in text for new (another account was chosen to send
// from); an empty new removes it with its separator. Text without old is returned as it is.
func ReplaceSignature(text, old, new string) string {
	if !HasSignature(text, old) {
		return text
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	old = SignatureSeparator + trimSignature(old)
	if strings.TrimSpace(new) == "" {
		i := strings.Index(text, "\n"+old)
		if i < 0 { // the text starts with the signature
			return strings.TrimPrefix(strings.Replace(text, old, "", 1), "\n")
		}
		end := i + 1 + len(old)
		if end < len(text) && text[end] == '\n' {
			end++
		}
		return text[:i] + text[end:]
	}
	return strings.Replace(text, old, SignatureSeparator+trimSignature(new), 1)
}

func trimSignature(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// HasSignature reports whether text already carries the signature (a draft reopened, or a body
// written with it), so that it is not added twice.
func HasSignature(text, signature string) bool {
	signature = trimSignature(signature)
	return signature != "" && strings.Contains(strings.ReplaceAll(text, "\r\n", "\n"), SignatureSeparator+signature)
}
