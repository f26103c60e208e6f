package ui

import (
	"strings"

	"postbode/localcache"
	"postbode/mailfmt"
)

// defaultAccount is the account a new message is sent from: the one of the shown folder, else the
// first configured.
func (u *ui) defaultAccount() string {
	if a := u.list.scope.account; a != "" {
		return a
	}
	if u.reader.msg.Account != "" {
		return u.reader.msg.Account
	}
	names := accountNames(u.deps.Manager, nil)
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// selfAddresses are the user's own addresses, left out of Reply all.
func (u *ui) selfAddresses() []string {
	var out []string
	for _, a := range u.deps.Manager.Accounts() {
		for _, id := range a.AllIdentities() {
			if id.Email != "" {
				out = append(out, strings.ToLower(id.Email))
			}
		}
	}
	return out
}

// origin collects what replies and forwards need from a message: the parsed message when its body
// is stored, else what the index knows.
func origin(m localcache.Message, p *mailfmt.Message) *mailfmt.Message {
	if p != nil {
		return p
	}
	o := &mailfmt.Message{}
	o.Subject, o.Date, o.MessageID, o.InReplyTo = m.Subject, m.Date, m.MessageID, m.InReplyTo
	if m.FromAddr != "" || m.FromName != "" {
		o.From = []mailfmt.Address{{Name: m.FromName, Email: m.FromAddr}}
	}
	o.To, o.Cc = parseAddressList(m.To), parseAddressList(m.Cc)
	if m.References != "" {
		o.References = strings.Fields(m.References)
	}
	return o
}

// replyDraft prefills a reply (mailfmt.Reply: recipients, threading headers) with the attribution line
// in the user's language.
func (u *ui) replyDraft(m localcache.Message, p *mailfmt.Message, all bool) Draft {
	o := origin(m, p)
	id := u.identity(m.Account, o.To, o.Cc)
	d := Draft{Account: m.Account, Draft: mailfmt.Reply(o, id.Address(), u.selfAddresses(), all)}
	d.Text = u.signed(id, mailfmt.QuoteText(o, attribution(o)))
	return d
}

// forwardDraft prefills an inline forward (mailfmt.Forward) and attaches the original's attachments again.
func (u *ui) forwardDraft(m localcache.Message, p *mailfmt.Message, raw []byte) Draft {
	o := origin(m, p)
	id := u.identity(m.Account, o.To, o.Cc)
	d := Draft{Account: m.Account, Draft: mailfmt.Forward(o, raw, id.Address(), false)}
	d.Text = u.signed(id, stripQuotePrefix(d.Text))
	if p != nil && raw != nil {
		for _, part := range p.Attachments {
			data, err := readPart(raw, part)
			if err == nil {
				d.Attachments = append(d.Attachments, mailfmt.Attachment{Name: part.Filename, ContentType: part.ContentType, Data: data})
			}
		}
	}
	return d
}

// attribution is the line above a quote ("On DATE, NAME wrote:"), translated.
func attribution(o *mailfmt.Message) string {
	name := tr("someone")
	if len(o.From) > 0 {
		name = o.From[0].Name
		if name == "" {
			name = o.From[0].Email
		}
	}
	if o.Date.IsZero() {
		return tr("{{.Name}} wrote:", map[string]any{"Name": name})
	}
	return tr("On {{.Date}}, {{.Name}} wrote:", map[string]any{"Date": fullDate(o.Date), "Name": name})
}
