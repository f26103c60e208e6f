package ui

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts/oauth"
	"postbode/types"
)

// refusedErr is what an engine reports when nothing listens on the server's port: long, English
// and technical, as the status line used to show it (cut off).
func refusedErr() error {
	return fmt.Errorf("imap connect: imap mail.work.example:993: %w", &net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 993}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
}

func TestStatusLineSaysWhatWentWrongWithDetailsOneClickAway(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	u := h.u
	err := refusedErr()
	u.apply(Batch{Events: []types.Event{types.ConnState{Account: "work", State: types.StateError, Err: err}}})
	if !containsText(u.status.view(), "work: Cannot connect to mail.work.example.") {
		t.Fatalf("status %q", texts(u.status.view()))
	}
	if containsText(u.status.view(), "imap connect") {
		t.Fatalf("status shows the raw error: %q", texts(u.status.view()))
	}
	tapButtonIn(t, u.status.view(), "Details")
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Details opened nothing")
	}
	if !containsText(top, err.Error()) || !containsText(top, "Cannot connect to mail.work.example.") {
		t.Fatalf("details dialog shows %q", texts(top))
	}
	// The whole text fits the window: the dialog is not wider than the window.
	if w := top.Size().Width; w > u.win.Canvas().Size().Width {
		t.Fatalf("details dialog %v wider than the window", w)
	}
	tapButtonIn(t, top, "Copy")
	if got := u.app.Clipboard().Content(); got != err.Error() {
		t.Fatalf("clipboard %q", got)
	}

	// A wrong password leads to the account's settings.
	tapButtonIn(t, top, "Close")
	auth := fmt.Errorf("imap login as me: NO [AUTHENTICATIONFAILED] Authentication failed.")
	u.apply(Batch{Events: []types.Event{types.ConnState{Account: "work", State: types.StateError, Err: auth}}})
	if !containsText(u.status.view(), "work: The server refused the user name or password.") {
		t.Fatalf("status %q", texts(u.status.view()))
	}
	tapButtonIn(t, u.status.view(), "Details")
	if top := u.win.Canvas().Overlays().Top(); top == nil || !containsText(top, "Account settings…") {
		t.Fatal("no way from an authentication problem to the account's settings")
	}
}

func TestErrorBannerUsesTheProblemSentence(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	u := h.u
	u.apply(Batch{Events: []types.Event{types.Error{Account: "work", Op: "sync", Err: refusedErr()}}})
	got := u.banners.texts()
	if len(got) != 1 || got[0] != "sync failed: Cannot connect to mail.work.example." {
		t.Fatalf("banners %q", got)
	}
	if !containsText(u.banners.view(), "Details") {
		t.Fatal("no Details on the banner")
	}
}

func dutchProblemChecks(check func(got, want string)) {
	p := describeProblem(refusedErr(), "mail.example.nl")
	check(p.Sentence, "Kan geen verbinding maken met mail.example.nl.")
	check(stateText(types.ConnState{State: types.StateOffline, Err: refusedErr()}, time.Time{}, p),
		"Offline: Kan geen verbinding maken met mail.example.nl.")
}

// tapButtonIn taps the first button under o whose text contains label.
func tapButtonIn(t *testing.T, o fyne.CanvasObject, label string) {
	t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && strings.Contains(b.Text, label) {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no button %q in %q", label, texts(o))
}

// kindError is an error that knows its problem, as the outbox's send errors do.
type kindError struct{ kind types.Problem }

func (e kindError) Error() string          { return "message too large (552): 552 5.3.4 too big" }
func (e kindError) Problem() types.Problem { return e.kind }

func TestSendErrorsAreWordedByTheirKind(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.u.apply(Batch{Events: []types.Event{types.Error{Account: "work", Op: "send",
		Err: fmt.Errorf("outbox: %w", kindError{types.ProblemTooLarge})}}})
	if got := h.u.banners.texts(); len(got) != 1 || got[0] != "send failed: The message is too large for the server." {
		t.Fatalf("banners %q", got)
	}
}

// An OAuth2 sign-in that ended is mended by signing in again, not by Retry: the status line says
// so and its button starts the sign-in (which here fails at once: the harness knows no provider).
func TestSignInAgainFromTheStatusLine(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	u := h.u
	ended := fmt.Errorf("account work: %w", oauth.ErrSignInAgain)
	u.apply(Batch{Events: []types.Event{types.ConnState{Account: "work", State: types.StateError, Err: ended}}})
	if !containsText(u.status.view(), "work: The sign-in has ended: sign in again.") || containsText(u.status.view(), "Retry") {
		t.Fatalf("status %q", texts(u.status.view()))
	}
	tapButtonIn(t, u.status.view(), "Sign in again")
	h.settle()
	if got := u.banners.texts(); len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), "The sign-in did not work.") {
		t.Fatalf("banners after Sign in again: %q", got)
	}
}

// Four accounts that cannot connect keep the status line within the window: it scrolls instead of
// widening the window past the screen (it made the window 2157 px wide).
func TestStatusLineOfManyFailingAccountsKeepsTheWindowNarrow(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	var evs []types.Event
	for _, name := range []string{"home", "shop", "club", "work"} {
		evs = append(evs, types.ConnState{Account: name, State: types.StateError, Err: refusedErr()})
	}
	h.u.apply(Batch{Events: evs})
	if w := h.u.status.view().MinSize().Width; w > 600 {
		t.Errorf("the status line needs %.0f px", w)
	}
	if !containsText(h.u.status.view(), "work: Cannot connect to mail.work.example.") {
		t.Errorf("status %q", texts(h.u.status.view()))
	}
}
