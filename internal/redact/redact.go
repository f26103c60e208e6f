// Package redact removes credentials from text a server sent back, before that text becomes an
// error a user sees or the cache stores. Servers echo what they were given more often than one
// would hope: an SMTP "535 5.7.8 Error: authentication failed: <the base64 it received>", an IMAP
// NO or a POP3 -ERR that quotes the password.
//
// Text removes every form of the attempt's secrets that a client puts on the wire (the password
// itself, IMAP-quoted, and the base64 of SASL PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER strings built
// from it), and, without knowing any secret, base64-looking runs that follow an AUTH word and
// tokens that follow "Bearer".
package redact

import (
	"encoding/base64"
	"regexp"
	"strings"
)

// Mask replaces what is removed.
const Mask = "[redacted]"

// Secrets are the credentials of one attempt. Empty fields are ignored.
type Secrets struct {
	User     string   // the login name: kept as it is, only its base64 forms are removed
	Password string   // the password
	Tokens   []string // OAuth bearer (access) tokens and other secrets
}

// minSecret is the shortest secret removed where it appears verbatim: shorter ones would take
// ordinary letters out of every message. Their encoded forms are removed at any length.
const minSecret = 3

// Text returns s with the secrets and anything that looks like an encoded credential replaced by
// Mask. It never returns a text that contains a secret of minSecret or more bytes, or one of
// the encoded forms.
func Text(s string, sec Secrets) string {
	if s == "" {
		return s
	}
	pats := patterns(sec)
	out := s
	for round := 0; round < 8; round++ {
		next := heuristics(replaceAll(out, pats, Mask))
		if next == out {
			break
		}
		out = next
	}
	// Masking can join the text around a mask into a secret again (a secret that shares letters
	// with the mask). Deleting instead always ends, because the text gets shorter each time.
	for {
		next := replaceAll(out, pats, "")
		if next == out {
			return out
		}
		out = next
	}
}

// replaceAll replaces every occurrence of any pattern; where matches overlap, their union is
// replaced by one mask.
func replaceAll(s string, pats []string, mask string) string {
	if len(pats) == 0 {
		return s
	}
	hit := make([]bool, len(s)+1)
	any := false
	for _, p := range pats {
		for i := 0; i+len(p) <= len(s); {
			j := strings.Index(s[i:], p)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(p); k++ {
				hit[k] = true
			}
			any = true
			i += j + 1
		}
	}
	if !any {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !hit[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		for i < len(s) && hit[i] {
			i++
		}
		b.WriteString(mask)
	}
	return b.String()
}

// patterns are the exact strings to remove for sec, longest first so that the longer forms are
// found before a shorter part of them.
func patterns(sec Secrets) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string, min int) {
		if len(p) >= min && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	encoded := func(raw string) {
		if raw == "" {
			return
		}
		b := []byte(raw)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			// A base64 string without its padding is still the credential; a shorter prefix of
			// it is left to the heuristics.
			add(enc.EncodeToString(b), 4)
		}
	}
	secrets := append([]string{sec.Password}, sec.Tokens...)
	users := []string{sec.User}
	if i := strings.LastIndexByte(sec.User, '@'); i > 0 {
		users = append(users, sec.User[:i])
	}
	for _, p := range secrets {
		if p == "" {
			continue
		}
		add(p, minSecret)
		add(imapQuoted(p), minSecret)
		encoded(p)
		for _, u := range users {
			// SASL PLAIN with and without an authorization identity (RFC 4616).
			encoded("\x00" + u + "\x00" + p)
			encoded(u + "\x00" + u + "\x00" + p)
			// XOAUTH2 and OAUTHBEARER (RFC 7628).
			encoded("user=" + u + "\x01auth=Bearer " + p + "\x01\x01")
			encoded("n,a=" + u + ",\x01auth=Bearer " + p + "\x01\x01")
		}
		encoded("n,,\x01auth=Bearer " + p + "\x01\x01")
	}
	if sec.Password != "" || len(sec.Tokens) > 0 {
		// AUTH LOGIN sends the user name as its own base64 string: with a secret in play, a
		// server that echoes it is echoing the start of a login.
		for _, u := range users {
			encoded(u)
		}
	}
	// Longest first: a shorter pattern inside a longer one must not leave pieces of the longer.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// imapQuoted is p as an IMAP quoted string's content (RFC 9051: \ and " escaped).
func imapQuoted(p string) string {
	if !strings.ContainsAny(p, `\"`) {
		return p
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p)
}

var (
	// authWord starts the part of a line where encoded credentials are looked for: AUTH,
	// AUTHENTICATE, "authentication failed", XOAUTH2, …
	authWord = regexp.MustCompile(`(?i)\b(?:auth|authenticat[a-z]*|xoauth2?|oauthbearer)\b`)
	// b64Run is a run of base64 (standard or URL alphabet) characters.
	b64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{12,}={0,2}`)
	// bearer is an OAuth bearer token as in an Authorization header or a SASL XOAUTH2 string.
	bearer = regexp.MustCompile(`(?i)(bearer[ =:]+)([A-Za-z0-9._~+/-]{6,}=*)`)
)

// heuristics removes what looks like an encoded credential without knowing the secret: base64
// runs after an AUTH word on the same line, and bearer tokens.
func heuristics(s string) string {
	s = bearer.ReplaceAllString(s, "${1}"+Mask)
	loc := authWord.FindStringIndex(s)
	if loc == nil {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:loc[1]])
	rest := s[loc[1]:]
	for rest != "" {
		line, after, nl := strings.Cut(rest, "\n")
		b.WriteString(b64Run.ReplaceAllStringFunc(line, func(run string) string {
			if looksEncoded(run) {
				return Mask
			}
			return run
		}))
		if !nl {
			break
		}
		b.WriteByte('\n')
		// A new line needs its own AUTH word.
		loc := authWord.FindStringIndex(after)
		if loc == nil {
			b.WriteString(after)
			break
		}
		b.WriteString(after[:loc[1]])
		rest = after[loc[1]:]
	}
	return b.String()
}

// looksEncoded tells base64 from long words: encoded data has digits or base64's symbols, or
// capitals inside a word mixed with small letters ("AGFsaWNl..."), which words rarely have.
func looksEncoded(run string) bool {
	var lower, innerUpper, other bool
	for i := 0; i < len(run); i++ {
		switch c := run[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			innerUpper = innerUpper || i > 0
		case c == '-' || c == '_':
			// word separators in ordinary text
		default:
			other = true
		}
	}
	return other || lower && innerUpper
}

// Error returns err with the text of its message redacted as Text does. The result unwraps to
// err, so errors.Is and errors.As still see the cause; only the message changes. It returns err
// itself when there is nothing to remove.
func Error(err error, sec Secrets) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := Text(msg, sec)
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

// redacted is an error whose message had credentials removed.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
