package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
				t.Errorf("report differs from %s (-want +got):\n%s", golden, jsonLinesDiff(t, string(want), got))
			}
		})
	}
}

// jsonLinesDiff names the members that differ between two JSON Lines
// reports, line by line, rather than showing two long lines to compare by
// eye. Lines that decode the same but differ in bytes (member order,
// escaping) are shown whole.
func jsonLinesDiff(t *testing.T, want, got string) string {
	t.Helper()
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w == g {
			continue
		}
		var wv, gv any
		if json.Unmarshal([]byte(w), &wv) != nil || json.Unmarshal([]byte(g), &gv) != nil {
			fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, w, g)
			continue
		}
		if d := cmp.Diff(wv, gv); d != "" {
			fmt.Fprintf(&b, "line %d:\n%s", i+1, d)
		} else {
			fmt.Fprintf(&b, "line %d, the same members written differently:\n-%s\n+%s\n", i+1, w, g)
		}
	}
	return b.String()
}

// TestJSONLinesDiff: a golden mismatch names the member that differs and
// its two values, not the whole line.
func TestJSONLinesDiff(t *testing.T) {
	want := `{"outcome":"established","server_name":"a.example","messages":[{"type":"client_hello"}]}` + "\n" + `{"outcome":"alert"}` + "\n"
	got := `{"outcome":"established","server_name":"a.example","messages":[{"type":"client_hello"}]}` + "\n" + `{"outcome":"violation"}` + "\n"
	d := jsonLinesDiff(t, want, got)
	for _, s := range []string{"line 2:", `"outcome"`, `"alert"`, `"violation"`} {
		if !strings.Contains(d, s) {
			t.Errorf("diff lacks %s:\n%s", s, d)
		}
	}
	if strings.Contains(d, "line 1") || strings.Contains(d, "a.example") {
		t.Errorf("diff shows the equal line:\n%s", d)
	}
	if d := jsonLinesDiff(t, `{"a":1,"b":2}`, `{"b":2,"a":1}`); !strings.Contains(d, "the same members written differently") {
		t.Errorf("reordered members: %s", d)
	}
}
