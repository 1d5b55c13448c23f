//go:build cgo

package capture

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/pcap"
)

// Status codes of pcap_activate (pcap/pcap.h). gopacket returns them as a
// value of an unexported integer type, read here with reflect; the numbers
// are libpcap's ABI.
const (
	pcapErrorNoSuchDevice      = -5  // PCAP_ERROR_NO_SUCH_DEVICE
	pcapErrorPermDenied        = -8  // PCAP_ERROR_PERM_DENIED
	pcapErrorIfaceNotUp        = -9  // PCAP_ERROR_IFACE_NOT_UP
	pcapErrorPromiscPermDenied = -11 // PCAP_ERROR_PROMISC_PERM_DENIED
	pcapWarningPromiscNotSup   = 2   // PCAP_WARNING_PROMISC_NOTSUP
)

// Interface flags of pcap_findalldevs (pcap/pcap.h).
const (
	pcapIfLoopback         = 0x01
	pcapIfUp               = 0x02
	pcapIfRunning          = 0x04
	pcapIfWireless         = 0x08
	pcapIfStatusMask       = 0x30
	pcapIfStatusConnected  = 0x10
	pcapIfStatusDisconnect = 0x20
)

// readTimeout bounds how long one read waits for a packet, so that Next
// notices Stop, and how long the kernel holds a packet back: libpcap's
// buffer timeout (on Linux, TPACKET_V3's block timeout).
const readTimeout = 100 * time.Millisecond

// OpenLive opens a capture on an interface ("any" for all of them on
// Linux). Immediate mode is off: the kernel hands packets over a block
// at a time, when the block fills or readTimeout after its first packet,
// so a report is held back by a quiet interface a tenth of a second at
// most. In immediate mode (TPACKET_V2 on Linux) the reader woke for every
// packet, and at 200,000 packets a second the wakeups took a third of the
// process's CPU time (scripts/bench-live.sh, issue 18); the kernel's
// ring also holds more packets in blocks than in V2's fixed frames, as
// large as the interface's largest packet.
//
// Errors wrap ErrPermission (the process may not capture: it needs root or
// the CAP_NET_RAW and CAP_NET_ADMIN capabilities), ErrNoSuchInterface
// (with the names of the interfaces there are) and ErrFilter; all carry
// libpcap's own message.
func OpenLive(iface string, o LiveOptions) (Live, error) {
	if o.SnapLen <= 0 {
		o.SnapLen = DefaultSnapLen
	}
	warning := ""
	if iface == "any" && o.Promisc {
		o.Promisc = false // libpcap: not supported on "any", a warning that gopacket takes for failure
	}
	h, code, err := activate(iface, o)
	if code == pcapWarningPromiscNotSup {
		o.Promisc = false
		warning = "promiscuous mode not supported on " + iface
		h, code, err = activate(iface, o)
	}
	if err != nil {
		return nil, activateError(iface, code, err)
	}
	if o.Filter != "" {
		if err := h.SetBPFFilter(o.Filter); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture: %s: %w %q: %v", iface, ErrFilter, o.Filter, err)
		}
	}
	link := h.LinkType()
	return &pcapLive{h: h, info: LiveInfo{
		Interface:       iface,
		LinkType:        link,
		LinkName:        pcap.DatalinkValToName(int(link)),
		LinkDescription: pcap.DatalinkValToDescription(int(link)),
		SnapLen:         h.SnapLen(),
		Warning:         warning,
	}}, nil
}

// activate creates and activates a handle. On failure it returns
// pcap_activate's status code when there was one (0 otherwise) and an
// error with libpcap's message.
func activate(iface string, o LiveOptions) (*pcap.Handle, int, error) {
	in, err := pcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, 0, err
	}
	defer in.CleanUp() // does nothing once activated
	for _, set := range []func() error{
		func() error { return in.SetSnapLen(o.SnapLen) },
		func() error { return in.SetPromisc(o.Promisc) },
		func() error { return in.SetTimeout(readTimeout) },
		func() error {
			if o.BufferSize > 0 {
				return in.SetBufferSize(o.BufferSize)
			}
			return nil
		},
	} {
		if err := set(); err != nil {
			return nil, 0, fmt.Errorf("%v: %v", err, in.Error())
		}
	}
	h, err := in.Activate()
	if err != nil {
		code := 0
		if v := reflect.ValueOf(err); v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64 {
			code = int(v.Int())
		}
		// pcap_geterr of the handle that failed to activate says why in
		// libpcap's words; gopacket's error only names the code.
		msg := in.Error().Error()
		if msg == "" {
			msg = err.Error()
		}
		return nil, code, errors.New(msg)
	}
	return h, 0, nil
}

