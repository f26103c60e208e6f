package imapsync

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestModifiedUTF7 checks the port against go-imap v2 beta.8's own test vectors: a name the port
// accepts must be one the library accepts, and re-encoding must give back the raw name.
func TestModifiedUTF7(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "abc": "abc", "&-abc": "&abc", "a&-b&-c": "a&b&c", "&ABk-": "\x19",
		"&-,&-&AP8-&-": "&,&\u00FF&", "abc &- &AP8A,wD,- &- xyz": "abc & \u00FF\u00FF\u00FF & xyz",
		"~peter/mail/&U,BTFw-/&ZeVnLIqe-": "~peter/mail/\u53F0\u5317/\u65E5\u672C\u8A9E",
		"&2D3eCg- &2D3eCw-":               "\U0001f60a \U0001f60b", "Entwürfe": "Entwürfe",
	} {
		if got, ok := decodeMUTF7(in); !ok || got != want {
			t.Errorf("decode %+q = %+q, %v; want %+q", in, got, ok, want)
		}
	}
	for _, in := range []string{"\x00", "abc\n", "abc\x7Fxyz", "\xc3\x28", "&/+8-", "&*-", "&ZeVnLIqe -",
		"&ZeVnLIqe\r\n-", "&AAAAHw=-", "&2A-", "&AAAAHwB,A-", "&", "&Jjo", "Jjo&", "&Jjo&", "&Jjo!",
		"abc&Jjo", "&AGE-&Jjo-", "&U,BTFw-&ZeVnLIqe-", "&AGE-", "&ACY-", "&2AA-", "&3AA-", "&2AAAQQ-", "&3ADYAA-"} {
		if got, ok := decodeMUTF7(in); ok {
			t.Errorf("decode %+q = %+q, want refused", in, got)
		}
	}
	for in, want := range map[string]string{
		"&": "&-", "-&*&-": "-&-*&--", "\u0000": "&AAA-", "\u007F": "&AH8-", "\U0010FFFF": "&2,,f,w-",
		"\x00\x1F\x7F\u0080\u00FF": "&AAAAHwB,AIAA,w-", "Hi Mom -\u263A-!": "Hi Mom -&Jjo--!",
		"&Jjo": "&-Jjo", "a\x00&": "a&AAA-&-",
	} {
		if got := encodeMUTF7(in); got != want {
			t.Errorf("encode %+q = %+q, want %+q", in, got, want)
		}
		if back, ok := decodeMUTF7(encodeMUTF7(in)); !ok || back != in {
			t.Errorf("round trip of %+q gave %+q, %v", in, back, ok)
		}
	}
}

