package reassembly

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/inet"
	"github.com/hsdecode/hsdecode/internal/rewrite"
	"github.com/hsdecode/hsdecode/internal/tunnelwrap"
	"github.com/hsdecode/hsdecode/stream"
)

var updateTunnelSeeds = flag.Bool("update-tunnel-seeds", false, "rewrite testdata/fuzz/FuzzTunnel from wrapped captures")

// tunnelInput is the capture each encapsulation wraps: IPv6 inside for
// 6in4 and Teredo, IPv4 for the rest.
func tunnelInput(kind string) string {
	if kind == "6in4" || kind == "teredo" {
		return "18-ipv6-tls13.pcap"
	}
	return "01-tls12-ecdhe-rsa.pcap"
}

func readBundled(t testing.TB, name string) []capture.Packet {
	t.Helper()
	pkts, err := rewrite.ReadFile(filepath.Join("..", "testdata", "pcaps", name))
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

func wrapped(t testing.TB, pkts []capture.Packet, o tunnelwrap.Options) []capture.Packet {
	t.Helper()
	w, err := tunnelwrap.Wrap(pkts, o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// wantTunnels are the types decode names for each kind of tunnelwrap.
var wantTunnels = map[string][]stream.TunnelType{
	"vxlan":   {stream.TunnelVXLAN},
	"geneve":  {stream.TunnelGeneve},
	"gre":     {stream.TunnelGRE},
	"gretap":  {stream.TunnelGRE},
	"erspan1": {stream.TunnelERSPAN1},
	"erspan2": {stream.TunnelERSPAN2},
	"erspan3": {stream.TunnelERSPAN3},
	"gtpu":    {stream.TunnelGTPU},
	"pppoe":   {stream.TunnelPPPoE},
	"mpls":    {stream.TunnelMPLS, stream.TunnelMPLS},
	"mpls-pw": {stream.TunnelMPLS},
	"ipip":    {stream.TunnelIPIP},
	"6in4":    {stream.Tunnel6in4},
	"4in6":    {stream.Tunnel4in6},
	"teredo":  {stream.TunnelTeredo},
}

func tunnelTypes(ts []stream.Tunnel) []stream.TunnelType {
	var out []stream.TunnelType
	for _, t := range ts {
		out = append(out, t.Type)
	}
	return out
}

// TestTunnelDecode wraps every frame of a capture in each encapsulation,
// alone and inside VXLAN and GRE, and checks that decode gives the
// segment of the original frame with the tunnels around it, and that the
// fast path takes every frame and agrees with decode.
func TestTunnelDecode(t *testing.T) {
	d, plain := newDecoder(), newDecoder()
	for _, kind := range tunnelwrap.Kinds {
		for _, outer := range []string{"", "vxlan", "gre,mpls-pw"} {
			kinds := []string{kind}
			want := wantTunnels[kind]
			if outer != "" {
				kinds = append(strings.Split(outer, ","), kind)
				var w []stream.TunnelType
				for _, o := range strings.Split(outer, ",") {
					w = append(w, wantTunnels[o]...)
				}
				want = append(w, want...)
			}
			t.Run(strings.Join(kinds, ","), func(t *testing.T) {
				orig := readBundled(t, tunnelInput(kind))
				wr := wrapped(t, orig, tunnelwrap.Options{Kinds: kinds, ID: 100})
				if len(wr) != len(orig) {
					t.Fatalf("%d frames wrapped of %d", len(wr), len(orig))
				}
				for i, p := range wr {
					fast, seg, reason := checkQuick(t, d, p.LinkType, p.Data, 0)
					if reason != "" {
						t.Fatalf("frame %d: skipped: %s", i+1, reason)
					}
					if !fast {
						t.Errorf("frame %d: the fast path declined it", i+1)
					}
					if got := tunnelTypes(seg.tunnels); !slices.Equal(got, want) {
						t.Fatalf("frame %d: tunnels %v, want %v", i+1, got, want)
					}
					if seg.tun == 0 {
						t.Fatalf("frame %d: no tunnel identity", i+1)
					}
					src, dst, flags, payload := seg.src, seg.dst, tcpFlags(seg.tcp), slices.Clone(seg.tcp.Payload)
					o, r := plain.decode(orig[i].LinkType, orig[i].Data, 0)
					if r != "" {
						t.Fatalf("frame %d: the original skipped: %s", i+1, r)
					}
					if o.src != src || o.dst != dst || tcpFlags(o.tcp) != flags || !bytes.Equal(o.tcp.Payload, payload) {
						t.Fatalf("frame %d: %v > %v flags %#x, %d bytes; the original %v > %v flags %#x, %d bytes",
							i+1, src, dst, flags, len(payload), o.src, o.dst, tcpFlags(o.tcp), len(o.tcp.Payload))
					}
				}
			})
		}
	}
}

// TestTunnelTooDeep checks the bound on nesting: 8 encapsulations are
// read, a ninth is skipped with its reason, by decode and the fast path.
func TestTunnelTooDeep(t *testing.T) {
	orig := readBundled(t, "01-tls12-ecdhe-rsa.pcap")[:1]
	d := newDecoder()
	for _, n := range []int{maxTunnels, maxTunnels + 1} {
		kinds := slices.Repeat([]string{"ipip"}, n)
		p := wrapped(t, orig, tunnelwrap.Options{Kinds: kinds})[0]
		fast, seg, reason := checkQuick(t, d, p.LinkType, p.Data, 0)
		switch {
		case n <= maxTunnels && (reason != "" || !fast || len(seg.tunnels) != n):
			t.Errorf("%d deep: reason %q, fast %v, %d tunnels", n, reason, fast, len(seg.tunnels))
		case n > maxTunnels && reason != reasonTooDeep:
			t.Errorf("%d deep: reason %q, want %q", n, reason, reasonTooDeep)
		}
	}
}

// TestTunnelIdentity checks that the same connection in two VXLAN VNIs
// is two connections, and in two GTP-U tunnels between different peers
// too, while one GTP-U tunnel whose directions have their own TEIDs is
// one connection; with one Assembler and with Sharded.
func TestTunnelIdentity(t *testing.T) {
	orig := readBundled(t, "01-tls12-ecdhe-rsa.pcap")
	for _, tt := range []struct {
		name  string
		parts [][]capture.Packet
		want  int
	}{
		{"one vni", [][]capture.Packet{wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"vxlan"}, ID: 7})}, 1},
		{"two vnis", [][]capture.Packet{
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"vxlan"}, ID: 7}),
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"vxlan"}, ID: 8})}, 2},
		{"bare and in vxlan", [][]capture.Packet{orig, wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"vxlan"}, ID: 7})}, 2},
		{"two gre keys", [][]capture.Packet{
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gre"}, ID: 1}),
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gre"}, ID: 2})}, 2},
		{"gtp-u, a TEID each way", [][]capture.Packet{wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gtpu"}, ID: 7})}, 1},
		// The same gateways, two pairs of TEIDs: overlapping UE pools.
		{"two gtp-u tunnels", [][]capture.Packet{
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gtpu"}, ID: 7}),
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gtpu"}, ID: 8})}, 2},
		{"gtp-u over IPv4 and IPv6 peers", [][]capture.Packet{
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gtpu"}, ID: 7}),
			wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"gtpu"}, ID: 7, Outer6: true})}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The copies interleaved, packet by packet, as a sensor sees
			// them; run checks Sharded too. A consumer done after 300
			// bytes has the rest read by the fast path.
			var fs []frame
			for i := range orig {
				for _, part := range tt.parts {
					fs = append(fs, frame{link: part[i].LinkType, ms: i, data: part[i].Data})
				}
			}
			for _, done := range []int{0, 300} {
				log, st := run(t, Options{}, done, fs...)
				if st.Connections != int64(tt.want) {
					t.Fatalf("%d connections, want %d:\n%s", st.Connections, tt.want, strings.Join(log, "\n"))
				}
			}
		})
	}
}

