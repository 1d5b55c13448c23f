package reassembly

import (
	"net/netip"
	"time"

	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/udpflow"
)

// QUIC connection migration (RFC 9000, 9; issue 17). A QUIC connection is
// named by its connection IDs, not its 4-tuple: a client behind a NAT that
// gives its flow a new port (rebinding, the common case) keeps sending
// with the same Destination Connection ID from a new address. The IDs
// each side chose are in the clear in the long headers of the handshake
// (the client's first Destination Connection ID, each side's Source
// Connection ID), so a datagram of a new 4-tuple whose Destination
// Connection ID is one of an open QUIC flow's, sent to or from that
// flow's server, is a new path of that flow: it and the later datagrams
// of its 4-tuple, both ways, are given to that flow, its client still
// side A (conn.sideOf).
//
// udpRoutes decides it, once for both the worker and the flow, as
// gtpPairs does: Sharded's dispatcher holds one and sends a new path's
// datagrams to the worker of the flow with the flow's key
// (shardItem.path), and a single Assembler holds its own, fed the same
// datagrams, so that it decides exactly alike. The Assembler then maps the
// new 4-tuple to the flow (Assembler.flows holds it as an alias) if the
// flow is still open.
//
// A connection ID is known only from the clear: those a server issues
// later in NEW_CONNECTION_ID frames (1-RTT) are not, so an active
// migration to such an ID (RFC 9000, 9.5) is not linked, and its datagrams
// are skipped as before.

// udpRoutes are the UDP flows a handshake began, each 4-tuple with the
// flow it belongs to, and the connection IDs of the QUIC ones.
type udpRoutes struct {
	flows map[connKey]*udpRoute
	cids  map[cidKey]*udpRoute
	// lens counts the IDs in cids by length: a short header does not say
	// its Destination Connection ID's length, so only these are tried.
	lens [maxCIDLen + 1]int32
}

// udpRoute is one flow: the 4-tuple of its first datagram, its later
// paths' in udpRoutes.flows too, pointing here.
type udpRoute struct {
	key connKey
	// server is where a QUIC client's first Initial went (its zero value
	// for DTLS, which has no connection IDs in the clear to link by):
	// the endpoint that does not move.
	server netip.AddrPort
	last   time.Time // its latest datagram's capture time, of any path
	paths  int       // its 4-tuples
	cids   []cidKey
}

// cidKey is a connection ID, with the server endpoint and tunnels of its
// flow and whether it addresses the server (chosen by it, or the
// client's first Destination Connection ID) or the client.
type cidKey struct {
	server   netip.AddrPort
	tun      uint64
	toServer bool
	n        uint8
	id       [maxCIDLen]byte
}

const (
	// maxCIDLen is the longest connection ID of QUIC version 1 (RFC
	// 9000, 17.2).
	maxCIDLen = 20
	// minCIDLen is the shortest connection ID that links a path. A
	// shorter one (RFC 9000 allows 0 to 3 bytes) is too easily met by
	// chance: a short header from elsewhere to the same server matches
	// a 1-byte ID once in 256. quic-go chooses 4 bytes by default,
	// browsers and servers 8 or more; a zero-length ID never links.
	minCIDLen = 4
	// maxFlowCIDs bounds the IDs kept of one flow: a client's first
	// Destination Connection ID, one after a Retry, each side's Source
	// Connection ID, with room to spare; forged long headers on its
	// 4-tuple cannot fill the table.
	maxFlowCIDs = 8
	// maxPaths bounds a flow's 4-tuples (quic-go's server validates at
	// most 3 at a time): spoofed source ports with a known ID make no
	// more.
	maxPaths = 16
	// maxDispatchCIDs bounds udpRoutes.cids, with its key about 100
	// bytes each, 6.5 MB at most beside the memory bound, as
	// maxDispatchFlows does the flows.
	maxDispatchCIDs = 1 << 16
)

func newUDPRoutes() udpRoutes {
	return udpRoutes{flows: make(map[connKey]*udpRoute), cids: make(map[cidKey]*udpRoute)}
}

// route reports whether a datagram may belong to a UDP flow: one that
// begins a handshake, one of a flow a handshake began, or one of a new
// path of a QUIC flow, whose key it then returns (nil for any other). A
// datagram it turns away is one the Assembler would skip. Past
// maxDispatchFlows every datagram may belong to one, and the Assembler
// decides from its own flows, as it would without the table.
func (u *udpRoutes) route(seg segment, ts time.Time) (path *connKey, ok bool) {
	key := keyOf(seg.src, seg.dst, seg.tun)
	if r := u.flows[key]; r != nil {
		if ts.After(r.last) {
			r.last = ts
		}
		u.learn(r, seg)
		if key != r.key {
			return &r.key, true
		}
		return nil, true
	}
	full := len(u.flows) >= maxDispatchFlows
	if tr, ok := udpflow.Classify(seg.payload); ok || full {
		if !full {
			r := &udpRoute{key: key, last: ts, paths: 1}
			if tr == stream.TransportQUIC {
				r.server = seg.dst
				u.learn(r, seg)
			}
			u.flows[key] = r
		}
		return nil, true
	}
	r := u.owner(seg)
	if r == nil || r.paths >= maxPaths {
		return nil, false
	}
	r.paths++
	if ts.After(r.last) {
		r.last = ts
	}
	u.flows[key] = r
	return &r.key, true
}

