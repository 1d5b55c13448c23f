package reassembly

import (
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/stream"
)

// Sharded spreads connections over several Assemblers, each on a goroutine
// of its own, by a hash of their 4-tuple: every packet of a connection goes
// to the same one, in capture order, so each connection is reassembled
// exactly as a single Assembler would, and its Stream called on that
// worker's goroutine.
//
// What a single Assembler decides across connections is decided here, once,
// and passed on: packet numbers (ConnInfo.Seq counts every packet given to
// Sharded), capture time (clock.go: it closes idle connections and ends
// the wait after a RST; a frame stamped far ahead is held here, until the
// next packet, and its workers get it then), the moments idle connections
// are looked for, and IP fragments, which carry no ports until made
// whole. So every connection gets the same calls, with the same arguments,
// as from one Assembler given the same packets. The memory bound is
// kept bucket by bucket (memory.go), and each worker has whole buckets, so
// the connections closed for memory are the same too; fragments are held
// here, within the same bound as one Assembler. Stats.MaxOpen and
// Stats.MaxBuffered add up the workers' peaks, an upper bound of the peak.
//
// Packet and EndBatch are called from one goroutine.
type Sharded struct {
	workers []*shardWorker
	dec     *decoder
	frag    *defrag
	stats   Stats // Packets, Bytes, and the packets skipped before a worker
	index   uint64
	now     time.Time
	sweeps  sweeps
	step    time.Duration // maxStep
	ahead   heldFrame     // a frame stamped too far ahead, until the next packet
	checks  checksums
	every   uint64 // markEvery
	wg      sync.WaitGroup
	// routes holds the UDP flows a handshake began and their paths, so
	// that a datagram of no such flow is skipped here rather than sent to
	// a worker, and one of a new path goes to its flow's (migration.go).
	routes    udpRoutes
	idle      time.Duration
	issuedIDs bool // Options.IssuedIDs
	// gtp pairs the TEIDs of GTP-U connections here, once, so that both
	// directions reach the same worker and the same connection (gtp.go).
	gtp gtpPairs
}

// shardItem is what a worker is given of a packet.
type shardItem struct {
	kind  itemKind
	link  layers.LinkType
	data  []byte // the frame, or the TCP bytes of a datagram made whole
	lost  int    // bytes the capture left out
	ts    time.Time
	prev  time.Time // capture time before this packet
	now   time.Time // capture time with it: the latest timestamp seen so far
	index uint64
	src   netip.Addr // a datagram's addresses and protocol
	dst   netip.Addr
	proto uint8
	// frames is how many frames a datagram was made of.
	frames int
	// verify: its checksums are to be verified (checksums.verify).
	verify bool
	// quick is quickTCP's look at a frame, taken once to pick the worker.
	quick quickLook
	// tun is the identity of the tunnels of a GTP-U packet, its TEIDs
	// paired here (gtpPairs), which the worker's decode leaves out.
	tun uint64
	// path is the key of the QUIC flow a datagram is a new path of
	// (udpRoutes.route), which never changes once made; issued as in
	// segment.
	path   *connKey
	issued bool
}

type itemKind uint8

const (
	itemFrame    itemKind = iota // a frame to decode
	itemDatagram                 // an IP datagram made whole from fragments
	itemSweep                    // look for idle connections, at now
	itemMark                     // the packets before it are done: call done
)

type shardBatch struct {
	items []shardItem
	now   time.Time // capture time at its end
	ref   *batchRef
}

// batchRef calls release once every worker is done with a batch.
type batchRef struct {
	left    atomic.Int32
	release func()
}

func (r *batchRef) done() {
	if r.left.Add(-1) == 0 && r.release != nil {
		r.release()
	}
}

type shardWorker struct {
	a       *Assembler
	in      chan shardBatch
	free    chan []shardItem
	pending []shardItem
	conns   atomic.Int64 // Stats.Connections, for progress while it runs
	held    atomic.Int64 // Stats.Buffered, for --metrics while it runs
}

// workerQueue bounds the batches waiting for a worker, and so the memory
// the reader may run ahead with.
const workerQueue = 8

