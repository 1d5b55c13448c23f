package reassembly

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/hsdecode/hsdecode/stream"
)

func (s *recStream) Path(client netip.AddrPort, encrypted bool, ts time.Time) {
	how := "cid"
	if encrypted {
		how = "issued"
	}
	s.r.logf(s, "path %v %s @%d", client, how, ms(ts))
}

// IssuedIDs implements stream.IDStream with the IDs its datagrams named
// (issuedIn).
func (s *recStream) IssuedIDs() []stream.IssuedID {
	ids := s.ids
	s.ids = nil
	return ids
}

// ncid marks a test datagram that stands for a decrypted packet with
// NEW_CONNECTION_ID frames: the marker, then a side byte (s, the
// server's; c, the client's) and an ID of 8 bytes, as many times as it
// says.
const ncid = "ncid:"

func issuedIn(b []byte) []stream.IssuedID {
	var ids []stream.IssuedID
	if i := bytes.Index(b, []byte(ncid)); i >= 0 {
		for b = b[i+len(ncid):]; len(b) >= 9; b = b[9:] {
			ids = append(ids, stream.IssuedID{ToServer: b[0] == 's', ID: bytes.Clone(b[1:9])})
		}
	}
	return ids
}

// withIDs is a short header packet to dcid that issues IDs (issuedIn).
func withIDs(dcid []byte, ids ...string) []byte {
	b := append(append([]byte{0x43}, dcid...), ncid...)
	for _, id := range ids {
		b = append(b, id...)
	}
	return b
}

// quicLong is a QUIC v1 long header packet of the given type bits
// (0: Initial, 2: Handshake) with its connection IDs, padded to size.
func quicLong(typ byte, dcid, scid []byte, size int) []byte {
	b := append([]byte{0xc3 | typ<<4, 0, 0, 0, 1, byte(len(dcid))}, dcid...)
	b = append(append(b, byte(len(scid))), scid...)
	return append(b, make([]byte, max(0, size-len(b)))...)
}

// quicShort is a short header packet whose Destination Connection ID
// begins with dcid.
func quicShort(dcid []byte) []byte {
	return append(append([]byte{0x43}, dcid...), bytes.Repeat([]byte{0xee}, 30)...)
}

var (
	odcid      = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	clientSCID = []byte{0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22}
	serverSCID = []byte{0x33, 0x33, 0x33, 0x33}
	moved      = netip.MustParseAddrPort("10.0.0.1:40001")
	movedAgain = netip.MustParseAddrPort("10.0.0.5:40002")
	other      = netip.MustParseAddrPort("10.0.0.2:8443") // the server's address, another port
)

// TestQUICNewPath: a client that moves to a new port, keeping the
// server's connection ID, stays one flow: its datagrams and the server's
// to the new port are the flow's, of the client's and the server's side;
// a long header to the client's first ID links too. A short header whose
// ID is another, shares only the first bytes of one, or goes to another
// server is of no flow; the old path goes on. The same for 1 to 3 workers
// (run).
func TestQUICNewPath(t *testing.T) {
	got, st := run(t, Options{}, 0,
		udpFrame(t, 0, cli, srv, quicLong(0, odcid, clientSCID, 1200)),
		udpFrame(t, 1, srv, cli, quicLong(2, clientSCID, serverSCID, 100)),
		udpFrame(t, 2, moved, srv, quicShort(serverSCID)),
		udpFrame(t, 3, srv, moved, quicShort(clientSCID)),
		udpFrame(t, 4, bystander, srv, quicShort([]byte{0x33, 0x33, 0x33, 0x34})), // the first 3 bytes alike
		udpFrame(t, 5, bystander, other, quicShort(serverSCID)),                   // another server port
		udpFrame(t, 6, bystander, srv, quicShort([]byte{9, 9, 9, 9, 9})),
		udpFrame(t, 7, cli, srv, quicShort(serverSCID)), // the old path
		udpFrame(t, 8, movedAgain, srv, quicLong(2, odcid, clientSCID, 80)),
		udpFrame(t, 9, srv, movedAgain, quicShort(clientSCID)),
	)
	want := []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn quic @0",
		"1 datagram A 1200 @0",
		"1 datagram B 100 @1",
		"1 path 10.0.0.1:40001 cid @2",
		"1 datagram A 35 @2",
		"1 datagram B 39 @3",
		"1 datagram A 35 @7",
		"1 path 10.0.0.5:40002 cid @8",
		"1 datagram A 80 @8",
		"1 datagram B 39 @9",
		"1 close capture @9",
	}
	checkLog(t, want, got)
	if st.Skipped[reasonUDPNotHandshake] != 3 || st.Connections != 1 || st.MaxOpen != 1 {
		t.Errorf("skipped %v, connections %d, max open %d", st.Skipped, st.Connections, st.MaxOpen)
	}
}

