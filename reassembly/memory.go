package reassembly

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/hsdecode/hsdecode/stream"
)

// connCost is what an open connection is counted for against
// Options.MaxBufferedBytes besides the bytes it buffers and what its
// consumer says it holds (Buffered): its conn and table slot here,
// gopacket's connection when it has one, and its consumer (a flows
// Tracker). Measured with
// scripts/memory.sh: 1M SYNs that are never answered leave 505 MB live
// for the 204,800 connections open at the default bound, 2.5 KiB each.
const connCost = 2560

// buckets is how many equal shares Options.MaxBufferedBytes is cut into.
// A connection belongs to a bucket by a hash of its addresses and ports,
// and when a bucket holds more than its share, its quietest connections
// are closed. What a bucket holds depends only on its own connections'
// packets, so the connections closed for memory are the same whatever
// the number of workers (Sharded gives each worker whole buckets) and as
// with a single Assembler. 32 shares leave room for a handful of
// connections at maxPagesPerDirection each under the default bound, and
// for up to 32 workers.
const buckets = 32

// memory keeps the account of what Options.MaxBufferedBytes bounds, bucket
// by bucket, each with its open connections in the order they were last
// given a packet, the quietest last, to close first when over its share.
type memory struct {
	b     [buckets]bucket
	held  int64 // what all buckets hold
	share int64 // what one bucket may hold
}

type bucket struct {
	head, tail *conn // most and least lately given a packet
	held       int64
}

// charge counts n more bytes (or fewer, n < 0) held for c: its cost as an
// open connection, what it holds settling or for overlaps, gopacket's
// pages for it, what its consumer holds.
func (m *memory) charge(c *conn, n int64) {
	if c.gone {
		return
	}
	c.cost += n
	m.b[c.bucket].held += n
	m.held += n
}

// held is what the bound applies to, and the fragments held for it.
func (a *Assembler) held() int64 { return a.mem.held + a.frag.bytes }

// consumer updates what c's consumer holds, if it says (Buffered).
func (m *memory) consumer(c *conn) {
	if c.sized == nil || c.closing {
		return
	}
	n := int64(c.sized.Buffered())
	m.charge(c, n-c.consumerHeld)
	c.consumerHeld = n
}

// queuedPages is what gopacket takes of its pages to queue a segment of n
// bytes beyond the one it waits for (convertToPages, pageBytes 1900).
// Counted from the connection's own segments rather than read from
// gopacket, whose count is of all its connections together, it says what
// one connection holds.
func queuedPages(n int) int64 { return int64(n+1899) / 1900 }

// peak notes the high-water mark after a packet.
func (m *memory) peak(a *Assembler) {
	if h := a.held(); h > a.stats.MaxBuffered {
		a.stats.MaxBuffered = h
	}
}

// link adds a new connection as the most lately active of its bucket.
func (m *memory) link(c *conn) {
	b := &m.b[c.bucket]
	c.newer, c.older = nil, b.head
	if b.head != nil {
		b.head.newer = c
	} else {
		b.tail = c
	}
	b.head = c
	m.charge(c, connCost)
}

// unlink takes a connection out, with all it was counted for.
func (m *memory) unlink(c *conn) {
	b := &m.b[c.bucket]
	m.detach(b, c)
	m.charge(c, -c.cost)
	c.gone = true
}

func (m *memory) detach(b *bucket, c *conn) {
	if c.newer != nil {
		c.newer.older = c.older
	} else if b.head == c {
		b.head = c.older
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else if b.tail == c {
		b.tail = c.newer
	}
	c.newer, c.older = nil, nil
}

// touch makes c the most lately active of its bucket.
func (m *memory) touch(c *conn) {
	b := &m.b[c.bucket]
	if b.head == c {
		return
	}
	m.detach(b, c)
	c.newer, c.older = nil, b.head
	if b.head != nil {
		b.head.newer = c
	} else {
		b.tail = c
	}
	b.head = c
}

// bound closes, with EndMemory, the connections of keep's bucket quiet
// longest while the bucket holds more than its share; keep, the
// connection of the packet at hand, is not one of them.
func (a *Assembler) bound(keep *conn) {
	b := &a.mem.b[keep.bucket]
	for b.held > a.mem.share {
		c := b.tail
		if c == keep {
			c = c.newer
		}
		if c == nil || c == keep {
			return
		}
		a.settleBoth(c)
		c.close(stream.EndMemory)
		a.finish(c)
	}
}

// hashOf is a connection's hash, the same from either side.
func hashOf(k connKey) uint64 {
	lo0, lo1 := addrWords(k.lo.Addr())
	hi0, hi1 := addrWords(k.hi.Addr())
	h := lo0 ^ bits.RotateLeft64(lo1, 13) ^ bits.RotateLeft64(hi0, 29) ^ bits.RotateLeft64(hi1, 43) ^
		uint64(k.lo.Port())<<16 ^ uint64(k.hi.Port()) ^ k.tun
	return (h * 0x9e3779b97f4a7c15) >> 32
}

// addrWords reads the 16 bytes of an address's IPv6 form as two
// little-endian words. An IPv4 address's are ::ffff:a.b.c.d, built from
// its 4 bytes: As16 measured 19 ns a hash against 8 (it is done for every
// packet, to pick its worker).
func addrWords(a netip.Addr) (w0, w1 uint64) {
	if a.Is4() {
		v := a.As4()
		return 0, 0xffff0000 | uint64(binary.LittleEndian.Uint32(v[:]))<<32
	}
	b := a.As16()
	return binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
}

// bucketOf is the bucket of a connection.
func bucketOf(k connKey) uint8 { return bucketOfHash(hashOf(k)) }

// bucketOfHash is the bucket of a connection whose hashOf is h.
func bucketOfHash(h uint64) uint8 { return uint8(h % buckets) }
