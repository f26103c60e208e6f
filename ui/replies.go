package ui

import (
	"slices"
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
	names := u.accountNames(nil)
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// selfAddresses are the user's own addresses, left out of Reply all.
func (u *ui) selfAddresses() []string {
	var out []string
	for _, a := range u.deps.Manager.Accounts() {
		if a.Email != "" {
			out = append(out, strings.ToLower(a.Email))
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

// replyDraft prefills a reply: "Re: " subject, the sender (or Reply-To) as recipient, everyone else
// in Cc for Reply all, threading headers, and the quoted text under an attribution line.
func (u *ui) replyDraft(m localcache.Message, p *mailfmt.Message, all bool) Draft {
	o := origin(m, p)
	self := u.selfAddresses()
	isSelf := func(a mailfmt.Address) bool { return slices.Contains(self, strings.ToLower(a.Email)) }
	d := Draft{Account: m.Account, Subject: prefixSubject("Re:", o.Subject)}
	to := o.ReplyTo
	if len(to) == 0 {
		to = o.From
	}
	// Replying to one's own message (from Sent) goes to its recipients.
	if len(to) > 0 && isSelf(to[0]) && len(o.To) > 0 {
		to = o.To
	}
	seen := map[string]bool{}
	add := func(dst *[]mailfmt.Address, as []mailfmt.Address, skipSelf bool) {
		for _, a := range as {
			key := strings.ToLower(a.Email)
			if a.Email == "" || seen[key] || (skipSelf && isSelf(a)) {
				continue
			}
			seen[key] = true
			*dst = append(*dst, a)
		}
	}
	add(&d.To, to, false)
	if all {
		add(&d.Cc, o.To, true)
		add(&d.Cc, o.Cc, true)
	}
	if o.MessageID != "" {
		d.InReplyTo = o.MessageID
		d.References = append(slices.Clone(o.References), o.MessageID)
	}
	d.Text = "\n\n" + quoteText(o)
	return d
}

// forwardDraft prefills a forward: "Fwd: " subject, the original's headers and text inline, and
// its attachments attached again.
func (u *ui) forwardDraft(m localcache.Message, p *mailfmt.Message, raw []byte) Draft {
	o := origin(m, p)
	d := Draft{Account: m.Account, Subject: prefixSubject("Fwd:", o.Subject)}
	var sb strings.Builder
	sb.WriteString("\n\n-------- " + tr("Forwarded message") + " --------\n")
	sb.WriteString(tr("Subject") + ": " + o.Subject + "\n")
	if !o.Date.IsZero() {
		sb.WriteString(tr("Date") + ": " + fullDate(o.Date) + "\n")
	}
	sb.WriteString(tr("From") + ": " + joinAddresses(o.From) + "\n")
	sb.WriteString(tr("To") + ": " + joinAddresses(o.To) + "\n")
	if len(o.Cc) > 0 {
		sb.WriteString(tr("Cc") + ": " + joinAddresses(o.Cc) + "\n")
	}
	sb.WriteString("\n" + strings.TrimRight(o.Text, "\n") + "\n")
	d.Text = sb.String()
	if p != nil && raw != nil {
		for _, part := range p.Attachments {
			data, err := readPart(raw, part)
			if err == nil {
				d.Attachments = append(d.Attachments, Attachment{Name: part.Filename, ContentType: part.ContentType, Data: data})
			}
		}
	}
	return d
}

// prefixSubject adds "Re:" or "Fwd:" unless the subject already starts with it (or a common
// translation of it).
func prefixSubject(prefix, subject string) string {
	s := strings.TrimSpace(subject)
	lower := strings.ToLower(s)
	same := map[string][]string{
		"re:":  {"re:", "aw:", "antw:", "sv:"},
		"fwd:": {"fwd:", "fw:", "wg:", "doorst:"},
	}[strings.ToLower(prefix)]
	for _, p := range same {
		if strings.HasPrefix(lower, p) {
			return s
		}
	}
	if s == "" {
		return prefix
	}
	return prefix + " " + s
}

// quoteText is the attribution line ("On DATE, NAME wrote:") and the original text as "> " lines.
func quoteText(o *mailfmt.Message) string {
	name := tr("someone")
	if len(o.From) > 0 {
		name = o.From[0].Name
		if name == "" {
			name = o.From[0].Email
		}
	}
	var sb strings.Builder
	if o.Date.IsZero() {
		sb.WriteString(tr("{{.Name}} wrote:", map[string]any{"Name": name}))
	} else {
		sb.WriteString(tr("On {{.Date}}, {{.Name}} wrote:", map[string]any{"Date": fullDate(o.Date), "Name": name}))
	}
	sb.WriteByte('\n')
	text := strings.TrimRight(strings.ReplaceAll(o.Text, "\r\n", "\n"), "\n")
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, ">") {
			sb.WriteString(">" + line + "\n")
		} else if line == "" {
			sb.WriteString(">\n")
		} else {
			sb.WriteString("> " + line + "\n")
		}
	}
	return sb.String()
}
