package reassembly

import (
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/stream"
)

// ethernetTypeQinQOld is the 802.1ad tag type used before 0x88a8 was
// assigned; gopacket knows 0x8100 and 0x88a8 but not this one.
const ethernetTypeQinQOld layers.EthernetType = 0x9100

// nextEthernet is the layer an EtherType announces, with 0x9100 read as a
// VLAN tag like 0x8100 and 0x88a8.
func nextEthernet(t layers.EthernetType) gopacket.LayerType {
	if t == ethernetTypeQinQOld {
		return layers.LayerTypeDot1Q
	}
	return t.LayerType()
}

// ethernet and dot1q follow 0x9100 tags, which gopacket's own layers stop at.
type ethernet struct{ layers.Ethernet }

func (e *ethernet) NextLayerType() gopacket.LayerType { return nextEthernet(e.EthernetType) }

type dot1q struct{ layers.Dot1Q }

func (d *dot1q) NextLayerType() gopacket.LayerType {
	if d.Type == ethernetTypeQinQOld {
		return layers.LayerTypeDot1Q
	}
	return d.Dot1Q.NextLayerType()
}

// ipv6ExtensionClass lists the IPv6 extension headers skipped on the way to
// TCP. The fragment header is left out so that a fragment stops decoding
// and is counted, rather than its first piece being taken for a whole
// segment. Hop-by-hop options right after the fixed header are decoded by
// layers.IPv6 itself.
var ipv6ExtensionClass = gopacket.NewLayerClass([]gopacket.LayerType{
	layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination,
})

type ipv6Extension struct{ layers.IPv6ExtensionSkipper }

func (e *ipv6Extension) CanDecode() gopacket.LayerClass { return ipv6ExtensionClass }

// NextLayerType stops at IP in IP, as ipv4's does.
func (e *ipv6Extension) NextLayerType() gopacket.LayerType {
	return ipInIP(e.NextHeader, e.IPv6ExtensionSkipper.NextLayerType())
}

// ipv4 and ipv6 stop decoding at IP in IP (protocols 4 and 41), which
// gopacket's layers would decode on into the same layer, the outer
// header's addresses lost: the tunnel is read from what they carry
// (tunnelOf).
type ipv4 struct{ layers.IPv4 }

func (i *ipv4) NextLayerType() gopacket.LayerType {
	next := i.IPv4.NextLayerType()
	if next == gopacket.LayerTypeFragment {
		return next
	}
	return ipInIP(i.Protocol, next)
}

type ipv6 struct{ layers.IPv6 }

func (i *ipv6) NextLayerType() gopacket.LayerType {
	p := i.NextHeader
	if i.HopByHop != nil {
		p = i.HopByHop.NextHeader
	}
	return ipInIP(p, i.IPv6.NextLayerType())
}

// ipInIP is the layer after an IP header of protocol p, next as gopacket
// names it: none for IP in IP.
func ipInIP(p layers.IPProtocol, next gopacket.LayerType) gopacket.LayerType {
	if p == layers.IPProtocolIPv4 || p == layers.IPProtocolIPv6 {
		return gopacket.LayerTypePayload
	}
	return next
}

// first layers, one parser each.
const (
	firstEthernet = iota
	firstSLL
	firstSLL2
	firstLoopback
	firstIPv4
	firstIPv6
	numFirst
)

var firstLayer = [numFirst]gopacket.LayerType{
	firstEthernet: layers.LayerTypeEthernet,
	firstSLL:      layers.LayerTypeLinuxSLL,
	firstSLL2:     layers.LayerTypeLinuxSLL2,
	firstLoopback: layers.LayerTypeLoopback,
	firstIPv4:     layers.LayerTypeIPv4,
	firstIPv6:     layers.LayerTypeIPv6,
}

// decoder turns link-layer frames into TCP segments. Its layers are decoded
// in place and reused: nothing it returns survives the next decode.
type decoder struct {
	parsers   [numFirst]*gopacket.DecodingLayerParser
	container gopacket.DecodingLayerContainer
	decoded   []gopacket.LayerType

	eth    ethernet
	sll    layers.LinuxSLL
	sll2   layers.LinuxSLL2
	loop   layers.Loopback
	vlan   dot1q
	ip4    ipv4
	ip6    ipv6
	ip6ext ipv6Extension
	tcp    layers.TCP
	udp    layers.UDP
	// tcpHead is the first 20 bytes of the TCP header quickSegment read,
	// which d.tcp's ports point into (see quickSegment).
	tcpHead [20]byte

	// tunnels are the encapsulations around the frame being decoded,
	// outermost first, and tun their identity (tunnelHash).
	tunnels []stream.Tunnel
	tun     uint64
	// gtp says a GTP-U layer is among them, teid the innermost one's
	// TEID, for gtpPairs.
	gtp  bool
	teid uint32

	// unsupported caches the skip reason of each unsupported link type,
	// so that counting one costs no allocation.
	unsupported map[layers.LinkType]string
}

