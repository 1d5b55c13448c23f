// Command memgen writes the synthetic captures that measure what hsdecode
// holds per connection (scripts/memory.sh): the shapes of traffic that grow
// memory with the number of connections rather than with the bytes.
//
//	memgen syns N FILE     N SYNs to port 443 that are never answered
//	memgen hellos N FILE   N connections that stop halfway through a ClientHello
//	memgen holes N FILE    N connections whose ClientHello lost its first
//	                       half: the second waits, out of order, for it
//	memgen long N FILE     one connection open from the first packet to the
//	                       last, and N short ones the server refuses with an
//	                       alert, all begun after it
//
// Addresses are in 127.0.0.0/8 and the file is only written, never sent.
// Packets are 10 µs apart, so that no connection idles out under the
// default --idle-timeout and only the memory bound limits what is held.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: memgen syns|hellos|holes|long N FILE")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "memgen: N must be a positive number, not %q\n", os.Args[2])
		os.Exit(2)
	}
	f, err := os.Create(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "memgen:", err)
		os.Exit(2)
	}
	w := &writer{bw: bufio.NewWriterSize(f, 1<<20), ts: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	w.pw = pcapgo.NewWriter(w.bw)
	if err := w.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		fmt.Fprintln(os.Stderr, "memgen:", err)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "syns":
		for i := range n {
			c := newConn(i)
			w.send(c, true, syn, nil)
		}
	case "hellos":
		hello := clientHello()
		for i := range n {
			c := newConn(i)
			w.open(c)
			w.send(c, true, ack|psh, hello[:len(hello)/2])
		}
	case "holes":
		hello := clientHello()
		for i := range n {
			c := newConn(i)
			w.open(c)
			c.cseq += uint32(len(hello) / 2) // the first half, lost
			w.send(c, true, ack|psh, hello[len(hello)/2:])
		}
	case "long":
		long := newConn(n)
		w.open(long)
		w.send(long, true, ack|psh, clientHello())
		for i := range n {
			c := newConn(i)
			w.open(c)
			w.send(c, true, ack|psh, clientHello())
			w.send(c, false, ack|psh, alertHandshakeFailure)
			w.send(c, false, ack|rst, nil)
		}
		w.send(long, false, ack|psh, alertHandshakeFailure)
	default:
		fmt.Fprintf(os.Stderr, "memgen: unknown shape %q: syns, hellos, holes or long\n", os.Args[1])
		os.Exit(2)
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	if err := f.Close(); w.err == nil {
		w.err = err
	}
	if w.err != nil {
		fmt.Fprintln(os.Stderr, "memgen:", w.err)
		os.Exit(1)
	}
}

const (
	syn = 1 << iota
	ack
	psh
	rst
)

// conn is one connection's endpoints and where each side's sequence
// numbers stand.
type conn struct {
	client, server net.IP
	cport          uint16
	cseq, sseq     uint32
}

// newConn gives connection i a 4-tuple of its own: 60,000 client ports on
// each of as many client addresses as it takes.
func newConn(i int) *conn {
	return &conn{
		client: net.IPv4(127, 1+byte(i/60000/250), byte(i/60000%250), 1),
		server: net.IPv4(127, 0, 0, 1),
		cport:  uint16(1024 + i%60000),
		cseq:   uint32(i) * 7919,
		sseq:   uint32(i) * 104729,
	}
}

type writer struct {
	bw  *bufio.Writer
	pw  *pcapgo.Writer
	ts  time.Time
	buf gopacket.SerializeBuffer
	err error
}

// open writes the 3-way handshake.
func (w *writer) open(c *conn) {
	w.send(c, true, syn, nil)
	w.send(c, false, syn|ack, nil)
	w.send(c, true, ack, nil)
}

// send writes one segment from the client (or the server) and moves its
// sequence number on.
func (w *writer) send(c *conn, fromClient bool, flags int, payload []byte) {
	if w.err != nil {
		return
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: c.client, DstIP: c.server}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(c.cport), DstPort: 443, Seq: c.cseq, Ack: c.sseq, Window: 65535,
		SYN: flags&syn != 0, ACK: flags&ack != 0, PSH: flags&psh != 0, RST: flags&rst != 0}
	if !fromClient {
		ip.SrcIP, ip.DstIP = c.server, c.client
		tcp.SrcPort, tcp.DstPort, tcp.Seq, tcp.Ack = 443, layers.TCPPort(c.cport), c.sseq, c.cseq
	}
	if !tcp.ACK {
		tcp.Ack = 0
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		w.err = err
		return
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{0, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	if w.buf == nil {
		w.buf = gopacket.NewSerializeBuffer()
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if w.err = gopacket.SerializeLayers(w.buf, opts, eth, ip, tcp, gopacket.Payload(payload)); w.err != nil {
		return
	}
	data := w.buf.Bytes()
	w.err = w.pw.WritePacket(gopacket.CaptureInfo{Timestamp: w.ts, CaptureLength: len(data), Length: len(data)}, data)
	w.ts = w.ts.Add(10 * time.Microsecond)
	n := uint32(len(payload))
	if flags&syn != 0 {
		n++
	}
	if fromClient {
		c.cseq += n
	} else {
		c.sseq += n
	}
}

// alertHandshakeFailure is a TLS 1.2 record holding a fatal
// handshake_failure alert.
var alertHandshakeFailure = []byte{21, 3, 3, 0, 2, 2, 40}

// clientHello is a TLS 1.2 ClientHello record offering one suite and an
// SNI, about 300 bytes like a real one.
func clientHello() []byte {
	sni := []byte("memory.example")
	ext := []byte{0, 0, 0, byte(len(sni) + 5), 0, byte(len(sni) + 3), 0, 0, byte(len(sni))}
	ext = append(ext, sni...)
	pad := make([]byte, 200)
	ext = append(ext, 0, 21, byte(len(pad)>>8), byte(len(pad))) // padding (RFC 7685)
	ext = append(ext, pad...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 0)                   // session id
	body = append(body, 0, 2, 0xc0, 0x2f)    // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	body = append(body, 1, 0)                // null compression
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}
