package reassembly

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"github.com/hsdecode/hsdecode/internal/inet"
)

// urgent is an Ethernet frame of p (IP without options or extension
// headers) with URG set and the urgent pointer ptr.
func urgent(t testing.TB, p pkt, ptr uint16) frame {
	f := ether(t, p)[0]
	ipLen := 20
	if p.from.Addr().Is6() {
		ipLen = 40
	}
	tcp := f.data[14+ipLen:]
	tcp[13] |= 0x20
	binary.BigEndian.PutUint16(tcp[18:], ptr)
	tcp[16], tcp[17] = 0, 0
	s, d := p.from.Addr().AsSlice(), p.to.Addr().AsSlice()
	ps := inet.Sum(d, inet.Sum(s, 0)) + 6 + uint64(len(tcp))
	binary.BigEndian.PutUint16(tcp[16:], ^inet.Fold(inet.Sum(tcp, ps)))
	return f
}

// Overlapping copies that differ: the bytes delivered are those Linux's
// receiver reads (tcp_data_queue, tcp_data_queue_ofo), and each copy that
// differs from the bytes kept is reported. Bytes held out of order keep
// the timestamp of the latest copy that covered them.
func TestOverlapReceiverBytes(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	tests := []struct {
		name string
		pkts []pkt
		want []string
	}{
		{
			name: "an out-of-order copy over the same range: the first held is kept",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1006, 5001, "AAAA"},
				pkt{4, cli, srv, "PA", 1006, 5001, "BBBB"},
				pkt{5, cli, srv, "PA", 1001, 5001, "hello"}),
			want: []string{newConn, "1 mismatch A 4 @4", `1 data A "hello" @5`, `1 data A "AAAA" @4`, "1 close capture @5"},
		},
		{
			name: "a later copy inside an earlier one held: the earlier is kept",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1006, 5001, "ABCDEFGH"},
				pkt{4, cli, srv, "PA", 1008, 5001, "xy"},
				pkt{5, cli, srv, "PA", 1001, 5001, "hello"}),
			want: []string{newConn, "1 mismatch A 2 @4", `1 data A "hello" @5`, `1 data A "ABCDEFGH" @3`, "1 close capture @5"},
		},
		{
			name: "a later copy inside bytes delivered: they are kept",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "PA", 1002, 5001, "EL"},
				pkt{5, cli, srv, "PA", 1006, 5001, "!"}),
			want: []string{newConn, `1 data A "hello" @3`, "1 mismatch A 2 @4", `1 data A "!" @5`, "1 close capture @5"},
		},
		{
			name: "a copy beginning inside one held: the bytes of the one held are kept",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1006, 5001, "ABCD"},
				pkt{4, cli, srv, "PA", 1008, 5001, "xyzw"},
				pkt{5, cli, srv, "PA", 1001, 5001, "hello"}),
			want: []string{newConn, "1 mismatch A 2 @4", `1 data A "hello" @5`, `1 data A "AB" @3`, `1 data A "CDzw" @4`, "1 close capture @5"},
		},
		{
			name: "a copy beginning with one held and going beyond replaces it",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1006, 5001, "AB"},
				pkt{4, cli, srv, "PA", 1006, 5001, "CDEF"},
				pkt{5, cli, srv, "PA", 1001, 5001, "hello"}),
			want: []string{newConn, "1 mismatch A 2 @4", `1 data A "hello" @5`, `1 data A "CDEF" @4`, "1 close capture @5"},
		},
		{
			name: "a copy that comes in order wins over bytes held",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1004, 5001, "LOW"},
				pkt{4, cli, srv, "PA", 1001, 5001, "hello"}),
			want: []string{newConn, "1 mismatch A 2 @4", `1 data A "hello" @4`, `1 data A "W" @3`, "1 close capture @4"},
		},
		{
			name: "the same bytes again are no mismatch",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1006, 5001, "AAAA"},
				pkt{4, cli, srv, "PA", 1001, 5001, "helloAA"},
				pkt{5, cli, srv, "PA", 1001, 5001, "hello"}),
			want: []string{newConn, `1 data A "helloAA" @4`, `1 data A "AA" @3`, "1 close capture @5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run(t, Options{}, 0, ether(t, tt.pkts...)...)
			checkLog(t, tt.want, got)
		})
	}
}

// The urgent byte, the one before the urgent pointer, is taken out of the
// stream, as Linux's receiver does by default (SO_OOBINLINE off).
func TestOverlapUrgentByte(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	fs := append(ether(t, hs...), urgent(t, pkt{3, cli, srv, "PA", 1001, 5001, "hel!lo"}, 4),
		ether(t, pkt{4, cli, srv, "PA", 1007, 5001, " world"})[0])
	got, _ := run(t, Options{}, 0, fs...)
	checkLog(t, []string{newConn, `1 data A "hel" @3`, `1 data A "lo" @3`, `1 data A " world" @4`, "1 close capture @4"}, got)

	// Out of order, the byte is taken out when its turn comes.
	fs = append(ether(t, hs...), urgent(t, pkt{3, cli, srv, "PA", 1006, 5001, "!world"}, 1),
		ether(t, pkt{4, cli, srv, "PA", 1001, 5001, "hello"})[0])
	got, _ = run(t, Options{}, 0, fs...)
	checkLog(t, []string{newConn, `1 data A "hello" @4`, `1 data A "world" @3`, "1 close capture @4"}, got)
}

// The bytes delivered that the peer has not acknowledged are kept in a
// buffer charged at its capacity, given back when they are, and used
// again by the next flight: a ping-pong of 1000-byte flights costs no
// allocation for them, and what is held returns to the connection's own
// cost once each flight is acknowledged.
func TestRecentBuffersReused(t *testing.T) {
	const rounds, n = 300, 1000
	fs := ether(t, handshake(cli, srv, 1000, 5000)...)
	for r := uint32(0); r < rounds; r++ {
		fs = append(fs, ether(t,
			pkt{int(3 + 2*r), cli, srv, "PA", 1001 + r*n, 5001 + r*n, strings.Repeat("c", n)},
			pkt{int(4 + 2*r), srv, cli, "PA", 5001 + r*n, 1001 + (r+1)*n, strings.Repeat("s", n)})...)
	}
	f := &countFactory{}
	a := NewAssembler(f, Options{})
	ci := func(f frame) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)}
	}
	next := 0
	send := func() {
		a.Packet(fs[next].link, fs[next].data, ci(fs[next]))
		next++
	}
	for next < 3+10 { // the handshake, and the pool filled
		send()
	}
	// The client's last flight is acknowledged, the server's is not: the
	// client's buffer is given back at its next segment, so each side
	// has one of the smallest class charged.
	if got, want := a.Stats().Buffered, int64(connCost+2<<recentMinClass); got != want {
		t.Errorf("held %d bytes with one flight unacknowledged, want %d", got, want)
	}
	if allocs := testing.AllocsPerRun(100, func() { send(); send() }); allocs != 0 {
		t.Errorf("a round of two flights costs %v allocations, want 0", allocs)
	}
	if f.bytes != int64(next-3)*n {
		t.Errorf("delivered %d bytes, want %d", f.bytes, (next-3)*n)
	}
	a.Flush()
}
