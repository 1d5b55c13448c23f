package reassembly

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/stream"
)

// quickTCP reads the endpoints and the flags byte (byte 13 of the TCP
// header: FIN 0x01 ... CWR 0x80; NS, in byte 12, is not in it) of a TCP
// segment straight from the frame, with the identity of the tunnels it
// came in (tunnelHash), for the packets of connections already decided,
// where nothing else of the segment is used, and to pick the worker of a
// packet (Sharded). It is an order of magnitude cheaper than
// decoder.decode (BenchmarkQuickTCP, BenchmarkDecoderDecode) because it
// takes only the common shapes: Ethernet, with VLAN tags, SLL and SLL2
// before IPv4 or IPv6, or raw IP; an IPv4 header without options; an
// IPv6 header followed directly by TCP or a tunnel; the whole IP packet
// captured; and, within maxTunnels, the encapsulations of tunnel.go that
// carry them (VXLAN, Geneve, GRE, ERSPAN, GTP-U, Teredo, MPLS, PPPoE, IP
// in IP), read by the same functions as decode reads them.
//
// It returns ok=false whenever it is not certain that decoder.decode would
// return exactly this segment with reason "" and cut 0, whatever the lost
// bytes; the caller then decodes the frame. Certainty rests on the checks
// below mirroring those of gopacket v1.7.7's layers (ethernet.go,
// dot1q.go, linux_sll.go, linux_sll2.go, ip4.go, ip6.go, tcp.go), as the
// differential tests and FuzzQuickTCP in quick_test.go check.
func quickTCP(link layers.LinkType, data []byte) quickLook {
	s, d, tcp, tun, gtp, ok := quickSegment(link, data)
	if !ok {
		return quickLook{}
	}
	q := quickLook{
		src: netip.AddrPortFrom(s, binary.BigEndian.Uint16(tcp[0:2])),
		dst: netip.AddrPortFrom(d, binary.BigEndian.Uint16(tcp[2:4])),
		tun: tun, gtp: gtp.typ != 0, teid: gtp.id, flags: tcp[13], ok: true,
	}
	q.swap = q.dst.Compare(q.src) < 0
	if tun == 0 {
		// quickSegment slices data with two indexes only, which keep
		// the end of its capacity: the difference of the capacities is
		// where tcp begins in data.
		q.tcpAt = int32(cap(data) - cap(tcp))
		q.tcpEnd = q.tcpAt + int32(len(tcp))
		q.v4 = s.Is4()
	}
	return q
}

// segment returns the segment decoder.decode would return for a frame
// quickTCP took outside any tunnel, decoding only its TCP header: most of
// a handshake's packets, which Sharded already looked at to pick their
// worker (issue 18).
func (d *decoder) quickSegment(q quickLook, data []byte) (segment, bool) {
	if !q.ok || q.tcpEnd == 0 {
		return segment{}, false
	}
	// Nothing downstream reads the TCP options, and layers.TCP's parsing
	// of them (a 120-byte TCPOption each, MPTCP structs allocated) was
	// most of the cost of this decode: layers.TCP decodes the fixed
	// header alone, copied with its data offset set to 5, which keeps
	// the unexported port slices TransportFlow reads; then the header's
	// real extent is put back.
	b := data[q.tcpAt:q.tcpEnd]
	off := int(b[12]>>4) * 4 // quickTCPHeader checked 20 <= off <= len(b)
	d.tcpHead = [20]byte(b[:20])
	d.tcpHead[12] = 5<<4 | b[12]&0x0f
	if err := d.tcp.DecodeFromBytes(d.tcpHead[:], gopacket.NilDecodeFeedback); err != nil {
		return segment{}, false // 20 bytes with offset 5: not reached
	}
	d.tcp.DataOffset = b[12] >> 4
	d.tcp.Contents, d.tcp.Payload = b[:off], b[off:]
	seg := segment{src: q.src, dst: q.dst, tcp: &d.tcp}
	if q.v4 {
		// quickIPv4 takes only 20-byte headers, right before TCP.
		seg.ipHeader = data[q.tcpAt-20 : q.tcpAt]
	}
	return seg, true
}

