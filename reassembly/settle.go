package reassembly

import (
	"cmp"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/stream"
)

// The settle window. gopacket starts a direction at the first segment it
// is given and drops as old whatever lies before it, so a direction whose
// start is not known (neither its SYN nor a proving acknowledgement of
// its peer was captured, see Assembler.begin) would lose its first bytes
// to the first out-of-order segment: a ClientHello split in two and
// swapped would be read from its second half. Such a direction's first
// segments with payload are held instead, and it starts at the lowest
// sequence number among them, once one of these comes:
//   - its settleSegments-th segment with payload: reordering spans
//     neighbouring segments, and a direction that is in order pays no
//     more than that;
//   - settleTime of capture time since the first was held: longer than
//     the few milliseconds a swapped segment lags, short against the
//     round trips a handshake takes, so that a live capture still decides
//     soon;
//   - a segment of the peer (before anything of it is delivered, so that
//     each side's bytes reach the consumer in capture order), or a Gap
//     of the peer's that unseen reports;
//   - its own FIN, RST or SYN, or a segment its peer's first
//     acknowledgement proves the start of;
//   - the connection closing by idle, memory, reuse of its 4-tuple, or
//     the end of the input.
//
// Held bytes count against Options.MaxBufferedBytes. A segment held lies
// at most maxUnseen below the first one held to be taken for the start;
// one further away is given to gopacket after the start, as any old
// segment.
const (
	settleSegments = 3
	settleTime     = 200 * time.Millisecond
)

// heldSegment is a copy of a segment held while its direction settles.
type heldSegment struct {
	seq     uint32
	flags   byte // its FIN and RST
	payload []byte
	ts      time.Time
	cut     bool // the capture cut its payload
}

// settleEntry is a direction settling, named by key, Seq and side so
// that the queue holds no closed connection; it settles at deadline.
type settleEntry struct {
	key      connKey
	seq      uint64
	side     stream.Side
	deadline time.Time
}

// settles reports whether the start of a direction not started, about to
// be started by a segment at seq, is left to settle: its SYN was not
// captured, and its peer's first acknowledgement does not prove seq a
// start.
func (c *conn) settles(side stream.Side, seq uint32) bool {
	d, p := &c.dir[side], &c.dir[1-side]
	if d.hasISN {
		return false
	}
	if p.firstAcked {
		if off := int64(int32(seq - p.firstAck)); off >= 0 && off <= maxUnseen {
			return false
		}
	}
	return true
}

// hold keeps a copy of a segment with payload of a settling direction,
// and reports false when that ends the settling: the direction is then
// to be started from what is held (settle).
func (a *Assembler) hold(c *conn, side stream.Side, tcp *layers.TCP, cut bool, ts time.Time) bool {
	d := &c.dir[side]
	if d.state != dirSettling {
		d.state = dirSettling
		a.settling = append(a.settling, settleEntry{c.key, c.info.Seq, side, a.now.Add(settleTime)})
	}
	var flags byte
	if tcp.FIN {
		flags |= tcpFlagFIN
	}
	if tcp.RST {
		flags |= tcpFlagRST
	}
	d.held = append(d.held, heldSegment{tcp.Seq, flags, slices.Clone(tcp.Payload), ts, cut})
	a.mem.charge(c, int64(len(tcp.Payload)))
	return len(d.held) < settleSegments
}

// settle starts a settling direction at the lowest sequence number held,
// and gives gopacket what was held, in sequence order.
func (a *Assembler) settle(c *conn, side stream.Side) {
	d := &c.dir[side]
	held := d.held
	if len(held) == 0 {
		return
	}
	d.held = nil
	low := held[0]
	for _, h := range held[1:] {
		if d := int32(h.seq - held[0].seq); d < 0 && d >= -maxUnseen && int32(h.seq-low.seq) < 0 {
			low = h
		}
	}
	slices.SortStableFunc(held, func(x, y heldSegment) int {
		return cmp.Compare(x.seq-low.seq, y.seq-low.seq)
	})
	first := d.state != dirStarted
	d.state = dirStarted
	if first && !d.hasISN {
		a.begin(c, side, low.seq, low.ts)
	}
	for _, h := range held {
		a.mem.charge(c, -int64(len(h.payload)))
	}
	for i, h := range held {
		if i > 0 && c.stream.Done() {
			return // as if stopped after the packet that made it done
		}
		synthesizeInto(&a.replay, a.replayBuf[:], c, side, h.seq, h.flags)
		a.replay.Payload = h.payload
		a.feed(c, side, &a.replay, h.ts, first && i == 0, h.cut)
	}
}

// settleBoth starts whatever of a connection is settling.
func (a *Assembler) settleBoth(c *conn) {
	a.settle(c, stream.SideA)
	a.settle(c, stream.SideB)
}

// dropHeld forgets what a connection holds for settling, undelivered.
func (a *Assembler) dropHeld(c *conn) {
	for i := range c.dir {
		d := &c.dir[i]
		for _, h := range d.held {
			a.mem.charge(c, -int64(len(h.payload)))
		}
		d.held = nil
		if d.state == dirSettling {
			d.state = dirNew
		}
	}
}

// endSettles starts the directions whose settle window is over.
func (a *Assembler) endSettles() {
	i := 0
	for ; i < len(a.settling) && a.now.After(a.settling[i].deadline); i++ {
		a.settleQueued(a.settling[i])
	}
	a.settling = a.settling[i:]
	if len(a.settling) == 0 {
		a.settling = a.settling[:0:0]
	}
}

// settleQueued starts the direction of a queue entry, if it still
// settles.
func (a *Assembler) settleQueued(e settleEntry) {
	c := a.conns.lookup(e.key)
	if c == nil || c.info.Seq != e.seq || c.closing || c.dir[e.side].state != dirSettling {
		return
	}
	a.settle(c, e.side)
	if c.state != connDone && c.stream.Done() {
		a.stop(c)
	}
}

// settleAll starts every direction still settling, as the input ends.
func (a *Assembler) settleAll() {
	for _, e := range a.settling {
		a.settleQueued(e)
	}
	a.settling = a.settling[:0:0]
}
