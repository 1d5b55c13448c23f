package reassembly

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// conn is one TCP connection: the consumer's Stream, the gopacket Stream
// that feeds it (its callbacks are in gopacket.go), and where it stands in
// its lifecycle: its state, and each side's (direction).
type conn struct {
	a      *Assembler
	key    connKey
	info   stream.ConnInfo
	stream stream.Stream
	last   time.Time // timestamp of its latest packet

	flow    [2]gopacket.Flow // gopacket network flow of each side's packets
	gpFirst stream.Side      // the side gopacket calls TCPDirClientToServer
	inGP    bool             // gopacket holds state for it
	// gpUsed: gopacket is given its segments; until then they are
	// served directly, and fedAt is the latest timestamp of those
	// (direct.go).
	gpUsed bool
	fedAt  time.Time

	dir [2]direction // per side

	newer, older *conn           // neighbours in its bucket's order of activity
	sized        stream.Buffered // stream, when it says what it holds
	consumerHeld int64           // what it holds, as last counted
	bucket       uint8           // its share of the memory bound (memory.go)
	hash         uint64          // hashOf(key), for connTable (TCP only)
	cost         int64           // what it is counted for against the bound
	gone         bool            // out of the account: charges no longer count

	state   connState
	resetBy stream.Side // the side whose RST began connResetWait
	queued  bool        // in Assembler.resets: take queues it once a segment leaves it in connResetWait
	// closing: Close is due, with reason; finish gives it. It overlays
	// the state rather than replacing it, as the state it closed in
	// decides how: one reset closes with EndRST whatever ended its wait
	// (close), one done reports no unseen bytes at the end (finish).
	closing bool
	reason  stream.EndReason

	// udp: a UDP flow (udp.go), in Assembler.flows, whose consumer takes
	// datagrams (dgram); none of the TCP state above is used. paths are
	// the keys of its 4-tuples besides key, its client having moved
	// (migration.go).
	udp   bool
	dgram stream.DatagramStream
	paths []connKey
	// issued are the keys of the connection IDs its consumer read
	// decrypted, in Assembler.issued (migration.go).
	issued []cidKey
}

// direction is what a connection keeps of one side: the segments it
// sends and the acknowledgements it gives its peer.
type direction struct {
	state dirState
	// The ISN of its SYN, the last acknowledgement it sent, and where its
	// sequence numbers stood last, for closedTable (track; once done, at
	// FIN and RST only).
	hasISN bool
	isn    uint32
	acked  bool
	ack    uint32
	seen   bool
	next   uint32
	// The first acknowledgement it sent (that of its SYN-ACK when one was
	// seen), where its peer's bytes begin when the peer's SYN was not
	// captured (see Assembler.begin).
	firstAcked bool
	firstAck   uint32

	// Where the next byte gopacket delivers lies, and the ranges of it
	// that the capture cut (see Assembler.assemble).
	pos  gpr.Sequence
	cuts []cut
	// For Assembler.unseen: where the segments gopacket queued beyond pos
	// begin (those pos passed are dropped as it moves), and the end of
	// the furthest segment given to it (maxOK).
	ahead  []queuedSeg
	maxEnd uint32
	maxOK  bool

	// Copies of its first segments, held while it is dirSettling
	// (settle.go).
	held []heldSegment

	// How the checksums of its first segment were (see
	// Assembler.badChecksum).
	sums sumState
	// ov follows the receiver's rules on overlapping copies (overlap.go).
	ov overlapSide

	// Its FIN given to gopacket, maybe ahead of missing bytes, and End
	// reported. Neither is a dirState: a side of a connection done ends,
	// by its FIN or RST, without having begun in gopacket.
	fin   bool
	finTS time.Time        // its timestamp
	ended stream.EndReason // End given, or zero
}

// dirState is how far a side has begun: gopacket starts a direction at
// the first segment it is given and never moves it (Assembler.assemble).
type dirState uint8

const (
	// dirNew: nothing of it given to gopacket yet; a bare ACK or SYN
	// leaves it so.
	dirNew dirState = iota
	// dirSettling: its start is unknown, and its first segments with
	// payload are held (held) to start at the lowest (settle.go).
	dirSettling
	// dirStarted: gopacket was given a segment of it; its next byte is at
	// pos.
	dirStarted
)

