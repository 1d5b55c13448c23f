package rewrite

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/internal/inet"
)

// kind says what the rewriter can do with a frame.
type kind uint8

const (
	// other frames (ARP, UDP, ICMP, ...) are copied as they are and
	// rearranged around.
	other kind = iota
	// tcp frames are TCP segments the rewriter understands whole.
	tcp
	// barrier frames are copied as they are and nothing is moved across
	// them: IP fragments, truncated or undecodable IP packets, link types
	// it does not know, which hsdecode may still make TCP segments of.
	barrier
)

// segment is a decoded TCP segment and where its parts lie in its frame.
type segment struct {
	src, dst netip.AddrPort
	seq, ack uint32
	flags    byte // TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10)
	payload  []byte
	// Offsets in the frame: the IP header, the TCP header, the payload.
	ipOff, tcpOff, dataOff int
	v6                     bool
}

const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

func (s *segment) has(f byte) bool { return s.flags&f != 0 }

// ipv6Ext skips the IPv6 extension headers hsdecode skips; a fragment
// header is left out so that fragments stop decoding.
type ipv6Ext struct{ layers.IPv6ExtensionSkipper }

var ipv6ExtClass = gopacket.NewLayerClass([]gopacket.LayerType{
	layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination,
})

func (e *ipv6Ext) CanDecode() gopacket.LayerClass { return ipv6ExtClass }

// decoder decodes frames with gopacket's layers, reused.
type decoder struct {
	eth     layers.Ethernet
	vlan    layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	ext     ipv6Ext
	tcp     layers.TCP
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newDecoder() *decoder {
	d := &decoder{parsers: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}}
	ls := []gopacket.DecodingLayer{&d.eth, &d.vlan, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.ext, &d.tcp}
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL,
		layers.LayerTypeLinuxSLL2, layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first, ls...)
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	return d
}