func TestRepairNameLine(t *testing.T) {
	for in, want := range map[string]string{
		`* LIST (\HasNoChildren) "/" &Jjo` + "\r\n":   `* LIST (\HasNoChildren \X-Postbode-Raw-Name) "/" "&-Jjo"` + "\r\n",
		`* list () "." "a\"b&Jjo"` + "\r\n":           `* list (\X-Postbode-Raw-Name) "." "a\"b&-Jjo"` + "\r\n",
		`* LSUB () NIL bad&` + "\r\n":                 `* LSUB (\X-Postbode-Raw-Name) NIL "bad&-"` + "\r\n",
		`* STATUS &Jjo (MESSAGES 1)` + "\r\n":         `* STATUS "&-Jjo" (MESSAGES 1)` + "\r\n",
		`* LIST () "/" "tab` + "\x7f" + `"` + "\r\n":  `* LIST (\X-Postbode-Raw-Name) "/" "tab&AH8-"` + "\r\n",
		`* LIST () "/" "x" ("CHILDINFO" ())` + "\r\n": "",
		`* LIST () "/" "Entw&APw-rfe"` + "\r\n":       "",
		`* LIST () "/" inbox` + "\r\n":                "",
		`* STATUS "&Jjo-" (MESSAGES 1)` + "\r\n":      "",
		`* LIST () "/" {4}` + "\r\n":                  "",
		`* 1 FETCH (UID 4)` + "\r\n":                  "",
	} {
		if got := string(repairNameLine([]byte(in))); got != want {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestGuardRepairsNames: the guard hands the decoder repaired LIST and STATUS lines, whatever the
// read sizes, and never touches literal contents, even ones that look like such lines.
func TestGuardRepairsNames(t *testing.T) {
	body := "\r\n* LIST () \"/\" &Jjo\r\n"
	in := "* OK ready\r\n" +
		"* LIST (\\HasNoChildren) \"/\" &Jjo\r\n" +
		"* 1 FETCH (UID 1 BODY[] {" + strconv.Itoa(len(body)) + "}\r\n" + body + ")\r\n" +
		"* STATUS &Jjo (MESSAGES 2)\r\n" +
		"* LIST () \"/\" {4}\r\n&Jjo\r\n" +
		"* LIST () \"/\" Fine\r\n" +
		"T1 OK done\r\n"
	want := strings.Replace(in, "* LIST (\\HasNoChildren) \"/\" &Jjo\r\n",
		"* LIST (\\HasNoChildren \\X-Postbode-Raw-Name) \"/\" \"&-Jjo\"\r\n", 1)
	want = strings.Replace(want, "* STATUS &Jjo", "* STATUS \"&-Jjo\"", 1)
	for _, chunk := range []int{1, 2, 3, 7, 64, 4096} {
		g := newGuardConn(&chunkConn{r: strings.NewReader(in), n: chunk}, 1<<20, 1<<20)
		got, err := io.ReadAll(readerFunc(func(p []byte) (int, error) {
			return g.Read(p[:min(len(p), 5)]) // the decoder's buffer may be smaller than a line
		}))
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("chunk %d:\n got %q\nwant %q", chunk, got, want)
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// chunkConn is a net.Conn whose reads return at most n bytes of r.
type chunkConn struct {
	net.Conn
	r io.Reader
	n int
}

func (c *chunkConn) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }
func (c *chunkConn) Close() error               { return nil }

// FuzzRepairNameLine: no line makes the repair panic, and a repaired line carries a name the
// decoder accepts.
func FuzzRepairNameLine(f *testing.F) {
	for _, s := range []string{`* LIST (\HasNoChildren) "/" &Jjo`, `* STATUS &Jjo (MESSAGES 1)`,
		`* LIST () NIL "a\\b&"`, `* LSUB () "/" "x\"&Jjo"`, `* LIST () "/" {4}`, `* LIST (`} {
		f.Add([]byte(s + "\r\n"))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		out := repairNameLine(line)
		if out == nil {
			return
		}
		nl, ok := parseNameLine(out)
		if !ok {
			t.Fatalf("repaired line %q of %q does not parse", out, line)
		}
		before, _ := parseNameLine(line)
		if got, ok := decodeMUTF7(nl.name); !ok || got != strings.ToValidUTF8(before.name, "\uFFFD") {
			t.Fatalf("repaired name %q of %q decodes to %q, %v", nl.name, line, got, ok)
		}
	})
}

// FuzzGuardPassThrough: whatever the read sizes, the guard passes on every byte of a stream with
// no line to repair unchanged and in order, and never panics on one with such lines.
func FuzzGuardPassThrough(f *testing.F) {
	f.Add([]byte("* OK hi\r\n* 1 FETCH (BODY[] {5}\r\n* LIS)\r\nT1 OK\r\n"), uint8(3))
	f.Add([]byte("* LIST () \"/\" &Jjo\r\n* STATUS x (MESSAGES 1)\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		g := newGuardConn(&chunkConn{r: bytes.NewReader(in), n: int(chunk%16) + 1}, 1<<16, 1<<16)
		got, err := io.ReadAll(g)
		up := strings.ToUpper(string(in))
		if err != nil || strings.Contains(up, "LIST") || strings.Contains(up, "LSUB") || strings.Contains(up, "STATUS") {
			return
		}
		if !bytes.Equal(got, in) {
			t.Fatalf("%q came out as %q", in, got)
		}
	})
}
