package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
	"postbode/ui/uikit"
)

const testSignature = "Jöran Ørsted\nPostbode B.V."

// withSignature gives the test accounts a signature, below the text or above the quote.
func withSignature(above bool) func(*types.Account) {
	return func(a *types.Account) { a.Signature, a.SignatureAbove = testSignature, above }
}

// storedDraft is a draft another session saved: a reply with two attachments, non-ASCII text
// and the account's signature already in it.
func storedDraft(t testing.TB) (mailfmt.Draft, []byte) {
	d := mailfmt.Draft{
		From:       mailfmt.Address{Name: "Me Myself", Email: "me@work.example"},
		To:         []mailfmt.Address{{Name: "Zoë Kuipers", Email: "zoe@example.org"}},
		Cc:         []mailfmt.Address{{Email: "max@example.net"}},
		Bcc:        []mailfmt.Address{{Email: "archive@example.org"}},
		Subject:    "Re: Offerte voor de verbouwing",
		Text:       "Dag Zoë,\n\nDe offerte en de tekening zitten erbij.\n\n-- \n" + testSignature + "\n\nOn Monday, Zoë wrote:\n> Stuur je de offerte?\n",
		InReplyTo:  "offerte@example.org",
		References: []string{"start@example.org", "offerte@example.org"},
		Attachments: []mailfmt.Attachment{
			{Name: "offerte-€.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 offerte")},
			{Name: "tekening.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n tekening")},
		},
	}
	raw, _, err := mailfmt.BuildDraft(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, raw
}

// draftHarness has the stored draft in the work account's Drafts folder, shown in the list.
func draftHarness(t *testing.T, o harnessOpts) (*harness, int64, mailfmt.Draft) {
	h := newHarness(t, o)
	d, raw := storedDraft(t)
	drafts := h.folder("work", "Drafts", localcache.RoleDrafts)
	h.folder("work", "INBOX", localcache.RoleInbox)
	ids := h.addMessages(drafts, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: d.Subject, FromAddr: d.From.Email, Date: h.now,
			Flags: localcache.FlagSeen | localcache.FlagDraft, MessageID: "d1@work.example"}, raw
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", tr("Drafts"))
	h.click(0, 0)
	return h, ids[0], d
}

// checkReopened: the composer holds every part of the stored draft, and replaces it.
func checkReopened(t *testing.T, c *composer, id int64, d mailfmt.Draft) {
	t.Helper()
	if c.base.Replaces != id {
		t.Fatalf("the composer replaces %d, want the draft %d", c.base.Replaces, id)
	}
	if c.from.Selected != "Me Myself <me@work.example>" {
		t.Errorf("from %q", c.from.Selected)
	}
	if c.to.Text != "Zoë Kuipers <zoe@example.org>" || c.cc.Text != "max@example.net" || c.bcc.Text != "archive@example.org" {
		t.Errorf("to %q cc %q bcc %q", c.to.Text, c.cc.Text, c.bcc.Text)
	}
	if c.subject.Text != d.Subject || c.body.Text != d.Text {
		t.Errorf("subject %q, body %q", c.subject.Text, c.body.Text)
	}
	if c.base.InReplyTo != d.InReplyTo || strings.Join(c.base.References, " ") != strings.Join(d.References, " ") {
		t.Errorf("reply headers %q %q", c.base.InReplyTo, c.base.References)
	}
	if len(c.files) != 2 {
		t.Fatalf("%d attachments", len(c.files))
	}
	for i, a := range c.files {
		want := d.Attachments[i]
		if a.Name != want.Name || a.ContentType != want.ContentType || !bytes.Equal(a.Data, want.Data) {
			t.Errorf("attachment %d: %q %q %q", i, a.Name, a.ContentType, a.Data)
		}
	}
	if !containsText(c.win.Content(), "offerte-€.pdf") {
		t.Error("the attachment is not listed")
	}
}

