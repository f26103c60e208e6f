package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/mailfmt"
	"postbode/types"
)

// maxAttachBytes bounds one attached file (most servers refuse much less).
const maxAttachBytes = 50 << 20

// composer is a window for writing a message.
type composer struct {
	u        *ui
	win      fyne.Window
	from     *widget.Select
	choices  []fromChoice // what From offers: every identity of every account
	to       *addressEntry
	cc       *addressEntry
	bcc      *addressEntry
	subject  *composerEntry
	body     *composerEntry
	attachBx *fyne.Container
	status   *widget.Label
	send     *widget.Button
	save     *widget.Button
	float    *fyne.Container // layer for the address suggestions
	base     Draft
	files    []mailfmt.Attachment
	busy     bool
	initial  string               // the fields as opened, to know whether closing loses anything
	done     bool                 // sent: closing loses nothing
	asking   *dialog.CustomDialog // the close prompt, while it is shown

	slot       *autosaveSlot  // the profile's copy of unsaved text (see autosave)
	timer      *time.Timer    // autosave after a pause in typing
	stopKeep   func()         // stops the timer that keeps the text in the profile (set with timer)
	autosaved  string         // the fields as last autosaved
	kept       string         // the fields as last kept in the profile by keep
	userSaved  bool           // the user saved a draft (not only autosave)
	fromDrafts bool           // opened from a saved draft
	sigFrom    types.Identity // the identity whose signature the text carries
}

// fromChoice is an identity to send from, and its account.
type fromChoice struct {
	account string
	id      types.Identity
}

// openComposer opens a composer window prefilled with d.
func (u *ui) openComposer(d Draft) *composer {
	c := &composer{u: u, base: d, files: slices.Clone(d.Attachments), slot: &autosaveSlot{}, fromDrafts: d.Replaces != 0}
	c.win = u.app.NewWindow(tr("Write: {{.Subject}}", map[string]any{"Subject": d.Subject}))
	if d.Subject == "" {
		c.win.SetTitle(tr("New message"))
	}
	var labels []string
	for _, name := range accountNames(u.deps.Manager, nil) {
		acc, _ := u.deps.Manager.Account(name)
		for _, id := range acc.AllIdentities() {
			c.choices = append(c.choices, fromChoice{account: name, id: id})
			label := name
			if id.Email != "" {
				label = id.Address().String()
			}
			labels = append(labels, label)
		}
	}
	c.from = widget.NewSelect(labels, nil)
	if i := c.choiceOf(d); i >= 0 {
		c.from.SetSelectedIndex(i)
	} else if len(labels) > 0 {
		c.from.SetSelectedIndex(0)
	}
	c.sigFrom = c.identity()
	c.from.OnChanged = func(string) { c.swapSignature() }
	c.float = container.NewWithoutLayout()
	c.to = newAddressEntry(c, d.To)
	c.cc = newAddressEntry(c, d.Cc)
	c.bcc = newAddressEntry(c, d.Bcc)
	c.subject = newComposerEntry(c, false)
	c.subject.SetText(d.Subject)
	c.subject.OnChanged = func(s string) {
		if s == "" {
			c.win.SetTitle(tr("New message"))
		} else {
			c.win.SetTitle(tr("Write: {{.Subject}}", map[string]any{"Subject": s}))
		}
		c.edited()
	}
	c.body = newComposerEntry(c, true)
	c.body.Wrapping = fyne.TextWrapWord
	c.body.SetText(d.Text)
	c.body.SetPlaceHolder(tr("Write your message here"))
	c.body.OnChanged = func(string) { c.edited() }
	for _, e := range []*addressEntry{c.to, c.cc, c.bcc} {
		check := e.OnChanged
		e.OnChanged = func(s string) {
			check(s)
			c.edited()
		}
	}

	c.send = widget.NewButtonWithIcon(tr("Send"), theme.MailSendIcon(), c.doSend)
	c.send.Importance = widget.HighImportance
	c.save = widget.NewButtonWithIcon(tr("Save draft"), theme.DocumentSaveIcon(), c.doSave)
	attach := widget.NewButtonWithIcon(tr("Attach…"), theme.MailAttachmentIcon(), c.doAttach)
	c.save.Importance, attach.Importance = widget.LowImportance, widget.LowImportance
	c.status = widget.NewLabel("")
	c.status.Importance = widget.LowImportance
	bar := container.NewBorder(nil, nil, container.NewHBox(c.send, c.save, attach), nil, c.status)

	key := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignTrailing, fyne.TextStyle{})
	}
	form := container.New(layout.NewFormLayout(),
		key(tr("From")), c.from,
		key(tr("To")), c.to.view,
		key(tr("Cc")), c.cc.view,
		key(tr("Bcc")), c.bcc.view,
		key(tr("Subject")), c.subject)
	c.attachBx = container.NewVBox()
	c.refreshAttachments()
	top := container.NewVBox(bar, widget.NewSeparator(), form, c.attachBx)
	content := container.NewBorder(top, nil, nil, nil, c.body)
	c.win.SetContent(container.NewStack(container.NewPadded(content), c.float))
	c.win.Resize(fyne.NewSize(780, 640))
	c.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		for _, uri := range uris {
			if uri.Scheme() == "file" {
				if err := c.attachFromPath(uri.Path()); err != nil {
					dialog.ShowError(err, c.win)
				}
			}
		}
	})
	c.win.SetOnClosed(func() {
		c.stopTimers()
		u.composers = slices.DeleteFunc(u.composers, func(x *composer) bool { return x == c })
	})
	u.composers = append(u.composers, c)
	c.initial = c.snapshot()
	c.win.SetCloseIntercept(c.close)
	c.installShortcuts()
	c.win.Show()
	if len(d.To) == 0 {
		c.win.Canvas().Focus(c.to)
	} else {
		c.win.Canvas().Focus(c.body)
		c.body.CursorRow, c.body.CursorColumn = 0, 0
	}
	return c
}

