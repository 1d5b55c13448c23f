package reassembly

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
)

// lifecycleTest is a run of packets with the calls and the counts it must
// give.
type lifecycleTest struct {
	name      string
	opts      Options
	doneAfter int
	pkts      []pkt
	want      []string
	conns     int64            // connections made
	skipped   map[string]int64 // skip reasons counted (nil: none)
}

func (tt lifecycleTest) run(t *testing.T) {
	t.Helper()
	got, st := run(t, tt.opts, tt.doneAfter, ether(t, tt.pkts...)...)
	checkLog(t, tt.want, got)
	if st.Connections != tt.conns {
		t.Errorf("%d connections, want %d", st.Connections, tt.conns)
	}
	want := tt.skipped
	if want == nil {
		want = map[string]int64{}
	}
	if diff := cmp.Diff(want, st.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

// After a RST, the peer's segments that were in flight are still
// delivered; what does not continue them ends the wait, and is neither
// delivered nor made a connection of its own.
func TestResetWaitsForSegmentsInFlight(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	for _, tt := range []lifecycleTest{
		{
			// reddit.pcap, streams 6-9 and 13: the client closes, then
			// resets at the ServerHello; the rest of the server's flight
			// was on its way, and the client resets at each segment.
			name: "RST after the resetting side's FIN",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "FA", 1006, 5001, ""},
				pkt{5, srv, cli, "PA", 5001, 1006, "one"},
				pkt{6, cli, srv, "R", 1006, 0, ""},
				pkt{7, srv, cli, "PA", 5004, 1006, "two"},
				pkt{8, cli, srv, "R", 1006, 0, ""},
				pkt{9, cli, srv, "R", 1006, 0, ""},
				pkt{10, srv, cli, "PA", 5007, 1006, "three"},
				pkt{11, cli, srv, "R", 1006, 0, ""},
				pkt{12, srv, cli, "A", 5012, 1007, ""}, // not in flight: ends the wait
				pkt{13, cli, srv, "R", 1007, 0, ""},
				pkt{14, srv, cli, "FA", 5012, 1007, ""},
			),
			want: []string{newConn, `1 data A "hello" @3`, "1 end A FIN @4", `1 data B "one" @5`, "1 end A RST @6",
				`1 data B "two" @7`, `1 data B "three" @10`, "1 close RST @11"},
			conns:   1,
			skipped: map[string]int64{"no open connection": 3},
		},
		{
			name: "the peer's FIN ends the wait",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, srv, cli, "PA", 5001, 1006, "one"},
				pkt{5, cli, srv, "R", 1006, 0, ""},
				pkt{6, srv, cli, "PA", 5004, 1006, "two"},
				pkt{7, srv, cli, "FA", 5007, 1006, ""},
				pkt{8, cli, srv, "R", 1006, 0, ""},
			),
			want: []string{newConn, `1 data A "hello" @3`, `1 data B "one" @4`, "1 end A RST @5",
				`1 data B "two" @6`, "1 end B FIN @7", "1 close RST @7"},
			conns:   1,
			skipped: map[string]int64{"no open connection": 1},
		},
		{
			// The rewritten captures of reddit.pcap: the segments in
			// flight need not come in order, nor only once.
			name: "segments in flight out of order and sent again",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "R", 1006, 0, ""},
				pkt{5, srv, cli, "PA", 5004, 1006, "two"},
				pkt{6, srv, cli, "PA", 5001, 1006, "one"},
				pkt{7, srv, cli, "PA", 5001, 1006, "onetwo"},
				pkt{8, srv, cli, "PA", 5007, 1006, "three"},
			),
			want: []string{newConn, `1 data A "hello" @3`, "1 end A RST @4", `1 data B "one" @6`, `1 data B "two" @5`,
				`1 data B "three" @8`, "1 close RST @8"},
			conns: 1,
		},
		{
			name: "a segment far from the peer's bytes ends the wait, and is a straggler",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "R", 1006, 0, ""},
				pkt{5, srv, cli, "PA", 5001 + 8<<20, 1006, "far"},
				pkt{6, srv, cli, "PA", 5001, 1006, "late"},
			),
			want:    []string{newConn, `1 data A "hello" @3`, "1 end A RST @4", "1 close RST @4"},
			conns:   1,
			skipped: map[string]int64{"after close": 2},
		},
		{
			name: "the wait is over after resetWait",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, srv, cli, "RA", 5001, 1006, ""},
				pkt{1004, cli, srv, "PA", 1006, 5001, "still in time"},
				pkt{2005, cli6, srv6, "S", 1, 0, ""},
				pkt{2006, cli, srv, "PA", 1019, 5001, "late"},
			),
			want: []string{newConn, `1 data A "hello" @3`, "1 end B RST @4", `1 data A "still in time" @1004`, "1 close RST @1004",
				"2 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @2005", "2 close capture @2005"},
			conns:   2,
			skipped: map[string]int64{"after close": 1},
		},
		{
			name: "the resetting side's SYN starts a new connection",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "RA", 1001, 5001, ""},
				pkt{4, cli, srv, "R", 1001, 0, ""},
				pkt{5, cli, srv, "S", 3000, 0, ""},
				pkt{6, srv, cli, "SA", 7000, 3001, ""},
				pkt{7, cli, srv, "PA", 3001, 7001, "again"},
			),
			want: []string{newConn, "1 end A RST @3", "1 close RST @4",
				"2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @5", `2 data A "again" @7`, "2 close capture @7"},
			conns: 2,
		},
		{
			name:      "a RST closes a done connection at once",
			doneAfter: 1,
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "R", 1006, 0, ""},
				pkt{5, srv, cli, "PA", 5001, 1006, "one"},
			),
			want:    []string{newConn, `1 data A "hello" @3`, "1 end A RST @4", "1 close RST @4"},
			conns:   1,
			skipped: map[string]int64{"after close": 1},
		},
		{
			name: "the end of input ends the wait",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, cli, srv, "R", 1006, 0, ""},
			),
			want:  []string{newConn, `1 data A "hello" @3`, "1 end A RST @4", "1 close RST @4"},
			conns: 1,
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