// TestDraftReopensInComposer: Enter on a draft opens it in the composer with its sender,
// recipients (Bcc too), subject, text, both attachments and reply headers; opening it again
// brings the same composer forward. Saving replaces the stored draft, sending replaces the saved
// copy, and the signature already in it is not added again.
func TestDraftReopensInComposer(t *testing.T) {
	h, id, d := draftHarness(t, harnessOpts{editAccount: withSignature(false)})
	h.u.act.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	if len(h.u.composers) != 1 || len(h.u.popouts) != 0 {
		t.Fatalf("%d composers, %d message windows", len(h.u.composers), len(h.u.popouts))
	}
	c := h.u.composers[0]
	checkReopened(t, c, id, d)
	if strings.Count(c.body.Text, mailfmt.SignatureSeparator) != 1 {
		t.Fatalf("signature twice: %q", c.body.Text)
	}

	h.u.act.doOpenWindow() // Ctrl+O and the context menu's item
	h.settle()
	if len(h.u.composers) != 1 {
		t.Fatalf("opening the draft again made %d composers", len(h.u.composers))
	}

	c.win.Canvas().Focus(c.body)
	test.Type(c.body, "Nog één ding. ")
	c.doSave()
	h.settle()
	if len(h.sender.drafts) != 1 || h.sender.drafts[0].Replaces != id {
		t.Fatalf("saved %+v, want one replacing %d", h.sender.drafts, id)
	}
	saved := h.sender.drafts[0]
	if saved.InReplyTo != d.InReplyTo || len(saved.Attachments) != 2 || len(saved.Bcc) != 1 ||
		saved.MessageID != "" || !strings.HasPrefix(saved.Text, "Nog één ding. Dag Zoë") {
		t.Fatalf("saved draft %+v", saved)
	}
	c.doSend()
	h.settle()
	if len(h.sender.sent) != 1 || h.sender.sent[0].Replaces != 1 {
		t.Fatalf("sent %+v, want one replacing the saved copy 1", h.sender.sent)
	}
	if len(h.u.composers) != 0 {
		t.Fatal("the composer stayed open after sending")
	}
}

// TestDraftOpensByDoubleClickAndMenu: a double-click on the draft's row and the context menu's
// "Open in new window" open the composer, never a message window.
func TestDraftOpensByDoubleClickAndMenu(t *testing.T) {
	h, id, d := draftHarness(t, harnessOpts{})
	rows := h.visibleRows()
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	rows[0].Tapped(&fyne.PointEvent{})
	rows[0].Tapped(&fyne.PointEvent{})
	h.settle()
	if len(h.u.composers) != 1 || len(h.u.popouts) != 0 {
		t.Fatalf("double-click: %d composers, %d message windows", len(h.u.composers), len(h.u.popouts))
	}
	checkReopened(t, h.u.composers[0], id, d)
	h.u.composers[0].close()
	h.settle()
	if len(h.u.composers) != 0 {
		t.Fatal("closing an unchanged draft asked")
	}
	for _, it := range h.u.act.contextMenu().Items {
		if it.Label == "Open in new window" {
			it.Action()
		}
	}
	h.settle()
	if len(h.u.composers) != 1 || len(h.u.popouts) != 0 {
		t.Fatalf("context menu: %d composers, %d message windows", len(h.u.composers), len(h.u.popouts))
	}
}

