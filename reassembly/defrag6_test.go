package reassembly

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// extHeader is an 8-byte IPv6 extension header of the given type, its
// Next Header next: options padded with PadN, or a routing header with no
// segments left, which a receiver passes over whatever its type.
func extHeader(typ, next layers.IPProtocol) []byte {
	if typ == layers.IPProtocolIPv6Routing {
		return []byte{byte(next), 0, 4, 0, 0, 0, 0, 0}
	}
	return []byte{byte(next), 0, 1, 4, 0, 0, 0, 0}
}

// fragments6 cuts an IPv6 packet (40-byte header, no extension header
// unless in its fragmentable part) into fragments whose data start at the
// given offsets (multiples of 8) of the part after the fixed header, with
// identification id, each fragment header after the extension headers
// of types unfrag (RFC 8200, 4.5).
func fragments6(packet []byte, id uint32, unfrag []layers.IPProtocol, offsets ...int) [][]byte {
	hdr, payload := packet[:40], packet[40:]
	var prefix []byte
	for i, typ := range unfrag {
		next := layers.IPProtocolIPv6Fragment
		if i+1 < len(unfrag) {
			next = unfrag[i+1]
		}
		prefix = append(prefix, extHeader(typ, next)...)
	}
	first := layers.IPProtocolIPv6Fragment
	if len(unfrag) > 0 {
		first = unfrag[0]
	}
	var out [][]byte
	for i, off := range offsets {
		end := len(payload)
		if i+1 < len(offsets) {
			end = offsets[i+1]
		}
		fh := make([]byte, 8)
		fh[0] = hdr[6] // the fragmentable part's first header
		fl := uint16(off)
		if end < len(payload) {
			fl |= 1 // more fragments
		}
		binary.BigEndian.PutUint16(fh[2:], fl)
		binary.BigEndian.PutUint32(fh[4:], id)
		f := concat(hdr, prefix, fh, payload[off:end])
		f[6] = byte(first)
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}

func TestDefragment6(t *testing.T) {
	hello := pkt{1, cli6, srv6, "PA", 1001, 5001, strings.Repeat("0123456789", 10)}
	whole := ipTCP(t, hello, nil) // 40 IP + 20 TCP + 100 payload
	frags := fragments6(whole, 7, nil, 0, 16, 64)
	raw := func(ms int, b []byte) frame { return frame{layers.LinkTypeRaw, ms, b, 0} }
	inEther := func(ms int, b []byte) frame {
		return frame{layers.LinkTypeEthernet, ms, concat(vlanTags(0x8100)(true), b), 0}
	}
	syn := raw(0, ipTCP(t, pkt{0, cli6, srv6, "S", 1000, 0, ""}, nil))
	newConn := "1 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @0"
	delivered := []string{newConn, `1 data A "` + hello.data + `" @1`, "1 close capture @1"}
	nothing := []string{newConn, "1 close capture @0"}
	// The same segment behind destination options, which are part of
	// what is fragmented.
	withOpts := func() []byte {
		b := concat(whole[:40], extHeader(layers.IPProtocolIPv6Destination, layers.IPProtocolTCP), whole[40:])
		b[6] = byte(layers.IPProtocolIPv6Destination)
		binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40))
		return b
	}()
	udp := func() []byte {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: cli6.Addr().AsSlice(), DstIP: srv6.Addr().AsSlice()}
		u := &layers.UDP{SrcPort: 53, DstPort: 53}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(t, ip, u, gopacket.Payload(strings.Repeat("dns", 20)))
	}()
	tests := []struct {
		name    string
		frames  []frame
		want    []string
		skipped map[string]int64
		defrag  int64
	}{
		{"in order", []frame{syn, raw(1, frags[0]), raw(1, frags[1]), raw(1, frags[2])}, delivered, nil, 1},
		{"out of order, over 802.1Q", []frame{syn, inEther(1, frags[2]), inEther(1, frags[0]), inEther(1, frags[1])}, delivered, nil, 1},
		{"a fragment repeated", []frame{syn, raw(1, frags[1]), raw(1, frags[1]), raw(1, frags[0]), raw(1, frags[2])}, delivered, nil, 1},
		{
			name: "after hop-by-hop, routing and destination options",
			frames: append([]frame{syn}, func() []frame {
				var fs []frame
				unfrag := []layers.IPProtocol{layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination}
				for _, f := range fragments6(whole, 8, unfrag, 0, 32, 64) {
					fs = append(fs, raw(1, f))
				}
				fs[0], fs[2] = fs[2], fs[0]
				return fs
			}()...),
			want:   delivered,
			defrag: 1,
		},
		{
			name:   "destination options fragmented with the segment",
			frames: []frame{syn, raw(1, fragments6(withOpts, 9, nil, 0, 48)[1]), raw(1, fragments6(withOpts, 9, nil, 0, 48)[0])},
			want:   delivered,
			defrag: 1,
		},
		{
			// RFC 6946: an atomic fragment is a datagram of its own, even
			// while fragments with its identification are held.
			name:   "atomic fragment",
			frames: []frame{syn, raw(1, frags[1]), raw(1, fragments6(whole, 7, nil, 0)[0])},
			want:   delivered,
			skipped: map[string]int64{
				reasonFragment6Incomplete: 1,
			},
		},
		{
			// RFC 5722: overlapping fragments drop the whole datagram; the
			// fragments sent again make it whole.
			name: "overlap drops the datagram",
			frames: []frame{syn, raw(1, frags[0]), raw(1, fragments6(whole, 7, nil, 0, 8, 64)[1]), raw(1, frags[2]),
				raw(2, frags[0]), raw(2, frags[1]), raw(2, frags[2])},
			want:    []string{newConn, `1 data A "` + hello.data + `" @2`, "1 close capture @2"},
			skipped: map[string]int64{reasonFragment6Invalid: 2, reasonFragment6Incomplete: 1},
			defrag:  1,
		},
		{
			name:    "a repeat of another size overlaps",
			frames:  []frame{syn, raw(1, frags[0]), raw(1, fragments6(whole, 7, nil, 0, 8)[0]), raw(1, frags[1]), raw(1, frags[2])},
			want:    nothing,
			skipped: map[string]int64{reasonFragment6Invalid: 2, reasonFragment6Incomplete: 2},
		},
		{
			name:    "two ends",
			frames:  []frame{syn, raw(1, frags[2]), raw(1, fragments6(whole[:len(whole)-8], 7, nil, 0, 64)[1])},
			want:    nothing,
			skipped: map[string]int64{reasonFragment6Invalid: 2},
		},
		{
			// RFC 8200, 4.5: a fragment with M set must be a multiple of 8
			// bytes long; it alone is dropped.
			name:    "a size not a multiple of 8",
			frames:  []frame{syn, raw(1, frags[0]), raw(1, fragments6(whole, 7, nil, 0, 20)[0]), raw(1, frags[1]), raw(1, frags[2])},
			want:    delivered,
			skipped: map[string]int64{reasonFragment6Invalid: 1},
			defrag:  1,
		},
		{
			name:    "incomplete at the end",
			frames:  []frame{syn, raw(1, frags[0]), raw(1, frags[2])},
			want:    nothing,
			skipped: map[string]int64{reasonFragment6Incomplete: 2},
		},
		{
			name: "incomplete for longer than fragTimeout",
			frames: []frame{syn, raw(1, frags[0]), raw(1, frags[2]),
				raw(40000, frags[1]), ether(t, later(40001))[0]},
			want:    nothing,
			skipped: map[string]int64{reasonFragment6Incomplete: 3, "no open connection": 1},
		},
		{
			name:    "not TCP",
			frames:  []frame{syn, raw(1, fragments6(udp, 9, nil, 0, 32)[1]), raw(1, fragments6(udp, 9, nil, 0, 32)[0])},
			want:    nothing,
			skipped: map[string]int64{reasonUDPNotHandshake: 2},
			defrag:  1,
		},
		{
			// The identification tells datagrams of the same source apart.
			name: "datagrams told apart by identification",
			frames: []frame{syn, raw(1, frags[0]), raw(1, fragments6(whole, 8, nil, 0, 16)[1]),
				raw(1, frags[1]), raw(1, frags[2])},
			want:    delivered,
			skipped: map[string]int64{reasonFragment6Incomplete: 1},
			defrag:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := run(t, Options{}, 0, tt.frames...)
			checkLog(t, tt.want, got)
			want := tt.skipped
			if want == nil {
				want = map[string]int64{}
			}
			if diff := cmp.Diff(want, st.Skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if st.Defragmented != tt.defrag {
				t.Errorf("%d datagrams defragmented, want %d", st.Defragmented, tt.defrag)
			}
			a := NewAssembler(nullFactory{}, Options{})
			for _, f := range tt.frames {
				a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond)})
			}
			a.Flush()
			if a.frag.bytes != 0 || len(a.frag.entries) != 0 {
				t.Errorf("defrag still holds %d bytes in %d datagrams", a.frag.bytes, len(a.frag.entries))
			}
		})
	}
}

