package main

// Hostile lengths through the whole pipeline: capture file -> reassembly ->
// decode -> flows -> report. Each bad connection gets its violation, costs
// no memory of the size its lengths claim, and changes nothing for the
// good connections captured at the same time.

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// segment is one synthetic TCP packet.
type segment struct {
	client     bool
	syn, ack   bool
	seq, ack32 uint32
	data       []byte
}

// synthConn is a connection built packet by packet: a handshake and then
// the given payloads, each side's sequence numbers kept.
type synthConn struct {
	cli, srv net.IP
	cport    uint16
	segs     []segment
	cseq     uint32
	sseq     uint32
}

func newSynthConn(cport uint16) *synthConn {
	c := &synthConn{cli: net.IPv4(10, 9, 0, 1), srv: net.IPv4(10, 9, 0, 2), cport: cport, cseq: 1000, sseq: 5000}
	c.segs = append(c.segs,
		segment{client: true, syn: true, seq: c.cseq},
		segment{client: false, syn: true, ack: true, seq: c.sseq, ack32: c.cseq + 1},
		segment{client: true, ack: true, seq: c.cseq + 1, ack32: c.sseq + 1})
	c.cseq++
	c.sseq++
	return c
}

func (c *synthConn) send(client bool, data []byte) {
	if client {
		c.segs = append(c.segs, segment{client: true, ack: true, seq: c.cseq, ack32: c.sseq, data: data})
		c.cseq += uint32(len(data))
	} else {
		c.segs = append(c.segs, segment{client: false, ack: true, seq: c.sseq, ack32: c.cseq, data: data})
		c.sseq += uint32(len(data))
	}
}

func (c *synthConn) frame(t *testing.T, s segment) []byte {
	src, dst, sp, dp := c.cli, c.srv, c.cport, uint16(443)
	if !s.client {
		src, dst, sp, dp = dst, src, dp, sp
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{0, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: s.seq, Ack: s.ack32, SYN: s.syn, ACK: s.ack, PSH: len(s.data) > 0, Window: 65535}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(s.data)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func tlsRecord(typ byte, body []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

func handshakeMsg(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// plainClientHello and plainServerHello are minimal TLS 1.2 hellos.
func plainClientHello() []byte {
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0xc0, 0x2f, 1, 0)
	return tlsRecord(22, handshakeMsg(1, body))
}

func plainServerHello() []byte {
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, 0, 0xc0, 0x2f, 0)
	return handshakeMsg(2, body)
}

// writePcap merges the good capture's packets with the synthetic
// connections' packets, one synthetic packet after each good one, all at
// the good packets' times.
func writePcap(t *testing.T, good string, conns []*synthConn) string {
	src, err := capture.OpenFile(good)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "hostile.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	var pending [][]byte
	for _, c := range conns {
		for _, s := range c.segs {
			pending = append(pending, c.frame(t, s))
		}
	}
	write := func(ts time.Time, data []byte) {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}, data); err != nil {
			t.Fatal(err)
		}
	}
	var last time.Time
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		if p.LinkType != layers.LinkTypeEthernet {
			t.Fatalf("%s: link type %s", good, p.LinkType)
		}
		write(p.CaptureInfo.Timestamp, p.Data)
		last = p.CaptureInfo.Timestamp
		// Interleave the synthetic connections round-robin.
		if len(pending) > 0 {
			write(p.CaptureInfo.Timestamp, pending[0])
			pending = pending[1:]
		}
	}
	for _, d := range pending {
		last = last.Add(time.Microsecond)
		write(last, d)
	}
	return path
}

