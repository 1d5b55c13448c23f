package quic

import "sort"

// MaxCryptoBuffered bounds the bytes a CryptoStream holds out of order:
// those beyond it are dropped (RFC 9000, 7.5 asks an endpoint to buffer at
// least 4096; a handshake message is at most decode's bound, 256 KiB).
const MaxCryptoBuffered = 256 << 10

// CryptoStream puts one encryption level's CRYPTO frames back in order by
// offset (RFC 9000, 19.6): frames may come out of order, be sent again, and
// overlap; the bytes are read once, in order.
//
// Invariants: next is the offset of the first byte not yet returned;
// pending holds frames beginning after next, their bytes copied, sorted by
// offset; held is the sum of their lengths.
type CryptoStream struct {
	next    uint64
	pending []Crypto
	held    int
	// Dropped counts bytes left out because they lay beyond the bound.
	Dropped int
}

// Add takes a frame and returns the bytes it makes readable in order,
// its own and those waiting behind it: nil when it left a hole, or
// repeated what was read. The result is a copy, the caller's.
func (c *CryptoStream) Add(f Crypto) []byte {
	end := f.Offset + uint64(len(f.Data))
	if end <= c.next {
		return nil // all of it was read already: a retransmission
	}
	if f.Offset > c.next {
		if end-c.next > MaxCryptoBuffered || c.held+len(f.Data) > MaxCryptoBuffered {
			c.Dropped += len(f.Data)
			return nil
		}
		i := sort.Search(len(c.pending), func(i int) bool { return c.pending[i].Offset > f.Offset })
		c.pending = append(c.pending, Crypto{})
		copy(c.pending[i+1:], c.pending[i:])
		c.pending[i] = Crypto{Offset: f.Offset, Data: append([]byte(nil), f.Data...)}
		c.held += len(f.Data)
		return nil
	}
	out := append([]byte(nil), f.Data[c.next-f.Offset:]...)
	c.next = end
	for len(c.pending) > 0 && c.pending[0].Offset <= c.next {
		p := c.pending[0]
		c.pending = c.pending[1:]
		c.held -= len(p.Data)
		if e := p.Offset + uint64(len(p.Data)); e > c.next {
			out = append(out, p.Data[c.next-p.Offset:]...)
			c.next = e
		}
	}
	return out
}

// Buffered is what the stream holds out of order.
func (c *CryptoStream) Buffered() int { return c.held }

// Next is the offset of the first byte not yet read.
func (c *CryptoStream) Next() uint64 { return c.next }
