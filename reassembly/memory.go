package reassembly

import (
	"strconv"
	"strings"

	"github.com/hsdecode/hsdecode/stream"
)

// connCost is what an open connection is counted for against
// Options.MaxBufferedBytes besides the bytes it buffers and what its
// consumer says it holds (Buffered): its conn and map entry here,
// gopacket's connection, and its consumer (a flows Tracker). Measured with
// scripts/memory.sh: 1M SYNs that are never answered leave 505 MB live
// for the 204,800 connections open at the default bound, 2.5 KiB each.
const connCost = 2560

// memory keeps the account of what Options.MaxBufferedBytes bounds, and
// the open connections in the order they were last given a packet, the
// quietest last, to close first when over the bound.
type memory struct {
	pages      int64 // gopacket pages in use, as of the last sample
	head, tail *conn // most and least lately given a packet
	// consumers is what the consumers hold of their own (Buffered), as
	// of each connection's latest packet.
	consumers int64
}

// held is what the bound applies to.
func (a *Assembler) held() int64 {
	return a.mem.pages*pageCost + a.frag.bytes + a.heldBytes + a.ovBytes + int64(len(a.conns))*connCost + a.mem.consumers
}

// consumer updates what c's consumer holds, if it says (Buffered).
func (m *memory) consumer(a *Assembler, c *conn) {
	if c.sized == nil || c.closing {
		return
	}
	n := int64(c.sized.Buffered())
	m.consumers += n - c.consumerHeld
	c.consumerHeld = n
}

// sample reads how many pages gopacket uses. gopacket says so only in
// Dump ("pageCache: used: N:"); it is asked after the segments that may
// have been queued and after a connection is dropped, not for those
// delivered in order.
func (m *memory) sample(a *Assembler) {
	s := strings.TrimPrefix(a.gp.Dump(), "pageCache: used: ")
	if n, err := strconv.ParseInt(strings.TrimSuffix(s, ":"), 10, 64); err == nil {
		m.pages = n
	}
}

// peak notes the high-water mark after a packet.
func (m *memory) peak(a *Assembler) {
	if h := a.held(); h > a.stats.MaxBuffered {
		a.stats.MaxBuffered = h
	}
}

// link adds a new connection as the most lately active.
func (m *memory) link(c *conn) {
	c.newer, c.older = nil, m.head
	if m.head != nil {
		m.head.newer = c
	} else {
		m.tail = c
	}
	m.head = c
}

func (m *memory) unlink(c *conn) {
	if c.newer != nil {
		c.newer.older = c.older
	} else if m.head == c {
		m.head = c.older
	}
	if c.older != nil {
		c.older.newer = c.newer
	} else if m.tail == c {
		m.tail = c.newer
	}
	c.newer, c.older = nil, nil
}

// touch makes c the most lately active.
func (m *memory) touch(c *conn) {
	if m.head == c {
		return
	}
	m.unlink(c)
	m.link(c)
}

// bound closes, with EndMemory, the connections quiet longest while more
// is held than Options.MaxBufferedBytes allows; keep, the connection of
// the packet at hand, is not one of them.
func (a *Assembler) bound(keep *conn) {
	for a.held() > a.opts.MaxBufferedBytes {
		c := a.mem.tail
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
