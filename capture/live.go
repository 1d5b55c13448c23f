package capture

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// This file holds what live capture shares between the libpcap build
// (live_pcap.go, cgo) and the pure-Go one (live_nocgo.go), so that callers
// compile either way.

// Sentinels of live capture, for errors.Is.
var (
	// ErrNoLiveCapture reports a binary built without cgo: only files can
	// be read.
	ErrNoLiveCapture = errors.New("live capture needs a build with cgo and libpcap")
	// ErrPermission reports that the process may not open the interface.
	ErrPermission = errors.New("no permission to capture")
	// ErrNoSuchInterface reports an interface that does not exist; the
	// error names the ones that do.
	ErrNoSuchInterface = errors.New("no such interface")
	// ErrFilter reports a BPF filter expression libpcap cannot compile.
	ErrFilter = errors.New("bad capture filter")
)

// DefaultSnapLen is the snap length when LiveOptions.SnapLen is zero:
// libpcap's MAXIMUM_SNAPLEN, what tcpdump uses, so that no TLS record is
// cut short.
const DefaultSnapLen = MaxCaptureLength

// LiveOptions configures OpenLive. The zero value captures whole packets,
// without promiscuous mode, with libpcap's default buffer and no filter.
type LiveOptions struct {
	// SnapLen is the bytes kept of each packet; DefaultSnapLen when zero.
	SnapLen int
	// Promisc puts the interface in promiscuous mode. It is ignored on the
	// "any" pseudo-interface, which does not support it.
	Promisc bool
	// BufferSize is the size in bytes of the kernel's capture buffer;
	// libpcap's default (2 MiB on Linux) when zero. Packets arriving while
	// it is full are dropped and counted in LiveStats.Dropped.
	BufferSize int
	// Filter is a BPF expression in pcap-filter(7) syntax; empty captures
	// every packet.
	Filter string
}

// LiveInfo describes an open live capture.
type LiveInfo struct {
	Interface string
	LinkType  layers.LinkType
	// LinkName and LinkDescription are libpcap's names of the link type,
	// as tcpdump prints them: "EN10MB", "Ethernet".
	LinkName, LinkDescription string
	SnapLen                   int
	// Warning is set when the capture opened with less than was asked
	// (promiscuous mode not supported by the interface).
	Warning string
}

// LiveStats are libpcap's counters (pcap_stats(3PCAP)) since the capture
// began.
type LiveStats struct {
	Received  int64 // packets that passed the filter
	Dropped   int64 // dropped by the kernel: no room in the capture buffer
	IfDropped int64 // dropped by the interface or its driver
}

// Live is a capture from a network interface.
//
// Next blocks until a packet arrives; Data is valid until the next call to
// Next, Poll or Close. After Stop, Next returns the packets that arrived
// before it and the kernel still holds, then io.EOF, within about two
// tenths of a second on a quiet interface; an error reading the interface
// (it went down) is returned once and then again, as for files.
type Live interface {
	Source
	// Poll is Next, except that it returns ok false when no packet came
	// within a tenth of a second: a reader that gathers packets into
	// batches hands on the one it holds rather than keep it while the
	// interface is quiet.
	Poll() (p Packet, ok bool, err error)
	// Stop makes Next return io.EOF once it has read what came before.
	// It may be called from any goroutine, while Next blocks.
	Stop()
	// Stats returns libpcap's counters. It may be called from any
	// goroutine before Close.
	Stats() (LiveStats, error)
	// Info describes the capture.
	Info() LiveInfo
}

// Interface is a capture interface, as libpcap lists them
// (pcap_findalldevs(3PCAP)).
type Interface struct {
	Name        string
	Description string
	Loopback    bool
	Up          bool
	Running     bool
	Wireless    bool
	// Status is "connected", "disconnected", or "" when unknown or not
	// applicable.
	Status    string
	Addresses []netip.Addr
}
