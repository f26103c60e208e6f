package mailfile

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Maildir++ folder names are IMAP names in modified UTF-7 (RFC 3501 5.1.3), as Dovecot and
// Courier write them. The IMAP engine has its own decoder, shaped by what go-imap accepts on the
// wire; this one only needs to answer "is this an encoded name, and what does it say".
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// decodeFolderName decodes s when it is valid modified UTF-7 with at least one "&" shift, and
// returns it unchanged otherwise (a plain name, or UTF-8 written by a tool that does not encode).
func decodeFolderName(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < 0x20 {
			return s
		}
		if c != '&' {
			sb.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return s
		}
		run := s[i+1 : i+1+end]
		i += end + 1
		if run == "" {
			sb.WriteByte('&')
			continue
		}
		b, err := mutf7.DecodeString(run)
		if err != nil || len(b)%2 != 0 {
			return s
		}
		u := make([]uint16, len(b)/2)
		for j := range u {
			u[j] = uint16(b[2*j])<<8 | uint16(b[2*j+1])
		}
		for _, r := range utf16.Decode(u) {
			if r == utf8.RuneError {
				return s
			}
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
