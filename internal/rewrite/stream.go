package rewrite

import (
	"math/rand"
	"net/netip"
	"sort"

	"github.com/hsdecode/hsdecode/decode"
)

// The rewriter splits TLS handshake records in two only where that cannot
// change what hsdecode reports, since it adds 5 bytes to the stream (the
// new record header) and so moves every later offset: in a connection
// whose SYN was captured (hsdecode then reads records strictly from the
// first byte, not looking for a boundary), in a direction whose bytes
// were all captured from its SYN on, with no conflicting retransmission,
// and that is TLS records from its first byte to its last, so that no
// offset of a malformed record can be reported after the split. A
// direction whose peer acknowledges bytes beyond those captured lost its
// last ones: hsdecode reports that hole with its stream offset, which a
// split before it would move, so such a direction is not split either. Only
// plaintext handshake records are split, those before the direction's
// first ChangeCipherSpec or application data record, and only when whole
// handshake messages fill them exactly, in a direction where hsdecode's
// decoder finds nothing malformed (it reports where, as a stream offset).

// connKey is a 4-tuple, the same for both directions.
type connKey struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) connKey {
	if b.Compare(a) < 0 {
		return connKey{b, a}
	}
	return connKey{a, b}
}

// instance is one connection on a 4-tuple: from its SYN, or its first
// segment, to the next SYN with another sequence number.
type instance struct {
	sawSYN bool   // a SYN without ACK was captured
	synSeq uint32 // its sequence number
	data   bool   // a segment with payload was seen
	dirs   [2]*direction
}

// direction is one side of an instance.
type direction struct {
	hasISN, isnConflict bool
	isn                 uint32
	unsafe              bool  // the stream may not be changed
	frames              []int // frames with payload, in capture order
	first               int   // the first frame with payload or FIN, -1 before
	fin                 bool  // a FIN of it was captured
	// The furthest acknowledgement of it its peer sent, if any.
	acked  bool
	maxAck uint32

	// For a direction whose records are split: the stream as captured,
	// where the new record headers go (offsets in it, ascending), and
	// the stream with them.
	stream, newStream []byte
	splits            []int
	// headers are the offsets of record headers in newStream.
	headers []int
}

func newDirection() *direction { return &direction{first: -1} }

// rel is where a sequence number lies in the stream as captured, and
// whether it does (between the first byte and one past the last).
func (d *direction) rel(seq uint32) (int, bool) {
	if !d.hasISN || d.stream == nil {
		return 0, false
	}
	r := seq - (d.isn + 1)
	if r > uint32(len(d.stream)) {
		return 0, false
	}
	return int(r), true
}

// mapOff is where stream offset x is once the new headers are in: each
// header inserted before x moves it by 5 (one inserted at x comes before
// the byte at x, so a segment starting there starts with it).
func (d *direction) mapOff(x int) int {
	return x + recordHeaderLen*sort.SearchInts(d.splits, x)
}

// mapSeq maps a sequence number of this direction, the one after its FIN
// included; numbers outside the captured stream are left as they are.
func (d *direction) mapSeq(seq uint32) uint32 {
	if len(d.splits) == 0 {
		return seq
	}
	if r, ok := d.rel(seq); ok {
		return d.isn + 1 + uint32(d.mapOff(r))
	}
	if r, ok := d.rel(seq - 1); ok && r == len(d.stream) {
		return d.isn + 2 + uint32(d.mapOff(r)) // acknowledging the FIN
	}
	return seq
}

// ackedUnseen reports whether the peer acknowledged more of the direction
// than the n bytes captured (and its FIN, when that was captured).
func (d *direction) ackedUnseen(n int) bool {
	if d.fin {
		n++
	}
	return d.acked && int64(int32(d.maxAck-(d.isn+1))) > int64(n)
}

// ack notes an acknowledgement the peer sent of the direction.
func (d *direction) ack(ack uint32) {
	if !d.acked || int32(ack-d.maxAck) > 0 {
		d.acked, d.maxAck = true, ack
	}
}

const (
	recordHeaderLen    = 5
	handshakeHeaderLen = 4
	maxRecord          = 16384 + 2048
)

