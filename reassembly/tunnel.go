package reassembly

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/hsdecode/hsdecode/stream"
)

// Encapsulations are read by the small decoders below, shared by decode
// and the fast path (quickSegment), so that both peel a packet alike:
// each takes the bytes after the header that announced it and returns
// the header it read (a tunnelLayer), or a skip reason for one that is
// malformed. None allocates, and each checks a length before reading.

// maxTunnels bounds the encapsulations read around one packet (an MPLS
// label counts as one): past it the packet is skipped, reasonTooDeep.
const maxTunnels = 8

// Skip reasons of encapsulated packets.
const (
	reasonTooDeep        = "tunnel: more than 8 encapsulations"
	reasonTunnelFragment = "IP fragment in a tunnel"
)

// innerKind is what follows an encapsulation header.
type innerKind uint8

const (
	innerEthernet innerKind = iota + 1
	innerIPv4
	innerIPv6
	innerMPLS // the next label of a stack
)

// tunnelLayer is one encapsulation header read.
type tunnelLayer struct {
	typ   stream.TunnelType
	id    uint32
	hasID bool
	next  innerKind
	inner []byte // what the header carries, up to the length it gives
}

// Well-known UDP ports of the UDP encapsulations.
const (
	portVXLAN      = 4789 // RFC 7348, 5
	portVXLANLinux = 8472 // Linux's default before IANA assigned 4789
	portGeneve     = 6081 // RFC 8926, 3.3
	portGTPU       = 2152 // 3GPP TS 29.281, 4.4.2
	portTeredo     = 3544 // RFC 4380, 5.2.1
)

// udpTunnel reads the encapsulation a UDP datagram (its header and
// payload) carries, by its ports: typ is 0 for any other datagram.
func udpTunnel(udp []byte) (t tunnelLayer, reason string) {
	if len(udp) < 8 {
		return t, "decode error: UDP"
	}
	src, dst := binary.BigEndian.Uint16(udp[0:2]), binary.BigEndian.Uint16(udp[2:4])
	payload := udp[8:]
	// A length beyond the bytes present is a datagram the capture cut:
	// what is there is read. Zero is a jumbogram's (RFC 2675, 4).
	if n := int(binary.BigEndian.Uint16(udp[4:6])); n != 0 {
		if n < 8 {
			return t, "decode error: UDP"
		}
		if n <= len(udp) {
			payload = udp[8:n]
		}
	}
	switch {
	case dst == portVXLAN || dst == portVXLANLinux:
		return vxlan(payload)
	case dst == portGeneve:
		return geneve(payload)
	case dst == portGTPU || src == portGTPU:
		return gtpu(payload)
	case dst == portTeredo || src == portTeredo:
		return teredo(payload)
	}
	return t, ""
}

// vxlan reads a VXLAN header (RFC 7348, 5): flags with I set, the VNI,
// then Ethernet.
func vxlan(b []byte) (tunnelLayer, string) {
	if len(b) < 8 || b[0]&0x08 == 0 {
		return tunnelLayer{}, "decode error: vxlan"
	}
	return tunnelLayer{typ: stream.TunnelVXLAN, id: uint24(b[4:7]), hasID: true, next: innerEthernet, inner: b[8:]}, ""
}

// geneve reads a Geneve header (RFC 8926, 3.4): version 0, its options
// skipped by their length, the protocol type and VNI.
func geneve(b []byte) (tunnelLayer, string) {
	if len(b) < 8 || b[0]>>6 != 0 {
		return tunnelLayer{}, "decode error: geneve"
	}
	n := 8 + int(b[0]&0x3f)*4
	if len(b) < n {
		return tunnelLayer{}, "decode error: geneve"
	}
	next, ok := etherInner(binary.BigEndian.Uint16(b[2:4]))
	if !ok {
		return tunnelLayer{}, "not IP"
	}
	return tunnelLayer{typ: stream.TunnelGeneve, id: uint24(b[4:7]), hasID: true, next: next, inner: b[n:]}, ""
}

