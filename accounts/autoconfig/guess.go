package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"postbode/sync/transport"
	"postbode/types"
)

// guessCandidate is one host and port that might serve a protocol.
type guessCandidate struct {
	server Server
	rank   int // preference within its protocol, 0 best
}

type guessState int

const (
	guessWaiting guessState = iota // not started or running
	guessFailed
	guessOK
)

var guessProtocols = []types.Protocol{types.IMAP, types.POP3, types.SMTP}

// guessCandidates lists the usual names (and the bare domain, as Thunderbird
// does) with implicit-TLS ports first, then STARTTLS ports. Never plaintext.
// The slice is in probing order: all implicit-TLS candidates first, the
// protocols interleaved so each gets its best guesses tried early.
func guessCandidates(a address) []guessCandidate {
	d := a.domain
	hosts := map[types.Protocol][]string{
		types.IMAP: {"imap." + d, "mail." + d, d},
		types.POP3: {"pop3." + d, "pop." + d, "mail." + d, d},
		types.SMTP: {"smtp." + d, "mail." + d, d},
	}
	rank := map[types.Protocol]int{}
	var out []guessCandidate
	for _, sec := range []types.Security{types.SecurityTLS, types.SecurityStartTLS} {
		for h := 0; h < 4; h++ {
			for _, p := range guessProtocols {
				if h >= len(hosts[p]) || !validHostname(hosts[p][h]) {
					continue
				}
				out = append(out, guessCandidate{
					server: Server{Protocol: p, Server: types.Server{Host: hosts[p][h], Port: types.DefaultPort(p, sec), Security: sec, User: a.email}},
					rank:   rank[p],
				})
				rank[p]++
			}
		}
	}
	return out
}

type probeOutcome struct {
	i    int
	caps []string
	err  error
}

// guess probes the candidates with bounded concurrency. A protocol is
// settled once its best-ranked confirmed candidate has no better one still
// waiting; its other probes are then stopped. When time runs out, the best
// confirmed candidates so far are used.
func guess(ctx context.Context, opts Options, a address) (*Result, error) {
	cands := guessCandidates(a)
	state := make([]guessState, len(cands))
	caps := make([][]string, len(cands))
	stops := make([]context.CancelFunc, len(cands))
	var firstCertErr error
	failures := 0

	ch := make(chan probeOutcome, len(cands)) // buffered: probes never block on send
	running := 0
	defer func() {
		// Stop what still runs and wait for it, so no probe outlives guess.
		for _, stop := range stops {
			if stop != nil {
				stop()
			}
		}
		for ; running > 0; running-- {
			<-ch
		}
	}()

	settledProto := func(p types.Protocol) bool {
		for i, c := range cands { // cands of p appear in rank order
			if c.server.Protocol != p {
				continue
			}
			switch state[i] {
			case guessOK:
				return true
			case guessWaiting:
				return false
			}
		}
		return true
	}
	allSettled := func() bool {
		for _, p := range guessProtocols {
			if !settledProto(p) {
				return false
			}
		}
		return true
	}

	next := 0
loop:
	for {
		for running < opts.ProbeConcurrency && next < len(cands) {
			i := next
			next++
			if settledProto(cands[i].server.Protocol) {
				state[i] = guessFailed // not needed
				continue
			}
			pctx, stop := context.WithCancel(ctx)
			stops[i] = stop
			running++
			go func() {
				s := cands[i].server
				res, err := opts.Probe(pctx, transport.Config{
					Protocol:    types.Protocol(s.Protocol),
					Host:        s.Host,
					Port:        s.Port,
					Security:    s.Security,
					ExtraRoots:  opts.ExtraRoots,
					DialTimeout: opts.PerSourceTimeout,
					IOTimeout:   opts.PerSourceTimeout,
					DialContext: opts.DialContext,
				})
				ch <- probeOutcome{i, res.Capabilities, err}
			}()
		}
		if running == 0 || allSettled() {
			break
		}
		select {
		case o := <-ch:
			running--
			stops[o.i]()
			if o.err != nil {
				state[o.i] = guessFailed
				failures++
				var ce *transport.CertError
				if firstCertErr == nil && errors.As(o.err, &ce) {
					firstCertErr = fmt.Errorf("%s answered with an untrusted certificate: %w",
						net.JoinHostPort(cands[o.i].server.Host, strconv.Itoa(cands[o.i].server.Port)), ce)
				}
				continue
			}
			state[o.i], caps[o.i] = guessOK, o.caps
			if p := cands[o.i].server.Protocol; settledProto(p) {
				for i, c := range cands {
					if c.server.Protocol == p && state[i] == guessWaiting && stops[i] != nil {
						stops[i]() // a better candidate already answered
					}
				}
			}
		case <-ctx.Done():
			break loop
		}
	}

	r := &Result{Source: "guessed and probed"}
	oauthOnly := true
	for _, p := range guessProtocols {
		for i, c := range cands {
			if c.server.Protocol != p || state[i] != guessOK {
				continue
			}
			s := c.server
			var password, oauth bool
			s.Auth, password, oauth = authFromCaps(p, caps[i])
			if p == types.SMTP {
				r.Outgoing = append(r.Outgoing, s)
			} else {
				r.Incoming = append(r.Incoming, s)
				oauthOnly = oauthOnly && oauth && !password
			}
			break
		}
	}
	if len(r.Incoming) == 0 {
		if err := ctx.Err(); err != nil && failures == 0 {
			return nil, err
		}
		err := fmt.Errorf("no IMAP or POP3 server answered on the usual names and ports (%d tried)", failures)
		if firstCertErr != nil {
			err = fmt.Errorf("%w; %w", err, firstCertErr)
		}
		return nil, err
	}
	r.NeedsOAuth = oauthOnly
	return r, nil
}

// authFromCaps reads the login methods a server offers (over TLS) from the
// probe's capabilities: IMAP atoms, POP3 CAPA lines, SMTP EHLO lines.
func authFromCaps(p types.Protocol, caps []string) (auth string, password, oauth bool) {
	var mechs []string
	loginDisabled := false
	user := false
	for _, c := range caps {
		f := strings.Fields(strings.ToUpper(c))
		if len(f) == 0 {
			continue
		}
		switch p {
		case types.IMAP:
			if m, ok := strings.CutPrefix(f[0], "AUTH="); ok {
				mechs = append(mechs, m)
			}
			loginDisabled = loginDisabled || f[0] == "LOGINDISABLED"
		case types.POP3:
			if f[0] == "SASL" {
				mechs = append(mechs, f[1:]...)
			}
			user = user || f[0] == "USER"
		case types.SMTP:
			if m, ok := strings.CutPrefix(f[0], "AUTH="); ok { // old form
				mechs = append(mechs, m)
			} else if f[0] == "AUTH" {
				mechs = append(mechs, f[1:]...)
			}
		}
	}
	for _, m := range mechs {
		switch m {
		case "PLAIN", "LOGIN":
			password = true
		case "XOAUTH2", "OAUTHBEARER":
			oauth = true
		}
	}
	switch p {
	case types.IMAP:
		password = password || !loginDisabled // LOGIN works unless disabled
	case types.POP3:
		password = password || user || len(caps) == 0 // no CAPA: USER/PASS is the base protocol
	}
	switch {
	case password:
		return "password-cleartext", true, oauth
	case oauth:
		return "OAuth2", false, true
	}
	return "", false, false
}
