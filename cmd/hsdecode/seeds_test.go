package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

var updateTrackerSeeds = flag.Bool("update-tracker-seeds", false,
	"rewrite flows/testdata/fuzz/FuzzTracker/capture-* from the bundled captures")

// trackerSeedDir holds FuzzTracker's seed corpus.
const trackerSeedDir = "../../flows/testdata/fuzz/FuzzTracker"

// delivery is one call reassembly made on a connection's stream.
type delivery struct {
	side stream.Side
	data []byte
	gap  bool
}

// recorder is a stream.Factory that wraps the real tracker and notes
// what each connection was fed, in order.
type recorder struct {
	col   *flows.Collector
	conns []*recordedConn
}

type recordedConn struct {
	stream.Stream
	syn bool
	log []delivery
}

func (r *recorder) New(info stream.ConnInfo) stream.Stream {
	c := &recordedConn{Stream: r.col.New(info), syn: info.SawSYN}
	r.conns = append(r.conns, c)
	return c
}

func (c *recordedConn) Data(s stream.Side, b []byte, ts time.Time) {
	c.log = append(c.log, delivery{side: s, data: append([]byte(nil), b...)})
	c.Stream.Data(s, b, ts)
}

func (c *recordedConn) Gap(s stream.Side, missing int, ts time.Time) {
	c.log = append(c.log, delivery{side: s, gap: true})
	c.Stream.Gap(s, missing, ts)
}

// encodeTrackerInput writes deliveries in the input format of FuzzTracker
// (flows/fuzz_test.go, feedChunks): per chunk a control byte, bit 0 the
// side, bits 2-7 k for a chunk of 4k+1 bytes, bits 1 and 7 together a gap
// before it. A delivery is cut into chunks of 4k+1 bytes, the largest
// first. A gap is kept when the next chunk is long enough to have bit 7
// (129 bytes or more), else dropped: the seeds are starting points.
func encodeTrackerInput(log []delivery) []byte {
	var out []byte
	gapNext := false
	for _, d := range log {
		if d.gap {
			gapNext = true
			continue
		}
		for b := d.data; len(b) > 0; {
			k := (min(len(b), 253) - 1) / 4
			n := 4*k + 1
			ctl := byte(k<<2) | byte(d.side&1)
			if gapNext {
				if ctl&0x80 != 0 {
					ctl |= 2
				}
				gapNext = false
			}
			out = append(out, ctl)
			out = append(out, b[:n]...)
			b = b[n:]
		}
	}
	return out
}

// TestWriteTrackerSeeds records what the bundled captures feed the tracker
// and writes it as FuzzTracker seeds, so that the fuzzer starts from real
// stacks' handshakes in their real interleavings.
func TestWriteTrackerSeeds(t *testing.T) {
	if !*updateTrackerSeeds {
		t.Skip("run with -update-tracker-seeds to rewrite the FuzzTracker seeds from testdata/pcaps")
	}
	old, _ := filepath.Glob(filepath.Join(trackerSeedDir, "capture-*"))
	for _, f := range old {
		os.Remove(f)
	}
	n := 0
	for _, pcap := range captures(t) {
		src, err := capture.OpenFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{col: flows.NewCollector(flows.Options{})}
		asm := reassembly.NewAssembler(rec, reassembly.Options{MaxBufferedBytes: 64 << 20})
		for {
			p, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", pcap, err)
			}
			asm.Packet(p.LinkType, p.Data, p.CaptureInfo)
		}
		asm.Flush()
		src.Close()
		base := strings.TrimSuffix(filepath.Base(pcap), filepath.Ext(pcap))
		for i, c := range rec.conns {
			in := encodeTrackerInput(c.log)
			if len(in) == 0 || len(in) > 64<<10 {
				continue
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", in, c.syn)
			name := filepath.Join(trackerSeedDir, fmt.Sprintf("capture-%s-%d", base, i))
			if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	t.Logf("wrote %d seeds", n)
}
