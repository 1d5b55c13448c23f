//go:build !cgo

package capture

import "github.com/gopacket/gopacket/layers"

// compileFilter would compile expr; without cgo there is no libpcap to.
func compileFilter(layers.LinkType, int, string) (matcher, error) {
	return nil, ErrFilterNeedsLibpcap
}
