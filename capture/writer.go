package capture

import (
	"bufio"
	"fmt"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Writer writes packets to a classic pcap file (microsecond timestamps,
// as tcpdump -w writes by default), with pcapgo: it needs no cgo.
type Writer struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	w    *pcapgo.Writer
}

// CreateFile creates (or truncates) a pcap file for packets of one link
// type and snap length, and writes its header.
func CreateFile(path string, link layers.LinkType, snaplen int) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	bw := bufio.NewWriterSize(f, readBufferSize)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(uint32(snaplen), link); err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: %s: %w", path, err)
	}
	return &Writer{path: path, f: f, bw: bw, w: w}, nil
}

// Write appends a packet. Its CaptureLength must be len(Data).
func (w *Writer) Write(p Packet) error {
	if err := w.w.WritePacket(p.CaptureInfo, p.Data); err != nil {
		return fmt.Errorf("capture: %s: %w", w.path, err)
	}
	return nil
}

// Flush writes what is buffered to the file, so that a reader of the file
// sees every packet written so far.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("capture: %s: %w", w.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("capture: %w", cerr)
	}
	return err
}