// TestSignaturePlacement: a new message ends with the signature under "-- "; a reply has it under
// the quote, or above it with the account's setting; without a signature nothing is added.
func TestSignaturePlacement(t *testing.T) {
	sig := mailfmt.SignatureSeparator + testSignature + "\n"
	for _, above := range []bool{false, true} {
		h := newHarness(t, harnessOpts{editAccount: withSignature(above)})
		inbox := h.folder("work", "INBOX", localcache.RoleInbox)
		h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
			return localcache.Message{Subject: "Vraag", FromAddr: "ann@example.org", Date: h.now},
				plainMessage("Ann", "ann@example.org", "me@work.example", "Vraag", "Kan dat?", h.now)
		})
		h.u.folders.reload()
		h.settle()
		h.selectFolder("work", "Inbox")
		h.click(0, 0)
		h.u.act.doWrite()
		if got := h.u.composers[0].body.Text; got != "\n\n"+sig {
			t.Fatalf("new message %q", got)
		}
		h.u.act.doReply(false)
		reply := h.u.composers[1].body.Text
		quote := strings.Index(reply, "> Kan dat?")
		at := strings.Index(reply, sig)
		if quote < 0 || at < 0 || (at < quote) != above || !strings.HasPrefix(reply, "\n\n") {
			t.Fatalf("above=%v: reply %q", above, reply)
		}
	}
	h := newHarness(t, harnessOpts{})
	h.u.act.doWrite()
	if got := h.u.composers[0].body.Text; got != "" {
		t.Fatalf("without a signature: %q", got)
	}
}

// TestForwardInlineAndAsAttachment: Forward quotes the text and carries the original's
// attachments; Forward as attachment attaches the original message itself (message/rfc822).
func TestForwardInlineAndAsAttachment(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	_, raw := storedDraft(t)
	inbox := h.folder("work", "INBOX", localcache.RoleInbox)
	h.addMessages(inbox, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: "Re: Offerte voor de verbouwing", FromAddr: "me@work.example", Date: h.now}, raw
	})
	h.u.folders.reload()
	h.settle()
	h.selectFolder("work", "Inbox")
	h.click(0, 0)
	h.u.act.doForward()
	inline := h.u.composers[0]
	if len(inline.files) != 2 || !strings.Contains(inline.body.Text, "De offerte en de tekening") ||
		inline.subject.Text != "Fwd: Re: Offerte voor de verbouwing" {
		t.Fatalf("inline forward: %d attachments, %q", len(inline.files), inline.body.Text)
	}
	h.u.act.doForwardAttached()
	att := h.u.composers[1]
	if len(att.files) != 1 || att.files[0].ContentType != "message/rfc822" || !bytes.Equal(att.files[0].Data, raw) ||
		strings.Contains(att.body.Text, "De offerte") {
		t.Fatalf("forward as attachment: %+v, %q", att.files, att.body.Text)
	}
}

// TestForwardShortcutsAreFree: Ctrl+L and Ctrl+Shift+L belong to the two forwards and to nothing
// else in the menus.
func TestForwardShortcutsAreFree(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	seen := map[string]string{}
	for _, m := range h.u.act.menu.Items {
		for _, it := range m.Items {
			if it.Shortcut == nil {
				continue
			}
			key := it.Shortcut.ShortcutName()
			if other, ok := seen[key]; ok {
				t.Errorf("%s is both %q and %q", key, other, it.Label)
			}
			seen[key] = it.Label
		}
	}
	if seen["CustomDesktop:Control+L"] != "Forward" || seen["CustomDesktop:Shift+Control+L"] != "Forward as attachment" {
		t.Fatalf("shortcuts %v", seen)
	}
}

// waitAutosave lets the autosave timer fire and its write finish.
func waitAutosave(h *harness) {
	time.Sleep(60 * time.Millisecond)
	h.settle()
}