// connState is where a connection stands between its opening (Assembler.open)
// and its close. Each state says what its packets still do.
//
//	connOpen ── RST of a side (end) ──────────▶ connResetWait
//	connOpen ── its Stream reports Done (stop) ─▶ connDone
//
// From any state, a connection closes (close, then Assembler.finish):
// both sides ended, it idled, memory ran out, its 4-tuple was reused, the
// input ended; in connResetWait also a segment not awaited, resetWait of
// capture time, or its Stream being done; in connDone also a RST.
type connState uint8

const (
	// connOpen: its segments are given to gopacket (a side whose start
	// is unknown settles first, settle.go) and its bytes delivered.
	connOpen connState = iota
	// connResetWait: a side (resetBy) sent RST; only the peer's segments
	// that were in flight at it are still taken (Assembler.awaited).
	connResetWait
	// connDone: its Stream wants no more: gopacket forgot it, and a
	// packet costs a table lookup, its FIN and RST alone still used.
	connDone
)

// end reports a FIN or RST of a side, once, and decides whether that
// closes the connection: it does once both sides ended, and a RST of a
// connection whose consumer is done; otherwise a RST leaves it waiting
// for the peer's segments in flight (see Assembler.awaited).
func (c *conn) end(side stream.Side, reason stream.EndReason, ts time.Time) {
	if c.closing || c.dir[side].ended == reason {
		return
	}
	c.dir[side].ended = reason
	c.stream.End(side, reason, ts)
	if reason == stream.EndRST && c.state == connOpen {
		c.state, c.resetBy = connResetWait, side
	}
	if c.dir[1-side].ended != 0 || reason == stream.EndRST && c.state == connDone {
		c.close(reason)
	}
}

// sideOf returns the side that sends from src. A UDP flow's client may
// send from a new path (migration.go), its server never moves.
func (c *conn) sideOf(src netip.AddrPort) stream.Side {
	if src == c.info.A || c.udp && src != c.info.B {
		return stream.SideA
	}
	return stream.SideB
}

// track notes where the sequence numbers of a side's latest segment end.
func (c *conn) track(side stream.Side, tcp *layers.TCP) {
	d := &c.dir[side]
	d.next = tcp.Seq + uint32(len(tcp.Payload))
	if tcp.SYN || tcp.FIN {
		d.next++
	}
	d.seen = true
}

// close makes Close due: with EndRST for a connection reset, however its
// wait for the segments in flight ended.
func (c *conn) close(reason stream.EndReason) {
	c.closing, c.reason = true, reason
	if c.state == connResetWait {
		c.reason = stream.EndRST
	}
}

// syn takes the ISN of a SYN or SYN-ACK of a side not started yet. The
// latest one counts, as a SYN-ACK may come again with another ISN (a
// server, or something in front of it, answering twice), except that once
// the peer has acknowledged the ISN at hand, a SYN with another is a
// stale retransmission.
func (c *conn) syn(side stream.Side, isn uint32) {
	d := &c.dir[side]
	p := &c.dir[1-side]
	if d.hasISN && isn != d.isn && p.acked && p.ack == d.isn+1 {
		return
	}
	d.isn, d.hasISN = isn, true
}

// reusedBy reports whether a segment on the connection's 4-tuple begins a
// new connection there: a SYN without ACK that is neither the SYN of this
// one sent again (the same ISN), nor, captured late, the SYN the peer's
// SYN-ACK answered, nor the second SYN of a simultaneous open (RFC 9293,
// 3.5), which comes from B. A client's FIN or RST lost by the capture, or
// a NAT giving the port to another client, leaves the old connection open
// when the new one begins; merged with it, the new handshake would be
// judged as the old one's.
func (c *conn) reusedBy(seg segment) bool {
	tcp := seg.tcp
	if !tcp.SYN || tcp.ACK || c.state == connResetWait {
		return false // a reset connection ends at a SYN anyway (Assembler.awaited)
	}
	side := c.sideOf(seg.src)
	switch {
	case c.dir[side].hasISN && tcp.Seq == c.dir[side].isn:
		return false
	case c.dir[1-side].acked && c.dir[1-side].ack == tcp.Seq+1:
		return false
	case c.info.SawSYN:
		return side == stream.SideA
	}
	return true
}

