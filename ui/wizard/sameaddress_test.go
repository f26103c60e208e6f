package wizard

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/types"
	"postbode/ui/internal/uitest"
	"postbode/ui/uikit"
)

func existingAccount(name, email string, kind types.Protocol, host string, port int) types.Account {
	return types.Account{Name: name, Email: email, Kind: kind,
		Incoming: types.Server{Host: host, Port: port, Security: types.SecurityTLS, User: email}}
}

// TestWizardSameAddress adds addresses the profile has accounts for already: a POP3 account's
// address set up as IMAP offers to move the POP3 mail (or to add it anyway), and the same kind of
// account is not added twice. Screens are saved in English and Dutch.
func TestWizardSameAddress(t *testing.T) {
	backend := types.Backend{New: func(types.EngineDeps) types.Engine { return idleEngine{} }, Test: screenTest}
	backends := map[types.Protocol]types.Backend{types.IMAP: keepsMailOnServer(backend), types.POP3: backend}
	e := newWizardEnv(t, wizardOpts{backends: backends, discover: screenDiscover, testSMTP: screenSMTP,
		accounts: []types.Account{
			existingAccount("home", "anna@example.org", types.POP3, "pop.example.org", 995),
			existingAccount("work", "bob@example.org", types.IMAP, "imap.example.org", 993),
		}})
	e.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	shot := func(w fyne.Window, name string) {
		t.Helper()
		uitest.SavePNG(t, w.Canvas().Capture(), "wizard-same-address-"+name+uitest.LangSuffix()+".png")
	}
	moveLabel, anywayLabel := tr("Move my POP3 mail to IMAP"), tr("Add it anyway")

	// The POP3 account's address, set up as IMAP (discovery offers IMAP first).
	w := e.fillIdentity("Anna@example.org", "a-secret")
	tapButton(t, e, w.win, tr("Continue"))
	if w.page != pageType || w.kind != types.IMAP {
		t.Fatalf("wizard shows %q for %s: %q", w.page, w.kind, windowTexts(w.win))
	}
	tapButton(t, e, w.win, tr("Continue"))
	if w.page != pageMove {
		t.Fatalf("the POP3 account's address set up as IMAP shows %q: %q", w.page, windowTexts(w.win))
	}
	e.mustShow(w.win, tr("{{.Address}} has a POP3 account already", map[string]any{"Address": "Anna@example.org"}))
	if !inView(w.win, findButton(t, w.win, moveLabel)) || !inView(w.win, findButton(t, w.win, anywayLabel)) {
		t.Fatal("the choices are out of view")
	}
	shot(w.win, "pop3")
	tapButton(t, e, w.win, moveLabel)
	if !w.closed || len(e.moved) != 1 || e.moved[0] != "home" {
		t.Fatalf("Move did not hand home to the main window (moved %v, closed %v)", e.moved, w.closed)
	}
	if len(e.Manager.Accounts()) != 2 {
		t.Fatal("an account was added before the move")
	}

	// Add it anyway: tested and added next to the POP3 account, under a name of its own.
	w = e.fillIdentity("anna@example.org", "a-secret")
	tapButton(t, e, w.win, tr("Continue"))
	tapButton(t, e, w.win, tr("Continue"))
	tapButton(t, e, w.win, anywayLabel)
	if w.page != pageTest || !w.tested {
		t.Fatalf("Add it anyway shows %q: %q", w.page, windowTexts(w.win))
	}
	tapButton(t, e, w.win, tr("Finish"))
	if acc, ok := e.Manager.Account("anna@example.org"); !ok || acc.Kind != types.IMAP {
		t.Fatalf("the IMAP account was not added: %+v", acc)
	}

	// The same kind again: POP3 for the POP3 account's address, typed by hand.
	w = e.fillIdentity("anna@example.org", "a-secret")
	tapLink(t, e, w.win, tr("Configure manually"))
	w.form.kind.SetSelected("POP3")
	w.form.in.host.SetText("pop.example.org")
	w.form.out.host.SetText("")
	e.settle()
	tapButton(t, e, w.win, tr("Test settings"))
	if w.page != pageManual || !w.notice.Visible() {
		t.Fatalf("a second POP3 account for the address went on to %q: %q", w.page, windowTexts(w.win))
	}
	e.mustShow(w.win, tr("{{.Address}} is already set up as the {{.Kind}} account “{{.Name}}”, so it is not added again. Its settings are under Account settings.",
		map[string]any{"Address": "anna@example.org", "Kind": "POP3", "Name": "home"}))
	w.Close()

	// The same kind again: IMAP for the IMAP account's address, from discovery.
	w = e.fillIdentity("bob@example.org", "b-secret")
	tapButton(t, e, w.win, tr("Continue"))
	tapButton(t, e, w.win, tr("Continue"))
	if w.page != pageType || !inView(w.win, w.notice) {
		t.Fatalf("a second IMAP account for the address went on to %q: %q", w.page, windowTexts(w.win))
	}
	if !inView(w.win, findButton(t, w.win, tr("Continue"))) {
		t.Fatal("the buttons are out of view below the notice")
	}
	shot(w.win, "same-kind")
	// An IMAP account's address may still get a POP3 account.
	for _, o := range windowObjects(w.win) {
		if r, ok := o.(*widget.RadioGroup); ok && len(r.Options) == 1 && r.Options[0] == tr("POP3") {
			r.SetSelected(tr("POP3"))
		}
	}
	e.settle()
	tapButton(t, e, w.win, tr("Continue"))
	if w.page != pageTest {
		t.Fatalf("POP3 for an IMAP account's address shows %q: %q", w.page, windowTexts(w.win))
	}
	if n := len(e.Manager.Accounts()); n != 3 {
		t.Fatalf("%d accounts, want 3", n)
	}
}

func TestWizardSameAddressInDutch(t *testing.T) {
	uitest.InDutch(t, "TestWizardSameAddress")
}
