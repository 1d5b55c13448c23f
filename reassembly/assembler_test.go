package reassembly

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/hsdecode/hsdecode/stream"
)

func TestStreams(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	tests := []struct {
		name string
		pkts []pkt
		want []string
	}{
		{
			name: "in order, FIN from A first",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, srv, cli, "PA", 5001, 1006, "world!"},
				pkt{5, cli, srv, "FA", 1006, 5007, ""},
				pkt{6, srv, cli, "FA", 5007, 1007, "bye"},
				pkt{7, cli, srv, "A", 1007, 5011, ""},
			),
			want: []string{newConn,
				`1 data A "hello" @3`, `1 data B "world!" @4`,
				"1 end A FIN @5", `1 data B "bye" @6`, "1 end B FIN @6", "1 close FIN @6"},
		},
		{
			name: "FIN from B first",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hi"},
				pkt{4, srv, cli, "FA", 5001, 1003, ""},
				pkt{5, cli, srv, "FA", 1003, 5002, ""},
			),
			want: []string{newConn, `1 data A "hi" @3`, "1 end B FIN @4", "1 end A FIN @5", "1 close FIN @5"},
		},
		{
			name: "RST",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hi"},
				pkt{4, srv, cli, "RA", 5001, 1003, ""},
				pkt{5, cli, srv, "A", 1003, 5001, ""},
			),
			want: []string{newConn, `1 data A "hi" @3`, "1 end B RST @4", "1 close RST @4"},
		},
		{
			name: "RST after the same side's FIN",
			pkts: append(hs[:3:3],
				pkt{3, srv, cli, "FA", 5001, 1001, ""},
				pkt{4, cli, srv, "PA", 1001, 5002, "more"},
				pkt{5, srv, cli, "R", 5002, 0, ""},
			),
			want: []string{newConn, "1 end B FIN @3", `1 data A "more" @4`, "1 end B RST @5", "1 close RST @5"},
		},
		{
			name: "out of order segments are put back in order with their own timestamps",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1006, 5001, "two"},
				pkt{4, cli, srv, "PA", 1009, 5001, "three"},
				pkt{5, cli, srv, "PA", 1001, 5001, "one, "},
			),
			want: []string{newConn, `1 data A "one, " @5`, `1 data A "two" @3`, `1 data A "three" @4`, "1 close capture @5"},
		},
		{
			name: "exact retransmission removed",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{5, cli, srv, "PA", 1006, 5001, " you"},
			),
			want: []string{newConn, `1 data A "hello" @3`, `1 data A " you" @5`, "1 close capture @5"},
		},
		{
			name: "overlapping retransmission brings new bytes",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "PA", 1003, 5001, "llo world"},
			),
			want: []string{newConn, `1 data A "hello" @3`, `1 data A " world" @4`, "1 close capture @4"},
		},
		{
			name: "hole given up at Flush",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "abc"},
				pkt{4, cli, srv, "PA", 1010, 5001, "xyz"},
				pkt{5, cli, srv, "PA", 1013, 5001, "!"},
			),
			want: []string{newConn, `1 data A "abc" @3`, "1 gap A 6 @4", `1 data A "xyz" @4`, `1 data A "!" @5`, "1 close capture @5"},
		},
		{
			name: "FIN ahead of data ends the direction after it",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "FA", 1004, 5001, ""},
				pkt{4, cli, srv, "PA", 1001, 5001, "abc"},
				pkt{5, srv, cli, "FA", 5001, 1005, ""},
			),
			want: []string{newConn, `1 data A "abc" @4`, "1 end A FIN @4", "1 end B FIN @5", "1 close FIN @5"},
		},
		{
			name: "sequence numbers wrap past 2^32",
			pkts: []pkt{
				{0, cli, srv, "S", 0xfffffff0, 0, ""},
				{1, srv, cli, "SA", 0xfffffffe, 0xfffffff1, ""},
				{2, cli, srv, "PA", 0xfffffff1, 0xffffffff, "0123456789"},
				{3, cli, srv, "PA", 0xfffffffe, 0xffffffff, "defgh"},  // across the wrap, after a hole
				{4, cli, srv, "PA", 0xfffffffb, 0xffffffff, "abcdef"}, // fills it, overlapping "def"
				{5, srv, cli, "PA", 0xffffffff, 0x00000003, "xyz"},
				{6, srv, cli, "PA", 0x00000002, 0x00000003, "!"},
			},
			want: []string{newConn, `1 data A "0123456789" @2`, `1 data A "abcdef" @4`, `1 data A "gh" @3`,
				`1 data B "xyz" @5`, `1 data B "!" @6`, "1 close capture @6"},
		},
		{
			name: "SYN retransmitted",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{1, cli, srv, "S", 1000, 0, ""},
				{2, srv, cli, "SA", 5000, 1001, ""},
				{3, cli, srv, "PA", 1001, 5001, "hi"},
			},
			want: []string{newConn, `1 data A "hi" @3`, "1 close capture @3"},
		},
		{
			// RFC 9293, 3.5, figure 8: each side sends a SYN, then a SYN-ACK.
			name: "simultaneous open",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{1, srv, cli, "S", 5000, 0, ""},
				{2, cli, srv, "SA", 1000, 5001, ""},
				{3, srv, cli, "SA", 5000, 1001, ""},
				{4, cli, srv, "PA", 1001, 5001, "hello"},
				{5, srv, cli, "PA", 5001, 1006, "world"},
				{6, srv, cli, "FA", 5006, 1006, ""},
				{7, cli, srv, "FA", 1006, 5007, ""},
			},
			want: []string{newConn, `1 data A "hello" @4`, `1 data B "world" @5`, "1 end B FIN @6", "1 end A FIN @7", "1 close FIN @7"},
		},
		{
			name: "RST from A",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hi"},
				pkt{4, cli, srv, "RA", 1003, 5001, ""},
				pkt{5, srv, cli, "A", 5001, 1003, ""},
			),
			want: []string{newConn, `1 data A "hi" @3`, "1 end A RST @4", "1 close RST @4"},
		},
		{
			name: "no SYN: A sent the first segment seen, both directions delivered",
			pkts: []pkt{
				{0, srv, cli, "A", 5000, 1000, ""}, // no payload: opens nothing
				{1, srv, cli, "PA", 5000, 1000, "late"},
				{2, cli, srv, "PA", 1000, 5004, "reply"},
				{3, srv, cli, "PA", 5004, 1005, "!"},
			},
			want: []string{"1 new A=10.0.0.2:443 B=10.0.0.1:40000 @1", `1 data A "late" @1`, `1 data B "reply" @2`, `1 data A "!" @3`, "1 close capture @3"},
		},
		{
			name: "SYN-ACK first: its sender is A, not a SYN sender",
			pkts: []pkt{
				{0, srv, cli, "SA", 5000, 1001, ""},
				{1, cli, srv, "PA", 1001, 5001, "hi"},
			},
			want: []string{"1 new A=10.0.0.2:443 B=10.0.0.1:40000 @0", `1 data B "hi" @1`, "1 close capture @1"},
		},
		{
			name: "port reuse after close starts a new connection",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "one"},
				pkt{4, cli, srv, "FA", 1004, 5001, ""},
				pkt{5, srv, cli, "FA", 5001, 1005, ""},
				pkt{6, cli, srv, "A", 1005, 5002, ""},
				pkt{7, cli, srv, "S", 9000, 0, ""},
				pkt{8, srv, cli, "SA", 7000, 9001, ""},
				pkt{9, cli, srv, "PA", 9001, 7001, "two"},
			),
			want: []string{newConn, `1 data A "one" @3`, "1 end A FIN @4", "1 end B FIN @5", "1 close FIN @5",
				"2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @7", `2 data A "two" @9`, "2 close capture @9"},
		},
		{
			name: "port reuse after RST",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "RA", 1001, 5001, ""},
				pkt{4, cli, srv, "S", 1000, 0, ""},
				pkt{5, srv, cli, "SA", 5000, 1001, ""},
				pkt{6, cli, srv, "PA", 1001, 5001, "again"},
			),
			want: []string{newConn, "1 end A RST @3", "1 close RST @3",
				"2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @4", `2 data A "again" @6`, "2 close capture @6"},
		},
		{
			name: "IPv6",
			pkts: append(handshake(cli6, srv6, 1000, 5000), pkt{3, cli6, srv6, "PA", 1001, 5001, "six"}),
			want: []string{"1 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @0", `1 data A "six" @3`, "1 close capture @3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run(t, Options{}, 0, ether(t, tt.pkts...)...)
			checkLog(t, tt.want, got)
		})
	}
}

