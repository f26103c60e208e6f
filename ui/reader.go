package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"net/url"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// reader is the message pane: headers, the body as safe rich text, and attachments.
type reader struct {
	svc   *services
	hooks readerHooks
	root  *fyne.Container

	placeholder *fyne.Container
	phIcon      *widget.Icon
	phText      *widget.RichText

	page     fyne.CanvasObject
	subject  *widget.Label
	from     *widget.Label
	date     *widget.RichText
	junk     string // the junk filter's score of the message shown, when it is trained
	to, cc   *widget.Label
	ccKey    fyne.CanvasObject
	remote   fyne.CanvasObject
	status   *widget.Label
	activity *widget.Activity
	body     *fyne.Container
	content  *fyne.Container
	scroll   *container.Scroll
	attach   *fyne.Container
	attachBx fyne.CanvasObject

	id       int64
	msg      localcache.Message
	parsed   *mailfmt.Message
	raw      []byte
	gen      int
	stopMark func()
	fetching int64
	tmpDir   string

	// win is the window of a message opened on its own (nil: the pane of the main window).
	win  fyne.Window
	tips *tipLayer // the tooltips of the reader's window

	pics       map[string]image.Image // the message's pictures by source ("cid:...", remote URL)
	attachPics []image.Image          // image attachments no cid: reference shows
	remoteOK   bool                   // remote images of this message may be loaded
	remoteBtns []*widget.Button       // "Load once" and "Always for this sender"
	stopFetch  func()                 // cancels the loading of remote pictures
}

// window is where the reader's dialogs belong.
func (r *reader) window() fyne.Window {
	if r.win != nil {
		return r.win
	}
	return r.svc.win
}

// updateActions tells the window that the reader's message changed.
func (r *reader) updateActions() {
	if r.hooks.shown != nil {
		r.hooks.shown()
	}
}

func newReader(svc *services, hooks readerHooks) *reader {
	r := &reader{svc: svc, hooks: hooks, tips: svc.tips}
	r.phIcon = widget.NewIcon(theme.NewDisabledResource(theme.MailComposeIcon()))
	r.phText = newDimText(tr("No message selected"), theme.SizeNameText)
	r.phText.Truncation = fyne.TextTruncateOff
	icon := container.NewGridWrap(fyne.NewSquareSize(64), r.phIcon)
	r.placeholder = container.NewCenter(container.NewVBox(container.NewCenter(icon), r.phText))

	r.subject = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.subject.Wrapping = fyne.TextWrapWord
	r.subject.SizeName = theme.SizeNameSubHeadingText
	r.subject.Selectable = true
	r.from = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.from.Truncation = fyne.TextTruncateEllipsis
	r.from.Selectable = true
	r.date = newDimText("", theme.SizeNameText)
	r.date.Truncation = fyne.TextTruncateOff
	r.to = headerValue()
	r.cc = headerValue()
	r.ccKey = headerKey(tr("Cc"))
	fields := container.New(layout.NewFormLayout(),
		headerKey(tr("To")), r.to,
		r.ccKey, r.cc)
	header := container.New(&tightVBox{},
		r.subject,
		container.NewBorder(nil, nil, nil, r.date, r.from),
		fields)

	note := widget.NewLabel(tr("Remote content was blocked"))
	note.Wrapping = fyne.TextWrapWord
	once := widget.NewButton(tr("Load once"), r.loadRemote)
	always := widget.NewButton(tr("Always for this sender"), r.allowSender)
	r.remoteBtns = []*widget.Button{once, always}
	r.remote = newNoteBox(theme.InfoIcon(), container.NewBorder(nil, nil, nil, container.NewHBox(once, always), note))
	r.remote.Hide()

	r.status = widget.NewLabel("")
	r.status.Wrapping = fyne.TextWrapWord
	r.status.Importance = widget.LowImportance
	r.activity = widget.NewActivity()
	r.activity.Hide()
	r.body = container.NewVBox()
	r.content = container.NewVBox(r.remote, container.NewHBox(r.activity, r.status),
		container.NewThemeOverride(r.body, htmlTheme{}))
	r.scroll = container.NewVScroll(container.NewPadded(r.content))

	r.attach = container.NewVBox()
	r.attachBx = container.NewVBox(widget.NewSeparator(), r.attach)
	r.attachBx.Hide()

	r.page = container.NewBorder(
		container.NewVBox(container.NewPadded(header), widget.NewSeparator()),
		r.attachBx, nil, nil, r.scroll)
	r.page.Hide()
	r.root = container.NewStack(r.placeholder, r.page)
	return r
}

