package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// chunkSize is how much of a classic pcap file is read at once. Records
// are parsed where they lie in the chunk, so that a packet's bytes are
// copied once, from the kernel, rather than twice through a bufio.Reader
// and pcapgo's packet buffer: reading alone took half the time of the
// whole decoder's floor (issue 5) before. A batch's buffer has room for a
// chunk and a packet as large as segmentation offload makes them after
// it; a longer record gets a buffer of its own, so that the few batches a
// pipeline keeps in flight stay small. Since batches are reused last
// released first, 64 KiB chunks measured faster than 256 KiB on the
// handshake mix of issue 18 (paired runs 0.94; the bulk mix the same):
// the buffer the kernel copies into is likelier to be in the cache. 32
// KiB were slower again: more batches to hand from goroutine to
// goroutine.
const (
	chunkSize = 64 << 10
	bufSize   = chunkSize + 64<<10
)

// recordHeaderLen is the length of a pcap record header: seconds,
// fractions, captured length, original length.
const recordHeaderLen = 16

// pcapSource reads classic pcap, whose file header pcapgo has read.
type pcapSource struct {
	fileSource
	link       layers.LinkType
	order      binary.ByteOrder
	nanoFactor uint32 // 1000 for microsecond timestamps, 1 for nanosecond

	carry []byte // the start of a record the last chunk cut, for the next
	eof   bool   // the file has been read to its end
	free  *batchPool

	cur  *Batch // what Next hands out, one packet at a time
	next int
}

// Batch is packets read together, whose Data stay valid until Release: a
// caller may hand them to other goroutines and release the batch when all
// are done with it.
type Batch struct {
	Packets []Packet
	buf     []byte
	free    *batchPool
}

// Release gives the batch's memory back to its source; its packets must not
// be used after. It is safe to call from any goroutine, once.
func (b *Batch) Release() {
	if b == nil || b.free == nil {
		return
	}
	b.Packets = b.Packets[:0]
	b.free.put(b)
}

// batchPool keeps released batches for reuse, the one released last first:
// its buffer is the likeliest still in a cache when the next read copies
// into it.
type batchPool struct {
	mu   sync.Mutex
	kept []*Batch
}

func (p *batchPool) put(b *Batch) {
	p.mu.Lock()
	if len(p.kept) < batchesKept {
		p.kept = append(p.kept, b)
	} // else enough kept: let the collector have it
	p.mu.Unlock()
}

// get returns a kept batch, nil when there is none.
func (p *batchPool) get() *Batch {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.kept)
	if n == 0 {
		return nil
	}
	b := p.kept[n-1]
	p.kept = p.kept[:n-1]
	return b
}

// Batcher is a Source that can also hand out its packets in batches.
type Batcher interface {
	Source
	// NextBatch returns the next packets, at least one, or the error
	// Next would: io.EOF at the clean end, or what stopped the input,
	// returned once the packets before it have been.
	NextBatch() (*Batch, error)
}

// batchesKept bounds the batches a source keeps for reuse: enough for those
// in flight in a pipeline of a few goroutines.
const batchesKept = 32

func (s *pcapSource) batch() *Batch {
	if s.free == nil {
		s.free = new(batchPool)
	}
	if b := s.free.get(); b != nil {
		return b
	}
	return &Batch{buf: make([]byte, bufSize), free: s.free}
}

// NextBatch implements Batcher.
func (s *pcapSource) NextBatch() (*Batch, error) {
	if s.err != nil {
		return nil, s.err
	}
	b := s.batch()
	if len(s.carry) > len(b.buf) {
		b.buf = make([]byte, len(s.carry))
	}
	n := copy(b.buf, s.carry)
	s.carry = s.carry[:0]
	want := chunkSize
	if s.stream {
		want = 1 // what the pipe has: a packet waits for no others
	}
	for {
		// Read a chunk (a read fills what room the buffer has), then
		// parse the records it holds whole.
		var readErr error
		for !s.eof && n < want {
			m, err := s.br.Read(b.buf[n:])
			n += m
			if err == io.EOF {
				s.eof = true
			} else if err != nil {
				readErr = err
				break
			}
		}
		rest := s.parse(b, b.buf[:n])
		if readErr != nil && s.err == nil {
			// Numbered after the records read whole before it.
			s.err = fmt.Errorf("capture: %s: packet %d: %w", s.name, s.n+len(b.Packets)+1, readErr)
		}
		if s.err == nil && len(b.Packets) == 0 && !s.eof {
			// The first record goes on past what was read: read on to
			// its end, in a buffer large enough (parse checked its
			// length).
			want = recordHeaderLen
			if len(rest) >= recordHeaderLen {
				want += int(s.order.Uint32(rest[8:12]))
			}
			if want > len(b.buf) {
				b.buf = make([]byte, want+chunkSize)
			}
			n = copy(b.buf, rest)
			continue
		}
		s.carry = append(s.carry, rest...)
		s.n += len(b.Packets)
		if s.err == nil && s.eof {
			if len(rest) == 0 {
				s.err = io.EOF
			} else {
				s.fail(io.ErrUnexpectedEOF, false)
			}
		}
		if len(b.Packets) > 0 {
			return b, nil
		}
		b.Release()
		return nil, s.err
	}
}