// EtherTypes of the encapsulations.
const (
	etherTypeTEB        = 0x6558 // transparent Ethernet bridging (RFC 1701)
	etherTypeERSPAN2    = 0x88be // ERSPAN types I and II
	etherTypeERSPAN3    = 0x22eb
	etherTypeMPLS       = 0x8847 // RFC 5332, 4
	etherTypeMPLSMulti  = 0x8848
	etherTypePPPoE      = 0x8864 // PPPoE session stage (RFC 2516, 4)
	etherTypeIPv4       = 0x0800
	etherTypeIPv6       = 0x86dd
	ipProtoIPv4         = 4
	ipProtoIPv6         = 41
	ipProtoGRE          = 47
	ipProtoUDP          = 17
	ipProtoTCP          = 6
	pppIPv4             = 0x0021 // RFC 1332
	pppIPv6             = 0x0057 // RFC 5072
	gtpTPDU             = 0xff   // 3GPP TS 29.281, 6.1
	mplsControlWordMask = 0xf0
)

// etherInner is what an EtherType (or a GRE or Geneve protocol type)
// announces among the layers a tunnel may carry.
func etherInner(t uint16) (innerKind, bool) {
	switch t {
	case etherTypeIPv4:
		return innerIPv4, true
	case etherTypeIPv6:
		return innerIPv6, true
	case etherTypeTEB:
		return innerEthernet, true
	case etherTypeMPLS, etherTypeMPLSMulti:
		return innerMPLS, true
	}
	return 0, false
}

// gre reads a GRE header (RFC 2784 with RFC 2890's key and sequence
// number; version 0) and, for ERSPAN, the ERSPAN header after it.
func gre(b []byte) (tunnelLayer, string) {
	if len(b) < 4 {
		return tunnelLayer{}, "decode error: GRE"
	}
	flags := binary.BigEndian.Uint16(b[0:2])
	// Routing (RFC 1701's R bit) is obsolete, and version 1 is PPTP's.
	if flags&0x4000 != 0 || flags&0x7 != 0 {
		return tunnelLayer{}, "not IP"
	}
	t := tunnelLayer{typ: stream.TunnelGRE}
	n := 4
	if flags&0x8000 != 0 { // checksum and reserved
		n += 4
	}
	if flags&0x2000 != 0 { // key
		if len(b) < n+4 {
			return tunnelLayer{}, "decode error: GRE"
		}
		t.id, t.hasID = binary.BigEndian.Uint32(b[n:]), true
		n += 4
	}
	seq := flags&0x1000 != 0
	if seq {
		n += 4
	}
	if len(b) < n {
		return tunnelLayer{}, "decode error: GRE"
	}
	proto := binary.BigEndian.Uint16(b[2:4])
	switch proto {
	case etherTypeERSPAN2:
		// Type I has no ERSPAN header and no sequence number; type II
		// has both.
		if !seq {
			return tunnelLayer{typ: stream.TunnelERSPAN1, next: innerEthernet, inner: b[n:]}, ""
		}
		return erspan2(b[n:])
	case etherTypeERSPAN3:
		return erspan3(b[n:])
	}
	next, ok := etherInner(proto)
	if !ok {
		return tunnelLayer{}, "not IP"
	}
	t.next, t.inner = next, b[n:]
	return t, ""
}

// erspan2 reads an ERSPAN type II header: version 1 and the session id
// in 8 bytes, then the mirrored Ethernet frame.
func erspan2(b []byte) (tunnelLayer, string) {
	if len(b) < 8 || b[0]>>4 != 1 {
		return tunnelLayer{}, "decode error: erspan"
	}
	return tunnelLayer{typ: stream.TunnelERSPAN2, id: uint32(binary.BigEndian.Uint16(b[2:4]) & 0x3ff), hasID: true,
		next: innerEthernet, inner: b[8:]}, ""
}

// erspan3 reads an ERSPAN type III header: version 2 and the session id
// in 12 bytes, and the 8-byte platform specific subheader when its O
// bit (the last of the 12) says one follows.
func erspan3(b []byte) (tunnelLayer, string) {
	if len(b) < 12 || b[0]>>4 != 2 {
		return tunnelLayer{}, "decode error: erspan"
	}
	n := 12
	if b[11]&0x01 != 0 {
		n += 8
	}
	if len(b) < n {
		return tunnelLayer{}, "decode error: erspan"
	}
	return tunnelLayer{typ: stream.TunnelERSPAN3, id: uint32(binary.BigEndian.Uint16(b[2:4]) & 0x3ff), hasID: true,
		next: innerEthernet, inner: b[n:]}, ""
}

