package udpflow

import (
	"encoding/binary"

	"github.com/hsdecode/hsdecode/stream"
)

// minClientInitial is the smallest datagram that carries a client's
// Initial: a client pads them to 1200 bytes (RFC 9000, 14.1), which also
// keeps a stray datagram with a plausible first byte from counting.
const minClientInitial = 1200

// minClientDCID is the shortest Destination Connection ID of a client's
// first Initial (RFC 9000, 7.2).
const minClientDCID = 8

// quicInitialVersions lists the versions whose Initial packets package
// quic decrypts, with the two type bits an Initial has in each (RFC 9000,
// 17.2.2; RFC 9369, 3.2).
var quicInitialVersions = map[uint32]byte{
	0x00000001: 0,
	0x6b3343cf: 1,
}

// Classify returns the transport whose handshake datagram payload begins,
// and whether it begins one: a QUIC Initial of a version package quic
// reads, from a client, or a DTLS record of epoch 0 holding the start of
// a ClientHello.
func Classify(payload []byte) (stream.Transport, bool) {
	if quicClientInitial(payload) {
		return stream.TransportQUIC, true
	}
	if dtlsClientHello(payload) {
		return stream.TransportDTLS, true
	}
	return stream.TransportTCP, false
}

// quicClientInitial reports whether b begins with a client's Initial: a
// long header (form and fixed bits set, RFC 9000, 17.2) of a known
// version and the Initial type, a Destination Connection ID of 8 to 20
// bytes, in a datagram padded to 1200 bytes.
func quicClientInitial(b []byte) bool {
	if len(b) < minClientInitial || b[0]&0xc0 != 0xc0 {
		return false
	}
	typ, ok := quicInitialVersions[binary.BigEndian.Uint32(b[1:5])]
	if !ok || b[0]>>4&3 != typ {
		return false
	}
	n := int(b[5])
	return n >= minClientDCID && n <= 20
}

// DTLS record header fields (RFC 6347, 4.1).
const (
	dtlsHeaderLen       = 13
	dtlsHandshake       = 22
	dtlsTypeClientHello = 1
)

// dtlsClientHello reports whether b begins with a DTLS handshake record
// of epoch 0 whose body starts a ClientHello (RFC 6347, 4.2.2): its
// version is DTLS 1.0 (0xfeff), 1.2 (0xfefd) or 1.3's legacy value, and
// its length fits the datagram.
func dtlsClientHello(b []byte) bool {
	if len(b) < dtlsHeaderLen+12 || b[0] != dtlsHandshake || b[1] != 0xfe {
		return false
	}
	switch b[2] {
	case 0xff, 0xfd:
	default:
		return false
	}
	if binary.BigEndian.Uint16(b[3:5]) != 0 {
		return false // epoch 0: the first flight is not protected
	}
	n := int(binary.BigEndian.Uint16(b[11:13]))
	return n >= 12 && dtlsHeaderLen+n <= len(b) && b[dtlsHeaderLen] == dtlsTypeClientHello
}
