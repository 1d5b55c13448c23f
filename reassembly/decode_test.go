package reassembly

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// linkHeader returns the bytes put before an IP packet for a link type.
type linkHeader func(v6 bool) []byte

func etherType(v6 bool) []byte {
	if v6 {
		return []byte{0x86, 0xdd}
	}
	return []byte{0x08, 0x00}
}

func family(order binary.AppendByteOrder, v4, v6 uint32) linkHeader {
	return func(is6 bool) []byte {
		f := v4
		if is6 {
			f = v6
		}
		return order.AppendUint32(nil, f)
	}
}

func vlanTags(types ...uint16) linkHeader {
	return func(v6 bool) []byte {
		b := append([]byte(nil), macs...)
		for i, tp := range types {
			b = binary.BigEndian.AppendUint16(b, tp)
			b = append(b, 0x00, byte(10+i)) // priority 0, VLAN 10+i
		}
		return append(b, etherType(v6)...)
	}
}

func TestLinkTypes(t *testing.T) {
	sll := func(v6 bool) []byte {
		return concat([]byte{0, 0, 0, 1, 0, 6}, []byte{2, 0, 0, 0, 0, 1, 0, 0}, etherType(v6))
	}
	sll2 := func(v6 bool) []byte {
		return concat(etherType(v6), []byte{0, 0, 0, 0, 0, 7, 0, 1, 0, 6}, []byte{2, 0, 0, 0, 0, 1, 0, 0})
	}
	none := func(bool) []byte { return nil }
	tests := []struct {
		name string
		link layers.LinkType
		hdr  linkHeader
	}{
		{"Ethernet", layers.LinkTypeEthernet, vlanTags()},
		{"802.1Q", layers.LinkTypeEthernet, vlanTags(0x8100)},
		{"QinQ 0x88a8", layers.LinkTypeEthernet, vlanTags(0x88a8, 0x8100)},
		{"QinQ 0x9100", layers.LinkTypeEthernet, vlanTags(0x9100, 0x8100)},
		{"QinQ 0x9100 twice", layers.LinkTypeEthernet, vlanTags(0x9100, 0x9100)},
		{"Linux SLL", layers.LinkTypeLinuxSLL, sll},
		{"Linux SLL2", layers.LinkTypeLinuxSLL2, sll2},
		{"null, little-endian, Linux AF_INET6", layers.LinkTypeNull, family(binary.LittleEndian, 2, 10)},
		{"null, little-endian, BSD AF_INET6", layers.LinkTypeNull, family(binary.LittleEndian, 2, 24)},
		{"null, big-endian, FreeBSD AF_INET6", layers.LinkTypeNull, family(binary.BigEndian, 2, 28)},
		{"loop, Darwin AF_INET6", layers.LinkTypeLoop, family(binary.BigEndian, 2, 30)},
		{"raw", layers.LinkTypeRaw, none},
		{"raw IPv4 or IPv6 link type", layers.LinkTypeIPv4, none},
	}
	for _, tt := range tests {
		for _, v6 := range []bool{false, true} {
			a, b := cli, srv
			name := tt.name + "/IPv4"
			link := tt.link
			if v6 {
				a, b = cli6, srv6
				name = tt.name + "/IPv6"
				if link == layers.LinkTypeIPv4 {
					link = layers.LinkTypeIPv6
				}
			}
			t.Run(name, func(t *testing.T) {
				var fs []frame
				for _, p := range []pkt{{0, a, b, "S", 1000, 0, ""}, {1, a, b, "PA", 1001, 5000, "hello"}, {2, b, a, "PA", 5000, 1006, "back"}} {
					fs = append(fs, frame{link, p.ms, concat(tt.hdr(v6), ipTCP(t, p, nil)), 0})
				}
				got, st := run(t, Options{}, 0, fs...)
				checkLog(t, []string{"1 new A=" + a.String() + " B=" + b.String() + " syn @0", `1 data A "hello" @1`, `1 data B "back" @2`, "1 close capture @2"}, got)
				if len(st.Skipped) != 0 {
					t.Errorf("skipped %v", st.Skipped)
				}
			})
		}
	}
}

