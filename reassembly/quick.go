package reassembly

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// quickTCP reads the endpoints and the flags byte (byte 13 of the TCP
// header: FIN 0x01 ... CWR 0x80; NS, in byte 12, is not in it) of a TCP
// segment straight from the frame, for the packets of connections already
// decided, where nothing else of the segment is used, and to pick the
// worker of a packet (Sharded). It is an order of
// magnitude cheaper than decoder.decode (BenchmarkQuickTCP,
// BenchmarkDecoderDecode) because it takes only the common shapes:
// Ethernet without tags, SLL and SLL2 before IPv4 or IPv6, or raw IP; an
// IPv4 header without options; an IPv6 header followed directly by TCP;
// the whole IP packet captured.
//
// It returns ok=false whenever it is not certain that decoder.decode would
// return exactly this segment with reason "" and cut 0, whatever the lost
// bytes; the caller then decodes the frame. Certainty rests on the checks
// below mirroring those of gopacket v1.7.7's layers (ethernet.go,
// linux_sll.go, linux_sll2.go, ip4.go, ip6.go, tcp.go), as the differential
// tests and FuzzQuickTCP in quick_test.go check.
func quickTCP(link layers.LinkType, data []byte) (src, dst netip.AddrPort, flags uint8, ok bool) {
	s, d, tcp, ok := quickSegment(link, data)
	if !ok {
		return
	}
	src = netip.AddrPortFrom(s, binary.BigEndian.Uint16(tcp[0:2]))
	dst = netip.AddrPortFrom(d, binary.BigEndian.Uint16(tcp[2:4]))
	return src, dst, tcp[13], true
}

// quickSegment returns the addresses and TCP bytes (header and payload)
// of the frames quickTCP takes.
func quickSegment(link layers.LinkType, data []byte) (s, d netip.Addr, tcp []byte, ok bool) {
	var ip []byte
	var v6 bool
	switch link {
	case layers.LinkTypeEthernet:
		// An EtherType below 0x0600 is an 802.3 length, and a tag type
		// (0x8100, 0x88a8, 0x9100) needs the tag decoded: both are left
		// to decode.
		if len(data) < 14 {
			return
		}
		v6, ok = ipEtherType(data[12:14])
		ip = data[14:]
	case layers.LinkTypeLinuxSLL:
		// layers.LinuxSLL fails on an address length over 8, whatever
		// the rest of the header says.
		if len(data) < 16 || binary.BigEndian.Uint16(data[4:6]) > 8 {
			return
		}
		v6, ok = ipEtherType(data[14:16])
		ip = data[16:]
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
		v6, ok = ipEtherType(data[0:2])
		ip = data[20:]
	case layers.LinkTypeRaw:
		// As decode chooses: version 6 is IPv6, anything else is read as
		// IPv4 (and quickIPv4 wants version 4).
		v6, ok = len(data) > 0 && data[0]>>4 == 6, true
		ip = data
	case layers.LinkTypeIPv4:
		ip, ok = data, true
	case layers.LinkTypeIPv6:
		ip, v6, ok = data, true, true
	}
	if !ok {
		return
	}
	if v6 {
		s, d, tcp, ok = quickIPv6(ip)
	} else {
		s, d, tcp, ok = quickIPv4(ip)
	}
	// layers.TCP fails on a header shorter than 20 bytes or than its data
	// offset says. Its options need no check: in v1.7.7 a malformed one
	// ends option parsing (TCP.stopOptions) and is never an error, which
	// TestQuickTCPCases checks.
	if !ok || len(tcp) < 20 {
		return s, d, nil, false
	}
	if off := int(tcp[12]>>4) * 4; off < 20 || off > len(tcp) {
		return s, d, nil, false
	}
	return s, d, tcp, true
}

// ipEtherType reports whether t is the EtherType of IPv4 or IPv6, and
// which.
func ipEtherType(t []byte) (v6, ok bool) {
	switch layers.EthernetType(binary.BigEndian.Uint16(t)) {
	case layers.EthernetTypeIPv4:
		return false, true
	case layers.EthernetTypeIPv6:
		return true, true
	}
	return false, false
}

// quickIPv4 returns the addresses and the TCP bytes of an unfragmented
// IPv4 packet without options, all of it captured.
func quickIPv4(ip []byte) (src, dst netip.Addr, tcp []byte, ok bool) {
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
	if binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 || layers.IPProtocol(ip[9]) != layers.IPProtocolTCP {
		return
	}
	// AddrFrom4, as netip.AddrFromSlice makes of the 4-byte addresses
	// layers.IPv4 gives decode.segment.
	return netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20])), ip[20:n], true
}

// quickIPv6 returns the addresses and the TCP bytes of an IPv6 packet
// whose next header is TCP, all of it captured.
func quickIPv6(ip []byte) (src, dst netip.Addr, tcp []byte, ok bool) {
	// Any extension header goes to decode, the hop-by-hop header that
	// layers.IPv6 decodes itself included.
	if len(ip) < 40 || ip[0]>>4 != 6 || layers.IPProtocol(ip[6]) != layers.IPProtocolTCP {
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
	return netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40])), ip[40 : 40+n], true
}
