package autoconfig

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// address is a parsed e-mail address; domain is lowercase ASCII (an
// internationalised domain is converted to its A-label form).
type address struct {
	email, local, domain string
}

func parseAddress(s string) (address, error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return address{}, fmt.Errorf("%w: %q has no user@domain form", ErrInvalidAddress, clip(s))
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !utf8.ValidString(local) || strings.ContainsFunc(local, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>'
	}) {
		return address{}, fmt.Errorf("%w: bad user part in %q", ErrInvalidAddress, clip(s))
	}
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil {
		return address{}, fmt.Errorf("%w: domain %q: %w", ErrInvalidAddress, clip(domain), err)
	}
	ascii = strings.ToLower(ascii)
	if !validHostname(ascii) {
		return address{}, fmt.Errorf("%w: %q is not a domain name", ErrInvalidAddress, clip(domain))
	}
	return address{email: local + "@" + ascii, local: local, domain: ascii}, nil
}

// normalizeHost lowercases a host name and drops a trailing dot (DNS answers
// are fully qualified).
func normalizeHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
}

// validHostname reports whether h is a DNS host name in LDH form: labels of
// 1–63 letters, digits and inner hyphens, at most 253 characters, and a last
// label that is not all digits (so no IPv4 literal slips through).
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// registrableDomain returns the domain a registrant controls for host
// ("aspmx.l.google.com" → "google.com"), by the public suffix list.
func registrableDomain(host string) (string, error) {
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return "", err
	}
	if !validHostname(d) {
		return "", errors.New("no registrable domain")
	}
	return d, nil
}

// cleanText makes a provider-supplied string safe to show in a terminal or
// a label: control and bidirectional-override characters are dropped,
// whitespace runs collapse and the length is capped.
func cleanText(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), isBidi(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if n++; n > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// clip shortens hostile input for an error message (%q escapes the rest).
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
