package reassembly

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

type nullFactory struct{ done bool }

type nullStream struct{ done bool }

func (f nullFactory) New(ConnInfo) Stream            { return &nullStream{f.done} }
func (s *nullStream) Data(Side, []byte, time.Time)   {}
func (s *nullStream) Gap(Side, int, time.Time)       {}
func (s *nullStream) End(Side, EndReason, time.Time) {}
func (s *nullStream) Close(EndReason, time.Time)     {}
func (s *nullStream) Done() bool                     { return s.done }

// BenchmarkPacket measures the cost of one 1000-byte in-order segment of
// a connection whose consumer wants its bytes, and of one whose consumer
// is done.
func BenchmarkPacket(b *testing.B) {
	for _, bc := range []struct {
		name string
		done bool
	}{{"delivered", false}, {"done", true}} {
		b.Run(bc.name, func(b *testing.B) {
			a := NewAssembler(nullFactory{bc.done}, Options{})
			f := etherFrame(b, pkt{0, cli, srv, "PA", 1001, 5001, strings.Repeat("x", 1000)})
			seq := f[14+20+4 : 14+20+8]
			ci := gopacket.CaptureInfo{Timestamp: base, CaptureLength: len(f), Length: len(f)}
			b.SetBytes(int64(len(f)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				binary.BigEndian.PutUint32(seq, uint32(1001+1000*i))
				a.Packet(layers.LinkTypeEthernet, f, ci)
			}
		})
	}
}