// parse appends to b the whole records at the start of data and returns
// what follows them: the start of a record cut by the end of data. A
// record with an impossible length stops it, with s.err set, after the
// records before it.
func (s *pcapSource) parse(b *Batch, data []byte) []byte {
	o := s.order
	for len(data) >= recordHeaderLen {
		caplen := uint64(o.Uint32(data[8:12]))
		origlen := uint64(o.Uint32(data[12:16]))
		num := s.n + len(b.Packets) + 1
		// A record longer than the file's snap length, or than the
		// packet was, is read as it is, as Wireshark reads it: writers
		// get those fields wrong (an old Solaris bug, tools that
		// rewrite packets), and the bytes are there. Only the limit
		// guards the buffer a lying length would cost.
		if caplen > MaxCaptureLength {
			s.badLength(num, caplen, "the limit", MaxCaptureLength)
			return data
		}
		if uint64(len(data)-recordHeaderLen) < caplen {
			break
		}
		// As pcapgo computes it, fractions multiplied in 32 bits.
		ts := time.Unix(int64(o.Uint32(data[0:4])), int64(o.Uint32(data[4:8])*s.nanoFactor)).UTC()
		end := recordHeaderLen + int(caplen)
		p := Packet{
			Data:        data[recordHeaderLen:end:end],
			CaptureInfo: gopacket.CaptureInfo{Timestamp: ts, CaptureLength: int(caplen), Length: int(origlen)},
			LinkType:    s.link,
		}
		if s.filter != nil {
			keep, err := s.filter.keep(s.link, p.CaptureInfo, p.Data)
			if err != nil {
				s.err = fmt.Errorf("capture: %s: packet %d: %w", s.name, num, err)
				return data
			}
			if !keep {
				s.n++ // numbered, not returned
				data = data[end:]
				continue
			}
		}
		b.Packets = append(b.Packets, p)
		data = data[end:]
	}
	return data
}

// Next implements Source, one packet of a batch at a time.
func (s *pcapSource) Next() (Packet, error) {
	for s.cur == nil || s.next == len(s.cur.Packets) {
		if s.cur != nil {
			s.cur.Release()
			s.cur = nil
		}
		b, err := s.NextBatch()
		if err != nil {
			return Packet{}, err
		}
		s.cur, s.next = b, 0
	}
	p := s.cur.Packets[s.next]
	s.next++
	return p, nil
}

// copiedBatchPackets bounds the packets NextBatch copies into a batch.
const copiedBatchPackets = 512

// copied keeps the batches NextBatch made, for reuse.
var copied = new(batchPool)

// NextBatch returns the next packets of src as a batch: src's own when it
// is a Batcher, else copies of what Next returns (pcapng, live). Errors are
// Next's; a batch cut short by one comes first, and the error with the
// next call, since a Source repeats it.
func NextBatch(src Source) (*Batch, error) {
	if b, ok := src.(Batcher); ok {
		return b.NextBatch()
	}
	b := copied.get()
	if b == nil {
		b = &Batch{buf: make([]byte, 0, bufSize), free: copied}
	}
	b.buf = b.buf[:0]
	for len(b.Packets) < copiedBatchPackets && len(b.buf) < chunkSize {
		p, err := src.Next()
		if err != nil {
			if len(b.Packets) > 0 {
				break
			}
			b.Release()
			return nil, err
		}
		if len(b.buf)+len(p.Data) > cap(b.buf) {
			// Appending would move the packets before: they keep the
			// old buffer, the batch goes on in a new one.
			b.buf = make([]byte, 0, max(bufSize, len(p.Data)))
		}
		at := len(b.buf)
		b.buf = append(b.buf, p.Data...)
		p.Data = b.buf[at:len(b.buf):len(b.buf)]
		b.Packets = append(b.Packets, p)
	}
	return b, nil
}