func newDecoder() *decoder {
	d := &decoder{decoded: make([]gopacket.LayerType, 0, 8), tunnels: make([]stream.Tunnel, 0, maxTunnels), unsupported: map[layers.LinkType]string{}}
	var c gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range []gopacket.DecodingLayer{&d.eth, &d.sll, &d.sll2, &d.loop, &d.vlan, &d.ip4, &d.ip6, &d.ip6ext, &d.tcp} {
		c = c.Put(l)
	}
	d.container = c
	for i, first := range firstLayer {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(c)
		// Decoding stops at the first layer without a decoder (UDP, ARP,
		// TCP payload, ...); what was reached is read from d.decoded.
		p.IgnoreUnsupported = true
		d.parsers[i] = p
	}
	return d
}

// segment is a decoded TCP segment; tcp points into the decoder.
type segment struct {
	src, dst netip.AddrPort
	tcp      *layers.TCP
	// cut is how many bytes of the payload the IP header announces beyond
	// those captured: the capture's snap length cut the packet short.
	cut int
	// ipHeader is the IPv4 header of a segment that came in one packet,
	// for its checksum.
	ipHeader []byte
	// tun is the identity of the tunnels the segment came in (0 for
	// none), tunnels what the report says of them, owned by the decoder.
	tun     uint64
	tunnels []stream.Tunnel
	// gtp and teid: the segment came in GTP-U, its innermost TEID that;
	// tun leaves it out until gtpPairs pairs it with the other side's.
	gtp  bool
	teid uint32
	// udp says it is a UDP datagram, not a TCP segment: tcp is nil and
	// payload holds the datagram's (udp.go), and frames is how many
	// frames it came in, that many packets skipped when it is.
	udp     bool
	payload []byte
	frames  int
	// path is the key of the QUIC flow a datagram of a new 4-tuple is a
	// path of (udpRoutes.route), nil for any other; issued says it was
	// linked by an ID read decrypted (Assembler.claimant).
	path   *connKey
	issued bool
}

// reasonIPv4Fragment and reasonIPv6Fragment are what decode returns for
// an IP fragment, which the Assembler gives to defrag (d.ip4 or d.ip6 and
// d.fragmentHeader hold it).
const (
	reasonIPv4Fragment = "IPv4 fragment"
	reasonIPv6Fragment = "IPv6 fragment"
)

// decode decodes one frame, of which the capture kept data and left out
// lost bytes at the end. It returns the segment, or the reason the frame
// is skipped: a short, low-cardinality string, as Stats.Skipped counts
// them.
func (d *decoder) decode(link layers.LinkType, data []byte, lost int) (segment, string) {
	first := -1
	switch link {
	case layers.LinkTypeEthernet:
		first = firstEthernet
	case layers.LinkTypeLinuxSLL:
		first = firstSLL
	case layers.LinkTypeLinuxSLL2:
		first = firstSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		first = firstLoopback
	case layers.LinkTypeIPv4:
		first = firstIPv4
	case layers.LinkTypeIPv6:
		first = firstIPv6
	case layers.LinkTypeRaw:
		// Raw IP says nothing of the version but the packet does.
		if len(data) > 0 && data[0]>>4 == 6 {
			first = firstIPv6
		} else {
			first = firstIPv4
		}
	}
	if first < 0 {
		r, ok := d.unsupported[link]
		if !ok {
			r = "unsupported link type " + strconv.Itoa(int(link))
			d.unsupported[link] = r
		}
		return segment{}, r
	}
	d.tunnels, d.tun, d.gtp = d.tunnels[:0], 0, false
	seg, reason := d.decodeFrom(first, data, lost)
	if len(d.tunnels) > 0 {
		if reason == reasonIPv4Fragment || reason == reasonIPv6Fragment {
			// defrag keys datagrams by their addresses alone: the
			// tunnel would be lost.
			reason = reasonTunnelFragment
		}
		seg.tun, seg.tunnels, seg.gtp, seg.teid = d.tun, d.tunnels, d.gtp, d.teid
	}
	return seg, reason
}

