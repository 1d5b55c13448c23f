package reassembly

import (
	"time"

	"github.com/gopacket/gopacket/layers"
	gpr "github.com/gopacket/gopacket/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// overlapMax bounds, per direction, the copies kept of segments held out
// of order and of bytes delivered that the peer has not acknowledged:
// many times a handshake flight. Beyond it, what comes is not copied:
// gopacket's own rule for overlaps applies to it (the newest copy of a
// byte held out of order wins), and it is compared with nothing.
const overlapMax = 64 << 10

// overlapSide is what a direction keeps to follow the receiver's rules on
// overlapping copies (see Assembler.overlap), and to find copies that
// differ.
type overlapSide struct {
	// held mirrors Linux's out-of-order queue (tcp_data_queue_ofo): the
	// segments waiting behind a hole, in sequence order, as Linux keeps
	// them. Those wholly before pos are forgotten as pos passes them.
	held []heldSeg
	// recent are the bytes delivered last, from recentSeq on, while the
	// peer has not acknowledged them, in buf: a buffer of recentPool's,
	// sliced from its start, whose capacity is what is charged for them.
	recent    []byte
	recentSeq gpr.Sequence
	buf       []byte
	bytes     int // what held and recent copy

	// urgent is the sequence number of the urgent byte to remove, when
	// urgentSet.
	urgent    gpr.Sequence
	urgentSet bool
}

type heldSeg struct {
	seq  gpr.Sequence
	data []byte
	cut  bool // bytes of it are zeros the capture cut: not compared
}

func (h heldSeg) end() gpr.Sequence { return h.seq.Add(len(h.data)) }

// overlap applies the receiver's rules for overlapping copies to a
// segment with payload about to be given to gopacket, at a direction
// whose next byte to deliver (pos) is known, and reports copies that
// differ.
//
// Linux keeps the first copy of a byte it has received in order
// (tcp_data_queue: what is in the receive queue is never replaced), as
// gopacket does. Bytes held out of order follow tcp_data_queue_ofo: a
// segment that begins where the last held one ends is joined to it; one
// that lies wholly within the held segment before it is dropped; one that
// begins with that segment and goes beyond replaces it; one that begins
// inside it goes in after it; and the held segments the new one covers
// wholly are dropped. The receiver reads them in sequence order, each
// byte from the first segment that holds it (tcp_ofo_queue trims what is
// already received). gopacket instead lets the newest copy of a byte win.
// So the segment given to gopacket carries the bytes the receiver will
// read in its place: the newest copy then is the right one.
//
// A segment that comes in order wins over bytes held after it, for Linux
// (it reaches the receive queue first) as for gopacket.
func (a *Assembler) overlap(c *conn, side stream.Side, tcp *layers.TCP, cut bool, ts time.Time) {
	o := &c.dir[side].ov
	next := c.dir[side].pos
	a.forget(c, side, next)
	if tcp.SYN || len(tcp.Payload) == 0 {
		return
	}
	seq := gpr.Sequence(tcp.Seq)
	data := tcp.Payload
	if !cut {
		if n := o.differ(seq, data); n > 0 {
			if m, ok := c.stream.(stream.MismatchStream); ok {
				m.OverlapMismatch(side, n, ts)
			}
		}
	}
	if next.Difference(seq) <= 0 || o.bytes+len(data) > overlapMax {
		return // in order, or not copied
	}
	before := o.bytes
	o.insert(heldSeg{seq, append([]byte(nil), data...), cut})
	a.mem.charge(c, int64(o.bytes-before))
	// When it was not kept, the bytes held are all there are.
	var kept []byte
	o.owners(seq, len(data), func(x int, b byte, _ bool) {
		if b != data[x] {
			if kept == nil {
				kept = append(a.ovBuf[:0], data...)
			}
			kept[x] = b
		}
	})
	if kept != nil {
		a.ovBuf = kept
		tcp.Payload = kept
	}
}

// owners calls fn with each byte held out of order in [seq, seq+n), at
// offset x from seq, as the receiver will read it: from the first held
// segment that holds it. The held segments before one all begin at or
// before it, so those that reach beyond its start cover it up to the
// furthest end among them: it gives the bytes after that.
func (o *overlapSide) owners(seq gpr.Sequence, n int, fn func(x int, b byte, cut bool)) {
	end := seq.Add(n)
	var upto gpr.Sequence
	for i, h := range o.held {
		from := h.seq
		if i > 0 && upto.Difference(from) < 0 {
			from = upto
		}
		if i == 0 || upto.Difference(h.end()) > 0 {
			upto = h.end()
		}
		if seq.Difference(from) < 0 {
			from = seq
		}
		for p := from; p.Difference(h.end()) > 0 && p.Difference(end) > 0; p = p.Add(1) {
			fn(seq.Difference(p), h.data[h.seq.Difference(p)], h.cut)
		}
	}
}

// differ counts the bytes of a segment that differ from those delivered
// (while kept in recent) or held in their place.
func (o *overlapSide) differ(seq gpr.Sequence, data []byte) int {
	n := 0
	if len(o.recent) > 0 {
		off := o.recentSeq.Difference(seq) // of data in recent
		for x := max(-off, 0); x < min(len(data), len(o.recent)-off); x++ {
			if o.recent[off+x] != data[x] {
				n++
			}
		}
	}
	o.owners(seq, len(data), func(x int, b byte, cut bool) {
		if !cut && b != data[x] {
			n++
		}
	})
	return n
}

// insert puts a segment that lies beyond the next byte to deliver in held
// as tcp_data_queue_ofo (net/ipv4/tcp_input.c) does, and reports whether
// it was kept.
func (o *overlapSide) insert(s heldSeg) bool {
	end := s.end()
	n := len(o.held)
	// Linux tries the last segment first: one that begins where it ends
	// is joined to it.
	if n > 0 && o.held[n-1].end() == s.seq {
		last := &o.held[n-1]
		last.data = append(last.data, s.data...)
		last.cut = last.cut || s.cut
		o.bytes += len(s.data)
		return true
	}
	// p is the last held segment that begins at or before s.
	p := n - 1
	for p >= 0 && o.held[p].seq.Difference(s.seq) < 0 {
		p--
	}
	at := p + 1
	if p >= 0 {
		h := o.held[p]
		switch {
		case s.seq.Difference(h.end()) > 0 && end.Difference(h.end()) >= 0:
			return false // all of it is there already
		case s.seq.Difference(h.end()) > 0 && h.seq == s.seq:
			at = p // it covers h, dropped below
		case h.end() == s.seq:
			o.held[p].data = append(o.held[p].data, s.data...)
			o.held[p].cut = h.cut || s.cut
			o.bytes += len(s.data)
			return true
		}
	}
	o.held = append(o.held, heldSeg{})
	copy(o.held[at+1:], o.held[at:])
	o.held[at] = s
	o.bytes += len(s.data)
	// The held segments after it that it covers wholly go.
	k := at + 1
	for k < len(o.held) && o.held[k].seq.Difference(end) > 0 && o.held[k].end().Difference(end) >= 0 {
		o.bytes -= len(o.held[k].data)
		k++
	}
	o.held = append(o.held[:at+1], o.held[k:]...)
	return true
}

// forget drops what a direction no longer needs to keep: held segments
// wholly before next, and delivered bytes its peer has acknowledged.
func (a *Assembler) forget(c *conn, side stream.Side, next gpr.Sequence) {
	o := &c.dir[side].ov
	before := o.bytes
	k := 0
	for k < len(o.held) && o.held[k].end().Difference(next) >= 0 {
		o.bytes -= len(o.held[k].data)
		k++
	}
	if k > 0 {
		o.held = append(o.held[:0], o.held[k:]...)
	}
	if c.dir[1-side].acked && len(o.recent) > 0 {
		if d := o.recentSeq.Difference(gpr.Sequence(c.dir[1-side].ack)); d > 0 {
			d = min(d, len(o.recent))
			o.recent = o.recent[d:]
			o.recentSeq = o.recentSeq.Add(d)
			o.bytes -= d
			before -= d // charged as the buffer's capacity
		}
	}
	if len(o.recent) == 0 {
		a.releaseRecent(c, o)
	}
	if len(o.held) == 0 {
		o.held = nil
	}
	a.mem.charge(c, int64(o.bytes-before))
}

// recentPool keeps the buffers of recent bytes that directions gave back
// when their peer acknowledged all of them, for the next run of delivered
// bytes: a handshake flight asks for one and frees it a round trip later.
// Allocating them afresh was an eighth of a handshake-heavy run's CPU
// (issue 18), mostly in page faults on the new memory. The buffers come
// in classes of 2 KiB to overlapMax, powers of two, and each class keeps
// at most recentPoolBytes of free ones: what a worker holds beyond
// Options.MaxBufferedBytes, whose charge for a buffer in use is its
// capacity.
type recentPool struct {
	free [recentClasses][][]byte
}

const (
	recentMinClass  = 11 // 2 KiB
	recentClasses   = 6  // 2 KiB to 64 KiB
	recentPoolBytes = overlapMax
)

// get returns an empty buffer of at least n bytes, n at most overlapMax.
func (p *recentPool) get(n int) []byte {
	k := recentClass(n)
	if f := p.free[k]; len(f) > 0 {
		b := f[len(f)-1]
		p.free[k] = f[:len(f)-1]
		return b
	}
	return make([]byte, 0, 1<<(recentMinClass+k))
}

// recentClass is the smallest class of buffers of at least n bytes.
func recentClass(n int) int {
	k := 0
	for 1<<(recentMinClass+k) < n {
		k++
	}
	return k
}

// put takes back a buffer get returned.
func (p *recentPool) put(b []byte) {
	k := recentClass(cap(b))
	if (len(p.free[k])+1)<<(recentMinClass+k) <= recentPoolBytes {
		p.free[k] = append(p.free[k], b[:0])
	}
}

// releaseRecent gives a direction's buffer of recent bytes, empty, back.
func (a *Assembler) releaseRecent(c *conn, o *overlapSide) {
	if o.buf == nil {
		return
	}
	a.mem.charge(c, -int64(cap(o.buf)))
	a.recentBufs.put(o.buf)
	o.buf, o.recent = nil, nil
}

// delivered notes bytes delivered at seq, to compare later copies with.
// Bytes not delivered (the capture's zeros) break the run.
func (a *Assembler) delivered(c *conn, side stream.Side, seq gpr.Sequence, b []byte) {
	o := &c.dir[side].ov
	if len(o.recent) > 0 && o.recentSeq.Add(len(o.recent)) != seq {
		o.bytes -= len(o.recent)
		o.recent = o.buf[:0]
	}
	if len(o.recent) == 0 {
		o.recentSeq = seq
		o.recent = o.buf[:0]
	}
	if len(b) == 0 || o.bytes+len(b) > overlapMax {
		return
	}
	if n := len(o.recent) + len(b); n > cap(o.recent) {
		if n <= cap(o.buf) {
			// The acknowledged bytes before recent make room.
			o.recent = o.buf[:copy(o.buf[:cap(o.buf)], o.recent)]
		} else {
			nb := a.recentBufs.get(n)
			nb = nb[:copy(nb[:cap(nb)], o.recent)]
			a.mem.charge(c, int64(cap(nb)-cap(o.buf)))
			if o.buf != nil {
				a.recentBufs.put(o.buf)
			}
			o.buf, o.recent = nb[:0], nb
		}
	}
	o.recent = append(o.recent, b...)
	o.bytes += len(b)
}

// dropOverlaps forgets all a connection keeps for overlaps.
func (a *Assembler) dropOverlaps(c *conn) {
	for side := range c.dir {
		o := &c.dir[side].ov
		a.mem.charge(c, -int64(o.bytes-len(o.recent)))
		a.releaseRecent(c, o)
		*o = overlapSide{}
	}
}

// urgentPointer takes the urgent pointer of a segment with URG, as Linux
// does without SO_OOBINLINE, its default (tcp_check_urg): the byte before
// the one it points to (RFC 6093, 2: every stack but a few reads it so)
// is the urgent byte, taken out of the stream when it is read (tcp_recvmsg
// skips it). A pointer to bytes already received is ignored, as is one
// not beyond the urgent byte still to come; a later one replaces it, and
// the earlier byte stays in the stream. known says whether pos is where
// the next byte to deliver lies.
func (c *conn) urgentPointer(side stream.Side, tcp *layers.TCP, known bool) {
	ptr := gpr.Sequence(tcp.Seq)
	if tcp.Urgent > 0 {
		ptr = ptr.Add(int(tcp.Urgent) - 1)
	}
	o := &c.dir[side].ov
	if known && c.dir[side].pos.Difference(ptr) < 0 || o.urgentSet && o.urgent.Difference(ptr) <= 0 {
		return
	}
	o.urgent, o.urgentSet = ptr, true
}

// emit passes on bytes delivered at offset off from pos, but for the
// urgent byte.
func (c *conn) emit(side stream.Side, off int, b []byte, ts time.Time) {
	at := c.dir[side].pos.Add(off)
	c.a.delivered(c, side, at, b)
	o := &c.dir[side].ov
	if o.urgentSet {
		switch u := at.Difference(o.urgent); {
		case u < 0:
			o.urgentSet = false // it went in a gap
		case u < len(b):
			o.urgentSet = false
			if u > 0 {
				c.stream.Data(side, b[:u], ts)
			}
			if b = b[u+1:]; len(b) == 0 {
				return
			}
		}
	}
	c.stream.Data(side, b, ts)
}
