package rewrite

import (
	"errors"
	"fmt"
	"io"

	"github.com/hsdecode/hsdecode/capture"
)

// ReadFile reads every packet of a pcap or pcapng file into memory. A
// capture that breaks off is returned up to the break, with the error.
func ReadFile(path string) ([]capture.Packet, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var pkts []capture.Packet
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			return pkts, nil
		}
		if err != nil {
			return pkts, err
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
}

// snapLen is the snap length written in the header of a rewritten file:
// libpcap's largest.
const snapLen = 262144

// WriteFile writes packets to a pcap file. They must share one link type.
func WriteFile(path string, pkts []capture.Packet) error {
	link := capture.Packet{}.LinkType
	if len(pkts) > 0 {
		link = pkts[0].LinkType
	}
	w, err := capture.CreateFile(path, link, snapLen)
	if err != nil {
		return err
	}
	for i, p := range pkts {
		if p.LinkType != link {
			w.Close()
			return fmt.Errorf("rewrite: %s: packet %d has link type %v, the first %v: pcap holds one", path, i+1, p.LinkType, link)
		}
		if err := w.Write(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}
