package decode

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz seed corpora from the fixtures")

// FuzzStream feeds arbitrary bytes in arbitrary chunks, with and without
// Resync. It must not panic, Offset must never decrease nor pass the input,
// an error must stick, and without Resync the chunking must not change the
// outcome.
func FuzzStream(f *testing.F) {
	for _, fx := range fixtures {
		data := readFixture(f, fx.name)
		f.Add(data, false, uint64(1))
		f.Add(data[len(data)/3:], true, uint64(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, resync bool, seed uint64) {
		rng := rand.New(rand.NewSource(int64(seed)))
		o := Options{Resync: resync}
		whole, werr := fuzzDecode(t, data, o, func() int { return len(data) })
		chunked, cerr := fuzzDecode(t, data, o, func() int { return 1 + rng.Intn(1+int(seed%300)) })
		if resync {
			return
		}
		if d := cmp.Diff(whole, chunked); d != "" {
			t.Fatalf("chunking changed the events:\n%s", d)
		}
		var we, ce *Error
		if errors.As(werr, &we) != errors.As(cerr, &ce) || (we != nil && (we.Code != ce.Code || we.Offset != ce.Offset)) {
			t.Fatalf("chunking changed the error: %v / %v", werr, cerr)
		}
	})
}

// fuzzDecode is decodeChunks with the invariants of FuzzStream checked.
func fuzzDecode(t *testing.T, data []byte, o Options, next func() int) ([]Event, error) {
	s := NewStream(o)
	var evs []Event
	var fed, last int64
	for rest := data; len(rest) > 0; {
		n := min(next(), len(rest))
		s.Feed(rest[:n])
		rest = rest[n:]
		fed += int64(n)
		for {
			ev, ok, err := s.Next()
			off := s.Offset()
			if off < last || off > fed || s.Skipped() > off {
				t.Fatalf("Offset %d after %d, fed %d, skipped %d", off, last, fed, s.Skipped())
			}
			last = off
			if !o.Resync && s.Skipped() != 0 {
				t.Fatalf("Skipped %d without Resync", s.Skipped())
			}
			if err != nil {
				var de *Error
				if !errors.As(err, &de) {
					t.Fatalf("error %v is not a *Error", err)
				}
				if _, ok2, err2 := s.Next(); ok2 || err2 != err {
					t.Fatalf("error did not stick: %v then %v", err, err2)
				}
				return evs, err
			}
			if !ok {
				break
			}
			if (ev.Kind == EventHandshake) != (ev.Message != nil) {
				t.Fatalf("event %+v: Message set iff EventHandshake", ev)
			}
			evs = append(evs, ev)
			if ev.Kind == EventChangeCipherSpec {
				s.SetEncrypted()
			}
		}
	}
	return evs, nil
}

// FuzzParseHandshake runs every message parser on arbitrary bodies.
func FuzzParseHandshake(f *testing.F) {
	for _, fx := range fixtures {
		for _, m := range fixtureMessages(f, fx) {
			f.Add(m.typ, m.body)
		}
	}
	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		m, err := ParseHandshake(HandshakeType(typ), body)
		if (m == nil) == (err == nil) {
			t.Fatalf("message %v and error %v", m, err)
		}
		if m != nil && m.Type() != HandshakeType(typ) {
			t.Fatalf("%T.Type() = %s for type %d", m, m.Type(), typ)
		}
		if ch, ok := m.(*ClientHello); ok {
			ch.MaxVersion()
			JA3(ch)
			if a, _ := JA4(ch, 't'); len(a) != 36 {
				t.Fatalf("JA4 %q is not 36 characters", a)
			}
		}
		switch m := m.(type) {
		case *ServerHello:
			JA3S(m)
		case *ServerKeyExchange:
			for _, cs := range fuzzSuites {
				for _, v := range []Version{VersionSSL30, VersionTLS10, VersionTLS12} {
					if p, err := m.Params(cs, v); (p == nil) == (err == nil) {
						t.Fatalf("ServerKeyExchange.Params(%s, %s): %v, %v", cs, v, p, err)
					}
				}
			}
		case *ClientKeyExchange:
			for _, cs := range fuzzSuites {
				for _, v := range []Version{VersionSSL30, VersionTLS12} {
					if p, err := m.Params(cs, v); (p == nil) == (err == nil) {
						t.Fatalf("ClientKeyExchange.Params(%s, %s): %v, %v", cs, v, p, err)
					}
				}
			}
		case *Certificate:
			checkCertInfos(t, m)
		}
		c, err := ParseCertificate13(body)
		if (c == nil) == (err == nil) {
			t.Fatalf("ParseCertificate13: %v, %v", c, err)
		}
		if c != nil {
			checkCertInfos(t, c)
		}
		if ch, err := parseSSLv2ClientHello(body); (ch == nil) == (err == nil) {
			t.Fatalf("parseSSLv2ClientHello: %v, %v", ch, err)
		}
	})
}

