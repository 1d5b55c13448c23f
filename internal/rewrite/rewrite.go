package rewrite

import (
	"encoding/binary"
	"math/rand"
	"slices"
	"sort"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/inet"
)

// Options says how much rearranging to do. Probabilities are per
// segment, pair of neighbouring segments, or record; zero values take the
// defaults, negative ones mean never.
type Options struct {
	Seed int64
	// MaxPieces is the most segments a payload is cut into (at least 2).
	MaxPieces int
	// Swap, Duplicate, Overlap and SplitRecord are the probabilities of
	// swapping two neighbouring segments, sending a segment again as it
	// was, sending one again starting inside the one before it (old bytes
	// and new), and splitting a handshake record in two.
	Swap, Duplicate, Overlap, SplitRecord float64
	// HeaderCut is the probability that a record header inside a payload
	// gets a cut point in it.
	HeaderCut float64
	// Fragment is the probability that an IPv4 segment is sent as IP
	// fragments (in order or not).
	Fragment float64
}

func (o *Options) defaults() {
	if o.MaxPieces < 2 {
		o.MaxPieces = 4
	}
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.Swap, 0.3)
	def(&o.Duplicate, 0.1)
	def(&o.Overlap, 0.15)
	def(&o.SplitRecord, 0.5)
	def(&o.HeaderCut, 0.5)
	def(&o.Fragment, 0.05)
}

// Stats counts what a rewrite did.
type Stats struct {
	Frames, Unchanged int // frames read; copied as they were
	Barriers          int // frames nothing was moved across (fragments, truncated, unknown)
	Segments, Pieces  int // TCP payloads cut, and the segments they became
	Swapped           int // pairs of neighbouring segments swapped
	Duplicated        int // segments sent twice
	Overlapped        int // segments sent again from inside the one before
	HeadersCut        int // cut points inside a TLS record header
	RecordsSplit      int // handshake records split in two
	Kept              int // first segments of a direction left first (no SYN seen for it)
	Fragmented        int // segments sent as IPv4 fragments
}

// frame is what pass one learnt of a captured frame.
type frame struct {
	kind  kind
	seg   segment
	key   connKey
	inst  *instance
	side  int // which end of the 4-tuple sent it: 0 for key.lo
	epoch int // barriers seen before it
}

// piece is one segment to write: bytes [from, to) of a frame's new
// payload, written in the place (slot) of a frame of its run.
type piece struct {
	frame    int // the frame it comes from
	from, to int
	fin      bool
	slot     int // the frame whose place and timestamp it takes
	order    float64
	fixed    bool // the first bytes of a direction without a SYN: not moved
}

