package mailfmt

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// Draft is a message being written. Bcc recipients are used for the envelope only, never written
// into the message.
type Draft struct {
	From        Address
	ReplyTo     []Address // where replies should go when not to From (an identity's setting)
	To, Cc, Bcc []Address
	Subject     string
	Text        string
	InReplyTo   string   // Message-ID (without angle brackets) of the message replied to
	References  []string // Message-IDs, oldest first
	Attachments []Attachment
	Date        time.Time // zero: now
	MessageID   string    // without angle brackets; empty: generated on the sender's domain
}

// Attachment is a file attached to a draft.
type Attachment struct {
	Name        string
	ContentType string // empty: from the file name's extension, else application/octet-stream
	Data        []byte
}

// Recipients lists every envelope recipient (To, Cc and Bcc), without duplicates.
func (d Draft) Recipients() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]Address{d.To, d.Cc, d.Bcc} {
		for _, a := range list {
			key := strings.ToLower(a.Email)
			if a.Email != "" && !seen[key] {
				seen[key] = true
				out = append(out, a.Email)
			}
		}
	}
	return out
}

func toMail(as []Address) []*mail.Address {
	out := make([]*mail.Address, len(as))
	for i, a := range as {
		out[i] = &mail.Address{Name: a.Name, Address: a.Email}
	}
	return out
}

func domainOf(email string) string {
	if i := strings.LastIndexByte(email, '@'); i >= 0 && i < len(email)-1 {
		return email[i+1:]
	}
	return "localhost"
}

// Build writes the draft as an RFC 5322 message: UTF-8 text/plain, attachments as multipart/mixed with
// RFC 2231 file names, encoded words for non-ASCII headers. It returns the bytes and the Message-ID.
func Build(d Draft) ([]byte, string, error) {
	if d.From.Email == "" {
		return nil, "", fmt.Errorf("build message: no sender address")
	}
	if len(d.Recipients()) == 0 {
		return nil, "", fmt.Errorf("build message: no recipients")
	}
	return build(d, false)
}

