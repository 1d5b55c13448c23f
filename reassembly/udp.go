package reassembly

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/udpflow"
)

// UDP flows: QUIC and DTLS handshakes (issue 17). A flow is a conn of its
// own table (Assembler.flows: a UDP flow and a TCP connection may share
// addresses and ports), keyed by its addresses and ports, opened by a
// datagram that begins a handshake (udpflow.Classify) and given every
// datagram whole (stream.DatagramStream). Like a TCP connection it counts
// against the memory bound in its bucket (connCost and what its consumer
// holds), goes to the worker of its hash, closes when idle for
// IdleTimeout, when memory runs out and at the end of input, and once its
// consumer is done costs a table lookup per datagram. A QUIC flow's
// client may move to other addresses and ports (migration.go).

// reasonUDPNotHandshake is the skip reason of a datagram of no open flow
// that begins no handshake: DNS, RTP, a QUIC packet of a connection whose
// Initial the capture did not have.
const reasonUDPNotHandshake = "UDP, no QUIC or DTLS handshake"

// udpDatagram returns the UDP datagram a frame that decoded cleanly to
// its IP layer carries, if it does: decoding stops at the IP layer (UDP
// is in no parser), whose payload is read here, after tunnelOf found no
// encapsulation in it.
func (d *decoder) udpDatagram() (segment, bool) {
	if len(d.decoded) == 0 {
		return segment{}, false
	}
	var payload []byte
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeIPv4:
		if d.ip4.Protocol != layers.IPProtocolUDP || d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
			return segment{}, false
		}
		payload = d.ip4.Payload
	case layers.LayerTypeIPv6:
		p := d.ip6.NextHeader
		if d.ip6.HopByHop != nil {
			p = d.ip6.HopByHop.NextHeader
		}
		if p != layers.IPProtocolUDP {
			return segment{}, false
		}
		payload = d.ip6.Payload
	case layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Destination, layers.LayerTypeIPv6HopByHop:
		if d.ip6ext.NextHeader != layers.IPProtocolUDP {
			return segment{}, false
		}
		payload = d.ip6ext.Payload
	default:
		return segment{}, false
	}
	src, dst := d.outer()
	seg, reason := d.datagramUDP(src, dst, payload)
	return seg, reason == ""
}

// datagramUDP decodes the UDP datagram of an IP datagram made whole from
// fragments, from its addresses and payload.
func (d *decoder) datagramUDP(src, dst netip.Addr, payload []byte) (segment, string) {
	if err := d.udp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
		return segment{}, "decode error: UDP"
	}
	return segment{
		src:     netip.AddrPortFrom(src, uint16(d.udp.SrcPort)),
		dst:     netip.AddrPortFrom(dst, uint16(d.udp.DstPort)),
		udp:     true,
		payload: d.udp.Payload,
	}, ""
}

// datagram gives a UDP datagram to its flow, opening one when it begins
// a handshake, or linking its 4-tuple to the flow it is a new path of
// (seg.path, migration.go).
func (a *Assembler) datagram(seg segment, ts time.Time) {
	key := keyOf(seg.src, seg.dst, seg.tun)
	c := a.flows[key]
	if c == nil && seg.path != nil {
		c = a.newPath(key, *seg.path, seg, ts)
	}
	if c == nil {
		tr, ok := udpflow.Classify(seg.payload)
		if !ok {
			a.skipN(reasonUDPNotHandshake, int64(max(seg.frames, 1)))
			return
		}
		c = a.openFlow(seg, tr, ts)
	}
	a.mem.touch(c)
	if ts.After(c.last) {
		c.last = ts
	}
	if c.state != connDone {
		c.dgram.Datagram(c.sideOf(seg.src), seg.payload, ts)
		a.learnIssued(c)
		if c.stream.Done() {
			c.state = connDone
		}
		a.mem.consumer(c)
	}
	a.bound(c)
}

// openFlow makes the flow of a datagram that begins a handshake: its
// sender is A, the client.
func (a *Assembler) openFlow(seg segment, tr stream.Transport, ts time.Time) *conn {
	a.stats.Connections++
	c := &conn{a: a, key: keyOf(seg.src, seg.dst, seg.tun), last: ts, udp: true}
	c.bucket = bucketOf(c.key)
	c.info = stream.ConnInfo{A: seg.src, B: seg.dst, SawSYN: true, Start: ts, Seq: a.index, Transport: tr,
		Tunnels: slices.Clone(seg.tunnels)}
	c.stream = a.factory.New(c.info)
	c.sized, _ = c.stream.(stream.Buffered)
	var ok bool
	if c.dgram, ok = c.stream.(stream.DatagramStream); !ok {
		// A consumer that reads only byte streams: the flow is kept, so
		// that it is closed and counted as any other, and costs a lookup.
		c.state = connDone
	}
	a.flows[c.key] = c
	a.mem.link(c)
	a.stats.MaxOpen = max(a.stats.MaxOpen, a.openCount())
	return c
}

// maxDispatchFlows bounds the 4-tuples of udpRoutes (migration.go), a
// few MB at most outside the memory bound: past it, every datagram goes
// to its worker, which decides from its own flows.
const maxDispatchFlows = 1 << 16
