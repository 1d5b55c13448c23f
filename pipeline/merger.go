package pipeline

import (
	"container/heap"

	"github.com/hsdecode/hsdecode/flows"
)

// merger puts the results of several workers in the order their
// connections began (Seq), holding at most budget bytes of them
// (flows.HeldCost): past it, the earliest held leave before a connection
// that began earlier and is still open, and are counted.
type merger struct {
	held       resultHeap
	heldBytes  int64
	budget     int64
	low        []uint64 // per worker: no result of it to come has a lower Seq
	last       uint64   // Seq of the last result out
	outOfOrder int64
}

func newMerger(workers int, budget int64) *merger {
	return &merger{low: make([]uint64, workers), budget: budget}
}

// add takes results of a worker, and the Seq below which it has no more,
// and appends to out every result no worker can precede any more, then as
// many more as keep the rest within the budget.
func (m *merger) add(out []*flows.Result, worker int, rs []*flows.Result, low uint64) []*flows.Result {
	for _, r := range rs {
		h := heldResult{r, flows.HeldCost(r)}
		heap.Push(&m.held, h)
		m.heldBytes += h.cost
	}
	m.low[worker] = low
	limit := low
	for _, l := range m.low {
		limit = min(limit, l)
	}
	for len(m.held) > 0 && (m.held[0].r.Seq < limit || m.heldBytes > m.budget) {
		out = append(out, m.pop())
	}
	return out
}

// pop takes out the held result that began first.
func (m *merger) pop() *flows.Result {
	h := heap.Pop(&m.held).(heldResult)
	r := h.r
	m.heldBytes -= h.cost
	if r.Seq < m.last {
		m.outOfOrder++
	}
	m.last = r.Seq
	return r
}

// heldResult is a result waiting, with what it was counted for when it
// came, so that the same is taken off when it leaves.
type heldResult struct {
	r    *flows.Result
	cost int64
}

// resultHeap is a min-heap of results by Seq.
type resultHeap []heldResult

func (h resultHeap) Len() int           { return len(h) }
func (h resultHeap) Less(i, j int) bool { return h[i].r.Seq < h[j].r.Seq }
func (h resultHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *resultHeap) Push(x any)        { *h = append(*h, x.(heldResult)) }
func (h *resultHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = heldResult{}
	*h = old[:len(old)-1]
	return x
}
