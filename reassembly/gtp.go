package reassembly

import (
	"math/bits"
	"net/netip"
	"time"
)

// A GTP-U TEID is chosen by the receiving gateway (3GPP TS 29.281, 5.1),
// so the two directions of one connection carry different TEIDs, and
// tunnelHash leaves TEIDs out. But two GTP-U tunnels between the same two
// gateways may carry the same inner 4-tuple (UE address pools overlap):
// gtpPairs tells them apart by pairing the TEIDs of the two directions.
// The first packet of a connection (its SYN, or whatever comes first)
// makes a new identity from its direction and TEID; a packet of the other
// direction with a TEID not seen yet binds to the oldest open connection
// of that 4-tuple and outer endpoints whose other direction is still
// unbound (the SYN-ACK answers the SYN). Only the innermost GTP-U layer's
// TEID counts.
//
// One table decides for both the worker and the connection key: the
// Assembler's for a single Assembler, Sharded's (its dispatcher) for the
// workers, which take the identity it gives (shardItem.tun). Entries are
// forgotten as the connections are, when idle longer than IdleTimeout; at
// most gtpPairsMax connections are paired at once, and past that a new
// one keeps the identity of its outer endpoints alone, as before pairing.
type gtpPairs struct {
	m map[connKey][]gtpPair
	n int
}

// gtpPair is one connection's TEIDs, by direction: 0 from connKey.lo.
type gtpPair struct {
	teid  [2]uint32
	bound [2]bool
	id    uint64
	last  time.Time
}

// gtpPairsMax bounds the connections paired at once: with its map key,
// about 150 bytes each, 10 MB at most, beside --max-buffer rather than
// in it, as the table is the dispatcher's and not a worker bucket's.
const gtpPairsMax = 1 << 16

// tun returns the identity of the tunnels of a packet from src to dst
// whose innermost GTP-U layer has the given TEID, base being their
// identity without TEIDs (tunnelHash).
func (p *gtpPairs) tun(base uint64, src, dst netip.AddrPort, teid uint32, now time.Time) uint64 {
	k := keyOf(src, dst, base)
	d := 0
	if k.lo != src {
		d = 1
	}
	ps := p.m[k]
	for i := range ps {
		if e := &ps[i]; e.bound[d] && e.teid[d] == teid {
			e.seen(now)
			return e.id
		}
	}
	for i := range ps {
		if e := &ps[i]; !e.bound[d] {
			e.teid[d], e.bound[d] = teid, true
			e.seen(now)
			return e.id
		}
	}
	if p.n >= gtpPairsMax {
		return base
	}
	if p.m == nil {
		p.m = make(map[connKey][]gtpPair)
	}
	e := gtpPair{id: bits.RotateLeft64((base^(uint64(d)<<32|uint64(teid)))*0x9e3779b97f4a7c15, 31) | 1, last: now}
	e.teid[d], e.bound[d] = teid, true
	p.m[k] = append(ps, e)
	p.n++
	return e.id
}

// seen keeps the latest capture time of a connection's packets, which
// a frame stamped out of order does not move back.
func (e *gtpPair) seen(now time.Time) {
	if now.After(e.last) {
		e.last = now
	}
}

// expire forgets the connections that saw no packet since cutoff.
func (p *gtpPairs) expire(cutoff time.Time) {
	for k, ps := range p.m {
		kept := ps[:0]
		for _, e := range ps {
			if e.last.Before(cutoff) {
				p.n--
			} else {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			delete(p.m, k)
		} else {
			p.m[k] = kept
		}
	}
}
