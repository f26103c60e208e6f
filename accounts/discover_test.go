package accounts

import (
	"context"
	"errors"
	"testing"

	"postbode/internal/testkit"
	"postbode/types"
)

func TestManagerDiscoverAndTestOutgoingUseOptions(t *testing.T) {
	var asked string
	out := errors.New("535 no")
	m := NewManager(&Config{}, nil, testkit.NewSecrets(ErrNoPassword, nil), nil, Options{
		Discover: func(ctx context.Context, email string) ([]DiscoveryResult, error) {
			asked = email
			return []DiscoveryResult{{Source: "ISPDB", Incoming: []DiscoveredServer{{Protocol: types.IMAP, Server: types.Server{Host: "imap.example.org"}}}}}, nil
		},
		TestOutgoing: func(ctx context.Context, acc types.Account, password string) error {
			if acc.Outgoing.Host != "smtp.example.org" || password != "pw" {
				t.Errorf("TestOutgoing(%+v, %q)", acc.Outgoing, password)
			}
			return out
		},
	})
	res, err := m.Discover(context.Background(), "anna@example.org")
	if err != nil || asked != "anna@example.org" || len(res) != 1 || res[0].Incoming[0].Host != "imap.example.org" {
		t.Fatalf("Discover = %+v, %v (asked %q)", res, err, asked)
	}
	if !m.CanTestOutgoing() {
		t.Fatal("CanTestOutgoing = false with a test given")
	}
	acc := types.Account{Name: "a", Outgoing: types.Server{Host: "smtp.example.org", Port: 465}}
	if err := m.TestOutgoing(context.Background(), acc, "pw"); !errors.Is(err, out) {
		t.Fatalf("TestOutgoing = %v", err)
	}
}

func TestManagerWithoutOutgoingTest(t *testing.T) {
	m := NewManager(&Config{}, nil, testkit.NewSecrets(ErrNoPassword, nil), nil)
	if m.CanTestOutgoing() {
		t.Fatal("CanTestOutgoing = true without a test")
	}
	if err := m.TestOutgoing(context.Background(), types.Account{}, "pw"); !errors.Is(err, ErrNoOutgoingTest) {
		t.Fatalf("TestOutgoing = %v", err)
	}
	// The default lookup is autoconfig's: an address without a domain is refused before any network.
	if _, err := m.Discover(context.Background(), "no-at-sign"); !errors.Is(err, ErrInvalidAddress) {
		t.Fatalf("Discover(no-at-sign) = %v", err)
	}
}
