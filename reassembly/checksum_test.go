package reassembly

import (
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/inet"
)

// The bundled captures were taken on loopback, where Linux leaves TCP
// checksums as offload does: ChecksumAuto drops none of their segments,
// ChecksumOn (a receiver's view) would drop those.
func TestChecksumBundledOffloaded(t *testing.T) {
	for _, path := range bundledCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if !hasTCP(t, path) {
				t.Skip("no TCP segment: UDP checksums are not verified")
			}
			counts := map[ChecksumMode]int64{}
			for _, mode := range []ChecksumMode{ChecksumAuto, ChecksumOn} {
				a := NewAssembler(&recorder{t: t}, Options{ChecksumMode: mode})
				if err := forPackets(path, func(p capture.Packet) {
					a.Packet(p.LinkType, p.Data, p.CaptureInfo)
				}); err != nil {
					t.Fatal(err)
				}
				a.Flush()
				counts[mode] = a.Stats().Skipped[reasonBadChecksum]
			}
			if counts[ChecksumAuto] != 0 || counts[ChecksumOn] == 0 {
				t.Errorf("segments dropped for a bad checksum: %d in auto mode, want none; %d in on mode, want some", counts[ChecksumAuto], counts[ChecksumOn])
			}
		})
	}
}

// hasTCP reports whether a capture holds a TCP segment.
func hasTCP(t testing.TB, path string) bool {
	d := newDecoder()
	found := false
	if err := forPackets(path, func(p capture.Packet) {
		if seg, r := d.decode(p.LinkType, p.Data, 0); r == "" && !seg.udp {
			found = true
		}
	}); err != nil {
		t.Fatal(err)
	}
	return found
}

// withTCPChecksum is an Ethernet frame of p (IPv4, no options) with its
// TCP checksum set to check.
func withTCPChecksum(t testing.TB, p pkt, check uint16) frame {
	f := ether(t, p)[0]
	binary.BigEndian.PutUint16(f.data[14+20+16:], check)
	return f
}

// partialChecksum is the TCP checksum Linux leaves for offload in a
// segment of p: the sum of its pseudo-header.
func partialChecksum(p pkt) uint16 {
	s, d := p.from.Addr().As4(), p.to.Addr().As4()
	return inet.Fold(inet.Sum(d[:], inet.Sum(s[:], 0)) + 6 + uint64(20+len(p.data)))
}

func TestChecksums(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	evil := pkt{3, cli, srv, "PA", 1001, 5001, "evil!"}
	hello := pkt{4, cli, srv, "PA", 1001, 5001, "hello"}
	badIP := ether(t, evil)[0]
	badIP.data[14+10] ^= 0x5a
	tests := []struct {
		name   string
		mode   ChecksumMode
		frames []frame
		want   []string
		bad    int64
	}{
		{
			name:   "a copy with a bad TCP checksum sent first is dropped, as the receiver drops it",
			frames: append(ether(t, hs...), withTCPChecksum(t, evil, 0x1234), ether(t, hello)[0]),
			want:   []string{newConn, `1 data A "hello" @4`, "1 close capture @4"},
			bad:    1,
		},
		{
			name:   "so is one with a bad IPv4 header checksum",
			frames: append(ether(t, hs...), badIP, ether(t, hello)[0]),
			want:   []string{newConn, `1 data A "hello" @4`, "1 close capture @4"},
			bad:    1,
		},
		{
			name:   "the checksum offload leaves is taken in auto mode",
			frames: append(ether(t, hs...), withTCPChecksum(t, hello, partialChecksum(hello))),
			want:   []string{newConn, `1 data A "hello" @4`, "1 close capture @4"},
		},
		{
			name:   "and a zero one",
			frames: append(ether(t, hs...), withTCPChecksum(t, hello, 0)),
			want:   []string{newConn, `1 data A "hello" @4`, "1 close capture @4"},
		},
		{
			// As in a capture whose addresses were rewritten without
			// the checksums.
			name: "a side whose first segment had a wrong checksum is not verified",
			frames: []frame{withTCPChecksum(t, hs[0], 0x1111), ether(t, hs[1])[0], withTCPChecksum(t, hs[2], 0x2222),
				withTCPChecksum(t, hello, 0x3333)},
			want: []string{newConn, `1 data A "hello" @4`, "1 close capture @4"},
		},
		{
			name:   "but not when verifying every checksum",
			mode:   ChecksumOn,
			frames: append(ether(t, hs...), withTCPChecksum(t, hello, partialChecksum(hello))),
			want:   []string{newConn, "1 close capture @2"},
			bad:    1,
		},
		{
			name:   "nor when verifying none",
			mode:   ChecksumOff,
			frames: append(ether(t, hs...), withTCPChecksum(t, evil, 0x1234), ether(t, hello)[0]),
			want:   []string{newConn, `1 data A "evil!" @3`, "1 mismatch A 4 @4", "1 close capture @4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := run(t, Options{ChecksumMode: tt.mode}, 0, tt.frames...)
			checkLog(t, tt.want, got)
			if n := st.Skipped[reasonBadChecksum]; n != tt.bad {
				t.Errorf("%d segments skipped for a bad checksum, want %d", n, tt.bad)
			}
		})
	}
}

// A capture whose first checksumSample segments fail more than one in
// checksumBadShare times, in ways offload does not explain, is taken for
// one whose checksums cannot be trusted: auto mode stops verifying, and
// the segments after the sample are used whatever their checksum. Fewer
// failures, and it goes on.
func TestChecksumAutoGivesUp(t *testing.T) {
	for _, tt := range []struct {
		every int // one SYN in every is garbled
		mode  ChecksumMode
		used  bool // the garbled segment after the sample is used
	}{
		{5, ChecksumAuto, true},
		{5, ChecksumOn, false},
		{20, ChecksumAuto, false},
	} {
		fs := ether(t, handshake(cli, srv, 1000, 5000)...)
		for i := range checksumSample {
			// Connections that never answer, one SYN each, some with a
			// checksum a NIC garbled.
			from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000)
			p := pkt{3, from, srv, "S", 1000, 0, ""}
			if i%tt.every == 0 {
				fs = append(fs, withTCPChecksum(t, p, 0xbeef))
			} else {
				fs = append(fs, ether(t, p)[0])
			}
		}
		fs = append(fs, withTCPChecksum(t, pkt{4, cli, srv, "PA", 1001, 5001, "hello"}, 0xbeef))
		got, _ := run(t, Options{ChecksumMode: tt.mode}, 0, fs...)
		if used := slices.Contains(got, `1 data A "hello" @4`); used != tt.used {
			t.Errorf("one SYN in %d garbled, mode %d: the segment after the sample used: %v, want %v", tt.every, tt.mode, used, tt.used)
		}
	}
}
