package main

import (
	"container/heap"
	"io"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// analysis is what one capture file gave.
type analysis struct {
	results     []flows.Result // by analyze only: analyzeTo writes them instead
	stats       reassembly.Stats
	notReported int64
	readErr     error // the capture broke off here; results hold what came before
	writeErr    error // the first error of write
	packets     int64 // packets read, counted for progress
	// outOfOrder counts the results written after one of a connection
	// that began later: holding them back for start order would have
	// passed their share of the memory bound (resultShare).
	outOfOrder int64
}

// resultShare is the part of Options.MaxBufferedBytes that results waiting
// for start order may hold, one over it; reassembly and flows hold the
// rest. Results wait behind the longest connection still open, so without
// a bound one connection open from the first packet to the last would
// hold every result of the capture.
const resultShare = 8

// position is how far a capture has been read, when its source says.
func position(src capture.Source) (int64, int64) {
	if p, ok := src.(interface{ Position() (int64, int64) }); ok {
		return p.Position()
	}
	return -1, -1
}

// analyze runs a capture file through reassembly and flows on one
// goroutine and returns the results. An error means the file could not be
// opened at all.
func analyze(path string, fo flows.Options, o reassembly.Options) (*analysis, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var results []flows.Result
	an := analyzeSource(src, fo, o, 1, nil, func(r *flows.Result) error {
		results = append(results, *r)
		return nil
	})
	an.results = results
	return an, nil
}

// drainEvery is how many packets a single worker reads between handing
// over the results it has: often enough that the ones held back for order
// stay few.
const drainEvery = 1024

// handoverEvery is how many batches a worker without results goes before
// it hands over how far it has come, which lets earlier results out.
const handoverEvery = 16

// analyzeSource runs a capture through reassembly and flows, with
// connections spread over the given number of workers (goroutines), and
// gives write each result as soon as no connection that began earlier is
// still open: in the order the connections began, the same for any number
// of workers, and holding only the results that wait for an earlier
// connection rather than all of them (peak memory does not grow with the
// capture). prog may be nil. Once write fails, it is not called again
// (analysis.writeErr).
func analyzeSource(src capture.Source, fo flows.Options, o reassembly.Options, workers int, prog *progress, write func(*flows.Result) error) *analysis {
	an := new(analysis)
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = reassembly.DefaultMaxBufferedBytes
	}
	if asDecided(src) {
		return analyzeStream(an, src, fo, o, prog, write)
	}
	budget := o.MaxBufferedBytes / resultShare
	o.MaxBufferedBytes -= budget
	m := newMerger(max(workers, 1), budget, write)
	defer func() { an.outOfOrder = m.outOfOrder }()
	if workers <= 1 {
		col := flows.NewCollector(fo)
		asm := reassembly.NewAssembler(col, o)
		drain := func(next uint64) {
			rs, low := col.Drain()
			m.add(0, rs, bound(low, next))
		}
		for {
			p, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				an.readErr = err
				break
			}
			asm.Packet(p.LinkType, p.Data, p.CaptureInfo)
			an.packets++
			if an.packets%drainEvery == 0 {
				// Not + 1: the Assembler may hold the latest packet, stamped
				// far ahead, and begin a connection with it later.
				drain(uint64(an.packets))
			}
			prog.tick(an.packets, func() (int64, int64) { return position(src) },
				func() int64 { return asm.Stats().Connections })
		}
		asm.Flush()
		drain(^uint64(0))
		an.stats, an.notReported, an.writeErr = asm.Stats(), col.NotReported(), m.err
		return an
	}

	// A reader goroutine hands batches of packets to the workers; each
	// worker hands its results here, where they are put in order.
	type handover struct {
		worker  int
		results []*flows.Result
		low     uint64
	}
	cols := make([]*flows.Collector, workers)
	quiet := make([]int, workers) // batches since a worker last handed over, each its own
	out := make(chan handover, 4*workers)
	sh := reassembly.NewSharded(workers, func(i int) stream.Factory {
		cols[i] = flows.NewCollector(fo)
		return cols[i]
	}, o, func(i int, next uint64) {
		// Waking this goroutine for every batch cost more than the
		// rest of the hand-over: a worker with no result only says
		// how far it has come now and then.
		if quiet[i]++; quiet[i] < handoverEvery && next != ^uint64(0) && !cols[i].HasResults() {
			return
		}
		quiet[i] = 0
		rs, low := cols[i].Drain()
		out <- handover{i, rs, bound(low, next)}
	})
	go func() {
		defer close(out)
		for {
			b, err := capture.NextBatch(src)
			if err == io.EOF {
				break
			}
			if err != nil {
				an.readErr = err
				break
			}
			for i := range b.Packets {
				p := &b.Packets[i]
				sh.Packet(p.LinkType, p.Data, p.CaptureInfo)
				an.packets++
				prog.tick(an.packets, func() (int64, int64) { return position(src) }, sh.Connections)
			}
			sh.EndBatch(b.Release)
		}
		sh.Flush()
	}()
	for h := range out {
		m.add(h.worker, h.results, h.low)
	}
	an.stats, an.writeErr = sh.Stats(), m.err
	for _, c := range cols {
		an.notReported += c.NotReported()
	}
	return an
}

