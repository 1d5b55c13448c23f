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

// fragments cuts an IPv4 packet (20-byte header) into fragments whose
// payloads start at the given offsets (multiples of 8), with identification
// id. The IPv4 checksum is left as it is: nothing here checks it.
func fragments(t testing.TB, packet []byte, id uint16, offsets ...int) [][]byte {
	t.Helper()
	hdr, payload := packet[:20], packet[20:]
	var out [][]byte
	for i, off := range offsets {
		end := len(payload)
		if i+1 < len(offsets) {
			end = offsets[i+1]
		}
		f := concat(hdr, payload[off:end])
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		binary.BigEndian.PutUint16(f[4:], id)
		fl := uint16(off / 8)
		if end < len(payload) {
			fl |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(f[6:], fl)
		out = append(out, f)
	}
	return out
}

func TestDefragment(t *testing.T) {
	hello := pkt{1, cli, srv, "PA", 1001, 5001, strings.Repeat("0123456789", 10)}
	whole := ipTCP(t, hello, nil) // 20 IP + 20 TCP + 100 payload
	frags := fragments(t, whole, 7, 0, 16, 64)
	raw := func(ms int, b []byte) frame { return frame{layers.LinkTypeRaw, ms, b, 0} }
	inEther := func(ms int, b []byte) frame {
		return frame{layers.LinkTypeEthernet, ms, concat(vlanTags(0x8100)(false), b), 0}
	}
	syn := raw(0, ipTCP(t, pkt{0, cli, srv, "S", 1000, 0, ""}, nil))
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	delivered := []string{newConn, `1 data A "` + hello.data + `" @1`, "1 close capture @1"}
	udp := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: cli.Addr().AsSlice(), DstIP: srv.Addr().AsSlice()}
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
			// A receiver drops a datagram whose fragments overlap with
			// other bytes; the fragments sent again make it whole.
			name: "overlap drops the datagram",
			frames: []frame{syn, raw(1, frags[0]), raw(1, fragments(t, whole, 7, 0, 8, 64)[1]),
				raw(2, frags[0]), raw(2, frags[1]), raw(2, frags[2])},
			want:    []string{newConn, `1 data A "` + hello.data + `" @2`, "1 close capture @2"},
			skipped: map[string]int64{reasonFragmentInvalid: 2},
			defrag:  1,
		},
		{
			name:    "incomplete at the end",
			frames:  []frame{syn, raw(1, frags[0]), raw(1, frags[2])},
			want:    []string{newConn, "1 close capture @0"},
			skipped: map[string]int64{reasonFragmentIncomplete: 2},
		},
		{
			name: "incomplete for longer than fragTimeout",
			frames: []frame{syn, raw(1, frags[0]), raw(1, frags[2]),
				raw(40000, frags[1]), ether(t, later(40001))[0]},
			want:    []string{newConn, "1 close capture @0"},
			skipped: map[string]int64{reasonFragmentIncomplete: 3, "no open connection": 1},
		},
		{
			name:    "not TCP",
			frames:  append([]frame{syn}, raw(1, fragments(t, udp, 9, 0, 32)[1]), raw(1, fragments(t, udp, 9, 0, 32)[0])),
			want:    []string{newConn, "1 close capture @0"},
			skipped: map[string]int64{reasonUDPNotHandshake: 2},
			defrag:  1,
		},
		{
			// Two datagrams with the same identification from other
			// sources do not mix.
			name: "datagrams told apart by source",
			frames: []frame{syn, raw(1, frags[0]),
				raw(1, fragments(t, ipTCP(t, pkt{1, srv, cli, "PA", 1, 0, strings.Repeat("x", 40)}, nil), 7, 0, 16)[1]),
				raw(1, frags[1]), raw(1, frags[2])},
			want:    delivered,
			skipped: map[string]int64{reasonFragmentIncomplete: 1},
			defrag:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{t: t}
			a := NewAssembler(r, Options{})
			for _, f := range tt.frames {
				a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond)})
			}
			a.Flush()
			checkLog(t, tt.want, r.log)
			st := a.Stats()
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
			if a.frag.bytes != 0 || len(a.frag.entries) != 0 {
				t.Errorf("defrag still holds %d bytes in %d datagrams", a.frag.bytes, len(a.frag.entries))
			}
		})
	}
}

// Fragments that never make a datagram cannot hold more than their share
// of the memory bound: the datagrams seen least lately are dropped.
func TestDefragmentMemoryBound(t *testing.T) {
	const maxBuf = 1 << 20 // a quarter of it, 256 KiB, for fragments
	a := NewAssembler(nullFactory{}, Options{MaxBufferedBytes: maxBuf})
	packet := ipTCP(t, pkt{0, cli, srv, "PA", 1, 0, strings.Repeat("x", 1400)}, nil)
	first := fragments(t, packet, 0, 0, 1000)[0] // never followed by the rest
	var peak int64
	const n = 10000
	for i := range n {
		binary.BigEndian.PutUint16(first[4:], uint16(i))
		binary.BigEndian.PutUint32(first[12:], uint32(i>>16)) // another source past 65535 ids
		a.Packet(layers.LinkTypeRaw, first, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond)})
		peak = max(peak, a.frag.bytes)
	}
	limit := a.frag.limit
	if limit != maxBuf/4 {
		t.Fatalf("fragment limit %d, want %d", limit, maxBuf/4)
	}
	// Up to the limit plus the fragment that went over it.
	if peak > limit+int64(len(first))+fragmentCost {
		t.Errorf("fragments held %d bytes at most, over the limit of %d", peak, limit)
	}
	if peak < limit/2 {
		t.Errorf("fragments held %d bytes at most: the limit of %d was not what bound them", peak, limit)
	}
	a.Flush()
	st := a.Stats()
	if dropped := st.Skipped[reasonFragmentMemory]; dropped < n/2 || dropped+st.Skipped[reasonFragmentIncomplete] != n {
		t.Errorf("skipped %v, want most of the %d fragments dropped for memory, the rest incomplete", st.Skipped, n)
	}
}
