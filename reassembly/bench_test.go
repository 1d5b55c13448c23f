package reassembly

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/stream"
)

type nullFactory struct{ done bool }

type nullStream struct{ done bool }

func (f nullFactory) New(stream.ConnInfo) stream.Stream            { return &nullStream{f.done} }
func (s *nullStream) Data(stream.Side, []byte, time.Time)          {}
func (s *nullStream) Gap(stream.Side, int, time.Time)              {}
func (s *nullStream) End(stream.Side, stream.EndReason, time.Time) {}
func (s *nullStream) Close(stream.EndReason, time.Time)            {}
func (s *nullStream) Done() bool                                   { return s.done }

// BenchmarkPacket measures the cost of one 1000-byte segment of a
// connection whose consumer wants its bytes, and of one whose consumer is
// done, with segments in order and with each pair of segments swapped
// (the first of a pair is copied into a page until the second arrives).
// Once done, a segment costs a decode and a table lookup in both cases.
func BenchmarkPacket(b *testing.B) {
	for _, order := range []struct {
		name string
		seq  func(i int) int // the i-th segment sent is the seq(i)-th of the stream
	}{
		{"in order", func(i int) int { return i }},
		{"pairs swapped", func(i int) int { return i ^ 1 }},
	} {
		for _, bc := range []struct {
			name string
			done bool
		}{{"delivered", false}, {"done", true}} {
			b.Run(order.name+"/"+bc.name, func(b *testing.B) {
				a := NewAssembler(nullFactory{bc.done}, Options{})
				f := etherFrame(b, pkt{0, cli, srv, "PA", 1001, 5001, strings.Repeat("x", 1000)})
				seq := f[14+20+4 : 14+20+8]
				ci := gopacket.CaptureInfo{Timestamp: base, CaptureLength: len(f), Length: len(f)}
				b.SetBytes(int64(len(f)))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					binary.BigEndian.PutUint32(seq, uint32(1001+1000*order.seq(i)))
					a.Packet(layers.LinkTypeEthernet, f, ci)
				}
			})
		}
	}
}
