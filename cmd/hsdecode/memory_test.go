package main

import (
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
)

// TestHeldCostCoversHeap: what flows.HeldCost says held results cost is at
// least what holding them grows the heap by, and not wildly more, over
// every bundled capture's results held as the offline pipeline holds them
// (the pointers it is handed, which keep their Trackers alive).
func TestHeldCostCoversHeap(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(pcapDir, "*.pcap*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundled captures: %v", err)
	}
	const rounds = 200
	var held []*flows.Result
	var estimate int64
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		for _, f := range files {
			src, err := capture.OpenFile(f)
			if err != nil {
				t.Fatal(err)
			}
			analyzeSource(src, flows.Options{}, reassembly.Options{}, 1, nil, func(r *flows.Result) error {
				held = append(held, r)
				estimate += flows.HeldCost(r)
				return nil
			})
			src.Close()
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc) - int64(cap(held))*8
	t.Logf("%d results: heap grew %d bytes (%d each), HeldCost says %d (%d each)",
		len(held), grown, grown/int64(len(held)), estimate, estimate/int64(len(held)))
	if estimate < grown {
		t.Errorf("HeldCost says %d bytes, the heap grew by %d: held results would pass the memory bound", estimate, grown)
	}
	if estimate > 3*grown {
		t.Errorf("HeldCost says %d bytes, over three times the %d the heap grew by: the bound would be wasted", estimate, grown)
	}
	runtime.KeepAlive(held)
}

// TestMergerBudget: one connection open from the start holds back every
// later result for start order; the merger holds at most its budget of
// them, writes the rest ahead of it and counts the one written late.
// With room enough, everything comes out in start order.
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
			var written []uint64
			m := newMerger(1, tt.budget, func(r *flows.Result) error {
				written = append(written, r.Seq)
				return nil
			})
			for seq := uint64(2); seq <= 1000; seq++ {
				m.add(0, []*flows.Result{result(seq)}, 1) // Seq 1 stays open
				if m.heldBytes > tt.budget {
					t.Fatalf("after Seq %d: %d bytes held, over the budget of %d", seq, m.heldBytes, tt.budget)
				}
			}
			m.add(0, []*flows.Result{result(1)}, ^uint64(0))
			if len(written) != 1000 || len(m.held) != 0 {
				t.Fatalf("%d written, %d still held; want 1000 and 0", len(written), len(m.held))
			}
			if m.outOfOrder != tt.outOfOrder {
				t.Errorf("%d counted out of order, want %d", m.outOfOrder, tt.outOfOrder)
			}
			if tt.outOfOrder == 0 {
				for i, s := range written {
					if s != uint64(i+1) {
						t.Fatalf("written in the order %v..., want start order", written[:i+1])
					}
				}
			} else if k := slices.Index(written, 1); k < 900 || !slices.IsSorted(written[:k]) || !slices.IsSorted(written[k:]) {
				t.Errorf("the connection open from the start was written at %d, want after those written ahead of it, each run in start order", k)
			}
		})
	}
}
