package main

import (
	"path/filepath"
	"runtime"
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