// gtpu reads a GTP-U header (3GPP TS 29.281, 5.1): version 1, protocol
// type GTP, the TEID, the optional sequence number, N-PDU number and
// extension headers (5.2), and only a T-PDU carries a user's packet.
func gtpu(b []byte) (tunnelLayer, string) {
	if len(b) < 8 || b[0]>>5 != 1 || b[0]&0x10 == 0 {
		return tunnelLayer{}, "decode error: gtp_u"
	}
	if b[1] != gtpTPDU {
		return tunnelLayer{}, "not IP"
	}
	end := 8 + int(binary.BigEndian.Uint16(b[2:4]))
	if end > len(b) {
		end = len(b) // the capture cut it
	}
	n := 8
	if b[0]&0x07 != 0 {
		// E, S or PN: the three optional fields are all there.
		if end < 12 {
			return tunnelLayer{}, "decode error: gtp_u"
		}
		next := b[11]
		n = 12
		// Each extension header gives its length in 4-byte units, its
		// last byte the type of the next; each takes at least 4 bytes,
		// so the loop ends within the header.
		for next != 0 {
			if n >= end || b[n] == 0 || n+int(b[n])*4 > end {
				return tunnelLayer{}, "decode error: gtp_u"
			}
			l := int(b[n]) * 4
			next = b[n+l-1]
			n += l
		}
	}
	t := tunnelLayer{typ: stream.TunnelGTPU, id: binary.BigEndian.Uint32(b[4:8]), hasID: true, inner: b[n:end]}
	var ok bool
	if t.next, ok = ipByVersion(t.inner); !ok {
		return tunnelLayer{}, "not IP"
	}
	return t, ""
}

// teredo reads a Teredo packet (RFC 4380, 5.1.1): an IPv6 packet after
// an optional authentication indicator and an optional origin indicator.
func teredo(b []byte) (tunnelLayer, string) {
	if len(b) >= 4 && b[0] == 0 && b[1] == 1 {
		// Authentication: lengths of the client id and the value, an
		// 8-byte nonce and the confirmation byte.
		n := 4 + int(b[2]) + int(b[3]) + 9
		if len(b) < n {
			return tunnelLayer{}, "decode error: teredo"
		}
		b = b[n:]
	}
	if len(b) >= 2 && b[0] == 0 && b[1] == 0 {
		if len(b) < 8 {
			return tunnelLayer{}, "decode error: teredo"
		}
		b = b[8:]
	}
	if len(b) == 0 || b[0]>>4 != 6 {
		return tunnelLayer{}, "not IP"
	}
	return tunnelLayer{typ: stream.TunnelTeredo, next: innerIPv6, inner: b}, ""
}

// mpls reads one label stack entry (RFC 3032, 2.1). After the bottom of
// the stack, IPv4 and IPv6 are told by the first nibble, and a first
// nibble 0 is a pseudowire control word (RFC 4385, 3) before an Ethernet
// frame (RFC 4448).
func mpls(b []byte) (tunnelLayer, string) {
	if len(b) < 4 {
		return tunnelLayer{}, "decode error: mpls"
	}
	w := binary.BigEndian.Uint32(b)
	t := tunnelLayer{typ: stream.TunnelMPLS, id: w >> 12, hasID: true, next: innerMPLS, inner: b[4:]}
	if w&0x100 == 0 {
		return t, ""
	}
	if len(t.inner) > 0 && t.inner[0]&mplsControlWordMask == 0 {
		if len(t.inner) < 4 {
			return tunnelLayer{}, "decode error: mpls"
		}
		t.next, t.inner = innerEthernet, t.inner[4:]
		return t, ""
	}
	var ok bool
	if t.next, ok = ipByVersion(t.inner); !ok {
		return tunnelLayer{}, "not IP"
	}
	return t, ""
}

