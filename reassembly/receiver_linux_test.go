//go:build linux

package reassembly

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/hsdecode/hsdecode/stream"
)

// The receiver test: crafted segments are sent from one network namespace
// over a veth pair into a real Linux socket in another, and what the
// socket's application reads is compared with what the Assembler delivers
// from a capture of the same frames. Linux is the receiver hsdecode
// follows (overlap.go, checksum.go): this shows it does.

// wireSegment is one crafted client segment: its sequence number relative
// to the client's ISN+1, payload, and what is wrong with it.
type wireSegment struct {
	Rel     uint32 `json:"rel"`
	Data    string `json:"data"`
	Urgent  uint16 `json:"urgent,omitempty"`  // URG with this urgent pointer
	BadSum  bool   `json:"bad_sum,omitempty"` // a wrong TCP checksum
	PauseMS int    `json:"pause_ms,omitempty"`
}

var receiverScenarios = []struct {
	name string
	segs []wireSegment
}{
	{"an out-of-order copy over the same range", []wireSegment{
		{Rel: 5, Data: "AAAA"}, {Rel: 5, Data: "BBBB"}, {Rel: 0, Data: "hello"}}},
	{"a later copy inside an earlier one held", []wireSegment{
		{Rel: 5, Data: "ABCDEFGH"}, {Rel: 7, Data: "xy"}, {Rel: 0, Data: "hello"}}},
	{"a copy beginning inside one held", []wireSegment{
		{Rel: 5, Data: "ABCD"}, {Rel: 7, Data: "xyzw"}, {Rel: 0, Data: "hello"}}},
	{"a copy beginning with one held and going beyond", []wireSegment{
		{Rel: 5, Data: "AB"}, {Rel: 5, Data: "CDEF"}, {Rel: 0, Data: "hello"}}},
	{"a later copy inside bytes delivered", []wireSegment{
		{Rel: 0, Data: "hello"}, {Rel: 1, Data: "EL"}, {Rel: 5, Data: "!"}}},
	{"an urgent byte", []wireSegment{
		{Rel: 0, Data: "hel!lo", Urgent: 4}, {Rel: 6, Data: " world"}}},
	{"a copy with a bad checksum first", []wireSegment{
		{Rel: 0, Data: "evil!", BadSum: true}, {Rel: 0, Data: "hello"}, {Rel: 5, Data: " world"}}},
}

