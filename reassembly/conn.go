package reassembly

import (
	"slices"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// conn is one TCP connection: the consumer's Stream, and the gopacket
// Stream that feeds it.
type conn struct {
	a      *Assembler
	key    connKey
	info   stream.ConnInfo
	stream stream.Stream
	last   time.Time // timestamp of its latest packet

	flow    [2]gopacket.Flow // gopacket network flow of each side's packets
	gpFirst stream.Side      // the side gopacket calls TCPDirClientToServer
	inGP    bool             // gopacket holds state for it
	probing bool             // probe is asking gopacket's next sequence number
	gpNext  gpr.Sequence     // the answer

	// Per side: whether gopacket was given a segment of it (assemble), the
	// ISN of its SYN, the last acknowledgement it sent, and where its
	// sequence numbers stood last, for closedTable (track; once done, at
	// FIN and RST only).
	started [2]bool
	hasISN  [2]bool
	isn     [2]uint32
	acked   [2]bool
	ack     [2]uint32
	seen    [2]bool
	next    [2]uint32
	// Per side: the first acknowledgement it sent (that of its SYN-ACK
	// when one was seen), where its peer's bytes begin when the peer's
	// SYN was not captured (see Assembler.begin).
	firstAcked [2]bool
	firstAck   [2]uint32

	// Per side: where the next byte gopacket delivers lies, and the
	// ranges of it that the capture cut (see Assembler.assemble).
	pos  [2]gpr.Sequence
	cuts [2][]cut
	// Per side, for Assembler.unseen: where the segments gopacket queued
	// beyond pos begin (those pos passed are dropped as it moves), and the
	// end of the furthest segment given to it (maxOK).
	ahead  [2][]gpr.Sequence
	maxEnd [2]uint32
	maxOK  [2]bool

	// Per side: copies of its first segments, held while its start
	// settles (settle.go).
	held [2][]heldSegment

	newer, older *conn           // neighbours in memory's order of activity
	sized        stream.Buffered // stream, when it says what it holds
	consumerHeld int64           // what it holds, as last counted

	// sums: how the checksums of each side's first segment were (see
	// Assembler.badChecksum).
	sums [2]sumState
	// ov follows the receiver's rules on overlapping copies (overlap.go).
	ov [2]overlapSide

	fin     [2]bool             // a FIN was given to gopacket, maybe ahead of missing bytes
	finTS   [2]time.Time        // its timestamp
	ended   [2]stream.EndReason // End given for each side, or zero
	done    bool                // the consumer wants no more bytes
	reset   bool                // a side sent RST: only awaited segments are taken
	resetBy stream.Side         // that side
	queued  bool                // in Assembler.resets
	closing bool                // Close is due, with reason
	reason  stream.EndReason
}

// end reports a FIN or RST of a side, once, and decides whether that
// closes the connection: it does once both sides ended, and a RST of a
// connection whose consumer is done; otherwise a RST leaves it waiting
// for the peer's segments in flight (see Assembler.awaited).
func (c *conn) end(side stream.Side, reason stream.EndReason, ts time.Time) {
	if c.closing || c.ended[side] == reason {
		return
	}
	c.ended[side] = reason
	c.stream.End(side, reason, ts)
	if reason == stream.EndRST && !c.reset {
		c.reset, c.resetBy = true, side
	}
	if c.ended[1-side] != 0 || c.reset && c.done {
		c.close(reason)
	}
}

// track notes where the sequence numbers of a side's latest segment end.
func (c *conn) track(side stream.Side, tcp *layers.TCP) {
	c.next[side] = tcp.Seq + uint32(len(tcp.Payload))
	if tcp.SYN || tcp.FIN {
		c.next[side]++
	}
	c.seen[side] = true
}

// close makes Close due: with EndRST for a connection reset, however its
// wait for the segments in flight ended.
func (c *conn) close(reason stream.EndReason) {
	c.closing, c.reason = true, reason
	if c.reset {
		c.reason = stream.EndRST
	}
}

// syn takes the ISN of a SYN or SYN-ACK of a side not started yet. The
// latest one counts, as a SYN-ACK may come again with another ISN (a
// server, or something in front of it, answering twice), except that once
// the peer has acknowledged the ISN at hand, a SYN with another is a
// stale retransmission.
func (c *conn) syn(side stream.Side, isn uint32) {
	if c.hasISN[side] && isn != c.isn[side] && c.acked[1-side] && c.ack[1-side] == c.isn[side]+1 {
		return
	}
	c.isn[side], c.hasISN[side] = isn, true
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
	if !tcp.SYN || tcp.ACK || c.reset {
		return false // a reset connection ends at a SYN anyway (Assembler.awaited)
	}
	side := stream.SideA
	if seg.src != c.info.A {
		side = stream.SideB
	}
	switch {
	case c.hasISN[side] && tcp.Seq == c.isn[side]:
		return false
	case c.acked[1-side] && c.ack[1-side] == tcp.Seq+1:
		return false
	case c.info.SawSYN:
		return side == stream.SideA
	}
	return true
}

// gpFactory hands gopacket the connection whose packet it is assembling.
type gpFactory struct{ a *Assembler }

func (f gpFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ gpr.AssemblerContext) gpr.Stream {
	c := f.a.cur
	if c == nil {
		// purge probing a connection gopacket has already dropped: keep
		// it dropped.
		return nil
	}
	c.inGP = true
	c.gpFirst = f.a.curSide
	return c
}

// Accept implements gpr.Stream.
func (c *conn) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, _ gpr.TCPFlowDirection, nextSeq gpr.Sequence, start *bool, _ gpr.AssemblerContext) bool {
	if c.probing {
		c.gpNext = nextSeq
		return false
	}
	if c.a.purging == c {
		*start = true
		return true
	}
	side := c.a.curSide
	seq := gpr.Sequence(tcp.Seq)
	switch {
	case nextSeq < 0 && tcp.SYN:
		c.pos[side] = seq.Add(1)
	case nextSeq < 0:
		c.pos[side] = seq
	case len(tcp.Payload) > 0 && nextSeq.Difference(seq) > 0:
		c.a.mem.mayQueue = true
		c.ahead[side] = append(c.ahead[side], seq)
	}
	if n := len(tcp.Payload); n > 0 {
		if end := tcp.Seq + uint32(n); !c.maxOK[side] || int32(end-c.maxEnd[side]) > 0 {
			c.maxEnd[side], c.maxOK[side] = end, true
		}
	}
	// gopacket queues a direction's bytes until it has seen its SYN
	// (nextSeq is -1 until then); a capture that began mid-connection has
	// none, so a direction starts at its first segment given instead
	// (Assembler.assemble gives a SYN first when it knows the ISN).
	if nextSeq < 0 && !tcp.SYN {
		*start = true
	}
	// gopacket ignores every segment of a direction closed by its FIN,
	// but a RST after one's own FIN (the peer wrote on after the close) is
	// how many connections end, and the consumer may care how.
	if tcp.RST && c.ended[side] == stream.EndFIN {
		c.end(side, stream.EndRST, ci.Timestamp)
	}
	return true
}

