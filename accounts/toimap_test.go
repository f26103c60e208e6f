package accounts_test

import (
	"context"
	"errors"
	"testing"

	"postbode/accounts"
	"postbode/internal/testkit"
	"postbode/localcache"
	"postbode/types"
)

// IMAPTwin: settings fetched over plain http are not used; the IMAP server found keeps the POP3
// account's user, outgoing server and (on the same host) trusted CA; the name is free; an IMAP
// account of the same address is found rather than made; only POP3 accounts have a twin.
func TestIMAPTwin(t *testing.T) {
	cache, err := localcache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	pop := types.Account{Name: "home", Kind: types.POP3, Email: "me@example.test", Signature: "Me",
		Incoming: types.Server{Host: "mail.example.test", Port: 995, Security: types.SecurityTLS, User: "me", CAFile: "/ca.pem"},
		Outgoing: types.Server{Host: "smtp.example.test", Port: 465, Security: types.SecurityTLS, User: "me"}}
	taken := types.Account{Name: "home-imap", Kind: types.IMAP, Email: "other@example.test",
		Incoming: types.Server{Host: "imap.other.test", Port: 993, Security: types.SecurityTLS, User: "other"}}
	imapAt := func(host string, insecure bool) accounts.DiscoveryResult {
		return accounts.DiscoveryResult{InsecureSource: insecure, Incoming: []accounts.DiscoveredServer{
			{Protocol: types.IMAP, Server: types.Server{Host: host, Port: 993, Security: types.SecurityTLS, User: "me@example.test"}}}}
	}
	results := []accounts.DiscoveryResult{imapAt("evil.test", true), imapAt("mail.example.test", false)}
	newManager := func(accs ...types.Account) *accounts.Manager {
		return accounts.NewManager(&accounts.Config{Accounts: accs}, cache, testkit.NewSecrets(nil, nil),
			map[types.Protocol]types.Backend{types.IMAP: {KeepsMailOnServer: true}, types.POP3: {}},
			accounts.Options{Discover: func(context.Context, string) ([]accounts.DiscoveryResult, error) { return results, nil }})
	}
	ctx := context.Background()

	twin, found, err := newManager(pop, taken).IMAPTwin(ctx, "home")
	if err != nil || found {
		t.Fatalf("IMAPTwin = %v, found %v", err, found)
	}
	in := twin.Incoming
	if twin.Kind != types.IMAP || twin.Name != "home-imap-2" || in.Host != "mail.example.test" || in.User != "me" || in.CAFile != "/ca.pem" ||
		twin.Outgoing != pop.Outgoing || twin.Signature != "Me" || twin.Email != pop.Email {
		t.Errorf("twin = %+v", twin)
	}
	if err := twin.Validate(); err != nil {
		t.Errorf("the twin is not a valid account: %v", err)
	}

	results = []accounts.DiscoveryResult{imapAt("imap.example.test", false)}
	if twin, _, _ := newManager(pop).IMAPTwin(ctx, "home"); twin.Incoming.CAFile != "" {
		t.Errorf("the CA trusted for %s went with the account to %s", pop.Incoming.Host, twin.Incoming.Host)
	}

	results = []accounts.DiscoveryResult{imapAt("evil.test", true)}
	if _, _, err := newManager(pop).IMAPTwin(ctx, "home"); !errors.Is(err, accounts.ErrNoIMAPFound) {
		t.Errorf("only insecure settings: %v", err)
	}
	// No source knew the domain: the same answer, not discovery's long list of what it tried.
	nothing := accounts.NewManager(&accounts.Config{Accounts: []types.Account{pop}}, cache, testkit.NewSecrets(nil, nil), nil,
		accounts.Options{Discover: func(_ context.Context, email string) ([]accounts.DiscoveryResult, error) {
			return nil, &accounts.NoSettingsFoundError{Address: email}
		}})
	if _, _, err := nothing.IMAPTwin(ctx, "home"); !errors.Is(err, accounts.ErrNoIMAPFound) {
		t.Errorf("no settings found: %v", err)
	}

	same := types.Account{Name: "work", Kind: types.IMAP, Email: "ME@example.test",
		Incoming: types.Server{Host: "imap.example.test", Port: 993, Security: types.SecurityTLS, User: "me"}}
	if twin, found, err := newManager(pop, same).IMAPTwin(ctx, "home"); err != nil || !found || twin.Name != "work" {
		t.Errorf("with an IMAP account of the same address: %s, found %v, %v", twin.Name, found, err)
	}
	if _, _, err := newManager(pop, same).IMAPTwin(ctx, "work"); err == nil {
		t.Error("an IMAP account got a twin")
	}
}