func headerKey(s string) fyne.CanvasObject {
	rt := newDimText(s, theme.SizeNameText)
	rt.Truncation = fyne.TextTruncateOff
	return rt
}

func headerValue() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	return l
}

func (r *reader) view() fyne.CanvasObject { return r.root }

func (r *reader) stopTimer() {
	if r.stopMark != nil {
		r.stopMark()
		r.stopMark = nil
	}
}

// clear shows the empty pane.
func (r *reader) clear() {
	r.stopTimer()
	r.stopPictures()
	r.gen++
	r.id, r.parsed, r.raw, r.pics, r.attachPics = 0, nil, nil, nil, nil
	r.msg = localcache.Message{}
	setDimText(r.phText, tr("No message selected"))
	r.page.Hide()
	r.placeholder.Show()
	r.placeholder.Refresh()
	r.updateActions()
}

// showMany is the pane while several messages are selected.
func (r *reader) showMany(n int) {
	r.clear()
	setDimText(r.phText, trN("{{.Count}} messages selected", n))
}

// show opens a message: headers at once, the body when it is stored, and a download otherwise.
func (r *reader) show(id int64) {
	r.stopTimer()
	r.stopPictures()
	r.gen++
	gen := r.gen
	r.id = id
	r.svc.tasks.reads.post("reader", func(ctx context.Context) {
		m, raw, parsed, err := r.load(ctx, id)
		pics, attachPics := messagePictures(ctx, raw, parsed)
		junk := ""
		if score, ready, jerr := r.svc.deps.Manager.JunkScore(ctx, m.Account, raw); jerr == nil && ready {
			junk = tr("junk score {{.Percent}} %", map[string]any{"Percent": int(score*100 + 0.5)})
		}
		r.svc.exec(func() {
			if gen != r.gen {
				return
			}
			r.pics, r.attachPics, r.remoteOK, r.junk = pics, attachPics, false, junk
			var perr parseError
			switch {
			case errors.As(err, &perr):
				r.render(m, raw, nil)
				r.setStatus(tr("This message could not be read: {{.Err}}", map[string]any{"Err": perr.Error()}), false)
			case errors.Is(err, localcache.ErrNotFound):
				r.gone() // deleted meanwhile; the list follows with the change notification
			case err != nil:
				r.clear()
				r.svc.showError(m.Account, err)
			default:
				r.render(m, raw, parsed)
			}
		})
	})
}

// gone is what happens when the message shown is deleted: the pane clears, a window of its own
// closes.
func (r *reader) gone() {
	if r.win != nil {
		r.win.Close()
		return
	}
	r.clear()
}

// parseError is a stored message that mailfmt could not read; its headers are still shown.
type parseError struct{ error }

func (r *reader) load(ctx context.Context, id int64) (localcache.Message, []byte, *mailfmt.Message, error) {
	m, err := r.svc.deps.Cache.Message(ctx, id)
	if err != nil || m.BodyKey == "" {
		return m, nil, nil, err
	}
	raw, err := r.svc.deps.Cache.Body(ctx, m.BodyKey)
	if errors.Is(err, localcache.ErrNotFound) {
		return m, nil, nil, nil // treated as not downloaded
	}
	if err != nil {
		return m, nil, nil, err
	}
	parsed, err := mailfmt.Parse(bytes.NewReader(raw), mailfmt.DefaultLimits)
	if err != nil {
		return m, raw, nil, parseError{err}
	}
	return m, raw, parsed, nil
}

func (r *reader) render(m localcache.Message, raw []byte, parsed *mailfmt.Message) {
	r.msg, r.raw, r.parsed = m, raw, parsed
	r.placeholder.Hide()
	r.page.Show()

	subject, from, to, cc, date := m.Subject, senderLine(m.FromName, m.FromAddr), m.To, m.Cc, m.Date
	if parsed != nil {
		if parsed.Subject != "" {
			subject = parsed.Subject
		}
		if len(parsed.From) > 0 {
			from = parsed.From[0].String()
		}
		to, cc = joinAddresses(parsed.To), joinAddresses(parsed.Cc)
		if !parsed.Date.IsZero() {
			date = parsed.Date
		}
	}
	if strings.TrimSpace(subject) == "" {
		subject = tr("(no subject)")
	}
	r.subject.SetText(oneLine(subject))
	if r.win != nil {
		r.win.SetTitle(oneLine(subject))
	}
	r.from.SetText(oneLine(from))
	if r.junk != "" {
		setDimText(r.date, fullDate(date)+" · "+r.junk)
	} else {
		setDimText(r.date, fullDate(date))
	}
	r.to.SetText(to)
	r.cc.SetText(cc)
	if cc == "" {
		r.ccKey.Hide()
		r.cc.Hide()
	} else {
		r.ccKey.Show()
		r.cc.Show()
	}

	r.body.Objects = nil
	r.remote.Hide()
	for _, b := range r.remoteBtns {
		b.Enable()
	}
	r.activity.Stop()
	r.activity.Hide()
	r.status.SetText("")
	r.status.Hide()
	switch {
	case parsed != nil:
		r.renderBody()
		if parsed.RemoteContentBlocked > 0 {
			if r.svc.prefs.allowsRemote(r.sender()) {
				r.loadRemote()
			} else {
				r.remote.Show()
			}
		}
	case raw != nil:
		// Parse failure: the caller sets the reason.
	default:
		r.setStatus(tr("Downloading…"), true)
		r.fetch(m.ID)
	}
	r.content.Refresh()
	r.scroll.ScrollToTop()
	r.showAttachments()
	r.page.Refresh()
	r.scheduleMarkRead()
	r.updateActions()
}