// TestQUICNewPathShortIDs: connection IDs under minCIDLen bytes, and
// empty ones, link nothing: a short header to the same server with the
// server's 3-byte ID is skipped.
func TestQUICNewPathShortIDs(t *testing.T) {
	short := []byte{0x44, 0x44, 0x44}
	got, st := run(t, Options{}, 0,
		udpFrame(t, 0, cli, srv, quicLong(0, odcid, nil, 1200)),
		udpFrame(t, 1, srv, cli, quicLong(2, nil, short, 100)),
		udpFrame(t, 2, moved, srv, quicShort(short)),
		udpFrame(t, 3, srv, moved, quicShort(nil)),
	)
	checkLog(t, []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn quic @0",
		"1 datagram A 1200 @0",
		"1 datagram B 100 @1",
		"1 close capture @1",
	}, got)
	if st.Skipped[reasonUDPNotHandshake] != 2 {
		t.Errorf("skipped %v", st.Skipped)
	}
}

// TestQUICNewPathClosed: a flow closed when idle takes its paths along:
// a later datagram of its new path is of no flow, and it counted as one
// flow open; a DTLS flow's client never moves.
func TestQUICNewPathClosed(t *testing.T) {
	got, st := run(t, Options{IdleTimeout: time.Second}, 0,
		udpFrame(t, 0, cli, srv, quicLong(0, odcid, clientSCID, 1200)),
		udpFrame(t, 1, srv, cli, quicLong(2, clientSCID, serverSCID, 100)),
		udpFrame(t, 2, moved, srv, quicShort(serverSCID)),
		udpFrame(t, 800, bystander, srv, dns),
		udpFrame(t, 1600, bystander, srv, dns),
		udpFrame(t, 2400, bystander, srv, dns),
		udpFrame(t, 3000, moved, srv, quicShort(serverSCID)),
	)
	checkLog(t, []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn quic @0",
		"1 datagram A 1200 @0",
		"1 datagram B 100 @1",
		"1 path 10.0.0.1:40001 cid @2",
		"1 datagram A 35 @2",
		"1 close idle @2",
	}, got)
	if st.Skipped[reasonUDPNotHandshake] != 4 || st.MaxOpen != 1 || st.Open != 0 {
		t.Errorf("skipped %v, max open %d, open %d", st.Skipped, st.MaxOpen, st.Open)
	}
}

// TestQUICNewPathIssued: with Options.IssuedIDs, a client that moves to a
// connection ID the server issued encrypted (its consumer read it, as
// flows does with keys) stays one flow, its server's answers to the new
// path with an ID the client issued too; a short header to the server
// with an ID no flow issued, or with one the client issued, is skipped.
// Without the option the move is not linked. The same for 1 to 3
// workers (run), each of which Sharded waits for before it decides.
func TestQUICNewPathIssued(t *testing.T) {
	srvNew, cliNew := "s\x55\x55\x55\x55\x55\x55\x55\x55", "c\x66\x66\x66\x66\x66\x66\x66\x66"
	frames := []frame{
		udpFrame(t, 0, cli, srv, quicLong(0, odcid, clientSCID, 1200)),
		udpFrame(t, 1, srv, cli, quicLong(2, clientSCID, serverSCID, 100)),
		udpFrame(t, 2, srv, cli, withIDs(clientSCID, srvNew)),
		udpFrame(t, 3, cli, srv, withIDs(serverSCID, cliNew)),
		udpFrame(t, 4, moved, srv, quicShort([]byte(srvNew[1:]))),
		udpFrame(t, 5, srv, moved, quicShort([]byte(cliNew[1:]))),
		udpFrame(t, 6, bystander, srv, quicShort([]byte{7, 7, 7, 7, 7, 7, 7, 7})),
		udpFrame(t, 7, bystander, srv, quicShort([]byte(cliNew[1:]))),
	}
	head := []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn quic @0",
		"1 datagram A 1200 @0",
		"1 datagram B 100 @1",
		"1 datagram B 23 @2",
		"1 datagram A 19 @3",
	}
	got, st := run(t, Options{IssuedIDs: true}, 0, frames...)
	checkLog(t, append(head, "1 path 10.0.0.1:40001 issued @4", "1 datagram A 39 @4", "1 datagram B 39 @5", "1 close capture @5"), got)
	if st.Skipped[reasonUDPNotHandshake] != 2 {
		t.Errorf("skipped %v", st.Skipped)
	}
	got, st = run(t, Options{}, 0, frames...)
	checkLog(t, append(head, "1 close capture @3"), got)
	if st.Skipped[reasonUDPNotHandshake] != 4 {
		t.Errorf("without IssuedIDs: skipped %v", st.Skipped)
	}
}

