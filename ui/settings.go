package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"postbode/localcache"
)

// Theme choices of the preferences window.
const (
	themeSystem = ""      // follow the desktop; light when it says nothing
	themeLight  = "light" // always light
	themeDark   = "dark"  // always dark
)

// settings are the window's choices and state. They live in one file of the profile (beside
// accounts.json), so the demo, each --profile and the real profile keep their own instead of all
// sharing Fyne's one preferences file per application.
type settings struct {
	Theme         string `json:"theme,omitempty"`
	NoNotify      bool   `json:"no_notifications,omitempty"`
	ReaderBelow   bool   `json:"reader_below,omitempty"`
	PlainFixed    bool   `json:"plain_text_fixed_width,omitempty"`
	KeepInTray    bool   `json:"keep_in_tray,omitempty"`
	LastFolder    int64  `json:"last_folder,omitempty"`
	Width, Height float32
	SplitFolders  float64 `json:"split_folders,omitempty"`
	SplitList     float64 `json:"split_list,omitempty"`
	SplitBelow    float64 `json:"split_list_below,omitempty"`
	// Sorts is each list's order by its key ("folder:12", the unified inboxes), when not newest first.
	Sorts map[string]localcache.Sort `json:"sort,omitempty"`
	// UndoSend is how many seconds a sent message waits so that it can be taken back; nil is
	// the default, 0 sends at once.
	UndoSend *int `json:"undo_send_seconds,omitempty"`
	// Threads are the lists (by key) shown as conversations.
	Threads map[string]bool `json:"conversations,omitempty"`
	// RemoteSenders are the addresses (lower case) whose messages load remote images unasked.
	RemoteSenders []string `json:"remote_content_senders,omitempty"`

	path string // "" keeps them in memory only (tests)
}

// loadSettings reads the settings file; a missing file gives the defaults, a damaged one too (it
// holds nothing that cannot be chosen again) but is reported.
func loadSettings(path string) (*settings, error) {
	s := &settings{path: path}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err == nil {
		err = json.Unmarshal(data, s)
	}
	if err != nil {
		*s = settings{path: path}
		return s, fmt.Errorf("read window settings %s: %w", path, err)
	}
	return s, nil
}

// save writes the settings atomically (a crash leaves the old or the new file, never half).
func (s *settings) save() error {
	if s.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("save window settings: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save window settings: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("save window settings: %w", err)
	}
	return nil
}

// defaultUndoSend is the undo send delay until one is chosen (Gmail's default too).
const defaultUndoSend = 5 * time.Second

// undoSendDelay is how long a sent message waits in the outbox, to be taken back.
func (s *settings) undoSendDelay() time.Duration {
	if s.UndoSend == nil {
		return defaultUndoSend
	}
	return time.Duration(max(*s.UndoSend, 0)) * time.Second
}

// orDefault is v, or def when v was never set.
func orDefault[T float32 | float64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
