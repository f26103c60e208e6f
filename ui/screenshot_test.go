package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
	"postbode/ui/internal/uitest"
	"postbode/ui/uikit"
)

type demoMsg struct {
	from, addr, subject, snippet string
	ago                          time.Duration
	read, flagged, attach        bool
}

var demoInbox = []demoMsg{
	{"Marieke de Vries", "marieke@devries.example", "Planning voor het kwartaaloverleg", "Hoi! Zullen we het overleg naar donderdag verschuiven? Dan kan Joost ook.", 25 * time.Minute, false, true, false},
	{"GitHub", "noreply@github.example", "[postbode] Pull request #42: Faster keyset paging", "The list now loads only the rows that are visible and keeps a small window of pages.", 2 * time.Hour, false, false, false},
	{"Tom Jansen", "tom@jansen.example", "Re: Photos from the weekend", "Here are the rest of them, the one at the lighthouse came out great.", 3*time.Hour + 10*time.Minute, false, false, true},
	{"The Weekly Digest", "digest@news.example", "Your weekly digest: 5 stories about open source mail", "This week: why local-first mail clients are back, IMAP IDLE explained, and more.", 5 * time.Hour, true, false, false},
	{"Anna Bakker", "anna.bakker@example.org", "Invoice 2025-061", "Please find attached the invoice for May. Payment within 14 days would be appreciated.", 26 * time.Hour, true, false, true},
	{"Sam Okafor", "sam@okafor.example", "Lunch on Friday?", "There's a new place near the station that does great soups. 12:30?", 30 * time.Hour, true, true, false},
	{"Hosting Support", "support@hosting.example", "Scheduled maintenance on 20 June", "We will be upgrading our mail servers between 02:00 and 04:00 CEST.", 3 * 24 * time.Hour, true, false, false},
	{"Pieter van Dam", "pieter@vandam.example", "Boekenclub: volgende titel", "Stemmen kan tot zondag, de drie kandidaten staan in de bijlage.", 4 * 24 * time.Hour, true, false, true},
	{"Lisa Chen", "lisa.chen@example.org", "Re: Conference talk proposal", "I really like the outline. Maybe cut the section on mbox formats to keep it under 30 minutes?", 6 * 24 * time.Hour, true, false, false},
	{"Bank Notifications", "alerts@bank.example", "Your monthly statement is ready", "Your statement for May 2025 is available in online banking.", 12 * 24 * time.Hour, true, false, false},
	{"Joost Smit", "joost@smit.example", "Verhuizing — kun je helpen?", "Zaterdag de 28e verhuizen we. Alle hulp is welkom, er is pizza!", 20 * 24 * time.Hour, true, false, false},
	{"Emma Visser", "emma@visser.example", "Recipe you asked for", "Here's my grandmother's apple pie recipe. The secret is the cinnamon.", 40 * 24 * time.Hour, true, false, false},
	{"Train Tickets", "tickets@rail.example", "Your e-ticket: Amsterdam – Berlin", "Thank you for booking. Your e-ticket is attached to this message.", 200 * 24 * time.Hour, true, false, true},
	{"Old Friend", "friend@example.net", "Happy new year!", "All the best for the coming year, and let's finally meet up this spring.", 400 * 24 * time.Hour, true, false, false},
}

const demoHTML = `<html><head><style>body{font-family:sans-serif}</style></head><body>
<h1>Your weekly digest</h1>
<p>Hello reader,</p>
<p>This week we look at <b>local-first mail clients</b>, why they are coming back, and what
<i>IMAP IDLE</i> really does for you. Read the full story on
<a href="https://news.example/local-first">our website</a>.</p>
<img src="http://127.0.0.1:1/tracker.gif" width="1" height="1">
<img src="https://news.example/banner.png" alt="Banner">
<ul><li>Why local-first mail clients are back</li><li>IMAP IDLE explained in five minutes</li>
<li>Keyset paging: lists with 100,000 rows</li></ul>
<blockquote>"The fastest network request is the one you never make."</blockquote>
<p>Until next week,<br>The Digest team</p>
<hr><p><small>You receive this because you subscribed. <a href="https://news.example/unsubscribe">Unsubscribe</a>.</small></p>
</body></html>`

func demoRaw(m demoMsg, date time.Time) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "From: %s <%s>\r\nTo: Me Myself <me@work.example>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d@demo.example>\r\nMIME-Version: 1.0\r\n",
		m.from, m.addr, m.subject, date.Format(time.RFC1123Z), date.Unix())
	if m.from == "The Weekly Digest" {
		sb.WriteString("Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n")
		sb.WriteString(demoHTML)
		sb.WriteString("\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"digest-week-24.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		sb.WriteString(strings.Repeat("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n", 200))
		sb.WriteString("--b1--\r\n")
		return []byte(sb.String())
	}
	sb.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n" + m.snippet + "\r\n\r\nGroeten / regards,\r\n" + strings.Fields(m.from)[0] + "\r\n")
	return []byte(sb.String())
}

// seedDemo fills two accounts with realistic folders and mail for screenshots.
func seedDemo(h *harness) {
	seedDemoData(h)
	h.u.folders.reload()
	h.settle()
}

