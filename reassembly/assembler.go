package reassembly

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// Options bounds an Assembler. The zero value is usable.
type Options struct {
	// MaxBufferedBytes bounds the memory the Assembler holds for what it
	// has not delivered yet, DefaultMaxBufferedBytes when zero: bytes
	// waiting behind a hole (counted by the page gopacket copies them
	// into), IPv4 and IPv6 fragments waiting for the rest of their datagram, the
	// first segments of directions settling (settle.go), the copies kept
	// to follow overlaps (overlap.go), and the state of each open
	// connection (connCost) with what its consumer holds (Buffered).
	// Beyond it, a
	// connection that receives an out-of-order segment stops waiting for
	// its oldest hole (the bytes after it are delivered after a Gap), and
	// the connections that have been quiet longest are closed with
	// EndMemory.
	MaxBufferedBytes int64
	// IdleTimeout closes a connection with EndIdle once it has seen no
	// packet for this long, in capture time (packet timestamps, or the
	// time given to Expire; see doc.go for one stamped far ahead); zero
	// never does. A hole older than this is given up, as at Flush.
	// Connections are checked every quarter of IdleTimeout of capture
	// time.
	IdleTimeout time.Duration
	// ChecksumMode says which checksums are verified, ChecksumAuto when
	// zero.
	ChecksumMode ChecksumMode
	// IssuedIDs links a QUIC client's new path by the connection IDs
	// the flows' consumers read decrypted (stream.IDStream), as they do
	// with keys (migration.go). A datagram of no known flow near a QUIC
	// server then makes Sharded wait for its workers.
	IssuedIDs bool
}

// DefaultMaxBufferedBytes is Options.MaxBufferedBytes when left zero.
const DefaultMaxBufferedBytes = 512 << 20

// DefaultIdleTimeout is the IdleTimeout cmd/hsdecode uses unless told
// otherwise: Zeek's tcp_inactivity_timeout. Offline it only changes how a
// connection still open after that long of silence is reported ("idle"
// rather than at the end of the capture), and it keeps a long capture's
// half-open connections from filling the memory bound.
const DefaultIdleTimeout = 5 * time.Minute

const (
	// pageCost is what one buffered page costs: gopacket copies
	// out-of-order bytes into pages of 1900 bytes plus links and metadata
	// (gopacket reassembly/tcpassembly.go:199, page).
	pageCost = 2048
	// maxPagesPerDirection bounds the bytes one direction waits with behind
	// a hole: about 2 MiB, many times a TLS handshake flight, so that a
	// hole that a retransmission will fill is not given up early, while
	// one that never fills cannot hold the whole budget.
	maxPagesPerDirection = 1024
)

// Stats counts what an Assembler saw.
type Stats struct {
	Packets, Bytes int64 // every packet given to Packet, and its captured bytes
	// Skipped counts packets by the reason they were not used: "not IP",
	// "not TCP", "truncated" (the capture cut the IP or TCP header),
	// "unsupported link type N", "decode error: <layer>" (a tunnel's
	// header too: "decode error: vxlan"), reasonTooDeep and
	// reasonTunnelFragment (tunnel.go),
	// IPv4 and IPv6 fragments of a datagram that was never made whole
	// (reasonFragment*, reasonFragment6*), "no open connection" for a segment with neither
	// SYN nor payload on a 4-tuple with no open connection, typically the
	// last ACK of a close, "after close" for one with payload or SYN-ACK
	// on the 4-tuple of a connection that closed by FIN or RST less than
	// a minute before, near its sequence numbers (a retransmission, or a
	// segment that was in flight, rather than a new connection), and
	// "after idle or memory close" for one that continues, within
	// staleLinger, a connection closed for being idle or to bound memory.
	Skipped     map[string]int64
	Connections int64 // consumers created
	// Open is the connections open now, MaxOpen the most open at once.
	Open, MaxOpen int64
	// Closed counts the connections closed, by the reason given to Close.
	Closed map[stream.EndReason]int64
	// Buffered is what Options.MaxBufferedBytes bounds, now; MaxBuffered
	// its peak, as it stood after each packet.
	Buffered, MaxBuffered int64
	// Gaps counts the holes reported with Gap, GapBytes the bytes they
	// missed where known.
	Gaps, GapBytes int64
	// Cut counts the segments whose payload the capture cut short (the
	// snap length): they are used, and the bytes missing reported with Gap.
	Cut int64
	// Unseen counts the bytes a side acknowledged that the capture never
	// had, reported with Gap when the side sent more, or when the
	// connection closed.
	Unseen int64
	// Defragmented counts the IPv4 and IPv6 datagrams made whole from
	// fragments (an IPv6 atomic fragment, whole already, is not one).
	Defragmented int64
}

