package demo

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const imapDelim = '/'

// imapmemserver (go-imap v2.0.0-beta.8) keeps a special-use field per mailbox but never fills it:
// User.Create ignores CreateOptions.SpecialUse and there is no setter. The demo therefore keeps its
// own record of mailbox names, special-use attributes and subscriptions beside each memserver
// user, and answers LIST from that record. Everything else (SELECT, FETCH, STORE, MOVE, IDLE...) is
// imapmemserver's.
type imapUser struct {
	*imapmemserver.User

	mu    sync.Mutex
	boxes map[string]*boxInfo
}

type boxInfo struct {
	specialUse []imap.MailboxAttr
	subscribed bool
}

func newIMAPUser(username, password string) *imapUser {
	return &imapUser{User: imapmemserver.NewUser(username, password), boxes: map[string]*boxInfo{}}
}

// create makes a subscribed mailbox with an optional special use.
func (u *imapUser) create(name string, use imap.MailboxAttr) error {
	opts := &imap.CreateOptions{}
	if use != "" {
		opts.SpecialUse = []imap.MailboxAttr{use}
	}
	if err := u.User.Create(name, opts); err != nil {
		return err
	}
	if err := u.User.Subscribe(name); err != nil {
		return err
	}
	u.mu.Lock()
	u.boxes[name] = &boxInfo{specialUse: opts.SpecialUse, subscribed: true}
	u.mu.Unlock()
	return nil
}

// appendMessage stores raw in a mailbox; IDLE and NOOP sessions on it see the new EXISTS.
func (u *imapUser) appendMessage(mailbox string, raw []byte, flags []imap.Flag, t time.Time) error {
	_, err := u.User.Append(mailbox, bytes.NewReader(raw), &imap.AppendOptions{Flags: flags, Time: t})
	return err
}

type listEntry struct {
	name string
	info boxInfo
}

func (u *imapUser) entries() []listEntry {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]listEntry, 0, len(u.boxes))
	for name, info := range u.boxes {
		out = append(out, listEntry{name, boxInfo{specialUse: slices.Clone(info.specialUse), subscribed: info.subscribed}})
	}
	slices.SortFunc(out, func(a, b listEntry) int { return strings.Compare(a.name, b.name) })
	return out
}

// imapServer serves the in-memory users.
type imapServer struct {
	users map[string]*imapUser // fixed after start
}

func (s *imapServer) newSession(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	return &imapSession{srv: s}, nil, nil
}

// imapSession is imapmemserver's session with LIST, CREATE, DELETE, RENAME, SUBSCRIBE and
// UNSUBSCRIBE wrapped to keep the mailbox record (see imapUser).
type imapSession struct {
	*imapmemserver.UserSession // nil until LOGIN succeeds

	srv  *imapServer
	user *imapUser
}

var _ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)

func (s *imapSession) Login(username, password string) error {
	u := s.srv.users[username]
	if u == nil {
		return imapserver.ErrAuthFailed
	}
	if err := u.Login(username, password); err != nil {
		return err
	}
	s.user = u
	s.UserSession = imapmemserver.NewUserSession(u.User)
	return nil
}

func (s *imapSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

func (s *imapSession) Create(name string, options *imap.CreateOptions) error {
	name = strings.TrimRight(name, string(imapDelim))
	if err := s.UserSession.Create(name, options); err != nil {
		return err
	}
	info := &boxInfo{}
	if options != nil {
		for _, attr := range options.SpecialUse {
			if isSpecialUse(attr) {
				info.specialUse = append(info.specialUse, attr)
			}
		}
	}
	s.user.mu.Lock()
	s.user.boxes[name] = info
	s.user.mu.Unlock()
	return nil
}

func (s *imapSession) Delete(name string) error {
	if strings.EqualFold(name, "INBOX") {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "INBOX cannot be deleted"}
	}
	if err := s.UserSession.Delete(name); err != nil {
		return err
	}
	s.user.mu.Lock()
	delete(s.user.boxes, name)
	s.user.mu.Unlock()
	return nil
}

