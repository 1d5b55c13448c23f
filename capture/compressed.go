package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/therootcompany/xz"
)

// Compressed captures are read as Wireshark reads them: the compression is
// told by the file's first bytes, never by its name, and undone as the
// file is read, one level deep (a capture compressed twice is not a
// capture). Each format's magic number is in its specification: gzip RFC
// 1952, section 2.3.1; zstd RFC 8878, section 3.1.1; xz's file format,
// section 2.1.1.1; lz4's frame format, and its legacy frame.
var compressions = []struct {
	name  string
	magic []byte
	open  func(io.Reader) (io.Reader, func() error, error)
}{
	{"gzip", []byte{0x1f, 0x8b}, openGzip},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, openZstd},
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, openXz},
	{"lz4", []byte{0x04, 0x22, 0x4d, 0x18}, openLz4},
	{"lz4", []byte{0x02, 0x21, 0x4c, 0x18}, openLz4},
}

// MaxZstdWindow bounds the history a zstd file may ask the decoder to
// keep: 128 MiB, the limit of the zstd tool itself unless told --long or
// --memory. A file that asks more is refused, not allocated for. gzip's
// window is 32 KiB, lz4's blocks at most 4 MiB.
const MaxZstdWindow = 128 << 20

// MaxXzDictionary bounds the LZMA2 dictionary an xz file may name: 64
// MiB, what xz -9 and -9e name, the largest of the xz tool's presets. A
// file that names more (xz --lzma2=dict=...) is refused before anything
// is allocated for it: ulikunitz/xz, used before, took any size a block
// header named, up to 4 GiB.
const MaxXzDictionary = 64 << 20

// ErrCompressed reports compressed data that does not decompress; data
// cut short is ErrTruncated, as an uncompressed capture's.
var ErrCompressed = errors.New("bad compressed data")

func openGzip(r io.Reader) (io.Reader, func() error, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	return z, z.Close, nil
}

func openZstd(r io.Reader) (io.Reader, func() error, error) {
	// One goroutine and the small buffers: a capture is read once, in
	// order, and the pipeline's workers have the cores.
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(MaxZstdWindow), zstd.WithDecoderMaxWindow(MaxZstdWindow))
	if err != nil {
		return nil, nil, err
	}
	return d, func() error { d.Close(); return nil }, nil
}

func openXz(r io.Reader) (io.Reader, func() error, error) {
	x, err := xz.NewReader(r, MaxXzDictionary)
	if err != nil {
		return nil, nil, xzError(err)
	}
	return xzReader{x}, nil, nil
}

// xzReader gives xz's errors the meaning the other decoders' have.
type xzReader struct{ r *xz.Reader }

func (x xzReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	return n, xzError(err)
}

// xzError: the decoder says ErrBuf when it can make no progress, which
// once its input is all read means the data ends early; and a dictionary
// over the bound gets the way around it.
func xzError(err error) error {
	switch {
	case errors.Is(err, xz.ErrBuf):
		return io.ErrUnexpectedEOF
	case errors.Is(err, xz.ErrMemlimit):
		return fmt.Errorf("its dictionary is over %d MiB: decompress it first, xz -dc FILE | hsdecode -r -", MaxXzDictionary>>20)
	}
	return err
}

func openLz4(r io.Reader) (io.Reader, func() error, error) {
	z := lz4.NewReader(r)
	if err := z.Apply(lz4.ConcurrencyOption(1)); err != nil {
		return nil, nil, err
	}
	return z, nil, nil
}

// decompressor reads what a compressed file holds, and says which
// compression an error is about.
type decompressor struct {
	r    io.Reader
	name string
}

func (d *decompressor) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%s: %w (the compressed data ends early)", d.name, ErrTruncated)
	default:
		err = fmt.Errorf("%s: %w: %v", d.name, ErrCompressed, err)
	}
	return n, err
}

// decompress returns br itself when it does not start with the magic
// number of a compression; otherwise a reader of what it holds, the
// compression's name, and what frees the decoder (nil when nothing does).
func decompress(br *bufio.Reader) (*bufio.Reader, string, func() error, error) {
	head, _ := br.Peek(6)
	for _, c := range compressions {
		if !bytes.HasPrefix(head, c.magic) {
			continue
		}
		r, closer, err := c.open(br)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, c.name, nil, fmt.Errorf("%s: %w (the compressed data ends in its header)", c.name, ErrTruncated)
			}
			return nil, c.name, nil, fmt.Errorf("%s: %w: %v", c.name, ErrCompressed, err)
		}
		return bufio.NewReaderSize(&decompressor{r: r, name: c.name}, readBufferSize), c.name, closer, nil
	}
	return br, "", nil, nil
}
