package localcache

import (
	"strings"

	"postbode/mailfmt"
)

// SetEnvelope fills the index fields that come from a message's header. Fields the header
// does not give (a zero Date) are left for the caller to fill.
func (m *Message) SetEnvelope(env mailfmt.Envelope) {
	m.Subject = env.Subject
	if len(env.From) > 0 {
		m.FromName, m.FromAddr = env.From[0].Name, env.From[0].Email
	}
	m.To, m.Cc = joinAddrs(env.To), joinAddrs(env.Cc)
	m.Date = env.Date
	m.MessageID, m.InReplyTo = env.MessageID, env.InReplyTo
	m.References = strings.Join(env.References, " ")
	m.ThreadKey = env.ThreadKey
}

// SetSummary fills the index fields that come from the whole message: the envelope, the text
// for search, the snippet and whether it carries attachments.
func (m *Message) SetSummary(s mailfmt.Summary) {
	m.SetEnvelope(s.Envelope)
	m.BodyText, m.Snippet, m.HasAttachment = s.Text, s.Snippet, s.HasAttachment
}

func joinAddrs(as []mailfmt.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
