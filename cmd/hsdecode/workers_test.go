package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/internal/rewrite"
)

// maxOpenLine is the part of -v's statistics that is an upper bound with
// several workers (reassembly.Sharded) rather than the exact peak.
var maxOpenLine = regexp.MustCompile(`at most \d+ open at once, \d+ bytes held at most`)

// The report is the same whatever the number of workers: every capture,
// bundled, of the corpus, and each of them rewritten out of order (so that
// connections wait in reassembly across batches), in one run per number
// of workers, with idle connections closed soon, so that the workers look
// for them often, and with --follow.
func TestWorkersSameReport(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, c := range rewriteCaptures(t) {
		paths = append(paths, c.path)
		pkts, _ := rewrite.ReadFile(c.path)
		res, _ := rewrite.Rewrite(pkts, rewrite.Options{Seed: 1})
		out := filepath.Join(dir, fmt.Sprintf("rewritten-%03d.pcap", i))
		if err := rewrite.WriteFile(out, res); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, out)
	}
	least := len(paths) / 2
	if _, err := os.Stat(tsharkCorpusDir); err == nil {
		least = 500
	}
	// With the bundled key logs, every record read decrypted, and QUIC
	// paths linked by the IDs read so (which makes Sharded wait for its
	// workers).
	keyed := []string{"--follow"}
	logs, err := filepath.Glob(filepath.Join(pcapDir, "*.keys"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no bundled key logs: %v", err)
	}
	for _, l := range logs {
		keyed = append(keyed, "--keylog", l)
	}
	for _, extra := range [][]string{nil, {"--idle-timeout", "200ms"}, {"--follow"}, keyed} {
		var want string
		var wantStats string
		for _, n := range []int{1, 2, 3, 7} {
			args := append([]string{"--format", "json", "-v", "--fail-on", "none", "--workers", fmt.Sprint(n)}, extra...)
			var out, errb bytes.Buffer
			if status := run(append(args, paths...), &out, &errb); status == exitError && out.Len() == 0 {
				t.Fatalf("%v: exit %d: %s", args, status, errb.String())
			}
			stats := maxOpenLine.ReplaceAllString(errb.String(), "")
			if n == 1 {
				want, wantStats = out.String(), stats
				// Most captures carry a connection or several; far fewer
				// would mean the run read almost nothing, and proved
				// nothing.
				if c := strings.Count(want, "\n"); c < least {
					t.Fatalf("%v: only %d connections reported from %d captures", args, c, len(paths))
				}
				continue
			}
			if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(out.String(), "\n")); diff != "" {
				t.Errorf("%v: report differs from one worker's (-1 +%d):\n%s", args, n, diff)
			}
			if diff := cmp.Diff(wantStats, stats); diff != "" {
				t.Errorf("%v: statistics differ from one worker's (-1 +%d):\n%s", args, n, diff)
			}
		}
	}
}

// Under memory pressure the report is the same whatever the number of
// workers: the memory bound is kept bucket by bucket (reassembly/memory.go),
// so the connections closed to stay within --max-buffer do not depend on
// how the buckets are spread. Thousands of connections that stay open,
// halfway through a ClientHello or waiting behind a lost first segment
// (scripts/memgen), under a bound that holds a tenth of them. And results
// that leave their start order to stay within the bound, behind one
// connection open from the first packet to the last: the merge lets the
// same ones out early for any number of workers (pipeline/merger.go).
func TestWorkersSameReportUnderMemoryPressure(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, shape := range []string{"hellos", "holes", "long"} {
		p := filepath.Join(dir, shape+".pcap")
		if out, err := exec.Command("go", "run", "../../scripts/memgen", shape, "3000", p).CombinedOutput(); err != nil {
			t.Fatalf("memgen %s: %v\n%s", shape, err, out)
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		var want []string
		for _, n := range []int{1, 2, 3, 7} {
			var out, errb bytes.Buffer
			args := []string{"--format", "json", "-v", "--fail-on", "none", "--max-buffer", "1000000", "--workers", fmt.Sprint(n), p}
			if status := run(args, &out, &errb); status != exitOK {
				t.Fatalf("%v: exit %d: %s", args, status, errb.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if n == 1 {
				closed := strings.Count(out.String(), `"closed":"memory"`)
				early := strings.Contains(errb.String(), "out of start order")
				if long := strings.HasSuffix(p, "long.pcap"); !long && closed < len(lines)/2 || long && !early {
					t.Fatalf("%s: %d of %d connections closed for memory, results out of start order: %v; no pressure, nothing proved", p, closed, len(lines), early)
				}
				want = lines
				continue
			}
			if diff := cmp.Diff(want, lines); diff != "" {
				t.Errorf("%s: report with %d workers differs from one worker's (-1 +%d):\n%s", p, n, n, diff)
			}
		}
	}
}
