package udpflow

import (
	"testing"

	"github.com/hsdecode/hsdecode/stream"
)

func TestClassify(t *testing.T) {
	initial := func(first byte, v uint32, dcid int, size int) []byte {
		b := make([]byte, size)
		b[0] = first
		b[1], b[2], b[3], b[4] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		b[5] = byte(dcid)
		return b
	}
	dtls := func(version byte, epoch byte, hsType byte) []byte {
		b := make([]byte, 13+60)
		copy(b, []byte{22, 0xfe, version, 0, epoch, 0, 0, 0, 0, 0, 0, 0, 60, hsType})
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want stream.Transport
		ok   bool
	}{
		{"QUIC v1 Initial", initial(0xc3, 1, 8, 1200), stream.TransportQUIC, true},
		{"QUIC v2 Initial", initial(0xd3, 0x6b3343cf, 20, 1252), stream.TransportQUIC, true},
		{"QUIC v1 Handshake", initial(0xe3, 1, 8, 1200), 0, false},
		{"QUIC v2 with v1's Initial bits", initial(0xc3, 0x6b3343cf, 8, 1200), 0, false},
		{"QUIC Initial not padded", initial(0xc3, 1, 8, 1199), 0, false},
		{"QUIC short DCID", initial(0xc3, 1, 7, 1200), 0, false},
		{"QUIC unknown version", initial(0xc3, 0x0a0a0a0a, 8, 1200), 0, false},
		{"DTLS 1.2 ClientHello", dtls(0xfd, 0, 1), stream.TransportDTLS, true},
		{"DTLS 1.0 ClientHello", dtls(0xff, 0, 1), stream.TransportDTLS, true},
		{"DTLS epoch 1", dtls(0xfd, 1, 1), 0, false},
		{"DTLS ServerHello", dtls(0xfd, 0, 2), 0, false},
		{"DNS query", []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, 0, false},
		{"empty", nil, 0, false},
	} {
		got, ok := Classify(tc.b)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
