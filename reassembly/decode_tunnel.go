package reassembly

import (
	"net/netip"

	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/stream"
)

// tunnelOf reads the encapsulation the last layer decoded announces, if
// any: typ is 0 when there is none, and a reason is set for one that is
// malformed.
func (d *decoder) tunnelOf() (tunnelLayer, string) {
	if len(d.decoded) == 0 {
		return tunnelLayer{}, ""
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeEthernet:
		return etherTunnel(uint16(d.eth.EthernetType), d.eth.Payload)
	case layers.LayerTypeDot1Q:
		return etherTunnel(uint16(d.vlan.Type), d.vlan.Payload)
	case layers.LayerTypeLinuxSLL:
		return etherTunnel(uint16(d.sll.EthernetType), d.sll.Payload)
	case layers.LayerTypeLinuxSLL2:
		return etherTunnel(uint16(d.sll2.ProtocolType), d.sll2.Payload)
	case layers.LayerTypeIPv4:
		ip := &d.ip4
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			return tunnelLayer{}, ""
		}
		return ipPayloadTunnel(false, uint8(ip.Protocol), ip.Payload)
	case layers.LayerTypeIPv6:
		p := d.ip6.NextHeader
		if d.ip6.HopByHop != nil {
			p = d.ip6.HopByHop.NextHeader
		}
		return ipPayloadTunnel(true, uint8(p), d.ip6.Payload)
	case layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination, layers.LayerTypeIPv6HopByHop:
		return ipPayloadTunnel(true, uint8(d.ip6ext.NextHeader), d.ip6ext.Payload)
	}
	return tunnelLayer{}, ""
}

// outer returns the addresses of the IP header decoded last, the outer
// endpoints of a tunnel it carries; none when no IP header was decoded.
func (d *decoder) outer() (src, dst netip.Addr) {
	for i := len(d.decoded) - 1; i >= 0; i-- {
		switch d.decoded[i] {
		case layers.LayerTypeIPv4:
			return netip.AddrFrom4([4]byte(d.ip4.SrcIP.To4())), netip.AddrFrom4([4]byte(d.ip4.DstIP.To4()))
		case layers.LayerTypeIPv6:
			return netip.AddrFrom16([16]byte(d.ip6.SrcIP)), netip.AddrFrom16([16]byte(d.ip6.DstIP))
		}
	}
	return netip.Addr{}, netip.Addr{}
}

// datagramIP decodes what an IP datagram made whole carries, from its
// addresses, protocol and payload: a TCP segment, or one in a tunnel (a
// tunnel packet too long for a link on its way is sent in fragments).
func (d *decoder) datagramIP(src, dst netip.Addr, proto uint8, payload []byte) (segment, string) {
	if proto == ipProtoTCP {
		return d.datagramTCP(src, dst, payload)
	}
	d.tunnels, d.tun, d.gtp = d.tunnels[:0], 0, false
	t, reason := ipPayloadTunnel(src.Is6(), proto, payload)
	if reason != "" {
		return segment{}, reason
	}
	if t.typ == 0 {
		if proto == ipProtoUDP {
			return d.datagramUDP(src, dst, payload)
		}
		return segment{}, "not TCP"
	}
	seg, reason := d.tunnelFrom(t, src, dst, 0)
	if reason == reasonIPv4Fragment || reason == reasonIPv6Fragment {
		reason = reasonTunnelFragment
	}
	seg.tun, seg.tunnels, seg.gtp, seg.teid = d.tun, d.tunnels, d.gtp, d.teid
	return seg, reason
}

// tunnel decodes what an encapsulation carries, the outer endpoints those
// of the IP header decoded last.
func (d *decoder) tunnel(t tunnelLayer, lost int) (segment, string) {
	src, dst := d.outer()
	return d.tunnelFrom(t, src, dst, lost)
}

// tunnelFrom decodes what an encapsulation between src and dst carries,
// following an MPLS label stack label by label, within maxTunnels.
func (d *decoder) tunnelFrom(t tunnelLayer, src, dst netip.Addr, lost int) (segment, string) {
	for {
		if len(d.tunnels) == maxTunnels {
			return segment{}, reasonTooDeep
		}
		d.tun = tunnelHash(d.tun, &t, src, dst)
		if t.typ == stream.TunnelGTPU {
			d.gtp, d.teid = true, t.id
		}
		d.tunnels = append(d.tunnels, stream.Tunnel{Type: t.typ, Src: src, Dst: dst, ID: t.id, HasID: t.hasID})
		switch t.next {
		case innerEthernet:
			return d.decodeFrom(firstEthernet, t.inner, lost)
		case innerIPv4:
			return d.decodeFrom(firstIPv4, t.inner, lost)
		case innerIPv6:
			return d.decodeFrom(firstIPv6, t.inner, lost)
		}
		// The next label of a stack: MPLS has no addresses.
		var reason string
		if t, reason = mpls(t.inner); reason != "" {
			return segment{}, reason
		}
		src, dst = netip.Addr{}, netip.Addr{}
	}
}
