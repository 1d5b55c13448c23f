package main

// The tshark reassembly comparison: tshark itself, with its TCP
// reassembly preferences on (out-of-order segments included), is run on
// every bundled capture and every capture of the shared corpus, and on
// their rewritten versions (internal/rewrite), and the handshake
// messages, ChangeCipherSpecs and alerts it sees per TCP stream and
// direction are compared with hsdecode's, as TestTsharkAgreement does with
// the corpus's stored references (made without out-of-order reassembly).
// Running tshark some 450 times takes minutes, so the test runs only with
// HSDECODE_TSHARK=1 (scripts/tshark-agreement.sh sets it and prints the
// counts). A disagreement where tshark is wrong is listed with the reason
// in testdata/tshark-reassembly-known-differences.md; the test fails on
// any other, and on entries that no longer disagree.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hsdecode/hsdecode/internal/rewrite"
)

const tsharkReassemblyKnownDiffs = "../../testdata/tshark-reassembly-known-differences.md"

// tsharkArgs is the corpus MANIFEST's tshark command ("tshark reference
// files") with TCP reassembly of out-of-order segments on.
var tsharkArgs = []string{
	"-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
	"-o", "tls.desegment_ssl_records:TRUE", "-o", "tls.desegment_ssl_application_data:TRUE",
	"--enable-heuristic", "tls_tcp",
	"-Y", "tls.handshake or tls.alert_message or tls.change_cipher_spec or tls",
	"-T", "fields", "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
	"-e", "frame.number", "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tls.record.version",
	"-e", "tls.handshake.type", "-e", "tls.alert_message.desc", "-e", "tls.change_cipher_spec",
	"-e", "ipv6.src", "-e", "tls.record.content_type", "-e", "tls.record.opaque_type",
	"-e", "frame.protocols",
}

// tsharkDecodeAs are the corpus captures whose TLS tshark's heuristics
// miss, with the decode-as the MANIFEST gives them.
var tsharkDecodeAs = map[string][]string{
	"corpus/ndpi/tests/cfgs/default/pcap/tls_port_80.pcapng": {"-d", "tcp.port==80,tls"},
	// The MPLS pseudowires of the tunnel captures: tshark does not guess
	// that Ethernet follows the control word.
	"pcaps/111-mpls-pw-tls12.pcap": pwDecodeAs,
	"pcaps/116-nested-alert.pcap":  pwDecodeAs,
}

// pwDecodeAs decodes scripts/tunnel-wrap's pseudowire labels (-id 100,
// and 100+256 the other way) as Ethernet after a control word.
var pwDecodeAs = []string{"-d", "mpls.label==100,pwethcw", "-d", "mpls.label==356,pwethcw"}

// tsharkJob is one capture to give tshark: name is how the
// known-differences file names it, with "@seed N" for a rewritten one.
type tsharkJob struct {
	name, path string
	tsv        []byte
	err        error
}

