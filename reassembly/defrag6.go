package reassembly

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// IPv6 fragments (RFC 8200, 4.5) are put back together here, gopacket
// having no reassembler for them, within the bound, the timeout and the
// accounting of IPv4's (defrag.go): their datagrams are entries of the
// same table. The rules are a Linux receiver's: a fragment whose bytes
// overlap another's drops the whole datagram (RFC 5722, 4), an exact
// repeat is ignored (RFC 8200, 4.5, which allows it), and so is nothing
// else; a fragment of the wrong size or beyond the datagram's end is
// dropped alone, or with the datagram when it contradicts the end already
// known. An atomic fragment (offset 0, M clear) is a datagram of its own,
// kept from every other (RFC 6946, 4).

// Skip reasons of IPv6 fragments.
const (
	reasonFragment6Invalid    = "IPv6 fragment: invalid (overlap, size or offset)"
	reasonFragment6Incomplete = "IPv6 fragment: datagram incomplete"
	reasonFragment6Memory     = "IPv6 fragment: dropped to bound memory"
)

// maxIPv6Payload is the largest fragmentable datagram: fragment offsets
// and lengths add up to a 16-bit payload length (RFC 8200, 4.5).
const maxIPv6Payload = 65535

// held6 holds the fragments of an IPv6 datagram.
type held6 struct {
	pieces []piece6 // by offset, none overlapping
	// end is the length of the fragmentable part, known from the last
	// fragment (M clear), -1 before it came.
	end  int
	next layers.IPProtocol // the first fragment's Next Header
	// first says the fragment at offset 0 came, and with it next.
	first bool
}

// piece6 is a fragment's data, copied, at its offset.
type piece6 struct {
	off  int
	data []byte
}

// fragmentHeader returns the bytes of an IPv6 packet from its fragment
// header on, where decode stopped: after the fixed header (with its
// hop-by-hop options, which layers.IPv6 decodes) or the last extension
// header.
func (d *decoder) fragmentHeader() []byte {
	if d.decoded[len(d.decoded)-1] == layers.LayerTypeIPv6 {
		return d.ip6.Payload
	}
	return d.ip6ext.Payload
}

// add6 gives defrag an IPv6 fragment: the packet's fixed header and the
// bytes from its fragment header on, both only valid during the call. It
// returns the datagram when this fragment completes one, or is one
// (atomic). skip is called for fragments dropped, with the reason and how
// many.
func (f *defrag) add6(ip *layers.IPv6, b []byte, now time.Time, skip func(reason string, n int64)) *datagram {
	f.expire(now, skip)
	if len(b) < 8 {
		skip(reasonFragment6Invalid, 1)
		return nil
	}
	next := layers.IPProtocol(b[0])
	off := int(binary.BigEndian.Uint16(b[2:4]) &^ 7)
	more := b[3]&1 != 0
	id := binary.BigEndian.Uint32(b[4:8])
	data := b[8:]
	src, _ := netip.AddrFromSlice(ip.SrcIP)
	dst, _ := netip.AddrFromSlice(ip.DstIP)
	if off == 0 && !more {
		// RFC 6946, 4: processed in isolation from any other fragment.
		return upperLayer(&datagram{src: src, dst: dst, proto: next, payload: slices.Clone(data), frags: 1})
	}
	// RFC 8200, 4.5: a fragment other than the last whose length is not
	// a multiple of 8, or one that would end past 65535, is discarded.
	if (more && len(data)%8 != 0) || off+len(data) > maxIPv6Payload || len(data) == 0 {
		skip(reasonFragment6Invalid, 1)
		return nil
	}
	k := fragKey{src, dst, id, layers.IPProtocolIPv6Fragment}
	e := f.entries[k]
	if e == nil {
		e = &fragEntry{v6: &held6{end: -1}}
		f.entries[k] = e
	}
	e.frags++
	e.last = now
	fr := e.v6
	switch fr.insert(off, data, more) {
	case insertRepeat:
		return nil
	case insertInvalid:
		f.remove(k, e)
		skip(reasonFragment6Invalid, int64(e.frags))
		return nil
	}
	if off == 0 {
		fr.first, fr.next = true, next
	}
	cost := int64(len(data)) + fragmentCost
	e.bytes += cost
	f.bytes += cost
	if p := fr.whole(); p != nil {
		f.remove(k, e)
		return upperLayer(&datagram{src: src, dst: dst, proto: fr.next, payload: p, frags: e.frags})
	}
	if f.bytes > f.limit {
		f.shed(k, skip)
	}
	return nil
}

// insert results.
const (
	insertAdded = iota
	insertRepeat
	insertInvalid // the datagram is to be dropped
)

// insert adds a fragment's data (copied) at off, the last one when more
// is false.
func (fr *held6) insert(off int, data []byte, more bool) int {
	end := off + len(data)
	switch {
	case !more && fr.end >= 0 && fr.end != end:
		return insertInvalid // two ends
	case !more && len(fr.pieces) > 0 && fr.pieces[len(fr.pieces)-1].end() > end:
		return insertInvalid // bytes already held past the end
	case more && fr.end >= 0 && end > fr.end:
		return insertInvalid // past the end
	}
	i, _ := slices.BinarySearchFunc(fr.pieces, off, func(p piece6, off int) int { return p.off - off })
	if i < len(fr.pieces) && fr.pieces[i].off == off && fr.pieces[i].end() == end {
		return insertRepeat // RFC 8200, 4.5: an exact duplicate
	}
	// RFC 5722, 4: any other overlap discards the datagram.
	if (i > 0 && fr.pieces[i-1].end() > off) || (i < len(fr.pieces) && fr.pieces[i].off < end) {
		return insertInvalid
	}
	fr.pieces = slices.Insert(fr.pieces, i, piece6{off, slices.Clone(data)})
	if !more {
		fr.end = end
	}
	return insertAdded
}

func (p piece6) end() int { return p.off + len(p.data) }

// whole returns the fragmentable part once every byte of it came, else
// nil.
func (fr *held6) whole() []byte {
	if !fr.first || fr.end < 0 {
		return nil
	}
	at := 0
	for _, p := range fr.pieces {
		if p.off != at {
			return nil
		}
		at = p.end()
	}
	if at != fr.end {
		return nil
	}
	b := make([]byte, 0, fr.end)
	for _, p := range fr.pieces {
		b = append(b, p.data...)
	}
	return b
}

// upperLayer moves a datagram's payload past the extension headers of its
// fragmentable part (RFC 8200, 4.1: destination options, and routing
// ones when a sender puts them there) to its upper-layer header; one it
// cannot read leaves proto at that header, which is then not TCP.
func upperLayer(dg *datagram) *datagram {
	for dg.proto == layers.IPProtocolIPv6Destination || dg.proto == layers.IPProtocolIPv6Routing ||
		dg.proto == layers.IPProtocolIPv6HopByHop {
		p := dg.payload
		if len(p) < 2 || len(p) < int(p[1])*8+8 {
			return dg
		}
		dg.proto, dg.payload = layers.IPProtocol(p[0]), p[int(p[1])*8+8:]
	}
	return dg
}