// Rewrite returns the packets of a capture as a network could have
// delivered them, with the same bytes in each TCP direction: every TCP
// payload cut into several segments at random points (also inside TLS
// record headers), neighbouring segments swapped, some sent again as they
// were, some sent again starting inside the segment before, and TLS
// handshake records split in two where that changes nothing hsdecode
// reports (see stream.go), some IPv4 segments sent as IP fragments.
// Segments move only among the segments of the
// same direction of a connection that the capture has between two
// packets of the other direction that carry data or SYN, FIN or RST, and
// never across SYN, RST, IP fragments or packets it cannot decode, which
// are written where they were; the first segment of a direction whose SYN
// was not captured stays first, since a capture that starts in the middle
// of a connection starts it there. Frames other than TCP are copied.
func Rewrite(pkts []capture.Packet, o Options) ([]capture.Packet, Stats) {
	o.defaults()
	rng := rand.New(rand.NewSource(o.Seed))
	var st Stats
	st.Frames = len(pkts)

	// Pass one: what each frame is, connections and their directions.
	dec := newDecoder()
	frames := make([]frame, len(pkts))
	segs := map[int]segment{}
	current := map[connKey]*instance{}
	var insts []*instance
	epoch := 0
	for i, p := range pkts {
		k, s := dec.decode(p.LinkType, p.Data)
		frames[i] = frame{kind: k, seg: s, epoch: epoch}
		if k == barrier {
			epoch++
			st.Barriers++
			continue
		}
		if k != tcp {
			continue
		}
		key := keyOf(s.src, s.dst)
		side := 0
		if s.src != key.lo {
			side = 1
		}
		inst := current[key]
		pureSYN := s.has(flagSYN) && !s.has(flagACK)
		if inst == nil || pureSYN && (!inst.sawSYN || inst.synSeq != s.seq) && (inst.sawSYN || inst.data) {
			inst = &instance{dirs: [2]*direction{newDirection(), newDirection()}}
			current[key] = inst
			insts = append(insts, inst)
		}
		if pureSYN && !inst.sawSYN {
			inst.sawSYN, inst.synSeq = true, s.seq
		}
		d := inst.dirs[side]
		if s.has(flagSYN) {
			if d.hasISN && d.isn != s.seq {
				d.isnConflict = true
			}
			d.hasISN, d.isn = true, s.seq
			if len(s.payload) > 0 {
				d.unsafe = true // data on a SYN: left as it is
			}
		}
		if s.has(flagFIN) {
			d.fin = true
		}
		if s.has(flagACK) {
			inst.dirs[1-side].ack(s.ack)
		}
		if len(s.payload) > 0 || s.has(flagFIN) || s.has(flagRST) {
			if d.first < 0 {
				d.first = i
			}
		}
		if len(s.payload) > 0 && !s.has(flagSYN) {
			d.frames = append(d.frames, i)
			inst.data = true
			segs[i] = s
		}
		frames[i].key, frames[i].inst, frames[i].side = key, inst, side
	}
	for _, inst := range insts {
		for _, d := range inst.dirs {
			st.RecordsSplit += d.plan(inst, segs, rng, o.SplitRecord)
		}
	}

	// Pass two: runs of segments of one direction, cut and rearranged.
	out := make([][]piece, len(pkts)) // pieces written in each frame's place
	done := make([]bool, len(pkts))
	for i := range pkts {
		f := &frames[i]
		if f.kind != tcp || done[i] || !movable(f) {
			continue
		}
		run := runFrom(frames, i)
		for _, j := range run {
			done[j] = true
		}
		pieces := cutRun(frames, run, rng, &o, &st)
		for _, pc := range pieces {
			out[pc.slot] = append(out[pc.slot], pc)
		}
	}
	res := make([]capture.Packet, 0, len(pkts)*2)
	ipID := uint16(rng.Intn(1 << 16)) // identifications of the fragments made
	for i, p := range pkts {
		f := &frames[i]
		if !done[i] {
			to := 0
			if f.kind == tcp {
				to = newLen(f)
			}
			res = append(res, rebuilt(p, f, 0, to, f.seg.has(flagFIN), &st))
			continue
		}
		sort.SliceStable(out[i], func(a, b int) bool { return out[i][a].order < out[i][b].order })
		for _, pc := range out[i] {
			f := &frames[pc.frame]
			q := rebuilt(pkts[pc.frame], f, pc.from, pc.to, pc.fin, nil)
			q.CaptureInfo.Timestamp = p.CaptureInfo.Timestamp
			if !f.seg.v6 && rng.Float64() < o.Fragment {
				ipID++
				if fs := fragment(q, f.seg.ipOff, ipID, rng); fs != nil {
					st.Fragmented++
					res = append(res, fs...)
					continue
				}
			}
			res = append(res, q)
		}
	}
	return res, st
}