// connKey is a 4-tuple in a canonical order, the same for both
// directions, and the identity of the tunnels it came in (tunnelHash; 0
// for none): the same 4-tuple in two tunnels is two connections.
type connKey struct {
	lo, hi netip.AddrPort
	tun    uint64
}

func keyOf(src, dst netip.AddrPort, tun uint64) connKey {
	if dst.Compare(src) < 0 {
		return connKey{dst, src, tun}
	}
	return connKey{src, dst, tun}
}

// Assembler turns captured frames into the in-order byte streams of each
// TCP connection and feeds them to the Streams its Factory makes. It is not
// safe for concurrent use.
type Assembler struct {
	factory stream.Factory
	opts    Options
	dec     *decoder
	gp      adapter
	conns   connTable
	flows   map[connKey]*conn // UDP flows (udp.go)
	stats   Stats
	index   uint64        // the number of the packet being handled, ConnInfo.Seq of a connection it begins
	now     time.Time     // capture time (clock.go)
	sweeps  sweeps        // when idle connections are next looked for
	step    time.Duration // maxStep
	ahead   heldFrame     // a frame stamped too far ahead, until the next packet

	// fill and fillBuf are the segment that stands for bytes a peer
	// acknowledged but the capture never had (see unseen).
	fill    layers.TCP
	fillBuf [20]byte
	// replay and replayBuf are a segment held while its direction
	// settled, given to gopacket (settle.go).
	replay    layers.TCP
	replayBuf [20]byte

	// resets are the connections waiting out a RST, in the order of their
	// RSTs, to be closed resetWait after it (see conn.awaited).
	resets []resetEntry
	// settling are the directions holding their first segments, in the
	// order they began to, to be started settleTime after (settle.go).
	settling []settleEntry
	// closed remembers the connections that closed lately.
	closed closedTable

	frag *defrag
	mem  memory
	// checks decides which frames have their checksums verified (for a
	// worker of Sharded, Sharded does); verifying is its answer for the
	// frame at hand.
	checks    checksums
	verifying bool
	// ovBuf is a segment's payload as the receiver keeps it (overlap.go).
	ovBuf []byte
	// recentBufs are the buffers of delivered bytes not in use (overlap.go).
	recentBufs recentPool
	closes     [stream.EndReused + 1]int64 // Stats.Closed
	// gtp pairs the TEIDs of GTP-U connections, for the identity of
	// their tunnels; a Sharded worker's is unused (gtp.go).
	gtp gtpPairs
	// routes decides which flow a UDP datagram may belong to, a new path
	// of a QUIC flow among them; a Sharded worker's is unused
	// (migration.go). paths counts the 4-tuples in flows that are paths
	// of another's flow.
	routes udpRoutes
	paths  int
	// issued holds the connection IDs the flows' consumers read
	// decrypted, with Options.IssuedIDs; issuedLens counts them by length.
	issued     map[cidKey][]issuedID
	issuedLens [maxCIDLen + 1]int32
	// spare are TCP connections finished, for open to reuse (newConn),
	// at most spareMax (maxSpare; 0 in tests that compare without).
	spare    []*conn
	spareMax int
	// viaGopacket gives gopacket every segment from a connection's
	// first: the reference direct.go is tested against.
	viaGopacket bool
}

