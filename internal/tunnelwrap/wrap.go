// Package tunnelwrap wraps every packet of a capture in an encapsulation
// (VXLAN, Geneve, GRE, ERSPAN, GTP-U, PPPoE, MPLS, IP in IP, Teredo), the
// way a sensor behind a tunnel or a traffic mirror sees it, for testing
// that hsdecode reports the same on the wrapped capture as on the
// original, plus the tunnel. Headers are written as their RFCs lay them
// out, each direction of a connection with its own outer source and
// destination (and its own TEID and MPLS labels, as real peers choose
// them), the inner packet unchanged. It is used by cmd/hsdecode's tests
// and scripts/tunnel-wrap; it is not part of hsdecode.
package tunnelwrap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/inet"
)

// Kinds are the encapsulations Wrap writes.
var Kinds = []string{"vxlan", "geneve", "gre", "gretap", "erspan1", "erspan2", "erspan3", "gtpu",
	"pppoe", "mpls", "mpls-pw", "ipip", "6in4", "4in6", "teredo"}

// Options says how to wrap.
type Options struct {
	// Kinds are the encapsulations, outermost first: "vxlan,mpls" is MPLS
	// in VXLAN.
	Kinds []string
	// ID is the VNI, GRE key, ERSPAN or PPPoE session id, and the base
	// of the TEIDs and labels (1 when zero).
	ID uint32
	// Outer6 makes the outer IP headers IPv6 where the kind allows
	// either.
	Outer6 bool
}