// quickLook is what quickTCP reads of a frame; ok is false when it
// declined it.
type quickLook struct {
	src, dst netip.AddrPort
	tun      uint64
	gtp      bool // as segment.gtp and segment.teid
	teid     uint32
	flags    uint8
	ok       bool
	swap     bool   // dst is the lower end: see key
	hash     uint64 // hashOf(key()), set once tun is final (the GTP-U pairing), by whoever hands it to decided
	// Outside tunnels: where the TCP bytes are in the frame (tcpEnd 0
	// in tunnels), and whether IPv4 carries them, for quickSegment.
	tcpAt, tcpEnd int32
	v4            bool
}

// key is keyOf the segment's ends and tunnels, its ends compared once
// (quickTCP) for the dispatcher and the worker both.
func (q *quickLook) key() connKey {
	if q.swap {
		return connKey{q.dst, q.src, q.tun}
	}
	return connKey{q.src, q.dst, q.tun}
}

// quickSegment returns the addresses, TCP bytes (header and payload),
// tunnel identity and innermost GTP-U layer of the frames quickTCP takes.
func quickSegment(link layers.LinkType, data []byte) (s, d netip.Addr, tcp []byte, tun uint64, gtp tunnelLayer, ok bool) {
	var b []byte
	var kind innerKind
	switch link {
	case layers.LinkTypeEthernet:
		kind, b, ok = innerEthernet, data, true
	case layers.LinkTypeLinuxSLL:
		// layers.LinuxSLL fails on an address length over 8, whatever
		// the rest of the header says.
		if len(data) < 16 || binary.BigEndian.Uint16(data[4:6]) > 8 {
			return
		}
		kind, ok = ipEtherType(data[14:16])
		b = data[16:]
	case layers.LinkTypeLinuxSLL2:
		// layers.LinuxSLL2 fails on an address length over 8, and for
		// these ARPHRD types ignores the protocol type: it names no
		// layer (FRAD), Ethernet (IP GRE) or radiotap.
		if len(data) < 20 || data[11] > 8 {
			return
		}
		switch layers.ARPHardwareType(binary.BigEndian.Uint16(data[8:10])) {
		case layers.ARPHardwareTypeFRAD, layers.ARPHardwareTypeIPGRE, layers.ARPHardwareTypeDot11Radiotap:
			return
		}
		kind, ok = ipEtherType(data[0:2])
		b = data[20:]
	case layers.LinkTypeRaw:
		// As decode chooses: version 6 is IPv6, anything else is read as
		// IPv4 (and quickIPv4 wants version 4).
		kind, ok = innerIPv4, true
		if len(data) > 0 && data[0]>>4 == 6 {
			kind = innerIPv6
		}
		b = data
	case layers.LinkTypeIPv4:
		kind, b, ok = innerIPv4, data, true
	case layers.LinkTypeIPv6:
		kind, b, ok = innerIPv6, data, true
	}
	if !ok {
		return
	}
	var src, dst netip.Addr // the outer endpoints of a tunnel
	var t tunnelLayer
	for layers := 0; ; layers++ {
		switch kind {
		case innerEthernet:
			var next innerKind
			if next, b, t, ok = quickEthernet(b); ok && t.typ == 0 {
				kind = next // IP, read at the next turn
				layers--
				continue
			}
			src, dst = netip.Addr{}, netip.Addr{}
		case innerIPv4, innerIPv6:
			var proto uint8
			if kind == innerIPv6 {
				src, dst, proto, b, ok = quickIPv6(b)
			} else {
				src, dst, proto, b, ok = quickIPv4(b)
			}
			if ok && proto == ipProtoTCP {
				return src, dst, quickTCPHeader(b), tun, gtp, len(quickTCPHeader(b)) > 0
			}
			var reason string
			if t, reason = ipPayloadTunnel(kind == innerIPv6, proto, b); reason != "" {
				ok = false
			}
		case innerMPLS:
			var reason string
			t, reason = mpls(b)
			ok = reason == ""
			src, dst = netip.Addr{}, netip.Addr{}
		}
		// decode reads a tunnel at most maxTunnels deep.
		if !ok || t.typ == 0 || layers == maxTunnels {
			return netip.Addr{}, netip.Addr{}, nil, 0, tunnelLayer{}, false
		}
		tun = tunnelHash(tun, &t, src, dst)
		if t.typ == stream.TunnelGTPU {
			gtp = t
		}
		kind, b = t.next, t.inner
	}
}

