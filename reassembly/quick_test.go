package reassembly

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/capture"
)

var updateQuickSeeds = flag.Bool("update-quick-seeds", false, "rewrite testdata/fuzz/FuzzQuickTCP from the captures of testdata/pcaps")

// quickCorpus is the shared corpus, outside the repository (as in
// cmd/hsdecode's tshark test); the test runs on it where it is.
const quickCorpus = "../../shared/corpus"

// quickLost is a snap-length cut given to decode besides the real one: a
// frame quickTCP takes must come out uncut whatever was lost.
const quickLost = 200

// tcpFlags is byte 13 of the TCP header rebuilt from what layers.TCP
// decoded. NS, in byte 12, is not in it and quickTCP does not report it.
func tcpFlags(tcp *layers.TCP) uint8 {
	var f uint8
	for i, set := range []bool{tcp.FIN, tcp.SYN, tcp.RST, tcp.PSH, tcp.ACK, tcp.URG, tcp.ECE, tcp.CWR} {
		if set {
			f |= 1 << i
		}
	}
	return f
}

// quickMismatch decodes a frame both ways and says how they disagree, ""
// if they do not: quickTCP may decline any frame, but one it takes must
// be decode's segment with reason "" and cut 0. It also returns whether
// quickTCP took the frame, and decode's result (valid until d's next
// decode).
func quickMismatch(d *decoder, link layers.LinkType, data []byte, lost int) (fast bool, seg segment, reason, mismatch string) {
	q := quickTCP(link, data)
	src, dst, tun, flags, ok := q.src, q.dst, q.tun, q.flags, q.ok
	seg, reason = d.decode(link, data, lost)
	if !ok {
		return false, seg, reason, ""
	}
	switch {
	case reason != "":
		mismatch = "decode skipped it: " + reason
	case seg.cut != 0:
		mismatch = fmt.Sprintf("decode cut %d bytes (lost %d)", seg.cut, lost)
	case seg.src != src || seg.dst != dst:
		mismatch = fmt.Sprintf("quickTCP %v > %v, decode %v > %v", src, dst, seg.src, seg.dst)
	case seg.tun != tun:
		mismatch = fmt.Sprintf("quickTCP tunnel %#x, decode %#x", tun, seg.tun)
	case tcpFlags(seg.tcp) != flags:
		mismatch = fmt.Sprintf("quickTCP flags %#02x, decode %#02x", flags, tcpFlags(seg.tcp))
	default:
		mismatch = quickSegmentMismatch(q, data, seg)
	}
	if mismatch != "" {
		mismatch = fmt.Sprintf("link %d, frame %x: quickTCP took it, %s", link, data, mismatch)
	}
	return true, seg, reason, mismatch
}

// quickSegmentMismatch says how decoder.quickSegment's segment of a frame
// quickTCP took differs from decode's, "" if it does not; outside tunnels
// it must take every such frame.
func quickSegmentMismatch(q quickLook, data []byte, want segment) string {
	got, ok := newDecoder().quickSegment(q, data)
	switch {
	case !ok && q.tun == 0:
		return "quickSegment declined it"
	case !ok:
		return ""
	case got.src != want.src || got.dst != want.dst:
		return fmt.Sprintf("quickSegment %v > %v", got.src, got.dst)
	case !sameTCP(got.tcp, want.tcp):
		return fmt.Sprintf("quickSegment TCP %+v, decode %+v", *got.tcp, *want.tcp)
	case !bytes.Equal(got.ipHeader, want.ipHeader):
		return fmt.Sprintf("quickSegment IP header %x, decode %x", got.ipHeader, want.ipHeader)
	case got.tun != 0 || len(want.tunnels) > 0 || got.cut != 0 || got.udp:
		return "quickSegment took a tunnel, a cut or UDP"
	}
	return ""
}

// sameTCP compares what layers.TCP exports and reassembly reads, and the
// flow gopacket/reassembly keys connections by: not the options, which
// quickSegment leaves unparsed because nothing reads them.
func sameTCP(a, b *layers.TCP) bool {
	return bytes.Equal(a.Contents, b.Contents) && bytes.Equal(a.Payload, b.Payload) &&
		a.SrcPort == b.SrcPort && a.DstPort == b.DstPort && a.Seq == b.Seq && a.Ack == b.Ack &&
		a.DataOffset == b.DataOffset && tcpFlags(a) == tcpFlags(b) && a.NS == b.NS &&
		a.Window == b.Window && a.Checksum == b.Checksum && a.Urgent == b.Urgent &&
		a.TransportFlow() == b.TransportFlow()
}

