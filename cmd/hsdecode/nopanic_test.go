package main

import (
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// TestMutatedCapturesNoPanic runs mutated copies of the bundled captures
// through the whole path, capture to diagnosis and report (JSON and the
// verbose text with every detail), on every test run: random bytes of each file after
// its 24-byte header are overwritten, so records, handshake messages,
// certificates and key exchange bodies come out damaged in every way the
// fuzz targets explore one stage at a time.
func TestMutatedCapturesNoPanic(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	dir := t.TempDir()
	allRules, err := report.ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	rounds := 20
	if testing.Short() {
		rounds = 3
	}
	for _, pcap := range captures(t) {
		orig, err := os.ReadFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		for round := range rounds {
			b := append([]byte(nil), orig...)
			for k := 1 + rng.Intn(20); k > 0 && len(b) > 64; k-- {
				b[24+rng.Intn(len(b)-24)] = byte(rng.Intn(256))
			}
			path := filepath.Join(dir, "m.pcap")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						keep := filepath.Join(dir, filepath.Base(pcap)+".crash")
						os.WriteFile(keep, b, 0o644)
						t.Fatalf("%s, mutation %d: panic: %v (file kept as %s)", pcap, round, p, keep)
					}
				}()
				an, err := analyze(path, flows.Options{}, reassembly.Options{MaxBufferedBytes: 64 << 20})
				if err != nil {
					return // the mutation broke the file header: an error, fine
				}
				jw := report.NewJSONWriter(io.Discard)
				tw := report.NewTextWriter(io.Discard, report.Options{Verbose: true})
				g := newGate(allRules, nil, 0) // every rule, so every diagnosis may be made
				for i := range an.results {
					fs := g.add(&an.results[i])
					if err := jw.Write(&an.results[i], fs); err != nil {
						t.Fatal(err)
					}
					if err := tw.Write(&an.results[i], fs); err != nil {
						t.Fatal(err)
					}
				}
			}()
		}
	}
}
