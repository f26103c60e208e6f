package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2/dialog"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// defaultAutosaveDelay is how long the composer waits after the last change before it saves.
const defaultAutosaveDelay = 30 * time.Second

// autosaveDelay is Deps.AutosaveDelay with its default; negative turns the timer off.
func (u *ui) autosaveDelay() time.Duration {
	if u.deps.AutosaveDelay == 0 {
		return defaultAutosaveDelay
	}
	return u.deps.AutosaveDelay
}

// signed is the opening text of a new message from id: quote (a reply's quote or an inline
// forward, "" for none) with the identity's signature where its setting puts it.
func (u *ui) signed(id types.Identity, quote string) string {
	return mailfmt.Sign(quote, id.Signature, id.SignatureAbove)
}

// identity is the identity of account that a message to the addressed lists is answered from
// (types.Account.ReplyIdentity); with no lists, the account's own.
func (u *ui) identity(account string, addressed ...[]mailfmt.Address) types.Identity {
	acc, _ := u.deps.Manager.Account(account)
	return acc.ReplyIdentity(addressed...)
}

// inDrafts reports whether message id lies in a Drafts folder, where opening it means editing it.
// It asks what the window shows (the reader, the list's selection, the folder pane), not the cache:
// a message the window does not show opens as a message.
func (u *ui) inDrafts(id int64) bool {
	m := u.reader.msg
	if m.ID != id {
		m = localcache.Message{}
		for _, sel := range u.list.selectedMessages() {
			if sel.ID == id {
				m = sel
			}
		}
	}
	if m.ID != id {
		return false
	}
	for _, e := range u.folders.entries {
		if e.folder.ID == m.FolderID {
			return e.folder.Role == localcache.RoleDrafts
		}
	}
	return false
}

// editDraft opens a saved draft in a composer (or brings forward the one already editing it).
// The body is downloaded first when only its header is here.
func (u *ui) editDraft(id int64) {
	for _, c := range u.composers {
		if c.base.Replaces == id {
			c.win.RequestFocus()
			return
		}
	}
	// Its own goroutine: the body may have to come from the server first.
	u.tasks.spawn(func(ctx context.Context) {
		d, err := u.loadDraft(ctx, id)
		u.exec(func() {
			if err != nil {
				u.showError(d.Account, err)
				return
			}
			u.openComposer(d)
		})
	})
}

// loadDraft reads a stored draft back into the composer's terms; saving or sending it replaces it.
func (u *ui) loadDraft(ctx context.Context, id int64) (Draft, error) {
	m, err := u.deps.Cache.Message(ctx, id)
	if err != nil {
		return Draft{}, fmt.Errorf("open draft: %w", err)
	}
	if m.BodyKey == "" {
		if err := u.deps.Manager.FetchBody(ctx, id); err != nil {
			return Draft{Account: m.Account}, fmt.Errorf("open draft %q: %w", m.Subject, err)
		}
		if m, err = u.deps.Cache.Message(ctx, id); err != nil {
			return Draft{Account: m.Account}, fmt.Errorf("open draft: %w", err)
		}
	}
	raw, err := u.deps.Cache.Body(ctx, m.BodyKey)
	if err != nil {
		return Draft{Account: m.Account}, fmt.Errorf("open draft %q: %w", m.Subject, err)
	}
	md, err := mailfmt.ParseDraft(raw)
	if err != nil {
		return Draft{Account: m.Account}, fmt.Errorf("open draft %q: %w", m.Subject, err)
	}
	// The account sends it as itself; the next version gets a Message-ID and date of its own.
	md.From, md.MessageID, md.Date = mailfmt.Address{}, "", time.Time{}
	return Draft{Account: m.Account, Draft: md, Replaces: id}, nil
}

// forwardAttachedFrom opens a composer forwarding the message r shows as an attached message.
func (u *ui) forwardAttachedFrom(r *reader) {
	if r.id == 0 {
		return
	}
	if r.raw == nil {
		parent := r.win
		if parent == nil {
			parent = u.win
		}
		dialog.ShowInformation(tr("Forward as attachment"),
			tr("This message is not downloaded yet. Forward it once its text is shown."), parent)
		return
	}
	o := origin(r.msg, r.parsed)
	id := u.identity(r.msg.Account, o.To, o.Cc)
	d := Draft{Account: r.msg.Account, Draft: mailfmt.Forward(o, r.raw, id.Address(), true)}
	d.Text = u.signed(id, "")
	u.openComposer(d)
}

// composerState is what autosave keeps of a composer: the draft, and the address fields as typed
// (an address not finished yet is kept too).
type composerState struct {
	Draft       Draft
	To, Cc, Bcc string
}

// autosaveSlot is a composer's row in the profile's autosave table. Its jobs run on the write
// queue; the mutex is for the id they share.
type autosaveSlot struct {
	mu sync.Mutex
	id int64
}

func (s *autosaveSlot) put(ctx context.Context, c AutosaveStore, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := c.PutAutosave(ctx, s.id, data)
	if err == nil {
		s.id = id
	}
	return err
}

func (s *autosaveSlot) remove(ctx context.Context, c AutosaveStore) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id == 0 {
		return nil
	}
	return c.RemoveAutosave(ctx, s.id)
}

// online reports whether the account's server is reachable now, as the status line shows it.
func (u *ui) online(account string) bool {
	switch u.status.states[account].State {
	case types.StateOnline, types.StateSyncing, types.StateWaiting:
		return true
	}
	return false
}