// Segments of a connection that closed lately are stragglers, counted as
// skipped, not connections without SYN; a SYN starts a new connection, as
// does a segment far from the closed connection's sequence numbers or
// after closedLinger.
func TestSegmentsAfterClose(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	closed := append(hs[:3:3],
		pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
		pkt{4, cli, srv, "FA", 1006, 5001, ""},
		pkt{5, srv, cli, "FPA", 5001, 1007, "bye"},
		pkt{6, cli, srv, "A", 1007, 5005, ""},
	)
	closedLog := []string{newConn, `1 data A "hello" @3`, "1 end A FIN @4", `1 data B "bye" @5`, "1 end B FIN @5", "1 close FIN @5"}
	linger := int(closedLinger / time.Millisecond)
	for _, tt := range []lifecycleTest{
		{
			name: "retransmission and late SYN-ACK",
			pkts: append(closed[:7:7],
				pkt{7, srv, cli, "FPA", 5001, 1007, "bye"},
				pkt{8, srv, cli, "SA", 5000, 1001, ""},
				pkt{9, cli, srv, "PA", 1001, 5001, "hello"},
			),
			want:    closedLog,
			conns:   1,
			skipped: map[string]int64{"after close": 3, "no open connection": 1},
		},
		{
			// A SYN-ACK of an earlier ISN still acknowledges the client's.
			name: "late SYN-ACK of another ISN",
			pkts: append(closed[:7:7],
				pkt{7, srv, cli, "SA", 900000000, 1001, ""},
			),
			want:    closedLog,
			conns:   1,
			skipped: map[string]int64{"after close": 1, "no open connection": 1},
		},
		{
			name: "far from the closed connection's sequence numbers",
			pkts: append(closed[:7:7],
				pkt{7, srv, cli, "PA", 900000000, 2000000000, "new"},
			),
			want:    append(closedLog[:6:6], "2 new A=10.0.0.2:443 B=10.0.0.1:40000 @7", `2 data A "new" @7`, "2 close capture @7"),
			conns:   2,
			skipped: map[string]int64{"no open connection": 1},
		},
		{
			name: "after closedLinger",
			pkts: append(closed[:7:7],
				pkt{linger + 6, srv, cli, "FPA", 5001, 1007, "bye"},
				later(linger+7),
			),
			want:    append(closedLog[:6:6], "2 new A=10.0.0.2:443 B=10.0.0.1:40000 @60006", `2 data A "bye" @60006`, "2 end A FIN @60006", "2 close capture @60006"),
			conns:   2,
			skipped: map[string]int64{"no open connection": 2},
		},
		{
			name: "SYN",
			pkts: append(closed[:7:7],
				pkt{7, cli, srv, "S", 1000, 0, ""},
				pkt{8, srv, cli, "SA", 5000, 1001, ""},
				pkt{9, cli, srv, "PA", 1001, 5001, "hello"},
			),
			want:    append(closedLog[:6:6], "2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @7", `2 data A "hello" @9`, "2 close capture @9"),
			conns:   2,
			skipped: map[string]int64{"no open connection": 1},
		},
		{
			// It was reported when it idled; waking up, it is the same
			// connection, not a second one seen from the middle.
			name: "an idle connection that wakes up",
			opts: Options{IdleTimeout: time.Second},
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{2000, cli, srv, "PA", 1006, 5001, "again"},
				pkt{4000, srv, cli, "PA", 5001, 1011, "back"},
			),
			want:    []string{newConn, `1 data A "hello" @3`, "1 close idle @3"},
			conns:   1,
			skipped: map[string]int64{"after idle or memory close": 2},
		},
		{
			name: "an idle connection's 4-tuple reused without a SYN seen",
			opts: Options{IdleTimeout: time.Second},
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{2000, cli, srv, "PA", 900000000, 2000000000, "other"},
				later(2001),
			),
			want: []string{newConn, `1 data A "hello" @3`, "1 close idle @3",
				"2 new A=10.0.0.1:40000 B=10.0.0.2:443 @2000", `2 data A "other" @2000`, "2 close capture @2000"},
			conns:   2,
			skipped: map[string]int64{"no open connection": 1},
		},
		{
			name: "an idle connection is forgotten after staleLinger",
			opts: Options{IdleTimeout: time.Second},
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{int(staleLinger/time.Millisecond) + 10, cli, srv, "PA", 1006, 5001, "again"},
				later(int(staleLinger/time.Millisecond)+11),
			),
			want: []string{newConn, `1 data A "hello" @3`, "1 close idle @3",
				"2 new A=10.0.0.1:40000 B=10.0.0.2:443 @7200010", `2 data A "again" @7200010`, "2 close capture @7200010"},
			conns:   2,
			skipped: map[string]int64{"no open connection": 1},
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

