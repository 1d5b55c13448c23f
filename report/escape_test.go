package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"server.example", "server.example"},
		{"h2 http/1.1 ~!@#$%^&*()_+{}|:\"<>?", "h2 http/1.1 ~!@#$%^&*()_+{}|:\"<>?"},
		{"emoji 🔒 and é, 中文", "emoji 🔒 and é, 中文"},
		{"\xef\xbf\xbd is a real U+FFFD", "\xef\xbf\xbd is a real U+FFFD"},
		// Erase the line, then forge another.
		{"a\x1b[2K\rESTABLISHED", `a\x1b[2K\rESTABLISHED`},
		// OSC 52 writes the clipboard; OSC 0 sets the window title.
		{"\x1b]52;c;cm0gLXJmIH4=\x07", `\x1b]52;c;cm0gLXJmIH4=\x07`},
		{"\x1b]0;title\x1b\\", `\x1b]0;title\x1b\\`},
		{"line\nnext\ttab\rcr", `line\nnext\ttab\rcr`},
		{"nul\x00 bel\x07 del\x7f us\x1f", `nul\x00 bel\x07 del\x7f us\x1f`},
		// C1 controls, as UTF-8 (CSI, NEL, OSC) and as the raw bytes.
		{"\xc2\x9b2K \xc2\x85 \xc2\x9d0;t\xc2\x9c", `\xc2\x9b2K \xc2\x85 \xc2\x9d0;t\xc2\x9c`},
		{"\x9b2K\x80", `\x9b2K\x80`},
		{"\xc2\xa0nbsp", "\xc2\xa0nbsp"}, // U+00A0, the first after C1, is kept
		// Invalid UTF-8: every byte.
		{"\xff\xfe", `\xff\xfe`},
		{"cut \xe2\x80", `cut \xe2\x80`},
		{"surrogate \xed\xa0\x80", `surrogate \xed\xa0\x80`},
		{"too big \xf4\x90\x80\x80", `too big \xf4\x90\x80\x80`},
		{"overlong \xc0\xaf", `overlong \xc0\xaf`},
		// A backslash cannot pass for an escape.
		{`\x1b`, `\\x1b`},
		{`C:\dir\`, `C:\\dir\\`},
		// Trojan Source: the bidi overrides, embeddings, isolates, marks.
		{"admin\u202egnp.exe", `admin\u202egnp.exe`},
		{"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"line\u2028sep\u2029par", `line\u2028sep\u2029par`},
		{"\u2027\u202f\u2065 neighbours", "\u2027\u202f\u2065 neighbours"},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestEscapeDN: the backslashes of RFC 4514 escapes are kept, the rest
// is escaped as Escape does.
func TestEscapeDN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"CN=server.example,O=Example", "CN=server.example,O=Example"},
		{`CN=a\,b\\c\1B`, `CN=a\\,b\\\\c\\1B`},
		{"O=\u009b\xff,CN=evil" + `\1B]0\;x` + "\u202e", `O=\xc2\x9b\xff,CN=evil\\1B]0\\;x\u202e`},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if got, want := escapeDN(c.in), strings.ReplaceAll(c.want, `\\`, `\`); got != want {
			t.Errorf("escapeDN(%q) = %q, want %q", c.in, got, want)
		}
	}
}

// TestEscapeSafe: whatever the input, the output is valid UTF-8 with no
// control character and no bidi formatting character, and it is the
// input itself when nothing needed escaping.
func TestEscapeSafe(t *testing.T) {
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	for r := rune(0x80); r < 0x3000; r++ {
		all.WriteRune(r)
	}
	inputs := append(hostileStrings, all.String())
	for _, s := range inputs {
		checkTerminalSafe(t, "Escape("+Escape(s)+")", Escape(s), false)
		checkTerminalSafe(t, "escapeDN("+Escape(s)+")", escapeDN(s), false)
	}
	plain := "CN=server.example,O=Example é 🔒"
	if got := Escape(plain); got != plain || testing.AllocsPerRun(10, func() { Escape(plain) }) != 0 {
		t.Errorf("plain text escaped or copied: %q", got)
	}
}

// bidi are the characters that reorder or break a line while showing
// nothing.
const bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"

// checkTerminalSafe fails when text holds what a terminal would act on:
// a control character (but the line ends, when lines is set), a C1
// control, a bidi formatting character or a line separator, or bytes
// that are not UTF-8.
func checkTerminalSafe(t *testing.T, what, text string, lines bool) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s: not valid UTF-8: %q", what, text)
	}
	for i, r := range text {
		if (r < 0x20 && !(lines && r == '\n')) || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune(bidi, r) {
			t.Errorf("%s: %U at byte %d: %q", what, r, i, text)
			return
		}
	}
}

// terminalAttacks are strings a client or server could send to act on the
// terminal of whoever reads the report.
var terminalAttacks = []string{
	"ok.example\x1b[2K\r#1 ESTABLISHED  sni=bank.example",    // erase the line, forge another
	"\x1b]52;c;cm0gLXJmIH4K\x07",                             // OSC 52: write the clipboard
	"\x1b]0;pwned\x1b\\",                                     // OSC 0: the window title
	"\xc2\x9b2K\xc2\x9d0;t\xc2\x9c",                          // the same as C1 controls
	"\x9b2K\x9d0;t\x9c",                                      // and as raw 8-bit bytes
	"line\nVIOLATION forged\rcarriage\ttab\x08\x08backspace", // line structure
	"admin\u202egnp.exe\u2066isolate\u2069",                  // Trojan Source
	`\x1b[2K not an escape`,                                  // a backslash that pretends
}

// TestTextSurfacesEscaped puts each hostile string into every string a
// connection carries, into the file name, a skip reason and a baseline,
// and checks that the text report, with -v details, findings, summary and
// the baseline comparison, holds nothing a terminal would act on.
func TestTextSurfacesEscaped(t *testing.T) {
	rules, err := ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(terminalAttacks, hostileStrings...) {
		r := hostileResult(s)
		// A leaf that parsed, so that expired-cert quotes its subject; the
		// error on the client's instead.
		r.ServerCertificates.Certificates[0].Error = ""
		r.ClientCertificates.Certificates[0].Error = s
		var buf bytes.Buffer
		w, err := NewWriter("text", &buf, Options{Verbose: true, MultiFile: true})
		if err != nil {
			t.Fatal(err)
		}
		tw := w.(*TextWriter)
		tw.BeginFile(s)
		if err := tw.Write(r, Findings(r, rules)); err != nil {
			t.Fatal(err)
		}
		sum := NewSummary()
		sum.Add(r, Findings(r, rules))
		sum.AddPackets(1, map[string]int64{s: 1})
		sum.Files, sum.Errors = 2, 1
		q := string(appendString(nil, s))
		outcome := q
		if s == "" {
			outcome = `"alert"`
		}
		base, err := ReadBaseline(strings.NewReader(`{"server":{"ip":"10.0.0.1","port":443},"outcome":` + outcome +
			`,"server_name":` + q + `,"violations":[{"code":` + q + `}]}` + "\n" +
			`{"server":{"ip":"127.0.0.1","port":20445},"outcome":"established","server_name":` + q + `}`))
		if err != nil {
			t.Fatal(err)
		}
		base.Observe(r)
		ch := base.Compare()
		tw.WriteSummary(sum, ch)
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		checkTerminalSafe(t, "text report of "+q, out, true)
		for _, want := range []string{"FINDING expired-cert: server certificate " + escapeDN(s), "client_hello\n", "\nbaseline: ", "violations:"} {
			if !strings.Contains(out, want) {
				t.Errorf("text report of %s lacks %q:\n%s", q, want, out)
			}
		}
		if e := Escape(s); s != "" && !strings.Contains(out, "sni="+e+"  alpn="+e) {
			t.Errorf("text report of %s lacks the escaped SNI and ALPN %q:\n%s", q, e, out)
		}
	}
}