// checkQuick fails t if quickTCP and decode disagree on data, with the
// real lost bytes and with quickLost more.
func checkQuick(t testing.TB, d *decoder, link layers.LinkType, data []byte, lost int) (fast bool, seg segment, reason string) {
	t.Helper()
	for _, l := range []int{lost + quickLost, lost} { // the real one last, for the results
		var m string
		if fast, seg, reason, m = quickMismatch(d, link, data, l); m != "" {
			t.Fatal(m)
		}
	}
	return fast, seg, reason
}

// quickTally counts, for one kind of packet, how many quickTCP took, and
// why decode's segments it declined went to decode.
type quickTally struct {
	packets, segments, fast int
	declined                map[string]int
}

// linkName names link types gopacket calls UnknownLinkType too.
func linkName(l layers.LinkType) string {
	switch l {
	case layers.LinkTypeIPv4:
		return "IPv4 link"
	case layers.LinkTypeIPv6:
		return "IPv6 link"
	}
	if s := l.String(); s != "UnknownLinkType" {
		return s
	}
	return fmt.Sprintf("link %d", l)
}

// quickKind names a frame's link type and the family of the segment
// decode found in it.
func quickKind(link layers.LinkType, seg segment, reason string) string {
	switch {
	case reason != "":
		return linkName(link) + "/no segment"
	case seg.src.Addr().Is4():
		return linkName(link) + "/IPv4"
	}
	return linkName(link) + "/IPv6"
}

// quickDeclined says which of quickTCP's limits a segment decode found was
// beyond, from what the decoder holds of it.
func quickDeclined(d *decoder, link layers.LinkType, seg segment) string {
	switch {
	case link != layers.LinkTypeEthernet && link != layers.LinkTypeLinuxSLL && link != layers.LinkTypeLinuxSLL2 &&
		link != layers.LinkTypeRaw && link != layers.LinkTypeIPv4 && link != layers.LinkTypeIPv6:
		return "link type " + linkName(link)
	case d.sawLayer(layers.LayerTypeDot1Q):
		return "VLAN tag"
	case seg.cut > 0:
		return "cut by the snap length"
	case seg.src.Addr().Is4() && d.ip4.IHL != 5:
		return "IPv4 options"
	case seg.src.Addr().Is4() && int(d.ip4.Length) > len(d.ip4.Contents)+len(d.ip4.Payload):
		return "IPv4 length beyond the frame"
	case seg.src.Addr().Is6() && d.ip6.NextHeader != layers.IPProtocolTCP:
		return "IPv6 extension headers"
	case seg.src.Addr().Is6() && int(d.ip6.Length) > len(d.ip6.Payload):
		return "IPv6 length beyond the frame"
	}
	return "other"
}

func (q *quickTally) add(d *decoder, link layers.LinkType, fast bool, seg segment, reason string) {
	q.packets++
	if reason != "" || seg.udp {
		return
	}
	q.segments++
	if fast {
		q.fast++
		return
	}
	if q.declined == nil {
		q.declined = map[string]int{}
	}
	q.declined[quickDeclined(d, link, seg)]++
}

func logTallies(t *testing.T, tallies map[string]*quickTally) {
	t.Helper()
	var all quickTally
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range tallies {
			if !yield(k) {
				return
			}
		}
	}) {
		q := tallies[k]
		all.packets += q.packets
		all.segments += q.segments
		all.fast += q.fast
		line := fmt.Sprintf("%-28s %8d packets, %8d fast: %5.1f%%", k, q.packets, q.fast, pct(q.fast, q.packets))
		if q.segments > 0 && q.segments != q.packets {
			line += fmt.Sprintf(" (of %d segments %5.1f%%)", q.segments, pct(q.fast, q.segments))
		}
		if len(q.declined) > 0 {
			line += fmt.Sprintf("; declined %v", q.declined)
		}
		t.Log(line)
	}
	t.Logf("%-28s %8d packets, %8d fast: %5.1f%% (of %d segments %5.1f%%)", "all", all.packets, all.fast,
		pct(all.fast, all.packets), all.segments, pct(all.fast, all.segments))
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// forPackets calls fn with every packet of the capture at path. The data
// is the capture's until fn returns.
func forPackets(path string, fn func(p capture.Packet)) error {
	src, err := capture.OpenFile(path)
	if err != nil {
		return err
	}
	defer src.Close()
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fn(p)
	}
}