// TestTunnelConnInfo checks what the consumer is told of a connection's
// tunnels: the first packet's, outermost first.
func TestTunnelConnInfo(t *testing.T) {
	orig := readBundled(t, "01-tls12-ecdhe-rsa.pcap")
	r := &recorder{t: t}
	a := NewAssembler(r, Options{})
	for _, p := range wrapped(t, orig, tunnelwrap.Options{Kinds: []string{"vxlan", "mpls"}, ID: 100}) {
		a.Packet(p.LinkType, p.Data, p.CaptureInfo)
	}
	a.Flush()
	if len(r.streams) != 1 {
		t.Fatalf("%d connections", len(r.streams))
	}
	got := fmt.Sprint(r.streams[0].info.Tunnels)
	want := "[{vxlan 192.0.2.1 192.0.2.2 100 true} {mpls invalid IP invalid IP 100 true} {mpls invalid IP invalid IP 101 true}]"
	if got != want {
		t.Errorf("tunnels %s, want %s", got, want)
	}
}

// TestTunnelMalformed checks the skip reasons of broken encapsulations.
func TestTunnelMalformed(t *testing.T) {
	orig := readBundled(t, "01-tls12-ecdhe-rsa.pcap")[:1]
	d := newDecoder()
	ipOff := 14 + 20 // the outer Ethernet and IPv4 headers
	for _, tt := range []struct {
		kind string
		edit func(b []byte) []byte
		want string
	}{
		{"vxlan", func(b []byte) []byte { b[ipOff+8] = 0; return b }, "decode error: vxlan"},
		{"vxlan", func(b []byte) []byte { return b[:ipOff+8+4] }, "truncated"},
		{"geneve", func(b []byte) []byte { b[ipOff+8] = 0x40; return b }, "decode error: geneve"},
		{"geneve", func(b []byte) []byte { b[ipOff+8+2] = 0x08; b[ipOff+8+3] = 0x06; return b }, "not IP"},
		{"gtpu", func(b []byte) []byte { b[ipOff+8+1] = 1; return b }, "not IP"},
		{"gtpu", func(b []byte) []byte { b[ipOff+8+12] = 0; return b }, "decode error: gtp_u"},
		{"gtpu", func(b []byte) []byte { b[ipOff+8+12] = 200; return b }, "decode error: gtp_u"},
		{"gre", func(b []byte) []byte { b[ipOff+1] = 1; return b }, "not IP"},
		{"gre", func(b []byte) []byte { return b[:ipOff+10] }, "truncated"},
		{"erspan2", func(b []byte) []byte { b[ipOff+8] = 0x20; return b }, "decode error: erspan"},
		{"erspan3", func(b []byte) []byte { return b[:ipOff+8+14] }, "truncated"},
		{"erspan3", func(b []byte) []byte { b[ipOff+8] = 0x10; return b }, "decode error: erspan"},
		{"pppoe", func(b []byte) []byte { b[14+7] = 0x23; return b }, "not IP"},
		{"pppoe", func(b []byte) []byte { b[14] = 0x12; return b }, "decode error: pppoe"},
		{"mpls", func(b []byte) []byte { return b[:14+6] }, "decode error: mpls"},
		{"mpls", func(b []byte) []byte { b[14+8] = 0x50; return b }, "not IP"},
	} {
		p := wrapped(t, orig, tunnelwrap.Options{Kinds: []string{tt.kind}})[0]
		b := tt.edit(slices.Clone(p.Data))
		if _, _, reason := checkQuick(t, d, p.LinkType, b, 0); reason != tt.want {
			t.Errorf("%s: reason %q, want %q", tt.kind, reason, tt.want)
		}
	}
}