// seg is a datagram as udpRoutes sees it.
func seg(from, to netip.AddrPort, payload []byte) segment {
	return segment{src: from, dst: to, udp: true, payload: payload}
}

// TestUDPRoutesBounds: a flow keeps at most maxFlowCIDs connection IDs
// whatever its long headers say, links at most maxPaths 4-tuples, the
// table at most maxDispatchCIDs IDs; expired flows leave nothing.
func TestUDPRoutesBounds(t *testing.T) {
	u := newUDPRoutes()
	now := base
	if _, ok := u.route(seg(cli, srv, quicLong(0, odcid, clientSCID, 1200)), now); !ok {
		t.Fatal("the Initial opens no flow")
	}
	for i := range 3 * maxFlowCIDs {
		u.route(seg(srv, cli, quicLong(2, clientSCID, []byte{0x33, 0x33, 0x33, byte(i)}, 60)), now)
	}
	r := u.flows[keyOf(cli, srv, 0)]
	if len(r.cids) != maxFlowCIDs || len(u.cids) != maxFlowCIDs {
		t.Errorf("%d IDs kept of the flow, %d in the table, want %d", len(r.cids), len(u.cids), maxFlowCIDs)
	}
	linked := 0
	for i := range 2 * maxPaths {
		from := netip.AddrPortFrom(cli.Addr(), uint16(50000+i))
		if p, ok := u.route(seg(from, srv, quicShort([]byte{0x33, 0x33, 0x33, 0})), now); ok && p != nil && *p == r.key {
			linked++
		}
	}
	if linked != maxPaths-1 || r.paths != maxPaths {
		t.Errorf("%d paths linked, %d counted, want %d besides the first", linked, r.paths, maxPaths-1)
	}
	for i := range maxDispatchCIDs/maxFlowCIDs + 10 {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 443)
		u.route(seg(c, srv, quicLong(0, []byte{byte(i >> 8), byte(i), 0, 0, 0, 0, 0, 0}, []byte{byte(i >> 8), byte(i), 1, 1}, 1200)), now)
		for j := range maxFlowCIDs {
			u.route(seg(srv, c, quicLong(2, nil, []byte{byte(i >> 8), byte(i), 2, byte(j)}, 60)), now)
		}
	}
	if len(u.cids) != maxDispatchCIDs {
		t.Errorf("%d IDs in the table, want the bound %d", len(u.cids), maxDispatchCIDs)
	}
	u.expire(now.Add(time.Second))
	if len(u.flows) != 0 || len(u.cids) != 0 || u.lens != [maxCIDLen + 1]int32{} {
		t.Errorf("after expiry: %d flows, %d IDs, lengths %v", len(u.flows), len(u.cids), u.lens)
	}
}

// fuzzEnds are the endpoints of FuzzUDPRoutes' datagrams.
var fuzzEnds = [8]netip.AddrPort{cli, srv, moved, movedAgain, bystander, srv6, cli6, other}

// FuzzUDPRoutes feeds udpRoutes datagrams between a few endpoints, the
// first byte of each choosing its sender and receiver: nothing may panic,
// the bounds hold, every ID counted belongs to the flow that kept it, and
// expiry leaves nothing. Seeds in testdata/fuzz/FuzzUDPRoutes are the
// datagrams of 150-quic-rebind.pcap and hand-made ones.
func FuzzUDPRoutes(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, _ := fuzzFrames(data)
		u := newUDPRoutes()
		for i, fr := range frames {
			if len(fr) == 0 {
				continue
			}
			from, to := fuzzEnds[fr[0]&7], fuzzEnds[fr[0]>>3&7]
			p, ok := u.route(seg(from, to, fr[1:]), base.Add(time.Duration(i)*time.Millisecond))
			if p != nil && (!ok || u.flows[*p] == nil || u.flows[*p].key != *p) {
				t.Fatalf("datagram %d: a path of %v, which is no flow", i, *p)
			}
		}
		var n int32
		for _, l := range u.lens {
			n += l
		}
		if int(n) != len(u.cids) || len(u.cids) > maxDispatchCIDs {
			t.Fatalf("%d IDs counted by length, %d in the table", n, len(u.cids))
		}
		for k, r := range u.cids {
			if k.n < minCIDLen || int(k.n) > maxCIDLen || len(r.cids) > maxFlowCIDs || r.paths > maxPaths || u.flows[r.key] != r {
				t.Fatalf("ID %x of %d bytes: flow of %d IDs, %d paths, in the table %v", k.id[:k.n], k.n, len(r.cids), r.paths, u.flows[r.key] == r)
			}
		}
		u.expire(base.Add(time.Hour))
		if len(u.flows) != 0 || len(u.cids) != 0 || u.lens != [maxCIDLen + 1]int32{} {
			t.Fatalf("after expiry: %d flows, %d IDs", len(u.flows), len(u.cids))
		}
	})
}

