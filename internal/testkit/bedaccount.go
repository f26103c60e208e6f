package testkit

import (
	"postbode/internal/testkit/testbed"
	"postbode/types"
)

// BedAccount is a Postbode account of user on the test bed's Dovecot, over implicit TLS (IMAPS or
// POP3S), trusting the test CA.
func BedAccount(d *testbed.Dovecot, name, user string, kind types.Protocol) types.Account {
	port := d.IMAPSPort
	if kind == types.POP3 {
		port = d.POP3SPort
	}
	return types.Account{Name: name, Kind: kind, Email: user + "@mail.test",
		Incoming: types.Server{Host: d.Host, Port: port, Security: types.SecurityTLS, User: user, CAFile: d.CAFile}}
}
