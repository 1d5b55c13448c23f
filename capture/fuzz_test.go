package capture

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzSource: any file content is either read packet by packet to a clean
// end or gives an error; no panic, and no packet larger than the cap a
// lying header could ask for. Seeds in testdata/fuzz/FuzzSource are small
// pcap and pcapng files.
func FuzzSource(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := newSource("fuzz", nil, bufio.NewReader(bytes.NewReader(data)), len(data)%2 == 1)
		if err != nil {
			return
		}
		for i := 0; i < 1<<16; i++ {
			p, err := src.Next()
			if err != nil {
				return
			}
			if len(p.Data) > MaxCaptureLength {
				t.Fatalf("packet of %d bytes", len(p.Data))
			}
		}
	})
}
