package rewrite

import (
	"encoding/binary"
	"net/netip"

	"github.com/hsdecode/hsdecode/capture"
)

// ShiftClientPorts returns the packets of a capture with each
// connection's client port moved by delta, as the same test recorded
// again would have them: clients take another ephemeral port each run.
// The client is the side that sent a SYN without ACK; on a connection
// whose SYN was not captured, the side with the higher port. Checksums
// are set to match, or kept wrong where they were (wrongSums). Frames
// other than whole TCP segments are kept as they are.
func ShiftClientPorts(pkts []capture.Packet, delta uint16) []capture.Packet {
	return shiftPorts(pkts, delta, false)
}

// ShiftServerPorts is ShiftClientPorts for the servers' ports: with both,
// two captures are made to carry the same 4-tuple.
func ShiftServerPorts(pkts []capture.Packet, delta uint16) []capture.Packet {
	return shiftPorts(pkts, delta, true)
}

func shiftPorts(pkts []capture.Packet, delta uint16, server bool) []capture.Packet {
	d := newDecoder()
	servers := map[netip.AddrPort]bool{}
	for _, p := range pkts {
		if k, s := d.decode(p.LinkType, p.Data); k == tcp && s.has(flagSYN) && !s.has(flagACK) {
			servers[s.dst] = true
		}
	}
	out := make([]capture.Packet, 0, len(pkts))
	for _, p := range pkts {
		k, s := d.decode(p.LinkType, p.Data)
		if k != tcp {
			out = append(out, p)
			continue
		}
		// The TCP header's source port is at 0, its destination's at 2.
		at := 0
		if servers[s.src] || (!servers[s.dst] && s.dst.Port() > s.src.Port()) {
			at = 2
		}
		if server {
			at = 2 - at
		}
		f := build(p.Data, s, s.payload, s.seq, s.ack, s.flags)
		t := f[s.tcpOff:]
		old := binary.BigEndian.Uint16(t[at:])
		binary.BigEndian.PutUint16(t[at:], old+delta)
		// The checksum updated for the new port (RFC 1624, 3):
		// HC' = ~(~HC + ~m + m').
		sum := uint64(^binary.BigEndian.Uint16(t[16:])) + uint64(^old) + uint64(old+delta)
		for sum>>16 != 0 {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(t[16:], ^uint16(sum))
		p.Data = f
		p.CaptureInfo.CaptureLength, p.CaptureInfo.Length = len(f), len(f)
		out = append(out, p)
	}
	return out
}
