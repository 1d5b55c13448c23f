package reassembly

import "math/bits"

// connTable holds an Assembler's TCP connections by key. Every packet
// looks its connection up, and with Go's map that cost two cache misses,
// one in the map's group of 72-byte keys and one in the connection read
// next. The table keeps each key's hashOf beside its connection, and
// compares keys in the connection itself, where hashes agree: the
// connection the packet reads next anyway. Paired runs took 0.93 of the
// time on the bulk mix, 0.96 on the handshake one (issue 18); a
// benchmark of lookups alone (BenchmarkConnLookup) shows no difference.
// Open addressing with linear probing, at most half full; a deletion
// shifts back the entries after it that were placed past their slot, so
// that no probe ever stops short of them.
type connTable struct {
	slots []connSlot // a power of two of them, or none
	shift uint8      // 64 - log2(len(slots))
	n     int
}

type connSlot struct {
	hash uint64 // hashOf the key of c
	c    *conn  // nil: empty
}

// home is where a hash's probe starts: hashOf's bits mixed again, since
// the low ones also pick the worker (shardOf) and so are alike in one
// worker's table.
func (t *connTable) home(h uint64) int {
	return int((h * 0x9e3779b97f4a7c15) >> t.shift)
}

func (t *connTable) get(k connKey, h uint64) *conn {
	if t.n == 0 {
		return nil
	}
	mask := len(t.slots) - 1
	for i := t.home(h); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			return nil
		}
		if s.hash == h && s.c.key == k {
			return s.c
		}
	}
}

// lookup is get for a key whose hash is not at hand.
func (t *connTable) lookup(k connKey) *conn { return t.get(k, hashOf(k)) }

// put adds c, whose key the table does not hold, with h its hashOf.
func (t *connTable) put(c *conn, h uint64) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.place(connSlot{h, c})
	t.n++
}

func (t *connTable) place(s connSlot) {
	mask := len(t.slots) - 1
	i := t.home(s.hash)
	for t.slots[i].c != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *connTable) grow() {
	old := t.slots
	n := max(2*len(old), 64)
	t.slots = make([]connSlot, n)
	t.shift = uint8(64 - bits.TrailingZeros(uint(n)))
	for _, s := range old {
		if s.c != nil {
			t.place(s)
		}
	}
}

// del removes c, if the table holds it, with h its hashOf.
func (t *connTable) del(c *conn, h uint64) {
	if t.n == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(h)
	for t.slots[i].c != c {
		if t.slots[i].c == nil {
			return
		}
		i = (i + 1) & mask
	}
	t.n--
	// Shift back each entry after the hole that a probe from its home
	// would otherwise not reach past it.
	for j := (i + 1) & mask; t.slots[j].c != nil; j = (j + 1) & mask {
		if home := t.home(t.slots[j].hash); (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = connSlot{}
}

// all returns the connections, in no order; the table must not change
// while it is being read.
func (t *connTable) all(yield func(*conn) bool) {
	for _, s := range t.slots {
		if s.c != nil && !yield(s.c) {
			return
		}
	}
}