// fuzzSuites has a suite of every ServerKeyExchange and ClientKeyExchange
// layout, and one without a layout.
var fuzzSuites = []CipherSuite{
	0xc02f, // ECDHE_RSA
	0xc004, // ECDH_ECDSA
	0x009e, // DHE_RSA
	0x0034, // DH_anon
	0x0003, // RSA_EXPORT
	0x002f, // RSA
	0x008c, // PSK
	0x0092, // RSA_PSK
	0x008e, // DHE_PSK
	0xc035, // ECDHE_PSK
	0xc01a, // SRP_SHA
	0xc01b, // SRP_SHA_RSA
	0x1301, // TLS 1.3: no layout
}

// checkCertInfos parses a chain's certificates as flows does, up to the
// bound: each CertInfo has the length and fingerprint of its certificate.
func checkCertInfos(t *testing.T, c *Certificate) {
	for _, der := range c.Certificates[:min(len(c.Certificates), MaxChainCertificates)] {
		if ci := ParseCertificate(der); ci.Length != len(der) || len(ci.SHA256) != 64 {
			t.Fatalf("CertInfo %+v", ci)
		}
	}
}

type rawMessage struct {
	typ  uint8
	body []byte
}

// fixtureMessages returns the plaintext handshake messages of a fixture
// as raw bodies.
func fixtureMessages(t testing.TB, fx fixture) []rawMessage {
	var out []rawMessage
	data := readFixture(t, fx.name)
	for len(data) >= 5 {
		n := int(data[3])<<8 | int(data[4])
		if ContentType(data[0]) == ContentHandshake {
			for b := data[5 : 5+n]; len(b) >= 4 && 4+hsLength(b) <= len(b); b = b[4+hsLength(b):] {
				out = append(out, rawMessage{b[0], b[4 : 4+hsLength(b)]})
			}
		}
		if ContentType(data[0]) == ContentChangeCipherSpec && fx.encryptAfterCCS {
			break
		}
		data = data[5+n:]
	}
	return out
}

// TestWriteFuzzSeeds writes the seed corpora under testdata/fuzz when run
// with -update-fuzz-seeds; the files are committed so that plain go test
// runs them too.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz")
	}
	write := func(target, name string, values ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s := "go test fuzz v1\n"
		for _, v := range values {
			if b, ok := v.([]byte); ok {
				s += fmt.Sprintf("[]byte(%q)\n", b)
			} else {
				s += fmt.Sprintf("%T(%#v)\n", v, v)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, fx := range fixtures {
		data := readFixture(t, fx.name)
		write("FuzzStream", fx.name, data, false, uint64(7))
		write("FuzzStream", fx.name+".resync", data[len(data)/2:], true, uint64(3))
		for i, m := range fixtureMessages(t, fx) {
			write("FuzzParseHandshake", fmt.Sprintf("%s.%d", fx.name, i), m.typ, m.body)
		}
	}
	write("FuzzStream", "sslv2_hello", sslv2HelloBytes, false, uint64(1))
	for i, b := range tls13Bodies(t) {
		write("FuzzParseHandshake13", fmt.Sprintf("tls13.%d", i), uint8(b.typ), b.body)
	}
}
