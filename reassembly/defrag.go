package reassembly

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// IPv4 fragments are put back together with gopacket's ip4defrag, which
// applies the rules a Linux receiver does (RFC 791; repeats ignored, any
// other overlap drops the datagram, a fragment beyond the final one
// drops it). ip4defrag keeps the fragments it is given without copying
// them and has no bound of its own, so defrag copies each fragment, counts
// the bytes it holds per datagram, and drops the oldest datagrams when
// they exceed their share of the memory bound or fragTimeout of capture
// time.
const (
	// fragTimeout is how long, in capture time, the fragments of an
	// incomplete datagram are kept: Linux's ipfrag_time.
	fragTimeout = 30 * time.Second
	// maxFragmentBytes bounds the bytes held in fragments (Linux's
	// ipfrag_high_thresh), and at most a quarter of
	// Options.MaxBufferedBytes. Past it, the datagrams seen least lately
	// are dropped until a quarter of the room is free again.
	maxFragmentBytes = 4 << 20
	// fragmentCost is what a held fragment costs beyond its bytes:
	// ip4defrag's layer and list entry, our bookkeeping.
	fragmentCost = 256
)

// Skip reasons of fragments.
const (
	reasonFragmentInvalid    = "IPv4 fragment: invalid (overlap, size or offset)"
	reasonFragmentIncomplete = "IPv4 fragment: datagram incomplete"
	reasonFragmentMemory     = "IPv4 fragment: dropped to bound memory"
)

// fragKey names a datagram (RFC 791, 2.3: source, destination, protocol
// and identification; RFC 8200, 4.5: source, destination and
// identification, proto then being IPProtocolIPv6Fragment).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    layers.IPProtocol
}

// fragEntry is what defrag knows of a datagram, held by ip4defrag or, for
// IPv6, in v6.
type fragEntry struct {
	frags int       // fragments given, counted as skipped if it never completes
	bytes int64     // what they cost
	last  time.Time // the latest one's capture time
	v6    *held6
}

// reason is the skip reason of the entry's family among those of IPv4
// and IPv6.
func (e *fragEntry) reason(r reasons) string {
	if e.v6 != nil {
		return r.v6
	}
	return r.v4
}

// reasons is a skip reason of fragments as said of each family.
type reasons struct{ v4, v6 string }

var (
	fragIncomplete = reasons{reasonFragmentIncomplete, reasonFragment6Incomplete}
	fragMemory     = reasons{reasonFragmentMemory, reasonFragment6Memory}
)

// datagram is an IP datagram made whole from fragments, from its
// upper-layer header on; its bytes are defrag's own, kept by no one after.
type datagram struct {
	src, dst netip.Addr
	proto    layers.IPProtocol
	payload  []byte
	frags    int // the fragments it was made of
}

// defrag reassembles IPv4 and IPv6 datagrams, within one bound on the
// bytes held by both.
type defrag struct {
	d       *ip4defrag.IPv4Defragmenter
	entries map[fragKey]*fragEntry
	bytes   int64 // held in all entries
	limit   int64
	sweep   time.Time // when entries older than fragTimeout are next looked for
}

func newDefrag(maxBuffered int64) *defrag {
	return &defrag{
		d:       ip4defrag.NewIPv4Defragmenter(),
		entries: make(map[fragKey]*fragEntry),
		limit:   min(maxFragmentBytes, max(maxBuffered/4, 1)),
	}
}

// add gives defrag an IPv4 fragment; ip is only valid during the call. It
// returns the datagram when this fragment completes one. skip is called
// for fragments dropped, with the reason and how many.
func (f *defrag) add(ip *layers.IPv4, now time.Time, skip func(reason string, n int64)) *datagram {
	f.expire(now, skip)
	// A copy that owns its bytes: ip4defrag keeps the layer it is given.
	b := make([]byte, 0, len(ip.Contents)+len(ip.Payload))
	b = append(append(b, ip.Contents...), ip.Payload...)
	own := new(layers.IPv4)
	if err := own.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		// It decoded once already; it cannot fail on the same bytes.
		skip(reasonFragmentInvalid, 1)
		return nil
	}
	src, _ := netip.AddrFromSlice(own.SrcIP)
	dst, _ := netip.AddrFromSlice(own.DstIP)
	k := fragKey{src, dst, uint32(own.Id), own.Protocol}
	e := f.entries[k]
	if e == nil {
		e = new(fragEntry)
		f.entries[k] = e
	}
	cost := int64(len(b)) + fragmentCost
	e.frags++
	e.bytes += cost
	e.last = now
	f.bytes += cost
	out, err := f.d.DefragIPv4WithTimestamp(own, now)
	switch {
	case err != nil:
		// ip4defrag dropped the datagram's fragments, as a receiver does.
		f.remove(k, e)
		skip(reasonFragmentInvalid, int64(e.frags))
		return nil
	case out != nil:
		f.remove(k, e)
		return &datagram{src: src, dst: dst, proto: out.Protocol, payload: out.Payload, frags: e.frags}
	}
	if f.bytes > f.limit {
		f.shed(k, skip)
	}
	return nil
}