// ReassembledSG implements gpr.Stream: it passes on in-order bytes, with a
// Gap first when gopacket skipped some, and the end of a direction.
func (c *conn) ReassembledSG(sg gpr.ScatterGather, _ gpr.AssemblerContext) {
	if c.closing || c.a.purging == c {
		return
	}
	dir, _, end, skip := sg.Info()
	side := c.gpFirst
	if dir == gpr.TCPDirServerToClient {
		side = 1 - side
	}
	avail, _ := sg.Lengths()
	// skip is -1 for the first bytes of a direction, which follow no hole.
	if skip > 0 {
		c.gap(side, skip, c.timeAt(sg, 0, avail))
		c.pos[side] = c.pos[side].Add(skip)
	}
	if avail > 0 {
		c.deliverCut(sg, side, avail)
	}
	if end {
		reason := stream.EndFIN
		if c.a.cur == c && c.a.curSide == side && c.a.curTCP.RST {
			reason = stream.EndRST // gopacket never queues a RST, so it is this packet's
		}
		c.end(side, reason, c.timeAt(sg, avail-1, avail))
	}
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

// deliverCut delivers the avail bytes of sg, which start at pos, with the
// ranges the capture cut reported as gaps instead.
func (c *conn) deliverCut(sg gpr.ScatterGather, side stream.Side, avail int) {
	from := 0
	for len(c.cuts[side]) > 0 && from < avail && !c.closing {
		k := c.cuts[side][0]
		start := c.pos[side].Add(from).Difference(k.seq) // cut start, relative to byte from
		if start >= avail-from {
			break // beyond these bytes
		}
		stop := start + k.n
		if stop <= 0 {
			c.cuts[side] = c.cuts[side][1:] // already behind
			continue
		}
		if start > 0 {
			c.deliver(sg, side, from, from+start)
			from += start
			start = 0
		}
		n := min(stop, avail-from)
		c.gap(side, n, c.timeAt(sg, from, avail))
		from += n
	}
	if len(c.cuts[side]) == 0 {
		c.cuts[side] = nil
	}
	if from < avail && !c.closing {
		c.deliver(sg, side, from, avail)
	}
	c.pos[side] = c.pos[side].Add(avail)
	c.ahead[side] = slices.DeleteFunc(c.ahead[side], func(s gpr.Sequence) bool { return c.pos[side].Difference(s) <= 0 })
}

// low returns where the first segment gopacket holds beyond pos begins,
// false when it holds none.
func (c *conn) low(side stream.Side) (gpr.Sequence, bool) {
	if len(c.ahead[side]) == 0 {
		return 0, false
	}
	return slices.MinFunc(c.ahead[side], func(x, y gpr.Sequence) int { return -x.Difference(y) }), true
}

// timeAt is the timestamp of the segment that brought byte off, or of the
// packet at hand when there is no such byte (a bare FIN).
func (c *conn) timeAt(sg gpr.ScatterGather, off, avail int) time.Time {
	if off >= 0 && off < avail {
		return sg.CaptureInfo(off).Timestamp
	}
	if c.a.cur == c {
		return c.a.curTS
	}
	return c.last
}

// deliver passes bytes [from, to) of sg on, one Data call per run of
// bytes that came in segments of the same timestamp.
func (c *conn) deliver(sg gpr.ScatterGather, side stream.Side, from, to int) {
	// Fetch copies only when the bytes span several segments.
	data := sg.Fetch(to)
	if sg.Stats().Chunks == 1 {
		c.emit(side, from, data[from:to], sg.CaptureInfo(from).Timestamp)
		return
	}
	// sg answers timestamps per offset only, so runs are found by
	// bisection. Segments are in sequence order and their timestamps
	// mostly rise with it; where a later segment has the very timestamp of
	// an earlier one with another in between, that one's bytes may be
	// given the others' timestamp.
	for off := from; off < to && !c.stream.Done(); {
		ts := sg.CaptureInfo(off).Timestamp
		n := sort.Search(to-off, func(i int) bool { return !sg.CaptureInfo(off + i).Timestamp.Equal(ts) })
		c.emit(side, off, data[off:off+n], ts)
		off += n
	}
}

// ReassemblyComplete implements gpr.Stream: gopacket has closed both
// directions and drops the connection.
func (c *conn) ReassemblyComplete(gpr.AssemblerContext) bool {
	c.inGP = false
	if c.a.purging != c && !c.closing {
		c.close(c.a.flushReason)
	}
	return true
}