// Bytes a side acknowledges that the capture never had are a gap, reported
// before that side's next data is delivered: the peer received them, so
// they will not come again.
func TestUnseenBytes(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	for _, tt := range []lifecycleTest{
		{
			name: "the server's flight lost, then the client's next data",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{5, cli, srv, "A", 1006, 5101, ""}, // a bare ACK: no data to judge yet
				pkt{6, cli, srv, "PA", 1006, 5101, "next"},
				pkt{7, srv, cli, "PA", 5101, 1010, "more"},
			),
			want:  []string{newConn, `1 data A "hello" @3`, "1 gap B 100 @6", `1 data A "next" @6`, `1 data B "more" @7`, "1 close capture @7"},
			conns: 1,
		},
		{
			// tls-fingerprint-alert: the server's segments come out of
			// order, and one in the middle is lost.
			name: "a hole after bytes that waited",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, srv, cli, "PA", 5011, 1006, "BBBBB"},
				pkt{5, srv, cli, "PA", 5026, 1006, "DDDDD"},
				pkt{6, srv, cli, "PA", 5001, 1006, "AAAAAAAAAA"},
				pkt{7, cli, srv, "PA", 1006, 5031, "next"},
			),
			want: []string{newConn, `1 data A "hello" @3`, `1 data B "AAAAAAAAAA" @6`, `1 data B "BBBBB" @4`,
				"1 gap B 10 @7", `1 data B "DDDDD" @5`, `1 data A "next" @7`, "1 close capture @7"},
			conns: 1,
		},
		{
			name: "the server's last flight lost, and nothing after it",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
				pkt{4, srv, cli, "PA", 5001, 1006, "world"},
				pkt{6, cli, srv, "A", 1006, 5106, ""},
			),
			want:  []string{newConn, `1 data A "hello" @3`, `1 data B "world" @4`, "1 gap B 100 @6", "1 close capture @6"},
			conns: 1,
		},
		{
			name: "the peer's FIN acknowledged is no byte",
			pkts: append(hs[:3:3],
				pkt{3, srv, cli, "FPA", 5001, 1001, "bye"},
				pkt{4, cli, srv, "PA", 1001, 5005, "late"},
			),
			want:  []string{newConn, `1 data B "bye" @3`, "1 end B FIN @3", `1 data A "late" @4`, "1 close capture @4"},
			conns: 1,
		},
		{
			name: "an acknowledgement far ahead is not believed",
			pkts: append(hs[:3:3],
				pkt{3, cli, srv, "PA", 1001, 5001 + 8<<20, "hello"},
			),
			want:  []string{newConn, `1 data A "hello" @3`, "1 close capture @3"},
			conns: 1,
		},
		{
			// Without the SYN-ACK, the server begins where the client's
			// first acknowledgement says (see Assembler.begin).
			name: "a side never seen",
			pkts: []pkt{
				{0, cli, srv, "PA", 1001, 5001, "hello"},
				{1, cli, srv, "PA", 1006, 5101, "again"},
			},
			want:  []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0", `1 data A "hello" @0`, "1 gap B 100 @1", `1 data A "again" @1`, "1 close capture @1"},
			conns: 1,
		},
		{
			name: "nothing known of the peer",
			pkts: []pkt{
				{0, cli, srv, "P", 1001, 0, "hello"},
				{1, cli, srv, "PA", 1006, 5101, "again"},
			},
			want:  []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0", `1 data A "hello" @0`, `1 data A "again" @1`, "1 close capture @1"},
			conns: 1,
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

func TestClosedTableIsBounded(t *testing.T) {
	var tab closedTable
	keyN := func(i int) connKey {
		return keyOf(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 40000), srv, 0)
	}
	for i := range maxClosed + 10 {
		c := &conn{key: keyN(i), last: base}
		c.info.A = c.key.lo
		tab.add(c)
	}
	if len(tab.idx) != maxClosed || len(tab.ring) != maxClosed {
		t.Errorf("%d indexed, %d in the ring, want %d", len(tab.idx), len(tab.ring), maxClosed)
	}
	for i, want := range map[int]bool{0: false, 9: false, 10: true, maxClosed + 9: true} {
		if _, ok := tab.idx[keyN(i)]; ok != want {
			t.Errorf("connection %d remembered: %v, want %v", i, ok, want)
		}
	}
}

