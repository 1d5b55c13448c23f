package quic

import (
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// PacketType is the type of a QUIC packet, as this package names it
// whatever the version's encoding of it (RFC 9000, 17.2; RFC 9369, 3.2).
type PacketType uint8

// Packet types.
const (
	PacketInitial            PacketType = iota + 1 // initial
	PacketZeroRTT                                  // 0rtt
	PacketHandshake                                // handshake
	PacketRetry                                    // retry
	PacketVersionNegotiation                       // version_negotiation
	PacketOneRTT                                   // 1rtt (short header)
	PacketUnknownVersion                           // a long header of a version not known here
)

var packetTypeNames = [...]string{"", "initial", "0rtt", "handshake", "retry", "version_negotiation", "1rtt", "unknown_version"}

func (t PacketType) String() string {
	if int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "unknown"
}

// longTypes maps the two type bits of a long header to a PacketType, per
// version (RFC 9000, 17.2, Table 5; RFC 9369, 3.2).
var longTypes = map[Version][4]PacketType{
	Version1: {PacketInitial, PacketZeroRTT, PacketHandshake, PacketRetry},
	Version2: {PacketRetry, PacketInitial, PacketZeroRTT, PacketHandshake},
}

// maxConnIDLen is the longest connection ID of QUIC version 1 (RFC 9000,
// 17.2); a version not known here may have longer ones, up to 255.
const maxConnIDLen = 20

// retryTagLen is the length of a Retry packet's integrity tag (RFC 9001,
// 5.8).
const retryTagLen = 16

// Packet is one packet of a datagram. Its slices alias the datagram.
type Packet struct {
	Type    PacketType
	Version Version // 0 for a short header
	DCID    []byte  // long header only: a short header's length is not on the wire
	SCID    []byte
	// Token is an Initial packet's token, or a Retry packet's retry token.
	Token []byte
	// Versions are the versions a Version Negotiation packet lists.
	Versions []Version
	// PNOffset is where the (protected) packet number begins in Raw, for
	// Initial, 0-RTT and Handshake packets.
	PNOffset int
	// Raw is the whole packet, its protected header included.
	Raw []byte
}

// Errors of datagrams that are not QUIC as this package reads it.
var (
	ErrTruncated = errors.New("quic: packet truncated")
	ErrNotQUIC   = errors.New("quic: not a QUIC packet")
)

// Split returns the packets of a datagram: long header packets carry their
// length, and several may share a datagram, ended by at most one short
// header packet, which takes the rest (RFC 9000, 12.2). Zero bytes after
// the last packet are padding and are left out. On an error the packets
// read before it are returned with it.
func Split(datagram []byte) ([]Packet, error) {
	var pkts []Packet
	for len(datagram) > 0 {
		if allZero(datagram) && len(pkts) > 0 {
			break
		}
		p, n, err := parsePacket(datagram)
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, p)
		datagram = datagram[n:]
	}
	return pkts, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parsePacket reads the packet at the start of b and returns it with its
// length.
func parsePacket(b []byte) (Packet, int, error) {
	if b[0]&0x80 == 0 {
		// A short header: its connection ID's length is known only to
		// the endpoints, so it is the rest of the datagram (RFC 9000,
		// 17.3).
		return Packet{Type: PacketOneRTT, Raw: b}, len(b), nil
	}
	s := cryptobyte.String(b[1:])
	var p Packet
	var v uint32
	var dcid, scid cryptobyte.String
	if !s.ReadUint32(&v) || !s.ReadUint8LengthPrefixed(&dcid) || !s.ReadUint8LengthPrefixed(&scid) {
		return p, 0, ErrTruncated
	}
	p.Version, p.DCID, p.SCID = Version(v), dcid, scid
	if v == 0 {
		// Version Negotiation (RFC 9000, 17.2.1): the rest lists versions.
		if len(s)%4 != 0 || len(s) == 0 {
			return p, 0, ErrTruncated
		}
		p.Type = PacketVersionNegotiation
		for i := 0; i < len(s); i += 4 {
			p.Versions = append(p.Versions, Version(binary.BigEndian.Uint32(s[i:])))
		}
		p.Raw = b
		return p, len(b), nil
	}
	types, ok := longTypes[p.Version]
	if !ok {
		// Only the version-independent fields can be read (RFC 8999, 5.1).
		p.Type, p.Raw = PacketUnknownVersion, b
		return p, len(b), nil
	}
	if len(dcid) > maxConnIDLen || len(scid) > maxConnIDLen {
		return p, 0, ErrNotQUIC
	}
	p.Type = types[b[0]>>4&3]
	switch p.Type {
	case PacketRetry:
		// A Retry takes the rest of the datagram: token, then the tag
		// (RFC 9000, 17.2.5).
		if len(s) < retryTagLen {
			return p, 0, ErrTruncated
		}
		p.Token, p.Raw = s[:len(s)-retryTagLen], b
		return p, len(b), nil
	case PacketInitial:
		var tok cryptobyte.String
		if !readVarintPrefixed(&s, &tok) {
			return p, 0, ErrTruncated
		}
		p.Token = tok
	}
	var length uint64
	if !readVarint(&s, &length) {
		return p, 0, ErrTruncated
	}
	p.PNOffset = len(b) - len(s)
	if length > uint64(len(s)) {
		return p, 0, ErrTruncated
	}
	n := p.PNOffset + int(length)
	p.Raw = b[:n]
	return p, n, nil
}

// readVarint reads a variable-length integer (RFC 9000, 16).
func readVarint(s *cryptobyte.String, v *uint64) bool {
	if len(*s) == 0 {
		return false
	}
	n := 1 << ((*s)[0] >> 6)
	var b []byte
	if !s.ReadBytes(&b, n) {
		return false
	}
	x := uint64(b[0] & 0x3f)
	for _, c := range b[1:] {
		x = x<<8 | uint64(c)
	}
	*v = x
	return true
}

// readVarintPrefixed reads bytes preceded by their length as a varint.
func readVarintPrefixed(s *cryptobyte.String, out *cryptobyte.String) bool {
	var n uint64
	if !readVarint(s, &n) || n > uint64(len(*s)) {
		return false
	}
	return s.ReadBytes((*[]byte)(out), int(n))
}