func bundledCaptures(t testing.TB) []string {
	t.Helper()
	caps, err := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "*.pcap"))
	if err != nil || len(caps) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	return caps
}

// TestQuickTCPCaptures compares quickTCP with decode on every packet of
// the bundled captures and of the shared corpus, and logs the share of
// packets (and of decode's segments) it takes.
func TestQuickTCPCaptures(t *testing.T) {
	t.Run("bundled", func(t *testing.T) {
		tallies := map[string]*quickTally{}
		for _, p := range bundledCaptures(t) {
			quickCapture(t, p, tallies)
		}
		logTallies(t, tallies)
		// These captures hold nothing quickTCP declines: every segment
		// must take the fast path.
		for k, q := range tallies {
			if q.fast != q.segments {
				t.Errorf("%s: %d of %d segments taken, want all", k, q.fast, q.segments)
			}
		}
	})
	t.Run("corpus", func(t *testing.T) {
		if _, err := os.Stat(quickCorpus); err != nil {
			t.Skipf("shared corpus not found at %s (it is kept outside the repository): %v", quickCorpus, err)
		}
		var caps []string
		err := filepath.WalkDir(quickCorpus, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch filepath.Ext(p) {
			case ".pcap", ".pcapng", ".cap":
				if e.Type().IsRegular() {
					caps = append(caps, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tallies := map[string]*quickTally{}
		for _, p := range caps {
			quickCapture(t, p, tallies)
		}
		t.Logf("%d captures", len(caps))
		logTallies(t, tallies)
	})
}

func quickCapture(t *testing.T, path string, tallies map[string]*quickTally) {
	t.Helper()
	d := newDecoder()
	n := 0
	err := forPackets(path, func(p capture.Packet) {
		n++
		lost := p.CaptureInfo.Length - len(p.Data)
		if _, _, _, m := quickMismatch(d, p.LinkType, p.Data, lost+quickLost); m != "" {
			t.Errorf("%s: packet %d: %s", path, n, m)
		}
		fast, seg, reason, m := quickMismatch(d, p.LinkType, p.Data, lost)
		if m != "" {
			t.Errorf("%s: packet %d: %s", path, n, m)
		}
		k := quickKind(p.LinkType, seg, reason)
		if tallies[k] == nil {
			tallies[k] = new(quickTally)
		}
		tallies[k].add(d, p.LinkType, fast, seg, reason)
	})
	if err != nil {
		// A corpus file that is not a capture, or ends in the middle of
		// one, is not quickTCP's business; what was read was checked.
		t.Logf("%s: after %d packets: %v", path, n, err)
	}
}

// quickFrame is a frame and where its IP packet begins.
type quickFrame struct {
	link  layers.LinkType
	data  []byte
	ipOff int
}

// quickLinks are the link types quickTCP takes, with the header each puts
// before an IP packet (an outgoing Ethernet frame for SLL and SLL2).
var quickLinks = []struct {
	link layers.LinkType
	hdr  func(v6 bool) []byte
}{
	{layers.LinkTypeEthernet, func(v6 bool) []byte { return concat(macs, etherType(v6)) }},
	{layers.LinkTypeLinuxSLL, func(v6 bool) []byte {
		return concat([]byte{0, 0, 0, 1, 0, 6}, []byte{2, 0, 0, 0, 0, 1, 0, 0}, etherType(v6))
	}},
	{layers.LinkTypeLinuxSLL2, func(v6 bool) []byte {
		return concat(etherType(v6), []byte{0, 0, 0, 0, 0, 1, 0, 1, 0, 6}, []byte{2, 0, 0, 0, 0, 1, 0, 0})
	}},
	{layers.LinkTypeRaw, func(bool) []byte { return nil }},
	{layers.LinkTypeIPv4, func(bool) []byte { return nil }},
}

// quickIP returns the IP packet of a frame outside tunnels that quickTCP
// takes, and whether it is IPv6.
func quickIP(link layers.LinkType, data []byte) (ip []byte, v6, ok bool) {
	if q := quickTCP(link, data); !q.ok || q.tun != 0 {
		return nil, false, false
	}
	switch link {
	case layers.LinkTypeEthernet:
		ip = data[14:]
	case layers.LinkTypeLinuxSLL:
		ip = data[16:]
	case layers.LinkTypeLinuxSLL2:
		ip = data[20:]
	default:
		ip = data
	}
	return ip, ip[0]>>4 == 6, true
}

// wrapIP puts ip behind the header of the i-th of quickLinks.
func wrapIP(i int, ip []byte, v6 bool) quickFrame {
	l := quickLinks[i]
	link := l.link
	if link == layers.LinkTypeIPv4 && v6 {
		link = layers.LinkTypeIPv6
	}
	h := l.hdr(v6)
	return quickFrame{link, concat(h, ip), len(h)}
}

// quickBases is every TCP segment of the bundled captures, as captured
// and its IP packet under each of quickLinks.
func quickBases(t testing.TB) []quickFrame {
	t.Helper()
	var bases []quickFrame
	for _, p := range bundledCaptures(t) {
		err := forPackets(p, func(p capture.Packet) {
			ip, v6, ok := quickIP(p.LinkType, p.Data)
			if !ok {
				return
			}
			ip = slices.Clone(ip)
			for i := range quickLinks {
				bases = append(bases, wrapIP(i, ip, v6))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return bases
}

// quickField is a header field a mutation aims at: its offset and size.
type quickField struct{ off, size int }

// quickFields lists the fields of f's headers that quickTCP or layers read.
func quickFields(f quickFrame) []quickField {
	var fs []quickField
	switch f.link {
	case layers.LinkTypeEthernet:
		fs = append(fs, quickField{12, 2})
	case layers.LinkTypeLinuxSLL:
		fs = append(fs, quickField{2, 2}, quickField{4, 2}, quickField{14, 2})
	case layers.LinkTypeLinuxSLL2:
		fs = append(fs, quickField{0, 2}, quickField{8, 2}, quickField{11, 1})
	}
	ip := f.ipOff
	tcp := ip + 20
	if len(f.data) > ip && f.data[ip]>>4 == 6 {
		tcp = ip + 40
		fs = append(fs, quickField{ip, 1}, quickField{ip + 4, 2}, quickField{ip + 6, 1})
	} else {
		fs = append(fs, quickField{ip, 1}, quickField{ip + 2, 2}, quickField{ip + 6, 2}, quickField{ip + 9, 1})
	}
	fs = append(fs, quickField{tcp + 12, 1}, quickField{tcp + 13, 1})
	// An option's kind or length byte, or any other.
	for i := tcp + 20; i < min(tcp+60, len(f.data)); i++ {
		fs = append(fs, quickField{i, 1})
	}
	return fs
}

var (
	quickBytes = []byte{0, 1, 2, 3, 4, 5, 6, 8, 9, 0x0c, 0x1e, 0x40, 0x44, 0x45, 0x46, 0x4f, 0x50, 0x60, 0x65, 0xa0, 0xf0, 0xff}
	quickWords = []uint16{0, 1, 4, 8, 9, 19, 20, 39, 40, 41, 60, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x05ff, 0x2000, 0x4000, 0x8000, 0x1fff, 770, 778, 803, 0xffff}
)

// mutate changes one to three things in a copy of f: a header field set
// to a value that matters to some check, a bit flipped, the frame cut or
// extended.
func mutate(rng *rand.Rand, f quickFrame) quickFrame {
	b := slices.Clone(f.data)
	for range 1 + rng.IntN(3) {
		switch rng.IntN(6) {
		case 0, 1: // a field
			fs := quickFields(quickFrame{f.link, b, f.ipOff})
			fd := fs[rng.IntN(len(fs))]
			if fd.off+fd.size > len(b) {
				continue
			}
			if fd.size == 1 {
				v := byte(rng.IntN(256))
				if rng.IntN(2) == 0 {
					v = quickBytes[rng.IntN(len(quickBytes))]
				}
				b[fd.off] = v
				continue
			}
			// Lengths near what the frame holds after the IP header's
			// start, its fixed part or its TCP header.
			rest := len(b) - f.ipOff
			v := uint16(rest - []int{0, 20, 40, 60}[rng.IntN(4)] + rng.IntN(5) - 2)
			switch rng.IntN(3) {
			case 0:
				v = quickWords[rng.IntN(len(quickWords))]
			case 1:
				v = uint16(rng.IntN(1 << 16))
			}
			binary.BigEndian.PutUint16(b[fd.off:], v)
		case 2: // a bit anywhere in the headers
			if len(b) > 0 {
				b[rng.IntN(min(len(b), f.ipOff+100))] ^= 1 << rng.IntN(8)
			}
		case 3: // a byte anywhere
			if len(b) > 0 {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
		case 4: // cut
			b = b[:rng.IntN(len(b)+1)]
		case 5: // extend, with padding or junk
			n := rng.IntN(64)
			if rng.IntN(2) == 0 {
				b = append(b, make([]byte, n)...)
			} else {
				for range n {
					b = append(b, byte(rng.IntN(256)))
				}
			}
		}
	}
	return quickFrame{f.link, b, f.ipOff}
}

// TestQuickTCPMutated checks quickTCP against decode on the segments of
// the bundled captures, under each link type, with their headers changed.
func TestQuickTCPMutated(t *testing.T) {
	bases := quickBases(t)
	n := 300_000
	if testing.Short() {
		n = 30_000
	}
	rng := rand.New(rand.NewPCG(0x68736465, 0x636f6465))
	d := newDecoder()
	var fast, segments int
	for range n {
		f := mutate(rng, bases[rng.IntN(len(bases))])
		ok, _, reason := checkQuick(t, d, f.link, f.data, 0)
		if ok {
			fast++
		}
		if reason == "" {
			segments++
		}
	}
	t.Logf("%d mutated frames of %d segments: decode found %d segments, quickTCP took %d", n, len(bases), segments, fast)
	// Both answers must be common, or the mutations test little.
	if fast < n/10 || n-fast < n/10 {
		t.Errorf("quickTCP took %d of %d frames: the mutations are too mild or too wild", fast, n)
	}
}

// quickSeed is a frame of a bundled capture for the fuzz seeds and the
// table tests: the first whose decoded segment pred accepts.
func quickSeed(t testing.TB, name string, pred func(*layers.TCP) bool) capture.Packet {
	t.Helper()
	d := newDecoder()
	var found capture.Packet
	err := forPackets(filepath.Join("..", "testdata", "pcaps", name), func(p capture.Packet) {
		if found.Data != nil {
			return
		}
		if seg, r := d.decode(p.LinkType, p.Data, 0); r == "" && !seg.udp && pred(seg.tcp) {
			found = p
			found.Data = slices.Clone(p.Data)
		}
	})
	if err != nil || found.Data == nil {
		t.Fatalf("%s: no such packet: %v", name, err)
	}
	return found
}

func isSYN(tcp *layers.TCP) bool        { return tcp.SYN && !tcp.ACK }
func hasPayload(tcp *layers.TCP) bool   { return len(tcp.Payload) > 0 }
func isBareACK(tcp *layers.TCP) bool    { return tcp.ACK && !tcp.SYN && !tcp.FIN && len(tcp.Payload) == 0 }
func isFINorRST(tcp *layers.TCP) bool   { return tcp.FIN || tcp.RST }
func put16(b []byte, off int, v uint16) { binary.BigEndian.PutUint16(b[off:], v) }

// TestQuickTCPCases checks, on real segments, each limit of quickTCP: the
// frames it must take, and those it leaves to decode (which may well
// decode them: quickTCP only takes what it can be sure of).
func TestQuickTCPCases(t *testing.T) {
	p4 := quickSeed(t, "01-tls12-ecdhe-rsa.pcap", isSYN) // TCP options: MSS first
	p6 := quickSeed(t, "18-ipv6-tls13.pcap", isSYN)
	if p4.LinkType != layers.LinkTypeEthernet || p6.LinkType != layers.LinkTypeEthernet {
		t.Fatalf("link types %v and %v: the edits below want Ethernet", p4.LinkType, p6.LinkType)
	}
	syn4, syn6 := p4.Data, p6.Data
	ip4, _, _ := quickIP(layers.LinkTypeEthernet, syn4)
	ip6, _, _ := quickIP(layers.LinkTypeEthernet, syn6)
	const eth = 14
	tests := []struct {
		name string
		link layers.LinkType
		base []byte
		edit func(b []byte) []byte
		want bool
	}{
		{"Ethernet IPv4", layers.LinkTypeEthernet, syn4, nil, true},
		{"Ethernet IPv6", layers.LinkTypeEthernet, syn6, nil, true},
		{"SLL IPv4", layers.LinkTypeLinuxSLL, wrapIP(1, ip4, false).data, nil, true},
		{"SLL2 IPv6", layers.LinkTypeLinuxSLL2, wrapIP(2, ip6, true).data, nil, true},
		{"raw IPv4", layers.LinkTypeRaw, ip4, nil, true},
		{"raw IPv6", layers.LinkTypeRaw, ip6, nil, true},
		{"IPv4 link type", layers.LinkTypeIPv4, ip4, nil, true},
		{"IPv6 link type", layers.LinkTypeIPv6, ip6, nil, true},
		// layers.IPv4 and IPv6 trim what follows their length.
		{"IPv4 Ethernet padding", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0) }, true},
		{"IPv6 trailer", layers.LinkTypeEthernet, syn6, func(b []byte) []byte { return append(b, 1, 2, 3, 4) }, true},
		// layers.IPv4 reads a zero length as "the captured bytes" (TSO).
		{"IPv4 length 0", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { put16(b, eth+2, 0); return b }, true},
		{"IPv4 DF and reserved bit", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+6] |= 0xc0; return b }, true},
		{"IPv4-mapped IPv6 addresses", layers.LinkTypeEthernet, syn6, func(b []byte) []byte {
			copy(b[eth+8:], netip.MustParseAddr("::ffff:10.0.0.1").AsSlice())
			return b
		}, true},
		// A malformed TCP option ends option parsing in layers.TCP; it is
		// not an error (TCP.stopOptions). Should gopacket change that,
		// these fail and quickTCP must check options as it does.
		{"TCP option length 0", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+20+21] = 0; return b }, true},
		{"TCP option length 1", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+20+21] = 1; return b }, true},
		{"TCP option past the header", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+20+21] = 200; return b }, true},
		{"TCP option kind alone at the end", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			end := eth + 20 + int(b[eth+20+12]>>4)*4
			for i := eth + 40; i < end; i++ {
				b[i] = 1 // NOP
			}
			b[end-1] = 8
			return b
		}, true},
		{"MPTCP option of a bad length", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			b[eth+20+20], b[eth+20+21], b[eth+20+22] = 30, 4, 0x20 // DSS, length 4 but flags want more
			b[eth+20+23] = 0x1f
			return b
		}, true},

		{"short Ethernet", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { return b[:13] }, false},
		{"802.1Q tag", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			return concat(b[:12], []byte{0x81, 0x00, 0, 10}, b[12:])
		}, true},
		{"QinQ tags, 0x9100", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			return concat(b[:12], []byte{0x91, 0x00, 0, 10, 0x81, 0x00, 0, 11}, b[12:])
		}, true},
		{"802.1Q tag with an 802.3 length", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			return concat(b[:12], []byte{0x81, 0x00, 0, 10, 0, 60}, b[14:])
		}, false},
		{"802.1Q tag cut", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			return concat(b[:12], []byte{0x81, 0x00, 0})
		}, false},
		{"802.3 length", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { put16(b, 12, uint16(len(b)-eth)); return b }, false},
		{"ARP", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { put16(b, 12, 0x0806); return b }, false},
		{"SLL address length 9", layers.LinkTypeLinuxSLL, wrapIP(1, ip4, false).data, func(b []byte) []byte { put16(b, 4, 9); return b }, false},
		{"SLL LLC", layers.LinkTypeLinuxSLL, wrapIP(1, ip4, false).data, func(b []byte) []byte { put16(b, 14, 4); return b }, false},
		{"SLL2 address length 9", layers.LinkTypeLinuxSLL2, wrapIP(2, ip4, false).data, func(b []byte) []byte { b[11] = 9; return b }, false},
		{"SLL2 IP GRE", layers.LinkTypeLinuxSLL2, wrapIP(2, ip4, false).data, func(b []byte) []byte { put16(b, 8, 778); return b }, false},
		{"SLL2 FRAD", layers.LinkTypeLinuxSLL2, wrapIP(2, ip4, false).data, func(b []byte) []byte { put16(b, 8, 770); return b }, false},
		{"SLL2 radiotap", layers.LinkTypeLinuxSLL2, wrapIP(2, ip4, false).data, func(b []byte) []byte { put16(b, 8, 803); return b }, false},
		{"null link type", layers.LinkTypeNull, concat([]byte{2, 0, 0, 0}, ip4), nil, false},
		{"raw, version 5", layers.LinkTypeRaw, ip4, func(b []byte) []byte { b[0] = 0x55; return b }, false},
		{"IPv4 version 6 after 0x0800", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth] = 0x65; return b }, false},
		{"IPv6 link type, version 4", layers.LinkTypeIPv6, ip4, nil, false},
		{"IPv4 options", layers.LinkTypeEthernet, syn4, func(b []byte) []byte {
			b = concat(b[:eth+20], []byte{1, 1, 1, 0}, b[eth+20:])
			b[eth] = 0x46
			put16(b, eth+2, uint16(len(b)-eth))
			return b
		}, false},
		{"IPv4 IHL 4", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth] = 0x44; return b }, false},
		{"IPv4 MF", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+6] |= 0x20; return b }, false},
		{"IPv4 fragment offset", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+7] = 1; return b }, false},
		{"IPv4 UDP", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+9] = 17; return b }, false},
		{"IPv4 cut by the snap length", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"IPv4 length 19", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { put16(b, eth+2, 19); return b }, false},
		{"IPv4 length 39", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { put16(b, eth+2, 39); return b }, false},
		{"TCP data offset 4", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+20+12] = 0x40; return b }, false},
		{"TCP data offset past the segment", layers.LinkTypeEthernet, syn4, func(b []byte) []byte { b[eth+20+12] = 0xf0; return b }, false},
		{"IPv6 hop-by-hop", layers.LinkTypeEthernet, syn6, func(b []byte) []byte {
			b = concat(b[:eth+40], []byte{6, 0, 1, 4, 0, 0, 0, 0}, b[eth+40:])
			b[eth+6] = 0
			put16(b, eth+4, uint16(len(b)-eth-40))
			return b
		}, false},
		{"IPv6 length 0", layers.LinkTypeEthernet, syn6, func(b []byte) []byte { put16(b, eth+4, 0); return b }, false},
		{"IPv6 cut by the snap length", layers.LinkTypeEthernet, syn6, func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"IPv6 version 4 after 0x86dd", layers.LinkTypeEthernet, syn6, func(b []byte) []byte { b[eth] = 0x46; return b }, false},
		{"IPv6 length 19", layers.LinkTypeEthernet, syn6, func(b []byte) []byte { put16(b, eth+4, 19); return b }, false},
	}
	d := newDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := slices.Clone(tt.base)
			if tt.edit != nil {
				b = tt.edit(b)
			}
			ok, _, reason := checkQuick(t, d, tt.link, b, 0)
			if ok != tt.want {
				t.Fatalf("quickTCP ok = %v, want %v", ok, tt.want)
			}
			if !ok {
				t.Logf("decode: %q", reason)
			}
		})
	}
}