func activateError(iface string, code int, err error) error {
	switch {
	case code == pcapErrorPermDenied || code == pcapErrorPromiscPermDenied:
		return fmt.Errorf("capture: %s: %w (%v)", iface, ErrPermission, err)
	case code == pcapErrorNoSuchDevice:
		var names []string
		if ifs, lerr := Interfaces(); lerr == nil {
			for _, i := range ifs {
				names = append(names, i.Name)
			}
		}
		there := "none found"
		if len(names) > 0 {
			there = strings.Join(names, ", ")
		}
		return fmt.Errorf("capture: %s: %w (interfaces here: %s)", iface, ErrNoSuchInterface, there)
	case code == pcapErrorIfaceNotUp:
		return fmt.Errorf("capture: %s: interface is down (%v)", iface, err)
	}
	return fmt.Errorf("capture: %s: %v", iface, err)
}

// pcapLive is a Live over a libpcap handle.
type pcapLive struct {
	h    *pcap.Handle
	info LiveInfo
	// mu keeps Stats from calling into libpcap while Next does: a handle
	// is not safe for concurrent use.
	mu sync.Mutex
	// stopAt is when Stop was called (Unix nanoseconds), 0 before.
	stopAt atomic.Int64
	err    error
}

func (l *pcapLive) Next() (Packet, error) {
	for {
		// No packet within readTimeout: look at stopped again.
		if p, ok, err := l.Poll(); ok || err != nil {
			return p, err
		}
	}
}

// Poll reads what came before Stop to the end: the kernel still holds the
// packets of its open block, which it hands over within readTimeout. The
// first read that times out, or a packet stamped after Stop, ends it.
func (l *pcapLive) Poll() (Packet, bool, error) {
	if l.err != nil {
		return Packet{}, false, l.err
	}
	l.mu.Lock()
	data, ci, err := l.h.ZeroCopyReadPacketData()
	var detail error
	if err != nil && err != io.EOF && err != pcap.NextErrorTimeoutExpired {
		detail = l.h.Error()
	}
	l.mu.Unlock()
	stop := l.stopAt.Load()
	switch {
	case err == nil && (stop == 0 || ci.Timestamp.UnixNano() <= stop):
		return Packet{Data: data, CaptureInfo: ci, LinkType: l.info.LinkType}, true, nil
	case err == nil, err == pcap.NextErrorTimeoutExpired && stop != 0, err == io.EOF:
		l.err = io.EOF
	case err == pcap.NextErrorTimeoutExpired:
		return Packet{}, false, nil
	default:
		l.err = fmt.Errorf("capture: %s: read: %v (%v)", l.info.Interface, err, detail)
	}
	return Packet{}, false, l.err
}

func (l *pcapLive) Stop() { l.stopAt.CompareAndSwap(0, time.Now().UnixNano()) }

func (l *pcapLive) Stats() (LiveStats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.h.Stats()
	if err != nil {
		return LiveStats{}, fmt.Errorf("capture: %s: stats: %w", l.info.Interface, err)
	}
	return LiveStats{Received: int64(s.PacketsReceived), Dropped: int64(s.PacketsDropped), IfDropped: int64(s.PacketsIfDropped)}, nil
}

func (l *pcapLive) Info() LiveInfo { return l.info }

func (l *pcapLive) Close() error {
	l.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Close()
	return nil
}

// Interfaces lists the interfaces libpcap can capture on, in its order
// (tcpdump -D).
func Interfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, fmt.Errorf("capture: list interfaces: %w", err)
	}
	out := make([]Interface, 0, len(devs))
	for _, d := range devs {
		i := Interface{
			Name:        d.Name,
			Description: d.Description,
			Loopback:    d.Flags&pcapIfLoopback != 0,
			Up:          d.Flags&pcapIfUp != 0,
			Running:     d.Flags&pcapIfRunning != 0,
			Wireless:    d.Flags&pcapIfWireless != 0,
		}
		switch d.Flags & pcapIfStatusMask {
		case pcapIfStatusConnected:
			i.Status = "connected"
		case pcapIfStatusDisconnect:
			i.Status = "disconnected"
		}
		for _, a := range d.Addresses {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				i.Addresses = append(i.Addresses, ip.Unmap())
			}
		}
		out = append(out, i)
	}
	return out, nil
}
