package quic

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/hsdecode/hsdecode/decode"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var rfcDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

// TestInitialVectors opens the protected Initial packets of RFC 9001
// Appendix A and RFC 9369 Appendix A with the keys derived from the
// client's Destination Connection ID, and reads the hellos they carry.
func TestInitialVectors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       Version
		packet  string
		client  bool
		pn      uint64
		msgType decode.HandshakeType
	}{
		{"v1 client", Version1, rfc9001ClientInitial, true, 2, decode.HandshakeClientHello},
		{"v2 client", Version2, rfc9369ClientInitial, true, 2, decode.HandshakeClientHello},
		{"v1 server", Version1, rfc9001ServerInitial, false, 1, decode.HandshakeServerHello},
		{"v2 server", Version2, rfc9369ServerInitial, false, 1, decode.HandshakeServerHello},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := unhex(t, tc.packet)
			pkts, err := Split(raw)
			if err != nil || len(pkts) != 1 {
				t.Fatalf("Split: %d packets, %v", len(pkts), err)
			}
			p := pkts[0]
			if p.Type != PacketInitial || p.Version != tc.v {
				t.Fatalf("type %s version %s", p.Type, p.Version)
			}
			ck, sk, err := InitialKeys(tc.v, rfcDCID)
			if err != nil {
				t.Fatal(err)
			}
			k := sk
			if tc.client {
				k = ck
			}
			before := bytes.Clone(raw)
			pn, payload, err := k.Open(&p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, before) {
				t.Error("Open changed the packet")
			}
			if pn != tc.pn {
				t.Errorf("packet number %d, want %d", pn, tc.pn)
			}
			f, err := ParseFrames(payload)
			if err != nil || len(f.Crypto) != 1 {
				t.Fatalf("frames %+v, %v", f, err)
			}
			msg := f.Crypto[0].Data
			m, err := decode.ParseHandshake(decode.HandshakeType(msg[0]), msg[4:])
			if err != nil || m.Type() != tc.msgType {
				t.Fatalf("message %v, %v", m, err)
			}
			// The other side's keys do not open it.
			other := ck
			if tc.client {
				other = sk
			}
			if _, _, err := other.Open(&p); err == nil {
				t.Error("opened with the other side's keys")
			}
		})
	}
}

// TestRetryVectors checks the integrity tags of the Retry packets of RFC
// 9001 Appendix A.4 and RFC 9369 Appendix A.4, and that a changed byte or
// another original Destination Connection ID fails.
func TestRetryVectors(t *testing.T) {
	for _, s := range []string{
		"ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba",
		"cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe3395 2d955543665dcc7b6",
	} {
		raw := unhex(t, string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)))
		pkts, err := Split(raw)
		if err != nil || len(pkts) != 1 || pkts[0].Type != PacketRetry {
			t.Fatalf("Split: %+v, %v", pkts, err)
		}
		p := pkts[0]
		if string(p.Token) != "token" {
			t.Errorf("token %q", p.Token)
		}
		if !RetryTagValid(&p, rfcDCID) {
			t.Errorf("%s: tag not valid", p.Version)
		}
		if RetryTagValid(&p, rfcDCID[1:]) {
			t.Errorf("%s: tag valid for another connection ID", p.Version)
		}
		raw[len(raw)-20] ^= 1
		if RetryTagValid(&p, rfcDCID) {
			t.Errorf("%s: tag valid after a change", p.Version)
		}
	}
}