func seedDemoData(h *harness) {
	for _, acc := range []string{"work", "personal"} {
		inbox := h.folder(acc, "INBOX", localcache.RoleInbox)
		for _, f := range []struct{ name, role string }{{"Drafts", localcache.RoleDrafts}, {"Sent", localcache.RoleSent},
			{"Archive", localcache.RoleArchive}, {"Junk", localcache.RoleJunk}, {"Trash", localcache.RoleTrash}} {
			h.folder(acc, f.name, f.role)
		}
		if acc == "work" {
			h.folder(acc, "Projects", "")
			h.folder(acc, "Projects/Alpha", "")
			h.folder(acc, "Projects/Postbode", "")
			h.folder(acc, "Receipts", "")
			h.addMessages(inbox, len(demoInbox), func(i int) (localcache.Message, []byte) {
				d := demoInbox[len(demoInbox)-1-i]
				date := h.now.Add(-d.ago)
				m := localcache.Message{FromName: d.from, FromAddr: d.addr, Subject: d.subject, Snippet: d.snippet,
					Date: date, To: "Me Myself <me@work.example>", HasAttachment: d.attach || d.from == "The Weekly Digest",
					BodyText: d.snippet}
				if d.read {
					m.Flags |= localcache.FlagSeen
				}
				if d.flagged {
					m.Flags |= localcache.FlagFlagged
				}
				return m, demoRaw(d, date)
			})
		} else {
			h.addMessages(inbox, 3, func(i int) (localcache.Message, []byte) {
				return localcache.Message{FromName: "Family", FromAddr: "family@example.net", Subject: fmt.Sprintf("Holiday plans, part %d", i+1),
					Date: h.now.Add(-time.Duration(100-i) * time.Hour), Snippet: "Shall we book the cabin again?"}, nil
			})
		}
	}
}

func screenshotDir(t *testing.T) string { return uitest.ScreenshotDir(t) }

func savePNG(t *testing.T, img image.Image, name string) {
	t.Helper()
	uitest.SavePNG(t, img, name)
}

func demoHarness(t *testing.T, v fyne.ThemeVariant) *harness {
	h := newHarness(t, harnessOpts{accounts: []string{"work", "personal"}})
	h.app.Settings().SetTheme(uikit.FixedVariant(v))
	if icon, err := os.ReadFile("../assets/icon.png"); err == nil {
		h.app.SetIcon(fyne.NewStaticResource("postbode.png", icon))
	}
	seedDemo(h)
	h.u.win.Resize(fyne.NewSize(1280, 800))
	h.u.apply(Batch{Events: []types.Event{
		types.ConnState{Account: "work", State: types.StateOnline},
		types.ConnState{Account: "personal", State: types.StateSyncing},
		types.SyncProgress{Account: "personal", Folder: "INBOX", Done: 3120, Total: 8400},
	}})
	h.selectFolder("work", "Inbox")
	return h
}

// TestScreenshots renders the main window (light and dark), the reader with an HTML message and
// the composer to PNG files under the temporary directory, for looking at.
func TestScreenshots(t *testing.T) {
	for _, v := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		h := demoHarness(t, v.v)
		h.click(0, 0)
		savePNG(t, h.u.win.Canvas().Capture(), "main-"+v.name+".png")
	}

	h := demoHarness(t, theme.VariantLight)
	h.click(3, 0) // the HTML digest
	if !h.u.reader.remote.Visible() {
		t.Fatal("remote content note not shown")
	}
	savePNG(t, h.u.win.Canvas().Capture(), "reader-html.png")
	h.u.act.doOpenWindow()
	h.settle()
	mw := h.u.popouts[len(h.u.popouts)-1]
	mw.r.win.Resize(fyne.NewSize(760, 640))
	savePNG(t, mw.r.win.Canvas().Capture(), "message-window.png")

	h.click(2, 0)
	h.u.act.doReply(true)
	c := h.u.composers[len(h.u.composers)-1]
	c.addFile(mailfmt.Attachment{Name: "lighthouse-notes.pdf", Data: make([]byte, 184_320)})
	c.win.Resize(fyne.NewSize(820, 640))
	test.Type(c.cc, "ma")
	time.Sleep(200 * time.Millisecond)
	h.settle()
	if len(c.cc.matches) == 0 {
		t.Fatal("no address suggestions for the screenshot")
	}
	savePNG(t, c.win.Canvas().Capture(), "composer.png")
}

// TestScreenshotsMore renders the welcome screen and a search with an error banner.
func TestScreenshotsMore(t *testing.T) {
	icon, err := os.ReadFile("../assets/icon.png")
	if err != nil {
		t.Fatal(err)
	}
	w := newHarness(t, harnessOpts{accounts: []string{}, icon: icon, startDemo: func(context.Context) error { return nil }})
	w.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	w.u.showingPanes = true
	w.u.showPanes(false)
	w.u.win.Resize(fyne.NewSize(1024, 640))
	savePNG(t, w.u.win.Canvas().Capture(), "welcome.png")

	h := demoHarness(t, theme.VariantDark)
	h.u.apply(Batch{Events: []types.Event{
		types.ConnState{Account: "personal", State: types.StateError, Err: errors.New("connection refused by mail.personal.example:993")},
		types.Error{Account: "work", Op: "move", Err: errors.New("NO [CANNOT] Mailbox is read-only")},
	}})
	test.Type(h.u.search.entry, "invoice")
	h.u.search.entry.OnSubmitted(h.u.search.entry.Text)
	h.settle()
	h.click(0, 0)
	savePNG(t, h.u.win.Canvas().Capture(), "search-dark.png")
}
