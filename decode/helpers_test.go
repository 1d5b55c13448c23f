package decode

import (
	"os"
	"path/filepath"
	"testing"
)

// fixture is one direction recorded by testdata/mkfixtures (crypto/tls)
// or from openssl s_client.
type fixture struct {
	name string
	// encryptAfterCCS mimics flows for TLS <= 1.2: SetEncrypted after this
	// side's ChangeCipherSpec.
	encryptAfterCCS bool
}

var fixtures = []fixture{
	{"tls12_full.client", true},
	{"tls12_full.server", true},
	{"tls12_resumed.client", true},
	{"tls12_resumed.server", true},
	{"tls10_rsa.client", true},
	{"tls10_rsa.server", true},
	{"tls13_full.client", false},
	{"tls13_full.server", false},
	{"tls13_hrr.client", false},
	{"tls13_hrr.server", false},
	{"openssl_clienthello.client", false},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeChunks feeds data in the chunk sizes that next returns (cycling),
// draining events after every chunk, and returns all events and the final
// error. It checks that Offset never decreases.
func decodeChunks(t testing.TB, data []byte, o Options, encryptAfterCCS bool, next func() int) ([]Event, error) {
	t.Helper()
	s := NewStream(o)
	var evs []Event
	var last int64
	for len(data) > 0 {
		n := min(max(next(), 1), len(data))
		s.Feed(data[:n])
		data = data[n:]
		for {
			ev, ok, err := s.Next()
			if off := s.Offset(); off < last {
				t.Fatalf("Offset went back from %d to %d", last, off)
			} else {
				last = off
			}
			if err != nil {
				return evs, err
			}
			if !ok {
				break
			}
			evs = append(evs, ev)
			if encryptAfterCCS && ev.Kind == EventChangeCipherSpec {
				s.SetEncrypted()
			}
		}
	}
	return evs, nil
}

// decodeAll feeds data at once.
func decodeAll(t testing.TB, data []byte, o Options, encryptAfterCCS bool) ([]Event, error) {
	t.Helper()
	return decodeChunks(t, data, o, encryptAfterCCS, func() int { return len(data) })
}

// mustDecode decodes a fixture that must decode without error.
func mustDecode(t testing.TB, f fixture) []Event {
	t.Helper()
	evs, err := decodeAll(t, readFixture(t, f.name), Options{}, f.encryptAfterCCS)
	if err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	return evs
}

// messageOf returns the first message of type T among evs.
func messageOf[T Message](t testing.TB, evs []Event) T {
	t.Helper()
	for _, ev := range evs {
		if m, ok := ev.Message.(T); ok {
			return m
		}
	}
	var zero T
	t.Fatalf("no %T among %d events", zero, len(evs))
	return zero
}

// record frames body as one TLS record.
func record(typ ContentType, vers Version, body []byte) []byte {
	return append([]byte{byte(typ), byte(vers >> 8), byte(vers), byte(len(body) >> 8), byte(len(body))}, body...)
}

// hsMsg frames body as one handshake message.
func hsMsg(typ HandshakeType, body []byte) []byte {
	n := len(body)
	return append([]byte{byte(typ), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// u24 prefixes b with its 24-bit length.
func u24(b []byte) []byte {
	return append([]byte{byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
}
