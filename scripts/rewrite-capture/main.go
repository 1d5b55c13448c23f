// Command rewrite-capture rewrites a capture the way networks deliver TCP:
// every payload cut into several segments, neighbours swapped, segments
// sent again whole or overlapping, TLS record headers split across
// segments, handshake messages across records, some segments sent as IPv4
// fragments. hsdecode must report
// the same on the result as on the original (cmd/hsdecode's
// TestSameVerdictRewritten checks it on every bundled capture).
//
//	go run ./scripts/rewrite-capture -seed 7 -o messy.pcap testdata/pcaps/01-tls12-ecdhe-rsa.pcap
//
// With -drop RATE it only leaves packets out at random, that share of them
// (issue 11: scripts/loss-check.sh, TestLossNoFalseViolation). With
// -client-ports N it only moves each client's port by N, as the same test
// recorded again would have it (TestStableAcrossRuns).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hsdecode/hsdecode/internal/rewrite"
)

func main() {
	seed := flag.Int64("seed", 1, "seed of the random choices: the same seed gives the same file")
	out := flag.String("o", "", "write the rewritten capture to this pcap `file`")
	drop := flag.Float64("drop", 0, "only leave out this share of the packets (0 to 1), at random")
	shift := flag.Uint("client-ports", 0, "only move each connection's client port by this `N` (modulo 65536)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: rewrite-capture [-seed N] [-drop RATE | -client-ports N] -o OUT.pcap IN.pcap|IN.pcapng")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	pkts, err := rewrite.ReadFile(flag.Arg(0))
	if err != nil && len(pkts) == 0 {
		fmt.Fprintln(os.Stderr, "rewrite-capture:", err)
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "rewrite-capture: %v (the %d packets before it are rewritten)\n", err, len(pkts))
	}
	if *shift > 0 {
		if err := rewrite.WriteFile(*out, rewrite.ShiftClientPorts(pkts, uint16(*shift))); err != nil {
			fmt.Fprintln(os.Stderr, "rewrite-capture:", err)
			os.Exit(1)
		}
		return
	}
	if *drop > 0 {
		res, n := rewrite.Drop(pkts, *drop, *seed)
		if err := rewrite.WriteFile(*out, res); err != nil {
			fmt.Fprintln(os.Stderr, "rewrite-capture:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "rewrite-capture: %d frames in, %d out, %d dropped\n", len(pkts), len(res), n)
		return
	}
	res, st := rewrite.Rewrite(pkts, rewrite.Options{Seed: *seed})
	if err := rewrite.WriteFile(*out, res); err != nil {
		fmt.Fprintln(os.Stderr, "rewrite-capture:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "rewrite-capture: %d frames in, %d out: %d payloads cut into %d segments, %d swapped, %d sent twice, %d overlapping, %d cuts inside record headers, %d handshake records split, %d segments sent as IPv4 fragments, %d first segments kept first, %d frames unchanged, %d barriers\n",
		st.Frames, len(res), st.Segments, st.Pieces, st.Swapped, st.Duplicated, st.Overlapped, st.HeadersCut, st.RecordsSplit, st.Fragmented, st.Kept, st.Unchanged, st.Barriers)
}