// state is the composer's content for autosave, and whether every address can be read: those
// that cannot yet are kept as typed.
func (c *composer) state() (composerState, error) {
	d, err := c.draft()
	return composerState{Draft: d, To: c.to.Text, Cc: c.cc.Text, Bcc: c.bcc.Text}, err
}

// keepDelay is how soon after typing pauses the text is kept in the profile: a crash or a
// killed process a second later loses nothing.
const keepDelay = 300 * time.Millisecond

// edited restarts the autosave timers: once typing has paused the composer keeps the text in
// the profile at once, and saves it to Drafts after the autosave delay.
func (c *composer) edited() {
	c.stopTimers()
	if d := c.u.autosaveDelay(); d > 0 && !c.done {
		c.timer = time.AfterFunc(d, func() { c.u.exec(c.autosave) })
		c.stopKeep = c.u.tasks.after(keepDelay, func() { c.u.exec(c.keep) })
	}
}

func (c *composer) stopTimers() {
	if c.timer != nil {
		c.timer.Stop()
		c.stopKeep()
	}
}

// keep writes what is not kept anywhere yet to the profile, for the next start to reopen.
func (c *composer) keep() {
	snap := c.snapshot()
	if c.done || c.busy || snap == c.initial || snap == c.autosaved || snap == c.kept {
		return
	}
	st, _ := c.state()
	c.kept = snap
	c.keepLocally(st)
}

// autosave keeps what was written since the last save: as the draft in Drafts when the account is
// connected (the profile's copy is then no longer needed), else in the profile, for the next start
// to reopen after a crash.
func (c *composer) autosave() {
	snap := c.snapshot()
	if c.done || c.busy || snap == c.autosaved || snap == c.initial {
		return
	}
	st, addrErr := c.state()
	if addrErr == nil && c.u.deps.Sender != nil && c.u.online(st.Draft.Account) {
		c.storeDraft(st.Draft, func(err error) {
			c.status.SetText(tr("Not saved to Drafts: {{.Err}}", map[string]any{"Err": err.Error()}))
			c.keepLocally(st)
		}, func() {
			c.autosaved = snap
			c.status.SetText(tr("Saved to Drafts at {{.Time}}", map[string]any{"Time": c.u.now().Format("15:04")}))
		})
		return
	}
	c.autosaved = snap
	c.keepLocally(st)
}

// keepLocally writes the composer's state to the profile's autosave table.
func (c *composer) keepLocally(st composerState) {
	data, err := json.Marshal(st)
	if err != nil {
		c.u.showError(st.Draft.Account, fmt.Errorf("autosave: %w", err))
		return
	}
	slot, cache := c.slot, c.u.deps.Autosave
	c.u.tasks.writes.post("", func(ctx context.Context) {
		if err := slot.put(ctx, cache, data); err != nil {
			c.u.exec(func() { c.u.showError(st.Draft.Account, err) })
		}
	})
}

// dropAutosave removes the profile's copy once the text is sent or in Drafts; it runs in the same
// job, so that no crash in between reopens what is already kept. A failure is told, not the send's.
func (c *composer) dropAutosave(ctx context.Context) {
	if err := c.slot.remove(ctx, c.u.deps.Autosave); err != nil {
		c.u.exec(func() { c.u.showError("", err) })
	}
}

// forget drops the composer's autosaved copy in the profile (sent, saved as a draft, discarded).
func (c *composer) forget() {
	c.stopTimers()
	c.u.tasks.writes.post("", c.dropAutosave)
}

// keepComposers saves every open composer's unsaved text in the profile before the main window
// goes: the next start reopens it.
func (u *ui) keepComposers() {
	for _, c := range u.composers {
		if c.done || c.snapshot() == c.initial || c.snapshot() == c.autosaved {
			continue
		}
		st, _ := c.state()
		data, err := json.Marshal(st)
		if err == nil {
			err = c.slot.put(context.Background(), u.deps.Autosave, data)
		}
		if err != nil {
			u.showError("", fmt.Errorf("autosave: %w", err))
		}
	}
}

// restoreComposers reopens what composers held when Postbode last ended without it being sent
// or saved as a draft, and says so.
func (u *ui) restoreComposers() {
	saved, err := u.deps.Autosave.Autosaves(u.ctx)
	if err != nil {
		u.showError("", err)
		return
	}
	var errs []error
	for _, a := range saved {
		var st composerState
		if err := json.Unmarshal(a.Data, &st); err != nil {
			errs = append(errs, fmt.Errorf("autosaved message %d: %w", a.ID, err))
			continue
		}
		c := u.openComposer(st.Draft)
		c.slot.id = a.ID
		c.to.SetText(st.To)
		c.cc.SetText(st.Cc)
		c.bcc.SetText(st.Bcc)
		if st.To != "" {
			c.win.Canvas().Focus(c.body) // openComposer saw no recipient yet
		}
		c.initial = "" // closing it asks: it is still neither sent nor saved
		c.autosaved = c.snapshot()
		c.status.SetText(tr("Restored"))
	}
	if len(saved) > len(errs) {
		u.banners.add(bannerNotice, "", tr("Postbode ended while you were writing: what you had not sent or saved as a draft is open again."))
	}
	u.showError("", errors.Join(errs...))
}

// stripQuotePrefix is the quote of a reply or forward text as mailfmt writes it ("\n\n" first).
func stripQuotePrefix(text string) string { return strings.TrimPrefix(text, "\n\n") }