// NewSharded returns a Sharded with n workers (at least one), the Streams
// of worker i made by factory(i). After every markEvery packets given to
// Packet (none when 0), and after Flush, worker i calls done(i, next) on its
// goroutine, once it has taken those packets: none of its connections to
// come will have a Seq below next, the number of the last of them. Every
// worker makes the same calls at the same packets, whatever the number of
// workers, and as a single Assembler's caller would make them after
// every markEvery calls of Packet (pipeline merges results by them).
func NewSharded(n int, factory func(worker int) stream.Factory, o Options, markEvery uint64, done func(worker int, next uint64)) *Sharded {
	n = max(n, 1)
	if done == nil {
		done = func(int, uint64) {}
	}
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	s := &Sharded{
		dec:       newDecoder(),
		frag:      newDefrag(o.MaxBufferedBytes),
		sweeps:    newSweeps(o.IdleTimeout),
		step:      maxStep(o.IdleTimeout),
		stats:     Stats{Skipped: make(map[string]int64)},
		checks:    checksums{mode: o.ChecksumMode},
		every:     markEvery,
		routes:    newUDPRoutes(),
		idle:      o.IdleTimeout,
		issuedIDs: o.IssuedIDs,
	}
	for i := range n {
		w := &shardWorker{
			a:    NewAssembler(factory(i), o),
			in:   make(chan shardBatch, workerQueue),
			free: make(chan []shardItem, workerQueue+2),
		}
		s.workers = append(s.workers, w)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for b := range w.in {
				for j := range b.items {
					if it := &b.items[j]; it.kind == itemMark {
						if !it.now.IsZero() {
							// Mark's, at the end of a batch: what it
							// hands over includes what the batch's
							// capture time closes.
							w.a.advance(it.now)
						}
						done(i, it.index)
					} else {
						w.a.item(it)
					}
				}
				w.a.advance(b.now)
				w.conns.Store(w.a.stats.Connections)
				w.held.Store(w.a.held())
				clear(b.items) // no packet bytes kept alive by the free list
				select {
				case w.free <- b.items[:0]:
				default:
				}
				if b.ref != nil {
					b.ref.done()
				}
			}
			w.a.Flush()
			done(i, ^uint64(0))
		}()
	}
	return s
}

// Packet takes one captured frame. Its data must stay valid until the
// release function given to the EndBatch call that follows is called.
func (s *Sharded) Packet(link layers.LinkType, data []byte, ci gopacket.CaptureInfo) {
	s.stats.Packets++
	s.stats.Bytes += int64(len(data))
	s.index++
	if s.ahead.held {
		s.release(ci.Timestamp)
	}
	if leaps(s.now, ci.Timestamp, s.step) {
		s.ahead.keep(link, data, ci, s.index)
	} else {
		s.dispatch(link, data, ci, s.index, ci.Timestamp)
	}
	if s.every > 0 && s.index%s.every == 0 {
		// After the packet, even one held for its leap: as a single
		// Assembler's caller sees it.
		for _, w := range s.workers {
			w.pending = append(w.pending, shardItem{kind: itemMark, index: s.index})
		}
	}
}

// release hands on the held frame, at the capture time next confirms; its
// copy is the workers' from then on.
func (s *Sharded) release(next time.Time) {
	h := &s.ahead
	h.held = false
	s.dispatch(h.link, h.data, h.ci, h.index, h.confirmed(s.now, next))
	h.data = nil
}

// dispatch hands a frame to its worker, capture time being now at it.
func (s *Sharded) dispatch(link layers.LinkType, data []byte, ci gopacket.CaptureInfo, index uint64, now time.Time) {
	ts := ci.Timestamp
	prev := s.now
	if now.After(s.now) {
		s.now = now
	}
	if s.sweeps.due(s.now) {
		// Every worker looks at once, before this packet, as one Assembler
		// would.
		s.sweep(prev, index)
	}
	it := shardItem{kind: itemFrame, link: link, data: data, lost: ci.Length - len(data), ts: ts, prev: prev, now: s.now, index: index,
		verify: s.checks.verify(link, data)}
	if it.quick = quickTCP(link, data); it.quick.ok {
		if it.quick.gtp {
			it.quick.tun = s.gtp.tun(it.quick.tun, it.quick.src, it.quick.dst, it.quick.teid, ts)
			it.tun = it.quick.tun
		}
		it.quick.hash = hashOf(it.quick.key())
		w := s.workers[shardOf(it.quick.hash, len(s.workers))]
		w.pending = append(w.pending, it)
		return
	}
	seg, dg, ok := s.dec.frameSegment(s.frag, link, data, ci.Length-len(data), s.now, s.skipN, &s.stats.Defragmented)
	if !ok {
		return
	}
	if seg.gtp {
		seg.tun = s.gtp.tun(seg.tun, seg.src, seg.dst, seg.teid, ts)
		it.tun = seg.tun
	}
	key := keyOf(seg.src, seg.dst, seg.tun)
	if seg.udp {
		var ok bool
		if it.path, ok = s.routes.route(seg, ts); !ok && s.issuedIDs && s.routes.nearServer(seg) {
			it.path, ok = s.issued(seg, ts)
			it.issued = ok
		}
		if !ok {
			s.skipN(reasonUDPNotHandshake, int64(seg.frames))
			return
		}
		if it.path != nil {
			key = *it.path
		}
	}
	if dg != nil {
		it.kind, it.data, it.src, it.dst, it.proto = itemDatagram, dg.payload, dg.src, dg.dst, uint8(dg.proto)
		it.frames = dg.frags
	}
	w := s.workers[shardOf(hashOf(key), len(s.workers))]
	w.pending = append(w.pending, it)
}

// sweep has every worker look for idle connections at capture time
// s.now, prev being capture time before it, and forgets the idle UDP
// flows and GTP-U pairs.
func (s *Sharded) sweep(prev time.Time, index uint64) {
	for _, w := range s.workers {
		w.pending = append(w.pending, shardItem{kind: itemSweep, prev: prev, now: s.now, index: index})
	}
	if s.idle > 0 {
		s.routes.expire(s.now.Add(-s.idle))
	}
	s.gtp.expire(s.now.Add(-s.idle))
}

