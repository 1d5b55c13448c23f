package main

// The same-verdict test: every bundled capture, and every capture of the
// shared corpus when it is there, is rewritten the way networks deliver
// TCP (internal/rewrite: payloads cut at random points and inside record
// headers, neighbours swapped, segments sent again whole and overlapping,
// handshake messages split across records, some segments sent as IPv4
// fragments) with several seeds, and the
// JSON report of each rewritten capture must equal the original's, but
// for timestamps. A capture where it cannot is listed with the reason in
// testdata/rewrite-known-differences.md; the test fails on a difference
// not listed there, and on an entry that no longer differs.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/rewrite"
)

const rewriteKnownDiffs = "../../testdata/rewrite-known-differences.md"

// rewriteSeeds are the seeds every capture is rewritten with.
var rewriteSeeds = []int64{1, 2, 3}

// rewriteCapture is a capture the test rewrites: name is how the
// known-differences file names it, "pcaps/NAME" for a bundled one and
// "corpus/PATH" for one of the shared corpus.
type rewriteCapture struct{ name, path string }

func rewriteCaptures(t *testing.T) []rewriteCapture {
	var caps []rewriteCapture
	for _, p := range captures(t) {
		caps = append(caps, rewriteCapture{"pcaps/" + filepath.Base(p), p})
	}
	if _, err := os.Stat(tsharkCorpusDir); err != nil {
		t.Logf("shared corpus not found at %s: only the bundled captures are rewritten", tsharkCorpusDir)
		return caps
	}
	err := filepath.WalkDir(tsharkCorpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".pcap" && ext != ".pcapng" {
			return nil
		}
		rel, err := filepath.Rel(tsharkCorpusDir, p)
		if err != nil {
			return err
		}
		caps = append(caps, rewriteCapture{"corpus/" + filepath.ToSlash(rel), p})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return caps
}

// reportWithoutTimestamps runs hsdecode on a capture as its command line would and
// returns its JSON report, one decoded object per connection, with every
// timestamp removed.
func reportWithoutTimestamps(t *testing.T, path string, args ...string) []any {
	t.Helper()
	var out, errb bytes.Buffer
	if status := run(append([]string{"-r", path, "--format", "json"}, args...), &out, &errb); status == exitError && out.Len() == 0 {
		t.Fatalf("%s: exit %d: %s", path, status, errb.String())
	}
	var objs []any
	dec := json.NewDecoder(&out)
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		objs = append(objs, withoutTimestamps(v))
	}
	return objs
}

// withoutTimestamps removes the ts and end_ts members at every depth, the
// uid made from the first packet's time (docs/report.md, uid), and the
// durations a diagnosis's evidence computes from them ("2ms after the
// ClientHello"): rewriting moves packets in time.
func withoutTimestamps(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "ts")
		delete(x, "end_ts")
		delete(x, "uid")
		for k, e := range x {
			x[k] = withoutTimestamps(e)
		}
		if ev, ok := x["evidence"].([]any); ok {
			for i, e := range ev {
				if s, ok := e.(string); ok {
					ev[i] = durationAfter.ReplaceAllString(s, "D after")
				}
			}
		}
	case []any:
		for i, e := range x {
			x[i] = withoutTimestamps(e)
		}
	}
	return v
}

// durationAfter is a Go duration followed by " after", as the evidence
// of docs/diagnosis.md writes how long a connection waited.
var durationAfter = regexp.MustCompile(`\d[\d.hmµn]*s after`)

// rewriteKnown is one entry of the known-differences file.
type rewriteKnown struct {
	capture string
	seeds   []int64 // nil: every seed
	reason  string
	line    int
}

func (k rewriteKnown) covers(capture string, seed int64) bool {
	return k.capture == capture && (k.seeds == nil || slices.Contains(k.seeds, seed))
}

// parseRewriteKnown reads the table rows "| capture | seeds | reason |"
// (seeds "*" or a comma-separated list); a row without a reason or with
// bad seeds is an error.
func parseRewriteKnown(r io.Reader) ([]rewriteKnown, error) {
	sc := bufio.NewScanner(r)
	var out []rewriteKnown
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(s, "|") {
			continue
		}
		raw := strings.Split(strings.Trim(s, "|"), "|")
		if len(raw) < 3 {
			return nil, fmt.Errorf("line %d: want 3 cells (capture, seeds, reason)", line)
		}
		capture := strings.Trim(strings.TrimSpace(raw[0]), "`")
		if strings.EqualFold(capture, "capture") || strings.Trim(capture, "-: ") == "" {
			continue
		}
		k := rewriteKnown{capture: capture, line: line, reason: strings.TrimSpace(strings.Join(raw[2:], "|"))}
		if seeds := strings.TrimSpace(raw[1]); seeds != "*" {
			for _, f := range strings.Split(seeds, ",") {
				var n int64
				if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil {
					return nil, fmt.Errorf("line %d: seeds %q: want * or numbers", line, seeds)
				}
				k.seeds = append(k.seeds, n)
			}
		}
		if k.reason == "" {
			return nil, fmt.Errorf("line %d: no reason given", line)
		}
		out = append(out, k)
	}
	return out, sc.Err()
}