// plan looks at a direction's captured bytes and, where it is safe,
// chooses records to split (each with probability p) and builds the
// stream with the new headers.
func (d *direction) plan(inst *instance, segs map[int]segment, rng *rand.Rand, p float64) int {
	if !inst.sawSYN || !d.hasISN || d.isnConflict || d.unsafe || len(d.frames) == 0 {
		return 0
	}
	stream, ok := d.assemble(segs)
	if !ok || d.ackedUnseen(len(stream)) {
		return 0
	}
	type rec struct{ off, n int }
	var cands []rec
	plaintext := true
	for off := 0; off < len(stream); {
		if len(stream)-off < recordHeaderLen {
			return 0 // a header cut short: not records to the end
		}
		h := stream[off:]
		typ, n := h[0], int(h[3])<<8|int(h[4])
		if typ < 20 || typ > 24 || h[1] != 3 || h[2] > 4 || n > maxRecord {
			return 0
		}
		if off+recordHeaderLen+n > len(stream) {
			break // the last record, cut by the end of the capture
		}
		switch {
		case typ == 20 || typ == 23:
			plaintext = false
		case typ == 22 && plaintext && n >= 2 && wholeMessages(h[recordHeaderLen:recordHeaderLen+n]):
			cands = append(cands, rec{off, n})
		}
		off += recordHeaderLen + n
	}
	if !decodes(stream) {
		return 0
	}
	d.stream = stream
	var lens = map[int][2]int{} // record offset -> new lengths
	for _, c := range cands {
		if rng.Float64() >= p {
			continue
		}
		k := 1 + rng.Intn(c.n-1)
		d.splits = append(d.splits, c.off+recordHeaderLen+k)
		lens[c.off] = [2]int{k, c.n - k}
	}
	// The new stream, and where its record headers are.
	ns := make([]byte, 0, len(stream)+recordHeaderLen*len(d.splits))
	for off := 0; off < len(stream); {
		h := stream[off:]
		n := int(h[3])<<8 | int(h[4])
		end := min(off+recordHeaderLen+n, len(stream))
		d.headers = append(d.headers, len(ns))
		l, split := lens[off]
		if !split {
			ns = append(ns, stream[off:end]...)
			off = end
			continue
		}
		first := off + recordHeaderLen + l[0]
		ns = append(ns, h[0], h[1], h[2], byte(l[0]>>8), byte(l[0]))
		ns = append(ns, stream[off+recordHeaderLen:first]...)
		d.headers = append(d.headers, len(ns))
		ns = append(ns, h[0], h[1], h[2], byte(l[1]>>8), byte(l[1]))
		ns = append(ns, stream[first:end]...)
		off = end
	}
	d.newStream = ns
	return len(d.splits)
}

// decodes reports whether hsdecode's decoder reads a direction's bytes
// without an error, taking records after a ChangeCipherSpec as encrypted
// as flows does in TLS 1.2 and below (in TLS 1.3 they are application
// data records anyway).
func decodes(stream []byte) bool {
	ds := decode.NewStream(decode.Options{})
	ds.Feed(stream)
	for {
		ev, ok, err := ds.Next()
		if err != nil {
			return false
		}
		if !ok {
			return true
		}
		if ev.Kind == decode.EventChangeCipherSpec {
			ds.SetEncrypted()
		}
	}
}

// assemble puts a direction's captured payload in order from its ISN. It
// fails when a byte is missing, two segments disagree on one, or a
// segment lies outside a plausible window.
func (d *direction) assemble(segs map[int]segment) ([]byte, bool) {
	var end int
	for _, i := range d.frames {
		s := segs[i]
		r := s.seq - (d.isn + 1)
		if r >= 1<<30 {
			return nil, false
		}
		end = max(end, int(r)+len(s.payload))
	}
	stream := make([]byte, end)
	have := make([]bool, end)
	for _, i := range d.frames {
		s := segs[i]
		r := int(s.seq - (d.isn + 1))
		for j, b := range s.payload {
			if have[r+j] && stream[r+j] != b {
				return nil, false
			}
			stream[r+j], have[r+j] = b, true
		}
	}
	for _, h := range have {
		if !h {
			return nil, false
		}
	}
	return stream, true
}

// wholeMessages reports whether b is a run of complete handshake messages
// of types a TLS or SSL 3.0 peer sends, their lengths tiling b exactly.
func wholeMessages(b []byte) bool {
	for len(b) > 0 {
		if len(b) < handshakeHeaderLen {
			return false
		}
		switch b[0] {
		case 0, 1, 2, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24:
		default:
			return false
		}
		n := handshakeHeaderLen + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
		if n > len(b) {
			return false
		}
		b = b[n:]
	}
	return true
}