func TestSplitCoalescedAndVN(t *testing.T) {
	c, s := unhex(t, rfc9001ClientInitial), unhex(t, rfc9001ServerInitial)
	dg := append(append(append([]byte{}, s...), c...), 0x40, 1, 2, 3) // two Initials and a short header
	pkts, err := Split(dg)
	if err != nil || len(pkts) != 3 || pkts[0].Type != PacketInitial || pkts[1].Type != PacketInitial || pkts[2].Type != PacketOneRTT {
		t.Fatalf("%d packets, %v", len(pkts), err)
	}
	if len(pkts[0].Raw) != len(s) || len(pkts[2].Raw) != 4 {
		t.Errorf("lengths %d %d", len(pkts[0].Raw), len(pkts[2].Raw))
	}
	padded := append(append([]byte{}, s...), make([]byte, 30)...)
	if pkts, err := Split(padded); err != nil || len(pkts) != 1 {
		t.Errorf("zero padding: %d packets, %v", len(pkts), err)
	}
	vn := unhex(t, "80000000000401020304040506070800000001"+"6b3343cf")
	pkts, err = Split(vn)
	if err != nil || len(pkts) != 1 || pkts[0].Type != PacketVersionNegotiation ||
		len(pkts[0].Versions) != 2 || pkts[0].Versions[1] != Version2 {
		t.Fatalf("VN %+v, %v", pkts, err)
	}
	if _, err := Split(c[:40]); err == nil {
		t.Error("a truncated Initial split without error")
	}
}

func TestCryptoStream(t *testing.T) {
	var c CryptoStream
	var got []byte
	for _, f := range []Crypto{
		{Offset: 6, Data: []byte("ghi")},
		{Offset: 3, Data: []byte("def")},
		{Offset: 0, Data: []byte("abcd")}, // overlaps what waits
		{Offset: 0, Data: []byte("abc")},  // a retransmission
		{Offset: 8, Data: []byte("ijk")},
	} {
		got = append(got, c.Add(f)...)
	}
	if string(got) != "abcdefghijk" || c.Buffered() != 0 || c.Next() != 11 {
		t.Errorf("got %q, buffered %d, next %d", got, c.Buffered(), c.Next())
	}
	if c.Add(Crypto{Offset: MaxCryptoBuffered + 100, Data: []byte("x")}) != nil || c.Dropped != 1 {
		t.Errorf("beyond the bound: dropped %d", c.Dropped)
	}
}

func TestConnectionCloseAlert(t *testing.T) {
	// CONNECTION_CLOSE 0x1c, error 0x0128 (CRYPTO_ERROR, handshake_failure), frame 0x06, reason "x".
	f, err := ParseFrames([]byte{0x1c, 0x41, 0x28, 0x06, 0x01, 'x', 0x00, 0x00})
	if err != nil || f.Close == nil {
		t.Fatalf("%+v, %v", f, err)
	}
	if a, ok := f.Close.Alert(); !ok || a != 40 || f.Close.Reason != "x" {
		t.Errorf("alert %d %v, reason %q", a, ok, f.Close.Reason)
	}
	if _, err := ParseFrames([]byte{0x08, 0x00}); err == nil {
		t.Error("a STREAM frame in an Initial parsed")
	}
}

// TestNewConnectionID: a 1-RTT packet's NEW_CONNECTION_ID frames give
// their IDs; one of no bytes, or in a Handshake packet, is malformed.
func TestNewConnectionID(t *testing.T) {
	token := make([]byte, 16)
	frame := func(id ...byte) []byte {
		return append(append([]byte{0x18, 0x02, 0x01, byte(len(id))}, id...), token...)
	}
	f, err := ParseFrames1RTT(append(append(frame(1, 2, 3, 4), 0x01), frame(5, 6, 7, 8, 9, 10, 11, 12)...))
	if err != nil || len(f.NewConnectionIDs) != 2 || string(f.NewConnectionIDs[1]) != "\x05\x06\x07\x08\x09\x0a\x0b\x0c" {
		t.Fatalf("%+v, %v", f, err)
	}
	if _, err := ParseFrames1RTT(frame()); err == nil {
		t.Error("an empty connection ID parsed")
	}
	if _, err := ParseFrames(frame(1, 2, 3, 4)); err == nil {
		t.Error("NEW_CONNECTION_ID in a Handshake packet parsed")
	}
}

func TestDecodePacketNumber(t *testing.T) {
	// RFC 9000, A.3's example.
	if got := decodePacketNumber(0xa82f30ea, 0x9b32, 2); got != 0xa82f9b32 {
		t.Errorf("got %x", got)
	}
	if got := decodePacketNumber(-1, 0, 1); got != 0 {
		t.Errorf("first: %d", got)
	}
}
