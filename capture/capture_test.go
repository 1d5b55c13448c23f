package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// got is what a test compares: one line per packet.
type got struct {
	Data string
	TS   time.Time
	Len  int
	Link layers.LinkType
	Intf int
}

var (
	t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	t1 = t0.Add(1500 * time.Millisecond)
)

// writeFile writes b to a file in a fresh temporary directory.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll opens path and reads it to the end, returning the packets and the
// error that ended reading (nil for a clean io.EOF).
func readAll(t *testing.T, path string) ([]got, error) {
	t.Helper()
	s, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var out []got
	for {
		p, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			// The error is sticky: reading on must not resume mid-record.
			if _, again := s.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("second Next after %v returned %v", err, again)
			}
			return out, err
		}
		out = append(out, got{string(p.Data), p.CaptureInfo.Timestamp, p.CaptureInfo.Length, p.LinkType, p.CaptureInfo.InterfaceIndex})
	}
}

// pcapgoFile writes a little-endian microsecond pcap with pcapgo.
func pcapgoFile(t *testing.T, link layers.LinkType, pkts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * 1500 * time.Millisecond), CaptureLength: len(p), Length: len(p) + 10}
		if err := w.WritePacket(ci, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// record is a classic pcap record header and data, written by hand.
type record struct {
	sec, frac, caplen, length uint32
	data                      string
}

// classicFile writes a pcap file by hand, in either byte order, with the
// given magic (which also sets the timestamp resolution).
func classicFile(order binary.ByteOrder, magic, snaplen uint32, link layers.LinkType, recs ...record) []byte {
	b := make([]byte, 24)
	order.PutUint32(b[0:], magic)
	order.PutUint16(b[4:], 2)
	order.PutUint16(b[6:], 4)
	order.PutUint32(b[16:], snaplen)
	order.PutUint32(b[20:], uint32(link))
	for _, r := range recs {
		h := make([]byte, 16)
		order.PutUint32(h[0:], r.sec)
		order.PutUint32(h[4:], r.frac)
		order.PutUint32(h[8:], r.caplen)
		order.PutUint32(h[12:], r.length)
		b = append(append(b, h...), r.data...)
	}
	return b
}

func rec(sec, frac uint32, data string) record {
	return record{sec, frac, uint32(len(data)), uint32(len(data)), data}
}

func TestClassicFormats(t *testing.T) {
	sec := uint32(t0.Unix())
	want := []got{
		{Data: "first", TS: time.Unix(int64(sec), 123456000).UTC(), Len: 5, Link: layers.LinkTypeEthernet},
		{Data: "second!", TS: time.Unix(int64(sec)+1, 999999000).UTC(), Len: 7, Link: layers.LinkTypeEthernet},
	}
	wantNano := []got{
		{Data: "first", TS: time.Unix(int64(sec), 123456789).UTC(), Len: 5, Link: layers.LinkTypeLinuxSLL},
		{Data: "second!", TS: time.Unix(int64(sec)+1, 999999999).UTC(), Len: 7, Link: layers.LinkTypeLinuxSLL},
	}
	micro := []record{rec(sec, 123456, "first"), rec(sec+1, 999999, "second!")}
	nano := []record{rec(sec, 123456789, "first"), rec(sec+1, 999999999, "second!")}
	tests := []struct {
		name string
		file []byte
		want []got
	}{
		{"little-endian micro by pcapgo", pcapgoFile(t, layers.LinkTypeEthernet, "first", "second!"), []got{
			{Data: "first", TS: t0, Len: 15, Link: layers.LinkTypeEthernet},
			{Data: "second!", TS: t1, Len: 17, Link: layers.LinkTypeEthernet},
		}},
		{"little-endian micro", classicFile(binary.LittleEndian, magicMicro, 65535, layers.LinkTypeEthernet, micro...), want},
		{"big-endian micro", classicFile(binary.BigEndian, magicMicro, 65535, layers.LinkTypeEthernet, micro...), want},
		{"little-endian nano", classicFile(binary.LittleEndian, magicNano, 65535, layers.LinkTypeLinuxSLL, nano...), wantNano},
		{"big-endian nano", classicFile(binary.BigEndian, magicNano, 65535, layers.LinkTypeLinuxSLL, nano...), wantNano},
		{"header only", classicFile(binary.BigEndian, magicMicro, 65535, layers.LinkTypeEthernet), nil},
		{"snap length 0 means unset", classicFile(binary.LittleEndian, magicMicro, 0, layers.LinkTypeEthernet, micro...), want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, err := readAll(t, writeFile(t, "x.pcap", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, pkts); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPcapngMixedLinkTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkTypeRaw
	raw, err := w.AddInterface(intf)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []struct {
		intf int
		data string
	}{{0, "ether"}, {raw, "raw ip"}, {0, "ether again"}} {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(p.data), Length: len(p.data), InterfaceIndex: p.intf}
		if err := w.WritePacket(ci, []byte(p.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	pkts, err := readAll(t, writeFile(t, "x.pcapng", buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []got{
		{Data: "ether", TS: t0, Len: 5, Link: layers.LinkTypeEthernet},
		{Data: "raw ip", TS: t0.Add(time.Second), Len: 6, Link: layers.LinkTypeRaw, Intf: 1},
		{Data: "ether again", TS: t0.Add(2 * time.Second), Len: 11, Link: layers.LinkTypeEthernet},
	}
	if diff := cmp.Diff(want, pkts); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
}

// ngFile writes a little-endian pcapng file with one Ethernet interface of
// the given snap length.
func ngFile(t *testing.T, snaplen uint32, pkts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkTypeEthernet
	intf.SnapLength = snaplen
	w, err := pcapgo.NewNgWriterInterface(&buf, intf, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(p), Length: len(p)}
		if err := w.WritePacket(ci, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setLastNgCaplen overwrites the capture length of the last block of a
// pcapng file written by ngFile, which must be an enhanced packet block.
func setLastNgCaplen(b []byte, caplen uint32) []byte {
	blockLen := binary.LittleEndian.Uint32(b[len(b)-4:])
	start := len(b) - int(blockLen)
	binary.LittleEndian.PutUint32(b[start+20:], caplen)
	return b
}

func TestBrokenFiles(t *testing.T) {
	sec := uint32(t0.Unix())
	good := classicFile(binary.LittleEndian, magicMicro, 100, layers.LinkTypeEthernet, rec(sec, 0, "first"), rec(sec, 1, "second packet"))
	first := []got{{Data: "first", TS: time.Unix(int64(sec), 0).UTC(), Len: 5, Link: layers.LinkTypeEthernet}}
	ng := ngFile(t, 0, "first", "second packet")
	ngFirst := []got{{Data: "first", TS: t0, Len: 5, Link: layers.LinkTypeEthernet}}

	tests := []struct {
		name    string
		file    []byte
		want    []got
		is      error
		message string // %s is the path
	}{
		{
			name: "truncated in packet data", file: good[:len(good)-3], want: first, is: ErrTruncated,
			message: "capture: %s: packet 2: truncated capture",
		},
		{
			name: "truncated before packet data", file: good[:len(good)-len("second packet")], want: first, is: ErrTruncated,
			message: "capture: %s: packet 2: truncated capture",
		},
		{
			name: "truncated in record header", file: good[:24+16+5+7], want: first, is: ErrTruncated,
			message: "capture: %s: packet 2: truncated capture",
		},
		{
			name: "truncated file header", file: good[:20], is: ErrTruncated,
			message: "capture: %s: file header: truncated capture",
		},
		{
			name: "capture length beyond the limit",
			file: classicFile(binary.LittleEndian, magicMicro, 0xffffffff, layers.LinkTypeEthernet, rec(sec, 0, "first"), record{sec, 0, 1 << 30, 1 << 30, "tiny"}),
			want: first, is: ErrBadLength,
			message: "capture: %s: packet 2: impossible capture length: 1073741824 bytes exceeds the limit of 262144",
		},
		{
			name:    "capture length beyond the bytes present",
			file:    classicFile(binary.LittleEndian, magicMicro, 65535, layers.LinkTypeEthernet, record{sec, 0, 5000, 5000, "short"}),
			is:      ErrTruncated,
			message: "capture: %s: packet 1: truncated capture",
		},
		{
			name: "pcapng truncated", file: ng[:len(ng)-10], want: ngFirst, is: ErrTruncated,
			message: "capture: %s: packet 2: truncated capture",
		},
		{
			name: "pcapng capture length beyond the bytes present", file: setLastNgCaplen(ngFile(t, 0, "first", "second"), 1<<30), want: ngFirst, is: ErrTruncated,
			message: "capture: %s: packet 2: truncated capture",
		},
		{
			name: "pcapng capture length beyond the limit", file: ngFile(t, 0, "first", strings.Repeat("x", MaxCaptureLength+1)), want: ngFirst, is: ErrBadLength,
			message: "capture: %s: packet 2: impossible capture length: 262145 bytes exceeds the limit of 262144",
		},
		{
			name: "garbage", file: []byte("hello, world\n"), is: ErrNotCapture,
			message: "capture: %s: not a pcap or pcapng file (magic 0x68656c6c)",
		},
		{
			name: "too short", file: []byte{0xd4, 0xc3}, is: ErrNotCapture,
			message: "capture: %s: not a pcap or pcapng file (only 2 bytes)",
		},
		{
			name: "empty", file: nil, is: ErrNotCapture,
			message: "capture: %s: empty file: not a pcap or pcapng file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "x.pcap", tt.file)
			pkts, err := readAll(t, path)
			if diff := cmp.Diff(tt.want, pkts); diff != "" {
				t.Errorf("packets before the error (-want +got):\n%s", diff)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
			if want := fmt.Sprintf(tt.message, path); err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err, want)
			}
		})
	}
}

// TestLengthsReadAsWritten: a record longer than the file's snap length,
// or than the packet was, is read as it is, as Wireshark reads it; only
// the limit stops a file (TestBrokenFiles).
func TestLengthsReadAsWritten(t *testing.T) {
	sec := uint32(t0.Unix())
	ts := time.Unix(int64(sec), 0).UTC()
	long := strings.Repeat("x", 101)
	tests := []struct {
		name string
		file []byte
		want []got
	}{
		{
			name: "beyond the snap length",
			file: classicFile(binary.BigEndian, magicMicro, 100, layers.LinkTypeEthernet, record{sec, 0, 101, 101, long}, rec(sec, 1, "next")),
			want: []got{{Data: long, TS: ts, Len: 101, Link: layers.LinkTypeEthernet}, {Data: "next", TS: ts.Add(time.Microsecond), Len: 4, Link: layers.LinkTypeEthernet}},
		},
		{
			name: "beyond the original length",
			file: classicFile(binary.LittleEndian, magicMicro, 65535, layers.LinkTypeEthernet, record{sec, 0, 5, 4, "short"}),
			want: []got{{Data: "short", TS: ts, Len: 4, Link: layers.LinkTypeEthernet}},
		},
		{
			name: "the limit, beyond a snap length",
			file: classicFile(binary.LittleEndian, magicMicro, 1500, layers.LinkTypeEthernet, record{sec, 0, MaxCaptureLength, MaxCaptureLength, strings.Repeat("y", MaxCaptureLength)}),
			want: []got{{Data: strings.Repeat("y", MaxCaptureLength), TS: ts, Len: MaxCaptureLength, Link: layers.LinkTypeEthernet}},
		},
		{
			name: "pcapng beyond the snap length",
			file: ngFile(t, 8, "first", "too long for it"),
			want: []got{{Data: "first", TS: t0, Len: 5, Link: layers.LinkTypeEthernet}, {Data: "too long for it", TS: t0, Len: 15, Link: layers.LinkTypeEthernet}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, err := readAll(t, writeFile(t, "x.pcap", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, pkts); d != "" {
				t.Errorf("packets (-want +got):\n%s", d)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pcap")
	_, err := OpenFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v is not fs.ErrNotExist", err)
	}
	if want := "capture: open " + path + ": no such file or directory"; err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err, want)
	}
}

// A hostile length must cost neither the length in memory nor a read of
// that many bytes.
func TestLyingLengthAllocatesLittle(t *testing.T) {
	sec := uint32(t0.Unix())
	path := writeFile(t, "x.pcap", classicFile(binary.LittleEndian, magicMicro, 0xffffffff, layers.LinkTypeEthernet, record{sec, 0, 0xfffffff0, 0xfffffff0, "tiny"}))
	allocs := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			s, err := OpenFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Next(); !errors.Is(err, ErrBadLength) {
				b.Fatalf("error %v is not ErrBadLength", err)
			}
			s.Close()
		}
	}).AllocedBytesPerOp()
	if allocs > 1<<20 {
		t.Errorf("opening and reading a lying file allocated %d bytes", allocs)
	}
}

func TestStandardInput(t *testing.T) {
	f, err := os.Open(writeFile(t, "x.pcap", pcapgoFile(t, layers.LinkTypeEthernet, "from stdin")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	pkts, err := readAll(t, "-")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 1 || pkts[0].Data != "from stdin" {
		t.Errorf("packets %+v", pkts)
	}
	// Closing the source must leave standard input open.
	if _, err := f.Stat(); err != nil {
		t.Errorf("standard input closed: %v", err)
	}

	os.Stdin = writeEmpty(t)
	if _, err := OpenFile("-"); err == nil || err.Error() != "capture: standard input: empty file: not a pcap or pcapng file" {
		t.Errorf("error %v", err)
	}
}

func writeEmpty(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(writeFile(t, "empty", nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