// decodeFrom decodes a frame, or what a tunnel carries, from its first
// layer on.
func (d *decoder) decodeFrom(first int, data []byte, lost int) (segment, string) {
	p := d.parsers[first]
	err := p.DecodeLayers(data, &d.decoded)
	isTCP := len(d.decoded) > 0 && d.decoded[len(d.decoded)-1] == layers.LayerTypeTCP
	if err == nil && !isTCP {
		t, reason := d.tunnelOf()
		switch {
		case reason != "" && p.Truncated:
			return segment{}, "truncated" // the capture cut the tunnel's header
		case reason != "":
			return segment{}, reason
		case t.typ != 0:
			return d.tunnel(t, lost)
		}
	}
	if p.Truncated && (err != nil || !isTCP) {
		return segment{}, "truncated"
	}
	if err != nil {
		return segment{}, "decode error: " + d.next(first).String()
	}
	if !isTCP {
		if seg, ok := d.udpDatagram(); ok {
			return seg, ""
		}
		return segment{}, d.notTCP()
	}
	v4 := d.sawLayer(layers.LayerTypeIPv4)
	src, dst := d.ip6.SrcIP, d.ip6.DstIP
	if v4 {
		src, dst = d.ip4.SrcIP, d.ip4.DstIP
	}
	seg := d.segment(src, dst)
	if v4 {
		seg.ipHeader = d.ip4.Contents
	}
	if p.Truncated && lost > 0 {
		// The TCP header is whole, the payload cut short: the segment is
		// used, and what is missing reported as a gap where it belongs.
		// An IP length beyond what was on the wire is a bad header, not a
		// cut: the payload is what came.
		seg.cut = min(d.cut(v4), lost)
	}
	return seg, ""
}

// segment is the decoded TCP layer between two addresses, which the
// layers slice out of a packet: 4 bytes for IPv4, 16 for IPv6, so the
// conversions cannot fail.
func (d *decoder) segment(src, dst []byte) segment {
	s, _ := netip.AddrFromSlice(src)
	t, _ := netip.AddrFromSlice(dst)
	return segment{
		src: netip.AddrPortFrom(s, uint16(d.tcp.SrcPort)),
		dst: netip.AddrPortFrom(t, uint16(d.tcp.DstPort)),
		tcp: &d.tcp,
	}
}

// cut returns how many payload bytes the IP header of a truncated packet
// announces beyond those captured. The TCP layer's contents and payload
// run to the end of the captured bytes, as the IP payload does.
func (d *decoder) cut(v4 bool) int {
	seg := len(d.tcp.Contents) + len(d.tcp.Payload) // TCP bytes captured
	var declared int
	if v4 {
		declared = int(d.ip4.Length) - int(d.ip4.IHL)*4
	} else {
		if d.ip6.Length == 0 {
			return 0 // a jumbogram: no length to go by
		}
		// Extension headers sit between the fixed header and TCP; the
		// payload layers.IPv6 gives starts after a hop-by-hop header.
		ext := len(d.ip6.Payload) - seg
		if d.ip6.HopByHop != nil {
			ext += d.ip6.HopByHop.ActualLength
		}
		declared = int(d.ip6.Length) - ext
	}
	return max(declared-seg, 0)
}

// datagramTCP decodes the TCP segment of a datagram made whole, from its
// addresses and payload.
func (d *decoder) datagramTCP(src, dst netip.Addr, payload []byte) (segment, string) {
	if err := d.tcp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
		return segment{}, "decode error: TCP"
	}
	return segment{
		src: netip.AddrPortFrom(src, uint16(d.tcp.SrcPort)),
		dst: netip.AddrPortFrom(dst, uint16(d.tcp.DstPort)),
		tcp: &d.tcp,
	}, ""
}

func (d *decoder) sawLayer(t gopacket.LayerType) bool {
	for _, l := range d.decoded {
		if l == t {
			return true
		}
	}
	return false
}

// next is the layer that the last decoded layer announced, where decoding
// stopped or failed.
func (d *decoder) next(first int) gopacket.LayerType {
	if len(d.decoded) == 0 {
		return firstLayer[first]
	}
	l, _ := d.container.Decoder(d.decoded[len(d.decoded)-1])
	return l.NextLayerType()
}

// notTCP says why a frame that decoded cleanly carries no TCP segment.
func (d *decoder) notTCP() string {
	if !d.sawLayer(layers.LayerTypeIPv4) && !d.sawLayer(layers.LayerTypeIPv6) {
		return "not IP"
	}
	switch d.next(0) {
	case gopacket.LayerTypeFragment:
		return reasonIPv4Fragment
	case layers.LayerTypeIPv6Fragment:
		return reasonIPv6Fragment
	}
	return "not TCP"
}