// NewAssembler returns an Assembler that makes a Stream with f for every
// TCP connection it sees.
func NewAssembler(f stream.Factory, o Options) *Assembler {
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	a := &Assembler{
		factory:  f,
		opts:     o,
		dec:      newDecoder(),
		flows:    make(map[connKey]*conn),
		stats:    Stats{Skipped: make(map[string]int64)},
		frag:     newDefrag(o.MaxBufferedBytes),
		step:     maxStep(o.IdleTimeout),
		checks:   checksums{mode: o.ChecksumMode},
		sweeps:   newSweeps(o.IdleTimeout),
		routes:   newUDPRoutes(),
		issued:   make(map[cidKey][]issuedID),
		spareMax: maxSpare,
	}
	a.mem.share = max(o.MaxBufferedBytes/buckets, 1)
	a.gp.Assembler = gpr.NewAssembler(gpr.NewStreamPool(gpFactory{a}))
	// gopacket enforces both limits when it would queue a segment: over
	// either, it delivers the queue from its oldest hole with the bytes
	// skipped reported (reassembly/tcpassembly.go:1040). Its total counts
	// every connection of this Assembler, so it must never be what gives
	// a hole up (that would depend on the other connections, and on how
	// many workers share them): it is above all the buckets' shares
	// together, a stop for a count of pages that went wrong. The limit per
	// direction depends on the connection alone.
	pages := max(1, a.mem.share/pageCost)
	a.gp.MaxBufferedPagesTotal = int(o.MaxBufferedBytes/pageCost) + 2*maxPagesPerDirection
	a.gp.MaxBufferedPagesPerConnection = int(min(pages, maxPagesPerDirection))
	return a
}

// Stats returns the counts so far.
func (a *Assembler) Stats() Stats {
	s := a.stats
	s.Skipped = maps.Clone(a.stats.Skipped)
	s.Closed = make(map[stream.EndReason]int64)
	for r, n := range a.closes {
		if n > 0 {
			s.Closed[stream.EndReason(r)] = n
		}
	}
	s.Open = a.openCount()
	s.Buffered = a.held()
	return s
}

// add adds the counts of o, another Assembler's, to s, whose maps are its
// own: Sharded's Stats are its workers' added up.
func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	for k, v := range o.Skipped {
		s.Skipped[k] += v
	}
	s.Connections += o.Connections
	s.Open += o.Open
	s.MaxOpen += o.MaxOpen
	for k, v := range o.Closed {
		s.Closed[k] += v
	}
	s.Buffered += o.Buffered
	s.MaxBuffered += o.MaxBuffered
	s.Gaps += o.Gaps
	s.GapBytes += o.GapBytes
	s.Cut += o.Cut
	s.Unseen += o.Unseen
	s.Defragmented += o.Defragmented
}

func (a *Assembler) skip(reason string) { a.stats.Skipped[reason]++ }

func (a *Assembler) skipN(reason string, n int64) { a.stats.Skipped[reason] += n }

// Packet takes one captured frame of the given link type; data is only
// used during the call. A frame stamped far ahead of the others is
// handled at the next call (clock.go), so a connection it begins may get
// its Stream then, with the Seq of the latest packet given.
func (a *Assembler) Packet(link layers.LinkType, data []byte, ci gopacket.CaptureInfo) {
	a.stats.Packets++
	a.stats.Bytes += int64(len(data))
	index := uint64(a.stats.Packets)
	if a.ahead.held {
		a.release(ci.Timestamp)
	}
	if leaps(a.now, ci.Timestamp, a.step) {
		a.ahead.keep(link, data, ci, index)
		return
	}
	a.packet(link, data, ci, index, ci.Timestamp)
}

// release handles the held frame, at the capture time next confirms.
func (a *Assembler) release(next time.Time) {
	h := &a.ahead
	h.held = false
	a.packet(h.link, h.data, h.ci, h.index, h.confirmed(a.now, next))
}

// packet handles a frame, capture time being now at it.
func (a *Assembler) packet(link layers.LinkType, data []byte, ci gopacket.CaptureInfo, index uint64, now time.Time) {
	a.index = index
	ts := ci.Timestamp
	a.advanceTo(now)
	defer a.mem.peak(a)
	a.verifying = a.checks.verify(link, data)
	q := quickTCP(link, data)
	if q.gtp {
		q.tun = a.gtp.tun(q.tun, q.src, q.dst, q.teid, ts)
	}
	q.hash = hashOf(q.key())
	done, l := a.decided(q, ts)
	if done {
		return
	}
	if seg, ok := a.dec.quickSegment(q, data); ok {
		seg.frames = 1 // as frameSegment counts it
		a.handle(seg, ts, l)
		return
	}
	seg, _, ok := a.dec.frameSegment(a.frag, link, data, ci.Length-len(data), a.now, a.skipN, &a.stats.Defragmented)
	if !ok {
		return
	}
	if seg.gtp {
		seg.tun = a.gtp.tun(seg.tun, seg.src, seg.dst, seg.teid, ts)
	}
	if seg.udp {
		var ok bool
		if seg.path, ok = a.routes.route(seg, ts); !ok && a.opts.IssuedIDs && a.routes.nearServer(seg) {
			if x := a.claimant(seg); x.c != nil {
				seg.path, ok = a.routes.link(keyOf(seg.src, seg.dst, seg.tun), a.routes.flowOf(x.c.key), ts)
				seg.issued = ok
			}
		}
		if !ok {
			a.skipN(reasonUDPNotHandshake, int64(max(seg.frames, 1)))
			return
		}
	}
	a.handle(seg, ts, lookup{})
}

