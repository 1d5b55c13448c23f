package rewrite

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/hsdecode/hsdecode/internal/inet"
)

// ShiftClientPorts moves one port of each connection: each direction
// carries the same bytes with one end's port moved, and every TCP
// checksum that was right is right again.
func TestShiftClientPorts(t *testing.T) {
	for name, pkts := range bundled(t) {
		before := streams(t, pkts)
		res := ShiftClientPorts(pkts, 1000)
		after := streams(t, res)
		if len(after) != len(before) {
			t.Errorf("%s: %d directions, want %d", name, len(after), len(before))
		}
		for k, b := range before {
			src, dst := netip.MustParseAddrPort(k[0]), netip.MustParseAddrPort(k[1])
			movedSrc := [2]string{netip.AddrPortFrom(src.Addr(), src.Port()+1000).String(), k[1]}
			movedDst := [2]string{k[0], netip.AddrPortFrom(dst.Addr(), dst.Port()+1000).String()}
			a, okSrc := after[movedSrc]
			c, okDst := after[movedDst]
			if okSrc == okDst || okSrc && a != b || okDst && c != b {
				t.Errorf("%s: %s -> %s: not the same bytes with one port moved", name, src, dst)
			}
		}
		d := newDecoder()
		for i, p := range res {
			k, s := d.decode(p.LinkType, p.Data)
			if k != tcp {
				continue
			}
			_, wasWrong := wrongSums(pkts[i].Data, s)
			if wasWrong == 0 && !tcpSumRight(p.Data, s) {
				t.Errorf("%s: packet %d: the TCP checksum is wrong after the move", name, i+1)
			}
		}
	}
}

// tcpSumRight checks a segment's TCP checksum over its pseudo-header.
func tcpSumRight(f []byte, s segment) bool {
	ip := f[s.ipOff:]
	var ps uint64
	n := uint64(len(f) - s.tcpOff)
	if s.v6 {
		ps = inet.Sum(ip[8:40], 0)
	} else {
		ps = inet.Sum(ip[12:20], 0)
	}
	ps += n>>16 + n&0xffff + 6
	return inet.Fold(inet.Sum(f[s.tcpOff:], ps)) == 0xffff && binary.BigEndian.Uint16(f[s.tcpOff+16:]) != 0
}
