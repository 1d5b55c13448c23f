package flows

import (
	"math"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// One side's state: its phase of reading and its place in its flight.

// sideState is what the tracker knows of one side, as crypto/tls keeps a
// state struct per role: how far its bytes are read (phase), where it
// stands in its flight, and what it sent that the verdict reads. Its
// small fields sit together, which keeps the Tracker in the 1152-byte
// size class.
type sideState struct {
	role  Role
	phase phase
	// resync says the side's first record was searched for rather than
	// read from its first byte: the capture began mid-stream, the side
	// followed a plaintext prelude, or it lost bytes. It outlives the
	// phase, as the peer starting later and the not-TLS rule still read it.
	resync  bool
	first   firstBytes     // the start of its stream (settleFirstBytes)
	dec     *decode.Stream // nil before its first TLS byte and once released
	prelude []byte         // a client's plaintext before its ClientHello; the start of a server's before the client's TLS
	bytes   int64          // delivered so far: where a gap happens

	flight []slot
	pos    int // index in flight of the last slot filled, -1 before any
	seen   tally

	finished bool             // sent its Finished (TLS <= 1.2)
	alerted  bool             // sent an alert
	appData  bool             // sent application data
	end      stream.EndReason // how this side ended, 0 while open

	ccs       int
	encrypted int // TLS 1.3 opaque records after ServerHello
}

// phase is how far a side's bytes are read.
type phase uint8

const (
	// phaseWaiting: no TLS yet. A client may be in a plaintext prelude; a
	// server's bytes before the client's TLS are its part of one.
	phaseWaiting phase = iota
	// phaseReading: records are decoded.
	phaseReading
	// phaseLost: records are decoded again from a boundary found after a
	// gap, where bytes that do not decode are the capture's fault.
	phaseLost
	// phaseStopped: not read any more, after a decode error, a violation,
	// or too many bytes without a record.
	phaseStopped
)

func (d *sideState) stopped() bool { return d.phase == phaseStopped }

// tally counts the messages of each kind a side sent. A handshake has a
// dozen kinds at most, so a small array beats a map allocated per
// connection; kinds past its size are not counted, which only weakens the
// duplicate check of messages no real handshake repeats that often. The
// rules read a count up to 2, so counts stop at 255: bytes rather than
// ints keep a Tracker in a smaller size class.
type tally struct {
	kinds [12]kind
	n     [12]uint8
	len   uint8
}

func (c *tally) count(k kind) int {
	for i := range c.len {
		if c.kinds[i] == k {
			return int(c.n[i])
		}
	}
	return 0
}

func (c *tally) add(k kind) {
	for i := range c.len {
		if c.kinds[i] == k {
			if c.n[i] < math.MaxUint8 {
				c.n[i]++
			}
			return
		}
	}
	if int(c.len) < len(c.kinds) {
		c.kinds[c.len], c.n[c.len] = k, 1
		c.len++
	}
}