// TestUDPRoutesSeeds writes the seeds of FuzzUDPRoutes with
// -update-fuzz-seeds: the datagrams of 150-quic-rebind.pcap, and a forged
// short header with the first 4 bytes of the client's first ID; and checks
// that the first links a path and the second does not.
func TestUDPRoutesSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzUDPRoutes")
	if *updateSeeds {
		var in []byte
		ends := map[netip.AddrPort]byte{}
		d := newDecoder()
		for _, p := range readBundled(t, "150-quic-rebind.pcap") {
			s, reason := d.decode(p.LinkType, p.Data, 0)
			if reason != "" || !s.udp {
				continue
			}
			for _, e := range []netip.AddrPort{s.src, s.dst} {
				if _, ok := ends[e]; !ok {
					ends[e] = byte(len(ends))
				}
			}
			in = appendFrame(in, append([]byte{ends[s.src] | ends[s.dst]<<3}, s.payload...), false)
		}
		forged := appendFrame(nil, append([]byte{0 | 1<<3}, quicLong(0, odcid, clientSCID, 1200)...), false)
		forged = appendFrame(forged, append([]byte{4 | 1<<3}, quicShort(odcid[:4])...), false)
		for name, b := range map[string][]byte{"150-quic-rebind": in, "forged": forged} {
			s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, wantPath := range map[string]bool{"150-quic-rebind": true, "forged": false} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		q := strings.TrimSuffix(strings.TrimPrefix(string(b), "go test fuzz v1\n[]byte("), ")\n")
		str, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		frames, _ := fuzzFrames([]byte(str))
		u := newUDPRoutes()
		paths := 0
		for _, fr := range frames {
			from, to := fuzzEnds[fr[0]&7], fuzzEnds[fr[0]>>3&7]
			if p, _ := u.route(seg(from, to, fr[1:]), base); p != nil {
				paths++
			}
		}
		if (paths > 0) != wantPath {
			t.Errorf("%s: %d datagrams of a new path", name, paths)
		}
	}
}

// BenchmarkUDPRoutes measures what udpRoutes adds to a datagram, with
// 10,000 QUIC flows open (IDs of 4 and 8 bytes): one of a known flow
// (its 1-RTT packets, most of a capture's), a short header of no flow
// (every known ID length tried, twice), and a DNS query of no flow (one
// look at its first byte).
func BenchmarkUDPRoutes(b *testing.B) {
	u := newUDPRoutes()
	for i := range 10000 {
		c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000)
		u.route(seg(c, srv, quicLong(0, odcid, []byte{byte(i >> 8), byte(i), 2, 2, 2, 2, 2, 2}, 1200)), base)
		u.route(seg(srv, c, quicLong(2, nil, []byte{byte(i >> 8), byte(i), 3, 3}, 60)), base)
	}
	u.route(seg(cli, srv, quicLong(0, odcid, clientSCID, 1200)), base)
	for _, bc := range []struct {
		name string
		s    segment
	}{
		{"known", seg(cli, srv, quicShort(serverSCID))},
		{"unknown-short", seg(bystander, srv, quicShort([]byte{9, 9, 9, 9, 9, 9, 9, 9}))},
		{"unknown-dns", seg(bystander, srv, dns)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				u.route(bc.s, base)
			}
		})
	}
}

// BenchmarkShardedIssuedWait measures what a datagram of no flow sent to
// a QUIC server costs with Options.IssuedIDs: Sharded waits for its 3
// workers before it looks the ID up (migration.go), against the same
// datagrams without the option.
func BenchmarkShardedIssuedWait(b *testing.B) {
	open := []frame{
		udpFrame(b, 0, cli, srv, quicLong(0, odcid, clientSCID, 1200)),
		udpFrame(b, 1, srv, cli, quicLong(2, clientSCID, serverSCID, 100)),
	}
	stray := udpFrame(b, 2, bystander, srv, quicShort([]byte{7, 7, 7, 7, 7, 7, 7, 7}))
	for _, issued := range []bool{false, true} {
		b.Run(fmt.Sprintf("issued=%v", issued), func(b *testing.B) {
			sh := NewSharded(3, func(int) stream.Factory { return &recorder{t: b} }, Options{IssuedIDs: issued}, 0, nil)
			ci := func(f frame) gopacket.CaptureInfo {
				return gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)}
			}
			for _, f := range open {
				sh.Packet(f.link, f.data, ci(f))
			}
			for b.Loop() {
				sh.Packet(stray.link, stray.data, ci(stray))
			}
			sh.Flush()
		})
	}
}