func (c *composer) snapshot() string {
	return strings.Join([]string{c.to.Text, c.cc.Text, c.bcc.Text, c.subject.Text, c.body.Text,
		fmt.Sprint(len(c.files))}, "\x00")
}

// installShortcuts: Ctrl+Enter sends, Ctrl+S saves the draft, Ctrl+W and Esc close (asking
// first when something would be lost), as in Thunderbird's composer. The text fields hand these
// to the composer themselves (composerEntry); the canvas gets them when no field has the focus.
func (c *composer) installShortcuts() {
	cv := c.win.Canvas()
	for _, k := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter, fyne.KeyS, fyne.KeyW} {
		cv.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault},
			func(s fyne.Shortcut) { c.shortcut(s) })
	}
	cv.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			c.close()
		}
	})
}

// shortcut runs the composer's action for s and tells whether there was one.
func (c *composer) shortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	switch cs.KeyName {
	case fyne.KeyReturn, fyne.KeyEnter:
		c.doSend()
	case fyne.KeyS:
		c.doSave()
	case fyne.KeyW:
		c.close()
	default:
		return false
	}
	return true
}

// composerEntry is a text field of the composer. A focused widget.Entry keeps every shortcut and
// Esc to itself, so the field passes the composer's own on.
type composerEntry struct {
	widget.Entry
	c *composer
}

func newComposerEntry(c *composer, multiLine bool) *composerEntry {
	e := &composerEntry{c: c}
	e.MultiLine = multiLine
	e.ExtendBaseWidget(e)
	return e
}

func (e *composerEntry) TypedShortcut(s fyne.Shortcut) {
	if !e.c.shortcut(s) {
		e.Entry.TypedShortcut(s)
	}
}

func (e *composerEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		e.c.close()
		return
	}
	e.Entry.TypedKey(ev)
}

