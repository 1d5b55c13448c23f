package reassembly

import (
	"net/netip"
	"slices"
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
// The IDs an endpoint issues later, in NEW_CONNECTION_ID frames, are
// read only decrypted, by the flow's consumer (stream.IDStream), on the
// flow's worker; an active migration uses one (RFC 9000, 9.5). With
// Options.IssuedIDs, a datagram of no known 4-tuple to or from the server
// of an open QUIC flow that no plaintext ID links is looked up among the
// IDs the consumers read (Assembler.claimant): Sharded first waits until
// every worker has taken every packet before it, so that each answers as
// of that packet, as a single Assembler does, and takes the best answer
// (issued). The 4-tuple is then a path of that flow in udpRoutes too.

// udpRoutes are the UDP flows a handshake began, each 4-tuple with the
// flow it belongs to, and the connection IDs of the QUIC ones.
type udpRoutes struct {
	flows map[connKey]*udpRoute
	cids  map[cidKey]*udpRoute
	// lens counts the IDs in cids by length: a short header does not say
	// its Destination Connection ID's length, so only these are tried.
	lens [maxCIDLen + 1]int32
	// servers counts the QUIC flows of each server endpoint and tunnels,
	// whose IDs issued encrypted a datagram near it may carry.
	servers map[serverKey]int32
}

type serverKey struct {
	server netip.AddrPort
	tun    uint64
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
	return udpRoutes{flows: make(map[connKey]*udpRoute), cids: make(map[cidKey]*udpRoute), servers: make(map[serverKey]int32)}
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
				u.servers[serverKey{seg.dst, seg.tun}]++
				u.learn(r, seg)
			}
			u.flows[key] = r
		}
		return nil, true
	}
	return u.link(key, u.owner(seg), ts)
}

// link makes key a path of r's flow, if r has room for one more.
func (u *udpRoutes) link(key connKey, r *udpRoute, ts time.Time) (*connKey, bool) {
	if r == nil || r.paths >= maxPaths || len(u.flows) >= maxDispatchFlows {
		return nil, false
	}
	r.paths++
	if ts.After(r.last) {
		r.last = ts
	}
	u.flows[key] = r
	return &r.key, true
}

// flowOf returns the flow whose first 4-tuple is k, nil when k is none's
// or the path of another.
func (u *udpRoutes) flowOf(k connKey) *udpRoute {
	if r := u.flows[k]; r != nil && r.key == k {
		return r
	}
	return nil
}

// nearServer reports whether a datagram is sent to, or from, the server
// endpoint of an open QUIC flow, in the same tunnels.
func (u *udpRoutes) nearServer(seg segment) bool {
	return u.servers[serverKey{seg.dst, seg.tun}] > 0 || u.servers[serverKey{seg.src, seg.tun}] > 0
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
	var r *udpRoute
	if len(u.cids) > 0 {
		destinationIDs(seg.payload, &u.lens, func(id []byte) bool {
			r = u.lookup(seg, id)
			return r != nil
		})
	}
	return r
}

// destinationIDs calls try with what may be the Destination Connection ID
// of a datagram's first packet, until it reports true: a long header's,
// or the first bytes of a short header, as long as each length lens
// counts IDs of, the longest first.
func destinationIDs(p []byte, lens *[maxCIDLen + 1]int32, try func(id []byte) bool) {
	switch {
	case len(p) == 0:
	case p[0]&0x80 != 0:
		if dcid, _, ok := longHeaderIDs(p); ok {
			try(dcid)
		}
	case p[0]&0x40 != 0:
		for n := min(maxCIDLen, len(p)-1); n >= minCIDLen; n-- {
			if lens[n] > 0 && try(p[1:1+n]) {
				return
			}
		}
	}
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
		if r.server.IsValid() {
			s := serverKey{r.server, r.key.tun}
			if u.servers[s]--; u.servers[s] <= 0 {
				delete(u.servers, s)
			}
		}
		for _, c := range r.cids {
			delete(u.cids, c)
			u.lens[c.n]--
		}
		r.cids = nil
	}
}