// A direction starts at the ISN of its SYN, or without one at its first
// segment with something to put in order; never at a bare ACK.
func TestDirectionStart(t *testing.T) {
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	for _, tt := range []lifecycleTest{
		{
			// tcp-fastopen-10-syn-data-ignore: the server answers with two
			// ISNs in turn; the client acknowledges the second, and a
			// SYN-ACK of the first that comes after is stale.
			name: "SYN-ACKs with two ISNs",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{1, srv, cli, "SA", 5000, 1001, ""},
				{2, srv, cli, "SA", 9000, 1001, ""},
				{3, srv, cli, "SA", 5000, 1001, ""},
				{4, srv, cli, "SA", 9000, 1001, ""},
				{5, cli, srv, "PA", 1001, 9001, "hello"},
				{6, srv, cli, "SA", 5000, 1001, ""},
				{7, srv, cli, "A", 9001, 1006, ""},
				{8, srv, cli, "PA", 9001, 1006, "world"},
			},
			want:  []string{newConn, `1 data A "hello" @5`, `1 data B "world" @8`, "1 close capture @8"},
			conns: 1,
		},
		{
			// tls-subjectaltname, streams 3 and 40: a challenge ACK from
			// an earlier connection on the 4-tuple, which the client
			// resets, comes before the SYN-ACK.
			name: "challenge ACK before the SYN-ACK",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{1, srv, cli, "A", 777777, 424242, ""},
				{2, cli, srv, "R", 424242, 0, ""},
				{3000, cli, srv, "S", 1000, 0, ""},
				{3001, srv, cli, "SA", 5000, 1001, ""},
				{3002, cli, srv, "A", 1001, 5001, ""},
				{3003, cli, srv, "PA", 1001, 5001, "hello"},
				{3004, srv, cli, "PA", 5001, 1006, "world"},
			},
			want:  []string{newConn, `1 data A "hello" @3003`, `1 data B "world" @3004`, "1 close capture @3004"},
			conns: 1,
		},
		{
			name: "bare ACK before data, without SYN",
			pkts: []pkt{
				{0, cli, srv, "PA", 1001, 5001, "hello"},
				{1, srv, cli, "A", 777777, 1006, ""},
				{2, srv, cli, "PA", 5001, 1006, "world"},
			},
			want:  []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0", `1 data A "hello" @0`, `1 data B "world" @2`, "1 close capture @2"},
			conns: 1,
		},
		{
			name: "a SYN-ACK without the SYN, then its first segment lost",
			pkts: []pkt{
				{0, srv, cli, "SA", 5000, 1001, ""},
				{1, srv, cli, "PA", 5011, 1001, "world"},
				{2, cli, srv, "PA", 1001, 5016, "hello"},
			},
			// The client acknowledges the bytes lost: the gap is reported
			// before its data (see Assembler.unseen).
			want: []string{"1 new A=10.0.0.2:443 B=10.0.0.1:40000 @0", "1 gap A 10 @2", `1 data A "world" @1`,
				`1 data B "hello" @2`, "1 close capture @2"},
			conns: 1,
		},
		{
			// Where the server begins is what the client acknowledged
			// first: its first segment lost, the next is not its start.
			name: "the SYN-ACK and the server's first segment lost",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{2, cli, srv, "A", 1001, 5001, ""},
				{3, cli, srv, "PA", 1001, 5001, "hello"},
				{5, srv, cli, "PA", 5011, 1006, "world"},
				{6, cli, srv, "PA", 1006, 5016, "next"},
			},
			want: []string{newConn, `1 data A "hello" @3`, "1 gap B 10 @6", `1 data B "world" @5`,
				`1 data A "next" @6`, "1 close capture @6"},
			conns: 1,
		},
		{
			name: "the SYN-ACK lost, and every acknowledgement of the client",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{5, srv, cli, "PA", 5011, 1001, "world"},
			},
			want:  []string{newConn, "1 gap B -1 @5", `1 data B "world" @5`, "1 close capture @5"},
			conns: 1,
		},
		{
			// The ACK the ClientHello carries says where the server
			// begins.
			name: "without SYN, the server's first segment lost",
			pkts: []pkt{
				{0, cli, srv, "PA", 1001, 5001, "hello"},
				{2, srv, cli, "PA", 5011, 1006, "world"},
				{3, cli, srv, "PA", 1006, 5016, "next"},
			},
			want: []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0", `1 data A "hello" @0`, "1 gap B 10 @3", `1 data B "world" @2`,
				`1 data A "next" @3`, "1 close capture @3"},
			conns: 1,
		},
		{
			name: "a connection with only a SYN idles",
			opts: Options{IdleTimeout: time.Second},
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{2000, cli6, srv6, "S", 1, 0, ""},
				later(2001),
			},
			want:    []string{newConn, "1 close idle @0", "2 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @2000", "2 close capture @2000"},
			conns:   2,
			skipped: map[string]int64{"no open connection": 1},
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

