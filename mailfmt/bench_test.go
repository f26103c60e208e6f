package mailfmt

import (
	"fmt"
	"strings"
	"testing"
)

// benchMessage builds a multipart/mixed message of about 20 KB: a text and HTML alternative
// and a base64 attachment, like a typical newsletter or business mail.
func benchMessage() string {
	var plain, htm strings.Builder
	for i := 0; plain.Len() < 6000; i++ {
		fmt.Fprintf(&plain, "Paragraph %d with a link https://example.com/item/%d and some text.\n\n> quoted %d\n\n", i, i, i)
	}
	for i := 0; htm.Len() < 8000; i++ {
		fmt.Fprintf(&htm, "<tr><td><h2>Item %d</h2><p>Text with <b>bold</b> and <a href=\"https://example.com/%d\">a link</a>"+
			"<img src=\"https://cdn.example.com/%d.png\" alt=\"item\"></p></td></tr>\n", i, i, i)
	}
	att := make([]byte, 3000)
	for i := range att {
		att[i] = byte(i)
	}
	return crlf(`From: News <news@example.com>
To: reader@example.org
Subject: =?UTF-8?Q?Weekly_digest_=E2=80=94_issue_42?=
Date: Mon, 3 Feb 2025 08:00:00 +0000
Message-ID: <digest42@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="M"

--M
Content-Type: multipart/alternative; boundary="A"

--A
Content-Type: text/plain; charset=utf-8

`) + crlf(plain.String()) + crlf(`
--A
Content-Type: text/html; charset=utf-8

<html><body><table>`) + crlf(htm.String()) + crlf(`</table></body></html>
--A--
--M
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: base64

`) + crlf(b64(att)) + "--M--\r\n"
}

func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(strings.NewReader(raw), DefaultLimits)
		if err != nil || len(m.Attachments) != 1 || !m.HasHTML {
			b.Fatalf("err=%v attachments=%d", err, len(m.Attachments))
		}
	}
}

func TestBenchMessageSize(t *testing.T) {
	raw := benchMessage()
	if n := len(raw); n < 18_000 || n > 24_000 {
		t.Errorf("benchmark message is %d bytes, want about 20 KB", n)
	}
	m := mustParse(t, raw, Limits{})
	if m.RemoteContentBlocked == 0 || len(m.Attachments) != 1 || m.Attachments[0].Size != 3000 {
		t.Errorf("blocked=%d attachments=%+v", m.RemoteContentBlocked, m.Attachments)
	}
}