func (c *conn) gap(side stream.Side, missing int, ts time.Time) {
	c.a.stats.Gaps++
	c.a.stats.GapBytes += int64(max(missing, 0))
	c.stream.Gap(side, missing, ts)
}

// cut is a range of a direction's sequence numbers that the capture cut
// from a segment: gopacket holds zeros in their place.
type cut struct {
	seq gpr.Sequence
	n   int
}

// addCut adds a range to a direction's cuts, kept in sequence order.
func addCut(cuts []cut, seq uint32, n int) []cut {
	k := cut{gpr.Sequence(seq), n}
	i := len(cuts)
	for i > 0 && cuts[i-1].seq.Difference(k.seq) < 0 {
		i--
	}
	return slices.Insert(cuts, i, k)
}

// low returns where the first segment gopacket holds beyond pos begins,
// false when it holds none.
func (c *conn) low(side stream.Side) (gpr.Sequence, bool) {
	if len(c.dir[side].ahead) == 0 {
		return 0, false
	}
	return slices.MinFunc(c.dir[side].ahead, func(x, y queuedSeg) int { return -x.seq.Difference(y.seq) }).seq, true
}

// stop stops buffering a connection whose consumer is done: gopacket
// forgets it and its later packets go no further than the table lookup.
// One reset already has nothing left to wait for, and is closed. A FIN
// that came ahead of bytes still missing, which gopacket held until they
// came, is reported now: the bytes before it no longer matter.
func (a *Assembler) stop(c *conn) {
	if c.state == connResetWait {
		c.close(stream.EndRST)
		a.finish(c)
		return
	}
	c.state = connDone
	a.dropHeld(c)
	a.purge(c)
	for side := stream.SideA; side <= stream.SideB; side++ {
		if c.dir[side].fin && c.dir[side].ended == 0 {
			c.end(side, stream.EndFIN, c.dir[side].finTS)
		}
	}
	if c.closing {
		a.finish(c)
	}
}

// finish gives a closing connection its Close and forgets it, remembering
// for a while where its sequence numbers stood, unless the input ended.
// Bytes a side's peer acknowledged and the consumer never got come first,
// as a Gap (unseenAtEnd).
func (a *Assembler) finish(c *conn) {
	if !c.closing {
		c.close(stream.EndCapture) // a reset connection whose wait ended: RST
	}
	if c.udp {
		delete(a.flows, c.key)
		for _, k := range c.paths {
			delete(a.flows, k)
		}
		a.paths -= len(c.paths)
		c.paths = nil
		a.forgetIssued(c)
	} else {
		if c.state != connDone {
			for y := stream.SideA; y <= stream.SideB; y++ {
				a.unseenAtEnd(c, y)
			}
		}
		// Nothing is held by then (every close settles first), but a
		// connection gone must not count against the memory bound.
		a.dropHeld(c)
		a.conns.del(c, c.hash)
		a.purge(c)
	}
	a.mem.unlink(c)
	c.consumerHeld = 0
	if c.reason != stream.EndCapture && !c.udp {
		a.closed.add(c)
	}
	a.closes[c.reason]++
	c.stream.Close(c.reason, c.last)
	if !c.udp {
		// Kept for reuse or not, it must not keep its consumer alive;
		// a call made to it after this one would be a nil dereference.
		c.stream, c.sized = nil, nil
		if len(a.spare) < a.spareMax {
			a.spare = append(a.spare, c)
		}
	}
}

// maxSpare bounds the finished connections an Assembler keeps for open to
// reuse (64 KiB): as many as close between two opens in a busy capture.
const maxSpare = 64

// newConn returns a connection for open to fill: a finished one when
// there is one. Nothing holds a finished connection past the call that
// finished it (a table entry, queue or gopacket's state is gone or names
// it by key and Seq), and open is the only one to reuse them, so no call
// can meet its connection filled anew. Allocating a 1 KB conn for each
// was a sixth of what a handshake-heavy run allocated, and a few
// percent of its CPU in GC and zeroing (issue 18).
func (a *Assembler) newConn() *conn {
	if n := len(a.spare); n > 0 {
		c := a.spare[n-1]
		a.spare = a.spare[:n-1]
		return c
	}
	return new(conn)
}