// Wrap returns pkts, each wrapped as o says, as Ethernet frames. A packet
// that is not IP is written as it came, when its link type is Ethernet,
// and dropped otherwise.
func Wrap(pkts []capture.Packet, o Options) ([]capture.Packet, error) {
	if len(o.Kinds) == 0 {
		return nil, errors.New("tunnelwrap: no encapsulation given")
	}
	for _, k := range o.Kinds {
		if !contains(Kinds, k) {
			return nil, fmt.Errorf("tunnelwrap: unknown encapsulation %q (one of %s)", k, strings.Join(Kinds, ", "))
		}
	}
	if o.ID == 0 {
		o.ID = 1
	}
	w := wrapper{o: o}
	out := make([]capture.Packet, 0, len(pkts))
	for _, p := range pkts {
		frame, ok := ethernetOf(p)
		if !ok {
			continue
		}
		back := w.reverse(frame)
		extra := p.CaptureInfo.Length - len(p.Data)
		var err error
		for i := len(o.Kinds) - 1; i >= 0; i-- {
			if frame, err = w.wrap(o.Kinds[i], frame, back, extra); err != nil {
				return nil, err
			}
		}
		ci := p.CaptureInfo
		ci.CaptureLength = len(frame)
		ci.Length = len(frame) + max(extra, 0)
		out = append(out, capture.Packet{Data: frame, CaptureInfo: ci, LinkType: layers.LinkTypeEthernet})
	}
	return out, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// ethernetOf is a packet as an Ethernet frame: Ethernet as it came, IP
// behind a header made up.
func ethernetOf(p capture.Packet) ([]byte, bool) {
	var ip []byte
	switch p.LinkType {
	case layers.LinkTypeEthernet:
		return append([]byte(nil), p.Data...), true
	case layers.LinkTypeLinuxSLL:
		if len(p.Data) < 16 {
			return nil, false
		}
		ip = p.Data[16:]
	case layers.LinkTypeLinuxSLL2:
		if len(p.Data) < 20 {
			return nil, false
		}
		ip = p.Data[20:]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(p.Data) < 4 {
			return nil, false
		}
		ip = p.Data[4:]
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		ip = p.Data
	default:
		return nil, false
	}
	if len(ip) == 0 {
		return nil, false
	}
	return ether(macClient, macServer, etherTypeOf(ip), ip), true
}

var (
	macClient = []byte{0x02, 0, 0, 0, 0, 1}
	macServer = []byte{0x02, 0, 0, 0, 0, 2}
)

func etherTypeOf(ip []byte) uint16 {
	if ip[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

func ether(src, dst []byte, typ uint16, payload []byte) []byte {
	b := make([]byte, 0, 14+len(payload))
	b = append(b, dst...)
	b = append(b, src...)
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

// ipOf returns the IP packet of an Ethernet frame, past any VLAN tags.
func ipOf(frame []byte) []byte {
	if len(frame) < 14 {
		return nil
	}
	t, b := binary.BigEndian.Uint16(frame[12:14]), frame[14:]
	for (t == 0x8100 || t == 0x88a8 || t == 0x9100) && len(b) >= 4 {
		t, b = binary.BigEndian.Uint16(b[2:4]), b[4:]
	}
	if (t != 0x0800 && t != 0x86dd) || len(b) == 0 {
		return nil
	}
	return b
}

// wrapper keeps what Wrap learns across packets.
type wrapper struct {
	o      Options
	server uint16 // the port of the server, the first SYN's destination
	ipID   uint16
	seq    uint32
}

// reverse reports whether a frame goes from the server to the client,
// by its TCP ports.
func (w *wrapper) reverse(frame []byte) bool {
	ip := ipOf(frame)
	var tcp []byte
	switch {
	case len(ip) >= 20 && ip[0]>>4 == 4 && ip[9] == 6 && len(ip) >= int(ip[0]&0xf)*4+14:
		tcp = ip[int(ip[0]&0xf)*4:]
	case len(ip) >= 54 && ip[0]>>4 == 6 && ip[6] == 6:
		tcp = ip[40:]
	default:
		return false
	}
	src, dst := binary.BigEndian.Uint16(tcp[0:2]), binary.BigEndian.Uint16(tcp[2:4])
	if w.server == 0 {
		w.server = dst
		if tcp[13]&0x12 == 0x12 { // a SYN-ACK first: its source is the server
			w.server = src
		}
	}
	return src == w.server
}

// Outer endpoints: the client's side of the tunnel and the server's.
var (
	outer4 = [2]netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}
	outer6 = [2]netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")}
)

// wrap puts one encapsulation around an Ethernet frame.
func (w *wrapper) wrap(kind string, frame []byte, back bool, extra int) ([]byte, error) {
	ip := ipOf(frame)
	id := w.o.ID
	dir := uint32(0)
	if back {
		dir = 1
	}
	w.seq++
	switch kind {
	case "vxlan":
		h := []byte{0x08, 0, 0, 0, byte(id >> 16), byte(id >> 8), byte(id), 0}
		return w.udp(back, 54321+uint16(dir), 4789, append(h, frame...), extra, w.o.Outer6), nil
	case "geneve":
		// One 8-byte option (class 0x0102, type 0x80, 4 bytes of data),
		// which a decoder skips by the length.
		h := []byte{0x02, 0, 0x65, 0x58, byte(id >> 16), byte(id >> 8), byte(id), 0,
			0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef}
		return w.udp(back, 54321+uint16(dir), 6081, append(h, frame...), extra, w.o.Outer6), nil
	case "gre":
		if len(frame) < 15 {
			return nil, fmt.Errorf("tunnelwrap: gre needs a frame")
		}
		// Checksum, key and sequence number (RFC 2784, RFC 2890), the
		// protocol the frame's EtherType.
		h := []byte{0xb0, 0, frame[12], frame[13], 0, 0, 0, 0}
		h = binary.BigEndian.AppendUint32(h, id)
		h = binary.BigEndian.AppendUint32(h, w.seq)
		g := append(h, frame[14:]...)
		binary.BigEndian.PutUint16(g[4:], ^inet.Fold(inet.Sum(g, 0)))
		return w.ip(back, 47, g, extra, w.o.Outer6), nil
	case "gretap":
		h := []byte{0x20, 0, 0x65, 0x58}
		h = binary.BigEndian.AppendUint32(h, id)
		return w.ip(back, 47, append(h, frame...), extra, w.o.Outer6), nil
	case "erspan1":
		return w.ip(back, 47, append([]byte{0, 0, 0x88, 0xbe}, frame...), extra, w.o.Outer6), nil
	case "erspan2":
		h := binary.BigEndian.AppendUint32([]byte{0x10, 0, 0x88, 0xbe}, w.seq)
		h = append(h, 0x10, 0x00, byte(id>>8)&0x3, byte(id), 0, 0, 0, 7)
		return w.ip(back, 47, append(h, frame...), extra, w.o.Outer6), nil
	case "erspan3":
		h := binary.BigEndian.AppendUint32([]byte{0x10, 0, 0x22, 0xeb}, w.seq)
		h = append(h, 0x20, 0x00, byte(id>>8)&0x3, byte(id))
		h = binary.BigEndian.AppendUint32(h, w.seq*1000) // timestamp
		h = append(h, 0, 0, 0, 0x01)                     // SGT, flags, O: a platform subheader follows
		h = append(h, 0x08, 0, 0, 0, 0, 0, 0, 0)         // platform id 1 and its data
		return w.ip(back, 47, append(h, frame...), extra, w.o.Outer6), nil
	case "gtpu":
		if ip == nil {
			return nil, fmt.Errorf("tunnelwrap: gtpu needs IP")
		}
		// Version 1, GTP, E: one PDU session container (type 0x85) of
		// 4 bytes. Each direction has its TEID, as the peers choose.
		h := []byte{0x34, 0xff, 0, 0}
		h = binary.BigEndian.AppendUint32(h, id+dir*0x1000)
		h = append(h, 0, 0, 0, 0x85, 1, 0x10, 9, 0)
		binary.BigEndian.PutUint16(h[2:], uint16(len(h)-8+len(ip)+extra))
		return w.udp(back, 2152, 2152, append(h, ip...), extra, w.o.Outer6), nil
	case "pppoe":
		if ip == nil {
			return nil, fmt.Errorf("tunnelwrap: pppoe needs IP")
		}
		proto := uint16(0x0021)
		if ip[0]>>4 == 6 {
			proto = 0x0057
		}
		h := []byte{0x11, 0, byte(id >> 8), byte(id), 0, 0}
		binary.BigEndian.PutUint16(h[4:], uint16(2+len(ip)+extra))
		h = binary.BigEndian.AppendUint16(h, proto)
		return w.link(back, 0x8864, append(h, ip...)), nil
	case "mpls":
		if ip == nil {
			return nil, fmt.Errorf("tunnelwrap: mpls needs IP")
		}
		// Two labels, each direction its own (labels are local to the
		// router that gives them).
		h := binary.BigEndian.AppendUint32(nil, (id+dir*0x100)<<12|64)
		h = binary.BigEndian.AppendUint32(h, (id+dir*0x100+1)<<12|1<<8|64)
		return w.link(back, 0x8847, append(h, ip...)), nil
	case "mpls-pw":
		h := binary.BigEndian.AppendUint32(nil, (id+dir*0x100)<<12|1<<8|64)
		h = binary.BigEndian.AppendUint32(h, w.seq&0xffff) // control word
		return w.link(back, 0x8847, append(h, frame...)), nil
	case "ipip", "6in4", "4in6":
		want := byte(4)
		if kind == "6in4" {
			want = 6
		}
		if ip == nil || ip[0]>>4 != want {
			return nil, fmt.Errorf("tunnelwrap: %s needs IPv%d inside", kind, want)
		}
		proto := byte(4)
		if want == 6 {
			proto = 41
		}
		return w.ip(back, proto, ip, extra, kind == "4in6"), nil
	case "teredo":
		if ip == nil || ip[0]>>4 != 6 {
			return nil, fmt.Errorf("tunnelwrap: teredo needs IPv6 inside")
		}
		// An origin indication (RFC 4380, 5.1.1): obfuscated port and
		// address.
		h := []byte{0, 0, 0xff, 0xff, 0x3f, 0xff, 0xfd, 0xfe}
		return w.udp(back, 3544, 40000, append(h, ip...), extra, false), nil
	}
	return nil, fmt.Errorf("tunnelwrap: unknown encapsulation %q", kind)
}

// link puts a payload of an EtherType in an Ethernet frame.
func (w *wrapper) link(back bool, typ uint16, payload []byte) []byte {
	if back {
		return ether(macServer, macClient, typ, payload)
	}
	return ether(macClient, macServer, typ, payload)
}

// udp puts a payload in a UDP datagram in IP in Ethernet; the ports are
// the client side's, swapped for the other direction but for a well-known
// destination port (VXLAN's and Geneve's senders choose the source port).
func (w *wrapper) udp(back bool, sport, dport uint16, payload []byte, extra int, v6 bool) []byte {
	if back && sport != dport && dport != 4789 && dport != 6081 {
		sport, dport = dport, sport
	}
	h := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)+extra))
	u := append(h, payload...)
	if v6 && extra <= 0 {
		// IPv6 needs the UDP checksum (RFC 8200, 8.1).
		src, dst := w.ends(back, true)
		a, b := src.As16(), dst.As16()
		acc := inet.Sum(a[:], 0)
		acc = inet.Sum(b[:], acc)
		acc += uint64(len(u)) + 17
		s := ^inet.Fold(inet.Sum(u, acc))
		if s == 0 {
			s = 0xffff
		}
		binary.BigEndian.PutUint16(u[6:], s)
	}
	return w.ip(back, 17, u, extra, v6)
}