// TestHostileLengthsThroughPipeline: a 16 MB handshake length, a 2^24-1
// certificate_list length and a 64 KiB record length, each in its own
// connection among good ones.
func TestHostileLengthsThroughPipeline(t *testing.T) {
	const good = "../../testdata/pcaps/01-tls12-ecdhe-rsa.pcap"

	// A ClientHello whose handshake header claims 16 MB - 1.
	bigHS := newSynthConn(40001)
	bigHS.send(true, tlsRecord(22, []byte{1, 0xff, 0xff, 0xff}))

	// A server Certificate message of 7 bytes whose certificate_list
	// claims 2^24-1 bytes.
	bigList := newSynthConn(40002)
	bigList.send(true, plainClientHello())
	bigList.send(false, tlsRecord(22, append(plainServerHello(), handshakeMsg(11, []byte{0xff, 0xff, 0xff, 0, 0, 1, 0x30})...)))

	// A record header claiming 65535 bytes (the limit is 2^14 + 2048).
	bigRec := newSynthConn(40003)
	bigRec.send(true, []byte{22, 3, 1, 0xff, 0xff, 1, 0, 0, 0})

	// The same 16 MB handshake length spread over records of one byte.
	split := newSynthConn(40004)
	for _, b := range []byte{1, 0xff, 0xff, 0xff} {
		split.send(true, tlsRecord(22, []byte{b}))
	}

	path := writePcap(t, good, []*synthConn{bigHS, bigList, bigRec, split})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	an, err := analyze(path, flows.Options{}, reassembly.Options{MaxBufferedBytes: 512 << 20})
	runtime.ReadMemStats(&after)
	if err != nil || an.readErr != nil {
		t.Fatalf("analyze: %v %v", err, an.readErr)
	}
	// The good capture alone is a few KB; a decoder that believed one of
	// the lengths would allocate 16 MB.
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 8<<20 {
		t.Errorf("the run allocated %d bytes", alloc)
	}
	t.Logf("the whole run allocated %d bytes", alloc)

	want := map[uint16]struct {
		from   flows.Role
		code   flows.Code
		detail string
	}{
		40001: {flows.Client, flows.CodeMalformedHandshake, "client_hello length 16777215 exceeds 262144"},
		40002: {flows.Server, flows.CodeMalformedHandshake, "certificate_list length 16777215 exceeds 262141"},
		40003: {flows.Client, flows.CodeRecordOverflow, "record length 65535 exceeds 18432"},
		40004: {flows.Client, flows.CodeMalformedHandshake, "client_hello length 16777215 exceeds 262144"},
	}
	seen := 0
	var goodResults []flows.Result
	for _, r := range an.results {
		w, ok := want[r.Client.Port()]
		if !ok {
			goodResults = append(goodResults, r)
			continue
		}
		seen++
		if r.Outcome != flows.OutcomeViolation || len(r.Violations) != 1 {
			t.Errorf("port %d: outcome %s, violations %+v", r.Client.Port(), r.Outcome, r.Violations)
			continue
		}
		v := r.Violations[0]
		if v.From != w.from || v.Code != w.code || !strings.Contains(v.Detail, w.detail) {
			t.Errorf("port %d: violation %+v, want %s %s %q", r.Client.Port(), v, w.from, w.code, w.detail)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d hostile connections reported", seen, len(want))
	}

	// The good connections' reports are those of the good capture alone.
	alone, err := analyze(good, flows.Options{}, reassembly.Options{MaxBufferedBytes: 512 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(goodResults) != len(alone.results) || len(goodResults) == 0 {
		t.Fatalf("%d good results among the hostile ones, %d alone", len(goodResults), len(alone.results))
	}
	for i := range goodResults {
		a, b := reportJSON(t, &goodResults[i]), reportJSON(t, &alone.results[i])
		if !bytes.Equal(a, b) {
			t.Errorf("good connection %d differs among hostile ones:\n%s\nalone:\n%s", i, a, b)
		}
	}
}

// reportJSON is the JSON line of a result.
func reportJSON(t *testing.T, r *flows.Result) []byte {
	var b bytes.Buffer
	if err := report.NewJSONWriter(&b).Write(r, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLyingCaptureHeader: a capture file whose packet header claims more
// bytes than any packet has (capture.MaxCaptureLength) is one error line
// and exit status 2, and costs no allocation of the claimed size. (capture's
// own tests cover every form; this is the command's view.)
func TestLyingCaptureHeader(t *testing.T) {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], uint32(layers.LinkTypeEthernet))
	b.Write(hdr)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[8:], 0xfffffff0)  // captured length
	binary.LittleEndian.PutUint32(rec[12:], 0xfffffff0) // original length
	b.Write(rec)
	b.WriteString("tiny")
	path := filepath.Join(t.TempDir(), "lying.pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out, errb bytes.Buffer
	status := run([]string{"-r", path}, &out, &errb)
	runtime.ReadMemStats(&after)
	if status != exitError {
		t.Errorf("exit %d, want %d", status, exitError)
	}
	if got := strings.TrimSpace(errb.String()); !strings.Contains(got, "impossible capture length") || strings.Count(got, "\n") != 0 {
		t.Errorf("stderr %q, want one line about the impossible length", got)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("reading the lying file allocated %d bytes", alloc)
	}
}

// TestLengthsAsWritten: a capture whose header's snap length is shorter
// than its records, and whose records are longer than the packets were, is
// reported as the same capture with true lengths is (tshark reads it too).
func TestLengthsAsWritten(t *testing.T) {
	orig := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	b, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap", orig)
	}
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[16:], 64) // snap length
	for at := 24; at+16 <= len(b); {
		caplen := binary.LittleEndian.Uint32(b[at+8:])
		binary.LittleEndian.PutUint32(b[at+12:], caplen/2) // original length
		at += 16 + int(caplen)
	}
	path := filepath.Join(t.TempDir(), "lengths.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var want, out, errb bytes.Buffer
	if status := run([]string{"--format", "json", orig}, &want, &errb); status != exitOK {
		t.Fatalf("%s: exit %d: %s", orig, status, errb.String())
	}
	status := run([]string{"--format", "json", path}, &out, &errb)
	if status != exitOK || errb.Len() > 0 {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", status, errb.String())
	}
	if out.String() != want.String() {
		t.Errorf("report differs from the capture's with true lengths:\n got %s\nwant %s", out.String(), want.String())
	}
}
