package wizard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/sync/transport"
	"postbode/types"
	"postbode/ui/internal/uitest"
	"postbode/ui/uikit"
)

// screenTest fails a connection test by the incoming host's first label, so each screenshot shows
// one kind of failure; "slow" waits until the test is stopped.
func screenTest(ctx context.Context, acc types.Account, pw string) (types.TestReport, error) {
	host := acc.Incoming.Host
	switch {
	case strings.HasPrefix(host, "slow"):
		<-ctx.Done()
		return types.TestReport{}, ctx.Err()
	case pw == "wrong":
		return types.TestReport{}, errors.New("imap login as me@example.org: NO [AUTHENTICATIONFAILED] Authentication failed.")
	case strings.HasPrefix(host, "selfsigned"):
		nb := time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)
		return types.TestReport{}, fmt.Errorf("imap connect: %w", &transport.CertError{
			Host: host, Reason: transport.ReasonSelfSigned,
			Subject: "CN=" + host + ",O=Home server", Issuer: "CN=" + host + ",O=Home server",
			NotBefore: nb, NotAfter: nb.AddDate(2, 0, 0), DNSNames: []string{host},
			SHA256: "3f9a1c07d2e84b6f5a90c3e1d7b2468f0e5c9a7b3d1f2e4c6a8b0d9f1e3c5a7b",
		})
	case strings.HasPrefix(host, "plain"):
		return types.TestReport{}, fmt.Errorf("imap connect: %s:143: %w", host, transport.ErrStartTLSUnavailable)
	case strings.HasPrefix(host, "down"):
		return types.TestReport{}, fmt.Errorf("imap connect: %w", &net.OpError{Op: "dial", Net: "tcp",
			Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	}
	return types.TestReport{TLS: "TLS 1.3 TLS_AES_128_GCM_SHA256"}, nil
}

// screenSMTP fails an outgoing server the way screenTest fails an incoming one with that name.
func screenSMTP(ctx context.Context, acc types.Account, pw string) error {
	a := acc
	a.Incoming = acc.Outgoing
	_, err := screenTest(ctx, a, pw)
	return err
}

func screenDiscover(ctx context.Context, email string) ([]accounts.DiscoveryResult, error) {
	domain := email[strings.LastIndex(email, "@")+1:]
	srv := func(p types.Protocol, host string, port int) accounts.DiscoveredServer {
		return accounts.DiscoveredServer{Protocol: p, Server: types.Server{Host: host, Port: port, Security: types.SecurityTLS, User: email}}
	}
	switch domain {
	case "slow.example":
		<-ctx.Done()
		return nil, ctx.Err()
	case "guess.example":
		return []accounts.DiscoveryResult{{Source: "guessed and probed",
			Incoming: []accounts.DiscoveredServer{srv(types.IMAP, "mail.guess.example", 993)},
			Outgoing: []accounts.DiscoveredServer{srv(types.SMTP, "mail.guess.example", 465)}}}, nil
	}
	return []accounts.DiscoveryResult{{Source: "ISPDB", DisplayName: "Example Mail",
		Incoming: []accounts.DiscoveredServer{srv(types.IMAP, "imap."+domain, 993), srv(types.POP3, "pop."+domain, 995)},
		Outgoing: []accounts.DiscoveredServer{srv(types.SMTP, "smtp."+domain, 465)}}}, nil
}

// TestWizardScreenshots renders every step of the wizard to PNG files (under the temporary
// directory's postbode-screenshots; docs/screenshots keeps copies).
func TestWizardScreenshots(t *testing.T) {
	backend := types.Backend{New: func(d types.EngineDeps) types.Engine { return idleEngine{} }, Test: screenTest}
	backends := map[types.Protocol]types.Backend{types.IMAP: keepsMailOnServer(backend), types.POP3: backend}
	e := newWizardEnv(t, wizardOpts{backends: backends, discover: screenDiscover, testSMTP: screenSMTP})
	e.app.Settings().SetTheme(uikit.FixedVariant(theme.VariantLight))
	shot := func(w fyne.Window, name string) {
		t.Helper()
		uitest.SavePNG(t, w.Canvas().Capture(), "wizard-"+name+".png")
	}

	w := e.fillIdentity("anna@example.org", "a-secret")
	test.Type(w.nameE, "")
	w.nameE.SetText("Anna Bakker")
	shot(w.win, "1-identity")

	// Discovery in progress: the page is shown until the lookup answers or is stopped.
	w.emailE.SetText("anna@slow.example")
	test.Tap(findButton(t, w.win, "Continue"))
	for i := 0; i < 20 && w.page != pageDiscover; i++ {
		e.q.RunAll()
		time.Sleep(5 * time.Millisecond)
	}
	if w.page != pageDiscover {
		t.Fatalf("discovery page not shown: %s", w.page)
	}
	shot(w.win, "2-discovering")
	tapButton(t, e, w.win, "Stop")
	if w.page != pageManual {
		t.Fatalf("stopping discovery shows %s", w.page)
	}
	shot(w.win, "manual")

	w.emailE.SetText("anna@example.org")
	w.showIdentity()
	tapButton(t, e, w.win, "Continue")
	if w.page != pageType {
		t.Fatalf("wizard shows %s", w.page)
	}
	shot(w.win, "2-type")
	for _, o := range windowObjects(w.win) {
		if r, ok := o.(*widget.RadioGroup); ok && len(r.Options) == 1 && r.Options[0] == "POP3" {
			r.SetSelected("POP3")
		}
	}
	e.settle()
	shot(w.win, "2-type-pop3")

	w.emailE.SetText("anna@guess.example")
	w.showIdentity()
	tapButton(t, e, w.win, "Continue")
	shot(w.win, "2-confirm")

	w.acc.Email = "anna@example.org" // the address the test pages are for
	outHost := "smtp.example.org"
	testPage := func(host, pw, name string) {
		t.Helper()
		w.password = pw
		acc := w.accountFrom(accounts.DiscoveryResult{Incoming: []accounts.DiscoveredServer{{Protocol: types.IMAP, Server: types.Server{Host: host, Port: 993, Security: types.SecurityTLS, User: "anna@example.org"}}},
			Outgoing: []accounts.DiscoveredServer{{Protocol: types.SMTP, Server: types.Server{Host: outHost, Port: 465, Security: types.SecurityTLS, User: "anna@example.org"}}}}, types.IMAP)
		w.setAccount(acc)
		w.showTest()
		if !strings.HasPrefix(host, "slow") {
			e.settle()
		}
		shot(w.win, name)
	}
	testPage("imap.example.org", "a-secret", "3-ok")
	testPage("imap.example.org", "wrong", "3-auth")
	testPage("selfsigned.home.example", "a-secret", "3-certificate")
	testPage("plain.example.org", "a-secret", "3-starttls")
	testPage("down.example.org", "a-secret", "3-unreachable")
	// Receiving works, the outgoing server does not answer: Finish anyway.
	outHost = "down.smtp.example.org"
	testPage("imap.example.org", "a-secret", "smtp-down")
	if !hasButton(w.win, "Finish anyway") {
		t.Fatalf("no Finish anyway: %q", windowTexts(w.win))
	}
	outHost = "smtp.example.org"
	testPage("slow.example.org", "a-secret", "3-testing")
	tapButton(t, e, w.win, "Stop")
	w.close()

}
