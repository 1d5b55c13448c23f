package main

// What a user sees of a capture that lost bytes, began late, or had its
// packets cut by the snap length: the clean capture is
// testdata/pcaps/01-tls12-ecdhe-rsa.pcap (frames: 1-3 the 3-way handshake,
// 4 ClientHello, 6 the server's first flight, 8 the client's second, 9
// the server's second, 10 and 11 application data, 12 and 14 close_notify,
// 15-17 the close).

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/rewrite"
)

// messyReport is the part of a JSON report these tests look at.
type messyReport struct {
	Outcome  string `json:"outcome"`
	Closed   string `json:"closed"`
	Messages []struct {
		From string `json:"from"`
		Type string `json:"type"`
	} `json:"messages"`
	Violations []struct {
		Code string `json:"code"`
	} `json:"violations"`
	Gap *struct {
		From   string `json:"from"`
		Offset int64  `json:"offset"`
	} `json:"gap"`
}

func (r messyReport) from(role string) []string {
	var out []string
	for _, m := range r.Messages {
		if m.From == role {
			out = append(out, m.Type)
		}
	}
	return out
}

// reportOf writes packets to a capture and returns hsdecode's JSON
// report of it, one per connection, and what -v printed.
func reportOf(t *testing.T, pkts []capture.Packet) ([]messyReport, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "messy.pcap")
	if err := rewrite.WriteFile(path, pkts); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if status := run([]string{"-v", "-r", path, "--format", "json"}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	var rs []messyReport
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r messyReport
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs, errb.String()
}