func (s *imapSession) Rename(oldName, newName string, options *imap.RenameOptions) error {
	// RFC 9051 renames INBOX by moving its messages and keeping INBOX; imapmemserver would
	// drop INBOX altogether, so the demo refuses.
	if strings.EqualFold(oldName, "INBOX") {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "the demo server cannot rename INBOX"}
	}
	newName = strings.TrimRight(newName, string(imapDelim))
	if err := s.UserSession.Rename(oldName, newName, options); err != nil {
		return err
	}
	s.user.mu.Lock()
	if info, ok := s.user.boxes[oldName]; ok {
		delete(s.user.boxes, oldName)
		s.user.boxes[newName] = info
	}
	s.user.mu.Unlock()
	return nil
}

func (s *imapSession) Subscribe(name string) error   { return s.setSubscribed(name, true) }
func (s *imapSession) Unsubscribe(name string) error { return s.setSubscribed(name, false) }

func (s *imapSession) setSubscribed(name string, on bool) error {
	var err error
	if on {
		err = s.UserSession.Subscribe(name)
	} else {
		err = s.UserSession.Unsubscribe(name)
	}
	if err != nil {
		return err
	}
	s.user.mu.Lock()
	if info, ok := s.user.boxes[name]; ok {
		info.subscribed = on
	}
	s.user.mu.Unlock()
	return nil
}

// List answers LIST, LSUB and LIST-EXTENDED from the mailbox record. Special-use attributes are
// sent with every LIST (as Dovecot does), not only when RETURN (SPECIAL-USE) asks for them.
func (s *imapSession) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if options == nil {
		options = &imap.ListOptions{}
	}
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: imapDelim})
	}
	for _, e := range s.user.entries() {
		if !matchAny(e.name, ref, patterns) {
			continue
		}
		if options.SelectSubscribed && !e.info.subscribed {
			continue
		}
		if options.SelectSpecialUse && len(e.info.specialUse) == 0 {
			continue
		}
		data := imap.ListData{Mailbox: e.name, Delim: imapDelim}
		if e.info.subscribed && (options.SelectSubscribed || options.ReturnSubscribed) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		data.Attrs = append(data.Attrs, e.info.specialUse...)
		if options.ReturnStatus != nil {
			st, err := s.user.Status(e.name, options.ReturnStatus)
			if err != nil {
				continue // deleted by another session since entries() was taken
			}
			data.Status = st
		}
		if err := w.WriteList(&data); err != nil {
			return err
		}
	}
	return nil
}

func matchAny(name, ref string, patterns []string) bool {
	for _, p := range patterns {
		if imapserver.MatchList(name, imapDelim, ref, p) {
			return true
		}
	}
	return false
}

func isSpecialUse(a imap.MailboxAttr) bool {
	switch a {
	case imap.MailboxAttrAll, imap.MailboxAttrArchive, imap.MailboxAttrDrafts, imap.MailboxAttrFlagged,
		imap.MailboxAttrJunk, imap.MailboxAttrSent, imap.MailboxAttrTrash, imap.MailboxAttrImportant:
		return true
	}
	return false
}

// imapCaps is what the demo server advertises: IMAP4rev1 with the extensions imapmemserver
// implements. No CONDSTORE (imapmemserver has no mod-sequences), so clients use their fallback.
func imapCaps() imap.CapSet {
	return imap.CapSet{
		imap.CapIMAP4rev1:        {},
		imap.CapNamespace:        {},
		imap.CapUIDPlus:          {},
		imap.CapESearch:          {},
		imap.CapListExtended:     {},
		imap.CapListStatus:       {},
		imap.CapMove:             {},
		imap.CapStatusSize:       {},
		imap.CapSpecialUse:       {},
		imap.CapCreateSpecialUse: {},
		imap.CapLiteralPlus:      {},
	}
}
