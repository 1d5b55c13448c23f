package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// bigFile is a pcap file of several chunks whose records have every size
// from empty to MaxCaptureLength, so that records are cut by the end of a
// chunk at every offset, including inside their headers.
func bigFile(t *testing.T) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 5))
	var recs []record
	total := 0
	for i := 0; total < 5*max(chunkSize, MaxCaptureLength); i++ {
		n := r.IntN(3000)
		switch i % 97 {
		case 0:
			n = MaxCaptureLength
		case 1:
			n = 0
		case 2:
			n = chunkSize - recordHeaderLen
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(i + j)
		}
		recs = append(recs, record{uint32(i), uint32(i * 7), uint32(n), uint32(n + i%3), string(data)})
		total += recordHeaderLen + n
	}
	return classicFile(binary.LittleEndian, magicMicro, 0, layers.LinkTypeEthernet, recs...)
}

// pcapgoAll reads b with pcapgo, the reader the chunked one replaced.
func pcapgoAll(t *testing.T, b []byte) []got {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []got
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got{string(data), ci.Timestamp, ci.Length, r.LinkType(), 0})
	}
}

func TestChunksReadAsPcapgo(t *testing.T) {
	b := bigFile(t)
	path := writeFile(t, "big.pcap", b)
	want := pcapgoAll(t, b)

	byPacket, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, byPacket); d != "" {
		t.Errorf("Next differs from pcapgo (-pcapgo +Next):\n%s", d)
	}

	// Batches are all kept until the end: none may be overwritten by a
	// later one while not released.
	s, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var byBatch []got
	var batches []*Batch
	for {
		bt, err := s.(Batcher).NextBatch()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, bt)
	}
	for _, bt := range batches {
		for _, p := range bt.Packets {
			byBatch = append(byBatch, got{string(p.Data), p.CaptureInfo.Timestamp, p.CaptureInfo.Length, p.LinkType, 0})
		}
		bt.Release()
	}
	if d := cmp.Diff(want, byBatch); d != "" {
		t.Errorf("NextBatch differs from pcapgo (-pcapgo +NextBatch):\n%s", d)
	}
	if len(batches) < 3 {
		t.Errorf("%d batches for %d bytes: the file did not span chunks", len(batches), len(b))
	}
}

// TestBatchReusedLastReleased: the next batch read goes into the buffer
// released last, the likeliest still in a cache.
func TestBatchReusedLastReleased(t *testing.T) {
	path := writeFile(t, "big.pcap", bigFile(t))
	s, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	next := func() *Batch {
		b, err := s.(Batcher).NextBatch()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b1, b2 := next(), next()
	b2.Release()
	b1.Release()
	if b3 := next(); &b3.buf[0] != &b1.buf[0] {
		t.Errorf("the next batch is not in the buffer released last")
	}
}

// A file cut anywhere, or given a lying length anywhere, reads the same
// packets up to there by batches as by Next, and then the same error.
func TestChunksCutAndCorrupt(t *testing.T) {
	b := bigFile(t)
	r := rand.New(rand.NewPCG(6, 6))
	for range 20 {
		c := bytes.Clone(b[:24+r.IntN(len(b)-24)])
		if r.IntN(2) == 0 && len(c) > 40 {
			// A random byte of a record header.
			at := 24 + r.IntN(len(c)-24)
			c[at] = 0xff
		}
		path := writeFile(t, "cut.pcap", c)
		want, wantErr := readAll(t, path)
		s, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var gotPkts []got
		var gotErr error
		for {
			bt, err := s.(Batcher).NextBatch()
			if err != nil {
				if err != io.EOF {
					gotErr = err
				}
				break
			}
			for _, p := range bt.Packets {
				gotPkts = append(gotPkts, got{string(p.Data), p.CaptureInfo.Timestamp, p.CaptureInfo.Length, p.LinkType, 0})
			}
			bt.Release()
		}
		s.Close()
		if d := cmp.Diff(want, gotPkts); d != "" {
			t.Errorf("cut at %d: batches differ from Next:\n%s", len(c), d)
		}
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Errorf("cut at %d: batches ended with %v, Next with %v", len(c), gotErr, wantErr)
		}
		if len(c) < len(b) && wantErr == nil {
			t.Errorf("cut at %d: no error", len(c))
		}
		if wantErr != nil && !errors.Is(wantErr, ErrTruncated) && !errors.Is(wantErr, ErrBadLength) {
			t.Errorf("cut at %d: unexpected error %v", len(c), wantErr)
		}
	}
}

// sliceSource is a Source of given packets whose Data, like a real
// source's, is overwritten by the next call.
type sliceSource struct {
	pkts []Packet
	buf  []byte
}

func (s *sliceSource) Next() (Packet, error) {
	if len(s.pkts) == 0 {
		return Packet{}, io.EOF
	}
	p := s.pkts[0]
	s.pkts = s.pkts[1:]
	s.buf = append(s.buf[:0], p.Data...)
	p.Data = s.buf
	return p, nil
}

func (s *sliceSource) Close() error { return nil }

// NextBatch copies what a Source without batches of its own returns, and
// a batch's packets stay intact until it is released, also when one of
// them is larger than the batch's buffer.
func TestNextBatchCopies(t *testing.T) {
	var want []Packet
	for i, n := range []int{10, 1500, MaxCaptureLength, 3, bufSize, 64 << 10, 64 << 10, 64 << 10, 7} {
		want = append(want, Packet{Data: bytes.Repeat([]byte{byte(i + 1)}, n), LinkType: layers.LinkTypeEthernet})
	}
	for range 2000 {
		want = append(want, Packet{Data: []byte("small"), LinkType: layers.LinkTypeRaw})
	}
	src := &sliceSource{pkts: want}
	var got []Packet
	var batches []*Batch
	for {
		b, err := NextBatch(src)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	for _, b := range batches {
		got = append(got, b.Packets...)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("batches differ from the packets (-want +got):\n%s", d)
	}
	for _, b := range batches {
		b.Release()
	}
}