func clean(t *testing.T) []capture.Packet {
	t.Helper()
	pkts, err := rewrite.ReadFile(filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

// payloadLen is the TCP payload length of an IPv4 frame over Ethernet
// with a 32-byte TCP header, as the frames of the clean capture are.
func payloadLen(p capture.Packet) int { return len(p.Data) - 14 - 20 - 32 }

// without returns the packets but those at the given 1-based frame numbers.
func without(pkts []capture.Packet, frames ...int) []capture.Packet {
	var out []capture.Packet
	for i, p := range pkts {
		if !slices.Contains(frames, i+1) {
			out = append(out, p)
		}
	}
	return out
}

func TestMessyCaptures(t *testing.T) {
	pkts := clean(t)
	want, _ := reportOf(t, pkts)
	if len(want) != 1 || want[0].Outcome != "established" {
		t.Fatalf("the clean capture: %+v", want)
	}
	hello := payloadLen(pkts[3])
	flight := payloadLen(pkts[5])
	cut := func(p capture.Packet, keep int) capture.Packet {
		q := p
		q.Data = p.Data[:len(p.Data)-payloadLen(p)+keep]
		q.CaptureInfo.CaptureLength = len(q.Data) // Length stays: the snap length cut it
		return q
	}
	type gap struct {
		from   string
		offset int64
	}
	tests := []struct {
		name    string
		pkts    []capture.Packet
		outcome string
		gap     *gap
		skipped string // a line -v must print
	}{
		{"the server's first flight lost", without(pkts, 6), "gap", &gap{"server", 0}, "1 gaps in TCP streams"},
		{"the client's second flight lost", without(pkts, 8), "gap", &gap{"client", int64(hello)}, "1 gaps in TCP streams"},
		// Nothing of the server comes after its flight: only the
		// client's acknowledgement of it says that it was sent.
		{"the server's first flight lost, and the capture ends", append(slices.Clone(pkts[:5]), pkts[6]), "gap", &gap{"server", 0}, "1 gaps in TCP streams"},
		{"the snap length cut the server's flight", append(append(slices.Clone(pkts[:5]), cut(pkts[5], 100)), pkts[6:]...),
			"gap", &gap{"server", 100}, "1 segments cut by the snap length"},
		{"bytes lost after the verdict", without(pkts, 11), "established", nil, "connections closed: 1 by FIN"},
		{"the capture began after the ClientHello", pkts[4:], "partial", nil, "skipped"},
		{"the capture ended in the handshake", pkts[:6], "incomplete", nil, "1 open at the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, verbose := reportOf(t, tt.pkts)
			if len(got) != 1 {
				t.Fatalf("%d reports, want 1", len(got))
			}
			r := got[0]
			if r.Outcome != tt.outcome || len(r.Violations) > 0 {
				t.Errorf("outcome %s, violations %v; want %s and none", r.Outcome, r.Violations, tt.outcome)
			}
			switch {
			case tt.gap == nil && r.Gap != nil:
				t.Errorf("gap %+v, want none", *r.Gap)
			case tt.gap != nil && (r.Gap == nil || r.Gap.From != tt.gap.from || r.Gap.Offset != tt.gap.offset):
				t.Errorf("gap %+v, want %+v", r.Gap, *tt.gap)
			}
			if !strings.Contains(verbose, tt.skipped) {
				t.Errorf("-v printed:\n%s\nwant a line with %q", verbose, tt.skipped)
			}
			if tt.outcome == "incomplete" && (r.Closed != "capture_end" || len(r.Messages) == 0) {
				t.Errorf("closed %q with %d messages: want capture_end, with what was seen", r.Closed, len(r.Messages))
			}
		})
	}
	if flight < 300 {
		t.Fatalf("the server's flight is %d bytes", flight)
	}
}

// A capture that lost the 3-way handshake, whose ClientHello came in two
// segments swapped, is read from the ClientHello's start, as with the
// segments in order: the client's first segments settle before its
// stream starts (reassembly/settle.go).
func TestSwappedClientHelloWithoutSYN(t *testing.T) {
	pkts := clean(t)[3:] // from the ClientHello on
	dir := t.TempDir()
	report := func(name string, pkts []capture.Packet) []any {
		path := filepath.Join(dir, name)
		if err := rewrite.WriteFile(path, pkts); err != nil {
			t.Fatal(err)
		}
		return reportWithoutTimestamps(t, path)
	}
	want := report("in-order.pcap", pkts)
	if len(want) != 1 {
		t.Fatalf("in order: %d reports, want 1", len(want))
	}
	r := want[0].(map[string]any)
	if r["server_name"] != "localhost" || r["fingerprints"].(map[string]any)["ja3"] == nil {
		t.Fatalf("in order: %v: no SNI or JA3 to compare", r)
	}
	hello := payloadLen(pkts[0])
	for _, at := range []int{1, 5, 9, hello / 2, hello - 1} {
		head, tail, ok := rewrite.Split(pkts[0], at)
		if !ok {
			t.Fatalf("the ClientHello's segment cannot be split at %d", at)
		}
		swapped := append([]capture.Packet{tail, head}, pkts[1:]...)
		if diff := cmp.Diff(want, report("swapped.pcap", swapped)); diff != "" {
			t.Errorf("split at %d and swapped: report differs (-in order +swapped):\n%s", at, diff)
		}
	}
}

// A capture that begins inside a record finds the next record boundary and
// never reports garbage as messages: at every offset into the server's
// first flight, the server's messages reported are the last ones of the
// clean capture's, and no violation.
func TestCaptureStartingInsideARecord(t *testing.T) {
	pkts := clean(t)
	want, _ := reportOf(t, pkts)
	server := want[0].from("server")
	flight := payloadLen(pkts[5])
	for off := 1; off < flight; off += 17 {
		trimmed, ok := rewrite.Trim(pkts[5], off)
		if !ok {
			t.Fatalf("frame 6 cannot be trimmed by %d", off)
		}
		// From the server's flight on; the client's ClientHello is gone too.
		got, _ := reportOf(t, append([]capture.Packet{trimmed}, pkts[6:]...))
		if len(got) != 1 {
			t.Fatalf("offset %d: %d reports", off, len(got))
		}
		r := got[0]
		s := r.from("server")
		if r.Outcome != "partial" || len(r.Violations) > 0 || len(s) > len(server) || !slices.Equal(s, server[len(server)-len(s):]) {
			t.Errorf("offset %d: outcome %s, violations %v, server messages %v; want partial, none, the last ones of %v",
				off, r.Outcome, r.Violations, s, server)
		}
	}
}

// IPv4 fragments, and -v's account of them.
func TestFragmentedCapture(t *testing.T) {
	pkts := clean(t)
	want, _ := reportOf(t, pkts)
	frags, st := rewrite.Rewrite(pkts, rewrite.Options{Seed: 1, Fragment: 1, Swap: -1, Duplicate: -1, Overlap: -1, SplitRecord: -1})
	if st.Fragmented == 0 {
		t.Fatal("nothing fragmented")
	}
	got, verbose := reportOf(t, frags)
	if len(got) != 1 || got[0].Outcome != want[0].Outcome || !slices.Equal(got[0].from("server"), want[0].from("server")) {
		t.Errorf("fragmented: %+v, want %+v", got, want)
	}
	if !strings.Contains(verbose, "IP datagrams made whole from fragments") {
		t.Errorf("-v printed:\n%s", verbose)
	}
}
