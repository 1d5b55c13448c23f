package reassembly

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/internal/inet"
)

// bogusLength makes the IPv4 header of an Ethernet frame claim 4000 more
// bytes than it has.
func bogusLength(f frame) frame {
	b := append([]byte(nil), f.data...)
	ip := b[14 : 14+20]
	binary.BigEndian.PutUint16(ip[2:], uint16(len(b)-14+4000))
	// A sender wrote that length: the header's checksum covers it.
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], ^inet.Fold(inet.Sum(ip, 0)))
	f.data = b
	return f
}

// A capture with a snap length keeps the start of each packet: a segment
// whose TCP header is whole is used, and the payload bytes it lost are a
// gap where they belong, reported when the bytes before them are.
func TestSnapLengthCut(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	cutFrame := func(p pkt, keep int) frame {
		f := etherFrame(t, p)
		return frame{layers.LinkTypeEthernet, p.ms, f[:len(f)-len(p.data)+keep], len(f)}
	}
	// IPv6 with a hop-by-hop and a destination options header before TCP.
	cut6 := func(p pkt, keep int) frame {
		seg := ipTCP(t, p, nil)[40:]
		hbh := []byte{byte(layers.IPProtocolIPv6Destination), 0, 1, 4, 0, 0, 0, 0}
		dst := []byte{byte(layers.IPProtocolTCP), 0, 1, 4, 0, 0, 0, 0}
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6HopByHop,
			SrcIP: p.from.Addr().AsSlice(), DstIP: p.to.Addr().AsSlice()}
		b := serialize(t, ip, gopacket.Payload(concat(hbh, dst, seg)))
		return frame{layers.LinkTypeRaw, p.ms, b[:len(b)-len(p.data)+keep], len(b)}
	}
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	tests := []struct {
		name   string
		frames []frame
		want   []string
		gaps   int64
	}{
		{
			name: "in order",
			frames: append(ether(t, hs...),
				cutFrame(pkt{3, cli, srv, "PA", 1001, 5001, "hello world"}, 5),
				ether(t, pkt{4, cli, srv, "PA", 1012, 5001, "!!"})[0]),
			want: []string{newConn, `1 data A "hello" @3`, "1 gap A 6 @3", `1 data A "!!" @4`, "1 close capture @4"},
			gaps: 1,
		},
		{
			name: "the last segment, with FIN",
			frames: append(ether(t, hs...),
				cutFrame(pkt{3, cli, srv, "FPA", 1001, 5001, "hello world"}, 3),
				ether(t, pkt{4, srv, cli, "FA", 5001, 1013, ""})[0]),
			want: []string{newConn, `1 data A "hel" @3`, "1 gap A 8 @3", "1 end A FIN @3", "1 end B FIN @4", "1 close FIN @4"},
			gaps: 1,
		},
		{
			name: "out of order, nothing captured",
			frames: append(ether(t, hs...),
				cutFrame(pkt{3, cli, srv, "PA", 1006, 5001, " world"}, 0),
				ether(t, pkt{4, cli, srv, "PA", 1001, 5001, "hello"})[0],
				ether(t, pkt{5, cli, srv, "PA", 1012, 5001, "!"})[0]),
			want: []string{newConn, `1 data A "hello" @4`, "1 gap A 6 @3", `1 data A "!" @5`, "1 close capture @5"},
			gaps: 1,
		},
		{
			name: "retransmitted whole after the cut bytes were given up",
			frames: append(ether(t, hs...),
				cutFrame(pkt{3, cli, srv, "PA", 1001, 5001, "hello world"}, 5),
				ether(t, pkt{4, cli, srv, "PA", 1001, 5001, "hello world"})[0],
				ether(t, pkt{5, cli, srv, "PA", 1012, 5001, "!"})[0]),
			want: []string{newConn, `1 data A "hello" @3`, "1 gap A 6 @3", `1 data A "!" @5`, "1 close capture @5"},
			gaps: 1,
		},
		{
			// ndpi tls_invalid_reads.pcap, frame 2: a SYN-ACK whose IP
			// length says 4148 bytes in a frame of 66 on the wire.
			name: "an IP length beyond what was on the wire",
			frames: append(ether(t, hs[:2]...),
				bogusLength(ether(t, pkt{3, cli, srv, "PA", 1001, 5001, "hello"})[0]),
				ether(t, pkt{4, cli, srv, "PA", 1006, 5001, "!"})[0]),
			want: []string{newConn, `1 data A "hello" @3`, `1 data A "!" @4`, "1 close capture @4"},
		},
		{
			name: "IPv6 with extension headers",
			frames: []frame{
				cut6(pkt{0, cli6, srv6, "S", 1000, 0, ""}, 0),
				cut6(pkt{1, cli6, srv6, "PA", 1001, 0, "0123456789"}, 4),
				cut6(pkt{2, cli6, srv6, "PA", 1011, 0, "abc"}, 3),
			},
			want: []string{"1 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @0", `1 data A "0123" @1`, "1 gap A 6 @1",
				`1 data A "abc" @2`, "1 close capture @2"},
			gaps: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := run(t, Options{}, 0, tt.frames...)
			checkLog(t, tt.want, got)
			if st.Gaps != tt.gaps || (st.Cut > 0) != (tt.gaps > 0) {
				t.Errorf("%d gaps, %d segments cut; want %d gaps", st.Gaps, st.Cut, tt.gaps)
			}
			if len(st.Skipped) > 0 && st.Skipped["truncated"] > 0 {
				t.Errorf("skipped %v", st.Skipped)
			}
		})
	}
}
