package decode

import (
	"encoding/hex"
	"testing"
)

// chromeClientHello is one handshake message, header included: the
// ClientHello to pdx-col.eum-appdynamics.com in frame 10 of the JA4
// project's latest.pcapng (../shared/corpus/ja4/pcap/latest.pcapng, June
// 2023), JA4 t13d1516h2_8daaf6152771_e5627efa2ab1: Chrome's, as the same
// cipher hash in the corpus's chrome-cloudflare-quic-with-secrets.pcapng
// shows. 15 cipher suites and 16 extensions besides GREASE, an X25519 key
// share, ALPS, padding to 512 bytes.
var chromeClientHello = mustHex(
	"010001fc0303b36385607b49c764c0b125095fd636d10516f2018bc900e2e953" +
		"c1d49f9ebb6f20dae0b36ab94b900f1dd35a0adf5d3d15f0796c2cb01ecd6459" +
		"8cac8f6e78eeda00203a3a130113021303c02bc02fc02cc030cca9cca8c013c0" +
		"14009c009d002f0035010001933a3a000000230000ff0100010000000020001e" +
		"00001b7064782d636f6c2e65756d2d61707064796e616d6963732e636f6d001b" +
		"000302000200120000446900050003026832002d00020101002b0007066a6a03" +
		"040303000d00120010040308040401050308050501080606010010000e000c02" +
		"683208687474702f312e310033002b00294a4a000100001d0020cd9178093a02" +
		"2da36a842dc55231e8a19e4b22facf4c4c04577d93327bd26f73000a000a0008" +
		"4a4a001d0017001800050005010000000000170000000b000201001a1a000100" +
		"001500bc00000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000" +
		"0000000000000000000000000000000000000000000000000000000000000000")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkParseClientHello parses a current browser's ClientHello body:
// the one message every connection has, and the largest parse most of
// them cost.
func BenchmarkParseClientHello(b *testing.B) {
	body := chromeClientHello[handshakeHeaderLen:]
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := ParseHandshake(HandshakeClientHello, body)
		if err != nil {
			b.Fatal(err)
		}
		if m.(*ClientHello).ServerName == "" {
			b.Fatal("no server name")
		}
	}
}

// BenchmarkStreamClientHello is a client direction's first record through
// the record reader: a new Stream, the record, the parsed ClientHello.
func BenchmarkStreamClientHello(b *testing.B) {
	rec := append([]byte{byte(ContentHandshake), 3, 1, byte(len(chromeClientHello) >> 8), byte(len(chromeClientHello))}, chromeClientHello...)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewStream(Options{})
		s.Feed(rec)
		ev, ok, err := s.Next()
		if err != nil || !ok || ev.Kind != EventHandshake {
			b.Fatalf("got %v %v %v", ev.Kind, ok, err)
		}
	}
}

// BenchmarkFingerprints computes what the report shows of a ClientHello:
// JA3 and JA4.
func BenchmarkFingerprints(b *testing.B) {
	m, err := ParseHandshake(HandshakeClientHello, chromeClientHello[handshakeHeaderLen:])
	if err != nil {
		b.Fatal(err)
	}
	ch := m.(*ClientHello)
	if ja4, _ := JA4(ch, 't'); ja4 != "t13d1516h2_8daaf6152771_e5627efa2ab1" {
		b.Fatalf("JA4 %s", ja4)
	}
	b.Run("JA3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			JA3(ch)
		}
	})
	b.Run("JA4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			JA4(ch, 't')
		}
	})
}

// BenchmarkStreamApplicationData is the record reader on bulk data, what
// a connection costs per byte when it is followed past its handshake
// (--follow): 16 KiB application_data records fed in 1448-byte segments,
// as TCP over Ethernet delivers them.
func BenchmarkStreamApplicationData(b *testing.B) {
	const records = 64
	var data []byte
	for range records {
		data = append(data, byte(ContentApplicationData), 3, 3, 0x40, 0x11)
		data = append(data, make([]byte, 0x4011)...)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	s := NewStream(Options{})
	for b.Loop() {
		n := 0
		for rest := data; len(rest) > 0; {
			k := min(1448, len(rest))
			s.Feed(rest[:k])
			rest = rest[k:]
			for {
				ev, ok, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				if ev.Kind == EventApplicationData {
					n++
				}
			}
		}
		if n != records {
			b.Fatalf("%d records, want %d", n, records)
		}
	}
}
