package pipeline

import (
	"slices"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
)

// TestMergerBudget: one connection open from the start holds back every
// later result for start order; the merger holds at most its budget of
// them, hands the rest out ahead of it and counts the one handed out
// late. With room enough, everything comes out in start order.
func TestMergerBudget(t *testing.T) {
	result := func(seq uint64) *flows.Result {
		return &flows.Result{Seq: seq, Messages: make([]flows.Message, 4)}
	}
	one := flows.HeldCost(result(0))
	for _, tt := range []struct {
		name       string
		budget     int64
		outOfOrder int64
	}{
		{"bound", 10 * one, 1},
		{"room", 1 << 30, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out []uint64
			m := newMerger(1, tt.budget)
			take := func(rs []*flows.Result) {
				for _, r := range rs {
					out = append(out, r.Seq)
				}
			}
			for seq := uint64(2); seq <= 1000; seq++ {
				take(m.add(nil, 0, []*flows.Result{result(seq)}, 1)) // Seq 1 stays open
				if m.heldBytes > tt.budget {
					t.Fatalf("after Seq %d: %d bytes held, over the budget of %d", seq, m.heldBytes, tt.budget)
				}
			}
			take(m.add(nil, 0, []*flows.Result{result(1)}, ^uint64(0)))
			if len(out) != 1000 || len(m.held) != 0 {
				t.Fatalf("%d handed out, %d still held; want 1000 and 0", len(out), len(m.held))
			}
			if m.outOfOrder != tt.outOfOrder {
				t.Errorf("%d counted out of order, want %d", m.outOfOrder, tt.outOfOrder)
			}
			if tt.outOfOrder == 0 {
				for i, s := range out {
					if s != uint64(i+1) {
						t.Fatalf("handed out in the order %v..., want start order", out[:i+1])
					}
				}
			} else if k := slices.Index(out, 1); k < 900 || !slices.IsSorted(out[:k]) || !slices.IsSorted(out[k:]) {
				t.Errorf("the connection open from the start came out at %d, want after those handed out ahead of it, each run in start order", k)
			}
		})
	}
}

// TestMergerSameForAnyArrival: two workers hand over step by step; what
// the merger lets out, early ones included, does not depend on which
// worker's handovers arrive first.
func TestMergerSameForAnyArrival(t *testing.T) {
	result := func(seq uint64) *flows.Result {
		return &flows.Result{Seq: seq, Messages: make([]flows.Message, 4)}
	}
	budget := 7 * flows.HeldCost(result(0))
	// Step k of worker w: results Seq 10k+2+w and 10k+4+w; Seq 1 (worker 0)
	// stays open to the end.
	const steps = 50
	handover := func(w, k int) ([]*flows.Result, uint64) {
		if k == steps {
			return []*flows.Result{result(1)}[:1-w], ^uint64(0)
		}
		low := uint64(10*k + 12)
		if w == 0 {
			low = 1
		}
		return []*flows.Result{result(uint64(10*k + 2 + w)), result(uint64(10*k + 4 + w))}, low
	}
	var want []uint64
	for _, order := range []string{"alternate", "worker 0 first", "worker 1 first"} {
		m := newMerger(2, budget)
		var out []*flows.Result
		give := func(w, k int) {
			rs, low := handover(w, k)
			out = m.add(out, w, rs, low)
		}
		switch order {
		case "alternate":
			for k := 0; k <= steps; k++ {
				give(0, k)
				give(1, k)
			}
		case "worker 0 first":
			for k := 0; k <= steps; k++ {
				give(0, k)
			}
			for k := 0; k <= steps; k++ {
				give(1, k)
			}
		default:
			for k := 0; k <= steps; k++ {
				give(1, k)
			}
			for k := 0; k <= steps; k++ {
				give(0, k)
			}
		}
		var got []uint64
		for _, r := range out {
			got = append(got, r.Seq)
		}
		if m.outOfOrder == 0 || len(got) != 4*steps+1 {
			t.Fatalf("%s: %d out, %d out of order: want %d, some early", order, len(got), m.outOfOrder, 4*steps+1)
		}
		if want == nil {
			want = got
		} else if !slices.Equal(want, got) {
			t.Errorf("%s: handed out %v, want %v as with alternate handovers", order, got, want)
		}
	}
}