// TestAutosaveRestoresAfterRestart: text typed in a composer is saved in the profile after a
// pause in typing; a new UI over the same profile reopens it (an unfinished address too) and
// says so; saving it as a draft then drops the profile's copy.
func TestAutosaveRestoresAfterRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, harnessOpts{cacheDir: dir, autosaveDelay: 20 * time.Millisecond})
	c := h.u.openComposer(Draft{Account: "work"})
	c.win.Canvas().Focus(c.to)
	test.Type(c.to, "zoe@example.org, max@")
	test.Type(c.subject, "Plannen")
	test.Type(c.body, "Een tekst die een crash overleeft. ☃")
	waitAutosave(h)
	saved, err := h.cache.Autosaves(context.Background())
	if err != nil || len(saved) != 1 {
		t.Fatalf("autosaves %d (%v)", len(saved), err)
	}
	if len(h.sender.drafts) != 0 {
		t.Fatal("saved to Drafts while offline")
	}
	h.cache.Close() // as a crash would leave it: the composer never closed

	h2 := newHarness(t, harnessOpts{cacheDir: dir, autosaveDelay: -1})
	if len(h2.u.composers) != 1 {
		t.Fatalf("%d composers restored", len(h2.u.composers))
	}
	r := h2.u.composers[0]
	if r.to.Text != "zoe@example.org, max@" || r.subject.Text != "Plannen" || r.body.Text != "Een tekst die een crash overleeft. ☃" {
		t.Fatalf("restored %q %q %q", r.to.Text, r.subject.Text, r.body.Text)
	}
	if !containsText(h2.u.banners.view(), "what you had not sent or saved as a draft is open again") {
		t.Fatalf("no banner: %q", texts(h2.u.banners.view()))
	}
	r.to.SetText("zoe@example.org, max@example.net")
	r.doSave()
	h2.settle()
	if left, _ := h2.cache.Autosaves(context.Background()); len(left) != 0 || len(h2.sender.drafts) != 1 {
		t.Fatalf("after saving: %d autosaves, %d drafts", len(left), len(h2.sender.drafts))
	}
}

// TestAutosaveOnlineGoesToDrafts: with the account connected, autosave saves the draft to Drafts,
// each time replacing the copy before, and keeps nothing in the profile; losing the focus saves
// at once; Discard closes without a word more.
func TestAutosaveOnlineGoesToDrafts(t *testing.T) {
	h := newHarness(t, harnessOpts{autosaveDelay: 20 * time.Millisecond})
	h.u.apply(Batch{Events: []types.Event{types.ConnState{Account: "work", State: types.StateOnline}}})
	c := h.u.openComposer(Draft{Account: "work"})
	c.win.Canvas().Focus(c.body)
	test.Type(c.body, "Eerste versie")
	waitAutosave(h)
	test.Type(c.body, ", tweede")
	waitAutosave(h)
	if len(h.sender.drafts) != 2 || h.sender.drafts[0].Replaces != 0 || h.sender.drafts[1].Replaces != 1 {
		t.Fatalf("drafts %+v", h.sender.drafts)
	}
	if saved, _ := h.cache.Autosaves(context.Background()); len(saved) != 0 {
		t.Fatalf("%d copies in the profile", len(saved))
	}
	if !strings.HasPrefix(c.status.Text, "Saved to Drafts at") {
		t.Fatalf("status %q", c.status.Text)
	}

	h.u.deps.AutosaveDelay = -1
	test.Type(c.body, ", derde")
	h.app.Lifecycle().(interface{ OnExitedForeground() func() }).OnExitedForeground()()
	h.settle()
	if len(h.sender.drafts) != 3 || h.sender.drafts[2].Text != "Eerste versie, tweede, derde" {
		t.Fatalf("on losing the focus: %+v", h.sender.drafts)
	}

	c.close()
	over := c.win.Canvas().Overlays().Top()
	if over == nil || !containsText(over, "Discard") {
		t.Fatal("closing did not ask")
	}
	tapButtonIn(t, over, "Discard")
	h.settle()
	if len(h.u.composers) != 0 {
		t.Fatal("Discard left the composer open")
	}
}