// IPv6 fragments share the bound of IPv4's: a flood of first fragments
// never followed by the rest holds no more than a quarter of the memory
// bound.
func TestDefragment6MemoryBound(t *testing.T) {
	const maxBuf = 1 << 20
	a := NewAssembler(nullFactory{}, Options{MaxBufferedBytes: maxBuf})
	packet := ipTCP(t, pkt{0, cli6, srv6, "PA", 1, 0, strings.Repeat("x", 1400)}, nil)
	first := fragments6(packet, 0, nil, 0, 1000)[0]
	v4 := fragments(t, ipTCP(t, pkt{0, cli, srv, "PA", 1, 0, strings.Repeat("x", 1400)}, nil), 0, 0, 1000)[0]
	var peak int64
	const n = 10000
	for i := range n {
		f := first
		if i%2 == 1 {
			f = v4
			binary.BigEndian.PutUint16(f[4:], uint16(i))
		} else {
			binary.BigEndian.PutUint32(f[44:], uint32(i))
		}
		a.Packet(layers.LinkTypeRaw, f, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond)})
		peak = max(peak, a.frag.bytes)
	}
	limit := a.frag.limit
	if peak > limit+int64(len(first))+fragmentCost {
		t.Errorf("fragments held %d bytes at most, over the limit of %d", peak, limit)
	}
	if peak < limit/2 {
		t.Errorf("fragments held %d bytes at most: the limit of %d was not what bound them", peak, limit)
	}
	a.Flush()
	st := a.Stats()
	for _, r := range []struct{ memory, incomplete string }{
		{reasonFragmentMemory, reasonFragmentIncomplete}, {reasonFragment6Memory, reasonFragment6Incomplete},
	} {
		if dropped := st.Skipped[r.memory]; dropped < n/4 || dropped+st.Skipped[r.incomplete] != n/2 {
			t.Errorf("skipped %v, want most of the %d fragments of a family dropped for memory, the rest incomplete", st.Skipped, n/2)
		}
	}
}