// learn keeps the connection IDs of a QUIC flow's long header: its
// Destination Connection ID addresses the datagram's receiver, its Source
// Connection ID the sender (RFC 9000, 7.2). Coalesced packets share them
// (RFC 9000, 12.2), so the first packet's are read. Short headers, all
// after the handshake, cost a look at their first byte.
func (u *udpRoutes) learn(r *udpRoute, seg segment) {
	if !r.server.IsValid() || len(seg.payload) == 0 || seg.payload[0]&0x80 == 0 {
		return
	}
	dcid, scid, ok := longHeaderIDs(seg.payload)
	if !ok {
		return
	}
	u.add(r, cidOf(r.server, seg.tun, seg.dst == r.server, dcid))
	u.add(r, cidOf(r.server, seg.tun, seg.src == r.server, scid))
}

// add keeps a connection ID of a flow, unless it is too short, the flow
// or the table has enough, or another flow has it.
func (u *udpRoutes) add(r *udpRoute, k cidKey) {
	if k.n < minCIDLen || len(r.cids) >= maxFlowCIDs || len(u.cids) >= maxDispatchCIDs {
		return
	}
	if _, ok := u.cids[k]; ok {
		return
	}
	u.cids[k] = r
	u.lens[k.n]++
	r.cids = append(r.cids, k)
}

// owner returns the flow whose connection ID a datagram of no known
// 4-tuple carries as its first packet's Destination Connection ID,
// addressed to the flow's server or, from it, to its client. A long
// header says the ID's length; a short header's ID is matched against
// the lengths known, longest first. Only the form and fixed bits are
// checked (RFC 9000, 17.3): the rest of a short header is protected.
func (u *udpRoutes) owner(seg segment) *udpRoute {
	p := seg.payload
	if len(u.cids) == 0 || len(p) == 0 {
		return nil
	}
	if p[0]&0x80 != 0 {
		dcid, _, ok := longHeaderIDs(p)
		if !ok {
			return nil
		}
		return u.lookup(seg, dcid)
	}
	if p[0]&0x40 == 0 {
		return nil
	}
	for n := min(maxCIDLen, len(p)-1); n >= minCIDLen; n-- {
		if u.lens[n] == 0 {
			continue
		}
		if r := u.lookup(seg, p[1:1+n]); r != nil {
			return r
		}
	}
	return nil
}

// lookup finds the flow of a connection ID carried from seg.src to
// seg.dst: one addressing a server sent to it, or one addressing a
// client sent by its server.
func (u *udpRoutes) lookup(seg segment, id []byte) *udpRoute {
	if r := u.cids[cidOf(seg.dst, seg.tun, true, id)]; r != nil {
		return r
	}
	return u.cids[cidOf(seg.src, seg.tun, false, id)]
}

func cidOf(server netip.AddrPort, tun uint64, toServer bool, id []byte) cidKey {
	k := cidKey{server: server, tun: tun, toServer: toServer}
	if len(id) <= maxCIDLen {
		k.n = uint8(copy(k.id[:], id))
	}
	return k
}

// longHeaderIDs returns the connection IDs of a long header, read as
// every version has them (RFC 8999, 5.1): a flags byte, a version, then
// each ID after its length.
func longHeaderIDs(b []byte) (dcid, scid []byte, ok bool) {
	if len(b) < 6 {
		return nil, nil, false
	}
	b = b[5:]
	n := int(b[0])
	if len(b) < 1+n+1 {
		return nil, nil, false
	}
	dcid, b = b[1:1+n], b[1+n:]
	m := int(b[0])
	if len(b) < 1+m {
		return nil, nil, false
	}
	return dcid, b[1 : 1+m], true
}

// expire forgets the flows that saw no datagram since cutoff, on any of
// their paths, and their connection IDs.
func (u *udpRoutes) expire(cutoff time.Time) {
	for k, r := range u.flows {
		if !r.last.Before(cutoff) {
			continue
		}
		delete(u.flows, k)
		if k != r.key {
			continue
		}
		for _, c := range r.cids {
			delete(u.cids, c)
			u.lens[c.n]--
		}
		r.cids = nil
	}
}

// pathCost is what a flow's path is counted for against the memory
// bound besides the flow: its entry in Assembler.flows.
const pathCost = 128

// newPath makes the 4-tuple key of a datagram a path of the flow whose key
// udpRoutes gave, and returns that flow: nil when it is not open (closed
// for memory, say), and the datagram then counts as of no flow. The
// client is the endpoint that is not the flow's server; its consumer is
// told (stream.PathStream).
func (a *Assembler) newPath(key, flow connKey, seg segment, ts time.Time) *conn {
	c := a.flows[flow]
	if c == nil || c.key != flow || c.info.Transport != stream.TransportQUIC || c.closing {
		return nil
	}
	a.flows[key] = c
	a.paths++
	c.paths = append(c.paths, key)
	a.mem.charge(c, pathCost)
	client := seg.src
	if seg.src == c.info.B {
		client = seg.dst
	}
	if p, ok := c.stream.(stream.PathStream); ok {
		p.Path(client, ts)
	}
	return c
}