// TestReceiverLinux needs root (network namespaces, a packet socket) and
// the ip and ethtool commands; without them it says so and skips.
func TestReceiverLinux(t *testing.T) {
	if os.Getenv("HSD_VETH_ROLE") != "" {
		t.Skip("a child of this test")
	}
	if testing.Short() {
		t.Skip("sets up network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces and a packet socket")
	}
	for _, tool := range []string{"ip", "ethtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	tx, rx := fmt.Sprintf("hsdtx%d", os.Getpid()), fmt.Sprintf("hsdrx%d", os.Getpid())
	sh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	sh("ip", "netns", "add", tx)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", tx).Run() })
	sh("ip", "netns", "add", rx)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", rx).Run() })
	sh("ip", "link", "add", "vtx", "netns", tx, "type", "veth", "peer", "name", "vrx", "netns", rx)
	// The sender's side has no address: the kernel there ignores the
	// receiver's answers (no RST), which the packet socket reads.
	sh("ip", "netns", "exec", tx, "ip", "link", "set", "vtx", "up")
	sh("ip", "netns", "exec", rx, "ip", "link", "set", "lo", "up")
	sh("ip", "netns", "exec", rx, "ip", "addr", "add", "192.0.2.2/24", "dev", "vrx")
	sh("ip", "netns", "exec", rx, "ip", "link", "set", "vrx", "up")
	// veth would mark frames as checksummed: the receiver must check them.
	sh("ip", "netns", "exec", rx, "ethtool", "-K", "vrx", "rx", "off")
	txMAC := sh("ip", "netns", "exec", tx, "cat", "/sys/class/net/vtx/address")
	rxMAC := sh("ip", "netns", "exec", rx, "cat", "/sys/class/net/vrx/address")
	sh("ip", "netns", "exec", rx, "ip", "neigh", "replace", "192.0.2.1", "lladdr", txMAC, "dev", "vrx", "nud", "permanent")

	for i, sc := range receiverScenarios {
		t.Run(sc.name, func(t *testing.T) {
			port := 5600 + i
			recv := exec.Command("ip", "netns", "exec", rx, os.Args[0], "-test.run=^TestReceiverLinuxChild$")
			recv.Env = append(os.Environ(), "HSD_VETH_ROLE=receiver", "HSD_PORT="+strconv.Itoa(port))
			out, err := recv.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			recv.Stderr = os.Stderr
			if err := recv.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "ready" {
				t.Fatalf("receiver did not start: %q", lines.Text())
			}
			segs, _ := json.Marshal(sc.segs)
			pcapPath := filepath.Join(t.TempDir(), "wire.pcap")
			send := exec.Command("ip", "netns", "exec", tx, os.Args[0], "-test.run=^TestReceiverLinuxChild$")
			send.Env = append(os.Environ(), "HSD_VETH_ROLE=sender", "HSD_PORT="+strconv.Itoa(port),
				"HSD_SEGMENTS="+string(segs), "HSD_SRC_MAC="+txMAC, "HSD_DST_MAC="+rxMAC, "HSD_PCAP="+pcapPath)
			if b, err := send.CombinedOutput(); err != nil {
				recv.Process.Kill()
				recv.Wait()
				t.Fatalf("sender: %v\n%s", err, b)
			}
			var read []byte
			for lines.Scan() {
				if b, ok := strings.CutPrefix(lines.Text(), "read "); ok {
					read, _ = hex.DecodeString(b)
				}
			}
			recv.Wait()

			delivered := assembled(t, pcapPath)
			t.Logf("the socket read %q; hsdecode delivered %q", read, delivered)
			if !bytes.Equal(read, delivered) {
				t.Errorf("the socket read %q, hsdecode delivered %q", read, delivered)
			}
		})
	}
}

// assembled is what the Assembler delivers of the client's bytes in a
// capture, with default options (checksums: auto).
func assembled(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	col := &collectClient{}
	a := NewAssembler(col, Options{})
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		a.Packet(r.LinkType(), data, ci)
	}
	a.Flush()
	return col.bytes
}

// collectClient keeps the bytes delivered from the side that sent the SYN.
type collectClient struct{ bytes []byte }

func (c *collectClient) New(stream.ConnInfo) stream.Stream { return c }
func (c *collectClient) Data(s stream.Side, b []byte, _ time.Time) {
	if s == stream.SideA {
		c.bytes = append(c.bytes, b...)
	}
}
func (c *collectClient) Gap(stream.Side, int, time.Time)              {}
func (c *collectClient) End(stream.Side, stream.EndReason, time.Time) {}
func (c *collectClient) Close(stream.EndReason, time.Time)            {}
func (c *collectClient) Done() bool                                   { return false }

// TestReceiverLinuxChild is the receiver or the sender of
// TestReceiverLinux, run inside its network namespace.
func TestReceiverLinuxChild(t *testing.T) {
	port, _ := strconv.Atoi(os.Getenv("HSD_PORT"))
	switch os.Getenv("HSD_VETH_ROLE") {
	case "receiver":
		receiveAll(t, port)
	case "sender":
		sendCrafted(t, port)
	default:
		t.Skip("run by TestReceiverLinux")
	}
}