// asDecided says a source is a stream (standard input, a pipe): its
// report, like a live capture's, gives each connection the moment it is
// decided, since the input may not end for hours.
func asDecided(src capture.Source) bool {
	st, ok := src.(interface{ Stream() bool })
	return ok && st.Stream()
}

// analyzeStream reads a stream on one goroutine, and writes each result as
// flows decides it (flows.Options.Emit), as a live capture does: nothing is
// held for start order.
func analyzeStream(an *analysis, src capture.Source, fo flows.Options, o reassembly.Options, prog *progress, write func(*flows.Result) error) *analysis {
	fo.Emit = func(r *flows.Result) {
		if an.writeErr == nil {
			an.writeErr = write(r)
		}
	}
	col := flows.NewCollector(fo)
	asm := reassembly.NewAssembler(col, o)
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			an.readErr = err
			break
		}
		asm.Packet(p.LinkType, p.Data, p.CaptureInfo)
		an.packets++
		prog.tick(an.packets, func() (int64, int64) { return position(src) },
			func() int64 { return asm.Stats().Connections })
	}
	asm.Flush()
	an.stats, an.notReported = asm.Stats(), col.NotReported()
	return an
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

// merger puts the results of several workers in the order their
// connections began (Seq), holding at most budget bytes of them
// (flows.HeldCost): past it, the earliest held are written before a
// connection that began earlier and is still open, and counted.
type merger struct {
	held       resultHeap
	heldBytes  int64
	budget     int64
	low        []uint64 // per worker: no result of it to come has a lower Seq
	last       uint64   // Seq of the last result written
	outOfOrder int64
	write      func(*flows.Result) error
	err        error
}

func newMerger(workers int, budget int64, write func(*flows.Result) error) *merger {
	return &merger{low: make([]uint64, workers), budget: budget, write: write}
}

// add takes results of a worker, and the Seq below which it has no more,
// and writes every result no worker can precede any more, then as many
// more as keep the rest within the budget.
func (m *merger) add(worker int, rs []*flows.Result, low uint64) {
	for _, r := range rs {
		heap.Push(&m.held, r)
		m.heldBytes += flows.HeldCost(r)
	}
	m.low[worker] = low
	limit := low
	for _, l := range m.low {
		limit = min(limit, l)
	}
	for len(m.held) > 0 && (m.held[0].Seq < limit || m.heldBytes > m.budget) {
		m.pop()
	}
}

// pop writes the held result that began first.
func (m *merger) pop() {
	r := heap.Pop(&m.held).(*flows.Result)
	m.heldBytes -= flows.HeldCost(r)
	if r.Seq < m.last {
		m.outOfOrder++
	}
	m.last = r.Seq
	if m.err == nil {
		m.err = m.write(r)
	}
}

// resultHeap is a min-heap of results by Seq.
type resultHeap []*flows.Result

func (h resultHeap) Len() int           { return len(h) }
func (h resultHeap) Less(i, j int) bool { return h[i].Seq < h[j].Seq }
func (h resultHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *resultHeap) Push(x any)        { *h = append(*h, x.(*flows.Result)) }
func (h *resultHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}
