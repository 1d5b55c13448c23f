package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Packet is one captured packet. Data is valid until the next call to Next.
type Packet struct {
	Data        []byte
	CaptureInfo gopacket.CaptureInfo
	LinkType    layers.LinkType
}

// Source is a stream of packets.
type Source interface {
	// Next returns the next packet, io.EOF at the clean end of the input,
	// or an error that stops the run; once it returns an error it returns
	// the same error again.
	Next() (Packet, error)
	Close() error
}

// Sentinels for errors.Is.
var (
	// ErrTruncated reports a capture that ends in the middle of a header
	// or a packet.
	ErrTruncated = errors.New("truncated capture")
	// ErrNotCapture reports input that is neither pcap nor pcapng.
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	// ErrBadLength reports a record whose capture length cannot be true.
	ErrBadLength = errors.New("impossible capture length")
)

// MaxCaptureLength is the longest packet record accepted: libpcap's
// MAXIMUM_SNAPLEN. A longer record is a corrupt or hostile length field,
// and refusing it keeps a few bytes of input from costing a huge buffer.
const MaxCaptureLength = 256 << 10

// readBufferSize is large enough that pcapgo reuses our bufio.Reader
// instead of wrapping it in its own (bufio.NewReaderSize returns a Reader
// that is already at least as large), which lets us peek at record headers
// before pcapgo allocates for them.
const readBufferSize = 64 << 10

// Magic numbers, as the first four bytes of the file read little-endian.
const (
	magicMicro     = 0xa1b2c3d4
	magicNano      = 0xa1b23c4d
	magicMicroSwap = 0xd4c3b2a1
	magicNanoSwap  = 0x4d3cb2a1
	magicPcapng    = 0x0a0d0d0a // section header block type, a palindrome
)

// OpenFile opens a pcap or pcapng file; "-" reads standard input.
func OpenFile(path string) (Source, error) {
	return Open(path, FileOptions{})
}

// Open opens a pcap or pcapng file as OpenFile does, with options.
func Open(path string, o FileOptions) (Source, error) {
	name := path
	var f *os.File
	if path == "-" {
		name = "standard input"
		f = os.Stdin
	} else {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("capture: %w", err) // *PathError says "open <path>: ..."
		}
	}
	fi, err := f.Stat()
	stream := err == nil && !fi.Mode().IsRegular()
	s, err := newSource(name, f, bufio.NewReaderSize(f, readBufferSize), stream, o)
	if err != nil {
		if f != os.Stdin {
			f.Close()
		}
		return nil, err
	}
	return s, nil
}

// newSource reads a capture from br, the start of the file f (nil in
// tests), decompressing it first when it is compressed (compressed.go).
func newSource(name string, f *os.File, raw *bufio.Reader, stream bool, o FileOptions) (Source, error) {
	br, comp, closer, err := decompress(raw)
	if err != nil {
		return nil, fmt.Errorf("capture: %s: %w", name, err)
	}
	base := fileSource{name: name, f: f, raw: raw, br: br, stream: stream, compression: comp, closeDecoder: closer}
	if o.Filter != "" {
		base.filter = &fileFilter{expr: o.Filter, snaplen: MaxCaptureLength, compiled: map[layers.LinkType]matcher{}}
	}
	s, err := newDecompressedSource(base)
	if err != nil && closer != nil {
		closer()
	}
	return s, err
}

func newDecompressedSource(base fileSource) (Source, error) {
	name, br := base.name, base.br
	if base.compression != "" {
		name += " (" + base.compression + ")"
	}
	head, err := br.Peek(4)
	if len(head) < 4 {
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("capture: %s: %w", base.name, err)
		}
		if len(head) == 0 {
			return nil, fmt.Errorf("capture: %s: empty file: %w", name, ErrNotCapture)
		}
		return nil, fmt.Errorf("capture: %s: %w (only %d bytes)", name, ErrNotCapture, len(head))
	}
	switch magic := binary.LittleEndian.Uint32(head); magic {
	case magicMicro, magicNano, magicMicroSwap, magicNanoSwap:
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, base.headerError(err)
		}
		// pcapgo has read and checked the file header; the records are
		// read here, in large chunks that batches point into (pcap.go).
		if base.filter != nil && r.Snaplen() > 0 && r.Snaplen() <= MaxCaptureLength {
			base.filter.snaplen = int(r.Snaplen())
		}
		s := &pcapSource{fileSource: base, link: r.LinkType(), order: binary.LittleEndian, nanoFactor: 1000}
		if magic == magicMicroSwap || magic == magicNanoSwap {
			s.order = binary.BigEndian
		}
		if magic == magicNano || magic == magicNanoSwap {
			s.nanoFactor = 1
		}
		return s, nil
	case magicPcapng:
		// pcapgo reads the file through the scanner, with a buffer of
		// its own: the scanner sees each block before pcapgo parses it.
		scan := &secretsScanner{r: br, limit: MaxSecretsLength}
		r, err := pcapgo.NewNgReader(bufio.NewReaderSize(scan, readBufferSize), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, base.headerError(err)
		}
		return &ngSource{fileSource: base, r: r, scan: scan}, nil
	default:
		return nil, fmt.Errorf("capture: %s: %w (magic 0x%08x)", name, ErrNotCapture, binary.BigEndian.Uint32(head))
	}
}

