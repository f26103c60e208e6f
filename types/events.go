package types

import (
	"time"

	"postbode/localcache"
	"postbode/mailfmt"
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

// ChangesQueued reports that an engine queued changes for another account: a move between accounts
// removes its original once the copy is safe. The Manager wakes that account's engine.
type ChangesQueued struct {
	Account string
}

// Sent reports that a message left the outbox: the server accepted it and its Sent copy is filed.
type Sent struct {
	Account, Subject string
}

func (e ConnState) AccountName() string     { return e.Account }
func (e SyncProgress) AccountName() string  { return e.Account }
func (e NewMail) AccountName() string       { return e.Account }
func (e Error) AccountName() string         { return e.Account }
func (e Notice) AccountName() string        { return e.Account }
func (e ChangesQueued) AccountName() string { return e.Account }
func (e Sent) AccountName() string          { return e.Account }

// Request is a user intent posted to the Manager. Each returns once the local change is made.
type Request interface{ isRequest() }

// MarkRead marks messages read or unread: those of IDs, and every message of Folders (a whole
// folder selected), which is changed in one statement and replayed as one UID range rather than
// listed message by message.
type MarkRead struct {
	IDs     []int64
	Folders []int64
	Read    bool
}

// SetFlag sets or clears a flag (normally FlagFlagged) on messages.
type SetFlag struct {
	IDs  []int64
	Flag localcache.Flags
	On   bool
}

// Move moves messages to another folder. Into another account it is a copy of the exact bytes,
// and the originals are removed only once the copies are safe.
type Move struct {
	IDs []int64
	To  int64
}

// Copy copies messages into a folder of any account: their exact bytes, with their flags.
type Copy struct {
	IDs []int64
	To  int64
}

// Delete moves messages to the account's Trash; messages already in Trash are deleted for good.
type Delete struct{ IDs []int64 }

// MarkJunk marks messages as junk (keyword $Junk, moved to the account's Junk folder) or, with
// Junk false, as not junk ($NotJunk, moved from Junk to the inbox).
type MarkJunk struct {
	IDs  []int64
	Junk bool
	// Auto is a filter's verdict, not the user's: the junk filter does not learn from it.
	Auto bool
}

// Archive moves messages into their account's Archive folder (made when it is missing).
type Archive struct{ IDs []int64 }

// AddKeyword adds a keyword (a tag, e.g. set by a filter rule) to messages.
type AddKeyword struct {
	IDs     []int64
	Keyword string
}

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
func (Copy) isRequest()         {}
func (Delete) isRequest()       {}
func (MarkJunk) isRequest()     {}
func (Archive) isRequest()      {}
func (AddKeyword) isRequest()   {}
func (CheckNow) isRequest()     {}
func (CreateFolder) isRequest() {}
func (RenameFolder) isRequest() {}
func (DeleteFolder) isRequest() {}

// Send queues a message for sending from an account.
type Send struct {
	Account string
	Draft   mailfmt.Draft
	// Replaces is the saved draft the message was written from (0: none); it leaves Drafts once
	// the message is safely in the outbox.
	Replaces int64
	// Hold keeps the message in the outbox this long before it is sent, so that it can be taken
	// back (undo send); 0 sends at once.
	Hold time.Duration
}

// SaveDraft stores a draft in the account's Drafts folder, replacing the previous version (0: none).
type SaveDraft struct {
	Account  string
	Draft    mailfmt.Draft
	Replaces int64
}

func (Send) isRequest()      {}
func (SaveDraft) isRequest() {}