func build(d Draft, draft bool) ([]byte, string, error) {
	var h mail.Header
	if d.Date.IsZero() {
		d.Date = time.Now()
	}
	h.SetDate(d.Date)
	h.SetAddressList("From", toMail([]Address{d.From}))
	if len(d.ReplyTo) > 0 {
		h.SetAddressList("Reply-To", toMail(d.ReplyTo))
	}
	if len(d.To) > 0 {
		h.SetAddressList("To", toMail(d.To))
	}
	if len(d.Cc) > 0 {
		h.SetAddressList("Cc", toMail(d.Cc))
	}
	if draft && len(d.Bcc) > 0 {
		h.SetAddressList("Bcc", toMail(d.Bcc))
	}
	h.SetSubject(d.Subject)
	if d.MessageID == "" {
		if err := h.GenerateMessageIDWithHostname(domainOf(d.From.Email)); err != nil {
			return nil, "", fmt.Errorf("build message: %w", err)
		}
		id, err := h.MessageID()
		if err != nil {
			return nil, "", fmt.Errorf("build message: %w", err)
		}
		d.MessageID = id
	} else {
		h.SetMessageID(d.MessageID)
	}
	if d.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{d.InReplyTo})
	}
	if len(d.References) > 0 {
		h.SetMsgIDList("References", d.References)
	}
	h.Set("MIME-Version", "1.0")
	h.Set("User-Agent", "Postbode")

	text := normaliseNewlines(d.Text)
	var buf bytes.Buffer
	if len(d.Attachments) == 0 {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := mail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			return nil, "", fmt.Errorf("build message: %w", err)
		}
		if _, err := io.WriteString(w, text); err != nil {
			return nil, "", fmt.Errorf("build message: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, "", fmt.Errorf("build message: %w", err)
		}
		return buf.Bytes(), d.MessageID, nil
	}
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, "", fmt.Errorf("build message: %w", err)
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return nil, "", fmt.Errorf("build message: %w", err)
	}
	if _, err := io.WriteString(tw, text); err != nil {
		return nil, "", fmt.Errorf("build message: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, "", fmt.Errorf("build message: %w", err)
	}
	for _, a := range d.Attachments {
		var ah mail.AttachmentHeader
		ct := a.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(strings.ToLower(filepath.Ext(a.Name)))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		mediaType, params, err := mime.ParseMediaType(ct)
		if err != nil {
			mediaType, params = "application/octet-stream", nil
		}
		delete(params, "name")
		ah.SetContentType(mediaType, params)
		// mime.FormatMediaType writes non-ASCII names as RFC 2231 (filename*=utf-8''...), which every
		// client reads; go-message's SetFilename would use encoded words, which RFC 2047 forbids there.
		ah.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": SanitizeFilename(a.Name)}))
		ah.Set("Content-Transfer-Encoding", "base64")
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, "", fmt.Errorf("build message: attachment %q: %w", a.Name, err)
		}
		if _, err := aw.Write(a.Data); err != nil {
			return nil, "", fmt.Errorf("build message: attachment %q: %w", a.Name, err)
		}
		if err := aw.Close(); err != nil {
			return nil, "", fmt.Errorf("build message: attachment %q: %w", a.Name, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", fmt.Errorf("build message: %w", err)
	}
	return buf.Bytes(), d.MessageID, nil
}

func normaliseNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// PrefixSubject adds "Re:" or "Fwd:" unless the subject already starts with it or a common
// translation of it (Aw:, Antw:, Sv:, Fw:, WG:, Doorst:).
func PrefixSubject(prefix, subject string) string {
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

// Attribution is the English line above a quote: "On DATE, NAME wrote:".
func Attribution(orig *Message) string {
	name := "someone"
	if len(orig.From) > 0 {
		name = orig.From[0].Name
		if name == "" {
			name = orig.From[0].Email
		}
	}
	if orig.Date.IsZero() {
		return name + " wrote:"
	}
	return fmt.Sprintf("On %s, %s wrote:", orig.Date.Format("Mon, 2 Jan 2006 at 15:04"), name)
}

// QuoteText renders the original text as a reply quote under an attribution line: "> " before each line,
// ">" before an already quoted or empty one.
func QuoteText(orig *Message, attribution string) string {
	var sb strings.Builder
	sb.WriteString(attribution + "\n")
	for _, line := range strings.Split(strings.TrimRight(strings.ReplaceAll(orig.Text, "\r\n", "\n"), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, ">"):
			sb.WriteString(">" + line + "\n")
		case line == "":
			sb.WriteString(">\n")
		default:
			sb.WriteString("> " + line + "\n")
		}
	}
	return sb.String()
}

func isSelf(a Address, self []string) bool {
	for _, s := range self {
		if strings.EqualFold(a.Email, s) {
			return true
		}
	}
	return false
}

// Reply prepares a reply from identity to orig: the sender (or Reply-To) in To and, with all set, every
// other recipient in Cc (as Thunderbird does), leaving out the user's own addresses (self).
func Reply(orig *Message, identity Address, self []string, all bool) Draft {
	d := Draft{From: identity, Subject: PrefixSubject("Re:", orig.Subject)}
	to := orig.ReplyTo
	if len(to) == 0 {
		to = orig.From
	}
	// Replying to one's own sent message goes to its original recipients.
	if len(to) > 0 && isSelf(to[0], self) && len(orig.To) > 0 {
		to = orig.To
	}
	seen := map[string]bool{}
	add := func(list *[]Address, as []Address) {
		for _, a := range as {
			key := strings.ToLower(a.Email)
			if a.Email == "" || seen[key] || isSelf(a, append(self, identity.Email)) {
				continue
			}
			seen[key] = true
			*list = append(*list, a)
		}
	}
	add(&d.To, to)
	if all {
		add(&d.Cc, orig.To)
		add(&d.Cc, orig.Cc)
	}
	if orig.MessageID != "" {
		d.InReplyTo = orig.MessageID
		d.References = append(append([]string{}, orig.References...), orig.MessageID)
	}
	d.Text = "\n\n" + QuoteText(orig, Attribution(orig))
	return d
}

// Forward prepares a forward of orig. Inline, the original's text is quoted under a header block;
// as an attachment, the original bytes (raw) go along as message/rfc822.
func Forward(orig *Message, raw []byte, identity Address, asAttachment bool) Draft {
	d := Draft{From: identity, Subject: PrefixSubject("Fwd:", orig.Subject)}
	if asAttachment {
		name := SanitizeFilename(orig.Subject)
		d.Attachments = []Attachment{{Name: name + ".eml", ContentType: "message/rfc822", Data: raw}}
		return d
	}
	var sb strings.Builder
	sb.WriteString("\n\n-------- Forwarded Message --------\n")
	fmt.Fprintf(&sb, "Subject: %s\n", orig.Subject)
	if !orig.Date.IsZero() {
		fmt.Fprintf(&sb, "Date: %s\n", orig.Date.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	}
	fmt.Fprintf(&sb, "From: %s\n", joinAddresses(orig.From))
	fmt.Fprintf(&sb, "To: %s\n", joinAddresses(orig.To))
	if len(orig.Cc) > 0 {
		fmt.Fprintf(&sb, "Cc: %s\n", joinAddresses(orig.Cc))
	}
	sb.WriteString("\n" + orig.Text + "\n")
	d.Text = sb.String()
	return d
}

// BuildDraft writes a draft for the Drafts folder: like Build, but recipients are optional and Bcc is
// kept so that the draft can be reopened as it was.
func BuildDraft(d Draft) ([]byte, string, error) {
	if d.From.Email == "" {
		return nil, "", fmt.Errorf("build draft: no sender address")
	}
	return build(d, true)
}
