package accounts

import (
	"slices"

	scrub "postbode/internal/redact"
	"postbode/localcache"
)

// Event is something an engine reports. Every event names its account.
type Event interface{ AccountName() string }

// State is an account's connection state.
type State string

const (
	StateOffline    State = "offline"
	StateConnecting State = "connecting"
	StateOnline     State = "online"
	StateSyncing    State = "syncing"
	StateError      State = "error"
	// StateWaiting: a polling account (POP3) checked successfully and is disconnected until the next check.
	StateWaiting State = "waiting"
)

// ConnState reports a change of connection state; Err says why for offline and error.
type ConnState struct {
	Account string
	State   State
	Err     error
}

// SyncProgress reports how far a long piece of work is (first sync, big downloads).
type SyncProgress struct {
	Account, Folder string
	Done, Total     int
}

// NewMail reports messages that arrived in a folder.
type NewMail struct {
	Account, Folder string
	Messages        []localcache.Message
}

// Error reports a failed operation (a refused replay, a failed send). It is shown to the user.
type Error struct {
	Account, Op string
	Err         error
}

// Notice is a warning the user should see once, e.g. "this POP3 server has no UIDL".
type Notice struct {
	Account, Text string
}

// Sent reports that a message left the outbox: the server accepted it and its Sent copy is filed.
type Sent struct {
	Account, Subject string
}

// Redact returns ev with the account's credentials, and whatever looks like an encoded credential,
// removed from the text of its error: the last line of defence for server replies that echo a
// password or an AUTH string, whichever engine let them through. Errors keep their chain, so
// errors.Is and errors.As still work on the result.
func (m *Manager) Redact(ev Event) Event {
	switch e := ev.(type) {
	case ConnState:
		if e.Err != nil {
			e.Err = m.redactErr(e.Account, e.Err)
		}
		return e
	case Error:
		if e.Err != nil {
			e.Err = m.redactErr(e.Account, e.Err)
		}
		return e
	}
	return ev
}

// redactErr removes the account's password and the encoded forms of its logins (incoming and
// outgoing user names may differ) from err's text.
func (m *Manager) redactErr(account string, err error) error {
	var password string
	if m.secrets != nil {
		password, _ = m.secrets.Get(account)
	}
	var users []string
	if acc, ok := m.Account(account); ok {
		for _, u := range []string{acc.Incoming.User, acc.Email, acc.Outgoing.User} {
			if u != "" && !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
	}
	if len(users) == 0 {
		users = []string{""}
	}
	for _, u := range users {
		err = scrub.Error(err, scrub.Secrets{User: u, Password: password})
	}
	return err
}

func (e ConnState) AccountName() string    { return e.Account }
func (e SyncProgress) AccountName() string { return e.Account }
func (e NewMail) AccountName() string      { return e.Account }
func (e Error) AccountName() string        { return e.Account }
func (e Notice) AccountName() string       { return e.Account }
func (e Sent) AccountName() string         { return e.Account }

// Request is a user intent posted to the Manager. Each returns once the local change is made.
type Request interface{ isRequest() }

// MarkRead marks messages read or unread.
type MarkRead struct {
	IDs  []int64
	Read bool
}

// SetFlag sets or clears a flag (normally FlagFlagged) on messages.
type SetFlag struct {
	IDs  []int64
	Flag localcache.Flags
	On   bool
}

// Move moves messages to another folder of the same account.
type Move struct {
	IDs []int64
	To  int64
}

// Delete moves messages to the account's Trash; messages already in Trash are deleted for good.
type Delete struct{ IDs []int64 }

// CheckNow asks engines to connect and look for new mail now ("" for every account).
type CheckNow struct{ Account string }

// CreateFolder makes a new folder.
type CreateFolder struct{ Account, Name string }

// RenameFolder renames a folder.
type RenameFolder struct {
	FolderID int64
	NewName  string
}

// DeleteFolder deletes a folder and its messages.
type DeleteFolder struct{ FolderID int64 }

func (MarkRead) isRequest()     {}
func (SetFlag) isRequest()      {}
func (Move) isRequest()         {}
func (Delete) isRequest()       {}
func (CheckNow) isRequest()     {}
func (CreateFolder) isRequest() {}
func (RenameFolder) isRequest() {}
func (DeleteFolder) isRequest() {}