func (f *defrag) remove(k fragKey, e *fragEntry) {
	delete(f.entries, k)
	f.bytes -= e.bytes
}

// drop removes every datagram whose latest fragment came before cutoff,
// counting their fragments as skipped for reason.
//
// ip4defrag drops by the time of its latest stored fragment, which is
// never later than ours (a repeat it ignores still counts here), so
// everything dropped here is dropped there too; a datagram it drops that
// is kept here (its latest fragment was a repeat) is counted until it
// expires, which only errs towards holding less.
func (f *defrag) drop(cutoff time.Time, reason reasons, skip func(string, int64)) {
	f.d.DiscardOlderThan(cutoff)
	for k, e := range f.entries {
		if e.last.Before(cutoff) {
			f.remove(k, e)
			skip(e.reason(reason), int64(e.frags))
		}
	}
}

// expire drops the datagrams incomplete for longer than fragTimeout,
// looking every fragTimeout/4 of capture time.
func (f *defrag) expire(now time.Time, skip func(string, int64)) {
	if len(f.entries) == 0 || now.Before(f.sweep) {
		return
	}
	f.sweep = now.Add(fragTimeout / 4)
	f.drop(now.Add(-fragTimeout), fragIncomplete, skip)
}

// shed drops the datagrams seen least lately until a quarter of the
// room is free, keeping the one that came in (keep) when it can: sorting
// is paid once per quarter of the room.
func (f *defrag) shed(keep fragKey, skip func(string, int64)) {
	type aged struct {
		last  time.Time
		bytes int64
	}
	all := make([]aged, 0, len(f.entries))
	for k, e := range f.entries {
		if k != keep {
			all = append(all, aged{e.last, e.bytes})
		}
	}
	slices.SortFunc(all, func(x, y aged) int { return x.last.Compare(y.last) })
	target := f.limit * 3 / 4
	held := f.bytes
	var cutoff time.Time
	for _, a := range all {
		if held <= target {
			break
		}
		held -= a.bytes
		cutoff = a.last.Add(1) // everything as old goes too
	}
	if cutoff.IsZero() {
		return
	}
	f.drop(cutoff, fragMemory, skip)
}

// flush drops what is left at the end of the input.
func (f *defrag) flush(skip func(string, int64)) {
	for k, e := range f.entries {
		f.remove(k, e)
		skip(e.reason(fragIncomplete), int64(e.frags))
	}
	f.d = ip4defrag.NewIPv4Defragmenter()
}

// frameSegment decodes a frame into its TCP segment, giving an IP
// fragment to f to be put back together; Assembler and Sharded read frames
// alike. ok is false when the frame gives no segment now: skipped, and
// counted with skip, or a fragment of a datagram not yet whole. dg is the
// datagram this frame made whole, if it did (counted in defragmented).
func (d *decoder) frameSegment(f *defrag, link layers.LinkType, data []byte, lost int, now time.Time,
	skip func(reason string, n int64), defragmented *int64) (seg segment, dg *datagram, ok bool) {
	seg, reason := d.decode(link, data, lost)
	frames := int64(1)
	switch reason {
	case reasonIPv4Fragment:
		dg = f.add(&d.ip4.IPv4, now, skip)
	case reasonIPv6Fragment:
		dg = f.add6(&d.ip6.IPv6, d.fragmentHeader(), now, skip)
	}
	if reason == reasonIPv4Fragment || reason == reasonIPv6Fragment {
		if dg == nil {
			return segment{}, nil, false
		}
		if dg.frags > 1 {
			*defragmented++
		}
		frames = int64(dg.frags)
		seg, reason = d.datagramSegment(dg)
	}
	if reason != "" {
		skip(reason, frames)
		return segment{}, nil, false
	}
	seg.frames = int(frames)
	return seg, dg, true
}

// datagramSegment decodes the TCP segment, or the UDP datagram (udp.go),
// of a datagram defrag rebuilt.
func (d *decoder) datagramSegment(dg *datagram) (segment, string) {
	return d.datagramIP(dg.src, dg.dst, uint8(dg.proto), dg.payload)
}
