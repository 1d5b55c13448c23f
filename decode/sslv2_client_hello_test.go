package decode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sslv2HelloBytes is an SSLv2-compatible ClientHello laid out as RFC 5246,
// Appendix E.2 describes it: three TLS suites, two SSLv2-only cipher
// specs, no session ID, a 16-byte challenge.
var sslv2HelloBytes = cat(
	[]byte{0x80, 40, 1, 3, 1, 0, 15, 0, 0, 0, 16},
	[]byte{0, 0, 0x35, 0, 0, 0x2f, 0, 0, 0x0a, 0x07, 0x00, 0xc0, 0x01, 0x00, 0x80},
	[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
)

func TestSSLv2ClientHello(t *testing.T) {
	in := cat(sslv2HelloBytes, record(ContentHandshake, VersionTLS10, hsMsg(HandshakeClientKeyExchange, make([]byte, 130))))
	for _, chunk := range []int{1, 3, len(in)} {
		evs, err := decodeChunks(t, in, Options{}, false, func() int { return chunk })
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(evs); got != "client_hello client_key_exchange" {
			t.Fatalf("chunk %d: %s", chunk, got)
		}
		if evs[0].RecordVersion != VersionSSL20 || evs[0].Length != 40 {
			t.Errorf("event: version %s length %d", evs[0].RecordVersion, evs[0].Length)
		}
		var random [32]byte
		copy(random[16:], sslv2HelloBytes[26:])
		want := &ClientHello{
			LegacyVersion:      VersionTLS10,
			Random:             random,
			SessionID:          []byte{},
			CipherSuites:       []CipherSuite{0x35, 0x2f, 0x0a},
			CompressionMethods: []CompressionMethod{0},
			SSLv2:              true,
			SSLv2CipherSpecs:   []uint32{0x0700c0, 0x010080},
		}
		if d := cmp.Diff(want, evs[0].Message); d != "" {
			t.Errorf("chunk %d:\n%s", chunk, d)
		}
	}
	if !LooksLikeTLS(sslv2HelloBytes) {
		t.Error("LooksLikeTLS(SSLv2 hello) = false")
	}
}

func TestSSLv2ClientHelloMalformed(t *testing.T) {
	patch := func(i int, v byte) []byte {
		b := append([]byte(nil), sslv2HelloBytes...)
		b[i] = v
		return b
	}
	for name, in := range map[string][]byte{
		"challenge of 15":     cat([]byte{0x80, 39}, patch(10, 15)[2:41]),
		"cipher specs of 14":  patch(6, 14),
		"no cipher specs":     cat([]byte{0x80, 25, 1, 3, 1, 0, 0, 0, 0, 0, 16}, sslv2HelloBytes[26:]),
		"session id of 33":    patch(8, 33),
		"length one too long": cat(patch(1, 41), []byte{0}),
	} {
		_, err := decodeAll(t, in, Options{}, false)
		if de, ok := err.(*Error); !ok || de.Code != CodeMalformedHandshake {
			t.Errorf("%s: err = %v, want malformed_handshake", name, err)
		}
	}
	// SSLv2 framing is only legal for the first record.
	_, err := decodeAll(t, cat(record(ContentAlert, VersionTLS10, []byte{1, 0}), sslv2HelloBytes), Options{}, false)
	if de, ok := err.(*Error); !ok || de.Code != CodeUnknownContentType || de.Offset != 7 {
		t.Errorf("SSLv2 after a record: err = %v, want unknown_content_type at 7", err)
	}
}