// openCount counts the connections and flows open, a flow once whatever
// its paths.
func (a *Assembler) openCount() int64 { return int64(a.conns.n + len(a.flows) - a.paths) }

// decided handles a segment of a connection whose consumer is done, one
// that cannot close it, from a look at its headers (quickTCP): most
// packets of a big capture are such, and decoding them fully cost more
// than all else done with them. It does what handle and segment would,
// and reports false for any other packet, which is then decoded. q is
// quickTCP's look at the frame.
// When it reports false, it also returns what it found of the
// connection, for handle.
func (a *Assembler) decided(q quickLook, ts time.Time) (bool, lookup) {
	// A SYN may begin a new connection on the 4-tuple (conn.reusedBy).
	if !q.ok || q.flags&(tcpFlagFIN|tcpFlagSYN|tcpFlagRST) != 0 {
		return false, lookup{}
	}
	key := q.key()
	c := a.conns.get(key, q.hash)
	if c == nil || c.state != connDone {
		return false, lookup{key, c, true}
	}
	a.mem.touch(c)
	if ts.After(c.last) {
		c.last = ts
	}
	a.bound(c)
	return true, lookup{}
}

// lookup is a connection looked up by key: c, nil for none; the zero
// lookup is none made. decided passes its own to handle, which would
// make the same: a map lookup a packet.
type lookup struct {
	key connKey
	c   *conn
	ok  bool
}

// handle gives a decoded segment to its connection, opening one when it
// may begin one; l is decided's lookup of it, if made.
func (a *Assembler) handle(seg segment, ts time.Time, l lookup) {
	if seg.udp {
		a.datagram(seg, ts)
		return
	}
	tcp := seg.tcp
	key := keyOf(seg.src, seg.dst, seg.tun)
	c := l.c
	if !l.ok || l.key != key {
		c = a.conns.lookup(key)
	}
	var sums sumState
	if a.verifying {
		var bad bool
		if bad, sums = a.badChecksum(c, seg); bad {
			a.skip(reasonBadChecksum)
			return
		}
	}
	if seg.cut > 0 {
		// The bytes cut count as payload, zeros in their place: see
		// assemble.
		a.stats.Cut++
		n := len(tcp.Payload)
		tcp.Payload = append(tcp.Payload[:n:n], zeros[:seg.cut]...)
	}
	if c != nil && c.reusedBy(seg) {
		a.settleBoth(c)
		c.close(stream.EndReused)
		a.finish(c)
		c = nil
	}
	if c != nil && a.segment(c, seg, ts) {
		c.firstSum(seg, sums)
		a.mem.consumer(c)
		a.bound(c)
		return
	}
	// Without this, the ACK that ends every close, or a stray RST, would
	// open a connection of its own.
	if !tcp.SYN && len(tcp.Payload) == 0 {
		a.skip("no open connection")
		return
	}
	if r := a.closed.straggler(key, seg, a.now); r != "" {
		a.skip(r)
		return
	}
	c = a.open(seg, ts)
	a.segment(c, seg, ts)
	c.firstSum(seg, sums)
	a.mem.consumer(c)
	a.bound(c)
}

// Expire advances capture time to now as a packet with that timestamp
// would, without one: connections idle longer than IdleTimeout close, and
// the wait after a RST ends once resetWait has passed. A live capture
// calls it on a wall-clock ticker, so that a quiet interface still closes
// connections; a time before the latest seen changes nothing. A frame
// held for its leap ahead (clock.go) is handled first, believed up to now.
func (a *Assembler) Expire(now time.Time) {
	if a.ahead.held {
		a.release(now)
	}
	a.advanceTo(now)
}

// advanceTo is Expire without a held frame.
func (a *Assembler) advanceTo(now time.Time) {
	if now.After(a.now) {
		a.now = now
	}
	if a.sweeps.due(a.now) {
		a.expire()
	}
	if len(a.resets) > 0 && a.now.After(a.resets[0].deadline) {
		a.endResets()
	}
	if len(a.settling) > 0 && a.now.After(a.settling[0].deadline) {
		a.endSettles()
	}
}

