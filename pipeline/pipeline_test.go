package pipeline

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
)

// packets reads every packet of a bundled capture, copied.
func packets(t *testing.T, name string) []capture.Packet {
	t.Helper()
	src, err := capture.OpenFile(filepath.Join("..", "testdata", "pcaps", name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var ps []capture.Packet
	for {
		p, err := src.Next()
		if err == io.EOF {
			return ps
		}
		if err != nil {
			t.Fatal(err)
		}
		p.Data = append([]byte(nil), p.Data...)
		ps = append(ps, p)
	}
}

// bundledPackets are the packets of every bundled capture, one after the
// other, and how many captures there are.
func bundledPackets(t *testing.T) ([]capture.Packet, int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundled captures: %v", err)
	}
	var all []capture.Packet
	for _, f := range files {
		all = append(all, packets(t, filepath.Base(f))...)
	}
	return all, len(files)
}

// feed gives p the packets in batches of 50, take taking the results out
// after each, and at the end.
func feed(p *Pipeline, all []capture.Packet, take func()) {
	for i, pk := range all {
		p.Packet(pk.LinkType, pk.Data, pk.CaptureInfo)
		if i%50 == 49 {
			p.EndBatch(nil)
			take()
		}
	}
	p.EndBatch(nil)
	p.Flush()
	take()
}

// TestStartOrderAnyWorkers: every bundled capture, one after the other
// through one pipeline, gives the same results in the order their
// connections began with 1 worker as with 3.
func TestStartOrderAnyWorkers(t *testing.T) {
	all, files := bundledPackets(t)
	run := func(workers int) (seqs []uint64, outcomes []flows.Outcome) {
		p := New(Options{Workers: workers})
		take := func() {
			for r := p.Next(); r != nil; r = p.Next() {
				seqs = append(seqs, r.Seq)
				outcomes = append(outcomes, r.Outcome)
			}
		}
		feed(p, all, take)
		if n := p.OutOfOrder(); n != 0 {
			t.Errorf("%d workers: %d out of start order", workers, n)
		}
		return seqs, outcomes
	}
	seqs1, out1 := run(1)
	seqs3, out3 := run(3)
	if len(seqs1) < files || !slices.IsSorted(seqs1) {
		t.Fatalf("1 worker: %d results, Seqs %v; want at least %d, ascending", len(seqs1), seqs1, files)
	}
	if !slices.Equal(seqs1, seqs3) || !slices.Equal(out1, out3) {
		t.Errorf("3 workers gave Seqs %v outcomes %v; 1 worker %v %v", seqs3, out3, seqs1, out1)
	}
}

// TestDecisionOrderBeforeClose: in decision order a handshake comes out
// as soon as it is decided, while its connection is still open, as a
// live capture shows it; the close adds nothing.
func TestDecisionOrderBeforeClose(t *testing.T) {
	ps := packets(t, "12-tls13-full.pcap")
	p := New(Options{Order: DecisionOrder})
	at := -1
	var got []*flows.Result
	for i, pk := range ps {
		p.Packet(pk.LinkType, pk.Data, pk.CaptureInfo)
		p.EndBatch(nil)
		for r := p.Next(); r != nil; r = p.Next() {
			got = append(got, r)
			if at < 0 {
				at = i
			}
		}
	}
	p.Flush()
	for r := p.Next(); r != nil; r = p.Next() {
		got = append(got, r)
	}
	if len(got) != 1 || got[0].Outcome != flows.OutcomeEstablished || len(got[0].Messages) == 0 {
		t.Fatalf("%d results, want one established with its messages", len(got))
	}
	// The first FIN or RST: 12-tls13-full.pcap is Ethernet and IPv4.
	end := slices.IndexFunc(ps, func(pk capture.Packet) bool {
		flags := pk.Data[14+int(pk.Data[14]&0x0f)*4+13]
		return flags&0x05 != 0
	})
	if at < 0 || end < 0 || at >= end {
		t.Errorf("the result came out with packet %d, the first FIN or RST is packet %d: want it before", at+1, end+1)
	}
}

// TestDecisionOrderWorkers: in decision order every bundled capture, one
// after the other through one pipeline, gives the same results with 3
// workers as with 1, each once, whatever order the workers hand them
// over in, and NotReported counts the same.
func TestDecisionOrderWorkers(t *testing.T) {
	all, files := bundledPackets(t)
	run := func(workers int) (got []string, notReported int64) {
		p := New(Options{Workers: workers, Order: DecisionOrder})
		take := func() {
			for r := p.Next(); r != nil; r = p.Next() {
				got = append(got, fmt.Sprintf("%d %s %d", r.Seq, r.Outcome, len(r.Messages)))
			}
		}
		feed(p, all, take)
		slices.Sort(got)
		return got, p.NotReported()
	}
	one, skipped1 := run(1)
	three, skipped3 := run(3)
	if len(one) < files {
		t.Fatalf("1 worker: %d results, want at least %d", len(one), files)
	}
	if diff := cmp.Diff(one, three); diff != "" || skipped1 != skipped3 {
		t.Errorf("3 workers: not reported %d (1 worker: %d); results by Seq (-1 worker +3):\n%s", skipped3, skipped1, diff)
	}
}
