package mailfmt

import (
	"encoding/base64"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

// crlf turns the LF line ends used for readability into the CRLF of stored mail.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// b64 encodes data wrapped at 76 columns, as mailers do.
func b64(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
	return b.String()
}

func shiftJIS(s string) []byte {
	out, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err) // fixed test input
	}
	return out
}

// pdfBytes stands in for an attachment's content.
var pdfBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

var msgPlain = crlf(`Return-Path: <alice@example.org>
From: Alice Example <alice@example.org>
To: Bob <bob@example.net>, carol@example.com
Cc: "Dave, the third" <dave@example.com>
Reply-To: lists@example.org
Subject: Lunch on Friday?
Date: Tue, 14 Jan 2025 09:30:00 +0100
Message-ID: <c1@example.org>
In-Reply-To: <b0@example.net>
References: <root@example.net>
 <b0@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hi Bob,

Shall we try the new place? Menu: https://food.example.com/menu.

Bob wrote:
> Friday works for me.
> > Nested quote here.

Alice
`)

var msgAlternative = crlf(`From: =?UTF-8?Q?Zo=C3=AB_Jansen?= <zoe@example.nl>
To: team@example.nl
Subject: =?UTF-8?B?UmVsZWFzZSBub3RlcyDwn5qA?=
Date: Wed, 15 Jan 2025 16:00:00 +0000
Message-ID: <alt1@example.nl>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="ALT"

This is a multi-part message in MIME format.

--ALT
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Release 2.0 is out.

* faster sync
* dark mode

Details: https://example.nl/notes
--ALT
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><head><title>ignored</title><style>p{color:red}</style></head><body>
<h1>Release 2.0</h1>
<p>It is <b>out</b>, see the <a href=3D"https://example.nl/notes">release notes</a>=
.</p>
<ul><li>faster sync</li><li>dark mode</li></ul>
</body></html>
--ALT--
`)

var msgMixed = crlf(`From: billing@example.com
To: you@example.org
Subject: Your invoice
Date: Thu, 16 Jan 2025 08:00:00 -0500
Message-ID: <inv42@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="MIX"

--MIX
Content-Type: text/plain; charset=utf-8

Please find your invoice attached.
--MIX
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates%202025.pdf
Content-Transfer-Encoding: base64

` + b64(pdfBytes) + `--MIX
Content-Type: image/png; name="logo.png"
Content-Disposition: inline
Content-ID: <logo@example.com>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--MIX
Content-Type: text/plain; charset=iso-8859-1
Content-Disposition: attachment; filename="notes.txt"

plain attachment
--MIX--
`)

var msgNested = crlf(`From: fwd@example.org
To: me@example.org
Subject: Fwd: Quarterly numbers
Date: Fri, 17 Jan 2025 12:00:00 +0000
Message-ID: <fwd1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUTER"

--OUTER
Content-Type: text/plain

See the attached message.
--OUTER
Content-Type: message/rfc822
Content-Disposition: attachment

From: Finance <finance@example.com>
To: board@example.com
Subject: Quarterly numbers
Date: Mon, 13 Jan 2025 10:00:00 +0000
Message-ID: <q4@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="INNER"

--INNER
Content-Type: multipart/alternative; boundary="INNERALT"

--INNERALT
Content-Type: text/plain

Revenue is up.
--INNERALT
Content-Type: text/html

<p>Revenue is <i>up</i>.</p>
--INNERALT--
--INNER
Content-Type: text/csv; name="q4.csv"
Content-Disposition: attachment; filename="q4.csv"

quarter,revenue
Q4,100
--INNER--
--OUTER--
`)

var msgLatin1 = crlf(`From: =?ISO-8859-1?Q?Ren=E9_Dupr=E9?= <rene@example.fr>
To: ami@example.fr
Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=
Date: Sat, 18 Jan 2025 07:45:00 +0100
Message-ID: <latin@example.fr>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Un caf=E9 cr=E8me, s'il vous pla=EEt.
`)

var msgCP1252 = "From: =?windows-1252?Q?=93Quoted=94_Sender?= <q@example.com>\r\n" +
	"To: x@example.com\r\n" +
	"Subject: Prices\r\n" +
	"Date: Sun, 19 Jan 2025 10:00:00 +0000\r\n" +
	"Message-ID: <cp@example.com>\r\n" +
	"Content-Type: text/plain; charset=windows-1252\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"It costs \x8010 \x93today\x94.\r\n"

var msgShiftJIS = crlf(`From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
To: x@example.jp
Subject: =?Shift_JIS?B?` + base64.StdEncoding.EncodeToString(shiftJIS("会議の件")) + `?=
Date: Mon, 20 Jan 2025 09:00:00 +0900
Message-ID: <sjis@example.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: base64

` + b64(shiftJIS("こんにちは世界。明日の会議です。\n")))

var msgUTF8 = "From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@example.ru>\r\n" +
	"To: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>\r\n" +
	"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen_=F0=9F=8D=BA?=\r\n" +
	"Date: Tue, 21 Jan 2025 18:00:00 +0100\r\n" +
	"Message-ID: <utf8@example.ru>\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Привет! Grüße 🍺\r\n"

var msgMissingEnd = crlf(`From: a@example.com
Subject: cut off
Message-ID: <cut@example.com>
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain

First part is fine.
--B
Content-Type: application/octet-stream; name="data.bin"
Content-Transfer-Encoding: base64

AAECAwQF
`)

var msgBadBase64 = crlf(`From: a@example.com
Subject: bad base64
Message-ID: <b64@example.com>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8gd29ybGQh!!!not*base64
`)

var msgUnknownCharset = crlf(`From: a@example.com
Subject: =?x-foo?Q?weird?=
Message-ID: <cs@example.com>
Content-Type: text/plain; charset=x-foo

Readable anyway.
`)

var msgUnknownEncoding = crlf(`From: a@example.com
Subject: uuencoded
Message-ID: <enc@example.com>
Content-Type: text/plain
Content-Transfer-Encoding: x-uuencode

begin 644 hello
end
`)

var msgNoBlankLine = crlf(`From: a@example.com
Subject: no separator
Message-ID: <nb@example.com>
This line should have been the body.
Second line.
`)

var msgHeaderOnly = "From: a@example.com\r\nSubject: only a header\r\nMessage-ID: <ho@example.com>"

// seedMessages feed the fuzz targets and the benchmark as well as the table tests.
var seedMessages = []string{
	msgPlain, msgAlternative, msgMixed, msgNested, msgLatin1, msgCP1252, msgShiftJIS, msgUTF8,
	msgMissingEnd, msgBadBase64, msgUnknownCharset, msgUnknownEncoding, msgNoBlankLine, msgHeaderOnly, "",
}