// FuzzTunnel feeds arbitrary bytes to each encapsulation's decoder: none
// may panic, and what a header carries lies within the bytes given.
// Seeds in testdata/fuzz/FuzzTunnel are the headers of wrapped captures.
func FuzzTunnel(f *testing.F) {
	decoders := []func([]byte) (tunnelLayer, string){udpTunnel, vxlan, geneve, gre, erspan2, erspan3, gtpu, teredo, mpls, pppoe}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tl, reason := decoders[int(which)%len(decoders)](data)
		if reason != "" && tl.typ != 0 {
			t.Fatalf("a tunnel and a reason %q", reason)
		}
		if tl.typ == 0 {
			return
		}
		// inner is a subslice of data: it ends within it.
		if end := cap(data) - cap(tl.inner) + len(tl.inner); cap(tl.inner) > cap(data) || end > len(data) {
			t.Fatalf("inner bytes outside the input")
		}
	})
}

// TestWriteTunnelSeeds writes the seeds of FuzzTunnel (with
// -update-tunnel-seeds): each decoder's header from a wrapped frame; and
// those of FuzzQuickTCP in tunnels: a ClientHello in each encapsulation.
func TestWriteTunnelSeeds(t *testing.T) {
	if !*updateTunnelSeeds {
		t.Skip("run with -update-tunnel-seeds to rewrite testdata/fuzz/FuzzTunnel")
	}
	for _, kind := range tunnelwrap.Kinds {
		p := wrapped(t, readBundled(t, tunnelInput(kind)), tunnelwrap.Options{Kinds: []string{kind}, ID: 100})[3]
		body := fmt.Sprintf("go test fuzz v1\nuint16(%d)\n[]byte(%q)\n", p.LinkType, p.Data)
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzQuickTCP", "tunnel-"+kind), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzTunnel")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range []struct {
		kind string
		off  int // where the decoder's bytes begin
	}{
		{"vxlan", 14 + 20}, {"vxlan", 14 + 20 + 8}, {"geneve", 14 + 20 + 8}, {"gre", 14 + 20}, {"erspan2", 14 + 20 + 8},
		{"erspan3", 14 + 20 + 8}, {"gtpu", 14 + 20 + 8}, {"teredo", 14 + 20 + 8}, {"mpls", 14}, {"pppoe", 14},
	} {
		p := wrapped(t, readBundled(t, tunnelInput(s.kind)), tunnelwrap.Options{Kinds: []string{s.kind}, ID: 100})[3]
		b := p.Data[s.off:]
		if len(b) > 200 {
			b = b[:200]
		}
		name := fmt.Sprintf("%02d-%s", i, s.kind)
		body := fmt.Sprintf("go test fuzz v1\nuint8(%d)\n[]byte(%q)\n", i, b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkQuickTCPVXLAN is BenchmarkQuickTCP's frame in VXLAN: what the
// fast path pays for a tunnel.
func BenchmarkQuickTCPVXLAN(b *testing.B) {
	p := quickSeed(b, "01-tls12-ecdhe-rsa.pcap", hasPayload)
	w := wrapped(b, []capture.Packet{p}, tunnelwrap.Options{Kinds: []string{"vxlan"}, ID: 100})[0]
	b.ReportAllocs()
	for b.Loop() {
		quickSink.q = quickTCP(w.LinkType, w.Data)
	}
}

// fragmentOuter sends an Ethernet frame's IPv4 packet (without options)
// in two fragments when its payload is over 64 bytes.
func fragmentOuter(frame []byte) [][]byte {
	ip := frame[14:]
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	payload := ip[20:total]
	if len(payload) <= 64 {
		return [][]byte{frame}
	}
	k := len(payload) / 2 &^ 7
	var out [][]byte
	for i, part := range [][]byte{payload[:k], payload[k:]} {
		h := slices.Clone(ip[:20])
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(part)))
		off := uint16(0)
		if i == 0 {
			off = 0x2000 // MF
		} else {
			off = uint16(k / 8)
		}
		binary.BigEndian.PutUint16(h[6:], off)
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint16(h[10:], ^inet.Fold(inet.Sum(h, 0)))
		out = append(out, concat(frame[:14], h, part))
	}
	return out
}

// TestTunnelOuterFragments: a tunnel packet sent in IPv4 fragments (too
// long for a link of the underlay) is put back together and its segment
// delivered as the whole packet's would be, in its tunnel; by Sharded too
// (run), which sends the datagram to its worker to be opened again.
func TestTunnelOuterFragments(t *testing.T) {
	orig := readBundled(t, "01-tls12-ecdhe-rsa.pcap")
	for _, kind := range []string{"vxlan", "gre", "ipip"} {
		var whole, frags []frame
		for i, p := range wrapped(t, orig, tunnelwrap.Options{Kinds: []string{kind}, ID: 100}) {
			whole = append(whole, frame{link: p.LinkType, ms: i, data: p.Data})
			for _, f := range fragmentOuter(p.Data) {
				frags = append(frags, frame{link: p.LinkType, ms: i, data: f})
			}
		}
		want, _ := run(t, Options{}, 0, whole...)
		got, st := run(t, Options{}, 0, frags...)
		if st.Defragmented == 0 {
			t.Fatalf("%s: nothing defragmented", kind)
		}
		checkLog(t, want, got)
		r := &recorder{t: t}
		a := NewAssembler(r, Options{})
		for _, f := range frags {
			a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base, CaptureLength: len(f.data), Length: len(f.data)})
		}
		a.Flush()
		if len(r.streams) != 1 || len(r.streams[0].info.Tunnels) != 1 {
			t.Fatalf("%s: %d connections, not one in one tunnel", kind, len(r.streams))
		}
	}
}
