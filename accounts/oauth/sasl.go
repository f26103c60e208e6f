package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// SASL mechanism names.
const (
	XOAUTH2     = "XOAUTH2"
	OAUTHBEARER = sasl.OAuthBearer
)

// ServerError is the JSON a mail server sends as a SASL challenge when it
// refuses a bearer token (RFC 7628 §3.2.2; Google's XOAUTH2 uses the same).
type ServerError struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

// TokenRefused reports whether the server refused the token itself: the caller
// should Invalidate it and retry once with a fresh one.
func (e ServerError) TokenRefused() bool {
	return e.Status == "invalid_token" || e.Status == "401"
}

func (e ServerError) Error() string {
	if e.Status == "" {
		return "mail server refused the OAuth login"
	}
	return fmt.Sprintf("mail server refused the OAuth login (status %s)", e.Status)
}

// ParseServerError decodes a server's error challenge, raw JSON or still
// base64-encoded (as on a POP3 "+ ..." line). Undecodable input gives a
// ServerError with empty fields.
func ParseServerError(challenge []byte) ServerError {
	var e ServerError
	if json.Unmarshal(challenge, &e) == nil {
		return e
	}
	s := strings.TrimSpace(string(challenge))
	if raw, err := base64.StdEncoding.DecodeString(s); err == nil && json.Unmarshal(raw, &e) == nil {
		return e
	}
	return ServerError{}
}

// InitialResponse is the unencoded initial client response of mech for user
// and token; POP3 sends it base64-encoded as "AUTH XOAUTH2 <base64>".
func InitialResponse(mech, user, token string) ([]byte, error) {
	if strings.ContainsAny(user, "\x01") || strings.ContainsAny(token, "\x01 ") || token == "" {
		return nil, errors.New("oauth sasl: user or token contains a forbidden character")
	}
	switch strings.ToUpper(mech) {
	case XOAUTH2:
		return []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01"), nil
	case OAUTHBEARER:
		// RFC 5801 §4 saslname: ',' and '=' are escaped in the authzid.
		authzid := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user)
		if authzid != "" {
			authzid = "a=" + authzid
		}
		return []byte("n," + authzid + ",\x01auth=Bearer " + token + "\x01\x01"), nil
	}
	return nil, fmt.Errorf("oauth sasl: unsupported mechanism %q", mech)
}

// NewSASLClient returns a client for XOAUTH2 or OAUTHBEARER usable with
// go-imap's Authenticate and go-smtp's Auth. When the server answers with an
// error challenge, the client sends the required dummy response so the
// exchange ends cleanly, and the decoded error is available from
// SASLServerError after the login fails.
func NewSASLClient(mech, user, token string) (sasl.Client, error) {
	ir, err := InitialResponse(mech, user, token)
	if err != nil {
		return nil, err
	}
	return &saslClient{mech: strings.ToUpper(mech), ir: ir}, nil
}

// SASLServerError returns the error challenge the server sent to a client
// made by NewSASLClient, if any.
func SASLServerError(c sasl.Client) (ServerError, bool) {
	sc, ok := c.(*saslClient)
	if !ok || sc.failed == nil {
		return ServerError{}, false
	}
	return *sc.failed, true
}

type saslClient struct {
	mech   string
	ir     []byte
	failed *ServerError
}

func (c *saslClient) Start() (string, []byte, error) {
	return c.mech, c.ir, nil
}

// Next answers the server's error challenge; both mechanisms have exactly one
// round trip, so any challenge is an error report.
func (c *saslClient) Next(challenge []byte) ([]byte, error) {
	if c.failed != nil {
		return nil, errors.New("oauth sasl: unexpected second challenge")
	}
	e := ParseServerError(challenge)
	c.failed = &e
	if c.mech == OAUTHBEARER {
		return []byte{0x01}, nil // RFC 7628 §3.2.3: %x01 ends a failed exchange
	}
	return []byte{}, nil // XOAUTH2: an empty response
}