func TestTsharkReassembly(t *testing.T) {
	if os.Getenv("HSDECODE_TSHARK") == "" {
		t.Skip("runs tshark on every capture and its rewritten versions: set HSDECODE_TSHARK=1 (scripts/tshark-agreement.sh)")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatalf("tshark: %v", err)
	}
	seeds := []int64{1}
	if s := os.Getenv("HSDECODE_TSHARK_SEEDS"); s != "" {
		seeds = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("HSDECODE_TSHARK_SEEDS=%q: %v", s, err)
			}
			seeds = append(seeds, n)
		}
	}
	kf, err := os.Open(tsharkReassemblyKnownDiffs)
	if err != nil {
		t.Fatal(err)
	}
	known, err := parseKnownDiffs(kf)
	kf.Close()
	if err != nil {
		t.Fatalf("%s: %v", tsharkReassemblyKnownDiffs, err)
	}

	// Every capture is written again as plain pcap first: the same
	// packets, without a pcapng Decryption Secrets Block, which would let
	// tshark decrypt what hsdecode cannot see.
	dir := t.TempDir()
	var jobs []*tsharkJob
	for i, c := range rewriteCaptures(t) {
		pkts, err := rewrite.ReadFile(c.path)
		if err != nil {
			t.Logf("%s: %v: the %d packets before it are compared", c.name, err, len(pkts))
		}
		orig := filepath.Join(dir, fmt.Sprintf("%d.pcap", i))
		if err := rewrite.WriteFile(orig, pkts); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, &tsharkJob{name: c.name, path: orig})
		for _, seed := range seeds {
			res, _ := rewrite.Rewrite(pkts, rewrite.Options{Seed: seed})
			p := filepath.Join(dir, fmt.Sprintf("%d-%d.pcap", i, seed))
			if err := rewrite.WriteFile(p, res); err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, &tsharkJob{name: fmt.Sprintf("%s@seed%d", c.name, seed), path: p})
		}
	}
	runTshark(jobs)

	used := make([]bool, len(known))
	type count struct{ streams, agree, listed int }
	var orig, rewritten count
	for _, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			if j.err != nil {
				t.Fatalf("tshark: %v", j.err)
			}
			base, _, _ := strings.Cut(j.name, "@")
			v, err := compareWithTshark(j.path, j.tsv)
			if err != nil {
				t.Fatal(err)
			}
			cnt := &orig
			if strings.Contains(j.name, "@") {
				cnt = &rewritten
			}
			cnt.streams += v.streams
			cnt.agree += v.agree
			for _, n := range v.notes {
				t.Logf("note: %s", n)
			}
			for _, d := range v.diffs {
				listed := -1
				for i, k := range known {
					// "NAME@*" stands for every rewritten version of NAME.
					if k.covers(j.name, d) || j.name != base && k.covers(base+"@*", d) {
						listed, used[i] = i, true
					}
				}
				if listed >= 0 {
					cnt.listed++
					t.Logf("stream %d %s: known difference (%s): %s", d.stream, d.dir, known[listed].reason, d.detail)
					continue
				}
				t.Errorf("%s stream %d %s: disagrees with tshark: %s", j.name, d.stream, d.dir, d.detail)
			}
		})
	}
	ran := map[string]bool{}
	for _, j := range jobs {
		base, _, rewritten := strings.Cut(j.name, "@")
		ran[j.name] = true
		if rewritten {
			ran[base+"@*"] = true
		}
	}
	for i, k := range known {
		if ran[k.capture] && !used[i] {
			t.Errorf("%s:%d: stale known difference %s stream %d %s: it no longer disagrees; remove the entry",
				tsharkReassemblyKnownDiffs, k.line, k.capture, k.stream, k.dir)
		}
	}
	t.Logf("%s with out-of-order reassembly, per TCP stream: originals %d/%d agree (%d disagreements listed as known), rewritten (seeds %v) %d/%d agree (%d listed)",
		tsharkVersion(), orig.agree, orig.streams, orig.listed, seeds, rewritten.agree, rewritten.streams, rewritten.listed)
}

// runTshark runs tshark on every job, as many at once as there are CPUs.
func runTshark(jobs []*tsharkJob) {
	work := make(chan *tsharkJob)
	var wg sync.WaitGroup
	for range max(1, runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				base, _, _ := strings.Cut(j.name, "@")
				args := append([]string{"-r", j.path}, tsharkDecodeAs[base]...)
				var out, errb bytes.Buffer
				cmd := exec.Command("tshark", append(args, tsharkArgs...)...)
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					j.err = fmt.Errorf("%v: %s", err, errb.String())
				}
				j.tsv = out.Bytes()
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
}

func tsharkVersion() string {
	out, err := exec.Command("tshark", "--version").Output()
	if err != nil {
		return "?"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSuffix(strings.TrimSpace(first), ".")
}

// compareWithTshark is compareCapture with tshark's output at hand.
func compareWithTshark(path string, tsv []byte) (*captureVerdict, error) {
	streams, err := parseTsharkTSV(bytes.NewReader(tsv))
	if err != nil {
		return nil, fmt.Errorf("tshark output: %v", err)
	}
	return compareStreams(path, streams)
}