// take gives a connection in connOpen or connResetWait a segment, to
// deliver its bytes, and moves the connection on as they make it close,
// done, or wait out a RST.
func (a *Assembler) take(c *conn, side stream.Side, seg segment, ts time.Time) {
	tcp := seg.tcp
	// The peer's first bytes, held, came first.
	a.settle(c, 1-side)
	c.track(side, tcp)
	if tcp.FIN && !c.dir[side].fin {
		c.dir[side].fin, c.dir[side].finTS = true, ts
	}
	if len(tcp.Payload) > 0 && tcp.ACK && !tcp.RST {
		a.unseen(c, 1-side, tcp.Ack, ts)
	}
	a.assemble(c, side, seg, ts)
	switch {
	case c.closing:
		a.finish(c)
	case c.stream.Done():
		a.stop(c)
	case c.state == connResetWait && !c.queued:
		c.queued = true
		// From capture time, not the RST's own timestamp, which may lie
		// far behind it (clock.go).
		a.resets = append(a.resets, resetEntry{c.key, c.info.Seq, a.now.Add(resetWait)})
	}
}

// assemble hands gopacket a segment of a connection whose consumer wants
// its bytes.
//
// A direction is started in gopacket only with its first segment that
// brings something to put in order, payload, FIN or RST: gopacket never
// moves a direction once started, so it must not be started by a stray
// bare ACK (a challenge ACK from an earlier incarnation of the 4-tuple
// often comes before the SYN-ACK), nor at the ISN of a SYN-ACK that turns
// out to be the wrong one of two (see conn.syn). It starts at the ISN of
// the direction's SYN when one was seen, at what its peer's first
// acknowledgement proves (begin), else at the lowest of its first
// segments, held while it settles (settle.go): the capture began
// mid-connection.
//
// A segment whose payload the capture cut short comes with the missing
// bytes as zeros (Packet), and their place is noted (direction.cuts): when
// the bytes before them have been delivered, they are reported with Gap
// rather than delivered, where they belong in the stream and at once,
// even at the end of a direction.
func (a *Assembler) assemble(c *conn, side stream.Side, seg segment, ts time.Time) {
	d := &c.dir[side]
	tcp := seg.tcp
	if tcp.ACK {
		d.ack, d.acked = tcp.Ack, true
		if !d.firstAcked || tcp.SYN {
			d.firstAck, d.firstAcked = tcp.Ack, true
		}
	}
	if seg.cut > 0 {
		d.cuts = addCut(d.cuts, tcp.Seq+uint32(len(tcp.Payload)-seg.cut), seg.cut)
	}
	first := d.state != dirStarted
	if first && !a.starts(c, side, seg, ts) {
		return
	}
	a.feed(c, side, tcp, ts, first, seg.cut > 0)
}

// starts takes a segment of a side not started, and reports whether it
// starts the side, to be fed as its first; if not, it started nothing
// (a bare ACK or SYN), was held while the side settles, or was fed with
// what was held.
func (a *Assembler) starts(c *conn, side stream.Side, seg segment, ts time.Time) bool {
	d := &c.dir[side]
	tcp := seg.tcp
	if tcp.SYN {
		c.syn(side, tcp.Seq)
	}
	if len(tcp.Payload) == 0 && !tcp.FIN && !tcp.RST {
		return false
	}
	// A direction whose start is unknown settles first (settle.go).
	ends := tcp.SYN || tcp.FIN || tcp.RST || !c.settles(side, tcp.Seq)
	if d.state != dirSettling && ends {
		d.state = dirStarted
		if !d.hasISN {
			a.begin(c, side, tcp.Seq, ts)
		}
		return true
	}
	switch {
	case len(tcp.Payload) > 0 && !tcp.SYN:
		if !a.hold(c, side, tcp, seg.cut > 0, ts) || ends {
			a.settle(c, side)
		}
	case tcp.SYN:
		// A SYN late, with data: it starts the direction at its ISN,
		// and what was held follows.
		d.state = dirStarted
		a.feed(c, side, tcp, ts, true, seg.cut > 0)
		a.settle(c, side)
	default:
		// A bare FIN or RST comes after what was held.
		a.settle(c, side)
		a.feed(c, side, tcp, ts, false, seg.cut > 0)
	}
	return false
}

