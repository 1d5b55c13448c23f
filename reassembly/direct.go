package reassembly

import (
	"time"

	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// Most connections never need gopacket: their segments come in order,
// and their consumer is done before any FIN or RST. Giving gopacket each
// of their segments, then purging them (purge), was about a tenth of a
// handshake-heavy run's CPU (issue 18) for bytes it passed straight on.
// So a connection is served directly, each segment delivered as gopacket
// would deliver it at once, until one of its segments needs more than
// that (a hole, SYN, FIN, RST, or bytes the capture cut): the connection
// then enters gopacket (enter), each side started at the byte it would
// have waited for, and from there gopacket gets every segment, as if it
// had had them all. What gopacket would remember of the segments it was
// not given is where each side stands (direction.pos) and when it last
// got one (conn.fedAt, for expire).

// direct delivers a segment of a connection not given to gopacket, when
// gopacket would deliver it at once; first says it starts its side. It
// reports false, having changed nothing, when gopacket is needed.
func (a *Assembler) direct(c *conn, side stream.Side, tcp *layers.TCP, ts time.Time, first, cut bool) bool {
	d := &c.dir[side]
	if cut || len(d.cuts) > 0 || tcp.SYN || tcp.FIN || tcp.RST {
		return false
	}
	seq := gpr.Sequence(tcp.Seq)
	// Where the side's next byte lies, as feed starts gopacket's
	// direction: after its ISN when known, else at this segment.
	pos, known := d.pos, !first
	if first {
		pos = seq
		if d.hasISN {
			pos, known = gpr.Sequence(d.isn).Add(1), true
		}
	}
	if pos.Difference(seq) > 0 {
		return false // beyond a hole: gopacket queues it
	}
	d.pos = pos
	if c.fedAt.IsZero() {
		c.gpFirst = side // as gpFactory.New would name it
	}
	if ts.After(c.fedAt) {
		c.fedAt = ts
	}
	if known {
		a.overlap(c, side, tcp, false, ts)
	}
	if tcp.URG {
		c.urgentPointer(side, tcp, known)
	}
	d.reach(tcp)
	// gopacket passes on the bytes from pos, those before it being
	// delivered already (overlapExisting), nothing once closing.
	if old := seq.Difference(pos); old < len(tcp.Payload) && !c.closing {
		b := tcp.Payload[old:]
		c.emit(side, 0, b, ts)
		d.pos = pos.Add(len(b))
	}
	return true
}

// enter gives gopacket a connection served directly so far, before a
// segment of side (its first, if first) that direct cannot take: each
// other side started gets a SYN just before its next byte, which starts
// gopacket's direction there, stamped when the connection was last given
// a segment. The side served first goes first, as gopacket orders
// directions by the first it was given (FlushAll gives up their holes in
// that order).
func (a *Assembler) enter(c *conn, side stream.Side, first bool) {
	c.gpUsed = true
	for _, x := range [2]stream.Side{c.gpFirst, 1 - c.gpFirst} {
		if c.dir[x].state != dirStarted || x == side && first {
			continue
		}
		a.gp.at = packetAt{conn: c, side: x, tcp: &a.gp.synth, ts: c.fedAt}
		a.gp.synthesize(c, x, uint32(c.dir[x].pos)-1, tcpFlagSYN)
		a.gp.AssembleWithContext(c.flow[x], &a.gp.synth, a.gp.context(c.fedAt))
	}
	a.gp.at = packetAt{}
}

// quietSince is when a connection was last active, for expire: for one
// served directly with a side started, when it was last given a segment,
// which is when gopacket would have closed it.
func (c *conn) quietSince() time.Time {
	if !c.gpUsed && !c.fedAt.IsZero() && c.state != connDone {
		return c.fedAt
	}
	return c.last
}