// awaited reports whether a connection reset by one side (c.resetBy)
// still takes a segment.
//
// A RST is reported at once, but the peer may have had segments in flight
// when it was sent: a server whose flight follows its ServerHello, while
// the client, which had closed, resets at the first of them. Those
// segments are delivered, so a reset connection stays open for the peer's
// segments that carry its bytes near where they stood, in order or not,
// sent again or not (or end them, with FIN or RST, which closes it), and
// for the resetting side's further RSTs, as it answers each of them with
// one. Any other segment closes it, then counts as a segment of no open
// connection: a bare ACK, one far from the peer's bytes, a SYN. So does
// the end of input, the consumer being done, or resetWait of capture time
// without such a segment; bytes still waiting behind a hole then are
// dropped.
func (a *Assembler) awaited(c *conn, side stream.Side, tcp *layers.TCP) bool {
	if side == c.resetBy {
		return tcp.RST
	}
	var next uint32
	switch {
	case c.dir[side].state == dirStarted:
		n := a.probe(c, side)
		if n < 0 {
			return false
		}
		next = uint32(n)
	case c.dir[side].hasISN:
		next = c.dir[side].isn + 1
	default:
		return false
	}
	from := int64(int32(tcp.Seq - next)) // where the segment starts, relative to next
	if len(tcp.Payload) > 0 {
		return from >= -resetWindow && from <= resetWindow
	}
	return (tcp.FIN || tcp.RST) && from >= 0 && from <= resetWindow
}

// resetWait bounds the wait for segments in flight at a RST: about the
// longest round trip, the time they can take to be captured after it.
const resetWait = time.Second

// resetWindow bounds how far from the bytes the peer of a RST had sent a
// segment in flight may lie: more than the data a sender has in flight in
// practice, a tiny part of the sequence space.
const resetWindow = 4 << 20

// resetEntry is a connection waiting out a RST, named by key and Seq so
// that the queue holds no closed connection.
type resetEntry struct {
	key      connKey
	seq      uint64
	deadline time.Time
}

// endResets closes the reset connections whose wait is over.
func (a *Assembler) endResets() {
	i := 0
	for ; i < len(a.resets) && a.now.After(a.resets[i].deadline); i++ {
		r := a.resets[i]
		if c := a.conns.lookup(r.key); c != nil && c.info.Seq == r.seq && !c.closing {
			a.finish(c)
		}
	}
	a.resets = a.resets[i:]
	if len(a.resets) == 0 {
		a.resets = a.resets[:0:0]
	}
}

// finishAll finishes connections in the order they began, so that output
// does not depend on map order.
func (a *Assembler) finishAll(cs []*conn) {
	slices.SortFunc(cs, func(x, y *conn) int { return cmp.Compare(x.info.Seq, y.info.Seq) })
	for _, c := range cs {
		a.finish(c)
	}
}

// segment gives a connection a segment of its 4-tuple. It returns false,
// having closed the connection, when the connection was waiting out a RST
// and the segment is not one it waits for: the segment then belongs to no
// open connection.
func (a *Assembler) segment(c *conn, seg segment, ts time.Time) bool {
	side := c.sideOf(seg.src)
	if c.state == connResetWait && !a.awaited(c, side, seg.tcp) {
		a.finish(c)
		return false
	}
	a.mem.touch(c)
	if ts.After(c.last) {
		c.last = ts
	}
	if c.state != connDone && c.stream.Done() {
		a.stop(c)
		if c.closing {
			return true
		}
	}
	if c.state == connDone {
		a.doneSegment(c, side, seg.tcp, ts)
	} else {
		a.take(c, side, seg, ts)
	}
	return true
}

// doneSegment gives a connection in connDone a segment: only those that
// may close it are looked at, and tell closedTable where both sides
// stand.
func (a *Assembler) doneSegment(c *conn, side stream.Side, tcp *layers.TCP, ts time.Time) {
	if !tcp.FIN && !tcp.RST {
		return
	}
	c.track(side, tcp)
	if tcp.ACK {
		c.dir[1-side].next, c.dir[1-side].seen = tcp.Ack, true
	}
	if tcp.RST {
		c.end(side, stream.EndRST, ts)
	} else {
		c.end(side, stream.EndFIN, ts)
	}
	if c.closing {
		a.finish(c)
	}
}
