package reassembly

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/stream"
)

// countFactory makes consumers that only count what they get, so that
// tests can feed many connections or many bytes cheaply.
type countFactory struct {
	streams     []*countStream
	bytes, gaps int64
	closed      [stream.EndMemory + 1]int64
}

type countStream struct {
	f      *countFactory
	closes int
}

func (f *countFactory) New(stream.ConnInfo) stream.Stream {
	s := &countStream{f: f}
	f.streams = append(f.streams, s)
	return s
}
func (s *countStream) Data(_ stream.Side, b []byte, _ time.Time)    { s.f.bytes += int64(len(b)) }
func (s *countStream) Gap(stream.Side, int, time.Time)              { s.f.gaps++ }
func (s *countStream) End(stream.Side, stream.EndReason, time.Time) {}
func (s *countStream) Close(r stream.EndReason, _ time.Time)        { s.f.closed[r]++; s.closes++ }
func (s *countStream) Done() bool                                   { return false }

// rawFrame is a raw IPv4 frame of p whose addresses, ports and sequence
// number are patched in place for each packet (checksums are not checked).
type rawFrame []byte

func (f rawFrame) set(src [4]byte, port uint16, seq uint32) {
	copy(f[12:16], src[:])
	binary.BigEndian.PutUint16(f[20:], port)
	binary.BigEndian.PutUint32(f[24:], seq)
}

func (f rawFrame) setReply(dst [4]byte, port uint16, seq uint32) {
	copy(f[16:20], dst[:])
	binary.BigEndian.PutUint16(f[22:], port)
	binary.BigEndian.PutUint32(f[24:], seq)
}

// A capture of 100,000 connections that never complete their handshake,
// each holding out-of-order bytes behind the hole of a lost first
// segment: what the Assembler holds stays within Options.MaxBufferedBytes,
// the quietest connections closed to make room (EndMemory), or, with an
// IdleTimeout, once idle (EndIdle).
func TestMemoryBoundManyConnections(t *testing.T) {
	n := 100000
	if raceEnabled || testing.Short() {
		n = 20000
	}
	tests := []struct {
		name   string
		opts   Options
		reason stream.EndReason // how most connections must close
	}{
		// The frames are rewritten in place (rawFrame.set), their
		// checksums left as they were.
		{"memory", Options{MaxBufferedBytes: 8 << 20, ChecksumMode: ChecksumOff}, stream.EndMemory},
		{"idle", Options{MaxBufferedBytes: 512 << 20, IdleTimeout: 5 * time.Second, ChecksumMode: ChecksumOff}, stream.EndIdle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &countFactory{}
			a := NewAssembler(f, tt.opts)
			syn := rawFrame(ipTCP(t, pkt{0, cli, srv, "S", 1000, 0, ""}, nil))
			synAck := rawFrame(ipTCP(t, pkt{0, srv, cli, "SA", 5000, 1001, ""}, nil))
			late := rawFrame(ipTCP(t, pkt{0, cli, srv, "PA", 1501, 5001, strings.Repeat("x", 1000)}, nil))
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range n {
				ip := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
				port := uint16(1024 + i%60000)
				ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond)}
				syn.set(ip, port, 1000)
				synAck.setReply(ip, port, 5000)
				late.set(ip, port, 1501) // the segment at 1001 was lost
				for _, fr := range []rawFrame{syn, synAck, late} {
					a.Packet(layers.LinkTypeRaw, fr, ci)
				}
			}
			st := a.Stats()
			// The pages counted connection by connection are those gopacket
			// holds for all of them.
			if est, real := countedPages(a), gopacketPages(t, a); est != real {
				t.Errorf("%d pages counted for the open connections, gopacket holds %d", est, real)
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			a.Flush()
			final := a.Stats()

			if st.MaxBuffered > tt.opts.MaxBufferedBytes {
				t.Errorf("held %d bytes at most, over the bound of %d", st.MaxBuffered, tt.opts.MaxBufferedBytes)
			}
			if final.Connections != int64(n) || len(f.streams) != n {
				t.Fatalf("%d connections, %d consumers; want %d", final.Connections, len(f.streams), n)
			}
			var closed int64
			for r, k := range f.closed {
				closed += k
				if final.Closed[stream.EndReason(r)] != k {
					t.Errorf("Stats.Closed[%d] = %d, consumers got %d", r, final.Closed[stream.EndReason(r)], k)
				}
			}
			for i, s := range f.streams {
				if s.closes != 1 {
					t.Fatalf("connection %d closed %d times", i+1, s.closes)
				}
			}
			if f.closed[tt.reason] < int64(n)/2 || f.closed[tt.reason]+f.closed[stream.EndCapture] != int64(n) {
				t.Errorf("closes %v: want most connections closed with reason %d, the rest at the end", f.closed, tt.reason)
			}
			if final.Open != 0 || final.Buffered != 0 {
				t.Errorf("after Flush: %d open, %d bytes held", final.Open, final.Buffered)
			}
			t.Logf("%d connections: held at most %d bytes of %d, %d open at most; closed %v; heap grew by %d MiB",
				n, st.MaxBuffered, tt.opts.MaxBufferedBytes, st.MaxOpen, final.Closed,
				(int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20)
		})
	}
}