// close asks before throwing away what was written since the window opened or was last saved, and
// offers to save it as a draft.
func (c *composer) close() {
	if c.done || c.snapshot() == c.initial {
		c.forget()
		c.win.Close()
		return
	}
	if c.asking != nil {
		return
	}
	var d *dialog.CustomDialog
	closeAfter := func(fn func()) func() {
		return func() {
			d.Hide()
			c.asking = nil
			fn()
		}
	}
	save := widget.NewButtonWithIcon(tr("Save draft"), theme.DocumentSaveIcon(), closeAfter(func() {
		c.saveThen(func() {
			c.done = true
			c.win.Close()
		})
	}))
	save.Importance = widget.HighImportance
	discard := widget.NewButtonWithIcon(tr("Discard"), theme.DeleteIcon(), closeAfter(func() {
		c.done = true
		c.forget()
		if c.base.Replaces != 0 && !c.fromDrafts && !c.userSaved {
			// Only autosave put it in Drafts; a draft the user had saved stays.
			c.u.do(types.Delete{IDs: []int64{c.base.Replaces}})
		}
		c.win.Close()
	}))
	discard.Importance = widget.DangerImportance
	keep := widget.NewButton(tr("Keep writing"), closeAfter(func() {}))
	d = dialog.NewCustomWithoutButtons(tr("Save this message as a draft?"),
		widget.NewLabel(tr("What you wrote has not been sent or saved as a draft.")), c.win)
	d.SetButtons([]fyne.CanvasObject{keep, discard, save})
	d.SetOnClosed(func() { c.asking = nil })
	c.asking = d
	d.Show()
}