// pathCost is what a flow's path, or an ID it issued encrypted, is
// counted for against the memory bound besides the flow: its entry in
// Assembler.flows or Assembler.issued.
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
		p.Path(client, seg.issued, ts)
	}
	return c
}

// issuedID is a connection ID a flow's consumer read decrypted, with the
// number of the packet it came in.
type issuedID struct {
	c     *conn
	index uint64
}

// learnIssued keeps the connection IDs a QUIC flow's consumer read
// decrypted (stream.IDStream), at most maxFlowCIDs of them, each counted
// against the memory bound with its flow. An ID another open flow issued
// too is kept for both (a server never does so, a forged capture might):
// the one issued first links (claimant), whatever the workers.
func (a *Assembler) learnIssued(c *conn) {
	s, ok := c.stream.(stream.IDStream)
	if !ok {
		return
	}
	ids := s.IssuedIDs()
	if !a.opts.IssuedIDs {
		return
	}
	for _, id := range ids {
		k := cidOf(c.info.B, c.key.tun, id.ToServer, id.ID)
		if k.n < minCIDLen || len(c.issued) >= maxFlowCIDs || slices.Contains(c.issued, k) {
			continue
		}
		a.issued[k] = append(a.issued[k], issuedID{c, a.index})
		a.issuedLens[k.n]++
		c.issued = append(c.issued, k)
		a.mem.charge(c, pathCost)
	}
}

// forgetIssued takes a closing flow's IDs out of Assembler.issued.
func (a *Assembler) forgetIssued(c *conn) {
	for _, k := range c.issued {
		es := slices.DeleteFunc(a.issued[k], func(e issuedID) bool { return e.c == c })
		if len(es) == 0 {
			delete(a.issued, k)
		} else {
			a.issued[k] = es
		}
		a.issuedLens[k.n]--
	}
	c.issued = nil
}

// claim is a flow's claim to a datagram by an ID it issued encrypted:
// the longer ID wins, then one that addresses the datagram's receiver
// (the server), then the one issued first, as a single Assembler's
// claimant chooses.
type claim struct {
	c      *conn
	n      int
	toRecv bool
	index  uint64
}

func (x claim) beats(y claim) bool {
	switch {
	case y.c == nil:
		return x.c != nil
	case x.c == nil:
		return false
	case x.n != y.n:
		return x.n > y.n
	case x.toRecv != y.toRecv:
		return x.toRecv
	}
	return x.index < y.index
}

// claimant returns the open flow whose consumer read, decrypted, the
// connection ID a datagram carries as its Destination Connection ID.
func (a *Assembler) claimant(seg segment) claim {
	var best claim
	if len(a.issued) == 0 {
		return best
	}
	destinationIDs(seg.payload, &a.issuedLens, func(id []byte) bool {
		for _, toRecv := range []bool{true, false} {
			server := seg.dst
			if !toRecv {
				server = seg.src
			}
			for _, e := range a.issued[cidOf(server, seg.tun, toRecv, id)] {
				if x := (claim{e.c, len(id), toRecv, e.index}); x.beats(best) {
					best = x
				}
			}
			if best.c != nil {
				return true
			}
		}
		return false
	})
	return best
}

// issued returns the path of an open QUIC flow whose consumer read,
// decrypted, the connection ID of a datagram udpRoutes knew of no flow
// for, as a single Assembler finds it: Sharded asks every worker once
// each has taken every packet before this one.
func (s *Sharded) issued(seg segment, ts time.Time) (*connKey, bool) {
	done := make(chan struct{})
	s.EndBatch(func() { close(done) })
	<-done
	var best claim
	for _, w := range s.workers {
		if x := w.a.claimant(seg); x.beats(best) {
			best = x
		}
	}
	if best.c == nil {
		return nil, false
	}
	return s.routes.link(keyOf(seg.src, seg.dst, seg.tun), s.routes.flowOf(best.c.key), ts)
}