// pppoe reads a PPPoE session header (RFC 2516, 4) and the PPP protocol
// (RFC 1661, 2; compressed to one byte when its first is odd).
func pppoe(b []byte) (tunnelLayer, string) {
	if len(b) < 8 || b[0] != 0x11 || b[1] != 0 {
		return tunnelLayer{}, "decode error: pppoe"
	}
	end := 6 + int(binary.BigEndian.Uint16(b[4:6]))
	if end > len(b) {
		end = len(b)
	}
	n, proto := 7, uint16(b[6])
	if b[6]&1 == 0 {
		n, proto = 8, binary.BigEndian.Uint16(b[6:8])
	}
	if n > end {
		return tunnelLayer{}, "decode error: pppoe"
	}
	t := tunnelLayer{typ: stream.TunnelPPPoE, id: uint32(binary.BigEndian.Uint16(b[2:4])), hasID: true, inner: b[n:end]}
	switch proto {
	case pppIPv4:
		t.next = innerIPv4
	case pppIPv6:
		t.next = innerIPv6
	default:
		return tunnelLayer{}, "not IP"
	}
	return t, ""
}

// ipTunnel is the encapsulation of IP in IP (RFC 2003, RFC 4213, 3.5,
// RFC 2473), by the outer version and the protocol number.
func ipTunnel(outer6 bool, proto uint8, payload []byte) tunnelLayer {
	t := tunnelLayer{next: innerIPv4, inner: payload}
	if proto == ipProtoIPv6 {
		t.next = innerIPv6
	}
	switch {
	case !outer6 && t.next == innerIPv4:
		t.typ = stream.TunnelIPIP
	case !outer6:
		t.typ = stream.Tunnel6in4
	case t.next == innerIPv4:
		t.typ = stream.Tunnel4in6
	default:
		t.typ = stream.Tunnel6in6
	}
	return t
}

// ipPayloadTunnel reads the encapsulation an IP packet's payload is, by
// its protocol number: typ is 0 when it is none.
func ipPayloadTunnel(outer6 bool, proto uint8, payload []byte) (tunnelLayer, string) {
	switch proto {
	case ipProtoUDP:
		return udpTunnel(payload)
	case ipProtoGRE:
		return gre(payload)
	case ipProtoIPv4, ipProtoIPv6:
		return ipTunnel(outer6, proto, payload), ""
	}
	return tunnelLayer{}, ""
}

// etherTunnel reads the encapsulation an EtherType announces at the link
// layer: typ is 0 when it is none.
func etherTunnel(t uint16, payload []byte) (tunnelLayer, string) {
	switch t {
	case etherTypeMPLS, etherTypeMPLSMulti:
		return mpls(payload)
	case etherTypePPPoE:
		return pppoe(payload)
	}
	return tunnelLayer{}, ""
}

// ipByVersion tells IPv4 from IPv6 by the first nibble.
func ipByVersion(b []byte) (innerKind, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch b[0] >> 4 {
	case 4:
		return innerIPv4, true
	case 6:
		return innerIPv6, true
	}
	return 0, false
}

func uint24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

// tunnelHash adds a tunnel layer to the identity of the tunnels around a
// connection (connKey.tun), the same from either direction: its type,
// its outer endpoints in either order, and its ID where both directions
// share one (VNI, GRE key, ERSPAN and PPPoE session). A GTP-U TEID and an
// MPLS label are chosen by the receiving end, one for each direction, so
// they are left out: gtpPairs adds the TEIDs paired (gtp.go), and labels,
// swapped hop by hop, stay out.
func tunnelHash(h uint64, t *tunnelLayer, src, dst netip.Addr) uint64 {
	if dst.Less(src) {
		src, dst = dst, src
	}
	id := uint64(0)
	if t.hasID && t.typ != stream.TunnelGTPU && t.typ != stream.TunnelMPLS {
		id = uint64(t.id) | 1<<32
	}
	a, b := src.As16(), dst.As16()
	for _, w := range [...]uint64{uint64(t.typ)<<40 | id, binary.LittleEndian.Uint64(a[:8]), binary.LittleEndian.Uint64(a[8:]),
		binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])} {
		// Multiply and rotate: fixed, so that every worker and every run
		// computes the same identity, and cheap, as the fast path pays it
		// on every packet in a tunnel.
		h = bits.RotateLeft64((h^w)*0x9e3779b97f4a7c15, 31)
	}
	return h | 1 // never 0, the identity of no tunnel
}
