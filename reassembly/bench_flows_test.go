package reassembly_test

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
)

// BenchmarkDecided measures what a packet of bulk data costs once the
// handshake is decided, with the consumer hsdecode uses: a flows Tracker.
// The connection is the TLS 1.2 handshake of
// testdata/pcaps/01-tls12-ecdhe-rsa.pcap (up to its first application
// data), then 1400-byte application data records from the server, one per
// segment. By default flows is done once the handshake is established,
// and reassembly stops buffering the connection ("decided"); with
// flows.Options.Follow it keeps decoding to the end ("followed"), which
// is what every packet would cost without stopping.
func BenchmarkDecided(b *testing.B) {
	handshake, bulk, seqAt := benchConnection(b)
	seq := bulk[seqAt : seqAt+4]
	start := binary.BigEndian.Uint32(seq) // each run begins there again
	for _, bc := range []struct {
		name   string
		follow bool
	}{{"decided", false}, {"followed", true}} {
		for _, order := range []struct {
			name string
			seq  func(i int) int
		}{
			{"in order", func(i int) int { return i }},
			{"pairs swapped", func(i int) int { return i ^ 1 }},
		} {
			b.Run(bc.name+"/"+order.name, func(b *testing.B) {
				col := flows.NewCollector(flows.Options{Follow: bc.follow})
				a := reassembly.NewAssembler(col, reassembly.Options{})
				for _, p := range handshake {
					a.Packet(p.LinkType, p.Data, p.CaptureInfo)
				}
				ci := handshake[len(handshake)-1].CaptureInfo
				ci.CaptureLength, ci.Length = len(bulk), len(bulk)
				b.SetBytes(int64(len(bulk)))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					binary.BigEndian.PutUint32(seq, start+uint32(benchRecord*order.seq(i)))
					a.Packet(layers.LinkTypeEthernet, bulk, ci)
				}
				b.StopTimer()
				// What was held at most for this one connection: its own
				// state, and pages of segments waiting for the one before.
				b.ReportMetric(float64(a.Stats().MaxBuffered), "held-bytes")
				a.Flush()
				if r := col.Results(); len(r) != 1 || r[0].Outcome != flows.OutcomeEstablished {
					b.Fatalf("results %+v, want one established connection", r)
				}
			})
		}
	}
}

// benchRecord is the size of a bulk segment's payload: one application
// data record.
const benchRecord = 1400

// benchConnection reads the handshake packets of the bundled TLS 1.2
// capture, up to and including the server's first application data, and
// makes from that last packet a frame carrying one whole application data
// record at the sequence number that follows it; seqAt is where that
// sequence number is in the frame.
func benchConnection(b *testing.B) (handshake []capture.Packet, bulk []byte, seqAt int) {
	src, err := capture.OpenFile("../testdata/pcaps/01-tls12-ecdhe-rsa.pcap")
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	for len(handshake) < 11 { // frame 11: the server's application data
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			b.Fatal("capture ends before frame 11")
		}
		if err != nil {
			b.Fatal(err)
		}
		p.Data = append([]byte(nil), p.Data...)
		handshake = append(handshake, p)
	}
	last := gopacket.NewPacket(handshake[10].Data, layers.LinkTypeEthernet, gopacket.Default)
	eth, _ := last.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip, _ := last.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	tcp, _ := last.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if eth == nil || ip == nil || tcp == nil || len(tcp.Payload) == 0 || tcp.Payload[0] != 23 {
		b.Fatal("frame 11 is not the server's application data over Ethernet and IPv4")
	}
	tcp.Seq += uint32(len(tcp.Payload))
	record := make([]byte, benchRecord)
	copy(record, []byte{23, 3, 3})
	binary.BigEndian.PutUint16(record[3:], benchRecord-5)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, eth, ip, tcp, gopacket.Payload(record)); err != nil {
		b.Fatal(err)
	}
	return handshake, buf.Bytes(), 14 + int(ip.IHL)*4 + 4
}
