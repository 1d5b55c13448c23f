package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.jsonl from the current output")

const (
	pcapDir   = "../../testdata/pcaps"
	goldenDir = "../../testdata/golden"
)

func captures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(pcapDir, "*.pcap*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in %s: %v", pcapDir, err)
	}
	return files
}

// TestGolden compares the whole JSON report of every bundled capture with
// its reviewed baseline. Run with -update to rewrite, then read the diff.
func TestGolden(t *testing.T) {
	for _, pcap := range captures(t) {
		name := strings.TrimSuffix(filepath.Base(pcap), filepath.Ext(pcap))
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			status := run([]string{"-r", pcap, "--format", "json"}, &out, &errb)
			if status == exitError {
				t.Fatalf("exit %d: %s", status, errb.String())
			}
			golden := filepath.Join(goldenDir, name+".jsonl")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/hsdecode -run TestGolden -update)", err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("report differs from %s:\n got: %s\nwant: %s", golden, got, want)
			}
		})
	}
}
