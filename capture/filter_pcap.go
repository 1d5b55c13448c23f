//go:build cgo

package capture

import (
	"fmt"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// compileFilter compiles expr with libpcap (pcap_open_dead and
// pcap_compile, as tcpdump -r does for a file's link type and snap
// length); the program runs with pcap_offline_filter.
func compileFilter(link layers.LinkType, snaplen int, expr string) (matcher, error) {
	b, err := pcap.NewBPF(link, snaplen, expr)
	if err != nil {
		return nil, fmt.Errorf("%w %q for link type %s: %v", ErrFilter, expr, pcap.DatalinkValToName(int(link)), err)
	}
	return b.Matches, nil
}
