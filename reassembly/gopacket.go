package reassembly

import (
	"encoding/binary"
	"slices"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// The gopacket adapter. gopacket's reassembly orders each direction's
// segments and buffers what comes early, but it has no call to ask where a
// direction stands, to forget a connection, or to say which packet a
// callback is about: everything it tells comes through the gpr.Stream
// callbacks (conn's Accept, ReassembledSG, ReassemblyComplete), made
// inside AssembleWithContext and the flushes. adapter holds what those
// callbacks need to know and are not told: the packet at hand (at), and
// what the adapter is doing with gopacket at the time (mode), which is
// not always assembling a packet: probe and purge feed gopacket made-up
// segments to learn and to forget.

// adapter is the Assembler's gopacket reassembler, with what its callbacks
// read besides their arguments.
type adapter struct {
	*gpr.Assembler
	// at is the packet being assembled: valid only during the
	// AssembleWithContext calls of feed, zero otherwise.
	at packetAt
	// mode is what the calls into gopacket are for; target is the
	// connection probe or purge works on.
	mode   gpMode
	target *conn
	next   gpr.Sequence // probe's answer, from Accept

	synth    layers.TCP // the segment probe and purge give, decoded from synthBuf
	synthBuf [20]byte
	probeCtx captureContext

	// ctxs are contexts for the next packets, handed out one each (see
	// context).
	ctxs []captureContext
}

// context returns a new context for a packet at ts. gopacket keeps the
// context of a segment it queues, so each packet needs its own; they are
// made 256 at a time, one allocation where there was one per packet: a
// block stays while gopacket keeps any of its contexts.
func (g *adapter) context(ts time.Time) *captureContext {
	if len(g.ctxs) == 0 {
		g.ctxs = make([]captureContext, 256)
	}
	c := &g.ctxs[0]
	g.ctxs = g.ctxs[1:]
	c.ts = ts
	return c
}

// packetAt is the packet feed gives gopacket, for the callbacks it makes:
// its connection and side (gopacket names sides by who it saw first), its
// segment (a RST ending a direction is this packet's: gopacket never
// queues one) and timestamp (that of a FIN with no byte).
type packetAt struct {
	conn *conn
	side stream.Side
	tcp  *layers.TCP
	ts   time.Time
}

// queuedSeg is a segment gopacket queued beyond the bytes it waits for, and
// the pages it was counted for (queuedPages).
type queuedSeg struct {
	seq   gpr.Sequence
	pages int64
}

// gpMode is what the adapter is doing with gopacket.
type gpMode uint8

const (
	// gpAssembling: feeding the packet at hand (at), or flushing at the end
	// of the input; a connection gopacket completes closes EndCapture,
	// unless it ended otherwise.
	gpAssembling gpMode = iota
	// gpProbing: probe gives target an empty segment to learn the
	// sequence number gopacket waits for, which Accept notes (next) and
	// refuses.
	gpProbing
	// gpPurging: purge gives target a RST per side to make gopacket drop
	// it; Accept takes them, nothing is delivered, and completing it is
	// not a close.
	gpPurging
	// gpExpiring: expire's flush gives up old holes; a connection it
	// completes closes EndIdle.
	gpExpiring
)

// gpFactory hands gopacket the connection whose packet it is assembling.
type gpFactory struct{ a *Assembler }

func (f gpFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ gpr.AssemblerContext) gpr.Stream {
	c := f.a.gp.at.conn
	if c == nil {
		// purge probing a connection gopacket has already dropped: keep
		// it dropped.
		return nil
	}
	c.inGP = true
	c.gpFirst = f.a.gp.at.side
	return c
}

// Accept implements gpr.Stream.
func (c *conn) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, _ gpr.TCPFlowDirection, nextSeq gpr.Sequence, start *bool, _ gpr.AssemblerContext) bool {
	gp := &c.a.gp
	if gp.target == c {
		switch gp.mode {
		case gpProbing:
			gp.next = nextSeq
			return false
		case gpPurging:
			*start = true
			return true
		}
	}
	side := gp.at.side
	d := &c.dir[side]
	if d.accepted(tcp, nextSeq) {
		c.a.mem.charge(c, d.ahead[len(d.ahead)-1].pages*pageCost)
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
	if tcp.RST && d.ended == stream.EndFIN {
		c.end(side, stream.EndRST, ci.Timestamp)
	}
	return true
}

// accepted notes where a segment gopacket takes lies, nextSeq being the
// sequence number gopacket waits for (-1 before the first): pos at the
// first, the segments with payload queued beyond it (ahead), and the
// furthest end (maxEnd). It reports whether the segment lies beyond
// nextSeq, and so may have been copied into pages.
func (d *direction) accepted(tcp *layers.TCP, nextSeq gpr.Sequence) (queued bool) {
	seq := gpr.Sequence(tcp.Seq)
	switch {
	case nextSeq < 0 && tcp.SYN:
		d.pos = seq.Add(1)
	case nextSeq < 0:
		d.pos = seq
	case len(tcp.Payload) > 0 && nextSeq.Difference(seq) > 0:
		queued = true
		d.ahead = append(d.ahead, queuedSeg{seq, queuedPages(len(tcp.Payload))})
	}
	d.reach(tcp)
	return queued
}

// reach notes the end of a segment with payload given to the direction,
// when it is the furthest yet.
func (d *direction) reach(tcp *layers.TCP) {
	if n := len(tcp.Payload); n > 0 {
		if end := tcp.Seq + uint32(n); !d.maxOK || int32(end-d.maxEnd) > 0 {
			d.maxEnd, d.maxOK = end, true
		}
	}
}

// ReassembledSG implements gpr.Stream: it passes on in-order bytes, with a
// Gap first when gopacket skipped some, and the end of a direction.
func (c *conn) ReassembledSG(sg gpr.ScatterGather, _ gpr.AssemblerContext) {
	if c.closing || c.a.gp.purging(c) {
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
		c.dir[side].pos = c.dir[side].pos.Add(skip)
	}
	if avail > 0 {
		c.deliverCut(sg, side, avail)
	}
	if end {
		reason := stream.EndFIN
		if at := &c.a.gp.at; at.conn == c && at.side == side && at.tcp.RST {
			reason = stream.EndRST // gopacket never queues a RST, so it is this packet's
		}
		c.end(side, reason, c.timeAt(sg, avail-1, avail))
	}
}

// deliverCut delivers the avail bytes of sg, which start at pos, with the
// ranges the capture cut reported as gaps instead.
func (c *conn) deliverCut(sg gpr.ScatterGather, side stream.Side, avail int) {
	d := &c.dir[side]
	from := 0
	for len(d.cuts) > 0 && from < avail && !c.closing {
		k := d.cuts[0]
		start := d.pos.Add(from).Difference(k.seq) // cut start, relative to byte from
		if start >= avail-from {
			break // beyond these bytes
		}
		stop := start + k.n
		if stop <= 0 {
			d.cuts = d.cuts[1:] // already behind
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
	if len(d.cuts) == 0 {
		d.cuts = nil
	}
	if from < avail && !c.closing {
		c.deliver(sg, side, from, avail)
	}
	d.pos = d.pos.Add(avail)
	d.ahead = slices.DeleteFunc(d.ahead, func(q queuedSeg) bool {
		if d.pos.Difference(q.seq) > 0 {
			return false
		}
		c.a.mem.charge(c, -q.pages*pageCost)
		return true
	})
}

// timeAt is the timestamp of the segment that brought byte off, or of the
// packet at hand when there is no such byte (a bare FIN).
func (c *conn) timeAt(sg gpr.ScatterGather, off, avail int) time.Time {
	if off >= 0 && off < avail {
		return sg.CaptureInfo(off).Timestamp
	}
	if at := &c.a.gp.at; at.conn == c {
		return at.ts
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
	if !c.a.gp.purging(c) && !c.closing {
		reason := stream.EndCapture
		if c.a.gp.mode == gpExpiring {
			reason = stream.EndIdle
		}
		c.close(reason)
	}
	return true
}

// feed gives gopacket a segment of a started direction, after a SYN at
// its ISN when the segment is the first and the ISN is known otherwise.
// cut says the capture cut the segment's payload (zeros stand in for the
// end), so its bytes are not compared with other copies.
func (a *Assembler) feed(c *conn, side stream.Side, tcp *layers.TCP, ts time.Time, first, cut bool) {
	if !c.gpUsed {
		if a.direct(c, side, tcp, ts, first, cut) {
			return
		}
		a.enter(c, side, first)
	}
	a.gp.at = packetAt{conn: c, side: side, tcp: tcp, ts: ts}
	ctx := a.gp.context(ts)
	known := !first // where gopacket's next byte lies
	if first && c.dir[side].hasISN && !(tcp.SYN && tcp.Seq == c.dir[side].isn) {
		a.gp.synthesize(c, side, c.dir[side].isn, tcpFlagSYN)
		a.gp.AssembleWithContext(c.flow[side], &a.gp.synth, ctx)
		known = true
	}
	if known {
		a.overlap(c, side, tcp, cut, ts)
	}
	if tcp.URG {
		c.urgentPointer(side, tcp, known)
	}
	a.gp.AssembleWithContext(c.flow[side], tcp, ctx)
	a.gp.at = packetAt{}
}

// purge removes a connection from gopacket, which has no call to forget
// one: it is fed, on each direction, an empty segment to learn the
// sequence number gopacket waits for (Accept reports it, then refuses the
// segment), then a RST at exactly that number, the one RST gopacket
// accepts (reassembly/tcpassembly.go:768-790). A RST closes its direction,
// and once both are closed gopacket calls ReassemblyComplete and drops the
// connection with whatever it had queued.
func (a *Assembler) purge(c *conn) {
	a.dropOverlaps(c)
	mode, target := a.gp.mode, a.gp.target
	a.gp.mode, a.gp.target = gpPurging, c
	ctx := a.gp.context(c.last)
	for side := stream.SideA; side <= stream.SideB && c.inGP; side++ {
		var seq uint32
		if n := a.probe(c, side); n >= 0 {
			seq = uint32(n)
		}
		a.gp.synthesize(c, side, seq, tcpFlagRST)
		a.gp.AssembleWithContext(c.flow[side], &a.gp.synth, ctx)
	}
	a.gp.mode, a.gp.target = mode, target
}

// probe returns the sequence number gopacket waits for on a side of a
// connection, -1 when it has none: gopacket is given an empty segment,
// which Accept refuses once it has seen the number.
func (a *Assembler) probe(c *conn, side stream.Side) gpr.Sequence {
	if !c.inGP {
		return -1
	}
	gp := &a.gp
	mode, target := gp.mode, gp.target // purge probes
	gp.mode, gp.target, gp.next = gpProbing, c, -1
	gp.synthesize(c, side, 0, 0)
	gp.probeCtx.ts = c.last
	gp.AssembleWithContext(c.flow[side], &gp.synth, &gp.probeCtx)
	gp.mode, gp.target = mode, target
	return gp.next
}

// synthesize builds in gp.synth a bare TCP header from side to its peer.
// It is decoded from bytes because layers.TCP takes its ports for
// TransportFlow from the bytes it decoded, not from SrcPort and DstPort.
func (gp *adapter) synthesize(c *conn, side stream.Side, seq uint32, flags byte) {
	synthesizeInto(&gp.synth, gp.synthBuf[:], c, side, seq, flags)
}

// purging reports whether purge is removing c.
func (gp *adapter) purging(c *conn) bool { return gp.mode == gpPurging && gp.target == c }

func synthesizeInto(t *layers.TCP, b []byte, c *conn, side stream.Side, seq uint32, flags byte) {
	src, dst := c.info.A.Port(), c.info.B.Port()
	if side == stream.SideB {
		src, dst = dst, src
	}
	clear(b)
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	binary.BigEndian.PutUint32(b[4:], seq)
	b[12] = 5 << 4 // data offset: 5 words, no options
	b[13] = flags
	// Twenty well-formed bytes always decode.
	_ = t.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}

// captureContext is the gopacket AssemblerContext of one packet.
type captureContext struct{ ts time.Time }

func (c *captureContext) GetCaptureInfo() gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: c.ts}
}

const (
	tcpFlagFIN = 0x01
	tcpFlagSYN = 0x02
	tcpFlagRST = 0x04
)
