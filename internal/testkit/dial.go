package testkit

import (
	"context"
	"fmt"
	"net"
)

// LoopbackDialer returns a DialContext that keeps tests on this machine: a host named in names
// is dialed at its loopback address (mail.test → 127.0.0.1, say), a loopback literal as it is,
// and anything else is refused, so that no test reaches the network by mistake.
func LoopbackDialer(names map[string]string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip, ok := names[host]; ok {
			host = ip
		} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("test dialer: refusing %q, not a test name or a loopback address", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(host, port))
	}
}
