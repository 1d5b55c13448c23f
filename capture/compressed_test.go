package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ulikunitzxz "github.com/ulikunitz/xz"
)

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// countPackets opens data as a file would be and returns its packets' count and
// the error that ended them (nil at a clean end).
func countPackets(t *testing.T, data []byte) (int, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "capture")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for {
		if _, err := src.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

// plainCapture returns a bundled capture and its packet count.
func plainCapture(t *testing.T) ([]byte, int) {
	t.Helper()
	plain, err := os.ReadFile("../testdata/pcaps/12-tls13-full.pcap")
	if err != nil {
		t.Fatal(err)
	}
	n, err := countPackets(t, plain)
	if err != nil {
		t.Fatal(err)
	}
	return plain, n
}

// TestCompressedErrors: compressed data cut short is a truncated capture
// after the packets before the cut; corrupt data, a capture compressed
// twice, and a zstd window beyond MaxZstdWindow are errors that name the
// compression.
func TestCompressedErrors(t *testing.T) {
	plain, want := plainCapture(t)
	gz := gzipped(t, plain)
	if n, err := countPackets(t, gz); n != want || err != nil {
		t.Fatalf("gzip: %d packets, %v; want %d", n, err, want)
	}
	n, err := countPackets(t, gz[:len(gz)-4])
	if !errors.Is(err, ErrTruncated) || n != want || !strings.Contains(err.Error(), "gzip: truncated capture") {
		t.Errorf("gzip without its last bytes: %d packets, %v; want %d, then a truncated capture", n, err, want)
	}
	if n, err := countPackets(t, gz[:len(gz)/2]); !errors.Is(err, ErrTruncated) || n == 0 || n == want {
		t.Errorf("half a gzip file: %d packets, %v; want some, then a truncated capture", n, err)
	}
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-6] ^= 0xff // the CRC-32 of the data
	if _, err := countPackets(t, corrupt); !errors.Is(err, ErrCompressed) || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("gzip with a wrong checksum: %v", err)
	}
	if _, err := countPackets(t, gzipped(t, gz)); !errors.Is(err, ErrNotCapture) || !strings.Contains(err.Error(), "(gzip)") {
		t.Errorf("gzip twice: %v, want not a capture", err)
	}
	// A zstd frame header asking for a 256 MiB window (RFC 8878,
	// 3.1.1.1.2: Exponent 18), which the decoder's default (512 MiB)
	// allows, then a raw block of a pcap magic number.
	huge := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 18 << 3, 0x21, 0x00, 0x00, 0xd4, 0xc3, 0xb2, 0xa1}
	if _, err := countPackets(t, huge); !errors.Is(err, ErrCompressed) || !strings.Contains(err.Error(), "zstd") {
		t.Errorf("zstd with a 256 MiB window: %v", err)
	}
}

// TestXzDictionaryBound: an xz file whose block header names a dictionary
// over MaxXzDictionary is refused with the way around it; cut short, an xz
// file is a truncated capture after the packets before the cut.
func TestXzDictionaryBound(t *testing.T) {
	plain, want := plainCapture(t)
	var b bytes.Buffer
	w, err := ulikunitzxz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := b.Bytes()
	if n, err := countPackets(t, file); n != want || err != nil {
		t.Fatalf("xz: %d packets, %v; want %d", n, err, want)
	}
	if n, err := countPackets(t, file[:len(file)/2]); !errors.Is(err, ErrTruncated) || n == 0 || n == want {
		t.Errorf("half an xz file: %d packets, %v; want some, then a truncated capture", n, err)
	}
	// The block header follows the 12-byte stream header: its size byte,
	// flags, then the LZMA2 filter (ID 0x21, one byte of properties: the
	// dictionary size, 40 for 4 GiB), padding and a CRC-32 of the rest
	// (xz file format, 3.1).
	huge := bytes.Clone(file)
	hdr := huge[12 : 12+(int(huge[12])+1)*4]
	i := bytes.Index(hdr, []byte{0x21, 0x01})
	if i < 0 {
		t.Fatalf("no LZMA2 filter in the block header %x", hdr)
	}
	hdr[i+2] = 40
	binary.LittleEndian.PutUint32(hdr[len(hdr)-4:], crc32.ChecksumIEEE(hdr[:len(hdr)-4]))
	if _, err := countPackets(t, huge); !errors.Is(err, ErrCompressed) || !strings.Contains(err.Error(), "xz -dc FILE | hsdecode -r -") {
		t.Errorf("xz naming a 4 GiB dictionary: %v", err)
	}
}
