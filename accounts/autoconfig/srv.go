package autoconfig

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"

	"postbode/types"
)

// srvServices are the RFC 6186 services, with RFC 8314's implicit-TLS ones.
var srvServices = []struct {
	service  string
	proto    types.Protocol
	security types.Security
}{
	{"imaps", types.IMAP, types.SecurityTLS},
	{"imap", types.IMAP, types.SecurityStartTLS},
	{"pop3s", types.POP3, types.SecurityTLS},
	{"pop3", types.POP3, types.SecurityStartTLS},
	{"submissions", types.SMTP, types.SecurityTLS},
	{"submission", types.SMTP, types.SecurityStartTLS},
}

type srvCandidate struct {
	priority, weight uint16
	server           Server
}

// lookupSRV asks for every service at once. A service whose only target is
// "." is explicitly not offered (RFC 2782). Servers are ordered by priority
// across IMAP and POP3 (RFC 6186 lets the priority express a preference
// between them); at equal priority implicit TLS goes first (RFC 8314), then
// IMAP before POP3, then higher weight.
func lookupSRV(ctx context.Context, res Resolver, a address) (*Result, error) {
	answers := make([][]*net.SRV, len(srvServices))
	var wg sync.WaitGroup
	for i, svc := range srvServices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A missing record is an error here; and net.Resolver returns
			// the valid records along with an error when some targets were
			// malformed. Either way: use what is valid.
			_, answers[i], _ = res.LookupSRV(ctx, svc.service, "tcp", a.domain)
		}()
	}
	wg.Wait()

	var in, out []srvCandidate
	for i, svc := range srvServices {
		for _, rec := range answers[i] {
			host := normalizeHost(rec.Target)
			if host == "" || rec.Port == 0 || !validHostname(host) {
				continue // "." (not offered) or unusable
			}
			c := srvCandidate{rec.Priority, rec.Weight, Server{
				Protocol: svc.proto,
				// RFC 6186 §4: try the full address as the user name first.
				Server: types.Server{Host: host, Port: int(rec.Port), Security: svc.security, User: a.email},
			}}
			if svc.proto == types.SMTP {
				out = append(out, c)
			} else {
				in = append(in, c)
			}
		}
	}
	if len(in) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("no IMAP or POP3 SRV records")
	}
	return &Result{Incoming: sortSRV(in), Outgoing: sortSRV(out), Source: "DNS SRV"}, nil
}

func sortSRV(cs []srvCandidate) []Server {
	protoRank := func(p types.Protocol) int {
		if p == types.POP3 {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(cs, func(a, b srvCandidate) int {
		switch {
		case a.priority != b.priority:
			return int(a.priority) - int(b.priority)
		case a.server.Security != b.server.Security:
			return securityRank(a.server.Security) - securityRank(b.server.Security)
		case a.server.Protocol != b.server.Protocol:
			return protoRank(a.server.Protocol) - protoRank(b.server.Protocol)
		}
		return int(b.weight) - int(a.weight)
	})
	out := make([]Server, 0, len(cs))
	for _, c := range cs {
		if !slices.Contains(out, c.server) {
			out = append(out, c.server)
		}
	}
	return out
}
