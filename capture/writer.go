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

// NgWriter writes packets to a pcapng file of one interface, and the TLS
// key logs that decrypt them in Decryption Secrets Blocks, as editcap
// --inject-secrets does: Wireshark, tshark and OpenFile read the keys
// from the file, with no key log beside it.
type NgWriter struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	w    *pcapgo.NgWriter
}

// CreateNgFile creates (or truncates) a pcapng file for packets of one
// link type and snap length, and writes its section and interface.
func CreateNgFile(path string, link layers.LinkType, snaplen int) (*NgWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	bw := bufio.NewWriterSize(f, readBufferSize)
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = link
	intf.SnapLength = uint32(snaplen)
	opts := pcapgo.DefaultNgWriterOptions
	opts.SectionInfo.Application = "hsdecode"
	// pcapgo writes into bw, which is large enough for it not to add a
	// buffer of its own (bufio.NewWriter returns it).
	w, err := pcapgo.NewNgWriterInterface(bw, intf, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: %s: %w", path, err)
	}
	return &NgWriter{path: path, f: f, bw: bw, w: w}, nil
}

// WriteSecrets appends a Decryption Secrets Block of NSS key log text. A
// reader has the keys for the packets written after it.
func (w *NgWriter) WriteSecrets(keyLog []byte) error {
	if err := w.w.WriteDecryptionSecretsBlock(SecretsTypeTLSKeyLog, keyLog); err != nil {
		return fmt.Errorf("capture: %s: %w", w.path, err)
	}
	return nil
}

// Write appends a packet. Its CaptureLength must be len(Data); its
// interface, whatever it was where it was read, is the file's one.
func (w *NgWriter) Write(p Packet) error {
	p.CaptureInfo.InterfaceIndex = 0
	if err := w.w.WritePacket(p.CaptureInfo, p.Data); err != nil {
		return fmt.Errorf("capture: %s: %w", w.path, err)
	}
	return nil
}

// Flush writes what is buffered to the file.
func (w *NgWriter) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("capture: %s: %w", w.path, err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("capture: %s: %w", w.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *NgWriter) Close() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("capture: %w", cerr)
	}
	return err
}
