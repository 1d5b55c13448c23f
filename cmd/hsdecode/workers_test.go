package main

import (
	"bytes"
	"fmt"
	"os"
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
	for _, extra := range [][]string{nil, {"--idle-timeout", "200ms"}, {"--follow"}} {
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
