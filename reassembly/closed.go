package reassembly

import (
	"time"

	"github.com/hsdecode/hsdecode/stream"
)

// A connection that closed leaves segments behind: retransmissions, a
// SYN-ACK sent again, segments in flight at a RST that arrive after the
// wait for them. Without a record of the close, each of those that
// carries data or SYN would open a connection of its own, with no SYN and
// mid-stream bytes. closedTable keeps, for a while, where the sequence
// numbers of each side of a connection closed by FIN or RST stood, so
// that such segments are recognised and skipped. A connection closed for
// being idle or to bound memory was still open: its later segments are
// remembered longer, so that it is not reported a second time, from the
// middle, when it wakes up.
const (
	// closedLinger is how long, in capture time, a closed connection is
	// remembered: about TIME_WAIT, after which its 4-tuple is free again.
	closedLinger = time.Minute
	// staleLinger is how long one closed idle or for memory is: TCP
	// keepalive's default idle time, after which a silent connection is
	// normally gone.
	staleLinger = 2 * time.Hour
	// maxClosed bounds the connections remembered; past it, the oldest
	// are forgotten first.
	maxClosed = 4096
	// closedWindow is how far from where a side's sequence numbers stood
	// a segment may lie and still be taken for one of the closed
	// connection's: more than any receive window in practice, a small
	// part of the sequence space, where a new connection's random ISN
	// rarely falls.
	closedWindow = 1 << 24
)

// closedConn is what is remembered of a closed connection, by the
// endpoint of key that sent: 0 for key.lo, 1 for key.hi.
type closedConn struct {
	key   connKey
	at    time.Time // its last packet
	stale bool      // closed idle or for memory, not by FIN or RST
	seen  [2]bool
	next  [2]uint32
}

// closedTable is a ring of the latest closed connections, indexed by
// 4-tuple.
type closedTable struct {
	idx  map[connKey]int
	ring []closedConn
	pos  int // where the next one goes once the ring is full
}

// add remembers a connection that closed.
func (t *closedTable) add(c *conn) {
	if t.idx == nil {
		t.idx = make(map[connKey]int)
	}
	r := closedConn{key: c.key, at: c.last, stale: c.reason == stream.EndIdle || c.reason == stream.EndMemory}
	for side := stream.SideA; side <= stream.SideB; side++ {
		d := 0
		if (side == stream.SideA) != (c.info.A == c.key.lo) {
			d = 1
		}
		r.seen[d], r.next[d] = c.dir[side].seen, c.dir[side].next
	}
	i := len(t.ring)
	if i < maxClosed {
		t.ring = append(t.ring, r)
	} else {
		i = t.pos
		t.pos = (t.pos + 1) % maxClosed
		if old := t.ring[i].key; t.idx[old] == i {
			delete(t.idx, old)
		}
		t.ring[i] = r
	}
	t.idx[c.key] = i
}

// Skip reasons of stragglers.
const (
	reasonAfterClose      = "after close"
	reasonAfterStaleClose = "after idle or memory close"
)

// straggler reports whether a segment that would open a connection on its
// 4-tuple (it has payload or SYN) is rather a late one of the connection
// that closed there, now being the latest capture time, and if so the
// reason to skip it: it is unless it is a SYN without ACK (the 4-tuple is
// reused), the close is older than closedLinger (staleLinger for one
// closed idle or for memory), or its sequence number lies far from where
// its sender's stood and its acknowledgement far from where the peer's
// stood. A side that sent nothing gives no evidence; with none, the
// segment is taken for a straggler.
func (t *closedTable) straggler(key connKey, seg segment, now time.Time) string {
	i, ok := t.idx[key]
	if !ok {
		return ""
	}
	r := &t.ring[i]
	tcp := seg.tcp
	linger, reason := closedLinger, reasonAfterClose
	if r.stale {
		linger, reason = staleLinger, reasonAfterStaleClose
	}
	if now.Sub(r.at) > linger || tcp.SYN && !tcp.ACK {
		delete(t.idx, key)
		return ""
	}
	d := 0
	if seg.src != key.lo {
		d = 1
	}
	evidence := false
	if r.seen[d] {
		if near(tcp.Seq, r.next[d]) {
			return reason
		}
		evidence = true
	}
	if tcp.ACK && r.seen[1-d] {
		if near(tcp.Ack, r.next[1-d]) {
			return reason
		}
		evidence = true
	}
	if evidence {
		return ""
	}
	return reason
}

func near(seq, ref uint32) bool {
	d := int32(seq - ref)
	return d >= -closedWindow && d <= closedWindow
}