// One connection whose peer sends 1 GB after a hole that is never filled:
// the direction waits behind it with at most maxPagesPerDirection pages,
// then gives it up and delivers everything else.
func TestMemoryBoundOneGigabyte(t *testing.T) {
	total := int64(1 << 30)
	if raceEnabled || testing.Short() {
		total = 64 << 20
	}
	const mss = 1460
	f := &countFactory{}
	// seg is rewritten in place, its checksum left as it was.
	a := NewAssembler(f, Options{ChecksumMode: ChecksumOff})
	ci := gopacket.CaptureInfo{Timestamp: base}
	for _, p := range handshake(cli, srv, 1000, 5000) {
		a.Packet(layers.LinkTypeRaw, ipTCP(t, p, nil), ci)
	}
	seg := rawFrame(ipTCP(t, pkt{3, cli, srv, "PA", 0, 5001, strings.Repeat("y", mss)}, nil))
	ip := [4]byte(cli.Addr().AsSlice())
	// The first segment, at 1001, is lost.
	for off := int64(mss); off < total; off += mss {
		seg.set(ip, cli.Port(), uint32(1001+off))
		a.Packet(layers.LinkTypeRaw, seg, ci)
	}
	st := a.Stats()
	a.Flush()
	bound := int64(maxPagesPerDirection*pageCost + connCost + overlapMax)
	if st.MaxBuffered > bound {
		t.Errorf("held %d bytes at most, want at most %d", st.MaxBuffered, bound)
	}
	want := (total - 1) / mss * mss // every segment but the first
	if f.bytes != want || f.gaps != 1 {
		t.Errorf("delivered %d bytes after %d gaps, want %d after one", f.bytes, f.gaps, want)
	}
	t.Logf("%d MiB after a hole: held at most %d bytes", total>>20, st.MaxBuffered)
}

// holdingStream is a consumer that keeps what it is given, as a decoder
// does while a record or a handshake message is incomplete.
type holdingStream struct {
	countStream
	held int
}

func (s *holdingStream) Data(side stream.Side, b []byte, ts time.Time) {
	s.countStream.Data(side, b, ts)
	s.held += len(b)
}
func (s *holdingStream) Buffered() int { return s.held }

type holdingFactory struct{ countFactory }

func (f *holdingFactory) New(stream.ConnInfo) stream.Stream {
	s := &holdingStream{countStream: countStream{f: &f.countFactory}}
	f.streams = append(f.streams, &s.countStream)
	return s
}

// TestMemoryBoundCountsConsumers: what consumers hold of their own
// (Buffered) counts against Options.MaxBufferedBytes, as in-order bytes a
// decoder keeps while a record is incomplete: 2,000 connections each
// holding 16 KiB stay within 8 MiB, the quietest closed for memory.
func TestMemoryBoundCountsConsumers(t *testing.T) {
	const n, bound = 2000, 8 << 20
	f := &holdingFactory{}
	a := NewAssembler(f, Options{MaxBufferedBytes: bound})
	syn := rawFrame(ipTCP(t, pkt{0, cli, srv, "S", 1000, 0, ""}, nil))
	synAck := rawFrame(ipTCP(t, pkt{0, srv, cli, "SA", 5000, 1001, ""}, nil))
	data := rawFrame(ipTCP(t, pkt{0, cli, srv, "PA", 1001, 5001, strings.Repeat("x", 16<<10)}, nil))
	for i := range n {
		ip := [4]byte{10, 1, byte(i >> 8), byte(i)}
		port := uint16(1024 + i)
		ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond)}
		syn.set(ip, port, 1000)
		synAck.setReply(ip, port, 5000)
		data.set(ip, port, 1001)
		for _, fr := range []rawFrame{syn, synAck, data} {
			a.Packet(layers.LinkTypeRaw, fr, ci)
		}
	}
	st := a.Stats()
	if st.MaxBuffered > bound {
		t.Errorf("held %d bytes at most, over the bound of %d", st.MaxBuffered, bound)
	}
	if f.closed[stream.EndMemory] < n/2 {
		t.Errorf("%d closed for memory, want most of %d: what the consumers hold was not counted", f.closed[stream.EndMemory], n)
	}
	a.Flush()
	if st := a.Stats(); st.Buffered != 0 {
		t.Errorf("after Flush, %d bytes still counted", st.Buffered)
	}
}

// TestAddrWords: the hash of a connection, which picks its bucket and
// worker, reads every address as the 16 bytes of its IPv6 form, IPv4 ones
// as ::ffff:a.b.c.d but for their own type (an IPv4-mapped IPv6 address
// is another connection, with the same words).
func TestAddrWords(t *testing.T) {
	for _, s := range []string{"10.1.2.3", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1", "::ffff:10.1.2.3", "fe80::1:2:3:4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		a := netip.MustParseAddr(s)
		b := a.As16()
		w0, w1 := addrWords(a)
		if w0 != binary.LittleEndian.Uint64(b[:8]) || w1 != binary.LittleEndian.Uint64(b[8:]) {
			t.Errorf("%s: words %#x %#x, want those of %x", s, w0, w1, b)
		}
	}
}