// receiveAll accepts one connection and prints, in hex, all its
// application reads until the peer's FIN (or ten seconds).
func receiveAll(t *testing.T, port int) {
	ln, err := net.Listen("tcp4", fmt.Sprintf("192.0.2.2:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	fmt.Println("read " + hex.EncodeToString(got))
}

// sendCrafted does the client's side by hand on a packet socket: the
// 3-way handshake, the crafted segments, a FIN; and writes every frame it
// sent or saw of the connection to a capture.
func sendCrafted(t *testing.T, port int) {
	var segs []wireSegment
	if err := json.Unmarshal([]byte(os.Getenv("HSD_SEGMENTS")), &segs); err != nil {
		t.Fatal(err)
	}
	src, _ := net.ParseMAC(os.Getenv("HSD_SRC_MAC"))
	dst, _ := net.ParseMAC(os.Getenv("HSD_DST_MAC"))
	ifi, err := net.InterfaceByName("vtx")
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	ll := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index}
	if err := syscall.Bind(fd, ll); err != nil {
		t.Fatal(err)
	}
	tv := syscall.Timeval{Usec: 50000}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)

	f, err := os.Create(os.Getenv("HSD_PCAP"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	record := func(frame []byte) {
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(frame), Length: len(frame)}, frame)
	}
	client := netip.MustParseAddrPort(fmt.Sprintf("192.0.2.1:%d", 40000+port%1000))
	server := netip.MustParseAddrPort(fmt.Sprintf("192.0.2.2:%d", port))
	send := func(seq, ack uint32, syn, fin bool, s wireSegment) {
		frame := craft(t, src, dst, client, server, seq, ack, syn, fin, s)
		if err := syscall.Sendto(fd, frame, 0, ll); err != nil {
			t.Fatal(err)
		}
		record(frame)
	}
	// awaitFromServer reads frames until one from the server arrives, or
	// a while passes, recording it; it returns its sequence number.
	awaitFromServer := func(wantSYN bool) (uint32, bool) {
		buf := make([]byte, 65536)
		wait := 300 * time.Millisecond
		if wantSYN {
			wait = 2 * time.Second
		}
		deadline := time.Now().Add(wait)
		for time.Now().Before(deadline) {
			n, _, err := syscall.Recvfrom(fd, buf, 0)
			if err != nil || n < 14+20+20 {
				continue
			}
			p := gopacket.NewPacket(buf[:n], layers.LayerTypeEthernet, gopacket.Default)
			tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !ok || int(tcp.SrcPort) != port || int(tcp.DstPort) != int(client.Port()) {
				continue
			}
			record(append([]byte(nil), buf[:n]...))
			if !wantSYN || tcp.SYN {
				return tcp.Seq, true
			}
		}
		return 0, false
	}
	const isn = 1000
	send(isn, 0, true, false, wireSegment{})
	sisn, ok := awaitFromServer(true)
	if !ok {
		t.Fatal("no SYN-ACK")
	}
	ack := sisn + 1
	send(isn+1, ack, false, false, wireSegment{})
	end := uint32(0)
	for _, s := range segs {
		send(isn+1+s.Rel, ack, false, false, s)
		end = max(end, s.Rel+uint32(len(s.Data)))
		time.Sleep(20 * time.Millisecond)
		for {
			if _, ok := awaitFromServer(false); !ok {
				break
			}
		}
	}
	send(isn+1+end, ack, false, true, wireSegment{})
	for {
		if _, ok := awaitFromServer(false); !ok {
			break
		}
	}
}

// craft builds an Ethernet frame of a client segment.
func craft(t *testing.T, src, dst net.HardwareAddr, from, to netip.AddrPort, seq, ack uint32, syn, fin bool, s wireSegment) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IP(from.Addr().AsSlice()), DstIP: net.IP(to.Addr().AsSlice())}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(from.Port()), DstPort: layers.TCPPort(to.Port()),
		Seq: seq, Ack: ack, ACK: !syn, SYN: syn, FIN: fin, PSH: len(s.Data) > 0, Window: 65535,
		URG: s.Urgent > 0, Urgent: s.Urgent}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(s.Data)); err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	if s.BadSum {
		sum := frame[14+20+16:]
		binary.BigEndian.PutUint16(sum, binary.BigEndian.Uint16(sum)^0x5a5a)
	}
	return frame
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