func (r *reader) setStatus(text string, busy bool) {
	r.status.SetText(text)
	r.status.Show()
	if busy {
		r.activity.Show()
		r.activity.Start()
	} else {
		r.activity.Stop()
		r.activity.Hide()
	}
	r.content.Refresh()
}

// fetch asks the account's engine for the body; the cache notification re-renders on arrival.
func (r *reader) fetch(id int64) {
	if r.fetching == id {
		return
	}
	r.fetching = id
	r.svc.tasks.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		err := r.svc.deps.Manager.FetchBody(ctx, id)
		r.svc.exec(func() {
			if r.fetching == id {
				r.fetching = 0
			}
			if r.id != id || r.parsed != nil {
				return
			}
			switch {
			case errors.Is(err, types.ErrBodyFetchUnsupported):
				r.setStatus(tr("The text of this message is not downloaded yet. It will be at the next synchronisation."), false)
			case err != nil:
				r.setStatus(tr("The message could not be downloaded: {{.Err}}", map[string]any{"Err": err.Error()}), false)
			default:
				// Stored: the cache's change notification shows it; re-read in case it came first.
				r.show(id)
			}
		})
	})
}

// scheduleMarkRead marks an unread message read once it has been open for the delay.
func (r *reader) scheduleMarkRead() {
	m := r.msg
	if m.Flags.Has(localcache.FlagSeen) || r.svc.deps.MarkReadDelay < 0 {
		return
	}
	delay := r.svc.deps.MarkReadDelay
	if delay == 0 {
		delay = time.Second
	}
	id := m.ID
	r.stopMark = r.svc.tasks.after(delay, func() {
		r.svc.exec(func() {
			if r.id == id && !r.msg.Flags.Has(localcache.FlagSeen) {
				r.svc.do(types.MarkRead{IDs: []int64{id}, Read: true})
			}
		})
	})
}

// changed re-reads the open message when its folder changed: new flags, or the body arrived.
func (r *reader) changed(chs []localcache.Change) {
	if r.id == 0 {
		return
	}
	hit := false
	for _, ch := range chs {
		if ch.FolderID == r.msg.FolderID || (ch.FolderID == 0 && ch.Account == r.msg.Account) {
			hit = true
		}
	}
	if !hit {
		return
	}
	id, gen := r.id, r.gen
	r.svc.tasks.reads.post("reader-check", func(ctx context.Context) {
		m, err := r.svc.deps.Cache.Message(ctx, id)
		r.svc.exec(func() {
			if gen != r.gen || r.id != id {
				return
			}
			if errors.Is(err, localcache.ErrNotFound) {
				r.gone()
				return
			}
			if err != nil {
				return
			}
			if r.parsed == nil && m.BodyKey != "" {
				r.show(id)
				return
			}
			r.msg.Flags, r.msg.FolderID = m.Flags, m.FolderID
			r.updateActions()
		})
	})
}