// Stats counts connections by how they closed, the most open at once, the
// holes given up and what was held.
func TestStatsCounts(t *testing.T) {
	c2 := netip.AddrPortFrom(cli.Addr(), 40001)
	c3 := netip.AddrPortFrom(cli.Addr(), 40002)
	ps := append(handshake(cli, srv, 1000, 5000), handshake(c2, srv, 1000, 5000)...)
	ps = append(ps,
		pkt{3, cli, srv, "PA", 1001, 5001, "hi"},
		pkt{4, c2, srv, "PA", 1011, 5001, "after a hole"},
		pkt{5, cli, srv, "FA", 1003, 5001, ""},
		pkt{6, srv, cli, "FA", 5001, 1004, ""},
		pkt{7, srv, c2, "RA", 5001, 1001, ""},
		pkt{2000, c3, srv, "S", 1, 0, ""},
		pkt{2001, c3, srv, "PA", 2, 0, "abc"},
		pkt{2002, c3, srv, "PA", 10, 0, "held"},
	)
	r := &recorder{t: t}
	a := NewAssembler(r, Options{IdleTimeout: time.Hour})
	for _, f := range ether(t, ps...) {
		a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond)})
	}
	st := a.Stats()
	// With the copies kept to follow overlaps (overlap.go): the buffer
	// of the bytes delivered that the peer has not acknowledged (the
	// smallest, for "abc" or "hi"), and the bytes held.
	const recentBuf = 1 << recentMinClass
	buffered := int64(connCost + pageCost + recentBuf + len("held"))
	maxBuffered := int64(2*connCost + pageCost + recentBuf + len("after a hole"))
	if st.Open != 1 || st.MaxOpen != 2 || st.Buffered != buffered || st.MaxBuffered != maxBuffered {
		t.Errorf("open %d (max %d), buffered %d (max %d); want 1 (max 2), %d (max %d)",
			st.Open, st.MaxOpen, st.Buffered, st.MaxBuffered, buffered, maxBuffered)
	}
	a.Flush()
	st = a.Stats()
	want := map[stream.EndReason]int64{stream.EndFIN: 1, stream.EndRST: 1, stream.EndCapture: 1}
	if diff := cmp.Diff(want, st.Closed); diff != "" || st.Gaps != 1 || st.GapBytes != 5 || st.Buffered != 0 {
		t.Errorf("closed (-want +got):\n%s%d gaps of %d bytes, %d held; want 1 of 5, none", diff, st.Gaps, st.GapBytes, st.Buffered)
	}
}