func TestIPHeaders(t *testing.T) {
	ipv4Options := []layers.IPv4Option{{OptionType: 1}, {OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}, {OptionType: 1}, {OptionType: 1}}
	// A destination options header holding one PadN option, then TCP.
	withDestOpts := func(p pkt) []byte {
		seg := ipTCP(t, p, nil)[40:]
		ext := []byte{byte(layers.IPProtocolTCP), 0, 1, 4, 0, 0, 0, 0}
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Destination,
			SrcIP: p.from.Addr().AsSlice(), DstIP: p.to.Addr().AsSlice()}
		return serialize(t, ip, gopacket.Payload(concat(ext, seg)))
	}
	var fs []frame
	for _, p := range []pkt{{0, cli, srv, "S", 1000, 0, ""}, {1, cli, srv, "PA", 1001, 0, "options"}} {
		b := ipTCP(t, p, ipv4Options)
		if b[0]&0x0f != 7 {
			t.Fatalf("IPv4 header length %d words, want 7", b[0]&0x0f)
		}
		fs = append(fs, frame{layers.LinkTypeRaw, p.ms, b, 0})
	}
	for _, p := range []pkt{{2, cli6, srv6, "S", 1000, 0, ""}, {3, cli6, srv6, "PA", 1001, 0, "extension"}} {
		fs = append(fs, frame{layers.LinkTypeRaw, p.ms, withDestOpts(p), 0})
	}
	got, st := run(t, Options{}, 0, fs...)
	checkLog(t, []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "options" @1`,
		"2 new A=[2001:db8::1]:40000 B=[2001:db8::2]:443 syn @2", `2 data A "extension" @3`,
		"1 close capture @1", "2 close capture @3"}, got)
	if len(st.Skipped) != 0 {
		t.Errorf("skipped %v", st.Skipped)
	}
}

func TestSkipped(t *testing.T) {
	syn := pkt{0, cli, srv, "S", 1000, 0, ""}
	data := pkt{0, cli, srv, "PA", 1001, 0, "some data"}
	udp := func() []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: cli.Addr().AsSlice(), DstIP: srv.Addr().AsSlice()}
		u := &layers.UDP{SrcPort: 53, DstPort: 53}
		u.SetNetworkLayerForChecksum(ip)
		return serialize(t, ip, u, gopacket.Payload("dns"))
	}()
	fragment6 := func() []byte {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment,
			SrcIP: cli6.Addr().AsSlice(), DstIP: srv6.Addr().AsSlice()}
		frag := []byte{byte(layers.IPProtocolTCP), 0, 0, 1, 0, 0, 0, 42} // offset 0, more fragments
		return serialize(t, ip, gopacket.Payload(concat(frag, ipTCP(t, pkt{0, cli6, srv6, "PA", 1, 0, "x"}, nil)[40:])))
	}()
	whole := ipTCP(t, data, nil)
	badIHL := append([]byte(nil), whole...)
	badIHL[0] = 0x44
	arp := concat(macs, []byte{0x08, 0x06}, make([]byte, 28))

	fs := []frame{
		{layers.LinkTypeRaw, 0, udp, 0},
		{layers.LinkTypeRaw, 0, fragment6, 0},
		{layers.LinkTypeRaw, 0, whole[:20+10], 0}, // the TCP header cut
		{layers.LinkTypeRaw, 0, badIHL, 0},
		{layers.LinkTypeEthernet, 0, arp, 0},
		{layers.LinkType(147), 0, whole, 0},
		{layers.LinkType(147), 0, whole, 0},
		{layers.LinkTypeRaw, 0, ipTCP(t, pkt{0, cli, srv, "A", 1001, 1, ""}, nil), 0},
		{layers.LinkTypeRaw, 0, ipTCP(t, pkt{0, cli, srv, "RA", 1001, 1, ""}, nil), 0},
		{layers.LinkTypeRaw, 0, ipTCP(t, syn, nil), 0},
		{layers.LinkTypeRaw, 0, whole, 0},
	}
	got, st := run(t, Options{}, 0, fs...)
	checkLog(t, []string{"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0", `1 data A "some data" @0`, "1 close capture @0"}, got)
	want := map[string]int64{
		reasonUDPNotHandshake:       1,
		reasonFragment6Invalid:      1, // 21 bytes, not a multiple of 8
		"truncated":                 1,
		"decode error: IPv4":        1,
		"not IP":                    1,
		"unsupported link type 147": 2,
		"no open connection":        2,
	}
	if diff := cmp.Diff(want, st.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	var bytes int64
	for _, f := range fs {
		bytes += int64(len(f.data))
	}
	if st.Packets != int64(len(fs)) || st.Bytes != bytes || st.Connections != 1 {
		t.Errorf("stats %+v, want %d packets, %d bytes, 1 connection", st, len(fs), bytes)
	}
}
