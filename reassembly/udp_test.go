package reassembly

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/tunnelwrap"
	"github.com/hsdecode/hsdecode/stream"
)

// udpFrame is an Ethernet frame of a UDP datagram.
func udpFrame(t testing.TB, ms int, from, to netip.AddrPort, payload []byte) frame {
	t.Helper()
	u := &layers.UDP{SrcPort: layers.UDPPort(from.Port()), DstPort: layers.UDPPort(to.Port())}
	var ip []byte
	if from.Addr().Is4() {
		l := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP(from.Addr().AsSlice()), DstIP: net.IP(to.Addr().AsSlice())}
		if err := u.SetNetworkLayerForChecksum(l); err != nil {
			t.Fatal(err)
		}
		ip = serialize(t, l, u, gopacket.Payload(payload))
		return frame{layers.LinkTypeEthernet, ms, concat(macs, []byte{0x08, 0x00}, ip), 0}
	}
	l := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.IP(from.Addr().AsSlice()), DstIP: net.IP(to.Addr().AsSlice())}
	if err := u.SetNetworkLayerForChecksum(l); err != nil {
		t.Fatal(err)
	}
	ip = serialize(t, l, u, gopacket.Payload(payload))
	return frame{layers.LinkTypeEthernet, ms, concat(macs, []byte{0x86, 0xdd}, ip), 0}
}

// quicInitial is the start of a client's QUIC v1 Initial, padded to 1200
// bytes: what udpflow.Classify takes for one.
func quicInitial() []byte {
	b := make([]byte, 1200)
	copy(b, []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0})
	return b
}

var dns = []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0}