// FuzzDefragment6 gives defrag arbitrary IPv6 fragments (each input frame
// from its fragment header on, the first byte's low bit choosing one of
// two sources), five seconds of capture time apart, within a small bound.
// Nothing may panic; the bytes held are those of the datagrams held and
// stay within the bound; a datagram is at most 65535 bytes; and every
// fragment given is, by the end, either in a datagram or counted as
// skipped. Seeds in testdata/fuzz/FuzzDefragment6 are packets of
// testdata/pcaps/18-ipv6-tls13.pcap fragmented (TestWriteFuzzSeeds).
func FuzzDefragment6(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, _ := fuzzFrames(data)
		if len(frames) > 256 {
			return
		}
		const limit = 16 << 10
		d := newDefrag(4 * limit)
		var skipped, made int64
		skip := func(_ string, n int64) { skipped += n }
		var largest int64
		for i, fr := range frames {
			ip := &layers.IPv6{SrcIP: cli6.Addr().AsSlice(), DstIP: srv6.Addr().AsSlice()}
			if len(fr) > 0 && fr[0]&1 != 0 {
				ip.SrcIP = srv6.Addr().AsSlice()
			}
			largest = max(largest, int64(len(fr))+fragmentCost)
			if dg := d.add6(ip, fr, base.Add(time.Duration(i)*5*time.Second), skip); dg != nil {
				made += int64(dg.frags)
				if len(dg.payload) > maxIPv6Payload {
					t.Fatalf("a datagram of %d bytes", len(dg.payload))
				}
			}
			var held int64
			for _, e := range d.entries {
				held += e.bytes
			}
			if held != d.bytes || d.bytes > d.limit+largest {
				t.Fatalf("%d bytes counted, %d held, limit %d", d.bytes, held, d.limit)
			}
		}
		d.flush(skip)
		if d.bytes != 0 || len(d.entries) != 0 || skipped+made != int64(len(frames)) {
			t.Fatalf("after flush: %d bytes in %d datagrams; of %d fragments %d skipped, %d in datagrams",
				d.bytes, len(d.entries), len(frames), skipped, made)
		}
	})
}
