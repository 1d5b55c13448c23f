package pipeline

import (
	"github.com/hsdecode/hsdecode/flows"
)

// merger puts the results of several workers in the order their
// connections began (Seq), holding at most budget bytes of them
// (flows.HeldCost): past it, the earliest held leave before a connection
// that began earlier and is still open, and are counted.
//
// Each worker hands over at the same packets (every drainEvery, and at the
// end), and the merger takes the n-th handover of every worker together,
// as one step: the results held at each step, and so those let out early
// to keep within the budget, are those of the packets so far, whatever
// the number of workers and however fast each went.
type merger struct {
	held       resultHeap
	heldBytes  int64
	budget     int64
	waiting    [][]step // per worker: its handovers not yet taken
	last       uint64   // Seq of the last result out
	outOfOrder int64
}

// step is one handover of a worker: its results since the last, and the
// Seq below which it has no more to come.
type step struct {
	results []*flows.Result
	low     uint64
}

func newMerger(workers int, budget int64) *merger {
	return &merger{waiting: make([][]step, workers), budget: budget}
}

// add takes a handover of a worker and appends to out, for every step all
// workers have handed over, every result no worker can precede any more,
// then as many more as keep the rest within the budget.
func (m *merger) add(out []*flows.Result, worker int, rs []*flows.Result, low uint64) []*flows.Result {
	m.waiting[worker] = append(m.waiting[worker], step{rs, low})
	for {
		for _, w := range m.waiting {
			if len(w) == 0 {
				return out
			}
		}
		limit := ^uint64(0)
		for i, w := range m.waiting {
			for _, r := range w[0].results {
				h := heldResult{r, r.Seq, flows.HeldCost(r)}
				m.held.push(h)
				m.heldBytes += h.cost
			}
			limit = min(limit, w[0].low)
			w[0] = step{}
			m.waiting[i] = w[1:]
		}
		for len(m.held) > 0 && (m.held[0].seq < limit || m.heldBytes > m.budget) {
			out = append(out, m.pop())
		}
	}
}

// pop takes out the held result that began first.
func (m *merger) pop() *flows.Result {
	h := m.held.pop()
	r := h.r
	m.heldBytes -= h.cost
	if r.Seq < m.last {
		m.outOfOrder++
	}
	m.last = r.Seq
	return r
}

// heldResult is a result waiting, with what it was counted for when it
// came, so that the same is taken off when it leaves, and its Seq, which
// the heap compares without a load through r.
type heldResult struct {
	r    *flows.Result
	seq  uint64
	cost int64
}

// resultHeap is a min-heap of results by Seq: container/heap's moves,
// typed, without its boxing of each result into an interface.
type resultHeap []heldResult

func (h *resultHeap) push(x heldResult) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].seq <= s[i].seq {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *resultHeap) pop() heldResult {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = heldResult{}
	s = s[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && s[c+1].seq < s[c].seq {
			c++
		}
		if s[i].seq <= s[c].seq {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}