func TestConnectionsCloseInStartOrder(t *testing.T) {
	var ps []pkt
	for i := range 50 {
		c := netip.AddrPortFrom(cli.Addr(), uint16(40000+i))
		ps = append(ps, pkt{i, c, srv, "S", 1000, 0, ""}, pkt{i, c, srv, "PA", 1001, 0, "x"})
	}
	got, st := run(t, Options{}, 0, ether(t, ps...)...)
	var closes []string
	for _, l := range got {
		if strings.Contains(l, "close") {
			closes = append(closes, l)
		}
	}
	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprintf("%d close capture @%d", i+1, i))
	}
	checkLog(t, want, closes)
	if st.Connections != 50 || st.Packets != 100 {
		t.Errorf("stats %+v", st)
	}
}

func TestDoneStopsDelivery(t *testing.T) {
	got, _ := run(t, Options{}, 5, ether(t, append(handshake(cli, srv, 1000, 5000),
		pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
		pkt{4, cli, srv, "PA", 1006, 5001, "world"},
		pkt{5, srv, cli, "PA", 5001, 1011, "ignored"},
		pkt{6, cli, srv, "PA", 1020, 5001, "after a hole"},
		pkt{7, cli, srv, "FA", 1011, 5008, ""},
		pkt{8, srv, cli, "FA", 5008, 1012, ""},
		pkt{9, cli, srv, "A", 1012, 5009, ""},
	)...)...)
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "hello" @3`,
		"1 end A FIN @7", "1 end B FIN @8", "1 close FIN @8"}, got)
}

// A FIN that came ahead of missing bytes is reported when the consumer is
// done, not lost with what gopacket held: the connection closes by FIN.
func TestDoneWithFINAhead(t *testing.T) {
	got, _ := run(t, Options{}, 5, ether(t, append(handshake(cli, srv, 1000, 5000),
		pkt{3, srv, cli, "FA", 5011, 1001, ""}, // the server's data 5001-5010 not here yet
		pkt{4, cli, srv, "PA", 1001, 5001, "hello"},
		pkt{5, cli, srv, "FA", 1006, 5012, ""},
		pkt{6, cli, srv, "R", 1007, 0, ""},
	)...)...)
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "hello" @4`,
		"1 end B FIN @3", "1 end A FIN @5", "1 close FIN @5"}, got)
}