func TestUDPFlow(t *testing.T) {
	cliU := netip.MustParseAddrPort("10.0.0.1:50000")
	srvU := netip.MustParseAddrPort("10.0.0.2:443")
	dnsSrv := netip.MustParseAddrPort("10.0.0.9:53")
	got, st := run(t, Options{}, 0,
		udpFrame(t, 0, cliU, dnsSrv, dns),              // no handshake: skipped
		udpFrame(t, 1, srvU, cliU, make([]byte, 1200)), // a server packet of no flow: skipped
		udpFrame(t, 2, cliU, srvU, quicInitial()),
		udpFrame(t, 3, srvU, cliU, make([]byte, 60)),
		udpFrame(t, 4, cliU, srvU, make([]byte, 40)),
		udpFrame(t, 5, cliU, dnsSrv, dns),
	)
	want := []string{
		"1 new A=10.0.0.1:50000 B=10.0.0.2:443 syn quic @2",
		"1 datagram A 1200 @2",
		"1 datagram B 60 @3",
		"1 datagram A 40 @4",
		"1 close capture @4",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if st.Skipped[reasonUDPNotHandshake] != 3 || st.Connections != 1 || st.MaxOpen != 1 {
		t.Errorf("skipped %v, connections %d, max open %d", st.Skipped, st.Connections, st.MaxOpen)
	}
}

// TestUDPFlowIdleAndDone: a flow quiet for IdleTimeout closes as idle; once
// its consumer is done, its datagrams are no longer delivered, and it still
// closes; IPv6 flows too.
func TestUDPFlowIdleAndDone(t *testing.T) {
	c6 := netip.MustParseAddrPort("[2001:db8::1]:50000")
	s6 := netip.MustParseAddrPort("[2001:db8::2]:443")
	c4 := netip.MustParseAddrPort("10.0.0.1:50001")
	got, _ := run(t, Options{IdleTimeout: time.Second}, 1300,
		udpFrame(t, 0, c6, s6, quicInitial()),
		udpFrame(t, 10, s6, c6, make([]byte, 100)), // done after it: 1300 bytes
		udpFrame(t, 20, c6, s6, make([]byte, 100)), // not delivered
		// Capture time moves on in steps it believes (clock.go).
		udpFrame(t, 800, c4, bystander, dns),
		udpFrame(t, 1600, c4, bystander, dns),
		udpFrame(t, 2400, c4, bystander, dns),
		udpFrame(t, 3000, c4, srv, quicInitial()), // the first flow idled out by then
	)
	want := []string{
		"1 new A=[2001:db8::1]:50000 B=[2001:db8::2]:443 syn quic @0",
		"1 datagram A 1200 @0",
		"1 datagram B 100 @10",
		"1 close idle @20",
		"2 new A=10.0.0.1:50001 B=10.0.0.2:443 syn quic @3000",
		"2 datagram A 1200 @3000",
		"2 close capture @3000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// TestUDPFlowMemory: flows count against the memory bound, bucket by
// bucket, as TCP connections do: with a share smaller than a flow, opening
// one closes the others of its bucket.
func TestUDPFlowMemory(t *testing.T) {
	var fs []frame
	for i := range 64 {
		c := netip.MustParseAddrPort(fmt.Sprintf("10.0.1.%d:5000", i+1))
		fs = append(fs, udpFrame(t, i, c, srv, quicInitial()))
	}
	got, st := run(t, Options{MaxBufferedBytes: buckets}, 0, fs...)
	closed := 0
	for _, l := range got {
		if strings.Contains(l, " close memory ") {
			closed++
		}
	}
	if st.Closed[stream.EndMemory] == 0 || int64(closed) != st.Closed[stream.EndMemory] || st.Closed[stream.EndMemory]+st.Closed[stream.EndCapture] != 64 {
		t.Errorf("closed %v, %d logged for memory", st.Closed, closed)
	}
}

// TestUDPFlowFragmented: a client's Initial that IPv4 fragmented opens its
// flow once made whole, counted as its fragments.
func TestUDPFlowFragmented(t *testing.T) {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: cli.Addr().AsSlice(), DstIP: srv.Addr().AsSlice()}
	u := &layers.UDP{SrcPort: layers.UDPPort(cli.Port()), DstPort: layers.UDPPort(srv.Port())}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	pkt := serialize(t, ip, u, gopacket.Payload(quicInitial()))
	var fs []frame
	for _, f := range fragments(t, pkt, 7, 0, 600) {
		fs = append(fs, frame{layers.LinkTypeRaw, 0, f, 0})
	}
	got, st := run(t, Options{}, 0, fs...)
	want := []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn quic @0", "1 datagram A 1200 @0", "1 close capture @0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if st.Defragmented != 1 {
		t.Errorf("defragmented %d", st.Defragmented)
	}
}

// TestUDPFlowInTunnel: a QUIC connection carried in VXLAN, or in GRE, is a
// flow keyed by its tunnel too, given the same datagrams as bare.
func TestUDPFlowInTunnel(t *testing.T) {
	orig := readBundled(t, "130-quic-v1.pcap")
	count := func(pkts []capture.Packet) (*recorder, Stats) {
		r := &recorder{t: t}
		a := NewAssembler(r, Options{})
		for _, p := range pkts {
			a.Packet(p.LinkType, p.Data, p.CaptureInfo)
		}
		a.Flush()
		return r, a.Stats()
	}
	bare, _ := count(orig)
	if len(bare.streams) != 1 || bare.streams[0].info.Transport != stream.TransportQUIC {
		t.Fatalf("bare: %d flows", len(bare.streams))
	}
	for _, kind := range []string{"vxlan", "gre"} {
		r, st := count(wrapped(t, orig, tunnelwrap.Options{Kinds: []string{kind}, ID: 7}))
		if len(r.streams) != 1 || len(r.streams[0].info.Tunnels) != 1 || r.streams[0].info.Transport != stream.TransportQUIC {
			t.Fatalf("%s: %d flows", kind, len(r.streams))
		}
		if got, want := r.streams[0].lines, bare.streams[0].lines; len(got) != len(want) || st.Skipped[reasonUDPNotHandshake] != 0 {
			t.Errorf("%s: %d calls, bare %d; skipped %v", kind, len(got), len(want), st.Skipped)
		}
	}
}