// begin decides where a direction whose SYN was not captured begins, as
// its first segment (at seq; the lowest held, when it settled) starts
// it. Its peer's first acknowledgement says where: the SYN-ACK's
// acknowledges the client's ISN+1, and the first ACK of a client, or the
// ACK its ClientHello carries, the server's. A
// direction begins there, as if its SYN had been seen, when its first
// segment lies at or a little after it: bytes missing in between are then
// waited for, and reported with Gap when given up, like any hole. Without
// that proof, in a connection whose SYN was captured, the first bytes seen
// are not where the direction began (its SYN-ACK and first segments were
// lost): a Gap of unknown size comes before them, so that the consumer does
// not read them as its start. A capture that began mid-connection proves
// nothing either way, and the consumer reads its first bytes as such.
func (a *Assembler) begin(c *conn, side stream.Side, seq uint32, ts time.Time) {
	d, p := &c.dir[side], &c.dir[1-side]
	if p.firstAcked {
		if off := int64(int32(seq - p.firstAck)); off >= 0 && off <= maxUnseen {
			d.isn, d.hasISN = p.firstAck-1, true
			return
		}
	}
	if c.info.SawSYN || p.firstAcked {
		c.gap(side, -1, ts)
	}
}

// maxUnseen bounds the bytes unseen reports at once: beyond it, an
// acknowledgement is more likely wrong (a challenge ACK, a stray packet)
// than a loss that large, and the hole is given up later as any other.
const maxUnseen = 4 << 20

// zeros stand in for the bytes a capture did not have (unseen, and the
// payload a snap length cut); they are never delivered.
var zeros [maxUnseen]byte

// unseen reports, as a Gap of side y, the bytes its peer acknowledges
// (ack) but the capture never had, before a segment of the peer with
// payload is delivered. The peer received them, so they will not come
// again: the capture lost them (Zeek's content gap, tshark's "ACKed unseen
// segment"). Without this, the peer's next messages would be judged
// against a side whose last messages went missing, a false violation ("the
// client sent ClientKeyExchange before the server's ServerHelloDone"),
// and the hole would be found only at Flush, if bytes followed it.
//
// The missing bytes are given to gopacket as a segment of zeros marked
// as cut (see assemble), which delivers what waited behind the hole.
func (a *Assembler) unseen(c *conn, y stream.Side, ack uint32, ts time.Time) {
	next, n := c.unseenFrom(y, ack)
	if n <= 0 {
		return
	}
	// Bytes of y seen beyond next may wait in gopacket, which the zeros
	// must not replace: they stop at the lowest of those, when it is
	// known.
	if c.dir[y].maxOK && int32(c.dir[y].maxEnd-next) > 0 {
		low, ok := c.low(y)
		if !ok {
			return
		}
		n = min(n, int(int32(uint32(low)-next)))
		if n <= 0 {
			return
		}
	}
	// The peer's first bytes, held, came before this Gap.
	a.settle(c, 1-y)
	synthesizeInto(&a.fill, a.fillBuf[:], c, y, next, 0)
	a.fill.Payload = zeros[:n]
	a.stats.Unseen += int64(n)
	a.assemble(c, y, segment{tcp: &a.fill, cut: n}, ts)
}

// unseenFrom returns where the next byte of side y to deliver lies, and
// how many bytes from there ack acknowledges: none (n <= 0) when nothing
// is known of where y stands, when y ended, or when the count is beyond
// belief (maxUnseen).
func (c *conn) unseenFrom(y stream.Side, ack uint32) (next uint32, n int) {
	d := &c.dir[y]
	p := &c.dir[1-y]
	switch {
	case d.ended != 0:
		return 0, 0
	case d.state == dirStarted:
		next = uint32(d.pos)
	case d.hasISN:
		next = d.isn + 1
	case p.firstAcked:
		next = p.firstAck // where begin will start y
	default:
		return 0, 0 // nothing known of where y stands
	}
	n = int(int32(ack - next))
	if d.fin {
		n-- // the FIN's sequence number
	}
	if n > maxUnseen {
		n = 0
	}
	return next, n
}

