package reassembly

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/stream"
)

var (
	base = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cli  = netip.MustParseAddrPort("10.0.0.1:40000")
	srv  = netip.MustParseAddrPort("10.0.0.2:443")
	cli6 = netip.MustParseAddrPort("[2001:db8::1]:40000")
	srv6 = netip.MustParseAddrPort("[2001:db8::2]:443")
	// bystander sends packets of no connection.
	bystander = netip.MustParseAddrPort("10.0.0.3:50000")
)

// pkt is one TCP segment to build: ms is its capture time in milliseconds
// after base; flags holds S, A, F, R, P.
type pkt struct {
	ms       int
	from, to netip.AddrPort
	flags    string
	seq, ack uint32
	data     string
}

// ipTCP serializes the IP and TCP layers of p, with any extra IP layers
// (IPv6 extension headers) in between.
func ipTCP(t testing.TB, p pkt, ipOptions []layers.IPv4Option) []byte {
	t.Helper()
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(p.from.Port()), DstPort: layers.TCPPort(p.to.Port()),
		Seq: p.seq, Ack: p.ack, Window: 65535,
		SYN: strings.Contains(p.flags, "S"), ACK: strings.Contains(p.flags, "A"),
		FIN: strings.Contains(p.flags, "F"), RST: strings.Contains(p.flags, "R"),
		PSH: strings.Contains(p.flags, "P"),
	}
	var ls []gopacket.SerializableLayer
	if p.from.Addr().Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IP(p.from.Addr().AsSlice()), DstIP: net.IP(p.to.Addr().AsSlice()), Options: ipOptions}
		tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.IP(p.from.Addr().AsSlice()), DstIP: net.IP(p.to.Addr().AsSlice())}
		tcp.SetNetworkLayerForChecksum(ip)
		ls = append(ls, ip)
	}
	ls = append(ls, tcp, gopacket.Payload(p.data))
	return serialize(t, ls...)
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// etherFrame is p in an Ethernet frame.
func etherFrame(t testing.TB, p pkt) []byte {
	et := []byte{0x08, 0x00}
	if p.from.Addr().Is6() {
		et = []byte{0x86, 0xdd}
	}
	return concat(macs, et, ipTCP(t, p, nil))
}

var macs = []byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1}

func concat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// frame is one link-layer frame to feed.
type frame struct {
	link layers.LinkType
	ms   int
	data []byte
	wire int // its length on the wire, when the capture cut it (0: len(data))
}

func ether(t testing.TB, ps ...pkt) []frame {
	var fs []frame
	for _, p := range ps {
		fs = append(fs, frame{layers.LinkTypeEthernet, p.ms, etherFrame(t, p), 0})
	}
	return fs
}

// recorder is a Factory that logs every call as a line, checking that no
// stream is called after its Close.
type recorder struct {
	t       testing.TB
	log     []string
	streams []*recStream
	// doneAfter makes a stream Done once it has this many bytes (0: never).
	doneAfter int
}

type recStream struct {
	r      *recorder
	info   stream.ConnInfo
	n      int // the order of creation, the name in the log
	bytes  int
	closed int
	lines  []string // its calls, without the name
	ids    []stream.IssuedID
}

func (r *recorder) New(info stream.ConnInfo) stream.Stream {
	if len(r.streams) > 0 && info.Seq <= r.streams[len(r.streams)-1].info.Seq {
		r.t.Errorf("connection Seq %d after %d: not in the order connections began", info.Seq, r.streams[len(r.streams)-1].info.Seq)
	}
	s := &recStream{r: r, info: info, n: len(r.streams) + 1}
	r.streams = append(r.streams, s)
	syn := ""
	if info.SawSYN {
		syn = " syn"
	}
	if info.Transport != stream.TransportTCP {
		syn += " " + info.Transport.String()
	}
	r.logf(s, "new A=%v B=%v%s @%d", info.A, info.B, syn, ms(info.Start))
	return s
}

func (r *recorder) logf(s *recStream, format string, args ...any) {
	if s.closed > 0 {
		r.t.Errorf("connection %d: call after Close: %s", s.n, fmt.Sprintf(format, args...))
	}
	line := fmt.Sprintf(format, args...)
	s.lines = append(s.lines, line)
	r.log = append(r.log, fmt.Sprintf("%d ", s.n)+line)
}

func ms(t time.Time) int64 { return t.Sub(base).Milliseconds() }

var sideName = [2]string{"A", "B"}
var reasonName = map[stream.EndReason]string{stream.EndFIN: "FIN", stream.EndRST: "RST", stream.EndCapture: "capture", stream.EndIdle: "idle", stream.EndMemory: "memory", stream.EndReused: "reused"}

func (s *recStream) Data(side stream.Side, data []byte, ts time.Time) {
	s.bytes += len(data)
	s.r.logf(s, "data %s %q @%d", sideName[side], data, ms(ts))
}

func (s *recStream) Datagram(side stream.Side, data []byte, ts time.Time) {
	s.ids = append(s.ids, issuedIn(data)...)
	s.bytes += len(data)
	s.r.logf(s, "datagram %s %d @%d", sideName[side], len(data), ms(ts))
}