// firstLayer is the layer a link type starts with, as hsdecode decodes it.
func firstLayer(link layers.LinkType, data []byte) gopacket.LayerType {
	switch link {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.LinkTypeRaw:
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// offset is where b, a slice of data, starts in it.
func offset(data, b []byte) int { return cap(data) - cap(b) }

// decode says what a frame is, and decodes it when it is a whole TCP
// segment. The segment's payload is a slice of data.
func (d *decoder) decode(link layers.LinkType, data []byte) (kind, segment) {
	first := firstLayer(link, data)
	p := d.parsers[first]
	if p == nil {
		return barrier, segment{}
	}
	err := p.DecodeLayers(data, &d.decoded)
	var ipSeen, v6, tcpSeen bool
	ips := 0
	for _, l := range d.decoded {
		switch l {
		case layers.LayerTypeIPv4:
			ipSeen, v6 = true, false
			ips++
		case layers.LayerTypeIPv6:
			ipSeen, v6 = true, true
			ips++
		case layers.LayerTypeTCP:
			tcpSeen = true
		}
	}
	if ips > 1 {
		// IP in IP: the layers decode the inner header over the outer
		// one, so the frame cannot be rebuilt. Like the segments other
		// tunnels carry (UDP, GRE), it goes as it came.
		return other, segment{}
	}
	if !ipSeen {
		if err != nil || len(d.decoded) == 0 {
			return barrier, segment{} // a link header it could not read
		}
		return other, segment{}
	}
	whole := err == nil && !p.Truncated && tcpSeen
	if !whole {
		// TCP it could not take apart, or an IP fragment (of TCP or
		// not: the rest of the datagram says), or a truncated packet.
		if !tcpSeen && err == nil && !p.Truncated && !d.fragment(v6) && !d.tcpProto(v6) {
			return other, segment{} // UDP, ICMP, ...
		}
		return barrier, segment{}
	}
	s := segment{v6: v6, seq: d.tcp.Seq, ack: d.tcp.Ack, payload: d.tcp.Payload}
	var src, dst []byte
	if v6 {
		src, dst = d.ip6.SrcIP, d.ip6.DstIP
		s.ipOff = offset(data, d.ip6.Contents)
		if d.ip6.Length == 0 {
			return barrier, segment{} // a jumbogram
		}
	} else {
		src, dst = d.ip4.SrcIP, d.ip4.DstIP
		s.ipOff = offset(data, d.ip4.Contents)
	}
	a, _ := netip.AddrFromSlice(src)
	b, _ := netip.AddrFromSlice(dst)
	s.src = netip.AddrPortFrom(a, uint16(d.tcp.SrcPort))
	s.dst = netip.AddrPortFrom(b, uint16(d.tcp.DstPort))
	s.tcpOff = offset(data, d.tcp.Contents)
	s.dataOff = s.tcpOff + len(d.tcp.Contents)
	s.flags = data[s.tcpOff+13]
	return tcp, s
}

// fragment reports whether decoding stopped at an IP fragment.
func (d *decoder) fragment(v6 bool) bool {
	if v6 {
		return d.next6() == layers.IPProtocolIPv6Fragment
	}
	return d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0
}

// tcpProto reports whether the IP header announces TCP.
func (d *decoder) tcpProto(v6 bool) bool {
	if v6 {
		return d.next6() == layers.IPProtocolTCP
	}
	return d.ip4.Protocol == layers.IPProtocolTCP
}

// next6 is the protocol after the last IPv6 header decoded.
func (d *decoder) next6() layers.IPProtocol {
	if last := d.decoded[len(d.decoded)-1]; last != layers.LayerTypeIPv6 && ipv6ExtClass.Contains(last) {
		return d.ext.NextHeader
	}
	if d.ip6.HopByHop != nil {
		return d.ip6.HopByHop.NextHeader // layers.IPv6 decodes it itself
	}
	return d.ip6.NextHeader
}

// build makes a frame from the headers of an original one (everything
// before its payload) with another payload, sequence number,
// acknowledgement and flags: IP lengths and checksums and the TCP checksum
// are set to match. A trailer after the original payload is not kept.
func build(orig []byte, s segment, payload []byte, seq, ack uint32, flags byte) []byte {
	ipWrong, tcpWrong := wrongSums(orig, s)
	f := make([]byte, s.dataOff+len(payload))
	copy(f, orig[:s.dataOff])
	copy(f[s.dataOff:], payload)
	ip := f[s.ipOff:]
	t := f[s.tcpOff:]
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[13] = flags
	tcpLen := len(f) - s.tcpOff
	if s.v6 {
		binary.BigEndian.PutUint16(ip[4:], uint16(len(f)-s.ipOff-40))
	} else {
		binary.BigEndian.PutUint16(ip[2:], uint16(len(f)-s.ipOff))
		ihl := int(ip[0]&0x0f) * 4
		ip[10], ip[11] = 0, 0
		binary.BigEndian.PutUint16(ip[10:], ^inet.Fold(inet.Sum(ip[:ihl], 0))^ipWrong)
	}
	// TCP checksum over the pseudo-header (RFC 9293, 3.1; RFC 8200, 8.1).
	t[16], t[17] = 0, 0
	var ps uint64
	if s.v6 {
		ps = inet.Sum(ip[8:40], 0)
		ps += uint64(tcpLen>>16) + uint64(tcpLen&0xffff) + uint64(layers.IPProtocolTCP)
	} else {
		ps = inet.Sum(ip[12:20], 0)
		ps += uint64(tcpLen) + uint64(layers.IPProtocolTCP)
	}
	binary.BigEndian.PutUint16(t[16:], ^inet.Fold(inet.Sum(f[s.tcpOff:], ps))^tcpWrong)
	return f
}

// wrongSums says whether the IPv4 header and TCP checksums of a frame are
// wrong in a way checksum offload does not explain (zero, or the TCP
// pseudo-header's sum, which loopback captures have), as in a frame
// edited without them: 0 if not, else what to flip in a rebuilt frame's
// checksum to keep it wrong, so that hsdecode, which drops such segments
// as their receiver does, reads the rewritten capture as the original.
func wrongSums(orig []byte, s segment) (ip, tcp uint16) {
	const flip = 0x5a5a
	h := orig[s.ipOff:]
	t := orig[s.tcpOff : s.dataOff+len(s.payload)]
	var ps uint64
	if s.v6 {
		ps = inet.Sum(h[8:40], 0)
	} else {
		ihl := int(h[0]&0x0f) * 4
		if inet.Fold(inet.Sum(h[:ihl], 0)) != 0xffff && (h[10] != 0 || h[11] != 0) {
			ip = flip
		}
		ps = inet.Sum(h[12:20], 0)
	}
	n := uint64(len(t))
	ps += uint64(layers.IPProtocolTCP)
	check := binary.BigEndian.Uint16(t[16:])
	withLen := ps + n>>16 + n&0xffff
	if inet.Fold(inet.Sum(t, withLen)) != 0xffff && check != 0 && check != inet.Fold(withLen) && check != inet.Fold(ps) {
		tcp = flip
	}
	return ip, tcp
}