// fragment cuts the IPv4 packet of a frame into two or three fragments
// (RFC 791: offsets in units of 8 bytes), given identification id, and
// sometimes in reverse order; nil when it is too short to cut.
func fragment(p capture.Packet, ipOff int, id uint16, rng *rand.Rand) []capture.Packet {
	ihl := int(p.Data[ipOff]&0x0f) * 4
	// A trailer after the IP packet (Ethernet pads short frames) is no
	// part of the datagram: in a fragment it would be.
	end := min(ipOff+int(binary.BigEndian.Uint16(p.Data[ipOff+2:])), len(p.Data))
	if end < ipOff+ihl {
		return nil
	}
	head, body := p.Data[:ipOff+ihl], p.Data[ipOff+ihl:end]
	units := len(body) / 8
	if units < 2 {
		return nil
	}
	cuts := []int{8 * (1 + rng.Intn(units-1))}
	if c := 8 * (1 + rng.Intn(units-1)); c != cuts[0] {
		cuts = append(cuts, c)
		slices.Sort(cuts)
	}
	var out []capture.Packet
	from := 0
	for k, to := range append(cuts, len(body)) {
		data := append(append([]byte(nil), head...), body[from:to]...)
		ip := data[ipOff:]
		binary.BigEndian.PutUint16(ip[2:], uint16(ihl+to-from))
		binary.BigEndian.PutUint16(ip[4:], id)
		fl := uint16(from / 8)
		if k < len(cuts) {
			fl |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(ip[6:], fl|binary.BigEndian.Uint16(ip[6:])&0x4000) // keep DF as it was
		ip[10], ip[11] = 0, 0
		binary.BigEndian.PutUint16(ip[10:], ^inet.Fold(inet.Sum(ip[:ihl], 0)))
		q := p
		q.Data = data
		q.CaptureInfo.CaptureLength, q.CaptureInfo.Length = len(data), len(data)
		out = append(out, q)
		from = to
	}
	if rng.Intn(2) == 0 {
		slices.Reverse(out)
	}
	return out
}

// movable reports whether a TCP frame may be cut and moved: it carries
// payload or FIN, and no SYN or RST.
func movable(f *frame) bool {
	s := &f.seg
	return (len(s.payload) > 0 || s.has(flagFIN)) && !s.has(flagSYN) && !s.has(flagRST)
}

// runFrom returns the run that starts at frame i: the movable frames of
// its direction that follow it before a frame of the other direction
// with payload, SYN, FIN or RST, a SYN or RST of its own, a barrier, or
// its own FIN (included). Bare ACKs do not end it; they stay in place.
func runFrom(frames []frame, i int) []int {
	f := &frames[i]
	run := []int{i}
	if f.seg.has(flagFIN) {
		return run
	}
	for j := i + 1; j < len(frames); j++ {
		g := &frames[j]
		if g.epoch != f.epoch {
			break
		}
		if g.kind != tcp || g.key != f.key {
			continue
		}
		if g.inst != f.inst {
			break // the 4-tuple is used again
		}
		s := &g.seg
		if g.side != f.side {
			if len(s.payload) > 0 || s.flags&(flagSYN|flagFIN|flagRST) != 0 {
				break
			}
			continue
		}
		if !movable(g) {
			break
		}
		run = append(run, j)
		if s.has(flagFIN) {
			break
		}
	}
	return run
}

// cutRun cuts the payloads of a run into pieces and rearranges them.
func cutRun(frames []frame, run []int, rng *rand.Rand, o *Options, st *Stats) []piece {
	var ps []piece
	for _, i := range run {
		f := &frames[i]
		d := f.inst.dirs[f.side]
		n := newLen(f)
		fin := f.seg.has(flagFIN)
		if n == 0 {
			ps = append(ps, piece{frame: i, fin: fin})
			continue
		}
		st.Segments++
		cuts := cutPoints(f, d, n, rng, o, st)
		from := 0
		for k, c := range append(cuts, n) {
			pc := piece{frame: i, from: from, to: c, fin: fin && c == n}
			// A capture that begins after a direction's SYN starts the
			// direction at its first segment: that one stays first.
			if k == 0 && i == d.first && !d.hasISN {
				pc.fixed = true
				st.Kept++
			}
			ps = append(ps, pc)
			from = c
		}
	}
	st.Pieces += len(ps)
	for k := range ps {
		ps[k].slot, ps[k].order = ps[k].frame, float64(k)
	}
	// Overlapping retransmissions: a piece sent from inside the one
	// before it, with its own new bytes. Only between pieces of one frame,
	// so that both are bytes of the same payload.
	for k := 1; k < len(ps); k++ {
		a, b := &ps[k-1], &ps[k]
		if a.frame == b.frame && a.to-a.from >= 2 && b.to > b.from && rng.Float64() < o.Overlap {
			b.from = a.from + 1 + rng.Intn(a.to-a.from-1)
			st.Overlapped++
		}
	}
	// Neighbours swapped: each takes the other's place.
	for k := 1; k < len(ps); k++ {
		a, b := &ps[k-1], &ps[k]
		if !a.fixed && !b.fixed && rng.Float64() < o.Swap {
			a.slot, b.slot = b.slot, a.slot
			a.order, b.order = b.order, a.order
			st.Swapped++
		}
	}
	// Exact retransmissions, somewhere later in the run.
	n := len(ps)
	for k := 0; k < n; k++ {
		if ps[k].to > ps[k].from && rng.Float64() < o.Duplicate {
			later := ps[k+rng.Intn(n-k)]
			dup := ps[k]
			dup.fixed = false
			dup.slot, dup.order = later.slot, later.order+0.5
			ps = append(ps, dup)
			st.Duplicated++
		}
	}
	return ps
}

// newLen is the length of a frame's payload once the new record headers
// are in.
func newLen(f *frame) int {
	d := f.inst.dirs[f.side]
	if r, ok := d.rel(f.seg.seq); ok && len(d.splits) > 0 {
		return d.mapOff(r+len(f.seg.payload)) - d.mapOff(r)
	}
	return len(f.seg.payload)
}

// cutPoints chooses where a payload of n bytes is cut: at random, and
// inside some of the record headers it holds.
func cutPoints(f *frame, d *direction, n int, rng *rand.Rand, o *Options, st *Stats) []int {
	if n < 2 {
		return nil
	}
	set := map[int]bool{}
	for _, h := range headersIn(f, d) {
		if rng.Float64() < o.HeaderCut {
			c := h + 1 + rng.Intn(recordHeaderLen-1)
			if c > 0 && c < n && !set[c] {
				set[c] = true
				st.HeadersCut++
			}
		}
	}
	want := 1 + rng.Intn(o.MaxPieces-1)
	for tries := 0; len(set) < want && tries < 4*want; tries++ {
		set[1+rng.Intn(n-1)] = true
	}
	cuts := make([]int, 0, len(set))
	for c := range set {
		cuts = append(cuts, c)
	}
	slices.Sort(cuts)
	return cuts
}

// headersIn returns the offsets, in a frame's new payload, where TLS
// record headers start: known from the stream where it was assembled,
// otherwise where the bytes look like one (type 20-24, version 3.0-3.4).
func headersIn(f *frame, d *direction) []int {
	if r, ok := d.rel(f.seg.seq); ok {
		from, to := d.mapOff(r), d.mapOff(r+len(f.seg.payload))
		var hs []int
		for _, h := range d.headers {
			if h >= from && h < to {
				hs = append(hs, h-from)
			}
		}
		return hs
	}
	var hs []int
	b := f.seg.payload
	for i := 0; i+3 <= len(b); i++ {
		if b[i] >= 20 && b[i] <= 24 && b[i+1] == 3 && b[i+2] <= 4 {
			hs = append(hs, i)
		}
	}
	return hs
}

// rebuilt is a frame with bytes [from, to) of its new payload, its
// sequence numbers mapped past the new record headers, FIN when fin. A
// frame that needs no change is returned as it was (counted in st when
// given).
func rebuilt(p capture.Packet, f *frame, from, to int, fin bool, st *Stats) capture.Packet {
	if f.kind != tcp {
		if st != nil {
			st.Unchanged++
		}
		return p
	}
	s := &f.seg
	d, peer := f.inst.dirs[f.side], f.inst.dirs[1-f.side]
	seq, ack := d.mapSeq(s.seq), s.ack
	if s.has(flagACK) {
		ack = peer.mapSeq(s.ack)
	}
	payload := s.payload
	if r, ok := d.rel(s.seq); ok && len(d.splits) > 0 && !s.has(flagSYN) {
		start := d.mapOff(r)
		payload = d.newStream[start : start+newLen(f)]
	}
	flags := s.flags
	if !fin {
		flags &^= flagFIN
	}
	if from == 0 && to == len(s.payload) && len(payload) == len(s.payload) && seq == s.seq && ack == s.ack && flags == s.flags {
		if st != nil {
			st.Unchanged++
		}
		return p
	}
	data := build(p.Data, *s, payload[from:to], seq+uint32(from), ack, flags)
	q := p
	q.Data = data
	q.CaptureInfo.CaptureLength, q.CaptureInfo.Length = len(data), len(data)
	return q
}

// Trim returns a TCP segment's frame with the first n bytes of its payload
// taken off and its sequence number moved past them, as if a capture had
// begun inside the segment; false when the frame is not a whole TCP
// segment with more than n bytes of payload.
func Trim(p capture.Packet, n int) (capture.Packet, bool) {
	k, s := newDecoder().decode(p.LinkType, p.Data)
	if k != tcp || n < 0 || n >= len(s.payload) {
		return p, false
	}
	q := p
	q.Data = build(p.Data, s, s.payload[n:], s.seq+uint32(n), s.ack, s.flags)
	q.CaptureInfo.CaptureLength, q.CaptureInfo.Length = len(q.Data), len(q.Data)
	return q, true
}

// Split returns a TCP segment's frame cut in two after the first n bytes
// of its payload, as a sender could have sent it (a FIN goes with the
// second); false when the frame is not a whole TCP segment with more than
// n bytes of payload, or n is not positive.
func Split(p capture.Packet, n int) (head, tail capture.Packet, ok bool) {
	k, s := newDecoder().decode(p.LinkType, p.Data)
	if k != tcp || n <= 0 || n >= len(s.payload) {
		return p, p, false
	}
	head = p
	head.Data = build(p.Data, s, s.payload[:n], s.seq, s.ack, s.flags&^flagFIN)
	head.CaptureInfo.CaptureLength, head.CaptureInfo.Length = len(head.Data), len(head.Data)
	tail, _ = Trim(p, n)
	return head, tail, true
}