// choiceOf finds d's identity among the From choices: its From address in its account, else
// that account's own identity (-1: the account is unknown).
func (c *composer) choiceOf(d Draft) int {
	first := -1
	for i, ch := range c.choices {
		if ch.account != d.Account {
			continue
		}
		if strings.EqualFold(ch.id.Email, d.From.Email) {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// account is the account chosen to send from ("" when there is none).
func (c *composer) account() string {
	if i := c.from.SelectedIndex(); i >= 0 && i < len(c.choices) {
		return c.choices[i].account
	}
	return ""
}

// identity is the identity chosen to send from (zero when there is none).
func (c *composer) identity() types.Identity {
	if i := c.from.SelectedIndex(); i >= 0 && i < len(c.choices) {
		return c.choices[i].id
	}
	return types.Identity{}
}

// swapSignature follows a change of the sender: the old identity's signature in the text becomes
// the new one's.
func (c *composer) swapSignature() {
	old, id := c.sigFrom, c.identity()
	c.sigFrom = id
	if old.Signature != id.Signature {
		c.body.SetText(mailfmt.ReplaceSignature(c.body.Text, old.Signature, id.Signature))
	}
}

// draft collects the fields; an address that cannot be parsed is an error naming it.
func (c *composer) draft() (Draft, error) {
	d := c.base
	if a := c.account(); a != "" {
		d.Account, d.From = a, c.identity().Address()
	}
	var errs []error
	var err error
	if d.To, err = parseAddresses(c.to.Text); err != nil {
		errs = append(errs, err)
	}
	if d.Cc, err = parseAddresses(c.cc.Text); err != nil {
		errs = append(errs, err)
	}
	if d.Bcc, err = parseAddresses(c.bcc.Text); err != nil {
		errs = append(errs, err)
	}
	d.Subject = c.subject.Text
	d.Text = c.body.Text
	d.Attachments = slices.Clone(c.files)
	return d, errors.Join(errs...)
}

func (c *composer) doSend() {
	if c.busy {
		return
	}
	d, err := c.draft()
	if err != nil {
		for _, e := range []*addressEntry{c.to, c.cc, c.bcc} {
			e.check(true)
		}
		dialog.ShowError(err, c.win)
		return
	}
	if len(d.To)+len(d.Cc)+len(d.Bcc) == 0 {
		dialog.ShowInformation(tr("Send"), tr("Add at least one recipient."), c.win)
		return
	}
	if d.Account == "" {
		dialog.ShowInformation(tr("Send"), tr("There is no account to send from."), c.win)
		return
	}
	if c.u.deps.Sender == nil {
		dialog.ShowInformation(tr("Sending is not available"),
			tr("This build of Postbode cannot send mail yet. Your text is still here: use Save draft to keep it."), c.win)
		return
	}
	d.Hold = c.u.prefs.undoSendDelay()
	var queued int64
	c.run(tr("Sending…"), func(ctx context.Context) error {
		var err error
		if queued, err = c.u.deps.Sender.Send(ctx, d); err != nil {
			return err
		}
		c.dropAutosave(ctx)
		return nil
	}, func() {
		c.done = true
		c.forget()
		c.win.Close()
		if d.Hold > 0 {
			c.u.offerUnsend(queued, d.Hold)
		}
	}, c.failed(tr("The message was not sent")))
}

// failed shows an error of the composer's in a dialog, after what failed.
func (c *composer) failed(what string) func(error) {
	return func(err error) { dialog.ShowError(fmt.Errorf("%s: %w", what, err), c.win) }
}

// run does a Sender call off the UI goroutine with the composer marked busy, then calls failed or
// done on the UI goroutine.
func (c *composer) run(busy string, op func(context.Context) error, done func(), failed func(error)) {
	c.setBusy(true, busy)
	c.u.tasks.writes.post("", func(ctx context.Context) {
		err := op(ctx)
		c.u.exec(func() {
			c.setBusy(false, "")
			if err != nil {
				failed(err)
				return
			}
			done()
		})
	})
}

// storeDraft saves d in Drafts, replacing the copy saved before; the profile's autosaved copy is
// then no longer needed.
func (c *composer) storeDraft(d Draft, failed func(error), done func()) {
	var saved int64
	c.run(tr("Saving…"), func(ctx context.Context) error {
		var err error
		if saved, err = c.u.deps.Sender.SaveDraft(ctx, d); err != nil {
			return err
		}
		c.dropAutosave(ctx)
		return nil
	}, func() {
		// The next save replaces this copy rather than adding another one to Drafts.
		c.base.Replaces = saved
		done()
	}, failed)
}

func (c *composer) doSave() { c.saveThen(func() {}) }

// saveThen saves the draft and, once it is stored, calls then on the UI goroutine.
func (c *composer) saveThen(then func()) {
	if c.busy {
		return
	}
	d, err := c.draft()
	if err != nil {
		dialog.ShowError(err, c.win)
		return
	}
	if c.u.deps.Sender == nil {
		dialog.ShowInformation(tr("Saving drafts is not available"),
			tr("This build of Postbode cannot save drafts yet."), c.win)
		return
	}
	c.storeDraft(d, c.failed(tr("The draft was not saved")), func() {
		c.userSaved = true
		c.status.SetText(tr("Draft saved"))
		c.initial = c.snapshot()
		c.autosaved = c.initial
		then()
	})
}

func (c *composer) setBusy(busy bool, text string) {
	c.busy = busy
	c.status.SetText(text)
	if busy {
		c.send.Disable()
		c.save.Disable()
	} else {
		c.send.Enable()
		c.save.Enable()
	}
}

func (c *composer) doAttach() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, c.win)
			return
		}
		if rc == nil {
			return
		}
		c.u.tasks.spawn(func(ctx context.Context) {
			defer rc.Close()
			data, err := io.ReadAll(io.LimitReader(rc, maxAttachBytes+1))
			if err == nil && len(data) > maxAttachBytes {
				err = fmt.Errorf("%s: %s", rc.URI().Name(), tr("the file is larger than 50 MB"))
			}
			c.u.exec(func() {
				if err != nil {
					dialog.ShowError(err, c.win)
					return
				}
				c.addFile(mailfmt.Attachment{Name: rc.URI().Name(), ContentType: rc.URI().MimeType(), Data: data})
			})
		})
	}, c.win)
	d.Show()
}

func (c *composer) addFile(a mailfmt.Attachment) {
	c.files = append(c.files, a)
	c.refreshAttachments()
	c.edited()
}