// TestDraftScreenshot renders the composer with a reopened draft (signature, two attachments,
// a reply quote) for looking at.
func TestDraftScreenshot(t *testing.T) {
	h, _, _ := draftHarness(t, harnessOpts{editAccount: withSignature(false)})
	h.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	h.u.act.doOpenWindow()
	h.settle()
	c := h.u.composers[0]
	c.status.SetText(tr("Saved to Drafts at {{.Time}}", map[string]any{"Time": "15:30"}))
	c.win.Resize(fyne.NewSize(780, 640))
	savePNG(t, c.win.Canvas().Capture(), "composer-draft"+langSuffix()+".png")
}

func TestDraftScreenshotInDutch(t *testing.T) {
	screenshotInDutch(t, "TestDraftScreenshot", "composer-draft-nl.png")
}

// TestDiscardRemovesTheAutosavedDraft: a message autosaved to Drafts and then discarded leaves
// Drafts; one the user saved stays.
func TestDiscardRemovesTheAutosavedDraft(t *testing.T) {
	for _, userSaved := range []bool{false, true} {
		h := newHarness(t, harnessOpts{noSender: true, autosaveDelay: 20 * time.Millisecond})
		h.u.deps.Sender = ManagerSender{Manager: h.mgr}
		h.u.apply(Batch{Events: []types.Event{types.ConnState{Account: "work", State: types.StateOnline}}})
		c := h.u.openComposer(Draft{Account: "work"})
		c.win.Canvas().Focus(c.body)
		if userSaved {
			test.Type(c.body, "Bewaard. ")
			c.doSave()
			h.settle()
		}
		test.Type(c.body, "Nog niet klaar")
		waitAutosave(h)
		drafts, err := h.cache.FolderByRole(context.Background(), "work", localcache.RoleDrafts)
		if err != nil || drafts.Total != 1 {
			t.Fatalf("Drafts after autosave: %+v (%v)", drafts, err)
		}
		c.close()
		tapButtonIn(t, c.win.Canvas().Overlays().Top(), "Discard")
		h.settle()
		drafts, _ = h.cache.Folder(context.Background(), drafts.ID)
		if want := map[bool]int{false: 0, true: 1}[userSaved]; drafts.Total != want {
			t.Fatalf("user saved %v: Drafts holds %d after Discard, want %d", userSaved, drafts.Total, want)
		}
	}
}

// TestAccountSettingsShowTheSignature: Account settings show the account's signature and its
// placement, and read back what is typed there.
func TestAccountSettingsShowTheSignature(t *testing.T) {
	h := newHarness(t, harnessOpts{editAccount: withSignature(true)})
	h.u.openAccountSettings("work")
	s := h.u.accWin
	if s.sigE.Text != testSignature || !s.sigAbove.Checked {
		t.Fatalf("shown %q above=%v", s.sigE.Text, s.sigAbove.Checked)
	}
	s.sigE.SetText("Groet,\nJöran\n\n")
	s.sigAbove.SetChecked(false)
	acc, err := s.read()
	if err != nil || acc.Signature != "Groet,\nJöran" || acc.SignatureAbove {
		t.Fatalf("read %q above=%v (%v)", acc.Signature, acc.SignatureAbove, err)
	}
}

// TestChangingTheSenderSwapsTheSignature: choosing another account to send from puts its
// signature where the first account's was.
func TestChangingTheSenderSwapsTheSignature(t *testing.T) {
	h := newHarness(t, harnessOpts{accounts: []string{"work", "home"}, editAccount: func(a *types.Account) {
		a.Signature = "Signed " + a.Name
	}})
	c := h.u.openComposer(Draft{Account: "work", Draft: mailfmt.Draft{Text: h.u.signed(h.u.identity("work"), "")}})
	c.win.Canvas().Focus(c.body)
	test.Type(c.body, "Hallo")
	c.from.SetSelectedIndex(slices.IndexFunc(c.choices, func(ch fromChoice) bool { return ch.account == "home" }))
	if c.body.Text != "Hallo\n\n-- \nSigned home\n" {
		t.Fatalf("body %q", c.body.Text)
	}
}

