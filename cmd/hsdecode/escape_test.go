package main

// Strings from the wire and from input files reach a terminal escaped
// (issue 11): a capture whose SNI, ALPN and certificates carry terminal
// control sequences, in a file whose name does too, compared with a
// baseline that does too, through every text surface.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hsdecode/hsdecode/report"
)

const (
	// Erase the line and forge an established one; then OSC 52, which
	// writes the clipboard.
	evilSNI = "bank.example\x1b[2K\r#1 ESTABLISHED\x1b]52;c;cm0gLXJmIH4K\x07"
	// A C1 CSI, a newline and a byte that is not UTF-8.
	evilALPN = "h2\xc2\x9b2K\n\xff"
	// OSC 0 sets the window title; U+202E reverses what follows.
	evilCN = "evil\x1b]0;pwned\x07\u202egnp.exe"
	// A T61String is copied as it comes: 8-bit C1 and bytes that are not
	// UTF-8 reach the subject string.
	evilOrg    = "\x9b31m\xff\xfe"
	evilIssuer = "CA\rVIOLATION forged\x1b[8m"
	evilDNS    = "dns\x1b[2Kname.example"
	evilFile   = "evil\x1b]0;title\x07\n\u202e.pcap"
)

// hostileCertificates returns a leaf, expired long before any capture,
// and the CA that signed it, every name in them hostile.
func hostileCertificates(t *testing.T) (leaf, ca []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: evilIssuer},
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	ca, err = x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: evilCN, ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: asn1.RawValue{Tag: asn1.TagT61String, Bytes: []byte(evilOrg)}}}},
		NotBefore: caTmpl.NotBefore, NotAfter: caTmpl.NotAfter,
		DNSNames: []string{evilDNS}, EmailAddresses: []string{"a\x07\x1b[5m@example.com"},
	}
	caCert, err := x509.ParseCertificate(ca)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err = x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return leaf, ca
}

// hostileHandshake is a TLS 1.2 connection that gets as far as
// ServerHelloDone: a ClientHello with the hostile SNI and ALPN, and a
// server flight that picks that ALPN and sends the hostile chain.
func hostileHandshake(t *testing.T) *synthConn {
	u16 := func(n int) []byte { return []byte{byte(n >> 8), byte(n)} }
	u24 := func(n int) []byte { return []byte{byte(n >> 16), byte(n >> 8), byte(n)} }
	ext := func(typ int, data []byte) []byte { return append(append(u16(typ), u16(len(data))...), data...) }
	alpnList := append(u16(len(evilALPN)+1), byte(len(evilALPN)))
	alpnList = append(alpnList, evilALPN...)
	sniList := append(u16(len(evilSNI)+3), 0)
	sniList = append(append(sniList, u16(len(evilSNI))...), evilSNI...)

	exts := append(ext(0, sniList), ext(16, alpnList)...)
	ch := append([]byte{3, 3}, make([]byte, 32)...)
	ch = append(ch, 0, 0, 2, 0xc0, 0x2b, 1, 0)
	ch = append(append(ch, u16(len(exts))...), exts...)

	sexts := ext(16, alpnList)
	sh := append([]byte{3, 3}, make([]byte, 32)...)
	sh = append(sh, 0, 0xc0, 0x2b, 0)
	sh = append(append(sh, u16(len(sexts))...), sexts...)

	leaf, ca := hostileCertificates(t)
	var list []byte
	for _, der := range [][]byte{leaf, ca} {
		list = append(append(list, u24(len(der))...), der...)
	}
	cert := append(u24(len(list)), list...)

	flight := append(handshakeMsg(2, sh), handshakeMsg(11, cert)...)
	flight = append(flight, handshakeMsg(14, nil)...)
	c := newSynthConn(40111)
	c.send(true, tlsRecord(22, handshakeMsg(1, ch)))
	c.send(false, tlsRecord(22, flight))
	return c
}

// checkTerminalSafe fails when text holds what a terminal would act on: a
// control character other than the line ends, a C1 control, a bidi
// formatting character or a line separator, or bytes that are not UTF-8.
func checkTerminalSafe(t *testing.T, what, text string) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s: not valid UTF-8:\n%q", what, text)
	}
	for i, r := range text {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) ||
			strings.ContainsRune("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029", r) {
			t.Errorf("%s: %U at byte %d:\n%q", what, r, i, text)
			return
		}
	}
}

func TestWireStringsEscaped(t *testing.T) {
	dir := t.TempDir()
	capFile := filepath.Join(dir, evilFile)
	if err := os.Rename(writePcap(t, filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"), []*synthConn{hostileHandshake(t)}), capFile); err != nil {
		t.Fatal(err)
	}
	// A baseline that knew the server, under outcomes and violation codes
	// no report writes.
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	baseline := filepath.Join(dir, "baseline.jsonl")
	if err := os.WriteFile(baseline, []byte(`{"server":{"ip":"10.9.0.2","port":443},"outcome":`+q(evilCN)+
		`,"server_name":`+q(evilSNI)+`,"violations":[{"code":`+q(evilIssuer)+`}]}`+"\n"+
		`{"server":{"ip":"10.9.0.2","port":443},"outcome":"established","server_name":`+q(evilSNI)+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing\x1b[2K\r.pcap")

	var out, errb bytes.Buffer
	// Progress drawn on every packet, so that its line shows the file name.
	status := runPaced([]string{"--fail-on", "all", "-v", "--color", "never", "--progress", "always", "--baseline", baseline,
		capFile, filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"), missing}, &out, &errb, everyPacket)
	if status != exitError {
		t.Errorf("exit %d, want %d (a missing input)", status, exitError)
	}
	text := out.String()
	checkTerminalSafe(t, "text report", text)
	// Only the progress line's own erase may reach standard error.
	checkTerminalSafe(t, "standard error", strings.ReplaceAll(errb.String(), "\r\x1b[K", ""))
	for _, want := range []string{
		report.Escape(evilFile) + " ",
		"sni=" + report.Escape(evilSNI) + "  alpn=" + report.Escape(evilALPN),
		"CN=" + report.Escape(evilCN) + " (ECDSA 256), 1 more",
		// A T61String is Latin-1: its 0x9b is U+009B, a C1 control. The
		// names keep their RFC 4514 escapes (\1B, \;), undoubled.
		`FINDING expired-cert: server certificate O=\xc2\x9b31mÿþ,CN=evil\1B]0\;pwned\07\u202egnp.exe expired 2001-01-01`,
		`issuer                   CN=CA\0DVIOLATION forged\1B[8m` + "\n",
		"san_dns                  " + report.Escape(evilDNS) + "\n",
		"WORSE 10.9.0.2:443 sni=" + report.Escape(evilSNI) + " (violation)",
		"the baseline's were 1 established, 1 " + report.Escape(evilCN) + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"hsdecode: " + report.Escape(capFile) + " (1/3)", report.Escape(missing)} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("standard error lacks %q:\n%s", want, errb.String())
		}
	}

	// Other formats: the baseline changes and the summary on standard
	// error; a baseline file that cannot be read, by its name.
	for _, args := range [][]string{
		{"--format", "json", "--summary", "--baseline", baseline, capFile},
		{"--format", "zeek", "--summary", capFile},
		{"--baseline", missing, capFile},
	} {
		out.Reset()
		errb.Reset()
		run(args, &out, &errb)
		checkTerminalSafe(t, strings.Join(args[:2], " ")+": standard error", errb.String())
		if errb.Len() == 0 {
			t.Errorf("%v: nothing on standard error", args)
		}
	}
}