func (c *composer) refreshAttachments() {
	c.attachBx.Objects = nil
	for i, a := range c.files {
		i := i
		remove := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() {
			c.files = slices.Delete(c.files, i, i+1)
			c.refreshAttachments()
			c.edited()
		})
		remove.Importance = widget.LowImportance
		size := newDimText(formatSize(int64(len(a.Data))), theme.SizeNameText)
		size.Truncation = fyne.TextTruncateOff
		name := widget.NewLabel(a.Name)
		name.Truncation = fyne.TextTruncateEllipsis
		c.attachBx.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.MailAttachmentIcon()),
			container.NewHBox(size, remove), name))
	}
	c.attachBx.Refresh()
}

// parseAddresses reads a comma-separated address field leniently; what it cannot read is an error
// that quotes it.
func parseAddresses(s string) ([]mailfmt.Address, error) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), ",;"))
	if s == "" {
		return nil, nil
	}
	if list, err := mail.ParseAddressList(s); err == nil {
		out := make([]mailfmt.Address, len(list))
		for i, a := range list {
			out[i] = mailfmt.Address{Name: a.Name, Email: a.Address}
		}
		return out, nil
	}
	var out []mailfmt.Address
	var bad []string
	parts, _ := splitAddressField(s)
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := mail.ParseAddress(part)
		if err != nil {
			bad = append(bad, part)
			continue
		}
		out = append(out, mailfmt.Address{Name: a.Name, Email: a.Address})
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("%s: %s", tr("Not an e-mail address"), strings.Join(bad, ", "))
	}
	return out, nil
}

// splitAddressField cuts an address field at the commas and semicolons between addresses, not at
// those inside a quoted name ("Doe, Jane" <jane@example.org>), a comment or angle brackets. The
// last part is what follows the last separator (the address being typed); last is where it starts.
func splitAddressField(s string) (parts []string, last int) {
	var quoted, escaped, angle bool
	comment := 0
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && (quoted || comment > 0):
			escaped = true
		case quoted:
			quoted = r != '"'
		case comment > 0:
			if r == '(' {
				comment++
			} else if r == ')' {
				comment--
			}
		case angle:
			angle = r != '>'
		case r == '"':
			quoted = true
		case r == '(':
			comment++
		case r == '<':
			angle = true
		case r == ',' || r == ';':
			parts = append(parts, s[last:i])
			last = i + 1
		}
	}
	return append(parts, s[last:]), last
}

// parseAddressList reads an address header kept in the index ("Name <a@b>, c@d").
func parseAddressList(s string) []mailfmt.Address {
	as, _ := parseAddresses(s)
	return as
}

// formatAddresses writes addresses for an address field as people type them: a name is quoted
// only when it holds characters that would end it ("Doe, Jane" <jane@example.org>), and non-ASCII
// names stay readable (no encoded words).
func formatAddresses(as []mailfmt.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		switch {
		case a.Name == "":
			parts[i] = a.Email
		case strings.ContainsAny(a.Name, `,;:<>@"()[]\.`):
			parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a.Name) + `" <` + a.Email + ">"
		default:
			parts[i] = a.Name + " <" + a.Email + ">"
		}
	}
	return strings.Join(parts, ", ")
}

func readPart(raw []byte, p mailfmt.Part) ([]byte, error) {
	rd, _, err := mailfmt.OpenPart(bytes.NewReader(raw), p.Path, mailfmt.DefaultLimits)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(rd, maxAttachBytes))
}

// attachFromPath adds a file dropped on the window.
func (c *composer) attachFromPath(path string) error {
	if fi, err := os.Stat(path); err != nil {
		return err
	} else if fi.Size() > maxAttachBytes {
		return fmt.Errorf("%s: %s", filepath.Base(path), tr("the file is larger than 50 MB"))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	c.addFile(mailfmt.Attachment{Name: filepath.Base(path), Data: data})
	return nil
}
