package capture

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestWriterRoundTrip: what Writer writes, OpenFile reads back unchanged,
// with the link type and snap length given.
func TestWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.pcap")
	w, err := CreateFile(path, layers.LinkTypeLinuxSLL, 65535)
	if err != nil {
		t.Fatal(err)
	}
	want := []got{
		{Data: "first", TS: t0, Len: 60, Link: layers.LinkTypeLinuxSLL},
		{Data: "second packet", TS: t1, Len: 13, Link: layers.LinkTypeLinuxSLL},
	}
	for _, g := range want {
		ci := gopacket.CaptureInfo{Timestamp: g.TS, CaptureLength: len(g.Data), Length: g.Len}
		if err := w.Write(Packet{Data: []byte(g.Data), CaptureInfo: ci, LinkType: g.Link}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The reader reads records whatever the snap length says: pcapgo reads
	// the header.
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.Snaplen() != 65535 || r.LinkType() != layers.LinkTypeLinuxSLL {
		t.Errorf("header: snaplen %d link %v", r.Snaplen(), r.LinkType())
	}
	all, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("read back (-want +got):\n%s", d)
	}
}

func TestWriterBadPath(t *testing.T) {
	if _, err := CreateFile(filepath.Join(t.TempDir(), "no", "such", "dir.pcap"), layers.LinkTypeEthernet, 100); err == nil {
		t.Fatal("no error for a file in a missing directory")
	}
}