func (w *wrapper) ends(back, v6 bool) (src, dst netip.Addr) {
	e := outer4
	if v6 {
		e = outer6
	}
	if back {
		return e[1], e[0]
	}
	return e[0], e[1]
}

// ip puts a payload in an IP packet in Ethernet; extra is how many bytes
// of it the capture did not keep.
func (w *wrapper) ip(back bool, proto byte, payload []byte, extra int, v6 bool) []byte {
	src, dst := w.ends(back, v6)
	extra = max(extra, 0)
	var h []byte
	if v6 {
		h = make([]byte, 40, 40+len(payload))
		h[0] = 0x60
		binary.BigEndian.PutUint16(h[4:], uint16(len(payload)+extra))
		h[6], h[7] = proto, 64
		a, b := src.As16(), dst.As16()
		copy(h[8:], a[:])
		copy(h[24:], b[:])
	} else {
		w.ipID++
		h = make([]byte, 20, 20+len(payload))
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)+extra))
		binary.BigEndian.PutUint16(h[4:], w.ipID)
		h[6] = 0x40 // DF
		h[8], h[9] = 64, proto
		a, b := src.As4(), dst.As4()
		copy(h[12:], a[:])
		copy(h[16:], b[:])
		binary.BigEndian.PutUint16(h[10:], ^inet.Fold(inet.Sum(h, 0)))
	}
	typ := uint16(0x0800)
	if v6 {
		typ = 0x86dd
	}
	return w.link(back, typ, append(h, payload...))
}
