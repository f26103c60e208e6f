package accounts

import (
	"context"
	"errors"

	"postbode/accounts/autoconfig"
	"postbode/types"
)

// The settings discovery types, so that callers of Manager.Discover need not import
// accounts/autoconfig.
type (
	// DiscoveryResult is one proposal of server settings for an address.
	DiscoveryResult = autoconfig.Result
	// DiscoveredServer is one server of a proposal.
	DiscoveredServer = autoconfig.Server
	// NoSettingsFoundError is what Discover returns when no source knew the address's domain.
	NoSettingsFoundError = autoconfig.NotFoundError
)

// ErrInvalidAddress is what Discover returns for an address it cannot look up.
var ErrInvalidAddress = autoconfig.ErrInvalidAddress

// ErrNoOutgoingTest is what TestOutgoing returns when the Manager was given no outgoing test.
var ErrNoOutgoingTest = errors.New("no outgoing server test")

// Discover looks up the server settings for an e-mail address, best first (Options.Discover;
// by default autoconfig.Discover with its defaults). Nothing is changed or saved.
func (m *Manager) Discover(ctx context.Context, email string) ([]DiscoveryResult, error) {
	return m.opt.Discover(ctx, email)
}

// CanTestOutgoing reports whether TestOutgoing can test an outgoing server (Options.TestOutgoing
// was given).
func (m *Manager) CanTestOutgoing() bool { return m.opt.TestOutgoing != nil }

// TestOutgoing logs in to an account's outgoing server with password without sending anything
// (Options.TestOutgoing); without one it returns ErrNoOutgoingTest.
func (m *Manager) TestOutgoing(ctx context.Context, acc types.Account, password string) error {
	if m.opt.TestOutgoing == nil {
		return ErrNoOutgoingTest
	}
	return m.opt.TestOutgoing(ctx, acc, password)
}

func defaultDiscover(ctx context.Context, email string) ([]DiscoveryResult, error) {
	return autoconfig.Discover(ctx, email, autoconfig.Options{})
}
