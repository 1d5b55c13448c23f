package main

import (
	"encoding/binary"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/pipeline"
	"github.com/hsdecode/hsdecode/reassembly"
)

// TestDecisionOrderMemoryFlat: with each result handed over as soon as it
// is decided, as a live capture runs, nothing of a connection stays once it is
// reported and closed. One real TLS 1.3 handshake, replayed 120000 times
// on 40000 client ports, 1 ms apart, leaves the heap where it was after the
// first 56000 (by then reassembly's table of lately closed connections is
// full, and the tables' maps have grown to their size). This is what keeps
// scripts/soak.sh flat, without a network.
func TestDecisionOrderMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 120000 connections")
	}
	src, err := capture.OpenFile(filepath.Join(pcapDir, "12-tls13-full.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	type packet struct {
		data []byte
		ts   time.Duration // after the first packet
	}
	var pkts []packet
	var t0 time.Time
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.LinkType != layers.LinkTypeEthernet {
			t.Fatalf("link type %v, want Ethernet", p.LinkType)
		}
		if t0.IsZero() {
			t0 = p.CaptureInfo.Timestamp
		}
		pkts = append(pkts, packet{append([]byte(nil), p.Data...), p.CaptureInfo.Timestamp.Sub(t0)})
	}
	src.Close()
	// The TCP ports of an Ethernet/IPv4 frame; the first packet is the
	// client's SYN.
	ports := func(b []byte) []byte { return b[14+int(b[14]&0x0f)*4:][:4] }
	client := binary.BigEndian.Uint16(ports(pkts[0].data))

	reported := 0
	p := pipeline.New(pipeline.Options{Order: pipeline.DecisionOrder, Reassembly: reassembly.Options{IdleTimeout: time.Minute}})
	take := func() {
		for r := p.Next(); r != nil; r = p.Next() {
			reported++
			if r.Outcome != flows.OutcomeEstablished {
				t.Fatalf("connection %d: %s", reported, r.Outcome)
			}
		}
	}
	buf := make([]byte, 0, 1<<16)
	replay := func(from, to int) {
		for i := from; i < to; i++ {
			port := uint16(1025 + i%40000) // below the server's port, 44312
			start := t0.Add(time.Duration(i) * time.Millisecond)
			for _, pk := range pkts {
				buf = append(buf[:0], pk.data...)
				tp := ports(buf)
				for _, off := range []int{0, 2} {
					if binary.BigEndian.Uint16(tp[off:]) == client {
						binary.BigEndian.PutUint16(tp[off:], port) // checksums are not verified
					}
				}
				p.Packet(layers.LinkTypeEthernet, buf, gopacket.CaptureInfo{Timestamp: start.Add(pk.ts), CaptureLength: len(buf), Length: len(buf)})
				p.EndBatch(nil)
				take()
			}
		}
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// The maps of the connection tables take one step up in size, after
	// about 40000 connections, and no other.
	const warm, total = 56000, 120000
	replay(0, warm)
	before := heap()
	replay(warm, total)
	after := heap()
	p.Flush()
	take()
	if reported != total {
		t.Fatalf("%d connections reported, want %d", reported, total)
	}
	t.Logf("heap after %d connections %d KiB, after %d %d KiB", warm, before>>10, total, after>>10)
	if after > before+256<<10 {
		t.Errorf("heap grew by %d KiB over %d reported and closed connections", (after-before)>>10, total-warm)
	}
}