// Once a consumer is done, its connection's packets must not be copied or
// cost any allocation.
func TestDoneConnectionAllocatesNothing(t *testing.T) {
	r := &recorder{t: t, doneAfter: 1}
	a := NewAssembler(r, Options{})
	fs := ether(t, append(handshake(cli, srv, 1000, 5000),
		pkt{3, cli, srv, "PA", 2000, 5001, "buffered behind a hole"},
		pkt{4, cli, srv, "PA", 1001, 5001, "x"},
		pkt{5, cli, srv, "PA", 3000, 5001, strings.Repeat("out of order ", 100)},
	)...)
	ci := func(f frame) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)}
	}
	for _, f := range fs[:4] {
		a.Packet(f.link, f.data, ci(f))
	}
	if a.gp.Dump() == "pageCache: used: 0:" {
		t.Fatal("the out-of-order segment was not buffered")
	}
	a.Packet(fs[4].link, fs[4].data, ci(fs[4]))
	if a.gp.Dump() != "pageCache: used: 0:" {
		t.Errorf("gopacket still buffers pages of a done connection: %s", a.gp.Dump())
	}
	last := fs[5]
	if n := testing.AllocsPerRun(100, func() { a.Packet(last.link, last.data, ci(last)) }); n != 0 {
		t.Errorf("a packet of a done connection costs %v allocations", n)
	}
	a.Flush()
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "x" @4`, "1 close capture @5"}, r.log)
}

func TestIdleTimeout(t *testing.T) {
	got, _ := run(t, Options{IdleTimeout: 10 * time.Second}, 0, ether(t,
		pkt{0, cli, srv, "S", 1000, 0, ""},
		pkt{1, cli, srv, "PA", 1001, 5000, "early"},
		pkt{2, cli, srv, "PA", 1010, 5000, "behind a hole"},
		pkt{5000, srv, cli, "PA", 5000, 1001, "still here"},
		pkt{30000, cli, srv, "S", 7000, 0, ""},
		later(30001),
	)...)
	checkLog(t, []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "early" @1`, `1 data B "still here" @5000`,
		"1 gap A 4 @2", `1 data A "behind a hole" @2`, "1 close idle @5000",
		"2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @30000", "2 close capture @30000"}, got)
}

func TestMemoryBound(t *testing.T) {
	got, _ := run(t, Options{MaxBufferedBytes: 2 * pageCost}, 0, ether(t, append(handshake(cli, srv, 1000, 5000),
		pkt{3, cli, srv, "PA", 1001, 5001, "abc"},
		pkt{4, cli, srv, "PA", 1010, 5001, "x"},
		pkt{5, cli, srv, "PA", 1020, 5001, "y"},
	)...)...)
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "abc" @3`,
		"1 gap A 6 @4", `1 data A "x" @4`, // given up when "y" had to be buffered too
		"1 gap A 9 @5", `1 data A "y" @5`, "1 close capture @5"}, got)
}

// A consumer that becomes done in the middle of reordered bytes gets no
// more of them.
func TestDoneMidDelivery(t *testing.T) {
	got, _ := run(t, Options{}, 3, ether(t, append(handshake(cli, srv, 1000, 5000),
		pkt{3, cli, srv, "PA", 1004, 5001, "two"},
		pkt{4, cli, srv, "PA", 1007, 5001, "three"},
		pkt{5, cli, srv, "PA", 1001, 5001, "one"},
	)...)...)
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "one" @5`, "1 close capture @5"}, got)
}

func TestIdleDoneConnection(t *testing.T) {
	got, _ := run(t, Options{IdleTimeout: time.Second}, 1, ether(t,
		pkt{0, cli, srv, "PA", 1001, 0, "x"},
		pkt{100, cli, srv, "PA", 1002, 0, "y"},
		pkt{5000, srv, cli, "S", 1, 0, ""},
		later(5001),
	)...)
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0", `1 data A "x" @0`, "1 close idle @100",
		"2 new A=10.0.0.2:443 B=10.0.0.1:40000 syn @5000", "2 close capture @5000"}, got)
}