// quickEthernet reads an Ethernet header and its VLAN tags, up to IPv4,
// IPv6 or an encapsulation of the link layer (t).
func quickEthernet(b []byte) (kind innerKind, payload []byte, t tunnelLayer, ok bool) {
	// An EtherType below 0x0600 is an 802.3 length: left to decode.
	if len(b) < 14 {
		return
	}
	typ, b := binary.BigEndian.Uint16(b[12:14]), b[14:]
	for typ == uint16(layers.EthernetTypeDot1Q) || typ == uint16(layers.EthernetTypeQinQ) || typ == uint16(ethernetTypeQinQOld) {
		if len(b) < 4 {
			return
		}
		typ, b = binary.BigEndian.Uint16(b[2:4]), b[4:]
	}
	switch typ {
	case etherTypeIPv4:
		return innerIPv4, b, t, true
	case etherTypeIPv6:
		return innerIPv6, b, t, true
	}
	t, reason := etherTunnel(typ, b)
	return 0, nil, t, reason == "" && t.typ != 0
}

// quickTCPHeader returns tcp when its header is one layers.TCP decodes,
// else nil.
func quickTCPHeader(tcp []byte) []byte {
	// layers.TCP fails on a header shorter than 20 bytes or than its data
	// offset says. Its options need no check: in v1.7.7 a malformed one
	// ends option parsing (TCP.stopOptions) and is never an error, which
	// TestQuickTCPCases checks.
	if len(tcp) < 20 {
		return nil
	}
	if off := int(tcp[12]>>4) * 4; off < 20 || off > len(tcp) {
		return nil
	}
	return tcp
}

// ipEtherType is the kind of IPv4 and IPv6 EtherTypes.
func ipEtherType(t []byte) (innerKind, bool) {
	switch binary.BigEndian.Uint16(t) {
	case etherTypeIPv4:
		return innerIPv4, true
	case etherTypeIPv6:
		return innerIPv6, true
	}
	return 0, false
}

// quickIPv4 returns the addresses, protocol and payload of an
// unfragmented IPv4 packet without options, all of it captured.
func quickIPv4(ip []byte) (src, dst netip.Addr, proto uint8, payload []byte, ok bool) {
	// Version 4 and IHL 5. layers.IPv4 does not check the version, but a
	// frame that lies about it is rare enough to leave to decode; options
	// are rare too, and layers.IPv4 fails on malformed ones: rather than
	// mirror that parsing, any option goes to decode.
	if len(ip) < 20 || ip[0] != 0x45 {
		return
	}
	n := int(binary.BigEndian.Uint16(ip[2:4]))
	if n == 0 {
		// layers.IPv4 takes a zero total length, as TCP segmentation
		// offload leaves it, for the length of the captured bytes.
		n = len(ip)
	}
	// A length beyond the captured bytes makes layers.IPv4 set Truncated
	// (the snap length cut case, which decode reports with its cut); one
	// below the header is an error. A shorter one trims the bytes after
	// it, as Ethernet pads small frames.
	if n < 20 || n > len(ip) {
		return
	}
	// The fragment offset and MF: any fragment goes to defrag. DF and
	// the reserved bit change nothing.
	if binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 {
		return
	}
	// AddrFrom4, as netip.AddrFromSlice makes of the 4-byte addresses
	// layers.IPv4 gives decode.segment.
	return netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20])), ip[9], ip[20:n], true
}

// quickIPv6 returns the addresses, next header and payload of an IPv6
// packet whose next header is TCP or a tunnel, all of it captured.
func quickIPv6(ip []byte) (src, dst netip.Addr, proto uint8, payload []byte, ok bool) {
	// Any extension header goes to decode, the hop-by-hop header that
	// layers.IPv6 decodes itself included.
	if len(ip) < 40 || ip[0]>>4 != 6 {
		return
	}
	switch ip[6] {
	case ipProtoTCP, ipProtoUDP, ipProtoGRE, ipProtoIPv4, ipProtoIPv6:
	default:
		return
	}
	// A zero payload length (a jumbogram) without a hop-by-hop header
	// is an error in layers.IPv6; one beyond the captured bytes sets
	// Truncated. A shorter one trims the bytes after it.
	n := int(binary.BigEndian.Uint16(ip[4:6]))
	if n == 0 || 40+n > len(ip) {
		return
	}
	// AddrFrom16 keeps an IPv4-mapped address 16 bytes, as AddrFromSlice
	// does in decode.segment.
	return netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40])), ip[6], ip[40 : 40+n], true
}