func (r *reader) showAttachments() {
	r.attach.Objects = nil
	var parts []mailfmt.Part
	if r.parsed != nil {
		for _, p := range r.parsed.Attachments {
			if p.ContentID == "" || r.pics["cid:"+p.ContentID] == nil { // pictures in the text are not listed
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		r.attachBx.Hide()
		return
	}
	var total int64
	for _, p := range parts {
		total += max(p.Size, 0)
	}
	head := widget.NewLabelWithStyle(
		trN("{{.Count}} attachments", len(parts))+" · "+formatSize(total),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.attach.Add(container.NewHBox(widget.NewIcon(theme.MailAttachmentIcon()), head))
	rows := container.NewVBox()
	for _, p := range parts {
		rows.Add(r.attachmentRow(p))
	}
	if len(parts) > 3 {
		s := container.NewVScroll(rows)
		s.SetMinSize(fyne.NewSize(0, rows.Objects[0].MinSize().Height*3.5))
		r.attach.Add(s)
	} else {
		r.attach.Add(rows)
	}
	r.attachBx.Show()
	r.attach.Refresh()
}

func (r *reader) attachmentRow(p mailfmt.Part) fyne.CanvasObject {
	name := widget.NewLabel(p.Filename)
	name.Truncation = fyne.TextTruncateEllipsis
	size := newDimText(formatSize(p.Size), theme.SizeNameText)
	size.Truncation = fyne.TextTruncateOff
	open := widget.NewButtonWithIcon(tr("Open"), theme.FileApplicationIcon(), func() { r.openAttachment(p) })
	save := widget.NewButtonWithIcon(tr("Save"), theme.DocumentSaveIcon(), func() { r.saveAttachment(p) })
	open.Importance, save.Importance = widget.LowImportance, widget.LowImportance
	return container.NewBorder(nil, nil, widget.NewIcon(fileIcon(p.ContentType)),
		container.NewHBox(size, open, save), name)
}

func fileIcon(contentType string) fyne.Resource {
	switch {
	case strings.HasPrefix(contentType, "image/"):
		return theme.FileImageIcon()
	case strings.HasPrefix(contentType, "audio/"):
		return theme.FileAudioIcon()
	case strings.HasPrefix(contentType, "video/"):
		return theme.FileVideoIcon()
	case strings.HasPrefix(contentType, "text/"):
		return theme.FileTextIcon()
	}
	return theme.FileIcon()
}

// saveAttachment asks where to save with a file-save dialog, its name field filled in with the
// attachment's sanitised name (mailfmt.SanitizeFilename: a message never picks a path). The user
// may change the name; choosing an existing file makes the dialog ask before replacing it, and a
// failed write leaves no partial file (writePart). Fyne's dialog opens the chosen file itself
// (os.Create), so a symlink the user picks is followed, as in other programs' save dialogs.
func (r *reader) saveAttachment(p mailfmt.Part) {
	raw := r.raw
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			r.svc.showError(r.msg.Account, err)
			return
		}
		if w == nil {
			return
		}
		r.svc.tasks.spawn(func(ctx context.Context) {
			err := writePart(raw, p, w)
			r.svc.exec(func() {
				if err != nil {
					dialog.ShowError(err, r.window())
				}
			})
		})
	}, r.window())
	d.SetFileName(mailfmt.SanitizeFilename(p.Filename))
	if home, err := os.UserHomeDir(); err == nil {
		for _, dir := range []string{home + "/Downloads", home} {
			if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
				d.SetLocation(l)
				break
			}
		}
	}
	d.Show()
}

func savePart(raw []byte, p mailfmt.Part, dir string) (string, error) {
	rd, _, err := mailfmt.OpenPart(bytes.NewReader(raw), p.Path, mailfmt.DefaultLimits)
	if err != nil {
		return "", err
	}
	return mailfmt.SaveAttachment(dir, p.Filename, rd)
}

// openAttachment saves into a private temporary folder and hands the file to the desktop.
func (r *reader) openAttachment(p mailfmt.Part) {
	raw := r.raw
	if r.tmpDir == "" {
		dir, err := os.MkdirTemp("", "postbode-open-")
		if err != nil {
			r.svc.showError(r.msg.Account, err)
			return
		}
		r.tmpDir = dir
		go func() {
			<-r.svc.ctx.Done()
			os.RemoveAll(dir)
		}()
	}
	dir := r.tmpDir
	r.svc.tasks.spawn(func(ctx context.Context) {
		path, err := savePart(raw, p, dir)
		r.svc.exec(func() {
			if err == nil {
				err = r.svc.app.OpenURL(&url.URL{Scheme: "file", Path: path})
			}
			if err != nil {
				showOpenFailed(err, r.window())
			}
		})
	})
}

func senderLine(name, addr string) string {
	switch {
	case name == "":
		return addr
	case addr == "":
		return name
	}
	return name + " <" + addr + ">"
}

func joinAddresses(as []mailfmt.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// newNoteBox is a quiet inline note with an icon, like Thunderbird's remote-content bar.
func newNoteBox(icon fyne.Resource, text fyne.CanvasObject) fyne.CanvasObject {
	bg := newThemedRect(theme.ColorNameWarning, 0x30)
	ic := widget.NewIcon(theme.NewWarningThemedResource(icon))
	return container.NewStack(bg, container.NewBorder(nil, nil,
		container.New(layout.NewCustomPaddedLayout(0, 0, theme.Padding()*2, 0), ic), nil, text))
}
