package reassembly

import (
	"slices"
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
	if len(c.ahead[side]) == 0 {
		return 0, false
	}
	return slices.MinFunc(c.ahead[side], func(x, y gpr.Sequence) int { return -x.Difference(y) }), true
}