// fuzzQuickLinks maps a fuzzed link type that quickTCP and decode do not
// know onto one they do, so that few inputs are wasted.
var fuzzQuickLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull,
}

// FuzzQuickTCP checks that a frame quickTCP takes is one decode gives as
// the same segment, uncut. Seeds in testdata/fuzz/FuzzQuickTCP are
// segments of testdata/pcaps under each link type quickTCP takes.
func FuzzQuickTCP(f *testing.F) {
	// One decoder for every input, as the Assembler has: a fresh one
	// costs more than the decoding.
	d := newDecoder()
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		l := layers.LinkType(link)
		if !slices.Contains(fuzzQuickLinks, l) {
			l = fuzzQuickLinks[int(link)%len(fuzzQuickLinks)]
		}
		checkQuick(t, d, l, data, 0)
	})
}

// TestWriteQuickTCPSeeds writes the seeds of FuzzQuickTCP (with
// -update-quick-seeds).
func TestWriteQuickTCPSeeds(t *testing.T) {
	if !*updateQuickSeeds {
		t.Skip("run with -update-quick-seeds to rewrite testdata/fuzz/FuzzQuickTCP")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzQuickTCP")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, link layers.LinkType, b []byte) {
		s := fmt.Sprintf("go test fuzz v1\nuint16(%d)\n[]byte(%q)\n", link, b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slug := func(l layers.LinkType) string { return strings.ReplaceAll(strings.ToLower(linkName(l)), " ", "-") }
	for _, s := range []struct {
		capture, kind string
		pred          func(*layers.TCP) bool
		rewrap        bool // under each of quickLinks too
	}{
		{"01-tls12-ecdhe-rsa.pcap", "syn", isSYN, true},
		{"01-tls12-ecdhe-rsa.pcap", "data", hasPayload, false},
		{"01-tls12-ecdhe-rsa.pcap", "ack", isBareACK, false},
		{"01-tls12-ecdhe-rsa.pcap", "fin", isFINorRST, false},
		{"18-ipv6-tls13.pcap", "syn", isSYN, true},
		{"18-ipv6-tls13.pcap", "data", hasPayload, false},
		{"19-tls12-any-sll2.pcap", "syn", isSYN, false},
		{"19-tls12-any-sll2.pcap", "data", hasPayload, false},
	} {
		p := quickSeed(t, s.capture, s.pred)
		prefix := s.capture[:2] + "-"
		write(prefix+slug(p.LinkType)+"-"+s.kind, p.LinkType, p.Data)
		if s.rewrap {
			ip, v6, _ := quickIP(p.LinkType, p.Data)
			for i := range quickLinks {
				if f := wrapIP(i, ip, v6); f.link != p.LinkType {
					write(prefix+slug(f.link)+"-"+s.kind, f.link, f.data)
				}
			}
		}
		if s.kind == "data" {
			// Cut by a snap length, which quickTCP must leave to decode.
			write(prefix+slug(p.LinkType)+"-data-cut", p.LinkType, p.Data[:len(p.Data)-10])
		}
	}
	// A bare ACK without options in a minimum Ethernet frame: 6 bytes of
	// padding after the IP packet.
	p := quickSeed(t, "01-tls12-ecdhe-rsa.pcap", isBareACK)
	ip, _, _ := quickIP(p.LinkType, p.Data)
	tcp := slices.Clone(ip[20:40])
	tcp[12] = 0x50
	hdr := slices.Clone(ip[:20])
	put16(hdr, 2, 40)
	write("01-ethernet-ack-padded", layers.LinkTypeEthernet, concat(p.Data[:14], hdr, tcp, make([]byte, 6)))
}

// quickBench is the frame of the benchmarks: the ClientHello of
// testdata/pcaps/01-tls12-ecdhe-rsa.pcap, Ethernet, IPv4, TCP with
// timestamps.
func quickBench(b *testing.B) []byte {
	p := quickSeed(b, "01-tls12-ecdhe-rsa.pcap", hasPayload)
	if !quickTCP(p.LinkType, p.Data).ok || p.LinkType != layers.LinkTypeEthernet {
		b.Fatal("quickTCP does not take the benchmark's frame")
	}
	return p.Data
}

var quickSink struct {
	q   quickLook
	seg segment
}

func BenchmarkQuickTCP(b *testing.B) {
	f := quickBench(b)
	b.ReportAllocs()
	for b.Loop() {
		quickSink.q = quickTCP(layers.LinkTypeEthernet, f)
	}
}

func BenchmarkDecoderDecode(b *testing.B) {
	f := quickBench(b)
	d := newDecoder()
	b.ReportAllocs()
	for b.Loop() {
		quickSink.seg, _ = d.decode(layers.LinkTypeEthernet, f, 0)
	}
}
