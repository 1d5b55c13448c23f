package pipeline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// Order is the order a Pipeline hands results out in.
type Order uint8

const (
	// StartOrder hands results out in the order their connections began,
	// whatever the number of workers: a file's report is the same on any
	// machine.
	StartOrder Order = iota
	// DecisionOrder hands each result out as soon as its verdict is final,
	// or its connection closes without one: a live capture or a pipe may
	// not end for hours, and its reader wants each handshake as it
	// happens.
	DecisionOrder
)

// Options configures a Pipeline.
type Options struct {
	// Workers is how many goroutines reassemble and decode, connections
	// spread over them by a hash of their 4-tuple. With DecisionOrder and
	// several, the order of results decided at about the same time on
	// different workers is the scheduler's.
	Workers    int
	Order      Order
	Flows      flows.Options
	Reassembly reassembly.Options
}

// resultShare is the part of Reassembly.MaxBufferedBytes that results
// waiting for start order may hold, one over it; reassembly and flows hold
// the rest. Results wait behind the longest connection still open, so
// without a bound one connection open from the first packet to the last
// would hold every result of the capture.
const resultShare = 8

// drainEvery is how many packets go by between two handovers of each
// worker's results to the merger: often enough that the ones held back
// for order stay few, seldom enough that handing over costs little. The
// merger takes them packet count by packet count (merger.go), which makes
// the results it lets out of start order the same for any number of
// workers.
const drainEvery = 4096

// A Pipeline runs packets through reassembly and flows and hands the
// results out in its Order. Its methods are called from one goroutine.
type Pipeline struct {
	order Order
	cols  []*flows.Collector // per worker

	// One of: a single Assembler on the caller's goroutine, or Sharded.
	asm     *reassembly.Assembler
	sh      *reassembly.Sharded
	packets uint64 // given to asm

	// What Sharded's workers handed over since the last Next, added on
	// their goroutines.
	mu     sync.Mutex
	handed []handover
	taken  []handover // handed, swapped out, reused

	merger *merger // StartOrder only
	ready  []*flows.Result
	next   int // ready[next:] are still to be handed out

	// readyCh is signalled when a worker has handed results over
	// (DecisionOrder with Sharded), for a caller waiting on Ready.
	readyCh chan struct{}
	// notReported is each worker's Collector.NotReported at its latest
	// handover, for NotReported while Sharded's workers run.
	notReported []atomic.Int64
}

// handover is what a worker gives the merger: its results closed since
// the last one, and the Seq below which it has no more to come.
type handover struct {
	worker  int
	results []*flows.Result
	low     uint64
}

// New returns a Pipeline, its workers running.
func New(o Options) *Pipeline {
	workers := max(o.Workers, 1)
	p := &Pipeline{order: o.Order, cols: make([]*flows.Collector, workers), readyCh: make(chan struct{}, 1),
		notReported: make([]atomic.Int64, workers)}
	fo, ro := o.Flows, o.Reassembly
	fo.AsDecided = o.Order == DecisionOrder
	if o.Order == StartOrder {
		if ro.MaxBufferedBytes <= 0 {
			ro.MaxBufferedBytes = reassembly.DefaultMaxBufferedBytes
		}
		budget := ro.MaxBufferedBytes / resultShare
		ro.MaxBufferedBytes -= budget
		p.merger = newMerger(workers, budget)
	}
	if workers == 1 {
		p.cols[0] = flows.NewCollector(fo)
		p.asm = reassembly.NewAssembler(p.cols[0], ro)
		return p
	}
	every := uint64(drainEvery)
	if o.Order == DecisionOrder {
		every = 0 // EndBatch marks every batch instead
	}
	p.sh = reassembly.NewSharded(workers, func(i int) stream.Factory {
		p.cols[i] = flows.NewCollector(fo)
		return p.cols[i]
	}, ro, every, p.handover)
	return p
}

// handover runs on worker i's goroutine every drainEvery packets (in
// DecisionOrder, after every batch) and at the end.
func (p *Pipeline) handover(i int, next uint64) {
	rs, low := p.cols[i].Drain()
	p.notReported[i].Store(p.cols[i].NotReported())
	if p.merger == nil && len(rs) == 0 {
		return // decision order has no use for low alone
	}
	p.mu.Lock()
	p.handed = append(p.handed, handover{i, rs, bound(low, next)})
	p.mu.Unlock()
	select {
	case p.readyCh <- struct{}{}:
	default:
	}
}

// Ready is signalled after workers have handed results over, which Next
// then returns: a caller in decision order with several workers waits on
// it for results decided while it gives no packet. With one worker the
// results of a packet are ready when EndBatch returns.
func (p *Pipeline) Ready() <-chan struct{} { return p.readyCh }

