package capture

import (
	"errors"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ErrFilterNeedsLibpcap reports a filter given to a binary built without
// cgo: compiling pcap-filter(7) expressions is libpcap's, and
// golang.org/x/net/bpf has only a virtual machine to run programs, no
// compiler to make them.
var ErrFilterNeedsLibpcap = errors.New("filters need libpcap (this binary was built with CGO_ENABLED=0)")

// FileOptions configures Open.
type FileOptions struct {
	// Filter is a BPF expression in pcap-filter(7) syntax, as tcpdump -r
	// FILE EXPR takes it: the packets it does not match are skipped, and
	// counted (Filtered). It is compiled for each link type the file
	// holds (a pcapng file's interfaces may differ). Empty: every packet.
	Filter string
}

// CheckFilter compiles expr as for an Ethernet capture, so that a
// mistyped expression is reported before any input is read; the error
// wraps ErrFilter, or ErrFilterNeedsLibpcap.
func CheckFilter(expr string) error {
	_, err := compileFilter(layers.LinkTypeEthernet, MaxCaptureLength, expr)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}

// matcher says whether a packet passes a compiled filter.
type matcher func(ci gopacket.CaptureInfo, data []byte) bool

// fileFilter is a filter compiled for each link type met so far.
type fileFilter struct {
	expr     string
	snaplen  int
	compiled map[layers.LinkType]matcher
	filtered int64 // packets that did not match
}

// keep says whether a packet passes the filter; an error is one of
// compiling it for the packet's link type.
func (f *fileFilter) keep(link layers.LinkType, ci gopacket.CaptureInfo, data []byte) (bool, error) {
	m, ok := f.compiled[link]
	if !ok {
		var err error
		if m, err = compileFilter(link, f.snaplen, f.expr); err != nil {
			return false, err
		}
		f.compiled[link] = m
	}
	if m(ci, data) {
		return true, nil
	}
	f.filtered++
	return false, nil
}

// Filtered returns the count of packets the filter skipped so far; 0
// without a filter.
func (s *fileSource) Filtered() int64 {
	if s.filter == nil {
		return 0
	}
	return s.filter.filtered
}