// unseenAtEnd reports, as a Gap of side y of a closing connection, the
// bytes its peer acknowledged last that were never delivered: with
// nothing of y after them, unseen never reported them, and a handshake
// whose last flight the capture lost would look merely incomplete (issue
// 11: bytes the capture does not have are a gap). Bytes of y that waited
// in gopacket behind a hole, dropped with the connection, lie within
// that gap, but only those before them count as unseen.
func (a *Assembler) unseenAtEnd(c *conn, y stream.Side) {
	if !c.dir[1-y].acked {
		return
	}
	next, n := c.unseenFrom(y, c.dir[1-y].ack)
	if n <= 0 {
		return
	}
	never := n
	if low, ok := c.low(y); ok {
		never = max(0, min(n, int(int32(uint32(low)-next))))
	}
	a.stats.Unseen += int64(never)
	c.gap(y, n, c.last)
}

// open makes the connection of a segment on a new 4-tuple: its sender is
// A, known to be the client when the segment is a SYN without ACK.
func (a *Assembler) open(seg segment, ts time.Time) *conn {
	a.stats.Connections++
	c := a.newConn()
	*c = conn{a: a, key: keyOf(seg.src, seg.dst, seg.tun), last: ts, gpUsed: a.viaGopacket}
	c.hash = hashOf(c.key)
	c.bucket = bucketOfHash(c.hash)
	c.info = stream.ConnInfo{A: seg.src, B: seg.dst, SawSYN: seg.tcp.SYN && !seg.tcp.ACK, Start: ts, Seq: a.index,
		Tunnels: slices.Clone(seg.tunnels)}
	// gopacket keys its connections by network flow and ports. The table
	// already tells connections apart, so the flow only has to name this
	// one: typed by Seq it does, without copying addresses, and a new
	// connection on a reused 4-tuple can never meet gopacket state left by
	// an earlier one. Its endpoints are one byte naming the side, so the
	// two directions differ even when both ends share address and port.
	c.flow[stream.SideA] = gopacket.NewFlow(gopacket.EndpointType(a.index), []byte{byte(stream.SideA)}, []byte{byte(stream.SideB)})
	c.flow[stream.SideB] = c.flow[stream.SideA].Reverse()
	c.stream = a.factory.New(c.info)
	c.sized, _ = c.stream.(stream.Buffered)
	a.conns.put(c, c.hash)
	a.mem.link(c)
	a.stats.MaxOpen = max(a.stats.MaxOpen, a.openCount())
	return c
}

// expire closes connections idle for longer than IdleTimeout and gives up
// holes as old.
func (a *Assembler) expire() {
	cutoff := a.now.Add(-a.opts.IdleTimeout)
	a.gtp.expire(cutoff)
	for _, e := range a.settling {
		if c := a.conns.lookup(e.key); c != nil && c.last.Before(cutoff) {
			a.settleQueued(e)
		}
	}
	a.gp.mode = gpExpiring
	a.gp.FlushWithOptions(gpr.FlushOptions{T: cutoff, TC: cutoff})
	a.gp.mode = gpAssembling
	var ending []*conn
	for c := range a.conns.all {
		// gopacket's flush closes the connections it holds; done ones,
		// and those it was never given a segment of, are closed here.
		if (c.state == connDone || !c.inGP) && !c.closing && c.quietSince().Before(cutoff) {
			c.close(stream.EndIdle)
		}
		if c.closing {
			ending = append(ending, c)
		}
	}
	a.routes.expire(cutoff)
	for k, c := range a.flows {
		if k == c.key && c.last.Before(cutoff) {
			c.close(stream.EndIdle)
			ending = append(ending, c)
		}
	}
	a.finishAll(ending)
}

// Flush ends the input: every connection gets what gopacket still holds,
// with a Gap before bytes that follow a hole, then its Close, EndCapture
// unless it ended otherwise, in the order the connections began.
func (a *Assembler) Flush() {
	if h := &a.ahead; h.held {
		h.held = false
		a.packet(h.link, h.data, h.ci, h.index, h.unconfirmed(a.now))
	}
	a.frag.flush(a.skipN)
	a.settleAll()
	a.gp.FlushAll()
	ending := make([]*conn, 0, a.conns.n+len(a.flows))
	for c := range a.conns.all {
		if !c.closing {
			c.close(stream.EndCapture)
		}
		ending = append(ending, c)
	}
	for k, c := range a.flows {
		if k != c.key {
			continue // a path of a flow (migration.go)
		}
		c.close(stream.EndCapture)
		ending = append(ending, c)
	}
	a.finishAll(ending)
}
