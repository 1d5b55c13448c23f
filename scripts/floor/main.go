// Command floor is the baseline of hsdecode's benchmark (scripts/bench.sh):
// it only reads a capture's packets and decodes their link, IP and TCP
// headers, the least any TLS decoder must do, and prints how many packets,
// TCP segments and TCP payload bytes it saw.
//
//	floor capture.pcap
//
// It reads as capture.OpenFile does (a 64 KiB bufio.Reader under pcapgo's
// zero-copy reader, pcap or pcapng) and decodes with one reused gopacket
// DecodingLayerParser over Ethernet, Linux cooked (SLL, SLL2), 802.1Q, IPv4, IPv6
// and TCP, so that what hsdecode costs beyond it is its own work.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readBufferSize is capture.readBufferSize.
const readBufferSize = 64 << 10

type reader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor CAPTURE")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, readBufferSize)
	head, err := br.Peek(4)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var r reader
	var link layers.LinkType
	if binary.LittleEndian.Uint32(head) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r, link = ng, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r, link = pr, pr.LinkType()
	}

	var (
		eth     layers.Ethernet
		sll     layers.LinuxSLL
		sll2    layers.LinuxSLL2
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		payload gopacket.Payload
	)
	first := layers.LayerTypeEthernet
	switch link {
	case layers.LinkTypeLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		first = layers.LayerTypeLinuxSLL2
	case layers.LinkTypeRaw, layers.LinkTypeIPv4:
		first = layers.LayerTypeIPv4
	}
	p := gopacket.NewDecodingLayerParser(first, &eth, &sll, &sll2, &dot1q, &ip4, &ip6, &tcp, &payload)
	p.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)

	var packets, segments, payloadBytes, bytes int64
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: packet %d: %w", path, packets+1, err)
		}
		packets++
		bytes += int64(len(data))
		if err := p.DecodeLayers(data, &decoded); err != nil {
			continue
		}
		for _, t := range decoded {
			if t == layers.LayerTypeTCP {
				segments++
				payloadBytes += int64(len(tcp.Payload))
			}
		}
	}
	fmt.Fprintf(w, "packets %d bytes %d tcp_segments %d tcp_payload_bytes %d\n", packets, bytes, segments, payloadBytes)
	return nil
}
