package types

import "testing"

func TestDefaultPort(t *testing.T) {
	ports := map[Protocol][3]int{IMAP: {993, 143, 143}, POP3: {995, 110, 110}, SMTP: {465, 587, 587}}
	for proto, want := range ports {
		for i, sec := range []Security{SecurityTLS, SecurityStartTLS, SecurityPlain} {
			if p := DefaultPort(proto, sec); p != want[i] {
				t.Errorf("DefaultPort(%s, %s) = %d, want %d", proto, sec, p, want[i])
			}
		}
	}
}