func (s *Sharded) skipN(reason string, n int64) { s.stats.Skipped[reason] += n }

// Expire gives the workers wall time, as Assembler.Expire gives one: a
// live capture's connections idle out, and the waits after a RST end,
// while no packet comes. A frame held for its leap is handed on at now.
// It is called between batches; the workers get it with the next
// EndBatch.
func (s *Sharded) Expire(now time.Time) {
	if s.ahead.held {
		s.release(now)
	}
	prev := s.now
	if now.After(s.now) {
		s.now = now
	}
	if s.sweeps.due(s.now) {
		s.sweep(prev, s.index)
	}
}

// Mark has every worker call done, with the number of the latest packet,
// once it has taken the packets given so far and moved to their capture
// time: called just before EndBatch, it gives a caller that wants each
// worker's results as soon as they are made (a live capture) them after
// every batch, not every markEvery packets.
func (s *Sharded) Mark() {
	for _, w := range s.workers {
		w.pending = append(w.pending, shardItem{kind: itemMark, index: s.index, now: s.now})
	}
}

// EndBatch hands every worker the packets given since the last call;
// release, when not nil, is called once all of them are done with them.
func (s *Sharded) EndBatch(release func()) {
	ref := &batchRef{release: release}
	ref.left.Store(int32(len(s.workers)))
	for _, w := range s.workers {
		w.in <- shardBatch{items: w.pending, now: s.now, ref: ref}
		select {
		case w.pending = <-w.free:
		default:
			w.pending = nil
		}
	}
}

// Flush ends the input, as Assembler.Flush does, and waits for the
// workers to finish.
func (s *Sharded) Flush() {
	if h := &s.ahead; h.held {
		h.held = false
		s.dispatch(h.link, h.data, h.ci, h.index, h.unconfirmed(s.now))
	}
	s.EndBatch(nil)
	s.frag.flush(s.skipN)
	for _, w := range s.workers {
		close(w.in)
	}
	s.wg.Wait()
}

// Connections counts the connections made so far; it may be called while
// the workers run.
func (s *Sharded) Connections() int64 {
	var n int64
	for _, w := range s.workers {
		n += w.conns.Load()
	}
	return n
}

// Buffered is Stats.Buffered as the workers said after their latest
// batch; unlike Stats it may be called while they run (from the goroutine
// that calls Packet).
func (s *Sharded) Buffered() int64 {
	n := s.frag.bytes
	for _, w := range s.workers {
		n += w.held.Load()
	}
	return n
}

// Stats returns the counts of all workers, once Flush has returned.
func (s *Sharded) Stats() Stats {
	t := s.stats
	t.Skipped = maps.Clone(s.stats.Skipped)
	t.Closed = make(map[stream.EndReason]int64)
	for _, w := range s.workers {
		t.add(w.a.Stats())
	}
	t.Buffered += s.frag.bytes
	return t
}

// shardOf picks the worker of a connection whose hashOf is h: the one of
// its bucket, so that each worker holds whole buckets of the memory bound
// (memory.go).
func shardOf(h uint64, n int) int { return int(bucketOfHash(h)) % n }

// item handles what Sharded gave a worker's Assembler: Packet, but with
// the packet number and capture time Sharded keeps for all workers, and
// with Sharded deciding when to look for idle connections.
//
// A single Assembler ends the wait after a RST at the first packet, of
// any connection, past its deadline, after looking for idle connections
// if that packet is due to: so the waits that ended before this packet
// (past prev) end first, and the others after a sweep.
func (a *Assembler) item(it *shardItem) {
	a.index = it.index
	a.advance(it.prev)
	if it.kind == itemSweep {
		a.now = it.now
		a.expire()
		return
	}
	a.advance(it.now)
	defer a.mem.peak(a)
	a.verifying = it.verify
	var l lookup
	if it.kind == itemFrame {
		var done bool
		if done, l = a.decided(it.quick, it.ts); done {
			return
		}
	}
	var seg segment
	var reason string
	if it.kind == itemDatagram {
		seg, reason = a.dec.datagramIP(it.src, it.dst, it.proto, it.data)
		seg.frames = it.frames
	} else if q, ok := a.dec.quickSegment(it.quick, it.data); ok {
		seg = q
	} else {
		seg, reason = a.dec.decode(it.link, it.data, it.lost)
	}
	if reason != "" {
		// Sharded decoded it alike and sent it on: not reached.
		a.skip(reason)
		return
	}
	if seg.gtp {
		seg.tun = it.tun
	}
	seg.path, seg.issued = it.path, it.issued
	a.handle(seg, it.ts, l)
}

// advance moves capture time to now, ending the waits after a RST that
// are over, as Expire does, without looking for idle connections.
func (a *Assembler) advance(now time.Time) {
	if now.After(a.now) {
		a.now = now
	}
	if len(a.resets) > 0 && a.now.After(a.resets[0].deadline) {
		a.endResets()
	}
	if len(a.settling) > 0 && a.now.After(a.settling[0].deadline) {
		a.endSettles()
	}
}