// TestSameVerdictRewritten: the report of every rewritten capture equals
// the original's, timestamps aside.
func TestSameVerdictRewritten(t *testing.T) {
	kf, err := os.Open(rewriteKnownDiffs)
	if err != nil {
		t.Fatal(err)
	}
	known, err := parseRewriteKnown(kf)
	kf.Close()
	if err != nil {
		t.Fatalf("%s: %v", rewriteKnownDiffs, err)
	}
	used := make([]bool, len(known))
	visited := map[string]bool{}
	var total rewrite.Stats
	var same, runs, listed int
	dir := t.TempDir()
	for _, c := range rewriteCaptures(t) {
		t.Run(c.name, func(t *testing.T) {
			visited[c.name] = true
			want := reportWithoutTimestamps(t, c.path)
			keys := embeddedKeyLog(t, c.path, dir)
			pkts, err := rewrite.ReadFile(c.path)
			if err != nil {
				t.Logf("%v: the %d packets before it are rewritten, as hsdecode reads them", err, len(pkts))
			}
			for _, seed := range rewriteSeeds {
				res, st := rewrite.Rewrite(pkts, rewrite.Options{Seed: seed})
				addStats(&total, st)
				out := filepath.Join(dir, fmt.Sprintf("rewritten-%d.pcap", seed))
				if err := rewrite.WriteFile(out, res); err != nil {
					t.Fatal(err)
				}
				runs++
				diff := cmp.Diff(want, reportWithoutTimestamps(t, out, keys...))
				if diff == "" {
					same++
					continue
				}
				k := slices.IndexFunc(known, func(k rewriteKnown) bool { return k.covers(c.name, seed) })
				if k >= 0 {
					used[k] = true
					listed++
					t.Logf("seed %d: known difference (%s)", seed, known[k].reason)
					continue
				}
				t.Errorf("seed %d: the report of the rewritten capture differs (-original +rewritten):\n%s\n(go run ./scripts/rewrite-capture -seed %d -o rewritten.pcap %s)",
					seed, diff, seed, c.path)
			}
		})
	}
	for i, k := range known {
		if visited[k.capture] && !used[i] {
			t.Errorf("%s:%d: stale entry for %s: its rewritten captures no longer differ; remove it", rewriteKnownDiffs, k.line, k.capture)
		}
	}
	t.Logf("%d/%d rewritten captures report the same (%d differences listed as known); %d payloads cut into %d segments, %d swapped, %d sent twice, %d overlapping, %d cuts inside record headers, %d handshake records split, %d segments sent as IPv4 fragments, %d first segments kept first",
		same, runs, listed, total.Segments, total.Pieces, total.Swapped, total.Duplicated, total.Overlapped, total.HeadersCut, total.RecordsSplit, total.Fragmented, total.Kept)
	// Each rearrangement must have happened somewhere, or the test proves
	// nothing about it.
	if total.Swapped == 0 || total.Duplicated == 0 || total.Overlapped == 0 || total.HeadersCut == 0 || total.RecordsSplit == 0 || total.Fragmented == 0 {
		t.Errorf("some rearrangement never happened: %+v", total)
	}
}

func addStats(to *rewrite.Stats, s rewrite.Stats) {
	to.Segments += s.Segments
	to.Pieces += s.Pieces
	to.Swapped += s.Swapped
	to.Duplicated += s.Duplicated
	to.Overlapped += s.Overlapped
	to.HeadersCut += s.HeadersCut
	to.RecordsSplit += s.RecordsSplit
	to.Kept += s.Kept
	to.Fragmented += s.Fragmented
}

// embeddedKeyLog writes the key logs a pcapng carries in Decryption Secrets
// Blocks to a file, and returns the --keylog arguments that give them to a
// rewritten copy, which is a pcap and carries none; nil when it has none.
func embeddedKeyLog(t *testing.T, path, dir string) []string {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ss, ok := src.(capture.SecretsSource)
	if !ok {
		return nil
	}
	var kl []byte
	for {
		_, err := src.Next()
		for _, b := range ss.Secrets() {
			kl = append(append(kl, b...), '\n')
		}
		if err != nil {
			break
		}
	}
	if len(kl) == 0 {
		return nil
	}
	f := filepath.Join(dir, "embedded.keys")
	if err := os.WriteFile(f, kl, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--keylog", f}
}