// fileSource holds what both formats share: the file, its name for error
// messages, the count of packets returned and the error that ended reading.
type fileSource struct {
	name   string
	f      *os.File
	raw    *bufio.Reader // the file's bytes
	br     *bufio.Reader // the capture's: raw's, or what they decompress to
	n      int           // packets read so far: returned, or skipped by filter
	err    error
	stream bool // a pipe or other non-regular file: it may not end soon
	// compression names what the file was compressed with ("gzip",
	// "zstd", "xz", "lz4"), "" for none; closeDecoder frees its decoder,
	// nil when nothing needs to.
	compression  string
	closeDecoder func() error
	filter       *fileFilter // nil without one
}

// Stream reports whether the file is a stream (a pipe, a FIFO, a
// terminal) rather than a regular file: one whose end may be hours away,
// whose packets are returned as soon as they are whole, and whose report
// should not wait for it.
func (s *fileSource) Stream() bool { return s.stream }

func (s *fileSource) Close() error {
	if s.closeDecoder != nil {
		s.closeDecoder()
	}
	if s.f == os.Stdin || s.f == nil {
		return nil
	}
	return s.f.Close()
}

func (s *fileSource) headerError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("capture: %s: file header: %w", s.name, ErrTruncated)
	}
	return fmt.Errorf("capture: %s: file header: %w", s.name, err)
}

// fail records the error that ends the input; err is io.EOF at a clean end.
// pcapgo reports a record cut short as io.ErrUnexpectedEOF, or as io.EOF
// when not one byte of the packet data is there.
func (s *fileSource) fail(err error, clean bool) error {
	switch {
	case err == io.EOF && clean:
		s.err = io.EOF
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.err = fmt.Errorf("capture: %s: packet %d: %w", s.name, s.n+1, ErrTruncated)
	default:
		s.err = fmt.Errorf("capture: %s: packet %d: %w", s.name, s.n+1, err)
	}
	return s.err
}

// badLength records the error of packet num, whose capture length cannot
// be true.
func (s *fileSource) badLength(num int, caplen uint64, why string, limit uint64) error {
	s.err = fmt.Errorf("capture: %s: packet %d: %w: %d bytes exceeds %s of %d", s.name, num, ErrBadLength, caplen, why, limit)
	return s.err
}

// ngSource reads pcapng.
type ngSource struct {
	fileSource
	r    *pcapgo.NgReader
	scan *secretsScanner
}

func (s *ngSource) Next() (Packet, error) {
	if s.err != nil {
		return Packet{}, s.err
	}
	// pcapgo reads a block only as far as it needs: a packet block whose
	// length lies ends in io.ErrUnexpectedEOF, and it allocates no more than
	// MaxCaptureLength ahead of the bytes actually read (pcapgo/readfull.go),
	// so lengths can only be checked once the packet is read.
	for {
		data, ci, err := s.r.ZeroCopyReadPacketData()
		if err != nil {
			return Packet{}, s.fail(err, true)
		}
		if ci.CaptureLength > MaxCaptureLength {
			return Packet{}, s.badLength(s.n+1, uint64(ci.CaptureLength), "the limit", MaxCaptureLength)
		}
		// A packet longer than its interface's snap length is read as it is,
		// as in classic pcap (pcap.go).
		// With WantMixedLinkType, pcapgo puts the packet's link type in
		// AncillaryData[0] (pcapgo/ngread.go readPacketHeader); the slice is
		// pcapgo's and reused, so it is not passed on.
		link, _ := ci.AncillaryData[0].(layers.LinkType)
		ci.AncillaryData = nil
		if s.filter != nil {
			keep, err := s.filter.keep(link, ci, data)
			if err != nil {
				return Packet{}, s.fail(err, false)
			}
			if !keep {
				s.n++
				continue
			}
		}
		s.n++
		return Packet{Data: data, CaptureInfo: ci, LinkType: link}, nil
	}
}