// TestRestoreScreenshot renders the main window at a start that reopened an unsent message: the
// banner saying so, the composer beside it.
func TestRestoreScreenshot(t *testing.T) {
	dir := t.TempDir()
	cache, err := localcache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(composerState{Draft: Draft{Account: "work", Draft: mailfmt.Draft{
		Subject: "Planning voor maandag", Text: "Hoi allemaal,\n\nVoor maandag stel ik voor"}}, To: "team@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cache.PutAutosave(context.Background(), 0, data); err != nil {
		t.Fatal(err)
	}
	cache.Close()
	h := newHarness(t, harnessOpts{accounts: []string{"work", "personal"}, cacheDir: dir})
	h.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	seedDemo(h)
	h.u.win.Resize(fyne.NewSize(1280, 800))
	h.selectFolder("work", "Inbox")
	if len(h.u.composers) != 1 || h.u.composers[0].subject.Text != "Planning voor maandag" {
		t.Fatalf("%d composers restored", len(h.u.composers))
	}
	savePNG(t, h.u.win.Canvas().Capture(), "restored"+langSuffix()+".png")
	savePNG(t, h.u.composers[0].win.Canvas().Capture(), "restored-composer"+langSuffix()+".png")
}

func TestRestoreScreenshotInDutch(t *testing.T) {
	screenshotInDutch(t, "TestRestoreScreenshot", "restored-nl.png")
}

// TestDraftWithoutBodyIsDownloadedFirst: a draft known only by its header is fetched from the
// server, then opened in the composer.
func TestDraftWithoutBodyIsDownloadedFirst(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	d, raw := storedDraft(t)
	drafts := h.folder("work", "Drafts", localcache.RoleDrafts)
	ids := h.addMessages(drafts, 1, func(int) (localcache.Message, []byte) {
		return localcache.Message{Subject: d.Subject, Date: h.now, Flags: localcache.FlagDraft}, nil
	})
	h.engines["work"].bodies[ids[0]] = raw
	h.u.editDraft(ids[0])
	h.settle()
	if len(h.u.composers) != 1 {
		t.Fatalf("%d composers", len(h.u.composers))
	}
	checkReopened(t, h.u.composers[0], ids[0], d)
}

// TestComposerKilledAfterTypingRestoresTheText: Postbode is killed (SIGKILL: no deferred code,
// no window events) one second after the user typed; the next start reopens the text.
func TestComposerKilledAfterTypingRestoresTheText(t *testing.T) {
	const childEnv = "POSTBODE_TEST_KILLED_COMPOSER"
	if dir := os.Getenv(childEnv); dir != "" {
		h := newHarness(t, harnessOpts{cacheDir: dir})
		c := h.u.openComposer(Draft{Account: "work"})
		test.Type(c.to, "bob@example.org, ")
		test.Type(c.subject, "Half written")
		test.Type(c.body, "Typed just before the crash")
		fmt.Println("typed")
		for { // the UI goroutine's work, until the parent kills this process
			h.q.RunAll()
			time.Sleep(5 * time.Millisecond)
		}
	}
	dir := t.TempDir()
	cmd, lines := testkit.StartChild(t, "TestComposerKilledAfterTypingRestoresTheText", childEnv+"="+dir)
	timeout := time.After(60 * time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the child ended before typing")
			}
			if l == "typed" {
				break wait
			}
		case <-timeout:
			t.Fatal("the child did not type within 60 s")
		}
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	h := newHarness(t, harnessOpts{cacheDir: dir})
	h.settle()
	if len(h.u.composers) != 1 {
		t.Fatalf("%d composers reopened, want 1", len(h.u.composers))
	}
	c := h.u.composers[0]
	if c.subject.Text != "Half written" || c.body.Text != "Typed just before the crash" || !strings.Contains(c.to.Text, "bob@example.org") {
		t.Fatalf("reopened: to %q, subject %q, body %q", c.to.Text, c.subject.Text, c.body.Text)
	}
}