// weakFactory makes streams it keeps no reference to, so that a test can
// tell whether the Assembler still holds them.
type weakFactory struct {
	streams []weak.Pointer[recStream]
	r       *recorder
}

func (f *weakFactory) New(info stream.ConnInfo) stream.Stream {
	s := &recStream{r: f.r, info: info}
	f.streams = append(f.streams, weak.Make(s))
	return s
}

// A closed connection must leave nothing behind: neither in the table nor
// in gopacket, which would otherwise hold its consumer forever.
func TestClosedConnectionsAreForgotten(t *testing.T) {
	tests := []struct {
		name      string
		doneAfter int
		pkts      []pkt
	}{
		{"FIN both sides", 0, []pkt{{3, cli, srv, "PA", 1001, 5001, "hi"}, {4, cli, srv, "FA", 1003, 5001, ""}, {5, srv, cli, "FA", 5001, 1004, ""}}},
		// A RST leaves the connection waiting for the peer's segments in
		// flight: the peer's bare ACK ends the wait, as does resetWait.
		{"RST", 0, []pkt{{3, cli, srv, "PA", 1001, 5001, "hi"}, {4, srv, cli, "RA", 5001, 1003, ""}, {5, cli, srv, "A", 1003, 5001, ""}}},
		{"RST with a hole buffered", 0, []pkt{{3, cli, srv, "PA", 1101, 5001, "later"}, {4, srv, cli, "RA", 5001, 1001, ""}, {5, cli, srv, "A", 1001, 5001, ""}}},
		{"RST, wait over", 0, []pkt{{3, cli, srv, "PA", 1001, 5001, "hi"}, {4, srv, cli, "RA", 5001, 1003, ""}, {3000, cli6, srv6, "A", 1, 1, ""}}},
		{"done, then FIN", 1, []pkt{{3, cli, srv, "PA", 1001, 5001, "hi"}, {4, cli, srv, "PA", 1101, 5001, "later"}, {5, cli, srv, "FA", 1003, 5001, ""}, {6, srv, cli, "FA", 5001, 1004, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &weakFactory{r: &recorder{t: t, doneAfter: tt.doneAfter}}
			a := NewAssembler(f, Options{})
			for _, fr := range ether(t, append(handshake(cli, srv, 1000, 5000), tt.pkts...)...) {
				a.Packet(fr.link, fr.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(fr.ms) * time.Millisecond)})
			}
			if !strings.Contains(strings.Join(f.r.log, "\n"), "close") {
				t.Fatalf("connection not closed:\n%s", strings.Join(f.r.log, "\n"))
			}
			runtime.GC()
			if a.conns.n != 0 || f.streams[0].Value() != nil {
				t.Errorf("closed connection still held: %d in the table, stream reachable: %v", a.conns.n, f.streams[0].Value() != nil)
			}
			if a.gp.Dump() != "pageCache: used: 0:" {
				t.Errorf("gopacket still buffers pages: %s", a.gp.Dump())
			}
			runtime.KeepAlive(a)
		})
	}
}

// Expire closes idle connections and ends the wait after a RST with no
// packet to bring the time: a live capture's quiet interface.
func TestExpireWithoutPackets(t *testing.T) {
	r := &recorder{t: t}
	a := NewAssembler(r, Options{IdleTimeout: 10 * time.Second})
	feed := func(ps ...pkt) {
		for _, f := range ether(t, ps...) {
			a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)})
		}
	}
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	feed(append(handshake(cli, srv, 1000, 5000), pkt{3, cli, srv, "PA", 1001, 5001, "idle"})...)
	feed(append(handshake(cli6, srv6, 1000, 5000), pkt{3, srv6, cli6, "RA", 5001, 1001, ""})...)
	a.Expire(at(500)) // the RST's wait is not over
	a.Expire(at(100)) // time does not go back
	want := []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "idle" @3`,
		"2 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @0", "2 end B RST @3",
	}
	checkLog(t, want, r.log)
	a.Expire(at(1500))
	want = append(want, "2 close RST @3")
	checkLog(t, want, r.log)
	a.Expire(at(9000))
	checkLog(t, want, r.log)
	a.Expire(at(12000))
	want = append(want, "1 close idle @3")
	checkLog(t, want, r.log)
	a.Flush()
	checkLog(t, want, r.log)
	if st := a.Stats(); st.Packets != 8 || len(st.Skipped) != 0 {
		t.Errorf("stats %+v: Expire must count no packet", st)
	}
}