// A direction whose start is unknown (no SYN, no acknowledgement of its
// peer proving it) holds its first segments for the settle window, and
// starts at the lowest of them (settle.go).
func TestSettleWindow(t *testing.T) {
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0"
	other := pkt{300, cli6, srv6, "PA", 1, 0, "other"}
	otherConn := []string{"2 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 @300", `2 data A "other" @300`}
	for _, tt := range []lifecycleTest{
		{
			name: "the ClientHello's segments swapped, then the server answers",
			pkts: []pkt{
				{0, cli, srv, "PA", 1006, 5001, "world"},
				{1, cli, srv, "PA", 1001, 5001, "hello"},
				{2, srv, cli, "PA", 5001, 1011, "reply"},
			},
			want:  []string{newConn, `1 data A "hello" @1`, `1 data A "world" @0`, `1 data B "reply" @2`, "1 close capture @2"},
			conns: 1,
		},
		{
			name: "settled by capture time",
			pkts: []pkt{
				{0, cli, srv, "PA", 1006, 5001, "world"},
				{1, cli, srv, "PA", 1001, 5001, "hello"},
				other,
			},
			want: append(append([]string{newConn, `1 data A "hello" @1`, `1 data A "world" @0`}, otherConn...),
				"1 close capture @1", "2 close capture @300"),
			conns: 2,
		},
		{
			name: "settled by the third segment",
			pkts: []pkt{
				{0, cli, srv, "PA", 1011, 5001, "ccccc"},
				{1, cli, srv, "PA", 1006, 5001, "bbbbb"},
				{2, cli, srv, "PA", 1001, 5001, "aaaaa"},
				{3, cli, srv, "PA", 1016, 5001, "ddddd"},
				{4, srv, cli, "PA", 5001, 1021, "reply"},
			},
			want: []string{newConn, `1 data A "aaaaa" @2`, `1 data A "bbbbb" @1`, `1 data A "ccccc" @0`, `1 data A "ddddd" @3`,
				`1 data B "reply" @4`, "1 close capture @4"},
			conns: 1,
		},
		{
			name: "a segment of the peer's holds nothing back",
			pkts: []pkt{
				{0, cli, srv, "PA", 1006, 5001, "world"},
				{1, cli, srv, "PA", 1001, 5001, "hello"},
				{2, srv, cli, "A", 5001, 1011, ""},
				{3, cli, srv, "FPA", 1011, 5001, "bye"},
			},
			want: []string{newConn, `1 data A "hello" @1`, `1 data A "world" @0`, `1 data A "bye" @3`, "1 end A FIN @3",
				"1 close capture @3"},
			conns: 1,
		},
		{
			name: "a FIN ends the settling",
			pkts: []pkt{
				{0, cli, srv, "FPA", 1006, 5001, "world"},
				{1, cli, srv, "PA", 1001, 5001, "hello"},
			},
			want:  []string{newConn, `1 data A "world" @0`, "1 end A FIN @0", "1 close capture @1"},
			conns: 1,
		},
		{
			// The SYN-ACK's acknowledgement says where the client begins:
			// nothing to settle.
			name: "the SYN-ACK without the SYN, the ClientHello's segments swapped",
			pkts: []pkt{
				{0, srv, cli, "SA", 5000, 1001, ""},
				{1, cli, srv, "PA", 1006, 5001, "world"},
				{2, cli, srv, "PA", 1001, 5001, "hello"},
			},
			want:  []string{"1 new A=10.0.0.2:443 B=10.0.0.1:40000 @0", `1 data B "hello" @2`, `1 data B "world" @1`, "1 close capture @2"},
			conns: 1,
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

// A SYN with another ISN on the 4-tuple of an open connection, whose
// FIN or RST the capture never had (or a NAT reused the port), starts a
// new connection: the open one is closed, reused. A SYN sent again, and
// the peer's SYN of a simultaneous open, are the same connection.
func TestReusedFourTuple(t *testing.T) {
	first := append(handshake(cli, srv, 1000, 5000),
		pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
		pkt{4, srv, cli, "PA", 5001, 1006, "hi"},
	)
	second := []pkt{
		{10, cli, srv, "S", 70000, 0, ""},
		{11, srv, cli, "SA", 90000, 70001, ""},
		{12, cli, srv, "A", 70001, 90001, ""},
		{13, cli, srv, "PA", 70001, 90001, "again"},
		{14, srv, cli, "PA", 90001, 70006, "there"},
	}
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	secondLog := []string{"2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @10", `2 data A "again" @13`, `2 data B "there" @14`, "2 close capture @14"}
	for _, tt := range []lifecycleTest{
		{
			name:  "a second handshake",
			pkts:  append(first[:5:5], second...),
			want:  append([]string{newConn, `1 data A "hello" @3`, `1 data B "hi" @4`, "1 close reused @4"}, secondLog...),
			conns: 2,
		},
		{
			// Its packets are only looked up (Assembler.decided): the
			// SYN must still be seen.
			name:      "a second handshake after a connection done",
			doneAfter: 1,
			pkts:      append(first[:5:5], second...),
			want: []string{newConn, `1 data A "hello" @3`, "1 close reused @4",
				"2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @10", `2 data A "again" @13`, "2 close capture @14"},
			conns: 2,
		},
		{
			name: "a second handshake while the first waits behind a hole",
			pkts: append(append(first[:5:5], pkt{5, cli, srv, "PA", 1020, 5003, "late"}), second...),
			// The bytes behind the hole are dropped, as at the end of
			// the wait after a RST.
			want:  append([]string{newConn, `1 data A "hello" @3`, `1 data B "hi" @4`, "1 close reused @5"}, secondLog...),
			conns: 2,
		},
		{
			name: "a second handshake on a connection seen from its middle",
			pkts: append([]pkt{
				{0, cli, srv, "PA", 1001, 5001, "hello"},
				{4, srv, cli, "PA", 5001, 1006, "hi"},
			}, second...),
			want: append([]string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0", `1 data A "hello" @0`, `1 data B "hi" @4`, "1 close reused @4"},
				secondLog...),
			conns: 2,
		},
		{
			name:  "the SYN sent again",
			pkts:  append([]pkt{{0, cli, srv, "S", 1000, 0, ""}}, append(handshake(cli, srv, 1000, 5000), first[3:]...)...),
			want:  []string{newConn, `1 data A "hello" @3`, `1 data B "hi" @4`, "1 close capture @4"},
			conns: 1,
		},
		{
			// The capture began at the SYN-ACK; the SYN it answers comes
			// after it.
			name: "the SYN after its SYN-ACK",
			pkts: []pkt{
				{0, srv, cli, "SA", 5000, 1001, ""},
				{1, cli, srv, "S", 1000, 0, ""},
				{2, cli, srv, "A", 1001, 5001, ""},
				{3, cli, srv, "PA", 1001, 5001, "hello"},
			},
			want:  []string{"1 new A=10.0.0.2:443 B=10.0.0.1:40000 @0", `1 data B "hello" @3`, "1 close capture @3"},
			conns: 1,
		},
		{
			// RFC 9293, 3.5, figure 8.
			name: "a simultaneous open",
			pkts: []pkt{
				{0, cli, srv, "S", 1000, 0, ""},
				{1, srv, cli, "S", 5000, 0, ""},
				{2, srv, cli, "SA", 5000, 1001, ""},
				{3, cli, srv, "SA", 1000, 5001, ""},
				{4, cli, srv, "PA", 1001, 5001, "hello"},
				{5, srv, cli, "PA", 5001, 1006, "hi"},
			},
			want:  []string{newConn, `1 data A "hello" @4`, `1 data B "hi" @5`, "1 close capture @5"},
			conns: 1,
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

// A packet stamped far from the others (a capture merged from machines
// whose clocks disagree) changes no connection but its own: capture time
// leaps forward only when a later packet confirms it, so that idle
// connections are closed after a capture paused, not at one wild
// timestamp.
func TestWildTimestamp(t *testing.T) {
	const hour = int(time.Hour / time.Millisecond)
	const year = 365 * 24 * hour
	hs := handshake(cli, srv, 1000, 5000)
	hello := pkt{3, cli, srv, "PA", 1001, 5001, "hello"}
	hi := pkt{5, srv, cli, "PA", 5001, 1006, "hi"}
	fins := []pkt{{6, cli, srv, "FA", 1006, 5003, ""}, {7, srv, cli, "FA", 5003, 1007, ""}}
	newConn := "1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0"
	closedLog := []string{`1 data A "hello" @3`, `1 data B "hi" @5`, "1 end A FIN @6", "1 end B FIN @7", "1 close FIN @7"}
	stray := func(ms int) pkt { return pkt{ms, cli6, srv6, "S", 1, 0, ""} }
	strayLog := func(n, ms int) string {
		return fmt.Sprintf("%d new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @%d", n, ms)
	}
	opts := Options{IdleTimeout: DefaultIdleTimeout}
	for _, tt := range []lifecycleTest{
		{
			name:  "a packet of another connection a year ahead",
			opts:  opts,
			pkts:  append(append(hs[:3:3], hello, stray(year), hi), fins...),
			want:  append(append([]string{newConn, closedLog[0], strayLog(2, year)}, closedLog[1:]...), fmt.Sprintf("2 close capture @%d", year)),
			conns: 2,
		},
		{
			name:  "a packet of another connection an hour ahead",
			opts:  opts,
			pkts:  append(append(hs[:3:3], hello, stray(hour), hi), fins...),
			want:  append(append([]string{newConn, closedLog[0], strayLog(2, hour)}, closedLog[1:]...), fmt.Sprintf("2 close capture @%d", hour)),
			conns: 2,
		},
		{
			name: "a segment of the connection a year ahead",
			opts: opts,
			pkts: append(append(hs[:3:3], hello, pkt{year, srv, cli, "PA", 5001, 1006, "hi"}), fins...),
			want: []string{newConn, closedLog[0], fmt.Sprintf(`1 data B "hi" @%d`, year), "1 end A FIN @6", "1 end B FIN @7",
				fmt.Sprintf("1 close FIN @%d", year)},
			conns: 1,
		},
		{
			name:  "the last packet a year ahead",
			opts:  opts,
			pkts:  append(hs[:3:3], hello, hi, stray(year)),
			want:  []string{newConn, closedLog[0], closedLog[1], strayLog(2, year), "1 close capture @5", fmt.Sprintf("2 close capture @%d", year)},
			conns: 2,
		},
		{
			// Without a clock to compare it with, the first packet's is
			// believed only as far as the second's.
			name: "the first packet a year ahead",
			opts: opts,
			pkts: append(append(append([]pkt{stray(year)}, hs...), hello, hi), append(fins,
				pkt{8, cli, srv, "A", 1007, 5004, ""},
				pkt{9, srv, cli, "PA", 5001, 1007, "hi"}, // sent again: after close
			)...),
			want: []string{strayLog(1, year), "2 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `2 data A "hello" @3`, `2 data B "hi" @5`,
				"2 end A FIN @6", "2 end B FIN @7", "2 close FIN @7", fmt.Sprintf("1 close capture @%d", year)},
			conns:   2,
			skipped: map[string]int64{"after close": 1, "no open connection": 1},
		},
		{
			name:  "a packet of another connection a year behind",
			opts:  opts,
			pkts:  append(append(hs[:3:3], hello, stray(-year), hi), fins...),
			want:  append(append([]string{newConn, closedLog[0], strayLog(2, -year)}, closedLog[1:]...), fmt.Sprintf("2 close capture @%d", -year)),
			conns: 2,
		},
		{
			// The wait for the peer's segments in flight at a RST is a
			// span of capture time, from the RST on.
			name: "a RST a year behind",
			opts: opts,
			pkts: append(hs[:3:3], hello,
				pkt{-year, srv, cli, "R", 5001, 0, ""},
				pkt{5, cli, srv, "PA", 1006, 5001, "more"},
			),
			want:  []string{newConn, closedLog[0], fmt.Sprintf("1 end B RST @%d", -year), `1 data A "more" @5`, "1 close RST @5"},
			conns: 1,
		},
		{
			// A real leap: the capture paused, then went on.
			name: "an hour's pause",
			opts: opts,
			pkts: append(hs[:3:3], hello, hi, stray(hour), pkt{hour + 1, srv6, cli6, "SA", 7, 2, ""}),
			want: []string{newConn, closedLog[0], closedLog[1], "1 close idle @5", strayLog(2, hour),
				fmt.Sprintf("2 close capture @%d", hour+1)},
			conns: 2,
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

// TestSpareConns: connections finished are reused by those opened after
// them (newConn), and nothing changes for it: many short connections,
// overlapping, on few 4-tuples, closing by FIN, RST, reuse of their
// 4-tuple and idleness, make the same calls as with no reuse.
func TestSpareConns(t *testing.T) {
	var ps []pkt
	ms := 0
	for i := range 120 {
		from := netip.AddrPortFrom(cli.Addr(), uint16(40000+i%7))
		isnA, isnB := uint32(1000+i*100000), uint32(5000+i*7000)
		for _, p := range handshake(from, srv, isnA, isnB) {
			p.ms += ms
			ps = append(ps, p)
		}
		ps = append(ps,
			pkt{ms + 3, from, srv, "PA", isnA + 1, isnB + 1, "hello"},
			pkt{ms + 4, srv, from, "PA", isnB + 1, isnA + 6, "world!"},
		)
		switch i % 4 {
		case 0:
			ps = append(ps, pkt{ms + 5, from, srv, "FA", isnA + 6, isnB + 7, ""}, pkt{ms + 6, srv, from, "FA", isnB + 7, isnA + 7, ""})
		case 1:
			ps = append(ps, pkt{ms + 5, srv, from, "RA", isnB + 7, isnA + 6, ""})
		case 2:
			ms += 3000 // idle past the timeout
		}
		ms += 2 // the next begins before this one ends
	}
	fs := ether(t, ps...)
	runWith := func(spare int) ([]string, int64, int) {
		r := &recorder{t: t, doneAfter: 8}
		a := NewAssembler(r, Options{IdleTimeout: 2 * time.Second})
		a.spareMax = spare
		seen := map[*conn]bool{}
		for _, f := range fs {
			a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)})
			for c := range a.conns.all {
				seen[c] = true
			}
		}
		a.Flush()
		return r.log, a.Stats().Connections, len(seen)
	}
	want, _, _ := runWith(0)
	got, conns, made := runWith(maxSpare)
	checkLog(t, want, got)
	if made >= int(conns) {
		t.Errorf("%d connections took %d conns: none was reused", conns, made)
	}
}