func (s *recStream) Gap(side stream.Side, missing int, ts time.Time) {
	s.r.logf(s, "gap %s %d @%d", sideName[side], missing, ms(ts))
}

func (s *recStream) End(side stream.Side, reason stream.EndReason, ts time.Time) {
	s.r.logf(s, "end %s %s @%d", sideName[side], reasonName[reason], ms(ts))
}

func (s *recStream) Close(reason stream.EndReason, last time.Time) {
	s.r.logf(s, "close %s @%d", reasonName[reason], ms(last))
	s.closed++
}

func (s *recStream) OverlapMismatch(side stream.Side, n int, ts time.Time) {
	s.r.logf(s, "mismatch %s %d @%d", sideName[side], n, ms(ts))
}

func (s *recStream) Done() bool { return s.r.doneAfter > 0 && s.bytes >= s.r.doneAfter }

// run feeds frames to a new Assembler, flushes it, checks that every stream
// was closed exactly once, and returns the log and the stats.
func run(t testing.TB, o Options, doneAfter int, fs ...frame) ([]string, Stats) {
	t.Helper()
	r := &recorder{t: t, doneAfter: doneAfter}
	a := NewAssembler(r, o)
	for _, f := range fs {
		a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: max(f.wire, len(f.data))})
	}
	a.Flush()
	for _, s := range r.streams {
		if s.closed != 1 {
			t.Errorf("connection %d closed %d times", s.info.Seq, s.closed)
		}
	}
	st := a.Stats()
	// Every run is also a test of Sharded, which must make the same calls
	// for each connection, unless memory is bounded (see Sharded).
	if o.MaxBufferedBytes == 0 {
		for n := 1; n <= 3; n++ {
			checkSharded(t, o, doneAfter, n, fs, r.streams, st)
		}
	}
	return r.log, st
}

// checkSharded runs frames through a Sharded of n workers, with batches
// ending every n frames, and compares each connection's calls with
// want's, and the counts with st.
func checkSharded(t testing.TB, o Options, doneAfter, n int, fs []frame, want []*recStream, st Stats) {
	t.Helper()
	rs := make([]*recorder, n)
	sh := NewSharded(n, func(i int) stream.Factory {
		rs[i] = &recorder{t: t, doneAfter: doneAfter}
		return rs[i]
	}, o, 0, nil)
	for i, f := range fs {
		sh.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: max(f.wire, len(f.data))})
		if i%n == n-1 {
			sh.EndBatch(nil)
		}
	}
	sh.Flush()
	calls := func(ss []*recStream) map[uint64][]string {
		m := make(map[uint64][]string)
		for _, s := range ss {
			m[s.info.Seq] = s.lines
		}
		return m
	}
	var got []*recStream
	for _, r := range rs {
		got = append(got, r.streams...)
	}
	if diff := cmp.Diff(calls(want), calls(got)); diff != "" {
		t.Errorf("%d workers: calls by connection Seq differ from one Assembler's (-one +sharded):\n%s", n, diff)
	}
	gs := sh.Stats()
	st.MaxOpen, st.MaxBuffered, gs.MaxOpen, gs.MaxBuffered = 0, 0, 0, 0
	if diff := cmp.Diff(st, gs); diff != "" {
		t.Errorf("%d workers: stats differ from one Assembler's (-one +sharded):\n%s", n, diff)
	}
}

func checkLog(t testing.TB, want, got []string) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// later is a packet of no connection at ms, skipped: after a packet that
// leaps ahead in time, it confirms the leap (clock.go).
func later(ms int) pkt { return pkt{ms, bystander, srv, "A", 1, 1, ""} }

// handshake is a 3-way handshake between cli and srv with ISNs 1000 and
// 5000, at 0, 1 and 2 ms.
func handshake(from, to netip.AddrPort, isnA, isnB uint32) []pkt {
	return []pkt{
		{0, from, to, "S", isnA, 0, ""},
		{1, to, from, "SA", isnB, isnA + 1, ""},
		{2, from, to, "A", isnA + 1, isnB + 1, ""},
	}
}

// empty reports whether no bucket has a connection or a byte counted.
func (m *memory) empty() bool {
	for _, b := range m.b {
		if b.head != nil || b.tail != nil || b.held != 0 {
			return false
		}
	}
	return m.held == 0
}

// countedPages is the gopacket pages the open connections are counted for.
func countedPages(a *Assembler) int64 {
	var n int64
	for c := range a.conns.all {
		for _, d := range c.dir {
			for _, q := range d.ahead {
				n += q.pages
			}
		}
	}
	return n
}

// gopacketPages is the pages gopacket says it uses (Dump).
func gopacketPages(t *testing.T, a *Assembler) int64 {
	t.Helper()
	s := strings.TrimSuffix(strings.TrimPrefix(a.gp.Dump(), "pageCache: used: "), ":")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("gopacket's Dump %q: %v", a.gp.Dump(), err)
	}
	return n
}