// Packet takes one captured frame. Its data must stay valid until the
// release function given to the EndBatch call that follows is called.
func (p *Pipeline) Packet(link layers.LinkType, data []byte, ci gopacket.CaptureInfo) {
	if p.sh != nil {
		p.sh.Packet(link, data, ci)
		return
	}
	p.asm.Packet(link, data, ci)
	p.packets++
	if p.merger != nil && p.packets%drainEvery == 0 {
		// Not + 1: the Assembler may hold the latest packet, stamped far
		// ahead, and begin a connection with it later.
		p.drain(p.packets)
	}
}

// EndBatch ends the packets given since the last call; release, when not
// nil, is called once no worker uses their data any more.
func (p *Pipeline) EndBatch(release func()) {
	if p.sh != nil {
		if p.merger == nil {
			p.sh.Mark()
		}
		p.sh.EndBatch(release)
		return
	}
	if release != nil {
		release()
	}
}

// Expire gives the workers wall time, with which they close idle
// connections while no packet comes (reassembly.Assembler.Expire). It is
// called between batches, and ends one of its own.
func (p *Pipeline) Expire(now time.Time) {
	if p.sh != nil {
		p.sh.Expire(now)
		p.EndBatch(nil)
		return
	}
	p.asm.Expire(now)
}

// Flush ends the input: every connection still open is closed and its
// result made ready for Next.
func (p *Pipeline) Flush() {
	if p.sh != nil {
		p.sh.Flush()
		return
	}
	p.asm.Flush()
	if p.merger != nil {
		p.drain(^uint64(0))
	}
}

// drain takes a single worker's results, next being the Seq of the first
// packet it has not begun a connection with.
func (p *Pipeline) drain(next uint64) {
	rs, low := p.cols[0].Drain()
	p.ready = p.merger.add(p.ready, 0, rs, bound(low, next))
}

// Next returns the next result ready, or nil when none is until more
// packets are given (or, after Flush, at the end). The Result is the
// caller's: the Pipeline keeps no reference to it, and a caller may keep
// it as long as it likes.
func (p *Pipeline) Next() *flows.Result {
	if p.next == len(p.ready) {
		p.refill()
		if p.next == len(p.ready) {
			return nil
		}
	}
	r := p.ready[p.next]
	p.ready[p.next] = nil
	p.next++
	return r
}

// refill makes ready what has come since the last call.
func (p *Pipeline) refill() {
	p.ready, p.next = p.ready[:0], 0
	switch {
	case p.sh != nil:
		p.mu.Lock()
		p.handed, p.taken = p.taken[:0], p.handed
		p.mu.Unlock()
		for i, h := range p.taken {
			if p.merger == nil {
				p.ready = append(p.ready, h.results...)
			} else {
				p.ready = p.merger.add(p.ready, h.worker, h.results, h.low)
			}
			p.taken[i] = handover{}
		}
	case p.merger == nil:
		p.ready, _ = p.cols[0].Drain()
	}
}

// OutOfOrder counts the results handed out after one of a connection that
// began later: holding them back for start order would have passed their
// share of the memory bound.
func (p *Pipeline) OutOfOrder() int64 {
	if p.merger == nil {
		return 0
	}
	return p.merger.outOfOrder
}

// Connections counts the connections begun so far, for progress.
func (p *Pipeline) Connections() int64 {
	if p.sh != nil {
		return p.sh.Connections()
	}
	return p.asm.Stats().Connections
}

// Buffered is what the memory bound counts now; unlike Stats it may be
// called while several workers run.
func (p *Pipeline) Buffered() int64 {
	if p.sh != nil {
		return p.sh.Buffered()
	}
	return p.asm.Stats().Buffered
}

// Stats returns reassembly's counts of all workers; with more than one,
// only once Flush has returned.
func (p *Pipeline) Stats() reassembly.Stats {
	if p.sh != nil {
		return p.sh.Stats()
	}
	return p.asm.Stats()
}

// NotReported counts the closed connections left out of the results
// because they carried no TLS and did not go to a TLS port.
func (p *Pipeline) NotReported() int64 {
	if p.sh == nil {
		return p.cols[0].NotReported()
	}
	// As the workers said at their latest handover (all of it after
	// Flush): their Collectors are theirs while they run.
	var n int64
	for i := range p.notReported {
		n += p.notReported[i].Load()
	}
	return n
}

// bound is the Seq below which a worker has no result to come: neither a
// connection still open (low) nor one yet to begin (next). After Flush
// (next is the largest Seq) nothing is to come at all.
func bound(low, next uint64) uint64 {
	if next == ^uint64(0) {
		return next
	}
	return min(low, next)
}
